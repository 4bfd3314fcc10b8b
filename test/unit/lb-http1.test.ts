/**
 * issue 16: lb-probe's own HTTP/1.1 client (src/protocol/lb/http1.ts; its parser, shared with
 * trace-request, is src/protocol/http/h1-parser.ts) is fed by servers that may
 * be broken: its parser bounds every read and turns garbage into an attributed error, never a
 * crash. These tests feed it bytes directly (no network).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headEnd, Http1Parser, MAX_HEADER_BYTES, MAX_INTERIM } from '../../src/protocol/http/h1-parser.js';
import { requestBytes } from '../../src/protocol/lb/http1.js';

type Step = ReturnType<Http1Parser['push']>;

/** Feed `chunks` in order; the first step that is not `need`, else the end of the connection. */
function feed(chunks: Array<string | Buffer>, maxBody = 1024): { step: Step; parser: Http1Parser } {
  const parser = new Http1Parser(maxBody);
  for (const c of chunks) {
    const step = parser.push(typeof c === 'string' ? Buffer.from(c, 'latin1') : c);
    if (!('need' in step)) return { step, parser };
  }
  return { step: parser.end(), parser };
}

function error(step: Step): { error: string; message: string } {
  assert.ok('error' in step, `expected an error, got ${JSON.stringify(step)}`);
  return step;
}

test('a plain answer with Content-Length, in one piece or one byte at a time', () => {
  const answer = 'HTTP/1.1 200 OK\r\nX-Backend: web1\r\nX-Backend: again\r\nContent-Length: 5\r\n\r\nhello';
  for (const chunks of [[answer], [...answer]]) {
    const { step, parser } = feed(chunks);
    assert.deepEqual(step, { done: true });
    assert.equal(parser.statusCode, 200);
    assert.deepEqual(parser.headers['x-backend'], ['web1', 'again']);
    assert.equal(parser.bodyBuffer.toString(), 'hello');
  }
});

test('headers named like Object.prototype members (constructor, toString, __proto__) are headers like any other', () => {
  const answer = 'HTTP/1.1 200 OK\r\nConstructor: a\r\ntoString: b\r\n__proto__: c\r\n__proto__: d\r\nContent-Length: 2\r\n\r\nhi';
  const { step, parser } = feed([answer]);
  assert.deepEqual(step, { done: true });
  assert.equal(parser.headers['constructor'], 'a');
  assert.equal(parser.headers['tostring'], 'b');
  assert.deepEqual(parser.headers['__proto__'], ['c', 'd']);
  assert.equal(parser.headers['hasownproperty'], undefined);
  assert.deepEqual(Object.keys(parser.headers), ['constructor', 'tostring', '__proto__', 'content-length']);
  assert.equal(parser.bodyBuffer.toString(), 'hi');
});

