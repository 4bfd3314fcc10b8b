/**
 * The hardened DNS codec: decodeMessage on hand-made hostile bytes (every failure is a
 * NetlabError MALFORMED_PACKET, never a RangeError or a string with "undefined" in it),
 * encodeQuery, the name helpers and TCP framing (RFC 1035 4.2.2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { decodeMessage, encodeQuery, frame, FrameReader } from '../../src/protocol/dns/wire.js';
import { canonicalName, escapeLabel, nameToWire, readName, splitName } from '../../src/protocol/dns/names.js';
import { NetlabError } from '../../src/errors.js';

// --- builders -------------------------------------------------------------------

interface HeaderFields { id?: number; bits?: number; qd?: number; an?: number; ns?: number; ar?: number }

function header(h: HeaderFields = {}): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(h.id ?? 0xbeef, 0);
  b.writeUInt16BE(h.bits ?? 0x8180, 2); // QR RD RA
  b.writeUInt16BE(h.qd ?? 0, 4);
  b.writeUInt16BE(h.an ?? 0, 6);
  b.writeUInt16BE(h.ns ?? 0, 8);
  b.writeUInt16BE(h.ar ?? 0, 10);
  return b;
}

function question(name: Buffer, type = 1, cls = 1): Buffer {
  const t = Buffer.alloc(4);
  t.writeUInt16BE(type, 0);
  t.writeUInt16BE(cls, 2);
  return Buffer.concat([name, t]);
}

function rr(name: Buffer, type: number, rdata: Buffer, opts: { cls?: number; ttl?: number; rdlength?: number } = {}): Buffer {
  const f = Buffer.alloc(10);
  f.writeUInt16BE(type, 0);
  f.writeUInt16BE(opts.cls ?? 1, 2);
  f.writeUInt32BE((opts.ttl ?? 300) >>> 0, 4);
  f.writeUInt16BE(opts.rdlength ?? rdata.length, 8);
  return Buffer.concat([name, f, rdata]);
}

/** An OPT pseudo-record (RFC 6891 6.1.2): class = UDP size, TTL = ext-rcode, version, flags. */
function opt(o: { udpSize?: number; extRcode?: number; version?: number; flags?: number; options?: Array<[number, Buffer]>; owner?: Buffer } = {}): Buffer {
  const data = Buffer.concat((o.options ?? []).map(([code, value]) => {
    const h = Buffer.alloc(4);
    h.writeUInt16BE(code, 0);
    h.writeUInt16BE(value.length, 2);
    return Buffer.concat([h, value]);
  }));
  const ttl = (((o.extRcode ?? 0) << 24) | ((o.version ?? 0) << 16) | (o.flags ?? 0)) >>> 0;
  return rr(o.owner ?? Buffer.from([0]), 41, data, { cls: o.udpSize ?? 1232, ttl });
}

const QNAME = nameToWire('www.example.test');
const PTR = (offset: number) => Buffer.from([0xc0 | (offset >> 8), offset & 0xff]);
const A_RDATA = Buffer.from([192, 0, 2, 1]);

/** A valid response: www.example.test A 192.0.2.1, owner compressed to the question name. */
function validResponse(): Buffer {
  return Buffer.concat([header({ qd: 1, an: 1 }), question(QNAME), rr(PTR(12), 1, A_RDATA)]);
}

function isMalformed(e: unknown): boolean {
  return e instanceof NetlabError && e.code === 'MALFORMED_PACKET';
}

