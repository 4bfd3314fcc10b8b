/**
 * trace-request on the lab: real HTTPS origin and CDN edge, latency relays, a slow DNS
 * server. The cases run in process against the library (traceRequest); a few spawns of the
 * binary check what only the command line does (exit codes, stdout, stderr). Only lower
 * bounds that the servers' own delays guarantee are asserted.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
// the lab's DNS, PKI and HTTP parts only (test/helpers/lab-parts.ts)
import { startLabParts, type LabParts } from '../helpers/lab-parts.js';
import { traceRequest, type TraceRequestOptions, type TraceRequestResult } from '../../src/protocol/http/trace-request.js';
import { renderTraceRequestText } from '../../src/commands/trace-request/render.js';
import type { Progress } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';

// Every URL is either pinned (origin/cdn) or resolved through the lab's DNS (resolver): the
// system resolver is never asked, and names resolve to 127.55.0.x only (www.example.test is
// 192.0.2.10 in the lab zone: zone data, never a connection target).
let lab: LabParts<true, false, false>;
let base: string;
let ca: string[];
let resolver: { address: string; port: number };
before(async () => {
  lab = await startLabParts({ http: true });
  base = `https://www.example.test:${lab.http.httpsPort}`;
  ca = [lab.tls.rootPem];
  resolver = { address: lab.dns.addresses.ns1Example, port: lab.port };
});
after(async () => {
  await lab.close();
});

/** traceRequest with the lab's CA, no warm-up (nothing here depends on the first sample's speed). */
function trace(url: string, options: Partial<TraceRequestOptions> = {}): Promise<TraceRequestResult> {
  return traceRequest({ url, ca, warmUp: false, ...options });
}

/** Every time in `doc` (a number under a key ending in Ms): at most 3 decimals, as JSON prints it. Returns how many. */
function checkMicroseconds(doc: unknown, path = '$'): number {
  let n = 0;
  if (Array.isArray(doc)) doc.forEach((v, i) => (n += checkMicroseconds(v, `${path}[${i}]`)));
  else if (doc && typeof doc === 'object') {
    for (const [k, v] of Object.entries(doc)) {
      if (typeof v === 'number' && k.endsWith('Ms')) {
        assert.match(JSON.stringify(v), /^-?\d+(\.\d{1,3})?$/, `${path}.${k} = ${JSON.stringify(v)}`);
        n++;
      } else n += checkMicroseconds(v, `${path}.${k}`);
    }
  }
  return n;
}

test('/delay/100 pinned to the origin: ttfb >= 100 ms, dns 0, phases add up to the total; compared with normal resolution when asked', async () => {
  const r = await trace(`https://origin.example.test:${lab.http.httpsPort}/delay/100?${randomUUID()}`, { origin: lab.http.origin.address, resolver, resolved: true });
  assert.equal(r.status, 'OK', JSON.stringify(r.problems));
  assert.deepEqual(r.paths.map((p) => p.label), ['origin', 'resolved'], 'origin pinned, compared with normal resolution');
  assert.equal(r.paths[1]!.address, lab.http.origin.address);
  const p = r.paths[0]!.phases!;
  assert.ok(p.ttfbMs >= 100, `ttfb ${p.ttfbMs}`);
  assert.equal(p.dnsMs, 0);
  const sum = p.dnsMs + p.tcpMs + p.tlsMs + p.ttfbMs + p.transferMs;
  assert.ok(Math.abs(sum - p.totalMs) < 0.01, `sum ${sum} total ${p.totalMs}`);
  assert.equal(r.paths[0]!.tlsVersion, 'TLSv1.2');
  assert.equal(r.paths[1]!.phases!.dnsMs > 0, true, 'the resolved path paid its dns');
});

// issue 15: with only --origin, netlab also timed the URL through the system resolver (exit 2 when it did not resolve)
test('issue 15: one pinned path alone is timed alone: www.example.test (192.0.2.10 in the zone, never asked) pinned to the origin, one path', async () => {
  const r = await trace(`${base}/?${randomUUID()}`, { origin: lab.http.origin.address });
  assert.equal(r.status, 'OK', JSON.stringify(r.problems));
  assert.deepEqual(r.paths.map((p) => [p.label, p.address]), [['origin', lab.http.origin.address]]);
  assert.equal(r.difference, null);
});

