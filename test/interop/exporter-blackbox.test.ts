/**
 * issue 13, "side by side with the real peer": the real blackbox_exporter 0.23 (Debian
 * prometheus-blackbox-exporter) and `netlab exporter` probe the same lab targets, HTTP, HTTPS,
 * TLS and DNS (Host and SNI kept, the lab's CA trusted by both), and for every metric both
 * expose the values agree:
 *  - exactly: probe_success, probe_http_status_code, probe_http_version, probe_http_ssl,
 *    probe_dns_answer_rrs / authority / additional, probe_dns_serial, probe_ip_protocol,
 *    probe_ssl_earliest_cert_expiry, probe_ssl_last_chain_expiry_timestamp_seconds, and the
 *    version label of probe_tls_version_info;
 *  - durations (probe_http_duration_seconds{phase}, probe_dns_lookup_time_seconds,
 *    probe_duration_seconds): both non-negative, both under 1 s on loopback: the same order,
 *    not a timing threshold between the two (machines are noisy);
 *  - a metric both expose that is in neither list fails the test, so a new shared metric is
 *    judged here, not skipped silently.
 * Skipped with the reason when blackbox_exporter is absent (.ci/run installs it when root).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '../../src/lab/index.js';
import { loadModules } from '../../src/check/load.js';
import { startExporter, type Exporter } from '../../src/commands/exporter/server.js';
import { BLACKBOX, BLACKBOX_MISSING, scrape, startBlackbox, type Daemon, type Sample } from '../helpers/exposition.js';

const skip = BLACKBOX ? false : BLACKBOX_MISSING;

/** Shared metrics whose values must be equal (labels compared too, less netlab's path label). */
const EXACT = new Set([
  'probe_success', 'probe_http_status_code', 'probe_http_version', 'probe_http_ssl',
  'probe_dns_answer_rrs', 'probe_dns_authority_rrs', 'probe_dns_additional_rrs', 'probe_dns_serial',
  'probe_ip_protocol', 'probe_ssl_earliest_cert_expiry', 'probe_ssl_last_chain_expiry_timestamp_seconds',
  'probe_tls_version_info', 'probe_ssl_last_chain_info', 'probe_dns_query_succeeded',
]);
/** Shared metrics that are durations: both in [0, 1 s) on loopback. */
const DURATIONS = new Set(['probe_duration_seconds', 'probe_http_duration_seconds', 'probe_dns_lookup_time_seconds', 'probe_dns_duration_seconds']);
/**
 * Shared metrics whose values differ by design (netlab-exporter(1), COMPARED WITH
 * BLACKBOX_EXPORTER): none is expected; a name added here must be documented there.
 */
const DIFFER = new Map<string, string>();
const TOLERANCE_S = 1;

let lab: Lab;
let dir = '';
let blackbox: Daemon;
let exporter: Exporter;
let base = '';
const targets: Record<string, { netlab: string; blackbox: string }> = {};

before(async () => {
  if (!BLACKBOX) return;
  lab = await startLab({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'netlab-exporter-blackbox-'));
  const ca = lab.tls.caFile;
  const origin = lab.http.origin.address;
  const dns = `127.53.0.3:${lab.port}`;
  // the same target for both where the forms agree; blackbox's HTTP prober takes the address
  // in the URL and the name in Host and server_name (as curl --connect-to does for netlab)
  targets.http = { netlab: `http://www.example.test:${lab.http.httpPort}/`, blackbox: `http://${origin}:${lab.http.httpPort}/` };
  targets.https = { netlab: `https://www.example.test:${lab.http.httpsPort}/`, blackbox: `https://${origin}:${lab.http.httpsPort}/` };
  targets.tls = { netlab: `www.example.test:${lab.tls.port}`, blackbox: `127.54.0.1:${lab.tls.port}` };
  targets.dns = { netlab: dns, blackbox: dns };
  targets.dns_soa = { netlab: dns, blackbox: dns };
  blackbox = await startBlackbox(dir, `
modules:
  http:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
      headers: { Host: www.example.test }
  https:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
      headers: { Host: www.example.test }
      tls_config: { ca_file: ${ca}, server_name: www.example.test }
  tls:
    prober: tcp
    timeout: 5s
    tcp:
      preferred_ip_protocol: ip4
      tls: true
      tls_config: { ca_file: ${ca}, server_name: www.example.test }
  dns:
    prober: dns
    timeout: 5s
    dns: { query_name: www.example.test, query_type: A, transport_protocol: udp, preferred_ip_protocol: ip4 }
  dns_soa:
    prober: dns
    timeout: 5s
    dns: { query_name: example.test, query_type: SOA, transport_protocol: udp, preferred_ip_protocol: ip4 }
`);
  const config = `
modules:
  - name: http
    trace-request: --origin ${origin} --no-resolved
  - name: https
    trace-request: --ca ${ca} --origin ${origin} --no-resolved
  - name: tls
    cert-check: --ca ${ca} --connect-to 127.54.0.1
  # blackbox_exporter 0.23 sends no EDNS; netlab's dig does by default, and the reply's OPT
  # record is then one more additional record (netlab-exporter(1)): the same query here
  - name: dns
    dig: www.example.test A +noedns
  - name: dns_soa
    dig: example.test SOA +noedns
  - name: dns_edns
    dig: www.example.test A
`;
  exporter = await startExporter({
    host: '127.0.0.1', port: 0, allow: { cidrs: [], names: ['*.example.test'] }, maxInFlight: 8,
    load: () => loadModules(config, 'exporter.yml'), log: () => undefined,
  });
  base = `http://127.0.0.1:${exporter.address.port}`;
});

