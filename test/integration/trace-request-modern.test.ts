/**
 * issue 15: trace-request for today's web, on the lab's 127.55.1.x servers (src/lab/http/modern.ts):
 * HTTP/2 by ALPN, TLS 1.2 and 1.3, session resumption, connection reuse. In process against
 * the library, one spawn of the binary. Only what the servers guarantee is asserted (versions,
 * labels, counts, zeros), no timing thresholds.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
// the lab's DNS, PKI and HTTP parts only (test/helpers/lab-parts.ts)
import { startLabParts, type LabParts } from '../helpers/lab-parts.js';
import { MODERN_HTTP_ADDRESSES as M } from '../../src/lab/http/modern-names.js';
import { traceRequest, type TraceRequestOptions, type TraceRequestResult } from '../../src/protocol/http/trace-request.js';
import { timeRequest, type Phases } from '../../src/protocol/http/timing.js';
import { runCli } from '../helpers/cli.js';
import { commandSamples } from '../../src/check/metrics-commands.js';

let lab: LabParts<true, false, false>;
let ca: string[];
let port: number;
before(async () => {
  lab = await startLabParts({ http: true });
  ca = [lab.tls.rootPem];
  port = lab.http.httpsPort;
});
after(async () => {
  await lab.close();
});

function trace(url: string, options: Partial<TraceRequestOptions> = {}): Promise<TraceRequestResult> {
  return traceRequest({ url, ca, warmUp: false, ...options });
}

function sums(p: Phases): void {
  const sum = p.dnsMs + p.tcpMs + p.tlsMs + p.ttfbMs + p.transferMs;
  assert.ok(Math.abs(sum - p.totalMs) < 0.01, `sum ${sum} total ${p.totalMs}`);
}

test('issue 15: h2 by ALPN by default (as curl), HTTP/1.1 with http 1.1; TLS 1.3 where offered', async () => {
  const url = `https://h2.example.test:${port}/bytes/20000?${randomUUID()}`;
  const [h2, h1] = await Promise.all([trace(url, { origin: M.h2 }), trace(url, { origin: M.h2, http: '1.1' })]);
  for (const r of [h2, h1]) assert.equal(r.status, 'OK', JSON.stringify(r.problems));
  assert.equal(h2.paths[0]!.httpVersion, 'HTTP/2');
  assert.equal(h1.paths[0]!.httpVersion, 'HTTP/1.1');
  assert.equal(h2.paths[0]!.tlsVersion, 'TLSv1.3');
  // the exporter's blackbox name: probe_http_version 2 for h2
  const versions: number[] = [];
  for (const r of [h2, h1]) commandSamples('trace-request', r, (name, v) => void (name === 'probe_http_version' && versions.push(Number(v))));
  assert.deepEqual(versions, [2, 1.1]);
  sums(h2.paths[0]!.first!);
  assert.equal(h2.paths[0]!.phases!.dnsMs, 0);
  // the course's lab (127.55.0.1) offers http/1.1 only: h2 asked, 1.1 taken
  const old = await trace(`https://origin.example.test:${port}/?${randomUUID()}`, { origin: lab.http.origin.address });
  assert.equal(old.paths[0]!.httpVersion, 'HTTP/1.1');
});

test('issue 15: the TLS 1.2-only and 1.3-only listeners: the negotiated version in the RTT model (2 RTT, 1 RTT)', async () => {
  const [v12, v13] = await Promise.all([
    trace(`https://tls12.example.test:${port}/`, { origin: M.tls12 }),
    trace(`https://tls13.example.test:${port}/`, { origin: M.tls13 }),
  ]);
  assert.equal(v12.paths[0]!.tlsVersion, 'TLSv1.2');
  assert.equal(v12.paths[0]!.rtt!.tlsRoundTrips, 2);
  assert.equal(v13.paths[0]!.tlsVersion, 'TLSv1.3');
  assert.equal(v13.paths[0]!.rtt!.tlsRoundTrips, 1);
  assert.deepEqual(v13.paths[0]!.rtt!.scenarios!.map((s) => s.roundTrips), [4, 3, 3, 1, 2, 1]);
});

test('issue 15: --reuse 3 over h2 and HTTP/1.1: the first request of each connection pays dns/tcp/tls, the later ones 0', async () => {
  for (const http of ['2', '1.1'] as const) {
    const r = await trace(`https://h2.example.test:${port}/?${randomUUID()}`, { origin: M.h2, http, reuse: 3, samples: 2 });
    assert.equal(r.status, 'OK', JSON.stringify(r.problems));
    const p = r.paths[0]!;
    assert.equal(p.samples, 2);
    assert.equal(p.succeeded, 2);
    assert.equal(p.httpVersion, http === '2' ? 'HTTP/2' : 'HTTP/1.1');
    const u = p.reuse!;
    assert.equal(u.requestsPerConnection, 3);
    assert.equal(u.baseCount, 2);
    assert.equal(u.otherCount, 4);
    assert.equal(u.other!.dnsMs, 0);
    assert.equal(u.other!.tcpMs, 0);
    assert.ok(u.base!.tcpMs > 0, 'the first request connected');
    assert.equal(typeof u.savingMs!.totalMs, 'number');
  }
});

test('issue 15: --resume: the first sample a full handshake, the others resume (TLS 1.3 PSK, TLS 1.2 ticket), labelled', async () => {
  for (const [name, address, version] of [['tls13', M.tls13, 'TLSv1.3'], ['tls12', M.tls12, 'TLSv1.2']] as const) {
    const r = await trace(`https://${name}.example.test:${port}/?${randomUUID()}`, { origin: address, resume: true, samples: 3 });
    assert.equal(r.status, 'OK', JSON.stringify(r.problems));
    const p = r.paths[0]!;
    assert.equal(p.tlsVersion, version);
    assert.deepEqual(p.resumedBySample, [false, true, true], name);
    assert.equal(p.resumption!.baseCount, 1);
    assert.equal(p.resumption!.otherCount, 2);
    assert.equal(typeof p.resumption!.savingMs!.tlsMs, 'number');
  }
  await assert.rejects(trace(`https://h2.example.test:${port}/`, { origin: M.h2, resume: true }), /resume needs samples of 2 or more/);
  await assert.rejects(trace(`http://h2.example.test:${port}/`, { origin: M.h2, resume: true, samples: 2 }), /resume needs an https URL/);
});

test('issue 15: CLI --resume --reuse 2: the savings in the text, exit 0', async () => {
  const r = await runCli(['trace-request', `https://h2.example.test:${port}/?${randomUUID()}`, '--origin', M.h2, '--ca', lab.tls.caFile, '--samples', '2', '--resume', '--reuse', '2'], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^TRACE OK - /);
  assert.match(r.stdout, /^origin: 2 requests per connection: opening it .* a reused connection saves .* \(medians of 2 and 2\)$/m);
  assert.match(r.stdout, /^origin: TLS session resumed in 1 of 2 samples \(TLSv1\.3\): full handshake tls .* resuming saves /m);
  assert.match(r.stdout, /200 HTTP\/2/);
});

test('issue 15: everyAddress: edges.example.test\'s three A records, each its own path; the slow edge (a 40 ms relay) is the slowest', async () => {
  const resolver = { address: lab.dns.addresses.ns1Example, port: lab.port };
  const r = await trace(`https://edges.example.test:${port}/?${randomUUID()}`, { everyAddress: true, resolver, samples: 2 });
  assert.equal(r.status, 'OK', JSON.stringify(r.problems));
  assert.deepEqual(r.addresses, [M.edge1, M.edge2, M.slowEdge]);
  assert.deepEqual(r.paths.map((p) => [p.label, p.address, p.succeeded]), [[M.edge1, M.edge1, 2], [M.edge2, M.edge2, 2], [M.slowEdge, M.slowEdge, 2]]);
  // TLS 1.3 through the relay: at least one round trip of handshake and one of request
  const slow = r.paths[2]!.phases!;
  assert.ok(slow.tlsMs >= 40 && slow.ttfbMs >= 40, `slow edge tls ${slow.tlsMs} ttfb ${slow.ttfbMs}`);
  // a name that does not resolve: one path, failing in dns
  const none = await trace(`https://nope.example.test:${port}/`, { everyAddress: true, resolver });
  assert.equal(none.status, 'CRITICAL');
  assert.deepEqual(none.problems.map((p) => p.code), ['DNS_FAILED']);
  await assert.rejects(trace(`https://edges.example.test:${port}/`, { everyAddress: true, origin: M.h2 }), /leave out origin and cdn/);
});

test('issue 15: follow: /redirect/3 takes 4 hops, each timed, the path\'s phases their sums; a loop and too many redirects are errors naming the chain', async () => {
  const base = `https://h2.example.test:${port}`;
  const r = await trace(`${base}/redirect/3`, { origin: M.h2, follow: 5 });
  assert.equal(r.status, 'OK', JSON.stringify(r.problems));
  const p = r.paths[0]!;
  assert.equal(p.status, 200);
  assert.deepEqual(p.hops!.map((h) => [h.status, new URL(h.url).pathname]), [[302, '/redirect/3'], [302, '/redirect/2'], [302, '/redirect/1'], [302, '/redirect/0'], [200, '/']]);
  const total = p.hops!.reduce((t, h) => t + h.phases.totalMs, 0);
  assert.ok(Math.abs(total - p.phases!.totalMs) < 0.01, `hops ${total} path ${p.phases!.totalMs}`);
  const unfollowed = await trace(`${base}/redirect/3`, { origin: M.h2 });
  assert.equal(unfollowed.paths[0]!.status, 302);
  assert.equal(unfollowed.paths[0]!.hops, undefined);
  const loop = await trace(`${base}/loop/a`, { origin: M.h2, follow: 5 });
  assert.equal(loop.status, 'CRITICAL');
  assert.deepEqual(loop.problems.map((x) => [x.code, x.message]), [['REDIRECT_FAILED', `origin: redirect loop: ${base}/loop/a -> ${base}/loop/b -> ${base}/loop/a`]]);
  const many = await trace(`${base}/redirect/3`, { origin: M.h2, follow: 2 });
  assert.deepEqual(many.problems.map((x) => [x.code, x.message]), [['REDIRECT_FAILED', `origin: more than 2 redirects: ${base}/redirect/3 -> ${base}/redirect/2 -> ${base}/redirect/1 -> ${base}/redirect/0`]]);
  // CLI: exit 2, the chain in the verdict
  const cli = await runCli(['trace-request', `${base}/loop/a`, '--origin', M.h2, '--ca', lab.tls.caFile, '-L', '3'], { timeoutMs: 30_000 });
  assert.equal(cli.code, 2, cli.stderr);
  assert.match(cli.stdout, /^TRACE CRITICAL - .*: origin: redirect loop: .*\/loop\/a -> .*\/loop\/b -> .*\/loop\/a$/m);
});

test('issue 15: h2 keeps every bound: a slow answer fails in ttfb at the deadline, a large body in transfer at the limit, each one line', async () => {
  const base = `https://h2.example.test:${port}`;
  const [slow, big] = await Promise.all([
    trace(`${base}/delay/2000?${randomUUID()}`, { origin: M.h2, timeoutMs: 200 }),
    trace(`${base}/bytes/200000?${randomUUID()}`, { origin: M.h2, maxBodyBytes: 1000 }),
  ]);
  assert.deepEqual(slow.paths[0]!.errors.map((e) => [e.phase, e.kind, e.error]), [['ttfb', 'timeout', 'no response within 0.2 s']]);
  assert.deepEqual(Object.keys(slow.paths[0]!.errors[0]!.partial), ['dnsMs', 'tcpMs', 'tlsMs']);
  const e = big.paths[0]!.errors[0]!;
  assert.deepEqual([e.phase, e.kind], ['transfer', 'body-limit']);
  assert.match(e.error, /^body larger than 1000 bytes: netlab stopped reading after \d+ bytes of 200000$/);
  assert.equal(big.problems[0]!.code, 'TRANSFER_FAILED');
});

test('issues 12/13: one shared client context per CA set resumes nothing by itself, and still checks the name', async () => {
  // the connections of every call share one TLS context (client-context.ts): a server that
  // gives tickets (tls12, tls13) must still see a full handshake every time unless --resume
  for (let round = 0; round < 2; round++) {
    for (const [name, address] of [['tls13', M.tls13], ['tls12', M.tls12]] as const) {
      const url = new URL(`https://${name}.example.test:${port}/?${randomUUID()}`);
      const samples = [];
      for (let i = 0; i < 3; i++) samples.push(await timeRequest(url, { pinAddress: address, ca, timeoutMs: 5000 }));
      assert.deepEqual(samples.map((s) => (s.ok ? s.resumed : s.error)), [false, false, false], `${name}, round ${round}`);
    }
  }
  // the identity check sees the leaf (its names), through the same shared context
  const wrong = await trace(`https://not-in-the-cert.example.test:${port}/`, { origin: M.tls13 });
  assert.equal(wrong.status, 'CRITICAL');
  const e = wrong.paths[0]!.errors[0]!;
  assert.equal(e.kind, 'certificate');
  assert.match(e.error, /certificate not accepted \(ERR_TLS_CERT_ALTNAME_INVALID\)$/);
});