// issue 15: the first (cache-miss) sample was the p95
test('issue 15: pinned to the edge, the first sample (MISS through the far relay) is reported apart from the warm HITs', async () => {
  const r = await trace(`${base}/delay/50?${randomUUID()}`, { cdn: lab.http.edge.address, samples: 4 });
  assert.equal(r.status, 'OK', JSON.stringify(r.problems));
  const [cdn] = r.paths;
  assert.equal(r.paths.length, 1);
  assert.deepEqual(cdn!.cacheBySample, ['MISS', 'HIT', 'HIT', 'HIT']);
  assert.ok(cdn!.first!.ttfbMs >= 50 + 70, `first ttfb ${cdn!.first!.ttfbMs}`);
  assert.equal(cdn!.firstDiffers, true);
  assert.equal(cdn!.warmOnly, true, 'median and p95 over the 3 warm samples');
  assert.ok(cdn!.p95!.totalMs < cdn!.first!.totalMs, `p95 ${cdn!.p95!.totalMs} is not the cold sample ${cdn!.first!.totalMs}`);
});

test('the slow DNS server shows in the dns phase (>= its 150 ms delay)', async () => {
  const r = await trace(`https://www.slowdns.test:${lab.http.httpsPort}/?${randomUUID()}`, { resolver: { address: lab.dns.addresses.slowDns, port: lab.port } });
  assert.equal(r.status, 'OK', JSON.stringify(r.problems));
  assert.equal(r.paths[0]!.label, 'resolved');
  assert.ok(r.paths[0]!.phases!.dnsMs >= 150, `dns ${r.paths[0]!.phases!.dnsMs}`);
  assert.equal(r.paths[0]!.address, lab.http.origin.address);
});

test('far origin against near CDN: the CDN path goes MISS then HIT, the far path pays 2 RTT of TLS; progress per sample and path', async () => {
  const events: Progress[] = [];
  const r = await trace(`${base}/delay/20?${randomUUID()}`, { origin: lab.http.far.address, cdn: lab.http.near.address, samples: 3, onProgress: (e) => events.push(e) });
  assert.equal(r.status, 'OK', JSON.stringify(r.problems));
  const [origin, cdn] = r.paths;
  assert.equal(origin!.label, 'origin');
  assert.equal(cdn!.label, 'cdn');
  assert.deepEqual(cdn!.cacheBySample, ['MISS', 'HIT', 'HIT']);
  assert.equal(cdn!.cache!.headers['x-cache'], 'HIT');
  assert.ok('age' in cdn!.cache!.headers);
  // TLS 1.2 through the 70 ms relay: two round trips at least
  assert.ok(origin!.phases!.tlsMs >= 135, `origin tls ${origin!.phases!.tlsMs}`);
  assert.ok(origin!.phases!.ttfbMs >= 70 + 20 - 5, `origin ttfb ${origin!.phases!.ttfbMs}`);
  assert.equal(origin!.rtt!.tlsRoundTrips, 2);
  assert.ok(r.difference !== null);
  assert.equal(typeof r.difference.totalMs, 'number');
  // the rounds interleave the paths
  assert.deepEqual(events.map((e) => `${e.phase} ${e.done}/${e.total} ${e.detail}`), ['sample 1/3 origin', 'sample 1/3 cdn', 'sample 2/3 origin', 'sample 2/3 cdn', 'sample 3/3 origin', 'sample 3/3 cdn']);
});

// issue 10.6: --json carried float noise such as 2.481439000000009
test('issue 10.6: every time in the result is rounded to the microsecond (medians of an even count, differences, the RTT model)', async () => {
  const r = await trace(`${base}/bytes/1000?${randomUUID()}`, { origin: lab.http.origin.address, cdn: lab.http.edge.address, samples: 4 });
  assert.equal(r.status, 'OK', JSON.stringify(r.problems));
  const failed = await trace(`${base}/delay/1000?${randomUUID()}`, { origin: lab.http.origin.address, timeoutMs: 200 });
  assert.ok(failed.paths[0]!.errors.length > 0);
  // phases, p95, first, difference and rtt of two paths, and the partial phases of a failure
  assert.ok(checkMicroseconds(JSON.parse(JSON.stringify(r))) >= 4 * 6 + 6 + 2 * 6, 'every kind of time was looked at');
  assert.ok(checkMicroseconds(JSON.parse(JSON.stringify(failed))) >= 3);
});

