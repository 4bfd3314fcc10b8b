/**
 * A hostile or broken server never crashes or hangs netlab dig: bad replies are dropped and
 * netlab keeps waiting for the real one (RFC 5452 9.1), and a server that sends only
 * garbage ends in one line and exit 2 within the timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { runCli } from '../helpers/cli.js';
import { goodReply, startHostile, type HostileOptions, type QueryInfo } from '../helpers/hostile.js';

async function digAgainst(options: HostileOptions, extra: string[] = []) {
  const server = await startHostile(options);
  try {
    return await runCli(['dig', `@${server.address}`, '-p', String(server.port), 'www.example.test', '+time=1', '+tries=1', ...extra], { timeoutMs: 15_000 });
  } finally {
    await server.close();
  }
}

function expectTimeoutLine(r: { code: number | null; stdout: string; stderr: string }, dropped: RegExp) {
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stdout, /;; communications error to 127\.0\.0\.1#\d+: timed out/);
  assert.match(r.stdout, dropped);
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
}

test('random bytes are dropped and the query times out with exit 2', async () => {
  const r = await digAgainst({ udp: () => [{ bytes: randomBytes(64) }] });
  expectTimeoutLine(r, /dropped a reply/);
});

test('a reply with the wrong ID is dropped and the right one that follows is taken', async () => {
  const r = await digAgainst({
    udp: (q) => [{ bytes: goodReply(q, { id: (q.id + 1) & 0xffff, rdata: Buffer.from([6, 6, 6, 6]) }) }, { bytes: goodReply(q), delayMs: 50 }],
  });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /192\.0\.2\.1/);
  assert.doesNotMatch(r.stdout, /6\.6\.6\.6/);
});

test('only wrong-ID replies: timeout naming why they were dropped', async () => {
  const r = await digAgainst({ udp: (q) => [{ bytes: goodReply(q, { id: (q.id + 1) & 0xffff }) }] });
  expectTimeoutLine(r, /dropped a reply: wrong ID/);
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
  expectTimeoutLine(r, /dropped a reply: question/);
});

test('a compression loop is MALFORMED and dropped, never followed forever', async () => {
  const r = await digAgainst({
    udp: (q) => {
      const reply = goodReply(q);
      reply.writeUInt16BE(0xc000 | q.questionEnd, q.questionEnd); // the answer's owner points at itself
      return [{ bytes: reply }];
    },
  });
  expectTimeoutLine(r, /dropped a reply: malformed DNS message: compression pointer/);
});

test('a zero-length A record is MALFORMED, never printed as undefined', async () => {
  const r = await digAgainst({ udp: (q) => [{ bytes: goodReply(q, { rdata: Buffer.alloc(0) }) }] });
  expectTimeoutLine(r, /A RDATA is 0 bytes, not 4/);
  assert.doesNotMatch(r.stdout, /undefined/);
});

test('a truncated packet (cut in the middle of a record) is dropped', async () => {
  const r = await digAgainst({ udp: (q) => [{ bytes: goodReply(q).subarray(0, q.questionEnd + 6) }] });
  expectTimeoutLine(r, /dropped a reply: malformed DNS message/);
});

test('a reply from another address is not accepted, and the real one that follows is', async () => {
  const spoofed = await digAgainst({ udp: (q) => [{ bytes: goodReply(q), from: 'other-address' }] });
  assert.equal(spoofed.code, 2);
  assert.match(spoofed.stdout, /timed out/);
  // the spoofed answer comes first with other data; netlab keeps waiting and takes the server's
  const r = await digAgainst({
    udp: (q) => [{ bytes: goodReply(q, { rdata: Buffer.from([6, 6, 6, 6]) }), from: 'other-address' }, { bytes: goodReply(q), delayMs: 50 }],
  });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /192\.0\.2\.1/);
  assert.doesNotMatch(r.stdout, /6\.6\.6\.6/);
});

test('a huge garbage stream over TCP after TC=1 ends in one line, exit 2, no crash', async () => {
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
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /communications error|malformed/);
  assert.doesNotMatch(r.stderr, /internal error/);
});

test('a TCP server that closes mid-message gives end of file, exit 2', async () => {
  const r = await digAgainst(
    { udp: () => [], tcp: (q, socket) => { const g = goodReply(q); const f = Buffer.alloc(2); f.writeUInt16BE(g.length); socket.end(Buffer.concat([f, g.subarray(0, 10)])); } },
    ['+tcp'],
  );
  assert.equal(r.code, 2);
  assert.match(r.stdout, /end of file in the middle of a message/);
});

test('SERVFAIL and REFUSED exit 2 with the status shown', async () => {
  for (const [rcode, name] of [[2, 'SERVFAIL'], [5, 'REFUSED']] as const) {
    const r = await digAgainst({ udp: (q) => [{ bytes: goodReply(q, { rcode, answers: 0 }) }] });
    assert.equal(r.code, 2);
    assert.match(r.stdout, new RegExp(`status: ${name}`));
  }
});

test('a refused port (nothing listening) fails fast with exit 2', async () => {
  const r = await runCli(['dig', '@127.53.0.9', '-p', '9', 'www.example.test', '+time=5', '+tries=1']);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /connection refused/);
});
