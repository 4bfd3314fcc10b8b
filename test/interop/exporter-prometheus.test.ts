/**
 * issue 13: a real Prometheus 2.42 (Debian prometheus) scrapes `netlab exporter` through the
 * multi-target relabel config as shipped (examples/exporter/prometheus.yml, its alert rules
 * loaded too): only the exporter's address, the lab's ports and the intervals are changed by
 * the test (scrape_interval 2 s, its own --storage.tsdb.path, --web.listen-address on
 * 127.0.0.1 with a free port). The test reads probe_success and the certificate expiry of each
 * target back from Prometheus's query API (/api/v1/query), waiting at most 30 s (Prometheus
 * needs ~5-7 s to its first sample here), then stops Prometheus (SIGTERM, exit 0) and the
 * exporter. Skipped with the reason when prometheus is absent (.ci/run installs it when root).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startLab, type Lab } from '../../src/lab/index.js';
import { loadModules } from '../../src/check/load.js';
import { labPlaceholders, EXAMPLES_DIR } from '../../src/commands/demo/lab-checks.js';
import { startExporter, type Exporter } from '../../src/commands/exporter/server.js';
import { parseExposition, scrape } from '../helpers/exposition.js';
import { freePorts, which } from '../helpers/tools.js';

const PROMETHEUS = which('prometheus');
const skip = PROMETHEUS ? false : 'prometheus is not installed (apt-get install prometheus; .ci/run installs it when root)';
const FIRST_SAMPLES_BOUND_MS = 30_000;

let lab: Lab;
let dir = '';
let exporter: Exporter;
let prometheus: ChildProcess | undefined;
let promBase = '';
let promLog = '';

interface Job { job_name: string; params?: { module: string[] }; static_configs: Array<{ targets: string[]; labels?: Record<string, string> }>; relabel_configs?: Array<{ replacement?: string }> }

/** Each probe job the test expects in Prometheus: job, module, target. */
const jobs: Array<{ job: string; module: string; target: string; success: 0 | 1; cert: boolean }> = [];

