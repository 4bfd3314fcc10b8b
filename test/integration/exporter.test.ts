/**
 * issue 13: `netlab exporter` on the lab, started once for the file, the exporter in process:
 * every module kind probed over HTTP with its metric values checked; the 400s (unknown module,
 * no target, a bad target, a disallowed target refused before any connection); the scrape's
 * timeout header; the in-flight limit (503); reload, good and bad; the exporter's own metrics;
 * and a few spawns of the binary (a bad config, a listen address in use, SIGTERM and SIGHUP).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '../../src/lab/index.js';
import { loadModules, ChecksFileError } from '../../src/check/load.js';
import { parseAllow, TargetPolicy } from '../../src/check/probe.js';
import type { ModuleDef } from '../../src/check/model.js';
import { labPlaceholders, EXAMPLES_DIR } from '../../src/commands/demo/lab-checks.js';
import { startExporter, type Exporter } from '../../src/commands/exporter/server.js';
import { runCli, startCli, waitFor } from '../helpers/cli.js';
import { startHostile, type HostileServer } from '../helpers/hostile.js';
import { testKeySource } from '../helpers/test-keys.js';

let lab: Lab;
let dir = '';
let exporter: Exporter;
let base = '';
let silent: HostileServer;
let configText = '';
const logs: string[] = [];
let tlsPort = '';
let httpsUrl = '';
let lbPort = '';
let dnsPort = '';

/** The lab's modules, and a slow one: a DNS server that never answers. */
function config(extra = ''): string {
  return `${configText}
  - name: dns_silent
    dig: www.example.test A +time=10 +tries=1
    timeout: 10s
${extra}`;
}

before(async () => {
  lab = await startLab({ port: 0, keySource: testKeySource() });
  dir = mkdtempSync(join(tmpdir(), 'netlab-exporter-'));
  // the example as shipped; this lab's ports and CA come as --set gives them
  configText = readFileSync(join(EXAMPLES_DIR, 'exporter', 'netlab-exporter.yml'), 'utf8');
  const vars = labPlaceholders(lab);
  tlsPort = vars['tls-port']!;
  httpsUrl = `https://www.example.test:${vars['https-port']!}/`;
  lbPort = vars['lb-port']!;
  dnsPort = vars['dns-port']!;
  silent = await startHostile({ udp: () => [] });
  let text = config();
  exporter = await startExporter({
    host: '127.0.0.1', port: 0, allow: { cidrs: [], names: [] }, maxInFlight: 2,
    load: () => loadModules(text, 'exporter.yml', { vars: labPlaceholders(lab) }), log: (l) => logs.push(l),
  });
  base = `http://127.0.0.1:${exporter.address.port}`;
  // the reload test swaps the text
  setText = (t) => (text = t);
});

let setText: (t: string) => void = () => undefined;

