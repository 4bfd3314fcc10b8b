/**
 * A hostile or broken server never crashes or hangs netlab dig: bad replies are dropped and
 * netlab keeps waiting for the real one (RFC 5452 9.1), and a server that sends only
 * garbage ends in one line and exit 2 within the timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { lookup, type DigResult } from '../../src/protocol/dns/lookup.js';
import { runCli } from '../helpers/cli.js';
import { goodReply, startHostile, type HostileOptions, type QueryInfo } from '../helpers/hostile.js';

/** One lookup against a hostile server, in this process: 300 ms to wait (the CLI's least is +time=1), one try. */
async function digAgainst(options: HostileOptions, extra: { tcp?: boolean } = {}): Promise<DigResult> {
  const server = await startHostile(options);
  try {
    return await lookup({ name: 'www.example.test', server: server.address, port: server.port, timeoutMs: 300, tries: 1, ...extra });
  } finally {
    await server.close();
  }
}

function expectTimeout(r: DigResult, dropped: RegExp) {
  assert.equal(r.status, 'CRITICAL');
  assert.deepEqual(r.problems.map((p) => p.code), ['TIMEOUT']);
  assert.match(r.error ?? '', /^communications error to 127\.0\.0\.1#\d+: timed out/);
  assert.match(r.error ?? '', dropped);
}

/** The answers' data, as dig prints them. */
const data = (r: DigResult) => r.answer.map((a) => a.data);

// the binary once: garbage ends in one line on stdout and exit 2, no stack trace
test('random bytes are dropped and the query times out: exit 2, one line, no stack trace', async () => {
  const server = await startHostile({ udp: () => [{ bytes: randomBytes(64) }] });
  try {
    const r = await runCli(['dig', `@${server.address}`, '-p', String(server.port), 'www.example.test', '+time=1', '+tries=1'], { timeoutMs: 15_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stdout, /;; communications error to 127\.0\.0\.1#\d+: timed out \(dropped a reply: /);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
  } finally {
    await server.close();
  }
});

test('a reply with the wrong ID is dropped and the right one that follows is taken', async () => {
  const r = await digAgainst({
    udp: (q) => [{ bytes: goodReply(q, { id: (q.id + 1) & 0xffff, rdata: Buffer.from([6, 6, 6, 6]) }) }, { bytes: goodReply(q), delayMs: 50 }],
  });
  assert.equal(r.status, 'OK', r.error);
  assert.deepEqual(data(r), ['192.0.2.1']);
});

test('only wrong-ID replies: timeout naming why they were dropped', async () => {
  const r = await digAgainst({ udp: (q) => [{ bytes: goodReply(q, { id: (q.id + 1) & 0xffff }) }] });
  expectTimeout(r, /dropped a reply: wrong ID/);
});

test('a reply for another question is dropped', async () => {
  const r = await digAgainst({
    udp: (q) => {
      const other = Buffer.from(q.bytes);
      other[13] = other[13]! ^ 0x20; // flip the case... then change a letter
      other[14] = 0x71; // 'q'
      return [{ bytes: goodReply({ ...q, bytes: other }) }];
    },
  });
  expectTimeout(r, /dropped a reply: question/);
});

test('a compression loop is MALFORMED and dropped, never followed forever', async () => {
  const r = await digAgainst({
    udp: (q) => {
      const reply = goodReply(q);
      reply.writeUInt16BE(0xc000 | q.questionEnd, q.questionEnd); // the answer's owner points at itself
      return [{ bytes: reply }];
    },
  });
  expectTimeout(r, /dropped a reply: malformed DNS message: compression pointer/);
});

test('a zero-length A record is MALFORMED, never printed as undefined', async () => {
  const r = await digAgainst({ udp: (q) => [{ bytes: goodReply(q, { rdata: Buffer.alloc(0) }) }] });
  expectTimeout(r, /A RDATA is 0 bytes, not 4/);
  assert.deepEqual(r.answer, []);
});

test('a truncated packet (cut in the middle of a record) is dropped', async () => {
  const r = await digAgainst({ udp: (q) => [{ bytes: goodReply(q).subarray(0, q.questionEnd + 6) }] });
  expectTimeout(r, /dropped a reply: malformed DNS message/);
});

test('a reply from another address is not accepted, and the real one that follows is', async () => {
  const spoofed = await digAgainst({ udp: (q) => [{ bytes: goodReply(q), from: 'other-address' }] });
  // the connected socket never hears it (the kernel filters), or it is dropped: a timeout either way
  expectTimeout(spoofed, /timed out/);
  // the spoofed answer comes first with other data; netlab keeps waiting and takes the server's
  const r = await digAgainst({
    udp: (q) => [{ bytes: goodReply(q, { rdata: Buffer.from([6, 6, 6, 6]) }), from: 'other-address' }, { bytes: goodReply(q), delayMs: 50 }],
  });
  assert.equal(r.status, 'OK', r.error);
  assert.deepEqual(data(r), ['192.0.2.1']);
});

test('a huge garbage stream over TCP after TC=1 ends in one error, CRITICAL, no crash', async () => {
  const r = await digAgainst({
    udp: (q) => [{ bytes: goodReply(q, { tc: true, answers: 0 }) }],
    tcp: (_q: QueryInfo, socket) => {
      const frameHeader = Buffer.from([0xff, 0xff]);
      socket.write(Buffer.concat([frameHeader, randomBytes(0xffff)]));
      // then keep streaming junk for a while; netlab must stop reading and give up
      let n = 0;
      const t = setInterval(() => {
        if (socket.destroyed || n++ > 40) {
          clearInterval(t);
          socket.destroy();
          return;
        }
        socket.write(randomBytes(16384));
      }, 10);
    },
  });
  assert.equal(r.status, 'CRITICAL');
  assert.match(r.error ?? '', /communications error|malformed/);
});

test('a TCP server that closes mid-message gives end of file, CRITICAL', async () => {
  const r = await digAgainst(
    { udp: () => [], tcp: (q, socket) => { const g = goodReply(q); const f = Buffer.alloc(2); f.writeUInt16BE(g.length); socket.end(Buffer.concat([f, g.subarray(0, 10)])); } },
    { tcp: true },
  );
  assert.deepEqual(r.problems.map((p) => p.code), ['UNREACHABLE']);
  assert.match(r.error ?? '', /end of file in the middle of a message/);
});

test('SERVFAIL and REFUSED are CRITICAL, with the RCODE and its problem', async () => {
  for (const [rcode, name] of [[2, 'SERVFAIL'], [5, 'REFUSED']] as const) {
    const r = await digAgainst({ udp: (q) => [{ bytes: goodReply(q, { rcode, answers: 0 }) }] });
    assert.equal(r.status, 'CRITICAL');
    assert.equal(r.rcode, name);
    assert.deepEqual(r.problems.map((p) => p.code), [name]);
  }
});

test('a refused port (nothing listening) fails fast, UNREACHABLE: connection refused', async () => {
  const r = await lookup({ name: 'www.example.test', server: '127.53.0.9', port: 9, timeoutMs: 5000, tries: 1 });
  assert.deepEqual([r.status, r.problems.map((p) => p.code)], ['CRITICAL', ['UNREACHABLE']]);
  assert.equal(r.error, 'communications error to 127.53.0.9#9: connection refused');
});
