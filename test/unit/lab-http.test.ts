/**
 * The lab's HTTP part: the origin's routes, the edge's cache, the latency relays, and the
 * round trips each path must cost. Requests are written by hand on a fresh socket, so no
 * agent reuses a connection or a TLS session behind the test's back, and the instants are
 * taken exactly where curl -w takes them: connect, handshake done, request written, first
 * response byte. Only lower bounds are asserted: a relay guarantees that a round trip costs
 * at least its RTT, never that it costs no more.
 */
import 'reflect-metadata';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createLabPki, type LabPki } from '../../src/lab/tls/ca.js';
import {
  startHttpLab, bytesBody, LatencyRelay, LAB_HTTP_ADDRESSES, LAB_HTTP_NAMES, MAX_BODY_BYTES, MAX_DELAY_MS,
  type HttpLab,
} from '../../src/lab/http/index.js';
import { EdgeCache, cacheLifetimeS, parseCacheControl } from '../../src/lab/http/cache.js';
import { startDnsLab } from '../../src/lab/dns/index.js';
import { LAB_DNS_ADDRESSES } from '../../src/lab/dns/zones.js';
import { query } from '../../src/protocol/dns/transport.js';
import { testKeySource } from '../helpers/test-keys.js';

/** Every wait in this file gives up after this long. */
const WAIT_MS = 15_000;
/** Slack for lower bounds that rest on Node timers in code this file does not own. */
const TIMER_SLACK_MS = 5;
const FAR_RTT_MS = 70;
const NEAR_RTT_MS = 20;

let pki: LabPki;
let lab: HttpLab;
let labClosed = false;
before(async () => {
  pki = await createLabPki(new Date(), testKeySource());
  lab = await startHttpLab({ pki, farRttMs: FAR_RTT_MS, nearRttMs: NEAR_RTT_MS });
});
after(async () => {
  if (!labClosed) await lab.close();
});

interface Timed {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  tlsVersion: string | null;
  /** performance.now() instants, as curl -w takes them. */
  startMs: number;
  connectMs: number;
  secureMs: number;
  /** Just after the request was handed to the kernel: the server cannot have read it before. */
  sentMs: number;
  firstByteMs: number;
  endMs: number;
}

interface RequestSpec {
  address: string;
  port: number;
  /** Host header, and SNI when `secure`. */
  host: string;
  path: string;
  method?: string;
  secure?: boolean;
  maxVersion?: tls.SecureVersion;
}