after(async () => {
  await exporter?.close();
  await silent?.close();
  await lab?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** GET a probe: status, content type, body, and the samples as `name{labels}` -> value. */
async function probe(module: string, target: string, headers: Record<string, string> = {}) {
  const r = await fetch(`${base}/probe?module=${encodeURIComponent(module)}&target=${encodeURIComponent(target)}`, { headers });
  const body = await r.text();
  const samples = new Map<string, number>();
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    samples.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return { status: r.status, type: r.headers.get('content-type'), body, samples };
}

async function ownMetrics(): Promise<string> {
  return (await fetch(`${base}/metrics`)).text();
}

test('every module kind, probed over HTTP: exact metric values', async () => {
  const dns = await probe('dns_www', '127.53.0.3');
  assert.equal(dns.status, 200);
  assert.equal(dns.type, 'text/plain; version=0.0.4; charset=utf-8');
  assert.equal(dns.samples.get('probe_success'), 1);
  assert.equal(dns.samples.get('probe_dns_answer_rrs'), 1);
  assert.ok(dns.samples.has('probe_duration_seconds'));

  const soa = await probe('dns_soa', `127.53.0.3:${dnsPort}`);
  assert.equal(soa.samples.get('probe_success'), 1);
  assert.ok((soa.samples.get('probe_dns_serial') ?? 0) > 2000000000, soa.body);

  const tls = await probe('tls_www', `www.example.test:${tlsPort}`);
  assert.equal(tls.samples.get('probe_success'), 1);
  assert.equal(tls.samples.get('probe_ip_protocol'), 4);
  assert.ok(tls.samples.has('probe_ssl_earliest_cert_expiry'));
  const expired = await probe('tls_expired', `www.example.test:${tlsPort}`);
  assert.equal(expired.status, 200, 'a failed probe is a 200 with probe_success 0, never a 5xx');
  assert.equal(expired.samples.get('probe_success'), 0);
  assert.equal(expired.samples.get('netlab_check_problems{code="EXPIRED",severity="CRITICAL"}'), 1, expired.body);

  const http = await probe('https_origin_cdn', httpsUrl);
  assert.equal(http.samples.get('probe_success'), 1);
  assert.equal(http.samples.get('probe_http_status_code{path="origin"}'), 200);
  assert.equal(http.samples.get('probe_http_status_code{path="cdn"}'), 200);

  const lb = await probe('lb_split', `127.56.0.11:${lbPort}`);
  assert.equal(lb.samples.get('probe_success'), 1);
  assert.equal(lb.samples.get('netlab_lb_probes_sent'), 100);
  assert.equal(lb.samples.get('netlab_lb_distribution_matches'), 1);
  const dead = await probe('lb_dead_backend', `127.56.0.16:${lbPort}`);
  assert.equal(dead.samples.get('netlab_check_problems{code="BACKEND_DOWN",severity="WARNING"}'), 1, dead.body);

  const zone = await probe('zone_hosts', `127.53.0.3:${dnsPort}`);
  assert.equal(zone.samples.get('probe_success'), 1);
  assert.equal(zone.samples.get('netlab_zone_verify_reachable'), 1);
  assert.equal(zone.samples.get('netlab_zone_verify_mismatches'), 0);

  const own = await ownMetrics();
  assert.match(own, /^netlab_exporter_probes_total\{module="dns_www",result="success"\} 1$/m);
  assert.match(own, /^netlab_exporter_probes_total\{module="tls_expired",result="failure"\} 1$/m);
  assert.match(own, /^netlab_exporter_probe_duration_seconds_count\{module="lb_split"\} 1$/m);
  assert.match(own, /^process_resident_memory_bytes \d+$/m);
  assert.match(own, /^process_open_fds \d+$/m);
});

// issue 13 (resident memory): Node keeps a signal of AbortSignal.any alive while it has an
// abort listener and has not aborted, so a listener left on a probe's signal keeps the probe's
// whole state; every listener a probe adds is removed when it ends
test('no abort listener outlives its probe (every module kind)', async () => {
  // every signal made while the probes run: of a controller (the run's stop, each attempt's) or
  // of AbortSignal.any (which Node keeps alive while it has a listener and has not aborted)
  const made: AbortSignal[] = [];
  const any = AbortSignal.any.bind(AbortSignal);
  const Controller = globalThis.AbortController;
  AbortSignal.any = (signals) => {
    const s = any(signals);
    made.push(s);
    return s;
  };
  globalThis.AbortController = class extends Controller {
    constructor() {
      super();
      // not the test's own fetch (Node's undici makes a controller per Request and keeps it)
      if (!/node:internal\/deps\/undici/.test(new Error().stack ?? '')) made.push(this.signal);
    }
  };
  try {
    assert.equal((await probe('dns_www', '127.53.0.3')).samples.get('probe_success'), 1);
    assert.equal((await probe('tls_www', `www.example.test:${tlsPort}`)).samples.get('probe_success'), 1);
    assert.equal((await probe('https_origin_cdn', httpsUrl)).samples.get('probe_success'), 1);
    assert.equal((await probe('lb_split', `127.56.0.11:${lbPort}`)).samples.get('probe_success'), 1);
    assert.equal((await probe('zone_hosts', `127.53.0.3:${dnsPort}`)).samples.get('probe_success'), 1);
  } finally {
    AbortSignal.any = any;
    globalThis.AbortController = Controller;
  }
  assert.ok(made.length >= 10, `two signals a probe at least (the run's stop, the attempt's): ${made.length}`);
  const left = made.map((s) => getEventListeners(s, 'abort').length);
  assert.deepEqual(left, made.map(() => 0));
});

test('OpenMetrics when the Accept header asks for it; debug=true answers the log as text', async () => {
  const om = await probe('dns_www', '127.53.0.3', { Accept: 'application/openmetrics-text; version=1.0.0' });
  assert.equal(om.type, 'application/openmetrics-text; version=1.0.0; charset=utf-8');
  assert.match(om.body, /# EOF\n$/);
  const r = await fetch(`${base}/probe?module=dns_www&target=127.53.0.3&debug=true`);
  assert.equal(r.status, 200);
  const text = await r.text();
  assert.match(text, /^run: dig -p \d+ www\.example\.test A @127\.53\.0\.3$/m);
  assert.match(text, /^OK in /m);
  assert.match(text, /^probe_success 1$/m);
});

test('bad requests are one-line 400s, counted; a disallowed target is refused before any connection', async () => {
  const before = await ownMetrics();
  assert.doesNotMatch(before, /reason="target_not_allowed"/);
  const cases: Array<[string, RegExp]> = [
    ['/probe?module=nope&target=127.0.0.1', /^unknown module 'nope' \(one of: dns_www, /],
    ['/probe?target=127.0.0.1', /^module parameter is missing/],
    ['/probe?module=dns_www', /^target parameter is missing\n/],
    ['/probe?module=dns_www&target=-p1', /a target cannot start with '-'/],
    ['/probe?module=lb_split&target=127.56.0.11', /needs a port/],
    // 192.0.2.1 is zone data only: the policy refuses it from its text, nothing is sent
    ['/probe?module=dns_www&target=192.0.2.1', /^target 192\.0\.2\.1 is not allowed \(allowed: loopback, the module's targets: in the config, and --allow CIDR\|NAME-PATTERN\)\n$/],
    ['/probe?module=tls_www&target=www.example.test:1', /^target www\.example\.test is not allowed/],
  ];
  for (const [path, re] of cases) {
    const r = await fetch(base + path);
    const body = await r.text();
    assert.equal(r.status, 400, path);
    assert.match(body, re, path);
    assert.equal(body.split('\n').length, 2, `one line: ${path}`);
  }
  const own = await ownMetrics();
  assert.match(own, /^netlab_exporter_requests_refused_total\{reason="unknown_module"\} 2$/m);
  assert.match(own, /^netlab_exporter_requests_refused_total\{reason="bad_target"\} 3$/m);
  assert.match(own, /^netlab_exporter_requests_refused_total\{reason="target_not_allowed"\} 2$/m);
  assert.equal((await fetch(`${base}/nothing`)).status, 404);
  assert.equal(await (await fetch(`${base}/-/healthy`)).text(), 'OK\n');
  assert.equal((await fetch(`${base}/-/ready`)).status, 200);
});

test('--allow: CIDRs and name patterns; a name is judged by every address it resolves to', async () => {
  const module = { targets: ['db.example.test:443'] } as ModuleDef;
  const resolved: Record<string, string[]> = { 'mixed.example.net': ['127.0.0.5', '192.0.2.7'], 'inside.example.net': ['10.1.2.3'], localhost: ['127.0.0.1', '::1'] };
  const policy = new TargetPolicy(parseAllow(['10.0.0.0/8', '*.example.org', '2001:db8::/32']), async (n) => resolved[n] ?? []);
  assert.equal(await policy.refusal(module, '10.9.9.9', '10.9.9.9'), null);
  assert.equal(await policy.refusal(module, '[2001:db8::1]:53', '2001:db8::1'), null);
  assert.equal(await policy.refusal(module, '::1', '::1'), null);
  assert.equal(await policy.refusal(module, 'a.b.example.org', 'a.b.example.org'), null);
  assert.equal(await policy.refusal(module, 'db.example.test:443', 'db.example.test'), null);
  assert.equal(await policy.refusal(module, 'inside.example.net', 'inside.example.net'), null);
  assert.equal(await policy.refusal(module, 'localhost', 'localhost'), null);
  assert.match((await policy.refusal(module, 'example.org', 'example.org'))!, /resolves to no address/);
  assert.match((await policy.refusal(module, 'mixed.example.net', 'mixed.example.net'))!, /resolves to 192\.0\.2\.7, which is not allowed/);
  assert.match((await policy.refusal(module, '192.0.2.1', '192.0.2.1'))!, /not allowed/);
  assert.match((await policy.refusal(module, '::ffff:192.0.2.1', '::ffff:192.0.2.1'))!, /not allowed/);
  assert.throws(() => parseAllow(['10.0.0.0/33']), /--allow '10\.0\.0\.0\/33' is not a CIDR/);
  assert.throws(() => parseAllow(['a b']), /neither a CIDR/);
});

test('the deadline follows X-Prometheus-Scrape-Timeout-Seconds; over --max-in-flight a scrape gets 503', async () => {
  const target = `${silent.address}:${silent.port}`;
  // two slow probes fill the limit (2); the third is refused at once
  const slow = [probe('dns_silent', target, { 'X-Prometheus-Scrape-Timeout-Seconds': '1.5' }), probe('dns_silent', target, { 'X-Prometheus-Scrape-Timeout-Seconds': '1.5' })];
  let third;
  for (let i = 0; i < 50; i++) {
    third = await fetch(`${base}/probe?module=dns_www&target=127.53.0.3`);
    if (third.status === 503) break;
    await third.text();
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(third!.status, 503);
  assert.match(await third!.text(), /^2 probes in flight, the most --max-in-flight allows/);
  for (const got of await Promise.all(slow)) {
    assert.equal(got.status, 200);
    assert.equal(got.samples.get('probe_success'), 0);
    // the module allows 10 s; the scrape 1.5 s minus blackbox_exporter's margin of 0.5 s
    assert.ok(got.samples.get('probe_duration_seconds')! < 5, got.body);
    assert.match(got.body, /^netlab_check_problems\{code="CHECK_TIMEOUT",severity="CRITICAL"\} 1$/m);
  }
  assert.match(await ownMetrics(), /^netlab_exporter_requests_refused_total\{reason="too_many_in_flight"\} [1-9]\d*$/m);
  const bad = await fetch(`${base}/probe?module=dns_www&target=127.53.0.3`, { headers: { 'X-Prometheus-Scrape-Timeout-Seconds': 'soon' } });
  assert.equal(bad.status, 400);
});

test('reload: a good config is taken, a bad one refused with the old one kept (log and metric)', async () => {
  setText(config(`  - name: dns_mx\n    dig: example.test MX\n`));
  const ok = await fetch(`${base}/-/reload`, { method: 'POST' });
  assert.equal(ok.status, 200);
  assert.equal((await probe('dns_mx', '127.53.0.3')).samples.get('probe_dns_answer_rrs'), 2);
  setText(config(`  - name: broken\n    dig: "@127.0.0.1 example.test"\n`));
  const bad = await fetch(`${base}/-/reload`, { method: 'POST' });
  assert.equal(bad.status, 500);
  assert.match(await bad.text(), /^failed to reload the config: exporter\.yml:\d+:\d+: a module has no target/);
  assert.match(await ownMetrics(), /^netlab_exporter_config_last_reload_successful 0$/m);
  assert.ok(logs.some((l) => /the config was not reloaded \(the old one is kept\)/.test(l)), logs.join('\n'));
  assert.equal((await probe('dns_mx', '127.53.0.3')).samples.get('probe_success'), 1);
  setText(config());
  assert.equal((await fetch(`${base}/-/reload`, { method: 'POST' })).status, 200);
  assert.match(await ownMetrics(), /^netlab_exporter_config_last_reload_successful 1$/m);
});

test('the config: modules: with FILE:LINE:COL errors', async () => {
  await assert.rejects(loadModules('modules:\n  - name: a\n    dig: "www.example.test A"\n    targets: [-x]\n  - name: b\n    cert-check: www.example.test:443\n', 'e.yml'), (e: unknown) => {
    assert.ok(e instanceof ChecksFileError);
    assert.deepEqual(e.message.split('\n').map((l) => l.replace(/: .*/, '')), ['e.yml:4:15', 'e.yml:6:17']);
    return true;
  });
  await assert.rejects(loadModules('checks: []\n', 'e.yml'), /e\.yml:1:1: checks: is netlab check's/);
  // a redirect followed by the probe would reach a target the allow rules never checked
  await assert.rejects(loadModules('modules:\n  - name: r\n    trace-request: -L 3 --samples 1\n', 'e.yml'), /e\.yml:3:20: trace-request -L\/--follow in an exporter module/);
});

test('the binary: a bad config and a listen address in use are one line, exit 3; SIGHUP reloads; SIGTERM stops it', async () => {
  const bad = join(dir, 'bad.yml');
  writeFileSync(bad, 'modules:\n  - name: x\n    dig: "@127.0.0.1 a"\n  - nam: y\n');
  const r1 = await runCli(['exporter', '--config', bad, '--listen', '127.0.0.1:0']);
  assert.equal(r1.code, 3);
  assert.match(r1.stderr, /^netlab exporter: .*bad\.yml:3:11: a module has no target: .* \(and \d+ more errors in the config\)\n$/);

  const good = join(dir, 'good.yml');
  writeFileSync(good, 'modules:\n  - name: dns\n    dig: "example.test SOA"\n');
  const busy: Server = createServer();
  await new Promise<void>((res) => busy.listen(0, '127.0.0.1', res));
  const port = (busy.address() as { port: number }).port;
  const r2 = await runCli(['exporter', '--config', good, '--listen', `127.0.0.1:${port}`]);
  busy.close();
  assert.equal(r2.code, 3);
  assert.equal(r2.stderr, `netlab exporter: cannot listen on 127.0.0.1:${port}: the address is in use\n`);

  const p = startCli(['exporter', '--config', good, '--listen', '127.0.0.1:0']);
  await waitFor(() => /listening on http:\/\/127\.0\.0\.1:\d+\//.test(p.out.stderr), 'the exporter to listen');
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(p.out.stderr)![1]!;
  assert.equal((await fetch(`${url}-/healthy`)).status, 200);
  p.child.kill('SIGHUP');
  await waitFor(() => /config reloaded, 1 module/.test(p.out.stderr), 'the reload');
  p.child.kill('SIGTERM');
  const done = await p.done;
  assert.equal(done.code, 0);
  assert.match(done.stderr, /netlab exporter: stopped\n$/);
});
