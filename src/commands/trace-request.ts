/**
 * `netlab trace-request`: where the time of one request goes, per phase, on one or two
 * paths (direct to the origin, through the CDN), sampled cold and interleaved.
 */
import { FILE_LIMITS, readFileBounded } from '../util/read-bounded.js';
import net from 'node:net';
import tls from 'node:tls';
import { fileErrorReason, NetlabError, type Status } from '../errors.js';
import { parseDnsServer } from './args.js';
import { timeRequest, type Phase, type Phases, type SampleFailed, type SampleOk } from '../protocol/http/timing.js';
import { cacheEvidence, summarise, type CacheEvidence } from '../protocol/http/cache.js';

export interface TraceRequestOptions {
  url: URL;
  samples: number;
  intervalMs: number;
  origin?: string;
  cdn?: string;
  resolver?: { address: string; port: number };
  ca?: string[];
  originCa?: string[];
  insecure: boolean;
  method: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** One throwaway request to ourselves first, so no sample pays Node's first-request cost. */
  warmUp: boolean;
  json: boolean;
}

export interface RawTraceRequestArgs {
  url?: string;
  samples?: string;
  interval?: string;
  origin?: string;
  cdn?: string;
  resolver?: string;
  ca?: string[];
  originCa?: string[];
  insecure?: boolean;
  method?: string;
  header?: string[];
  timeout?: string;
  /** commander's --no-warm-up gives warmUp: false */
  warmUp?: boolean;
  json?: boolean;
}

export type LegLabel = 'origin' | 'cdn' | 'resolved';

export interface RttModel {
  /** Estimated round-trip time, ms. */
  rttMs: number;
  /** What it was estimated from. */
  source: 'tcp' | 'tls';
  /** Round trips the TLS handshake takes: 2 for TLS 1.2, 1 for TLS 1.3, 0 without TLS. */
  tlsRoundTrips: number;
  /** What the protocol alone costs at that RTT: TCP 1, TLS n, request 1 RTT (plus the dns measured). */
  protocolMs: { tcpMs: number; tlsMs: number; requestMs: number; totalMs: number };
  /** Median ttfb minus one RTT: roughly the server's own time. */
  serverMs: number;
}

export interface PathResult {
  label: LegLabel;
  /** Where the requests went (pinned, or as resolved). */
  address: string;
  port: number;
  samples: number;
  succeeded: number;
  status: number | null;
  httpVersion: string | null;
  tlsVersion: string | null;
  /** Medians over the successful samples. */
  phases: Phases | null;
  p95: Phases | null;
  first: Phases | null;
  /** The first (coldest) sample is more than 25% and 2 ms off the median of the rest. */
  firstDiffers: boolean | null;
  cache: CacheEvidence | null;
  /** The cache verdict of each sample, in order (MISS then HIT shows the cache filling). */
  cacheBySample: Array<CacheEvidence['verdict']>;
  rtt: RttModel | null;
  errors: Array<{ sample: number; phase: Phase; error: string; partial: Partial<Phases> }>;
  verificationOff: boolean;
}

export interface TraceRequestResult {
  url: string;
  status: Status;
  paths: PathResult[];
  /** Per phase, second path minus first (ms, medians), when there are two. */
  difference: Phases | null;
  problems: Array<{ code: string; severity: 'WARNING' | 'CRITICAL'; message: string }>;
}

function usage(message: string): NetlabError {
  return new NetlabError('USAGE', message);
}

function readCa(files: string[] | undefined, option: string): string[] | undefined {
  if (!files || files.length === 0) return undefined;
  return files.map((f) => {
    try {
      return readFileBounded(f, FILE_LIMITS.pem).toString('utf8');
    } catch (e) {
      throw new NetlabError('INPUT', `${option} ${f}: ${fileErrorReason(e)}`, { cause: e });
    }
  });
}