/** One HTTP/1.1 request with `Connection: close` on a new connection (TLS from the lab root when `secure`), timed. */
function timedRequest(spec: RequestSpec): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const method = spec.method ?? 'GET';
    const startMs = performance.now();
    const t = { connectMs: NaN, secureMs: NaN, sentMs: NaN, firstByteMs: NaN };
    const socket: net.Socket = spec.secure
      ? tls.connect({ host: spec.address, port: spec.port, servername: spec.host, ca: pki.root.certPem, maxVersion: spec.maxVersion, ALPNProtocols: ['http/1.1'] })
      : net.connect({ host: spec.address, port: spec.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${method} ${spec.address}:${spec.port}${spec.path}: no complete answer in ${WAIT_MS} ms`));
    }, WAIT_MS);
    const send = (): void => {
      socket.write(`${method} ${spec.path} HTTP/1.1\r\nHost: ${spec.host}\r\nConnection: close\r\n\r\n`);
      t.sentMs = performance.now();
    };
    socket.once('connect', () => {
      t.connectMs = performance.now();
      if (!spec.secure) send();
    });
    socket.once('secureConnect', () => {
      t.secureMs = performance.now();
      send();
    });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => {
      if (Number.isNaN(t.firstByteMs)) t.firstByteMs = performance.now();
      chunks.push(c);
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    // Closed without an end or an error (destroyed under us): no answer is coming.
    socket.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`${method} ${spec.address}:${spec.port}${spec.path}: connection closed without an answer`));
    });
    socket.on('end', () => {
      const endMs = performance.now();
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      if (split < 0) {
        reject(new Error(`incomplete response: ${JSON.stringify(all.toString('latin1').slice(0, 200))}`));
        return;
      }
      const [statusLine = '', ...lines] = all.subarray(0, split).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const colon = l.indexOf(':');
        headers[l.slice(0, colon).trim().toLowerCase()] = l.slice(colon + 1).trim();
      }
      // Every lab answer carries a Content-Length (the edge passes the origin's on), so the
      // body is simply the rest of the stream.
      const body = all.subarray(split + 4);
      const tlsVersion = socket instanceof tls.TLSSocket ? socket.getProtocol() : null;
      socket.destroy();
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body, tlsVersion, startMs, ...t, endMs });
    });
  });
}

/** Request through one of the lab's endpoints over HTTPS, with the name that points at it. */
function via(where: 'origin' | 'edge' | 'far' | 'near', path: string, extra: Partial<RequestSpec> = {}): Promise<Timed> {
  const host = where === 'edge' || where === 'near' ? LAB_HTTP_NAMES.cdn : LAB_HTTP_NAMES.origin;
  return timedRequest({ address: lab[where].address, port: lab.httpsPort, host, path, secure: true, ...extra });
}

/** A path no other test asks the edge for, so each cache test starts with a MISS. */
let unique = 0;
function fresh(path: string): string {
  return `${path}?t=${++unique}`;
}

// --- the lab as started ---------------------------------------------------------------

test('every endpoint is on 127.55.0.x, all on the same two ports', () => {
  assert.deepEqual(
    [lab.origin, lab.edge, lab.far, lab.near].map((e) => e.address),
    [LAB_HTTP_ADDRESSES.origin, LAB_HTTP_ADDRESSES.edge, LAB_HTTP_ADDRESSES.far, LAB_HTTP_ADDRESSES.near],
  );
  for (const e of [lab.origin, lab.edge, lab.far, lab.near]) {
    assert.match(e.address, /^127\.55\.0\.\d+$/);
    assert.equal(e.httpsPort, lab.httpsPort);
    assert.equal(e.httpPort, lab.httpPort);
    assert.ok(e.description.length > 0);
  }
  assert.notEqual(lab.httpsPort, lab.httpPort);
  assert.ok(lab.notes.some((n) => /tcp phase/.test(n)), 'a note says the relays do not delay the TCP handshake');
});

// --- origin ---------------------------------------------------------------------------

test('origin: the certificate verifies against the lab root for every lab name, over TLS 1.2 by default', async () => {
  for (const host of [LAB_HTTP_NAMES.origin, LAB_HTTP_NAMES.cdn, LAB_HTTP_NAMES.far, LAB_HTTP_NAMES.near, LAB_HTTP_NAMES.www, LAB_HTTP_NAMES.slowDns]) {
    const r = await timedRequest({ address: lab.origin.address, port: lab.httpsPort, host, path: '/', secure: true });
    assert.equal(r.status, 200, host);
    assert.equal(r.tlsVersion, 'TLSv1.2', host);
  }
});

test('origin: / is a small cacheable page with the origin headers, over HTTPS and HTTP', async () => {
  for (const secure of [true, false]) {
    const r = await timedRequest({ address: lab.origin.address, port: secure ? lab.httpsPort : lab.httpPort, host: LAB_HTTP_NAMES.origin, path: '/', secure });
    assert.equal(r.status, 200);
    assert.equal(r.headers['server'], 'netlab-origin');
    assert.equal(r.headers['x-served-by'], 'origin');
    assert.equal(r.headers['cache-control'], 'public, max-age=60');
    assert.match(r.body.toString(), /netlab lab origin/);
  }
});

test('origin: /bytes/1000 gives exactly 1000 bytes with Content-Length', async () => {
  const r = await via('origin', '/bytes/1000');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-length'], '1000');
  assert.equal(r.body.length, 1000);
  assert.deepEqual(r.body, bytesBody(1000));
  assert.equal(r.headers['cache-control'], 'public, max-age=60');
});

test('origin: /bytes/0 is an empty 200; an unknown path is a 404 that is not cacheable', async () => {
  const empty = await via('origin', '/bytes/0');
  assert.equal(empty.status, 200);
  assert.equal(empty.body.length, 0);
  const missing = await via('origin', '/nope');
  assert.equal(missing.status, 404);
  assert.equal(missing.headers['cache-control'], 'no-store');
});

test('origin: HEAD /bytes/N has the length and no body', async () => {
  const r = await via('origin', '/bytes/5000', { method: 'HEAD' });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-length'], '5000');
  assert.equal(r.body.length, 0);
});

test('origin: the first byte of /delay/200 comes no earlier than 200 ms after the request is sent', async () => {
  for (const secure of [true, false]) {
    const r = await timedRequest({ address: lab.origin.address, port: secure ? lab.httpsPort : lab.httpPort, host: LAB_HTTP_NAMES.origin, path: '/delay/200', secure });
    assert.equal(r.status, 200);
    assert.equal(r.headers['cache-control'], 'public, max-age=60');
    // The origin waits on the monotonic clock from when it read the request, which is after sentMs.
    assert.ok(r.firstByteMs - r.sentMs >= 200, `ttfb ${(r.firstByteMs - r.sentMs).toFixed(1)} ms`);
  }
});

test('origin: /bytes is bounded to MAX_BODY_BYTES and /delay to MAX_DELAY_MS', async () => {
  const r = await via('origin', '/bytes/999999999', { method: 'HEAD' });
  assert.equal(r.headers['content-length'], String(MAX_BODY_BYTES));
  assert.equal(MAX_DELAY_MS, 10_000);
});

// --- relays ---------------------------------------------------------------------------

test('far relay: a TLS 1.2 handshake costs at least 2 far RTTs, the request at least one more', async () => {
  const r = await via('far', '/');
  assert.equal(r.status, 200);
  assert.equal(r.headers['x-served-by'], 'origin');
  assert.equal(r.tlsVersion, 'TLSv1.2');
  assert.ok(r.secureMs - r.startMs >= 2 * FAR_RTT_MS - TIMER_SLACK_MS, `handshake ${(r.secureMs - r.startMs).toFixed(1)} ms`);
  assert.ok(r.firstByteMs - r.sentMs >= FAR_RTT_MS - TIMER_SLACK_MS, `ttfb ${(r.firstByteMs - r.sentMs).toFixed(1)} ms`);
});

test('far relay: /delay/100 costs the delay plus a far RTT before the first byte', async () => {
  const r = await via('far', '/delay/100');
  assert.equal(r.status, 200);
  assert.ok(r.firstByteMs - r.sentMs >= 100 + FAR_RTT_MS - TIMER_SLACK_MS, `ttfb ${(r.firstByteMs - r.sentMs).toFixed(1)} ms`);
});

test('far relay: plain HTTP is relayed too, and the request costs a far RTT', async () => {
  const r = await timedRequest({ address: lab.far.address, port: lab.httpPort, host: LAB_HTTP_NAMES.origin, path: '/bytes/10' });
  assert.equal(r.status, 200);
  assert.equal(r.body.length, 10);
  assert.ok(r.firstByteMs - r.sentMs >= FAR_RTT_MS - TIMER_SLACK_MS);
});

test('far relay: 3 MB arrive whole and in order', async () => {
  const n = 3_000_000;
  const r = await via('far', `/bytes/${n}`);
  assert.equal(r.body.length, n);
  assert.equal(createHash('sha256').update(r.body).digest('hex'), createHash('sha256').update(bytesBody(n)).digest('hex'));
});

test('near relay: a TLS 1.2 handshake to the edge costs at least 2 near RTTs', async () => {
  const r = await via('near', '/');
  assert.equal(r.status, 200);
  assert.equal(r.headers['x-served-by'], 'edge');
  assert.ok(r.secureMs - r.startMs >= 2 * NEAR_RTT_MS - TIMER_SLACK_MS, `handshake ${(r.secureMs - r.startMs).toFixed(1)} ms`);
});

test('relay: keeps order and applies backpressure with a small buffer (a counter stream through an echo server)', async () => {
  const echo = net.createServer((s) => {
    s.on('error', () => s.destroy());
    s.pipe(s);
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.55.0.20', resolve));
  const relay = new LatencyRelay({
    listenAddress: '127.55.0.21', listenPort: 0,
    targetAddress: '127.55.0.20', targetPort: (echo.address() as net.AddressInfo).port,
    rttMs: 10, maxBufferedBytes: 16 * 1024,
  });
  try {
    await relay.start();
    // A 32-bit counter: any chunk out of place changes the bytes.
    const sent = Buffer.alloc(4 * 500_000);
    for (let i = 0; i < sent.length / 4; i++) sent.writeUInt32BE(i, i * 4);
    const got = await new Promise<{ data: Buffer; ms: number }>((resolve, reject) => {
      const start = performance.now();
      const c = net.connect({ host: relay.address, port: relay.port }, () => c.end(sent));
      const parts: Buffer[] = [];
      const timer = setTimeout(() => {
        c.destroy();
        reject(new Error(`no echo in ${WAIT_MS} ms`));
      }, WAIT_MS);
      c.on('data', (d: Buffer) => parts.push(d));
      c.on('error', reject);
      c.on('end', () => {
        clearTimeout(timer);
        resolve({ data: Buffer.concat(parts), ms: performance.now() - start });
      });
    });
    assert.equal(got.data.length, sent.length);
    assert.ok(got.data.equals(sent), 'echoed bytes equal the sent bytes, in order');
    // The relay holds each chunk RTT/2 each way, on the monotonic clock.
    assert.ok(got.ms >= 10, `round trip ${got.ms.toFixed(1)} ms`);
  } finally {
    await relay.close();
    await new Promise<void>((resolve) => echo.close(() => resolve()));
  }
});

// --- edge -----------------------------------------------------------------------------

test('edge: MISS then HIT with Age, Via and X-Served-By: edge', async () => {
  const path = fresh('/bytes/2048');
  const miss = await via('edge', path);
  assert.equal(miss.status, 200);
  assert.equal(miss.headers['x-cache'], 'MISS');
  assert.equal(miss.headers['x-served-by'], 'edge');
  assert.equal(miss.headers['via'], '1.1 netlab-edge');
  assert.deepEqual(miss.body, bytesBody(2048));
  const hit = await via('edge', path);
  assert.equal(hit.status, 200);
  assert.equal(hit.headers['x-cache'], 'HIT');
  assert.match(hit.headers['age'] ?? '', /^\d+$/);
  assert.equal(hit.headers['via'], '1.1 netlab-edge');
  assert.equal(hit.headers['x-served-by'], 'edge');
  assert.equal(hit.headers['server'], 'netlab-origin');
  assert.equal(hit.headers['cache-control'], 'public, max-age=60');
  assert.deepEqual(hit.body, miss.body);
});

test('edge: a MISS pays at least one far RTT, since the edge reaches the origin through the far relay', async () => {
  const r = await via('edge', fresh('/'));
  assert.equal(r.headers['x-cache'], 'MISS');
  assert.ok(r.firstByteMs - r.sentMs >= FAR_RTT_MS - TIMER_SLACK_MS, `ttfb ${(r.firstByteMs - r.sentMs).toFixed(1)} ms`);
});

test('edge: /delay answers are cached; a HIT does not wait again', async () => {
  const path = fresh('/delay/150');
  const miss = await via('edge', path);
  assert.equal(miss.headers['x-cache'], 'MISS');
  assert.ok(miss.firstByteMs - miss.sentMs >= 150 + FAR_RTT_MS - TIMER_SLACK_MS);
  const hit = await via('edge', path);
  assert.equal(hit.headers['x-cache'], 'HIT');
  assert.equal(hit.body.toString(), 'delayed 150 ms\n');
});

test('edge through the near relay: a MISS pays near + far RTT, a HIT at least the near RTT', async () => {
  const path = fresh('/');
  const miss = await via('near', path);
  assert.equal(miss.headers['x-cache'], 'MISS');
  assert.ok(miss.firstByteMs - miss.sentMs >= NEAR_RTT_MS + FAR_RTT_MS - TIMER_SLACK_MS, `ttfb ${(miss.firstByteMs - miss.sentMs).toFixed(1)} ms`);
  const hit = await via('near', path);
  assert.equal(hit.headers['x-cache'], 'HIT');
  assert.ok(hit.firstByteMs - hit.sentMs >= NEAR_RTT_MS - TIMER_SLACK_MS);
});

test('edge: the key holds the host, so another Host is a MISS', async () => {
  const path = fresh('/');
  assert.equal((await via('edge', path)).headers['x-cache'], 'MISS');
  assert.equal((await via('edge', path, { host: LAB_HTTP_NAMES.near })).headers['x-cache'], 'MISS');
  assert.equal((await via('edge', path, { host: LAB_HTTP_NAMES.near })).headers['x-cache'], 'HIT');
});

test('edge: HEAD passes through and is not stored; the GET after it is still a MISS', async () => {
  const path = fresh('/bytes/300');
  const head = await via('edge', path, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers['x-cache'], 'PASS');
  assert.equal(head.headers['content-length'], '300');
  assert.equal(head.body.length, 0);
  assert.equal((await via('edge', path)).headers['x-cache'], 'MISS');
});

test('edge: a 404 with no-store is never a HIT', async () => {
  const path = fresh('/nope');
  for (let i = 0; i < 2; i++) {
    const r = await via('edge', path);
    assert.equal(r.status, 404);
    assert.equal(r.headers['x-cache'], 'MISS');
  }
});

test('edge: plain HTTP front end shares the cache with HTTPS (same method, host and path)', async () => {
  const path = fresh('/');
  assert.equal((await via('edge', path)).headers['x-cache'], 'MISS');
  const r = await timedRequest({ address: lab.edge.address, port: lab.httpPort, host: LAB_HTTP_NAMES.cdn, path });
  assert.equal(r.headers['x-cache'], 'HIT');
});

test('edge cache: Cache-Control decides what is stored and for how long', () => {
  const cases: Array<[number, Record<string, string>, number | undefined]> = [
    [200, { 'cache-control': 'public, max-age=60' }, 60],
    [200, { 'cache-control': 'max-age=60, s-maxage=10' }, 10],
    [200, { 'cache-control': 'public' }, undefined],
    [200, { 'cache-control': 'private, max-age=60' }, undefined],
    [200, { 'cache-control': 'no-store, max-age=60' }, undefined],
    [200, { 'cache-control': 'no-cache, max-age=60' }, undefined],
    [200, { 'cache-control': 'max-age=0' }, undefined],
    [200, { 'cache-control': 'max-age=abc' }, undefined],
    [200, { 'cache-control': 'public, max-age=60', 'vary': 'accept-encoding' }, undefined],
    [500, { 'cache-control': 'public, max-age=60' }, undefined],
    [404, { 'cache-control': 'max-age=5' }, 5],
    [200, {}, undefined],
  ];
  for (const [status, headers, want] of cases) assert.equal(cacheLifetimeS(status, headers), want, `${status} ${JSON.stringify(headers)}`);
  assert.deepEqual([...parseCacheControl('Public, MAX-AGE="30" ,, no-transform')], [['public', ''], ['max-age', '30'], ['no-transform', '']]);
});

test('edge cache: bounded in entries and bytes, least recently used out first; stale entries are dropped', () => {
  const cache = new EdgeCache({ maxEntries: 2, maxBytes: 100, maxObjectBytes: 60 });
  const entry = (n: number, storedAtMs = 0) => ({ status: 200, headers: {}, body: Buffer.alloc(n), storedAtMs, initialAgeS: 0, lifetimeS: 60 });
  cache.set('a', entry(10));
  cache.set('b', entry(10));
  assert.ok(cache.get('a', 0));
  cache.set('c', entry(10));
  assert.equal(cache.get('b', 0), undefined, 'b was least recently used');
  assert.ok(cache.get('a', 0) && cache.get('c', 0));
  assert.equal(cache.set('big', entry(61)), false, 'over maxObjectBytes');
  cache.set('d', entry(60));
  cache.set('e', entry(50));
  assert.ok(cache.totalBytes <= 100 && cache.size <= 2);
  assert.equal(cache.get('e', 60_000), undefined, 'stale at its lifetime');
  assert.equal(cache.get('e', 0), undefined, 'and gone');
});

// --- TLS 1.3 ---------------------------------------------------------------------------

test('tlsMaxVersion TLSv1.3: the handshake through the far relay costs at least one far RTT', async () => {
  const lab13 = await startHttpLab({ pki, farRttMs: FAR_RTT_MS, nearRttMs: NEAR_RTT_MS, tlsMaxVersion: 'TLSv1.3' });
  try {
    const r = await timedRequest({ address: lab13.far.address, port: lab13.httpsPort, host: LAB_HTTP_NAMES.origin, path: '/', secure: true });
    assert.equal(r.status, 200);
    assert.equal(r.tlsVersion, 'TLSv1.3');
    assert.ok(r.secureMs - r.startMs >= FAR_RTT_MS - TIMER_SLACK_MS);
    assert.ok(r.firstByteMs - r.sentMs >= FAR_RTT_MS - TIMER_SLACK_MS);
  } finally {
    await lab13.close();
  }
});

// --- DNS additions ----------------------------------------------------------------------

test('dns: the lab names point at the HTTP lab; slowdns.test is delegated to a server that answers late', async () => {
  const dns = await startDnsLab({ port: 0 });
  try {
    const ask = async (address: string, name: string) =>
      (await query({ address, port: dns.port }, { name, type: 1 }, { timeoutMs: 2000, tries: 1, recurse: false })).message;
    for (const [name, address] of [
      [LAB_HTTP_NAMES.origin, LAB_HTTP_ADDRESSES.origin], [LAB_HTTP_NAMES.cdn, LAB_HTTP_ADDRESSES.edge],
      [LAB_HTTP_NAMES.far, LAB_HTTP_ADDRESSES.far], [LAB_HTTP_NAMES.near, LAB_HTTP_ADDRESSES.near],
    ] as const) {
      const m = await ask(LAB_DNS_ADDRESSES.ns1Example, name);
      assert.deepEqual(m.answers.map((r) => r.data), [address], name);
    }
    const referral = await ask(LAB_DNS_ADDRESSES.tld, LAB_HTTP_NAMES.slowDns);
    assert.deepEqual(referral.authorities.map((r) => `${r.name} ${r.data}`), ['slowdns.test. ns1.slowdns.test.']);
    assert.deepEqual(referral.additionals.filter((r) => r.type === 'A').map((r) => r.data), [LAB_DNS_ADDRESSES.slowDns]);
    const start = performance.now();
    const answer = await ask(LAB_DNS_ADDRESSES.slowDns, LAB_HTTP_NAMES.slowDns);
    const ms = performance.now() - start;
    assert.deepEqual(answer.answers.map((r) => r.data), [LAB_HTTP_ADDRESSES.origin]);
    assert.ok(ms >= 150 - TIMER_SLACK_MS, `slow answer in ${ms.toFixed(1)} ms`);
  } finally {
    await dns.close();
  }
});

// --- close ------------------------------------------------------------------------------

test('close() ends requests in flight and frees every address and port', async () => {
  // A request still waiting on the origin, one on the edge, and an idle connection to a relay.
  const pending = [via('origin', '/delay/5000'), via('near', fresh('/delay/5000'))].map((p) => p.then(() => 'answered', () => 'ended'));
  const idle = net.connect({ host: lab.far.address, port: lab.httpsPort });
  idle.on('error', () => undefined);
  await new Promise<void>((resolve) => idle.once('connect', () => resolve()));
  await new Promise((r) => setTimeout(r, 50));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    lab.close(),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`close() did not finish in ${WAIT_MS} ms`)), WAIT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
  labClosed = true;
  assert.deepEqual(await Promise.all(pending), ['ended', 'ended']);
  for (const address of Object.values(LAB_HTTP_ADDRESSES)) {
    for (const port of [lab.httpsPort, lab.httpPort]) {
      const s = net.createServer();
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen({ port, host: address, exclusive: true }, () => resolve());
      });
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }
  idle.destroy();
});
