/**
 * trace-request's own HTTP/1.1 exchange (src/protocol/http/timing.ts, the parser of
 * src/protocol/http/h1-parser.ts) against raw loopback servers that answer exactly the bytes a
 * case needs: what the request looks like on the wire, the framings (Content-Length, chunked,
 * until the close, HEAD), interim answers, requests one after another on one connection, and
 * answers that are cut short or not HTTP. Everything listens on 127.0.0.1.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { timeRequest, timeRequests, h1RequestBytes, type Sample, type SampleFailed, type SampleOk, type TimingOptions } from '../../src/protocol/http/timing.js';
import { NetlabError } from '../../src/errors.js';

/** A server that hands every request's bytes (up to the blank line) to `answer` and writes what it returns; `close` ends the connection after it. */
type Answer = { bytes: string | Buffer; close?: boolean };
const servers: net.Server[] = [];

async function serve(answer: (request: string, n: number) => Answer): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = net.createServer((socket) => {
    let buffered = '';
    socket.on('error', () => undefined);
    socket.on('data', (d) => {
      buffered += d.toString('latin1');
      // every complete request head in what came (bounded by what came)
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end + 4);
        buffered = buffered.slice(end + 4);
        requests.push(head);
        const a = answer(head, requests.length);
        socket.write(a.bytes);
        if (a.close) socket.end();
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}/path?q=1`, requests };
}

after(async () => {
  for (const s of servers) s.close();
});

function ok(s: Sample | undefined): SampleOk {
  assert.ok(s && s.ok, JSON.stringify(s));
  return s;
}

function failedIn(s: Sample | undefined, phase: string, re: RegExp): SampleFailed {
  assert.ok(s && !s.ok, JSON.stringify(s));
  assert.equal(s.phase, phase, s.error);
  assert.match(s.error, re);
  return s;
}

const T = { timeoutMs: 3000 };

test('the request on the wire: request line, host, user-agent, the fields given; no connection field for one request', async () => {
  const s = await serve(() => ({ bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi' }));
  const port = new URL(s.url).port;
  const r = ok(await timeRequest(new URL(s.url), { ...T, headers: { 'x-one': 'a', 'x-two': ['b', 'c'] } }));
  assert.equal(r.status, 200);
  assert.equal(r.bodyBytes, 2);
  assert.equal(r.httpVersion, '1.1');
  assert.equal(s.requests[0], `GET /path?q=1 HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nuser-agent: netlab\r\nx-one: a\r\nx-two: b\r\nx-two: c\r\n\r\n`);
  // a Host given replaces the URL's; a method that expects a body says it has none
  assert.equal(h1RequestBytes('POST', '/', 'a.test', { host: 'b.test' }, true).toString('latin1'), 'POST / HTTP/1.1\r\nhost: b.test\r\ncontent-length: 0\r\nconnection: keep-alive\r\n\r\n');
});

test('a header value with CR LF, a bad name, a refused field or a bad method is a USAGE error before any connection', async () => {
  let connections = 0;
  const s = await serve(() => {
    connections++;
    return { bytes: 'HTTP/1.1 204 No Content\r\n\r\n' };
  });
  const bad: Array<Partial<TimingOptions>> = [
    { headers: { 'x-a': 'b\r\nInjected: 1' } },
    { headers: { 'bad name': 'x' } },
    { headers: { connection: 'close' } },
    { method: 'GET /x HTTP/1.1\r\nX' },
  ];
  for (const options of bad) {
    await assert.rejects(timeRequest(new URL(s.url), { ...T, ...options }), (e: unknown) => e instanceof NetlabError && e.code === 'USAGE', JSON.stringify(options));
  }
  assert.equal(connections, 0);
});

test('framings: chunked with trailers, until the close, HEAD with a Content-Length, 204; interim answers counted as informational, not errors', async () => {
  const chunked = await serve(() => ({ bytes: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Cache: HIT\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n' }));
  const c = ok(await timeRequest(new URL(chunked.url), T));
  assert.equal(c.bodyBytes, 11);
  assert.equal(c.headers['x-cache'], 'HIT');
  const untilClose = await serve(() => ({ bytes: 'HTTP/1.0 200 OK\r\n\r\nuntil the close', close: true }));
  assert.equal(ok(await timeRequest(new URL(untilClose.url), T)).bodyBytes, 15);
  const head = await serve(() => ({ bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n' }));
  const h = ok(await timeRequest(new URL(head.url), { ...T, method: 'HEAD' }));
  assert.equal(h.bodyBytes, 0);
  assert.match(head.requests[0]!, /^HEAD \/path\?q=1 HTTP\/1\.1\r\n/);
  const interim = await serve(() => ({ bytes: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 204 No Content\r\nX-Final: yes\r\n\r\n' }));
  const i = ok(await timeRequest(new URL(interim.url), T));
  assert.equal(i.status, 204);
  assert.deepEqual([i.headers['x-final'], i.headers.link], ['yes', undefined]);
  // repeated fields joined as one value, names in lower case
  const twice = await serve(() => ({ bytes: 'HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSET-COOKIE: b=2\r\nContent-Length: 0\r\n\r\n' }));
  assert.equal(ok(await timeRequest(new URL(twice.url), T)).headers['set-cookie'], 'a=1, b=2');
});

test('requests one after another on one connection: the later ones reuse it; a server that closes after the first fails the second, saying so', async () => {
  const keep = await serve(() => ({ bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc' }));
  const three = await timeRequests(new URL(keep.url), { ...T, requests: 3 });
  assert.deepEqual(three.map((s) => s.ok && [s.reusedConnection, s.bodyBytes]), [[false, 3], [true, 3], [true, 3]]);
  assert.equal(keep.requests.length, 3);
  assert.match(keep.requests[0]!, /\r\nconnection: keep-alive\r\n/);
  const once = await serve(() => ({ bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc', close: true }));
  const two = await timeRequests(new URL(once.url), { ...T, requests: 2 });
  ok(two[0]);
  // as before the request would have gone out: the phase after the reused connection's handshake
  failedIn(two[1], 'ttfb', /^the server closed the connection before the next request$/);
});

test('answers cut short or not HTTP: the phase and the words say how far the answer got', async () => {
  const cases: Array<[string | Buffer, string, RegExp]> = [
    ['', 'ttfb', /^the server closed the connection without answering$/],
    ['HTTP/1.1 200 OK\r\nContent-Len', 'ttfb', /^the server closed the connection before the end of the response headers$/],
    ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello', 'transfer', /^the server closed the connection before the end of the body \(5 of 10 body bytes received\)$/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel', 'transfer', /^the server closed the connection before the end of the body \(3 body bytes received\)$/],
    ['SSH-2.0-OpenSSH_9.2\r\n', 'ttfb', /^invalid response: no status line: "SSH-2\.0-OpenSSH_9\.2\\r\\n"$/],
    ['HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n', 'ttfb', /^invalid response: a header line that is not NAME: value: "No colon here"$/],
    ['HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', 'ttfb', /^invalid response: a bad Content-Length/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'transfer', /^invalid response body: a bad chunk size: "zz"$/],
  ];
  for (const [bytes, phase, re] of cases) {
    const s = await serve(() => ({ bytes, close: true }));
    failedIn(await timeRequest(new URL(s.url), T), phase, re);
  }
});