test('errors name the phase and keep the phases measured so far: tcp, dns, tls, ttfb', async () => {
  const [tcp, dns, tls, slow] = await Promise.all([
    // tcp: nothing listens on that port
    trace('https://www.example.test:9/', { origin: lab.http.origin.address, cdn: lab.http.edge.address }),
    // dns: the lab's authoritative server knows no such name
    trace(`https://nope.example.test:${lab.http.httpsPort}/`, { resolver }),
    // tls: the lab CA is not trusted without it
    traceRequest({ url: `${base}/`, origin: lab.http.origin.address, cdn: lab.http.edge.address, warmUp: false }),
    // ttfb: the server is slower than the timeout
    trace(`${base}/delay/1000?${randomUUID()}`, { origin: lab.http.origin.address, cdn: lab.http.origin.address, timeoutMs: 200 }),
  ]);
  for (const r of [tcp, dns, tls, slow]) assert.equal(r.status, 'CRITICAL');
  assert.equal(tcp.paths[0]!.errors[0]!.phase, 'tcp');
  assert.deepEqual(Object.keys(tcp.paths[0]!.errors[0]!.partial), ['dnsMs']);
  assert.match(tcp.paths[0]!.errors[0]!.error, /^connection to 127\.55\.0\.\d+:9 refused$/);
  assert.deepEqual(tcp.problems.map((p) => [p.code, p.subject, p.counts]), [['TCP_FAILED', 'origin', { failed: 1, samples: 1 }], ['TCP_FAILED', 'cdn', { failed: 1, samples: 1 }]]);
  assert.equal(dns.paths[0]!.errors[0]!.phase, 'dns');
  assert.match(dns.paths[0]!.errors[0]!.error, /NXDOMAIN/);
  const e = tls.paths[0]!.errors[0]!;
  assert.equal(e.phase, 'tls');
  assert.equal(e.kind, 'certificate');
  // the library names no option; the renderer adds the advice
  assert.match(e.error, /certificate not accepted/);
  assert.doesNotMatch(JSON.stringify(tls), /--/);
  assert.match(renderTraceRequestText(tls), /certificate not accepted .*; use --ca FILE for a private CA, or --insecure/);
  assert.equal(slow.paths[0]!.errors[0]!.phase, 'ttfb');
  assert.equal(slow.paths[0]!.errors[0]!.kind, 'timeout');
  assert.ok('tlsMs' in slow.paths[0]!.errors[0]!.partial);
  assert.match(slow.problems[0]!.message, /^origin: ttfb failed: no response within 0\.2 s$/);
});

test('an HTTP error status is CRITICAL with the phases measured', async () => {
  const r = await trace(`${base}/no-such-page`, { origin: lab.http.origin.address, cdn: lab.http.edge.address });
  assert.equal(r.status, 'CRITICAL');
  assert.equal(r.paths[0]!.status, 404);
  assert.deepEqual(r.problems.filter((p) => p.code === 'HTTP_ERROR').map((p) => [p.subject, p.counts, p.message]), [['origin', { httpStatus: 404 }, 'origin: HTTP 404'], ['cdn', { httpStatus: 404 }, 'cdn: HTTP 404']]);
  assert.equal(typeof r.paths[0]!.phases!.totalMs, 'number');
});

test('insecure works without a CA and says verification is off', async () => {
  const r = await traceRequest({ url: `${base}/`, origin: lab.http.origin.address, cdn: lab.http.edge.address, insecure: true, warmUp: false });
  assert.equal(r.status, 'OK', JSON.stringify(r.problems));
  assert.deepEqual(r.paths.map((p) => p.verificationOff), [true, true]);
  assert.match(renderTraceRequestText(r), /WARNING: origin: certificate verification is OFF \(--insecure\)/);
});