test('chunked bodies, with extensions and trailers; an answer until close; interim answers skipped', () => {
  const chunked = feed(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n', '2\r\nde\r\n0\r\nTrailer: 1\r\n\r\n']);
  assert.deepEqual(chunked.step, { done: true });
  assert.equal(chunked.parser.bodyBuffer.toString(), 'abcde');
  const close = feed(['HTTP/1.0 200 OK\r\n\r\nuntil ', 'close']);
  assert.deepEqual(close.step, { done: true });
  assert.equal(close.parser.bodyBuffer.toString(), 'until close');
  const interim = feed(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n']);
  assert.deepEqual(interim.step, { done: true });
  assert.equal(interim.parser.statusCode, 204);
});

test('no status line: NOT_HTTP quoting the bytes, escaped, as soon as five bytes show it', () => {
  const e = error(feed([Buffer.from('\x00\xffgarbage\x07\r\n', 'utf8')]).step);
  assert.equal(e.error, 'NOT_HTTP');
  assert.equal(e.message, 'answered, but not with HTTP (no status line): "\\x00\\xffgarbage\\x07\\r\\n"');
  assert.equal(error(feed(['SSH-2.0-OpenSSH_9.6\r\n']).step).error, 'NOT_HTTP');
  assert.equal(error(feed(['HTTP/2 200\r\n\r\n']).step).error, 'NOT_HTTP');
  assert.equal(error(feed(['HTTP/1.1 2000 OK\r\n\r\n']).step).error, 'NOT_HTTP');
});

test('bad header lines, Content-Length and Transfer-Encoding are NOT_HTTP', () => {
  for (const bad of [
    'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n',
    'HTTP/1.1 200 OK\r\n folded: value\r\n\r\n',
    'HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello',
    'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n',
  ]) assert.equal(error(feed([bad]).step).error, 'NOT_HTTP', bad);
  assert.match(error(feed(['HTTP/1.1 200 OK\r\n folded: value\r\n\r\n']).step).message, /a folded line before any header/);
});

test('obs-fold: a line that starts with a space or a tab continues the header before it, joined by one space (RFC 9112 5.2)', () => {
  const { step, parser } = feed(['HTTP/1.1 200 OK\r\nX-Long: first\r\n  second\r\n\tthird\r\nX-Two: a\r\nX-Two: b\r\n c\r\nX-Empty:\r\n more\r\nContent-Length: 2\r\n\r\nhi']);
  assert.deepEqual(step, { done: true });
  assert.equal(parser.headers['x-long'], 'first second third');
  assert.deepEqual(parser.headers['x-two'], ['a', 'b c']);
  assert.equal(parser.headers['x-empty'], 'more');
  assert.equal(parser.bodyBuffer.toString(), 'hi');
});

test('huge headers: a block over 64 KiB is TOO_LARGE, however it arrives, and nothing beyond it is kept', () => {
  const line = `X-Pad: ${'v'.repeat(1000)}\r\n`;
  const head = `HTTP/1.1 200 OK\r\n${line.repeat(70)}`;
  const one = error(feed([head]).step);
  assert.equal(one.error, 'TOO_LARGE');
  assert.equal(one.message, `answered with a header block over ${MAX_HEADER_BYTES / 1024} KiB, the most read`);
  // in pieces, never ending: stops at the cap, not at the end of the stream
  const parser = new Http1Parser(1024);
  let step: Step = { need: true };
  let fed = 0;
  for (let i = 0; i < 10_000 && 'need' in step; i++, fed += line.length) step = parser.push(Buffer.from(i === 0 ? `HTTP/1.1 200 OK\r\n${line}` : line));
  assert.equal(error(step).error, 'TOO_LARGE');
  assert.ok(fed < MAX_HEADER_BYTES + 2 * line.length, `read ${fed} bytes`);
  assert.equal(error(feed([`HTTP/1.1 200 OK\r\n${'a: b\r\n'.repeat(5000)}\r\n`]).step).error, 'TOO_LARGE');
});

test('chunked garbage: a bad size, a size line without end, no CRLF after a chunk', () => {
  const base = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
  const bad = error(feed([base, 'zz\r\n']).step);
  assert.equal(bad.error, 'NOT_HTTP');
  assert.match(bad.message, /a bad chunk size\): "zz"/);
  assert.match(error(feed([base, '1'.repeat(2000)]).step).message, /chunk-size line over 1 KiB/);
  assert.match(error(feed([base, '3\r\nabcXY\r\n']).step).message, /no CRLF after a chunk/);
  assert.match(error(feed([base, 'ffffffffffffffff\r\n']).step).message, /a bad chunk size/);
});

test('early close: before any byte, in the header block, in the body; a huge body ends at the cap', () => {
  assert.deepEqual(error(feed([]).step), { error: 'RESET', message: 'closed the connection without an answer' });
  assert.deepEqual(error(feed(['HTTP/1.1 200 OK\r\nX-A']).step), { error: 'RESET', message: 'closed the connection in the middle of the header block (20 bytes came)' });
  assert.match(error(feed(['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc']).step).message, /7 bytes before the end of the body/);
  assert.match(error(feed(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab']).step).message, /in the middle of a chunked body/);
  const big = feed(['HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n', Buffer.alloc(4096, 0x61)], 100);
  assert.deepEqual(big.step, { done: true });
  assert.equal(big.parser.bodyBuffer.length, 100);
  const interims = error(feed(['HTTP/1.1 100 Continue\r\n\r\n'.repeat(MAX_INTERIM + 1)]).step);
  assert.match(interims.message, /more than 8 interim answers/);
});

test('the request: one GET, Connection: close, the Host given', () => {
  assert.equal(requestBytes({ path: '/x', hostHeader: 'lb.example.test', userAgent: 'ua' }).toString(),
    'GET /x HTTP/1.1\r\nHost: lb.example.test\r\nUser-Agent: ua\r\nAccept: */*\r\nConnection: close\r\n\r\n');
});

test('one Content-Length of digits (the fast path) frames the body as the general forms do: "5", "005", "5, 5", two equal lines', () => {
  for (const cl of ['Content-Length: 5', 'Content-Length: 005', 'Content-Length: 5, 5', 'Content-Length: 5\r\nContent-Length: 5']) {
    const { step, parser } = feed([`HTTP/1.1 200 OK\r\n${cl}\r\n\r\nhelloEXTRA`]);
    assert.deepEqual(step, { done: true }, cl);
    assert.equal(parser.complete, true, cl);
    assert.equal(parser.bodyBuffer.toString(), 'hello', cl);
  }
  const zero = feed(['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n']);
  assert.deepEqual([zero.step, zero.parser.complete, zero.parser.bodyBuffer.length], [{ done: true }, true, 0]);
  assert.equal(error(feed(['HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n']).step).error, 'NOT_HTTP');
});

test('the body in several pieces is joined; in one piece it is that piece', () => {
  const pieces = feed(['HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nab', 'cd', 'ef']);
  assert.equal(pieces.parser.bodyBuffer.toString(), 'abcdef');
  const one = feed(['HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n', 'xyz']);
  assert.equal(one.parser.bodyBuffer.toString(), 'xyz');
});

test('a reused read buffer (push(data, true), as net\'s onread gives it): what the parser keeps is its own copy', () => {
  const answers = [
    'HTTP/1.1 200 OK\r\nX-Backend: web1\r\nContent-Length: 11\r\n\r\nhello world',
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nX-Backend: web2\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
    'HTTP/1.0 200 OK\r\nX-Backend: web3\r\n\r\nhello world',
  ];
  for (const answer of answers) {
    for (const size of [1, 3, 7, 16, answer.length]) {
      const buffer = Buffer.alloc(answer.length);
      const parser = new Http1Parser(1024);
      let step: Step = { need: true };
      for (let at = 0; at < answer.length && 'need' in step; at += size) {
        const n = buffer.write(answer.slice(at, at + size), 'latin1');
        step = parser.push(buffer.subarray(0, n), true);
        buffer.fill(0x58); // the next read overwrites the buffer
      }
      if ('need' in step) step = parser.end();
      assert.deepEqual(step, { done: true }, `${JSON.stringify(answer)} in pieces of ${size}`);
      assert.match(String(parser.headers['x-backend']), /^web[123]$/);
      assert.equal(parser.bodyBuffer.toString('latin1'), 'hello world', `${JSON.stringify(answer)} in pieces of ${size}`);
    }
  }
});

test('headEnd: the first CRLFCRLF or LFLF, as indexOf finds them, whatever bytes surround them', () => {
  const reference = (b: Buffer): number => {
    const crlf = b.indexOf('\r\n\r\n');
    const lf = b.indexOf('\n\n');
    return crlf < 0 ? lf : lf < 0 ? crlf : Math.min(crlf, lf);
  };
  for (const s of ['', '\n', '\n\n', '\r\n\r\n', 'a\r\n\r\n', 'a\n\r\n', 'a\r\n\n', 'a\n\n\r\n\r\n', 'x\r\n\r\r\n\r\n', 'HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody\n\n']) {
    assert.equal(headEnd(Buffer.from(s, 'latin1')), reference(Buffer.from(s, 'latin1')), JSON.stringify(s));
  }
  // random strings over the four bytes that matter, and a few others (seeded, bounded)
  let seed = 7;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  const alphabet = [0x0d, 0x0a, 0x41, 0x20];
  for (let k = 0; k < 3000; k++) {
    const b = Buffer.from(Array.from({ length: Math.floor(rnd() * 12) }, () => alphabet[Math.floor(rnd() * 4)]!));
    assert.equal(headEnd(b), reference(b), JSON.stringify(b.toString('latin1')));
    // and searched from any point after which the earlier bytes had no match
    for (let from = 0; from <= b.length; from++) {
      const before = reference(b.subarray(0, Math.min(b.length, from + 3)));
      if (before < 0) assert.equal(headEnd(b, from), reference(b), `${JSON.stringify(b.toString('latin1'))} from ${from}`);
    }
  }
});