after(async () => {
  await exporter?.close();
  await blackbox?.close();
  await lab?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A sample's labels as a key, without netlab's path label (blackbox has one path). */
function key(s: Sample): string {
  const { path: _path, ...rest } = s.labels;
  return JSON.stringify(Object.entries(rest).sort());
}

/** netlab's samples of one name: the pinned path's only (path="origin" for trace-request). */
function netlabOf(samples: Sample[], name: string): Sample[] {
  return samples.filter((s) => s.name === name && (s.labels.path === undefined || s.labels.path === 'origin'));
}

async function compare(module: string, t: import('node:test').TestContext): Promise<{ shared: string[]; nl: Sample[]; bb: Sample[] }> {
  const { netlab: nt, blackbox: bt } = targets[module]!;
  const [n, b] = await Promise.all([scrape(base, module, nt), scrape(blackbox.base, module, bt)]);
  assert.equal(n.status, 200, n.body);
  assert.equal(b.status, 200, b.body);
  const names = (ss: Sample[]) => new Set(ss.map((s) => s.name));
  const bNames = names(b.samples);
  const shared = [...names(n.samples)].filter((x) => bNames.has(x)).sort();
  t.diagnostic(`${module}: shared metrics: ${shared.join(', ')}`);
  for (const name of shared) {
    const nl = netlabOf(n.samples, name);
    const bb = b.samples.filter((s) => s.name === name);
    t.diagnostic(`  ${name}: netlab ${nl.map((s) => `${key(s)}=${s.value}`).join(' ')} | blackbox ${bb.map((s) => `${key(s)}=${s.value}`).join(' ')}`);
    if (EXACT.has(name)) {
      assert.deepEqual(nl.map((s) => [key(s), s.value]).sort(), bb.map((s) => [key(s), s.value]).sort(), `${module}: ${name} differs\nnetlab:\n${n.body}\nblackbox:\n${b.body}`);
    } else if (DURATIONS.has(name)) {
      for (const s of [...nl, ...bb]) assert.ok(s.value >= 0 && s.value < TOLERANCE_S, `${module}: ${name}${key(s)} = ${s.value} s, not in [0, ${TOLERANCE_S}) s`);
      // netlab's phases are blackbox's (probe_dns_duration_seconds: netlab measures phase="request" only)
      const bbKeys = new Set(bb.map(key));
      for (const s of nl) assert.ok(bbKeys.has(key(s)), `${module}: ${name}${key(s)} is not one of blackbox_exporter's: ${[...bbKeys].join(' ')}`);
      if (name === 'probe_http_duration_seconds') assert.equal(nl.length, bb.length, `${module}: the same five phases`);
    } else if (!DIFFER.has(name)) {
      assert.fail(`${module}: ${name} is exposed by both and not compared: add it to EXACT or DURATIONS (or document it in netlab-exporter(1) and DIFFER)`);
    }
  }
  return { shared, nl: n.samples, bb: b.samples };
}

test('HTTP: the same status code, version, phases and success as blackbox_exporter', { skip }, async (t) => {
  const { shared } = await compare('http', t);
  for (const name of ['probe_success', 'probe_http_status_code', 'probe_http_version', 'probe_http_duration_seconds']) assert.ok(shared.includes(name), `${name} not shared: ${shared.join(', ')}`);
});

test('HTTPS: the same status, TLS version and certificate expiry as blackbox_exporter', { skip }, async (t) => {
  const { shared } = await compare('https', t);
  for (const name of ['probe_success', 'probe_http_status_code', 'probe_tls_version_info', 'probe_http_duration_seconds']) assert.ok(shared.includes(name), `${name} not shared: ${shared.join(', ')}`);
});

test('TLS: the same certificate expiry (earliest and last chain) and TLS version as blackbox_exporter', { skip }, async (t) => {
  const { shared } = await compare('tls', t);
  for (const name of ['probe_success', 'probe_ssl_earliest_cert_expiry', 'probe_ssl_last_chain_expiry_timestamp_seconds', 'probe_tls_version_info']) assert.ok(shared.includes(name), `${name} not shared: ${shared.join(', ')}`);
});

test('DNS: the same answer, authority and additional counts as blackbox_exporter', { skip }, async (t) => {
  const { shared } = await compare('dns', t);
  for (const name of ['probe_success', 'probe_dns_answer_rrs', 'probe_dns_authority_rrs', 'probe_dns_additional_rrs']) assert.ok(shared.includes(name), `${name} not shared: ${shared.join(', ')}`);
});

test("DNS with EDNS (netlab dig's default): one more additional record, the reply's OPT, and nothing else differs", { skip }, async () => {
  const [n, b] = await Promise.all([scrape(base, 'dns_edns', targets.dns!.netlab), scrape(blackbox.base, 'dns', targets.dns!.blackbox)]);
  const v = (ss: Sample[], name: string) => ss.find((s) => s.name === name)?.value;
  assert.equal(v(n.samples, 'probe_dns_additional_rrs'), (v(b.samples, 'probe_dns_additional_rrs') ?? NaN) + 1, n.body);
  for (const name of ['probe_success', 'probe_dns_answer_rrs', 'probe_dns_authority_rrs']) assert.equal(v(n.samples, name), v(b.samples, name), name);
});

test('DNS SOA: the same serial as blackbox_exporter', { skip }, async (t) => {
  const { shared, nl } = await compare('dns_soa', t);
  assert.ok(shared.includes('probe_dns_serial'), `probe_dns_serial not shared: ${shared.join(', ')}`);
  assert.ok((nl.find((s) => s.name === 'probe_dns_serial')?.value ?? 0) > 0);
});
