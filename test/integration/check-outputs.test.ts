/**
 * The writers of `netlab check` (issue 12) on REAL results: every subcommand run against the lab
 * (test/helpers/check-outcomes.ts), passing and failing, one check at a good and a broken
 * address; then what the metrics, the JUnit report and the annotations say about them, and
 * writeOutputs end to end: files written, a Pushgateway that refuses, that is not there, that
 * never answers, or whose certificate is not trusted (each one failure line, the files written
 * all the same), and output paths in a read-only directory refused before anything runs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '../../src/lab/index.js';
import { NetlabError } from '../../src/errors.js';
import { junitXml } from '../../src/check/junit.js';
import { exposition, metricFamilies, type MetricFamily } from '../../src/check/metrics.js';
import { annotations } from '../../src/check/github.js';
import { checkOutputPaths, writeOutputs } from '../../src/check/outputs.js';
import type { CheckOutcome, CheckRunResult } from '../../src/check/model.js';
import type { CertCheckResult } from '../../src/protocol/tls/check.js';
import type { TraceRequestResult } from '../../src/protocol/http/trace-request.js';
import type { LbProbeReport } from '../../src/protocol/lb/types.js';
import { labOutcomes, runOf, type LabOutcomes } from '../helpers/check-outcomes.js';
import { freePorts } from '../helpers/tools.js';
import { testKeySource } from '../helpers/test-keys.js';

let lab: Lab;
let outcomes: LabOutcomes;
let runAll: CheckRunResult;
let fams: MetricFamily[];
let dir: string;

before(async () => {
  lab = await startLab({ keySource: testKeySource() });
  outcomes = await labOutcomes(lab);
  runAll = runOf('lab-checks.yml', outcomes.all);
  fams = metricFamilies(runAll.checks);
  dir = mkdtempSync(join(tmpdir(), 'netlab-check-outputs-'));
});

after(async () => {
  outcomes?.close();
  await lab?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The value of one sample: the family, and the labels it must have (others ignored). */
