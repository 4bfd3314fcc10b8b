/**
 * trace-request on the lab: real HTTPS origin and CDN edge, latency relays, a slow DNS
 * server. Only lower bounds that the servers' own delays guarantee are asserted.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startLab, type Lab } from '../../src/lab/index.js';
import { runCli } from '../helpers/cli.js';

// Every URL is either pinned (--origin/--cdn) or resolved through the lab's DNS (--resolver):
// the system resolver is never asked, and names resolve to 127.55.0.x only (www.example.test
// is 192.0.2.10 in the lab zone: zone data, never a connection target).
let lab: Lab;
let base: string;
let resolver: string[];
before(async () => {
  lab = await startLab({ port: 0 });
  base = `https://www.example.test:${lab.http.httpsPort}`;
  resolver = ['--resolver', `${lab.dns.addresses.ns1Example}:${lab.port}`];
});
after(async () => {
  await lab.close();
});

interface Doc {
  status: string;
  paths: Array<{
    label: string; address: string; status: number; samples: number; succeeded: number;
    phases: Record<string, number>; p95: Record<string, number>; cache: { headers: Record<string, string> } | null;
    cacheBySample: string[]; errors: Array<{ phase: string; error: string; partial: Record<string, number> }>;
    verificationOff: boolean; tlsVersion: string | null;
  }>;
  difference: Record<string, number> | null;
  problems: Array<{ code: string; message: string }>;
}

async function traceJson(args: string[]): Promise<{ code: number | null; doc: Doc; stderr: string }> {
  const r = await runCli(['trace-request', ...args, '--ca', lab.tls.caFile, '--json'], { timeoutMs: 60_000 });
  return { code: r.code, doc: JSON.parse(r.stdout) as Doc, stderr: r.stderr };
}

test('/delay/300 pinned to the origin: ttfb >= 300 ms, dns 0, phases add up to the total', async () => {
  const url = `https://origin.example.test:${lab.http.httpsPort}/delay/300?${randomUUID()}`;
  const { code, doc } = await traceJson([url, '--origin', lab.http.origin.address, ...resolver]);
  assert.equal(code, 0);
  assert.equal(doc.paths.length, 2, 'origin pinned, compared with normal resolution');
  assert.equal(doc.paths[1]!.label, 'resolved');
  assert.equal(doc.paths[1]!.address, lab.http.origin.address);
  const p = doc.paths[0]!;
  assert.equal(p.label, 'origin');
  assert.ok(p.phases.ttfbMs! >= 300, `ttfb ${p.phases.ttfbMs}`);
  assert.equal(p.phases.dnsMs, 0);
  const sum = p.phases.dnsMs! + p.phases.tcpMs! + p.phases.tlsMs! + p.phases.ttfbMs! + p.phases.transferMs!;
  assert.ok(Math.abs(sum - p.phases.totalMs!) < 0.01, `sum ${sum} total ${p.phases.totalMs}`);
  assert.equal(p.tlsVersion, 'TLSv1.2');
});

test('the slow DNS server shows in the dns phase (>= its 150 ms delay)', async () => {
  const url = `https://www.slowdns.test:${lab.http.httpsPort}/?${randomUUID()}`;
  const { code, doc } = await traceJson([url, '--resolver', `${lab.dns.addresses.slowDns}:${lab.port}`]);
  assert.equal(code, 0, JSON.stringify(doc.problems));
  assert.equal(doc.paths[0]!.label, 'resolved');
  assert.ok(doc.paths[0]!.phases.dnsMs! >= 150, `dns ${doc.paths[0]!.phases.dnsMs}`);
  assert.equal(doc.paths[0]!.address, lab.http.origin.address);
});

test('far origin against near CDN: the CDN leg goes MISS then HIT and the far leg pays 2 RTT of TLS', async () => {
  const { code, doc } = await traceJson([`${base}/delay/20?${randomUUID()}`, '--origin', lab.http.far.address, '--cdn', lab.http.near.address, '--samples', '3']);
  assert.equal(code, 0);
  const [origin, cdn] = doc.paths;
  assert.equal(origin!.label, 'origin');
  assert.equal(cdn!.label, 'cdn');
  assert.deepEqual(cdn!.cacheBySample, ['MISS', 'HIT', 'HIT']);
  assert.equal(cdn!.cache!.headers['x-cache'], 'HIT');
  assert.ok('age' in cdn!.cache!.headers);
  // TLS 1.2 through the 70 ms relay: two round trips at least
  assert.ok(origin!.phases.tlsMs! >= 135, `origin tls ${origin!.phases.tlsMs}`);
  assert.ok(origin!.phases.ttfbMs! >= 70 + 20 - 5, `origin ttfb ${origin!.phases.ttfbMs}`);
  assert.ok(doc.difference !== null);
  assert.equal(typeof doc.difference!.totalMs, 'number');
});

test('text output: verdict first, a phase table, the waterfall, the RTT model', async () => {
  const r = await runCli(['trace-request', `${base}/?${randomUUID()}`, '--origin', lab.http.far.address, '--cdn', lab.http.near.address, '--ca', lab.tls.caFile], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^TRACE OK - https:\/\/www\.example\.test:\d+\/\?[\w-]+: origin \d+ ms, cdn \d+ ms/);
  assert.match(r.stdout, /phase \(median\)/);
  assert.match(r.stdout, /Waterfall/);
  assert.match(r.stdout, /What the protocol alone costs/);
  assert.equal(r.stderr, '', 'no spinner without a TTY');
});

test('--json has the contract shape, numbers in ms', async () => {
  const { code, doc } = await traceJson([`${base}/bytes/1000`, '--origin', lab.http.origin.address, '--cdn', lab.http.edge.address]);
  assert.equal(code, 0);
  assert.deepEqual(doc.paths.map((p) => p.label), ['origin', 'cdn']);
  for (const p of doc.paths) {
    for (const k of ['label', 'address', 'samples', 'status', 'phases', 'p95', 'cache']) assert.ok(k in p, k);
    for (const k of ['dnsMs', 'tcpMs', 'tlsMs', 'ttfbMs', 'transferMs', 'totalMs']) assert.equal(typeof p.phases[k], 'number', k);
  }
});

test('errors name the phase, keep the phases measured so far, exit 2', async () => {
  // tcp: nothing listens on that port
  const tcp = await traceJson([`https://www.example.test:9/`, '--origin', lab.http.origin.address, '--cdn', lab.http.edge.address]);
  assert.equal(tcp.code, 2);
  assert.equal(tcp.doc.paths[0]!.errors[0]!.phase, 'tcp');
  assert.deepEqual(Object.keys(tcp.doc.paths[0]!.errors[0]!.partial), ['dnsMs']);
  // dns: the lab's authoritative server knows no such name
  const dns = await traceJson([`https://nope.example.test:${lab.http.httpsPort}/`, '--resolver', `${lab.dns.addresses.ns1Example}:${lab.port}`]);
  assert.equal(dns.code, 2);
  assert.equal(dns.doc.paths[0]!.errors[0]!.phase, 'dns');
  assert.match(dns.doc.paths[0]!.errors[0]!.error, /NXDOMAIN/);
  // tls: the lab CA is not trusted without --ca
  const r = await runCli(['trace-request', `${base}/`, '--origin', lab.http.origin.address, '--cdn', lab.http.edge.address, '--json']);
  assert.equal(r.code, 2);
  const tls = JSON.parse(r.stdout) as Doc;
  assert.equal(tls.paths[0]!.errors[0]!.phase, 'tls');
  assert.match(tls.paths[0]!.errors[0]!.error, /certificate not accepted.*--ca/);
  // ttfb: the server is slower than the timeout
  const slow = await traceJson([`${base}/delay/3000?${randomUUID()}`, '--origin', lab.http.origin.address, '--cdn', lab.http.origin.address, '--timeout', '1']);
  assert.equal(slow.code, 2);
  assert.equal(slow.doc.paths[0]!.errors[0]!.phase, 'ttfb');
  assert.ok('tlsMs' in slow.doc.paths[0]!.errors[0]!.partial);
});

test('an HTTP error status exits 2 with the phases measured', async () => {
  const { code, doc } = await traceJson([`${base}/no-such-page`, '--origin', lab.http.origin.address, '--cdn', lab.http.edge.address]);
  assert.equal(code, 2);
  assert.equal(doc.paths[0]!.status, 404);
  assert.ok(doc.problems.some((p) => p.code === 'HTTP_ERROR'));
  assert.equal(typeof doc.paths[0]!.phases.totalMs, 'number');
});

test('--insecure works without --ca and says verification is off', async () => {
  const r = await runCli(['trace-request', `${base}/`, '--origin', lab.http.origin.address, '--cdn', lab.http.edge.address, '--insecure']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /certificate verification is OFF \(--insecure\)/);
});

test('bad input is exit 3: bad URL, scheme, samples, resolver, header', async () => {
  for (const [args, re] of [
    [['not a url'], /is not a URL/],
    [['ftp://www.example.test/'], /unsupported scheme 'ftp'/],
    [[`${base}/`, '--samples', '0'], /--samples needs a whole number from 1/],
    [[`${base}/`, '--resolver', 'dns.example'], /--resolver needs ADDR\[:PORT\]/],
    [[`${base}/`, '--header', 'nocolon'], /--header needs 'Name: value'/],
    [[`${base}/`, '--origin', 'origin.example.test'], /--origin needs an IP address/],
  ] as Array<[string[], RegExp]>) {
    const r = await runCli(['trace-request', ...args]);
    assert.equal(r.code, 3, args.join(' '));
    assert.match(r.stderr, re);
  }
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
    for (const [extra, samples] of [[[], 1], [['--no-warm-up'], 1], [[], 3]] as Array<[string[], number]>) {
      connections = 0;
      requests = 0;
      const r = await runCli(['trace-request', `http://127.0.0.1:${port}/`, '--samples', String(samples), '--json', ...extra]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).paths[0].succeeded, samples);
      assert.deepEqual({ connections, requests }, { connections: samples, requests: samples }, extra.join(' '));
    }
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('warmUp() finishes over HTTPS and HTTP and leaves nothing open: its process exits by itself', async () => {
  const { execFile } = await import('node:child_process');
  const module = new URL('../../src/protocol/http/warm-up.js', import.meta.url).href;
  const script = `const { warmUp } = await import(${JSON.stringify(module)});
await warmUp(true, { defaultRoots: true });
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
  // the status line at once, the rest of the headers 300 ms later
  const server = net.createServer((s) => {
    s.once('data', () => {
      s.write('HTTP/1.1 200 OK\r\n');
      setTimeout(() => s.end('Content-Length: 2\r\nConnection: close\r\n\r\nok'), 300);
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (server.address() as import('node:net').AddressInfo).port;
    const s = await timeRequest(new URL(`http://127.0.0.1:${port}/`), { timeoutMs: 10_000 });
    assert.ok(s.ok, JSON.stringify(s));
    if (!s.ok) return;
    // the 300 ms between the first byte and the end of the headers is transfer, not ttfb
    assert.ok(s.phases.transferMs >= 250, `transfer ${s.phases.transferMs}, ttfb ${s.phases.ttfbMs}`);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});