before(async () => {
  if (!PROMETHEUS) return;
  lab = await startLab({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'netlab-exporter-prometheus-'));
  const vars = labPlaceholders(lab);
  const configText = readFileSync(join(EXAMPLES_DIR, 'exporter', 'netlab-exporter.yml'), 'utf8');
  exporter = await startExporter({
    host: '127.0.0.1', port: 0, allow: { cidrs: [], names: [] }, maxInFlight: 16,
    load: () => loadModules(configText, 'netlab-exporter.yml', { vars }), log: () => undefined,
  });
  const exporterAddress = `127.0.0.1:${exporter.address.port}`;

  // the shipped Prometheus config, its exporter address and targets made this lab's
  const prom = parse(readFileSync(join(EXAMPLES_DIR, 'exporter', 'prometheus.yml'), 'utf8')) as { global: Record<string, string>; scrape_configs: Job[] };
  prom.global.scrape_interval = '2s';
  prom.global.scrape_timeout = '2s';
  prom.global.evaluation_interval = '2s';
  const byName = new Map(prom.scrape_configs.map((j) => [j.job_name, j]));
  const tls = byName.get('netlab_tls');
  const lb = byName.get('netlab_lb');
  assert.ok(tls && lb && byName.get('netlab_exporter'), 'examples/exporter/prometheus.yml has the jobs netlab_tls, netlab_lb and netlab_exporter');
  const probeJob = (template: Job, name: string, module: string, target: string): Job => {
    const j = structuredClone(template);
    j.job_name = name;
    j.params = { module: [module] };
    j.static_configs = [{ targets: [target], labels: { vantage: 'lab' } }];
    for (const r of j.relabel_configs ?? []) if (r.replacement === '127.0.0.1:9116') r.replacement = exporterAddress;
    return j;
  };
  jobs.push(
    { job: 'netlab_tls', module: 'tls_www', target: `www.example.test:${vars['tls-port']}`, success: 1, cert: true },
    { job: 'netlab_tls_expired', module: 'tls_expired', target: `www.example.test:${vars['tls-port']}`, success: 0, cert: true },
    { job: 'netlab_https', module: 'https_origin_cdn', target: `https://www.example.test:${vars['https-port']}/`, success: 1, cert: false },
    { job: 'netlab_dns', module: 'dns_www', target: '127.53.0.3', success: 1, cert: false },
    { job: 'netlab_lb', module: 'lb_split', target: `127.56.0.11:${vars['lb-port']}`, success: 1, cert: false },
  );
  const own = byName.get('netlab_exporter')!;
  own.static_configs = [{ targets: [exporterAddress] }];
  prom.scrape_configs = [...jobs.map((j) => probeJob(j.job === 'netlab_lb' ? lb : tls, j.job, j.module, j.target)), own];
  writeFileSync(join(dir, 'prometheus.yml'), stringify(prom));
  copyFileSync(join(EXAMPLES_DIR, 'exporter', 'alerts.yml'), join(dir, 'alerts.yml'));

  const [port] = await freePorts(1);
  promBase = `http://127.0.0.1:${port}`;
  prometheus = spawn(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  prometheus.stderr!.setEncoding('utf8').on('data', (d: string) => (promLog = (promLog + d).slice(-8000)));
});

/** Stop Prometheus: SIGTERM, its exit within 10 s (then SIGKILL); the exit code. */
async function stopPrometheus(): Promise<number | null> {
  const p = prometheus;
  prometheus = undefined;
  if (!p || p.exitCode !== null || p.signalCode !== null) return p?.exitCode ?? null;
  const exited = new Promise<number | null>((resolve) => p.once('exit', (code) => resolve(code)));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
  const code = await exited;
  clearTimeout(t);
  return code;
}

after(async () => {
  await stopPrometheus();
  await exporter?.close();
  await lab?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** An instant query: job -> value (the series of `query`, by their job label). */
async function query(q: string): Promise<Map<string, { value: number; labels: Record<string, string> }>> {
  const r = await fetch(`${promBase}/api/v1/query?query=${encodeURIComponent(q)}`, { signal: AbortSignal.timeout(2000) });
  const body = (await r.json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  assert.equal(body.status, 'success');
  return new Map(body.data.result.map((s) => [s.metric.job!, { value: Number(s.value[1]), labels: s.metric }]));
}

test('Prometheus scrapes netlab exporter through the multi-target relabel config: probe_success and certificate expiry per target', { skip }, async (t) => {
  const t0 = Date.now();
  let got = new Map<string, { value: number; labels: Record<string, string> }>();
  while (Date.now() - t0 < FIRST_SAMPLES_BOUND_MS) {
    if (prometheus?.exitCode !== null && prometheus?.exitCode !== undefined) assert.fail(`prometheus exited ${prometheus.exitCode}: ${promLog}`);
    try {
      got = await query('probe_success');
      // the latest sample of each job as expected: a machine under load may make one scrape's
      // probe miss its 1.5 s deadline (scrape_timeout 2 s minus the margin); the next one counts
      if (jobs.every((j) => got.get(j.job)?.value === j.success)) break;
    } catch {
      // not ready yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  t.diagnostic(`every target's expected sample in Prometheus after ${Date.now() - t0} ms`);
  for (const j of jobs) {
    const s = got.get(j.job);
    assert.ok(s, `no probe_success for job ${j.job} within ${FIRST_SAMPLES_BOUND_MS} ms; got ${[...got.keys()].join(', ')}; prometheus: ${promLog}`);
    assert.equal(s.value, j.success, `probe_success of ${j.job}`);
    // the relabelling: the target is the instance, the static label kept
    assert.equal(s.labels.instance, j.target);
    assert.equal(s.labels.vantage, 'lab');
  }
  // the certificate expiry, as the exporter gives it directly
  const expiry = await query('probe_ssl_earliest_cert_expiry');
  for (const j of jobs.filter((x) => x.cert)) {
    const direct = (await scrape(`http://127.0.0.1:${exporter.address.port}`, j.module, j.target)).samples.find((s) => s.name === 'probe_ssl_earliest_cert_expiry');
    assert.ok(direct, `the exporter gives probe_ssl_earliest_cert_expiry for ${j.job}`);
    assert.equal(expiry.get(j.job)?.value, direct.value, `probe_ssl_earliest_cert_expiry of ${j.job} in Prometheus`);
  }
  assert.ok((expiry.get('netlab_tls_expired')?.value ?? Infinity) < Date.now() / 1000, 'the expired chain expires in the past');
  // the exporter's own job: up, its probe counters scraped
  const up = await query('up{job="netlab_exporter"}');
  assert.equal(up.get('netlab_exporter')?.value, 1);
  const own = parseExposition(await (await fetch(`http://127.0.0.1:${exporter.address.port}/metrics`)).text());
  assert.ok(own.some((s) => s.name === 'netlab_exporter_probes_total' && s.labels.module === 'tls_www' && s.value >= 1));
  // no rule failed to load or evaluate
  const rules = (await (await fetch(`${promBase}/api/v1/rules`)).json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string }> }> } };
  const all = rules.data.groups.flatMap((g) => g.rules);
  assert.ok(all.length >= 5, 'the alert rules of examples/exporter/alerts.yml are loaded');
  assert.equal(await stopPrometheus(), 0, `prometheus stops cleanly on SIGTERM: ${promLog}`);
});