function value(name: string, labels: Record<string, string>): number | undefined {
  const f = fams.find((x) => x.name === name);
  return f?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

function find(name: string, address?: string): CheckOutcome {
  return runAll.checks.find((o) => o.name === name && (address === undefined || o.address === address))!;
}

test('the lab outcomes are what the writers are tested on: every subcommand, passing and failing', () => {
  assert.deepEqual(outcomes.passing.map((o) => o.status), ['OK', 'OK', 'OK', 'OK', 'OK', 'OK']);
  assert.deepEqual(outcomes.failing.map((o) => [o.command, o.status, o.problems.map((p) => p.code).join(',')]), [
    ['dig', 'CRITICAL', 'NXDOMAIN'],
    ['cert-check', 'CRITICAL', 'EXPIRED'],
    ['trace-request', 'CRITICAL', 'TCP_FAILED'],
    ['lb-probe', 'WARNING', 'BACKEND_DOWN'],
    ['hosts2zone', 'CRITICAL', 'MISMATCH'],
    ['dig', 'WARNING', 'EXPECTATION_FAILED'],
  ]);
});

test('metrics: probe_success and netlab_check_status for exactly the broken checks and address', () => {
  const failed = fams.find((f) => f.name === 'probe_success')!.samples.filter((s) => s.value === 0).map((s) => `${s.labels.check}${s.labels.address ? ` [${s.labels.address}]` : ''}`);
  const expired = lab.tls.cases.find((c) => c.name === 'expired')!.address;
  assert.deepEqual(failed, ['missing name', `www certificate [${expired}]`, 'dead origin', 'zone drifted']);
  assert.deepEqual(fams.find((f) => f.name === 'netlab_check_status')!.samples.map((s) => s.value), [0, 0, 0, 0, 0, 0, 2, 2, 2, 1, 2, 1]);
  assert.equal(value('netlab_check_problems', { check: 'www certificate', address: expired, code: 'EXPIRED', severity: 'CRITICAL' }), 1);
  const good = lab.tls.cases.find((c) => c.name === 'good')!.address;
  assert.equal(fams.find((f) => f.name === 'netlab_check_problems')!.samples.some((s) => s.labels.address === good), false);
});

test('metrics from dig: the sections, the SOA serial, the RCODE, the round trip in seconds', () => {
  const www = find('www answers').result as { counts: { answer: number; authority: number; additional: number }; timeMs: number; msgSize: number };
  assert.equal(value('probe_dns_answer_rrs', { check: 'www answers' }), 1);
  assert.equal(value('probe_dns_authority_rrs', { check: 'www answers' }), www.counts.authority);
  assert.equal(value('probe_dns_additional_rrs', { check: 'www answers' }), www.counts.additional);
  assert.equal(value('probe_dns_duration_seconds', { check: 'www answers', phase: 'request' }), Math.round(www.timeMs * 1000) / 1e6);
  assert.equal(value('netlab_dns_response_size_bytes', { check: 'www answers' }), www.msgSize);
  assert.equal(value('probe_dns_serial', { check: 'zone serial' }), 2026112301);
  assert.equal(value('probe_dns_serial', { check: 'www answers' }), undefined);
  assert.equal(value('netlab_dns_rcode', { check: 'missing name', rcode: 'NXDOMAIN' }), 1);
  assert.equal(value('probe_dns_query_succeeded', { check: 'missing name' }), 1);
  assert.equal(value('probe_ip_protocol', { check: 'www answers' }), 4);
});

test("metrics from cert-check: blackbox_exporter's expiry and chain info from the chain sent", () => {
  for (const name of ['good', 'expired']) {
    const address = lab.tls.cases.find((c) => c.name === name)!.address;
    const r = find('www certificate', address).result as CertCheckResult;
    const earliest = Math.min(...r.chain.map((c) => Math.floor(Date.parse(c.notAfter) / 1000)));
    assert.equal(value('probe_ssl_earliest_cert_expiry', { check: 'www certificate', address }), earliest, name);
    assert.equal(value('netlab_tls_leaf_expiry_timestamp_seconds', { check: 'www certificate', address }), Math.floor(Date.parse(r.chain[0]!.notAfter) / 1000));
    assert.equal(value('probe_tls_version_info', { check: 'www certificate', address, version: r.tls!.protocol.replace('TLSv', 'TLS ') }), 1);
    assert.equal(value('probe_ssl_last_chain_info', { check: 'www certificate', address, fingerprint_sha256: r.chain[0]!.fingerprint256.replace(/:/g, '').toLowerCase(), subject: r.chain[0]!.subject.replace(/, (?=[A-Z]+=)/g, ',') }), 1);
    assert.equal(value('netlab_tls_chain_certificates', { check: 'www certificate', address }), r.chain.length);
    assert.equal(value('netlab_tls_chain_trusted', { check: 'www certificate', address }), r.trusted ? 1 : 0);
  }
});

test('metrics from trace-request: probe_http_duration_seconds per path and phase, the status, the version', () => {
  const r = find('www timing').result as TraceRequestResult;
  assert.deepEqual(r.paths.map((p) => p.label), ['origin', 'cdn']);
  for (const p of r.paths) {
    const phases = { resolve: p.phases!.dnsMs, connect: p.phases!.tcpMs, tls: p.phases!.tlsMs, processing: p.phases!.ttfbMs, transfer: p.phases!.transferMs };
    for (const [phase, ms] of Object.entries(phases)) assert.equal(value('probe_http_duration_seconds', { check: 'www timing', path: p.label, phase }), Math.round(ms * 1000) / 1e6, `${p.label} ${phase}`);
    assert.equal(value('probe_http_status_code', { check: 'www timing', path: p.label }), 200);
    assert.equal(value('probe_http_version', { check: 'www timing', path: p.label }), Number(p.httpVersion!.replace(/^HTTP\//, '')));
    assert.equal(value('probe_http_ssl', { check: 'www timing', path: p.label }), 1);
  }
  // the dead origin: status 0 (no response) and no phases; its CDN path still measured
  assert.equal(value('probe_http_status_code', { check: 'dead origin', path: 'origin' }), 0);
  assert.equal(value('probe_http_duration_seconds', { check: 'dead origin', path: 'origin', phase: 'connect' }), undefined);
  assert.equal(value('netlab_http_samples_succeeded', { check: 'dead origin', path: 'origin' }), 0);
  assert.equal(value('probe_http_status_code', { check: 'dead origin', path: 'cdn' }), 200);
});

test('metrics from lb-probe: shares and expected shares per backend, the chi-square p-value, the dead backend down', () => {
  const r = find('vip split').result as LbProbeReport;
  const shares = r.backends.map((b) => value('netlab_lb_backend_share_ratio', { check: 'vip split', backend: b.address! }));
  assert.deepEqual(shares, r.backends.map((b) => b.share));
  assert.equal(Math.round(shares.reduce((a, b) => a! + b!, 0)! * 1e9) / 1e9, 1);
  assert.deepEqual(r.backends.map((b) => value('netlab_lb_backend_expected_share_ratio', { check: 'vip split', backend: b.address! })), [0.6, 0.2, 0.2]);
  assert.equal(value('netlab_lb_chi_square_p_value', { check: 'vip split' }), r.distribution!.pValue);
  assert.equal(value('netlab_lb_probes_sent', { check: 'vip split' }), 50);
  const dead = find('vip with a dead backend').result as LbProbeReport;
  const down = dead.backends.filter((b) => b.healthy === false).map((b) => b.address!);
  assert.equal(down.length, 1);
  assert.equal(value('netlab_lb_backend_up', { check: 'vip with a dead backend', backend: down[0]! }), 0);
  assert.equal(value('netlab_lb_backend_answers', { check: 'vip with a dead backend', backend: down[0]! }), 0);
});

test('metrics from hosts2zone --verify: names checked and mismatches', () => {
  assert.equal(value('netlab_zone_verify_mismatches', { check: 'zone matches hosts' }), 0);
  assert.equal(value('netlab_zone_verify_mismatched_names', { check: 'zone drifted' }), 1);
  assert.equal(value('netlab_zone_verify_authoritative', { check: 'zone drifted' }), 1);
  assert.equal(value('netlab_zone_verify_names', { check: 'zone drifted' }), 1);
});

test('metrics as OpenMetrics (what the exporter answers Prometheus with): UNIT lines, the info family, # EOF', () => {
  const om = exposition(fams, 'openmetrics');
  assert.ok(om.endsWith('\n# EOF\n'));
  assert.match(om, /^# TYPE probe_duration_seconds gauge\n# UNIT probe_duration_seconds seconds$/m);
  assert.match(om, /^# TYPE netlab_dns_rcode info\n(netlab_dns_rcode_info\{check="[^"]+",rcode="\w+"\} 1\n)+/m);
  // blackbox_exporter's own _info gauges keep their names and type
  assert.match(om, /^# TYPE probe_tls_version_info gauge$/m);
  assert.equal(om.split('\n').filter((l) => !l.startsWith('#')).length, exposition(fams, 'prometheus').split('\n').filter((l) => !l.startsWith('#')).length);
});

test('junit and annotations name exactly the broken checks and address', () => {
  const xml = junitXml(runAll);
  assert.match(xml, /<testsuite name="lab-checks\.yml" tests="12" failures="6" errors="0" /);
  const failing = [...xml.matchAll(/<testcase classname="([^"]+)" name="([^"]+)"[^>]*>\n\s*<failure message="([^"]*)"/g)].map((m) => `${m[1]} ${m[2]}: ${m[3]!.split(':')[0]}`);
  const expired = lab.tls.cases.find((c) => c.name === 'expired')!.address;
  const good = lab.tls.cases.find((c) => c.name === 'good')!.address;
  assert.deepEqual(failing, [
    'netlab.check.dig missing name: NXDOMAIN',
    `netlab.check.cert-check www certificate [${expired}]: EXPIRED`,
    'netlab.check.trace-request dead origin: TCP_FAILED',
    'netlab.check.lb-probe vip with a dead backend: BACKEND_DOWN',
    'netlab.check.hosts2zone zone drifted: MISMATCH',
    'netlab.check.dig www answers fast: EXPECTATION_FAILED',
  ]);
  assert.match(xml, new RegExp(`name="www certificate \\[${good.replace(/\./g, '\\.')}\\]" time="[0-9.]+">\\n\\s*<system-out>status: OK`));
  const lines = annotations(runAll);
  assert.deepEqual(lines.map((l) => /title=netlab check%3A ([^:]*)::(\w+)/.exec(l)!.slice(1).join(' ')), [
    'missing name CRITICAL',
    `www certificate [${expired.replace(/\./g, '.')}] CRITICAL`,
    'dead origin CRITICAL',
    'vip with a dead backend WARNING',
    'zone drifted CRITICAL',
    'www answers fast WARNING',
  ]);
});

/** A local HTTP server answering every request with `status` and `body`, recording what it got. */
async function fakeGateway(status: number, body: string): Promise<{ url: string; got: Array<{ method: string; url: string; body: string; type: string }>; close(): Promise<void> }> {
  const got: Array<{ method: string; url: string; body: string; type: string }> = [];
  const server = http.createServer((req, res) => {
    let b = '';
    req.setEncoding('utf8').on('data', (d: string) => (b += d)).on('end', () => {
      got.push({ method: req.method!, url: req.url!, body: b, type: String(req.headers['content-type']) });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}`, got, close: () => new Promise((r) => server.close(() => r())) };
}

test('writeOutputs: the JUnit report, the metrics file, the annotations and the step summary; a push the Pushgateway refuses is one failure line', async () => {
  const gw = await fakeGateway(400, 'pushed metrics are invalid or inconsistent with existing metrics: example\nsecond line');
  try {
    const summary = join(dir, 'summary.md');
    writeFileSync(summary, '# earlier step\n');
    const options = { junit: join(dir, 'junit.xml'), metrics: join(dir, 'metrics.prom'), push: gw.url, github: true, stepSummary: summary };
    checkOutputPaths(options);
    const { annotations: lines, failures } = await writeOutputs(runAll, options);
    assert.equal(lines.length, 6);
    assert.deepEqual(failures, [`Pushgateway ${gw.url}/metrics/job/netlab/instance@base64/${Buffer.from('lab-checks.yml').toString('base64url')} refused the push: HTTP 400: pushed metrics are invalid or inconsistent with existing metrics: example`]);
    assert.equal(readFileSync(options.junit, 'utf8'), junitXml(runAll));
    const text = readFileSync(options.metrics, 'utf8');
    assert.match(text, /^probe_success\{check="missing name"\} 0$/m);
    // one PUT of exactly the metrics file, as the text format 0.0.4
    assert.equal(gw.got.length, 1);
    assert.equal(gw.got[0]!.method, 'PUT');
    assert.equal(gw.got[0]!.type, 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(gw.got[0]!.body, text);
    const md = readFileSync(summary, 'utf8');
    assert.ok(md.startsWith('# earlier step\n### ❌ netlab check: CRITICAL, lab-checks.yml\n'), md.slice(0, 100));
    assert.equal(md.split('\n').filter((l) => l.startsWith('| ❌') || l.startsWith('| ⚠️') || l.startsWith('| ✅')).length, 12);
  } finally {
    await gw.close();
  }
});

test('writeOutputs: a Pushgateway that is not there, that never answers, whose certificate is not trusted: one line each, the files written', async () => {
  const [deadPort] = await freePorts(1);
  // accepts the connection, reads, never answers
  const silent = net.createServer((s) => s.on('data', () => undefined));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const silentPort = (silent.address() as net.AddressInfo).port;
  const good = lab.tls.cases.find((c) => c.name === 'good')!;
  try {
    for (const [push, why] of [
      [`http://127.0.0.1:${deadPort}`, /did not answer: connection refused$/],
      [`http://user:secret@127.0.0.1:${silentPort}/`, /^Pushgateway http:\/\/127\.0\.0\.1:\d+\/metrics\/job\/netlab\/instance@base64\/[\w-]+ did not answer in 0\.3 s$/],
      // the lab's CA is not among the system's roots: verification is on
      [`https://${good.address}:${good.port}`, /did not answer: .*(certificate|self.signed|issuer)/i],
    ] as const) {
      const junit = join(dir, `j-${deadPort}.xml`);
      rmSync(junit, { force: true });
      const { failures } = await writeOutputs(runAll, { junit, push, pushTimeoutMs: 300 });
      assert.equal(failures.length, 1, push);
      assert.match(failures[0]!, why);
      assert.doesNotMatch(failures[0]!, /secret/);
      assert.ok(existsSync(junit));
    }
  } finally {
    await new Promise<void>((r) => silent.close(() => r()));
  }
});

test('output paths in a read-only directory: INPUT, one line, before anything runs', async (t) => {
  const ro = join(dir, 'ro');
  mkdirSync(ro);
  let undo = () => chmodSync(ro, 0o755);
  if (process.getuid?.() === 0) {
    // root writes through mode bits: a read-only tmpfs is what refuses it
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=16k', 'tmpfs', ro], { stdio: 'pipe' });
    } catch (e) {
      return t.skip(`cannot mount a read-only tmpfs here: ${(e as Error).message.split('\n')[0]}`);
    }
    undo = () => execFileSync('umount', [ro]);
  } else {
    chmodSync(ro, 0o555);
  }
  try {
    for (const key of ['junit', 'metrics'] as const) {
      const path = join(ro, 'out');
      assert.throws(() => checkOutputPaths({ [key]: path }), (e: unknown) => e instanceof NetlabError && e.code === 'INPUT' && e.message === `cannot write '${path}': its directory '${ro}': ${process.getuid?.() === 0 ? 'read-only file system' : 'permission denied'}`);
    }
  } finally {
    undo();
  }
});