/** decodeMessage must throw NetlabError MALFORMED_PACKET (and, when given, say why). */
function assertMalformed(bytes: Uint8Array, what: string, why?: RegExp): void {
  assert.throws(() => decodeMessage(bytes), (e: unknown) => {
    assert.ok(isMalformed(e), `${what}: expected NetlabError MALFORMED_PACKET, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    if (why) assert.match((e as Error).message, why, what);
    return true;
  }, what);
}

// --- decodeMessage: well-formed input --------------------------------------------

test('a valid response decodes: id, flags, question, answer with the compressed owner', () => {
  const m = decodeMessage(validResponse());
  assert.equal(m.id, 0xbeef);
  assert.equal(m.opcode, 'QUERY');
  assert.equal(m.rcode, 'NOERROR');
  assert.equal(m.rcodeCode, 0);
  assert.deepEqual(m.flags, ['qr', 'rd', 'ra']);
  assert.deepEqual(m.questions, [{ name: 'www.example.test.', type: 'A', typeCode: 1, class: 'IN', classCode: 1 }]);
  assert.deepEqual(m.answers, [{ name: 'www.example.test.', type: 'A', typeCode: 1, class: 'IN', classCode: 1, ttl: 300, data: '192.0.2.1', rdata: { type: 'A', address: '192.0.2.1' } }]);
  assert.deepEqual(m.authorities, []);
  assert.deepEqual(m.additionals, []);
  assert.equal(m.edns, undefined);
  assert.equal(m.size, validResponse().length);
});

test('every header flag bit is reported, in dig order, and opcode and rcode are named', () => {
  const m = decodeMessage(header({ bits: 0x8000 | 0x0400 | 0x0200 | 0x0100 | 0x0080 | 0x0020 | 0x0010 | (4 << 11) | 3 }));
  assert.deepEqual(m.flags, ['qr', 'aa', 'tc', 'rd', 'ra', 'ad', 'cd']);
  assert.equal(m.opcode, 'NOTIFY');
  assert.equal(m.rcode, 'NXDOMAIN');
  assert.equal(decodeMessage(header({ bits: 0 })).flags.length, 0);
});

test('a 12-byte header with zero counts is a valid (empty) message', () => {
  const m = decodeMessage(header());
  assert.equal(m.questions.length + m.answers.length + m.authorities.length + m.additionals.length, 0);
});

test('trailing bytes after the last record are tolerated, as BIND does', () => {
  const m = decodeMessage(Buffer.concat([validResponse(), Buffer.from([1, 2, 3])]));
  assert.equal(m.answers[0]!.data, '192.0.2.1');
});

test('a Uint8Array view into a larger buffer decodes from its own offset', () => {
  const big = Buffer.concat([Buffer.from([0xff, 0xff, 0xff]), validResponse(), Buffer.from([0xff])]);
  const view = new Uint8Array(big.buffer, big.byteOffset + 3, validResponse().length);
  assert.equal(decodeMessage(view).answers[0]!.data, '192.0.2.1');
});

test('unknown class and type are named CLASSnnn and TYPEnnn (RFC 3597 5)', () => {
  const m = decodeMessage(Buffer.concat([header({ qd: 1, an: 1 }), question(QNAME, 65280, 65280), rr(PTR(12), 65280, Buffer.from([1]), { cls: 65280 })]));
  assert.equal(m.questions[0]!.class, 'CLASS65280');
  assert.equal(m.questions[0]!.type, 'TYPE65280');
  assert.equal(m.answers[0]!.data, '\\# 1 01');
});

test('a TTL with the top bit set is returned unsigned', () => {
  const m = decodeMessage(Buffer.concat([header({ qd: 1, an: 1 }), question(QNAME), rr(PTR(12), 1, A_RDATA, { ttl: 0xffffffff })]));
  assert.equal(m.answers[0]!.ttl, 4294967295);
});

test('a name of exactly 255 bytes decodes; one of 256 is MALFORMED_PACKET', () => {
  const label = (n: number) => Buffer.concat([Buffer.from([n]), Buffer.alloc(n, 0x61)]);
  const n255 = Buffer.concat([label(63), label(63), label(63), label(61), Buffer.from([0])]);
  assert.equal(n255.length, 255);
  const m = decodeMessage(Buffer.concat([header({ qd: 1 }), question(n255)]));
  assert.equal(m.questions[0]!.name.length, 250 + 4); // 250 label bytes and 4 dots
  const n256 = Buffer.concat([label(63), label(63), label(63), label(62), Buffer.from([0])]);
  assert.equal(n256.length, 256);
  assertMalformed(Buffer.concat([header({ qd: 1 }), question(n256)]), '256-byte name');
});

test('label bytes are escaped as BIND prints them: dot, quote, space, high bytes', () => {
  const name = Buffer.concat([Buffer.from([5]), Buffer.from('a.b c'), Buffer.from([2, 0xff, 0x40]), Buffer.from([0])]);
  const m = decodeMessage(Buffer.concat([header({ qd: 1 }), question(name)]));
  assert.equal(m.questions[0]!.name, 'a\\.b\\032c.\\255\\@.');
});

// --- decodeMessage: hostile input ------------------------------------------------

test('every length shorter than a header (0-11 bytes) is MALFORMED_PACKET, not a RangeError', () => {
  const full = validResponse();
  for (let n = 0; n < 12; n++) assertMalformed(full.subarray(0, n), `${n} bytes`, /shorter than a header/);
});

test('counts larger than the data are MALFORMED_PACKET for each section', () => {
  assertMalformed(header({ qd: 1 }), 'qdcount 1, no question');
  assertMalformed(Buffer.concat([header({ qd: 1, an: 2 }), question(QNAME), rr(PTR(12), 1, A_RDATA)]), 'ancount 2, one answer');
  assertMalformed(Buffer.concat([header({ qd: 1, an: 1, ns: 1 }), question(QNAME), rr(PTR(12), 1, A_RDATA)]), 'nscount 1, none');
  assertMalformed(Buffer.concat([header({ qd: 1, an: 1, ar: 65535 }), question(QNAME), rr(PTR(12), 1, A_RDATA)]), 'arcount 65535');
  assertMalformed(header({ qd: 65535, an: 65535, ns: 65535, ar: 65535 }), 'every count 65535, no data');
});

test('every truncation of a valid response is MALFORMED_PACKET', () => {
  const full = validResponse();
  for (let n = 12; n < full.length; n++) assertMalformed(full.subarray(0, n), `cut at ${n}`);
});

test('a question whose type and class run past the end is MALFORMED_PACKET', () => {
  assertMalformed(Buffer.concat([header({ qd: 1 }), QNAME, Buffer.from([0, 1, 0])]), 'question cut in class');
});

test('a compression pointer to itself is MALFORMED_PACKET (no loop)', () => {
  assertMalformed(Buffer.concat([header({ qd: 1 }), question(PTR(12))]), 'question name = pointer to 12', /prior data/);
  // an answer owner pointing at its own offset
  const prefix = Buffer.concat([header({ qd: 1, an: 1 }), question(QNAME)]);
  assertMalformed(Buffer.concat([prefix, rr(PTR(prefix.length), 1, A_RDATA)]), 'owner points to itself', /prior data/);
});

test('two compression pointers pointing at each other are MALFORMED_PACKET (no loop)', () => {
  // question: "a" then pointer to 16; at 16 a pointer back to 14 (the first pointer)
  const name = Buffer.from([1, 0x61, 0xc0, 16, 0xc0, 14]);
  assertMalformed(Buffer.concat([header({ qd: 1 }), name, Buffer.from([0, 1, 0, 1])]), 'a -> 16 -> 14 -> 16');
  // answer owner at X points back to Y (allowed), and Y points forward to X (not allowed)
  const prefix = Buffer.concat([header({ qd: 1, an: 2 }), question(QNAME)]);
  const y = prefix.length; // first answer owner
  const first = rr(PTR(y + 2 + 10 + 4), 1, A_RDATA); // forward to the second owner
  const second = rr(PTR(y), 1, A_RDATA);
  assertMalformed(Buffer.concat([prefix, first, second]), 'X -> Y -> X');
});

test('a forward compression pointer is MALFORMED_PACKET (RFC 1035 4.1.4: prior data only)', () => {
  const prefix = Buffer.concat([header({ qd: 1, an: 2 }), question(QNAME)]);
  const firstLen = 2 + 10 + 4;
  const msg = Buffer.concat([prefix, rr(PTR(prefix.length + firstLen), 1, A_RDATA), rr(nameToWire('x.test'), 1, A_RDATA)]);
  assertMalformed(msg, 'pointer to the next record', /prior data/);
  assertMalformed(Buffer.concat([header({ qd: 1 }), question(PTR(0x3fff))]), 'pointer far past the end');
});

test('a pointer running past the end (one byte of two) is MALFORMED_PACKET', () => {
  assertMalformed(Buffer.concat([header({ qd: 1 }), Buffer.from([0xc0])]), 'half a pointer');
});

test('label types 0x40 and 0x80 (a "label over 63") are MALFORMED_PACKET', () => {
  for (const len of [0x40, 0x41, 0x7f, 0x80, 0xbf]) {
    const name = Buffer.concat([Buffer.from([len]), Buffer.alloc(len & 0x3f, 0x61), Buffer.from([0])]);
    assertMalformed(Buffer.concat([header({ qd: 1 }), question(name)]), `label byte 0x${len.toString(16)}`, /label type/);
  }
});

test('a label running past the end is MALFORMED_PACKET', () => {
  assertMalformed(Buffer.concat([header({ qd: 1 }), Buffer.from([10, 0x61, 0x62])]), 'label of 10 with 2 bytes');
});

test('a name over 255 bytes is MALFORMED_PACKET, also when built from pointers', () => {
  const big = Buffer.concat([...Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x62)])), Buffer.from([0])]);
  assertMalformed(Buffer.concat([header({ qd: 1 }), question(big)]), '5 x 63-byte labels', /255/);
  // question: 3 x 63 labels (193 bytes); answer owner: 63-byte label + pointer to it = 257
  const q = Buffer.concat([...Array.from({ length: 3 }, () => Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x63)])), Buffer.from([0])]);
  const owner = Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x64), PTR(12)]);
  assertMalformed(Buffer.concat([header({ qd: 1, an: 1 }), question(q), rr(owner, 1, A_RDATA)]), '64 + pointer to 193', /255/);
});

test('zero-length A RDATA is MALFORMED_PACKET, not undefined.undefined.undefined.undefined', () => {
  assertMalformed(Buffer.concat([header({ qd: 1, an: 1 }), question(QNAME), rr(PTR(12), 1, Buffer.alloc(0))]), 'A, 0 bytes', /A RDATA is 0 bytes, not 4/);
});

test('zero-length AAAA RDATA is MALFORMED_PACKET, not a string of undefined groups', () => {
  assertMalformed(Buffer.concat([header({ qd: 1, an: 1 }), question(QNAME, 28), rr(PTR(12), 28, Buffer.alloc(0))]), 'AAAA, 0 bytes', /AAAA RDATA is 0 bytes, not 16/);
});

test('A RDATA of 3 or 5 bytes and AAAA of 15 or 17 are MALFORMED_PACKET', () => {
  for (const [type, len] of [[1, 3], [1, 5], [28, 15], [28, 17]] as const) {
    assertMalformed(Buffer.concat([header({ qd: 1, an: 1 }), question(QNAME, type), rr(PTR(12), type, Buffer.alloc(len, 1))]), `type ${type}, ${len} bytes`);
  }
});

test('RDLENGTH past the end of the message is MALFORMED_PACKET', () => {
  assertMalformed(Buffer.concat([header({ qd: 1, an: 1 }), question(QNAME), rr(PTR(12), 1, A_RDATA, { rdlength: 5 })]), 'A, rdlength 5, 4 bytes', /past the end/);
  assertMalformed(Buffer.concat([header({ qd: 1, an: 1 }), question(QNAME), rr(PTR(12), 16, Buffer.from([3, 0x61]), { rdlength: 65535 })]), 'TXT rdlength 65535');
});

test('a record header cut short is MALFORMED_PACKET', () => {
  assertMalformed(Buffer.concat([header({ qd: 1, an: 1 }), question(QNAME), PTR(12), Buffer.from([0, 1, 0, 1, 0])]), 'type, class, part of the TTL');
});

test('SOA, MX, SRV, NS, CNAME whose name does not fill RDATA are MALFORMED_PACKET', () => {
  const root = Buffer.from([0]);
  const cases: Array<[string, number, Buffer]> = [
    ['SOA with a spare byte', 6, Buffer.concat([root, root, Buffer.alloc(20), Buffer.from([0])])],
    ['SOA missing a number', 6, Buffer.concat([PTR(12), PTR(12), Buffer.alloc(18)])],
    ['MX with a spare byte', 15, Buffer.concat([Buffer.from([0, 10]), root, Buffer.from([7])])],
    ['SRV with a spare byte', 33, Buffer.concat([Buffer.alloc(6), PTR(12), Buffer.from([7])])],
    ['NS with a spare byte', 2, Buffer.concat([PTR(12), Buffer.from([7])])],
    ['CNAME with a spare byte', 5, Buffer.concat([nameToWire('a.test'), Buffer.from([0])])],
    ['PTR with a spare byte', 12, Buffer.concat([root, root])],
  ];
  for (const [what, type, rdata] of cases) {
    assertMalformed(Buffer.concat([header({ qd: 1, an: 1 }), question(QNAME, type), rr(PTR(12), type, rdata)]), what);
  }
});

test('a name in RDATA that runs past its RDLENGTH into the next record is MALFORMED_PACKET', () => {
  // MX RDATA "00 0a 01 78": the exchange "x" has no end inside RDATA; read on, it would end
  // at the next record's root owner and decode as "10 x."
  const msg = Buffer.concat([header({ qd: 1, an: 2 }), question(QNAME, 15), rr(PTR(12), 15, Buffer.from([0, 10, 1, 0x78])), rr(Buffer.from([0]), 1, A_RDATA)]);
  assertMalformed(msg, 'MX exchange crossing RDLENGTH');
  const ns = Buffer.concat([header({ qd: 1, an: 2 }), question(QNAME, 2), rr(PTR(12), 2, Buffer.from([1, 0x78])), rr(Buffer.from([0]), 1, A_RDATA)]);
  assertMalformed(ns, 'NS target crossing RDLENGTH');
});

test('RDATA of known types under their minimum length is MALFORMED_PACKET', () => {
  const cases: Array<[number, number]> = [[2, 0], [5, 0], [12, 0], [39, 0], [6, 21], [15, 2], [33, 6], [16, 0], [13, 1], [257, 1], [43, 4], [44, 2], [52, 3], [48, 4], [46, 18], [47, 0], [64, 2], [65, 2], [256, 3], [50, 4], [51, 4], [35, 3]];
  for (const [type, len] of cases) {
    assertMalformed(Buffer.concat([header({ qd: 1, an: 1 }), question(QNAME, type), rr(PTR(12), type, Buffer.alloc(len))]), `type ${type}, ${len} bytes`);
  }
});

test('an OPT record in the answer or authority section is MALFORMED_PACKET', () => {
  assertMalformed(Buffer.concat([header({ qd: 1, an: 1 }), question(QNAME), opt()]), 'OPT in answer', /OPT/);
  assertMalformed(Buffer.concat([header({ qd: 1, ns: 1 }), question(QNAME), opt()]), 'OPT in authority');
});

test('two OPT records are MALFORMED_PACKET (RFC 6891 6.1.1)', () => {
  assertMalformed(Buffer.concat([header({ qd: 1, ar: 2 }), question(QNAME), opt(), opt()]), 'two OPT', /repeated/);
});

test('an OPT record whose owner is not the root is MALFORMED_PACKET', () => {
  assertMalformed(Buffer.concat([header({ qd: 1, ar: 1 }), question(QNAME), opt({ owner: PTR(12) })]), 'OPT owned by the qname');
});

test('an EDNS option running past the OPT RDATA is MALFORMED_PACKET', () => {
  const good = opt({ options: [[3, Buffer.from('ns1')]] });
  // lengthen the option's declared length by one (it sits 2 bytes into the RDATA)
  const bad = Buffer.from(good);
  bad.writeUInt16BE(4, 11 + 2);
  assertMalformed(Buffer.concat([header({ qd: 1, ar: 1 }), question(QNAME), bad]), 'option length 4, 3 bytes');
  // a 3-byte option header
  const short = rr(Buffer.from([0]), 41, Buffer.from([0, 3, 0]), { cls: 1232 });
  assertMalformed(Buffer.concat([header({ qd: 1, ar: 1 }), question(QNAME), short]), '3-byte option header');
});

test('the extended RCODE merges with the header: OPT high byte 1 + header 0 is BADVERS (16)', () => {
  const m = decodeMessage(Buffer.concat([header({ qd: 1, ar: 1, bits: 0x8000 }), question(QNAME), opt({ extRcode: 1 })]));
  assert.equal(m.rcodeCode, 16);
  assert.equal(m.rcode, 'BADVERS');
  const cookie = decodeMessage(Buffer.concat([header({ qd: 1, ar: 1, bits: 0x8007 }), question(QNAME), opt({ extRcode: 1 })]));
  assert.equal(cookie.rcodeCode, 23);
  assert.equal(cookie.rcode, 'BADCOOKIE');
  const unnamed = decodeMessage(Buffer.concat([header({ qd: 1, ar: 1, bits: 0x8000 }), question(QNAME), opt({ extRcode: 0xff })]));
  assert.equal(unnamed.rcodeCode, 4080);
  assert.equal(unnamed.rcode, '4080');
});

test('EDNS fields: UDP size, version, DO flag, flags, options with names and NSID as text', () => {
  const m = decodeMessage(Buffer.concat([
    header({ qd: 1, ar: 1 }),
    question(QNAME),
    opt({ udpSize: 4096, version: 0, flags: 0x8000, options: [[3, Buffer.from('ns1.example.test')], [10, Buffer.from('0102030405060708', 'hex')], [65001, Buffer.alloc(0)]] }),
  ]));
  assert.deepEqual(m.edns, {
    version: 0,
    udpSize: 4096,
    do: true,
    flags: 0x8000,
    options: [
      { code: 3, name: 'NSID', hex: Buffer.from('ns1.example.test').toString('hex') },
      // issue 14: a well-formed COOKIE is also read into its parts
      { code: 10, name: 'COOKIE', hex: '0102030405060708', client: '0102030405060708' },
      { code: 65001, name: 'OPT65001', hex: '' },
    ],
    nsid: 'ns1.example.test',
  });
  assert.deepEqual(m.additionals, [], 'the OPT pseudo-record is not an additional record');
  const plain = decodeMessage(Buffer.concat([header({ qd: 1, ar: 1 }), question(QNAME), opt({ udpSize: 512, version: 1 })]));
  assert.equal(plain.edns!.do, false);
  assert.equal(plain.edns!.version, 1);
  assert.equal(plain.edns!.udpSize, 512);
  assert.equal(plain.edns!.nsid, undefined);
});

test('OPT may come before or after other additional records', () => {
  const glue = rr(nameToWire('ns1.example.test'), 1, A_RDATA);
  for (const parts of [[opt(), glue], [glue, opt()]]) {
    const m = decodeMessage(Buffer.concat([header({ qd: 1, ar: 2 }), question(QNAME), ...parts]));
    assert.equal(m.additionals.length, 1);
    assert.equal(m.additionals[0]!.data, '192.0.2.1');
    assert.ok(m.edns);
  }
});

test('TXT RDATA whose character-string runs past RDLENGTH is MALFORMED_PACKET', () => {
  assertMalformed(Buffer.concat([header({ qd: 1, an: 1 }), question(QNAME, 16), rr(PTR(12), 16, Buffer.from([5, 0x61, 0x62]))]), 'TXT string of 5 in 3 bytes');
});

// --- encodeQuery ----------------------------------------------------------------

test('encodeQuery writes the given id, one question, RD by default and no OPT without edns', () => {
  for (const id of [0, 1, 0x1234, 0xffff]) {
    const q = encodeQuery({ id, name: 'www.example.test', type: 1 });
    assert.equal(q.readUInt16BE(0), id);
    assert.equal(q.readUInt16BE(2), 0x0100);
    assert.deepEqual([q.readUInt16BE(4), q.readUInt16BE(6), q.readUInt16BE(8), q.readUInt16BE(10)], [1, 0, 0, 0]);
    assert.deepEqual(q.subarray(12), Buffer.concat([nameToWire('www.example.test'), Buffer.from([0, 1, 0, 1])]));
    const m = decodeMessage(q);
    assert.equal(m.id, id);
    assert.deepEqual(m.flags, ['rd']);
    assert.equal(m.edns, undefined);
  }
  assert.equal(encodeQuery({ id: 1, name: 'x.test', type: 1, edns: false }).readUInt16BE(10), 0);
});

test('encodeQuery: recurse false clears RD; cd and ad set their bits', () => {
  assert.deepEqual(decodeMessage(encodeQuery({ id: 7, name: 'x.test', type: 1, recurse: false })).flags, []);
  assert.deepEqual(decodeMessage(encodeQuery({ id: 7, name: 'x.test', type: 1, cd: true })).flags, ['rd', 'cd']);
  assert.deepEqual(decodeMessage(encodeQuery({ id: 7, name: 'x.test', type: 1, ad: true })).flags, ['rd', 'ad']);
  assert.equal(encodeQuery({ id: 7, name: 'x.test', type: 1, ad: true, cd: true, recurse: false }).readUInt16BE(2), 0x0030);
});

test('encodeQuery with edns adds one OPT: UDP size, DO bit, NSID option with empty data', () => {
  const q = encodeQuery({ id: 9, name: 'example.test', type: 28, class: 1, edns: { udpSize: 1232, do: true, nsid: true } });
  assert.equal(q.readUInt16BE(10), 1);
  const optStart = 12 + nameToWire('example.test').length + 4;
  assert.deepEqual(q.subarray(optStart), Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 4, 0, 3, 0, 0]));
  const m = decodeMessage(q);
  assert.deepEqual(m.edns, { version: 0, udpSize: 1232, do: true, flags: 0x8000, options: [{ code: 3, name: 'NSID', hex: '' }], nsid: '' });
  const plain = decodeMessage(encodeQuery({ id: 9, name: 'example.test', type: 1, edns: { udpSize: 4096 } }));
  assert.deepEqual(plain.edns, { version: 0, udpSize: 4096, do: false, flags: 0, options: [] });
});

test('encodeQuery keeps the class and the case of the name', () => {
  const m = decodeMessage(encodeQuery({ id: 1, name: 'Version.Bind', type: 16, class: 3 }));
  assert.deepEqual(m.questions[0], { name: 'Version.Bind.', type: 'TXT', typeCode: 16, class: 'CH', classCode: 3 });
});

test('encodeQuery throws USAGE for a name that cannot be encoded', () => {
  assert.throws(() => encodeQuery({ id: 1, name: `${'a'.repeat(64)}.test`, type: 1 }), (e: unknown) => e instanceof NetlabError && e.code === 'USAGE');
});

// --- names ---------------------------------------------------------------------

test('nameToWire encodes labels, with or without the trailing dot, and the root as one zero byte', () => {
  assert.deepEqual(nameToWire('www.example.test'), Buffer.from('03777777076578616d706c65047465737400', 'hex'));
  assert.deepEqual(nameToWire('www.example.test.'), nameToWire('www.example.test'));
  assert.deepEqual(nameToWire('.'), Buffer.from([0]));
  assert.deepEqual(nameToWire(''), Buffer.from([0]));
});

test('nameToWire understands \\. and \\DDD escapes (RFC 4343 2.1), and \\X for any other X', () => {
  assert.deepEqual(nameToWire('a\\.b.test'), Buffer.from([3, 0x61, 0x2e, 0x62, 4, 0x74, 0x65, 0x73, 0x74, 0]));
  assert.deepEqual(nameToWire('\\065\\000\\255.x'), Buffer.from([3, 0x41, 0x00, 0xff, 1, 0x78, 0]));
  assert.deepEqual(nameToWire('a\\\\b'), Buffer.from([3, 0x61, 0x5c, 0x62, 0]));
  assert.deepEqual(splitName('a\\.b.c'), [Buffer.from('a.b'), Buffer.from('c')]);
});

test('nameToWire round-trips through readName into the escaped presentation form', () => {
  for (const name of ['a\\.b.test.', '\\@.\\$.x.', 'sp\\032ace.test.', '\\255\\000.', 'www.example.test.']) {
    assert.equal(readName(nameToWire(name), 0).name, name);
  }
});

test('nameToWire rejects a label over 63 bytes, a name over 255 bytes and empty labels with USAGE', () => {
  const usage = (e: unknown) => e instanceof NetlabError && e.code === 'USAGE';
  assert.ok(nameToWire(`${'a'.repeat(63)}.test`));
  assert.throws(() => nameToWire(`${'a'.repeat(64)}.test`), usage, '64-byte label');
  assert.throws(() => nameToWire(`${'\\065'.repeat(64)}.test`), usage, '64 escaped bytes');
  const l63 = 'a'.repeat(63);
  assert.equal(nameToWire(`${l63}.${l63}.${l63}.${'a'.repeat(61)}`).length, 255);
  assert.throws(() => nameToWire(`${l63}.${l63}.${l63}.${'a'.repeat(62)}`), usage, '256 bytes');
  assert.throws(() => nameToWire('a..b'), usage, 'empty label in the middle');
  assert.throws(() => nameToWire('.a'), usage, 'empty first label');
  assert.throws(() => nameToWire('a.b..'), usage, 'two trailing dots');
});

test('nameToWire rejects a lone trailing backslash and \\DDD over 255 with USAGE', () => {
  const usage = (e: unknown) => e instanceof NetlabError && e.code === 'USAGE';
  assert.throws(() => nameToWire('abc\\'), usage);
  assert.throws(() => nameToWire('\\256.test'), usage);
});

test('readName honours its limit and reports where the name ended', () => {
  const buf = Buffer.concat([nameToWire('a.test'), PTR(0)]);
  assert.deepEqual(readName(buf, 0), { name: 'a.test.', end: 8 });
  assert.deepEqual(readName(buf, 8), { name: 'a.test.', end: 10 });
  assert.throws(() => readName(buf, 0, 5), (e: unknown) => e instanceof NetlabError && e.code === 'MALFORMED_PACKET');
});

test('escapeLabel escapes the characters BIND escapes and writes other bytes as \\DDD', () => {
  assert.equal(escapeLabel(Buffer.from('.";()\\@$')), '\\.\\"\\;\\(\\)\\\\\\@\\$');
  assert.equal(escapeLabel(Buffer.from([0x00, 0x20, 0x7f, 0x80, 0xff, 0x41, 0x7e])), '\\000\\032\\127\\128\\255A~');
});

test('canonicalName lower-cases ASCII only and fully qualifies', () => {
  assert.equal(canonicalName('WwW.ExAmPlE.TeSt'), 'www.example.test.');
  assert.equal(canonicalName('www.example.test.'), 'www.example.test.');
  assert.equal(canonicalName('.'), '.');
  assert.equal(canonicalName(''), '.');
  assert.equal(canonicalName('A\\.B'), 'a\\.b.');
  assert.equal(canonicalName('\\065'), '\\065.', 'escapes are left alone');
  assert.equal(canonicalName('ÄB'), 'Äb.', 'non-ASCII is not folded (RFC 4343 3)');
});

// --- TCP framing ------------------------------------------------------------------

test('frame() prefixes the 2-byte length; 65535 bytes is the most it takes', () => {
  assert.deepEqual(frame(Buffer.from([1, 2, 3])), Buffer.from([0, 3, 1, 2, 3]));
  assert.deepEqual(frame(Buffer.alloc(0)), Buffer.from([0, 0]));
  assert.equal(frame(Buffer.alloc(65535)).readUInt16BE(0), 65535);
  assert.throws(() => frame(Buffer.alloc(65536)), (e: unknown) => e instanceof NetlabError && e.code === 'INTERNAL');
});

test('FrameReader reassembles a frame fed one byte at a time', () => {
  const msg = validResponse();
  const framed = frame(msg);
  const r = new FrameReader();
  const got: Buffer[] = [];
  for (let i = 0; i < framed.length; i++) {
    const out = r.push(framed.subarray(i, i + 1));
    if (i < framed.length - 1) assert.equal(out.length, 0, `no frame before the last byte (at ${i})`);
    got.push(...out);
  }
  assert.equal(got.length, 1);
  assert.deepEqual(got[0], msg);
  assert.equal(r.buffered, 0);
});

test('FrameReader returns two frames that arrive in one chunk, and keeps a partial third', () => {
  const a = Buffer.from('first');
  const b = Buffer.from('second');
  const c = frame(Buffer.from('third'));
  const r = new FrameReader();
  const out = r.push(Buffer.concat([frame(a), frame(b), c.subarray(0, 3)]));
  assert.deepEqual(out, [a, b]);
  assert.equal(r.buffered, 3);
  assert.deepEqual(r.push(c.subarray(3)), [Buffer.from('third')]);
  assert.equal(r.buffered, 0);
});

test('FrameReader returns a length-0 frame as an empty buffer', () => {
  const r = new FrameReader();
  const out = r.push(Buffer.from([0, 0, 0, 1, 0x41]));
  assert.equal(out.length, 2);
  assert.equal(out[0]!.length, 0);
  assert.deepEqual(out[1], Buffer.from('A'));
});

test('FrameReader frames stay intact after later pushes', () => {
  const r = new FrameReader();
  const [first] = r.push(Buffer.concat([frame(Buffer.from('keep')), Buffer.from([0])]));
  r.push(Buffer.from([4, 0x78, 0x78, 0x78, 0x78]));
  assert.deepEqual(first, Buffer.from('keep'));
});

test('FrameReader throws MALFORMED_PACKET once more than maxPending bytes wait for a frame', () => {
  const r = new FrameReader(10);
  assert.deepEqual(r.push(Buffer.from([0, 100, 1, 2, 3, 4, 5, 6, 7, 8])), []);
  assert.throws(() => r.push(Buffer.from([9])), (e: unknown) => isMalformed(e));
  // the default limit holds a full 65535-byte frame and its length prefix
  const big = new FrameReader();
  const framed = frame(Buffer.alloc(65535, 7));
  assert.deepEqual(big.push(framed.subarray(0, 40000)), []);
  assert.equal(big.push(framed.subarray(40000))[0]!.length, 65535);
});

test('nameToWire: the plain-ASCII fast path gives the labels splitName gives, and the same errors', () => {
  const fromLabels = (name: string) => Buffer.concat([...splitName(name).flatMap((l) => [Buffer.from([l.length]), l]), Buffer.from([0])]);
  for (const name of ['www.example.test', 'www.example.test.', 'a', 'A.B.C.', '_sip._tcp.example.test', `${'x'.repeat(63)}.test`, 'xn--bcher-kva.test', '*.wild.test', 'a-b.c_d.e~f.']) {
    assert.deepEqual(nameToWire(name), fromLabels(name), name);
  }
  // escapes still go through splitName
  assert.deepEqual(nameToWire('esc\\.dot.test'), Buffer.from([7, ...Buffer.from('esc.dot'), 4, ...Buffer.from('test'), 0]));
  assert.deepEqual(nameToWire('.'), Buffer.from([0]));
  for (const [bad, re] of [['a..b', /empty label/], ['.a', /empty label/], ['a..', /empty label/], [`${'x'.repeat(64)}.test`, /longer than 63/], [Array(130).fill('ab').join('.'), /longer than 255/]] as const) {
    assert.throws(() => nameToWire(bad), re, bad);
  }
  // 255 bytes exactly is allowed: 63+1 x3 + 61+1 + root = 255
  const max = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
  assert.equal(nameToWire(max).length, 255);
  assert.throws(() => nameToWire(`${max}e`), /longer than 255/);
});

test('encodeQuery: one question, RD/AD/CD bits, and the OPT record with DO and an empty NSID option', () => {
  const q = encodeQuery({ id: 0x1234, name: 'www.example.test', type: 28, recurse: true, ad: true, cd: true, edns: { udpSize: 1232, do: true, nsid: true } });
  const m = decodeMessage(q);
  assert.equal(m.id, 0x1234);
  assert.deepEqual(m.flags.sort(), ['ad', 'cd', 'rd']);
  assert.equal(m.questions[0]!.name, 'www.example.test.');
  assert.equal(m.questions[0]!.typeCode, 28);
  assert.deepEqual({ udp: m.edns!.udpSize, do: m.edns!.do, options: m.edns!.options.map((o) => [o.code, o.hex]) }, { udp: 1232, do: true, options: [[3, '']] });
  assert.equal(q.length, 12 + 18 + 4 + 11 + 4);
  const plain = encodeQuery({ id: 1, name: 'example.test', type: 1, recurse: false, edns: false });
  assert.equal(plain.length, 12 + 14 + 4);
  assert.equal(plain.readUInt16BE(2), 0);
  assert.equal(plain.readUInt16BE(10), 0);
});

test('UdpPool: a socket that cannot be connected fails its queries at once instead of leaving them waiting', async () => {
  const { query, UdpPool } = await import('../../src/protocol/dns/transport.js');
  const pool = new UdpPool(2);
  try {
    // port 0 cannot be connected to: connect() throws inside the bind callback
    await assert.rejects(
      query({ address: '127.0.0.1', port: 0 }, { name: 'www.example.test', type: 1 }, { pool, timeoutMs: 30_000, tries: 1 }),
      (e: unknown) => e instanceof NetlabError && e.code === 'UNREACHABLE' && /communications error to 127\.0\.0\.1#0/.test(e.message),
    );
  } finally {
    await pool.close();
  }
});

test('UdpPool: an abort cancels every query waiting under the signal, and no listener is left on it', async () => {
  const { query, UdpPool } = await import('../../src/protocol/dns/transport.js');
  const { createSocket } = await import('node:dgram');
  // a server that reads every query and never answers
  const silent = createSocket('udp4');
  await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
  const server = { address: '127.0.0.1', port: silent.address().port };
  const pool = new UdpPool(2);
  try {
    const ac = new AbortController();
    const waits = Array.from({ length: 6 }, (_, i) => query(server, { name: `q${i}.example.test`, type: 1 }, { pool, timeoutMs: 30_000, tries: 1, signal: ac.signal }));
    // bounded: the queries are in flight once the pool's sockets are ready
    for (let i = 0; i < 100 && getEventListeners(ac.signal, 'abort').length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(getEventListeners(ac.signal, 'abort').length, 1, 'one listener for all six');
    ac.abort();
    for (const w of waits) await assert.rejects(w, (e: unknown) => e instanceof NetlabError && e.code === 'TIMEOUT' && e.message === 'query cancelled');
    assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
    // and a signal whose queries all ended keeps no listener either
    const quiet = new AbortController();
    await assert.rejects(query(server, { name: 'late.example.test', type: 1 }, { pool, timeoutMs: 50, tries: 1, signal: quiet.signal }), (e: unknown) => e instanceof NetlabError && e.code === 'TIMEOUT');
    assert.equal(getEventListeners(quiet.signal, 'abort').length, 0);
  } finally {
    await pool.close();
    silent.close();
  }
});

// issue 14: readName caches the suffixes a message's pointers name (zone transfers); nested
// pointers must give the names a cache-less read gives
test('decodeMessage: nested compression pointers read through the suffix cache give the same names', async () => {
  const { readName } = await import('../../src/protocol/dns/names.js');
  const { decodeMessage } = await import('../../src/protocol/dns/wire.js');
  const header = Buffer.from([0, 1, 0x84, 0, 0, 1, 0, 4, 0, 0, 0, 0]);
  const q = Buffer.concat([Buffer.from([4, ...Buffer.from('zone'), 4, ...Buffer.from('test'), 0]), Buffer.from([0, 252, 0, 1])]); // at 12
  const rr = (owner: Buffer, type: number, rdata: Buffer) => {
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(type, 0);
    fixed.writeUInt16BE(1, 2);
    fixed.writeUInt32BE(300, 4);
    fixed.writeUInt16BE(rdata.length, 8);
    return Buffer.concat([owner, fixed, rdata]);
  };
  const ptr = (at: number) => Buffer.from([0xc0 | (at >> 8), at & 0xff]);
  const r1 = rr(Buffer.concat([Buffer.from([1, 0x61]), ptr(12)]), 1, Buffer.from([192, 0, 2, 1])); // a.zone.test. at 29
  const r1At = 12 + q.length;
  const r2 = rr(Buffer.concat([Buffer.from([1, 0x62]), ptr(r1At)]), 1, Buffer.from([192, 0, 2, 2])); // b.a.zone.test.
  const r2At = r1At + r1.length;
  const r3 = rr(Buffer.concat([Buffer.from([1, 0x63]), ptr(r2At)]), 2, Buffer.concat([Buffer.from([1, 0x64]), ptr(r2At)])); // c.b.a.zone.test. NS d.b.a.zone.test.
  const r4 = rr(ptr(r2At + 0), 2, ptr(r1At)); // b.a.zone.test. NS a.zone.test.
  const buf = Buffer.concat([header, q, r1, r2, r3, r4]);
  const m = decodeMessage(buf);
  assert.deepEqual(m.answers.map((r) => `${r.name} ${r.data}`), [
    'a.zone.test. 192.0.2.1', 'b.a.zone.test. 192.0.2.2', 'c.b.a.zone.test. d.b.a.zone.test.', 'b.a.zone.test. a.zone.test.',
  ]);
  for (const at of [12, r1At, r2At]) assert.equal(readName(buf, at).name, decodeMessage(buf) && readName(buf, at).name);
  assert.equal(readName(buf, r2At).name, 'b.a.zone.test.');
});
