/**
 * `netlab exporter`'s HTTP server (issue 13): blackbox_exporter's multi-target pattern.
 *   GET /probe?module=NAME&target=TARGET[&debug=true]   one probe, its metrics (or its log with debug)
 *   GET /metrics                                        the exporter's own metrics
 *   GET /-/healthy, GET /-/ready                        200 OK
 *   POST /-/reload                                      reload the config (a bad one is refused, the old kept)
 * Anything else is 404. A bad request is a 400 with one line; a probe that fails is a 200 with
 * probe_success 0; over --max-in-flight, 503. Every refusal is counted by its reason.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { CONTENT_TYPES, escapeLabelValue, exposition, formatValue, metricFamilies, type ExpositionFormat } from '../../check/metrics.js';
import type { CheckOutcome, ModuleDef, ModulesConfig } from '../../check/model.js';
import { probe, TargetPolicy, type AllowList } from '../../check/probe.js';
import { parseTarget, TargetError } from '../../check/target.js';
import { escapeControl } from '../../util/printable.js';
import { RunShared } from '../../check/commands.js';
import { MAX_CHECK_TIMEOUT_MS } from '../../check/load.js';

/** How long a config's shared state outlives a reload: the longest a probe of it can run. */
const MAX_RETIRE_MS = MAX_CHECK_TIMEOUT_MS + 5_000;

/** blackbox_exporter's margin under the scrape's timeout (seconds). */
export const SCRAPE_TIMEOUT_MARGIN_S = 0.5;
export const DEFAULT_MAX_IN_FLIGHT = 64;
/** The buckets of the probe duration histogram (seconds). */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface ExporterOptions {
  host: string;
  port: number;
  allow: AllowList;
  maxInFlight: number;
  /** Loads the config (the command reads the file); throws ChecksFileError or NetlabError. */
  load: () => Promise<ModulesConfig>;
  /** One line for the log (stderr). */
  log: (line: string) => void;
  /** Resolves a name target's addresses (tests); default: the system's resolver. */
  resolve?: (name: string) => Promise<string[]>;
}

export interface Exporter {
  /** Where it listens. */
  address: { host: string; port: number };
  /** Reload the config: null when it loaded, else why not (the old config is kept). */
  reload(): Promise<string | null>;
  close(): Promise<void>;
}

/** The exporter's own counters and gauges. */
class Stats {
  readonly started = Date.now() / 1000;
  readonly probes = new Map<string, number>();
  readonly refused = new Map<string, number>();
  inFlight = 0;
  reloadOk = 1;
  reloadAt = Date.now() / 1000;
  readonly buckets = new Map<string, { counts: number[]; sum: number; count: number }>();

  count(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }

  observe(module: string, seconds: number): void {
    let h = this.buckets.get(module);
    if (!h) this.buckets.set(module, (h = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) h.counts[i]!++;
    });
    h.sum += seconds;
    h.count++;
  }

  text(): string {
    const out: string[] = [];
    const family = (name: string, type: string, help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    const lbl = (o: Record<string, string>) => `{${Object.entries(o).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
    family('netlab_exporter_probes_total', 'counter', 'Probes run, by module and result (success, failure)');
    for (const [k, n] of [...this.probes].sort()) {
      const [module, result] = k.split('\u0000') as [string, string];
      out.push(`netlab_exporter_probes_total${lbl({ module, result })} ${n}`);
    }
    family('netlab_exporter_requests_refused_total', 'counter', 'Requests refused, by reason (unknown_module, bad_target, target_not_allowed, bad_request, too_many_in_flight)');
    for (const [reason, n] of [...this.refused].sort()) out.push(`netlab_exporter_requests_refused_total${lbl({ reason })} ${n}`);
    family('netlab_exporter_probe_duration_seconds', 'histogram', 'Duration of probes, by module');
    for (const [module, h] of [...this.buckets].sort()) {
      BUCKETS.forEach((b, i) => out.push(`netlab_exporter_probe_duration_seconds_bucket${lbl({ module, le: String(b) })} ${h.counts[i]}`));
      out.push(`netlab_exporter_probe_duration_seconds_bucket${lbl({ module, le: '+Inf' })} ${h.count}`);
      out.push(`netlab_exporter_probe_duration_seconds_sum${lbl({ module })} ${formatValue(h.sum)}`);
      out.push(`netlab_exporter_probe_duration_seconds_count${lbl({ module })} ${h.count}`);
    }
    family('netlab_exporter_probes_in_flight', 'gauge', 'Probes running now');
    out.push(`netlab_exporter_probes_in_flight ${this.inFlight}`);
    family('netlab_exporter_config_last_reload_successful', 'gauge', 'Whether the last load of the config succeeded (1) or was refused, the old config kept (0)');
    out.push(`netlab_exporter_config_last_reload_successful ${this.reloadOk}`);
    family('netlab_exporter_config_last_reload_success_timestamp_seconds', 'gauge', 'When the config last loaded, unixtime');
    out.push(`netlab_exporter_config_last_reload_success_timestamp_seconds ${formatValue(this.reloadAt)}`);
    const mem = process.memoryUsage();
    family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes');
    out.push(`process_resident_memory_bytes ${mem.rss}`);
    family('process_heap_bytes', 'gauge', 'The V8 heap in use, bytes');
    out.push(`process_heap_bytes ${mem.heapUsed}`);
    let fds: number | undefined;
    try {
      fds = readdirSync('/proc/self/fd').length;
    } catch {
      fds = undefined;
    }
    if (fds !== undefined) {
      family('process_open_fds', 'gauge', 'Number of open file descriptors');
      out.push(`process_open_fds ${fds}`);
    }
    const cpu = process.cpuUsage();
    family('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds');
    out.push(`process_cpu_seconds_total ${formatValue((cpu.user + cpu.system) / 1e6)}`);
    family('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds');
    out.push(`process_start_time_seconds ${formatValue(Math.round(this.started * 1000) / 1000)}`);
    return `${out.join('\n')}\n`;
  }
}

/** The Accept header asks for OpenMetrics. */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return /application\/openmetrics-text/i.test(accept ?? '');
}

/** The probe's deadline (milliseconds) from the scrape's timeout header, minus the margin; undefined without one. Throws TargetError-like Error on a bad header. */
export function scrapeDeadlineMs(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header[0]! : header;
  const s = Number(text);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(text) || !Number.isFinite(s) || s <= 0) throw new Error(`X-Prometheus-Scrape-Timeout-Seconds is not a number of seconds: '${escapeControl(text).slice(0, 40)}'`);
  // blackbox_exporter: the margin, unless the timeout is no larger than it
  return Math.round((s > SCRAPE_TIMEOUT_MARGIN_S ? s - SCRAPE_TIMEOUT_MARGIN_S : s) * 1000);
}

/** The debug page: the probe's log and result, then the metrics, as blackbox_exporter's debug output. */
function debugText(module: ModuleDef, target: string, argv: string[], timeoutMs: number, outcomes: CheckOutcome[], metrics: string): string {
  const lines = [`Logs for the probe:`, `module=${module.name} target=${target} deadline=${timeoutMs}ms`, `run: ${module.command} ${redactArgs(argv).join(' ')}`];
  for (const o of outcomes) {
    lines.push(`${o.address ? `address ${o.address}: ` : ''}${o.status} in ${o.durationMs} ms${o.attempts > 1 ? ` (${o.attempts} attempts)` : ''}`);
    for (const p of o.problems) lines.push(`  ${p.severity} ${p.code}: ${escapeControl(p.message)}`);
    for (const n of o.notes) lines.push(`  note ${n.code}: ${escapeControl(n.message)}`);
    if (o.error) lines.push(`  error ${o.error.code}: ${escapeControl(o.error.message)}`);
  }
  lines.push('', 'Metrics that would have been returned:', metrics, 'Result:', JSON.stringify(outcomes.map((o) => redactResult(o.result)), null, 2), '');
  return lines.join('\n');
}

/** A header value given to a probe is never shown (it may carry a token): `--header 'Name: …'`. */
export function redactArgs(argv: readonly string[]): string[] {
  return argv.map((a, i) => {
    if (a.startsWith('--header=')) return '--header=…';
    if (i > 0 && (argv[i - 1] === '--header' || argv[i - 1] === '-H')) {
      const colon = a.indexOf(':');
      return colon < 0 ? '…' : `${a.slice(0, colon)}: …`;
    }
    return a;
  });
}

/** A result without request header values. */
function redactResult(result: unknown): unknown {
  return JSON.parse(JSON.stringify(result ?? null, (k, v: unknown) => (k === 'requestHeaders' || k === 'headers' ? '[redacted]' : v)));
}

export async function startExporter(options: ExporterOptions): Promise<Exporter> {
  let config = await options.load();
  const stats = new Stats();
  const policy = new TargetPolicy(options.allow, options.resolve);
  const sockets = new Set<import('node:net').Socket>();
  const stop = new AbortController();
  // the probes share trust stores (the system roots parsed once, not per probe: native memory
  // the garbage collector does not see grew ~110 kB a probe) and one UDP socket pool; a reload
  // starts afresh (CA files may have changed) and ends the old one once its probes are done
  let shared = new RunShared();
  const retired = new Map<RunShared, NodeJS.Timeout>();
  const retire = (old: RunShared): void => {
    const t = setTimeout(() => {
      retired.delete(old);
      void old.close();
    }, MAX_RETIRE_MS);
    t.unref();
    retired.set(old, t);
  };

  const reload = async (): Promise<string | null> => {
    try {
      config = await options.load();
      retire(shared);
      shared = new RunShared();
      stats.reloadOk = 1;
      stats.reloadAt = Date.now() / 1000;
      options.log(`netlab exporter: config reloaded, ${config.modules.length} module${config.modules.length === 1 ? '' : 's'}`);
      return null;
    } catch (e) {
      stats.reloadOk = 0;
      const why = e instanceof Error ? e.message : String(e);
      for (const line of why.split('\n')) options.log(line);
      options.log('netlab exporter: the config was not reloaded (the old one is kept)');
      return why.split('\n')[0]!;
    }
  };

  const send = (res: ServerResponse, code: number, body: string, type = 'text/plain; charset=utf-8') => {
    res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };
  const refuse = (res: ServerResponse, code: number, reason: string, message: string) => {
    stats.count(stats.refused, reason);
    send(res, code, `${escapeControl(message)}\n`);
  };

  const probeRequest = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const moduleName = url.searchParams.get('module');
    const target = url.searchParams.get('target');
    if (!moduleName) return refuse(res, 400, 'unknown_module', `module parameter is missing (one of: ${config.modules.map((m) => m.name).join(', ')})`);
    const module = config.modules.find((m) => m.name === moduleName);
    if (!module) return refuse(res, 400, 'unknown_module', `unknown module '${moduleName.slice(0, 200)}' (one of: ${config.modules.map((m) => m.name).join(', ')})`);
    if (target === null || target.trim() === '') return refuse(res, 400, 'bad_target', 'target parameter is missing');
    let parsed;
    try {
      parsed = parseTarget(module.command, target);
    } catch (e) {
      if (e instanceof TargetError) return refuse(res, 400, 'bad_target', `bad target for module ${module.name} (${module.command}, ${e.message})`);
      throw e;
    }
    let deadline: number | undefined;
    try {
      deadline = scrapeDeadlineMs(req.headers['x-prometheus-scrape-timeout-seconds']);
    } catch (e) {
      return refuse(res, 400, 'bad_request', (e as Error).message);
    }
    const timeoutMs = Math.min(module.timeoutMs, deadline ?? module.timeoutMs);
    if (stats.inFlight >= options.maxInFlight) return refuse(res, 503, 'too_many_in_flight', `${stats.inFlight} probes in flight, the most --max-in-flight allows: try again later`);
    stats.inFlight++;
    try {
      const why = await policy.refusal(module, target, parsed.host);
      if (why) return refuse(res, 400, 'target_not_allowed', why);
      const started = performance.now();
      const outcomes = await probe(module, target, { timeoutMs, signal: stop.signal, shared });
      stats.observe(module.name, (performance.now() - started) / 1000);
      const ok = outcomes.every((o) => o.status === 'OK' || o.status === 'WARNING');
      stats.count(stats.probes, `${module.name}\u0000${ok ? 'success' : 'failure'}`);
      const format: ExpositionFormat = wantsOpenMetrics(req.headers.accept) ? 'openmetrics' : 'prometheus';
      const fanned = outcomes.length > 1 || outcomes.some((o) => o.address !== null);
      // Prometheus adds instance and job; a fanned-out probe labels each address
      const labels = (o: CheckOutcome): Record<string, string> => (fanned && o.address !== null ? { address: o.address } : {});
      const families = metricFamilies(outcomes, { labels });
      if (url.searchParams.get('debug') === 'true') return send(res, 200, debugText(module, target, [...module.argv, ...parsed.argv], timeoutMs, outcomes, exposition(families, 'prometheus')));
      send(res, 200, exposition(families, format), CONTENT_TYPES[format]);
    } finally {
      stats.inFlight--;
    }
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://exporter');
    const path = url.pathname;
    const handle = async () => {
      if (path === '/probe' && (req.method === 'GET' || req.method === 'HEAD')) return probeRequest(req, res, url);
      if (path === '/metrics' && req.method === 'GET') return send(res, 200, stats.text(), CONTENT_TYPES.prometheus);
      if ((path === '/-/healthy' || path === '/-/ready') && req.method === 'GET') return send(res, 200, 'OK\n');
      if (path === '/-/reload' && (req.method === 'POST' || req.method === 'PUT')) {
        const why = await reload();
        return why ? send(res, 500, `failed to reload the config: ${escapeControl(why)}\n`) : send(res, 200, 'OK\n');
      }
      if (['/probe', '/metrics', '/-/healthy', '/-/ready', '/-/reload'].includes(path)) return send(res, 405, `method ${escapeControl(req.method ?? '')} not allowed on ${path}\n`);
      return send(res, 404, 'not found (the exporter answers /probe, /metrics, /-/healthy, /-/ready and POST /-/reload)\n');
    };
    handle().catch((e: unknown) => {
      options.log(`netlab exporter: internal error: ${escapeControl(e instanceof Error ? e.message : String(e))}`);
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  return {
    address: { host: a.address, port: a.port },
    reload,
    async close() {
      stop.abort();
      for (const t of retired.values()) clearTimeout(t);
      await Promise.all([shared, ...retired.keys()].map((x) => x.close()));
      retired.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        const t = setTimeout(() => {
          for (const s of sockets) s.destroy();
        }, 2000);
        t.unref();
      });
    },
  };
}