test('the warm-up goes to netlab itself, not to the server: one connection and one request per sample, with or without it', async () => {
  // a plain HTTP server of the test's own that counts what reaches it
  const { createServer } = await import('node:http');
  let connections = 0;
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    res.end('ok\n');
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as import('node:net').AddressInfo;
  try {
    for (const [warmUp, samples] of [[true, 1], [false, 1], [true, 3]] as Array<[boolean, number]>) {
      connections = 0;
      requests = 0;
      const r = await traceRequest({ url: `http://127.0.0.1:${port}/`, samples, warmUp });
      assert.equal(r.paths[0]!.succeeded, samples);
      assert.deepEqual({ connections, requests }, { connections: samples, requests: samples }, `warmUp ${warmUp}`);
    }
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

// issue 12 (bench, section 9): 300 trace-request checks of one netlab check run warmed up 300 times
test('warmUp() finishes over HTTPS and HTTP, once per process and kind, and leaves nothing open: its process exits by itself', async () => {
  const { execFile } = await import('node:child_process');
  const module = new URL('../../src/protocol/http/warm-up.js', import.meta.url).href;
  const script = `const { warmUp } = await import(${JSON.stringify(module)});
const first = warmUp(true, { defaultRoots: true });
if (warmUp(true, { defaultRoots: true }) !== first) throw new Error('a second warm-up of the same kind ran');
if (warmUp(false) === first) throw new Error('HTTP shared the HTTPS warm-up');
await first;
await warmUp(false);
process.stdout.write('done');`;
  // a listening server or socket left behind would keep the process alive until the 20 s kill
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
  assert.equal(out, 'done');
});

test("a fetch() in the same process does not move the phase marks: only the engine's own socket counts", async () => {
  const { timeRequest } = await import('../../src/protocol/http/timing.js');
  // our request spends 150 ms in DNS (the slow lab server); meanwhile Node's fetch sends its own
  // headers on the same diagnostics channel. Were that event taken for ours, "request sent"
  // would come before our connection and the tcp phase would go negative.
  const url = new URL(`http://www.slowdns.test:${lab.http.httpPort}/?${randomUUID()}`);
  const ours = timeRequest(url, { resolver: { address: lab.dns.addresses.slowDns, port: lab.port }, timeoutMs: 10_000 });
  await new Promise((r) => setTimeout(r, 30));
  const theirs = await fetch(`http://${lab.http.origin.address}:${lab.http.httpPort}/?${randomUUID()}`);
  await theirs.text();
  const s = await ours;
  assert.ok(s.ok, JSON.stringify(s));
  if (!s.ok) return;
  assert.ok(s.phases.dnsMs >= 150, `dns ${s.phases.dnsMs}`);
  for (const [k, v] of Object.entries(s.phases)) assert.ok(v >= 0, `${k} ${v}`);
  const sum = s.phases.dnsMs + s.phases.tcpMs + s.phases.tlsMs + s.phases.ttfbMs + s.phases.transferMs;
  assert.ok(Math.abs(sum - s.phases.totalMs) < 0.01, `phases add up: ${sum} vs ${s.phases.totalMs}`);
});

test('ttfb ends at the first response byte, not when the headers are complete', async () => {
  const { timeRequest } = await import('../../src/protocol/http/timing.js');
  const net = await import('node:net');
  // the status line at once, the rest of the headers 600 ms later: found flaky on a loaded
  // machine with 200 ms, where this process read the first byte 64 ms late and the 150 ms
  // asserted below were not left; the assertion is the same, the margin wider
  const server = net.createServer((s) => {
    s.once('data', () => {
      s.write('HTTP/1.1 200 OK\r\n');
      setTimeout(() => s.end('Content-Length: 2\r\nConnection: close\r\n\r\nok'), 600);
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (server.address() as import('node:net').AddressInfo).port;
    const s = await timeRequest(new URL(`http://127.0.0.1:${port}/`), { timeoutMs: 10_000 });
    assert.ok(s.ok, JSON.stringify(s));
    if (!s.ok) return;
    // the 600 ms between the first byte and the end of the headers are transfer, not ttfb
    assert.ok(s.phases.transferMs >= 150, `transfer ${s.phases.transferMs}, ttfb ${s.phases.ttfbMs}`);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

// The command line itself: a few spawns of the binary.

test('CLI, exit 0: verdict first, a phase table, the waterfall, the RTT model; nothing on stderr without a TTY', async () => {
  const r = await runCli(['trace-request', `${base}/?${randomUUID()}`, '--origin', lab.http.origin.address, '--cdn', lab.http.edge.address, '--ca', lab.tls.caFile], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^TRACE OK - https:\/\/www\.example\.test:\d+\/\?[\w-]+: origin \d+ ms, cdn \d+ ms/);
  assert.match(r.stdout, /phase \(median\)/);
  assert.match(r.stdout, /Waterfall/);
  assert.match(r.stdout, /What the protocol alone costs/);
  assert.equal(r.stderr, '', 'no spinner without a TTY');
});

test('CLI --json, exit 2: the contract shape, the problems in the shared shape, no option named', async () => {
  // the lab CA is not trusted without --ca
  const r = await runCli(['trace-request', `${base}/`, '--origin', lab.http.origin.address, '--cdn', lab.http.edge.address, '--json'], { timeoutMs: 30_000 });
  assert.equal(r.code, 2, r.stderr);
  const doc = JSON.parse(r.stdout) as TraceRequestResult;
  assert.equal(doc.status, 'CRITICAL');
  assert.deepEqual(doc.paths.map((p) => p.label), ['origin', 'cdn']);
  for (const p of doc.paths) {
    for (const k of ['label', 'address', 'port', 'samples', 'succeeded', 'status', 'phases', 'p95', 'cache', 'rtt', 'errors', 'verificationOff']) assert.ok(k in p, k);
    assert.equal(p.errors[0]!.phase, 'tls');
  }
  assert.deepEqual(doc.problems.map((p) => [p.code, p.severity, p.subject, p.counts]), [['TLS_FAILED', 'CRITICAL', 'origin', { failed: 1, samples: 1 }], ['TLS_FAILED', 'CRITICAL', 'cdn', { failed: 1, samples: 1 }]]);
  assert.match(doc.problems[0]!.message, /^origin: tls failed: TLS handshake with 127\.55\.0\.\d+:\d+ failed: certificate not accepted \(\w+\)$/);
  assert.doesNotMatch(r.stdout, /--ca/);
});

test('CLI, exit 3: a usage error is one line on stderr, nothing on stdout', async () => {
  const r = await runCli(['trace-request', `${base}/`, '--samples', '0']);
  assert.equal(r.code, 3);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, "netlab trace-request: --samples needs a whole number from 1 to 1000, got '0' (see 'netlab trace-request --help')\n");
});