/** Commander's raw values -> validated options. Throws USAGE / INPUT. */
export function parseTraceRequestArgs(raw: RawTraceRequestArgs): TraceRequestOptions {
  if (!raw.url) throw usage('missing URL');
  let url: URL;
  try {
    url = new URL(raw.url);
  } catch {
    throw usage(`'${raw.url}' is not a URL (try https://host/path)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usage(`unsupported scheme '${url.protocol.replace(/:$/, '')}': http and https only`);
  const int = (v: string | undefined, name: string, dflt: number, min: number, max: number) => {
    if (v === undefined) return dflt;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw usage(`${name} needs a whole number from ${min} to ${max}, got '${v}'`);
    return Number(v);
  };
  const address = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const bare = v.replace(/^\[(.*)\]$/, '$1');
    if (!net.isIP(bare)) throw usage(`${name} needs an IP address, got '${v}'`);
    return bare;
  };
  const resolver = raw.resolver ? parseDnsServer(raw.resolver, '--resolver') : undefined;
  const headers: Record<string, string> = {};
  for (const h of raw.header ?? []) {
    const i = h.indexOf(':');
    if (i <= 0) throw usage(`--header needs 'Name: value', got '${h}'`);
    headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  const method = (raw.method ?? 'GET').toUpperCase();
  if (!/^[A-Z]+$/.test(method)) throw usage(`--method '${raw.method}' is not an HTTP method`);
  const o: TraceRequestOptions = {
    url,
    samples: int(raw.samples, '--samples', 1, 1, 1000),
    intervalMs: int(raw.interval, '--interval', 0, 0, 60_000),
    insecure: Boolean(raw.insecure),
    method,
    headers,
    timeoutMs: int(raw.timeout, '--timeout', 10, 1, 300) * 1000,
    warmUp: raw.warmUp !== false,
    json: Boolean(raw.json),
  };
  const origin = address(raw.origin, '--origin');
  const cdn = address(raw.cdn, '--cdn');
  if (origin) o.origin = origin;
  if (cdn) o.cdn = cdn;
  if (resolver) o.resolver = resolver;
  const ca = readCa(raw.ca, '--ca');
  const originCa = readCa(raw.originCa, '--origin-ca');
  if (ca) o.ca = ca;
  if (originCa) o.originCa = originCa;
  return o;
}

interface Leg {
  label: LegLabel;
  pin?: string;
}

function legsOf(o: TraceRequestOptions): Leg[] {
  if (o.origin && o.cdn) return [{ label: 'origin', pin: o.origin }, { label: 'cdn', pin: o.cdn }];
  if (o.origin) return [{ label: 'origin', pin: o.origin }, { label: 'resolved' }];
  if (o.cdn) return [{ label: 'resolved' }, { label: 'cdn', pin: o.cdn }];
  return [{ label: 'resolved' }];
}

const PHASE_KEYS = ['dnsMs', 'tcpMs', 'tlsMs', 'ttfbMs', 'transferMs', 'totalMs'] as const;

function aggregate(samples: Phases[], pick: 'median' | 'p95'): Phases {
  const out = {} as Phases;
  for (const k of PHASE_KEYS) out[k] = summarise(samples.map((s) => s[k]))[pick];
  return out;
}

/** The course's model: TCP 1 RTT, TLS 1.2 2 RTT (1.3: 1), request 1 RTT, with RTT from the TCP connect. */
export function rttModel(median: Phases, tlsVersion: string | null): RttModel {
  const tlsRoundTrips = tlsVersion === null ? 0 : tlsVersion === 'TLSv1.3' ? 1 : 2;
  let rttMs = median.tcpMs;
  let source: RttModel['source'] = 'tcp';
  // A local relay or proxy answers the TCP handshake itself: then the TLS round trips say more.
  if (tlsRoundTrips > 0 && median.tlsMs / tlsRoundTrips > 2 * median.tcpMs + 1) {
    rttMs = median.tlsMs / tlsRoundTrips;
    source = 'tls';
  }
  // When the TCP handshake did not cost the RTT (answered nearby), count what it did cost.
  const protocolMs = {
    tcpMs: source === 'tls' ? median.tcpMs : rttMs,
    tlsMs: tlsRoundTrips * rttMs,
    requestMs: rttMs,
    totalMs: 0,
  };
  protocolMs.totalMs = median.dnsMs + protocolMs.tcpMs + protocolMs.tlsMs + protocolMs.requestMs;
  return { rttMs, source, tlsRoundTrips, protocolMs, serverMs: Math.max(0, median.ttfbMs - rttMs) };
}

export interface TraceRequestEvent {
  sample: number;
  of: number;
  leg: LegLabel;
}

/** Run the samples, legs interleaved. Network failures are results; throws only for bad input. */
export async function runTraceRequest(o: TraceRequestOptions, onEvent?: (e: TraceRequestEvent) => void): Promise<TraceRequestResult> {
  const legs = legsOf(o);
  const collected = legs.map(() => ({ ok: [] as SampleOk[], failed: [] as Array<{ sample: number; f: SampleFailed }> }));
  if (o.warmUp) {
    const { warmUp } = await import('../protocol/http/warm-up.js');
    await warmUp(o.url.protocol === 'https:', { defaultRoots: !o.ca });
  }
  for (let i = 0; i < o.samples; i++) {
    for (const [li, leg] of legs.entries()) {
      onEvent?.({ sample: i + 1, of: o.samples, leg: leg.label });
      // --origin-ca adds to the anchors in force: --ca if given, else Node's default roots
      const ca = leg.label === 'origin' && o.originCa ? [...o.originCa, ...(o.ca ?? tls.rootCertificates)] : o.ca;
      const s = await timeRequest(o.url, {
        pinAddress: leg.pin,
        resolver: o.resolver,
        method: o.method,
        headers: o.headers,
        ca,
        insecure: o.insecure,
        timeoutMs: o.timeoutMs,
      });
      if (s.ok) collected[li]!.ok.push(s);
      else collected[li]!.failed.push({ sample: i + 1, f: s });
    }
    if (o.intervalMs > 0 && i < o.samples - 1) await new Promise((r) => setTimeout(r, o.intervalMs));
  }
  const problems: TraceRequestResult['problems'] = [];
  const paths: PathResult[] = legs.map((leg, li) => {
    const { ok, failed } = collected[li]!;
    const phases = ok.map((s) => s.phases);
    const median = phases.length ? aggregate(phases, 'median') : null;
    const last = ok[ok.length - 1];
    let firstDiffers: boolean | null = null;
    if (phases.length >= 3) {
      const rest = summarise(phases.slice(1).map((p) => p.totalMs)).median;
      const d = Math.abs(phases[0]!.totalMs - rest);
      firstDiffers = d > 2 && d > 0.25 * rest;
    }
    const port = Number(o.url.port || (o.url.protocol === 'https:' ? 443 : 80));
    const p: PathResult = {
      label: leg.label,
      address: leg.pin ?? last?.remoteAddress ?? '',
      port,
      samples: o.samples,
      succeeded: ok.length,
      status: last?.status ?? null,
      httpVersion: last ? `HTTP/${last.httpVersion}` : null,
      tlsVersion: last?.tlsVersion ?? null,
      phases: median,
      p95: phases.length ? aggregate(phases, 'p95') : null,
      first: phases[0] ?? null,
      firstDiffers,
      cache: last ? cacheEvidence(last.headers) : null,
      cacheBySample: ok.map((s) => cacheEvidence(s.headers).verdict),
      rtt: median ? rttModel(median, last?.tlsVersion ?? null) : null,
      errors: failed.map(({ sample, f }) => ({ sample, phase: f.phase, error: f.error, partial: f.partial })),
      verificationOff: o.insecure && o.url.protocol === 'https:',
    };
    for (const e of p.errors.slice(0, 1)) {
      const many = p.errors.length > 1 ? ` (${p.errors.length} of ${o.samples} samples failed)` : '';
      problems.push({ code: `${e.phase.toUpperCase()}_FAILED`, severity: 'CRITICAL', message: `${leg.label}: ${e.phase} failed: ${e.error}${many}` });
    }
    const bad = ok.find((s) => s.status >= 400);
    if (bad) problems.push({ code: 'HTTP_ERROR', severity: 'CRITICAL', message: `${leg.label}: HTTP ${bad.status}` });
    return p;
  });
  let difference: Phases | null = null;
  if (paths.length === 2 && paths[0]!.phases && paths[1]!.phases) {
    difference = {} as Phases;
    for (const k of PHASE_KEYS) difference[k] = paths[1]!.phases[k] - paths[0]!.phases[k];
  }
  return {
    url: o.url.toString(),
    status: problems.length > 0 ? 'CRITICAL' : 'OK',
    paths,
    difference,
    problems,
  };
}
