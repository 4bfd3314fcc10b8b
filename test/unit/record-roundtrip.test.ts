/**
 * One record shape, round trip over every typed type and an unknown one: zone text -> the
 * master-file reader -> encodeMessage -> decodeMessage -> presentation == the text, and the
 * typed value survives every step (and JSON). The texts are BIND 9.18 dig's presentation of
 * the records, the same vectors as test/unit/present.test.ts (checked there against BIND's
 * bytes) wherever that file has one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { parseMasterText } from '../../src/protocol/zone/master.js';
import { decodeMessage, encodeMessage } from '../../src/protocol/dns/wire.js';
import { encodeRdata, makeRecord, type RecordData } from '../../src/protocol/dns/rdata.js';
import { presentRdata } from '../../src/protocol/dns/present.js';
import { bytesToText, textToBytes } from '../../src/protocol/dns/text.js';
import { classCode, typeCode } from '../../src/protocol/dns/types.js';
import { NetlabError } from '../../src/errors.js';

/** [type, presentation text as BIND's dig prints it]. */
const VECTORS: Array<[string, string]> = [
  ['A', '192.0.2.1'],
  ['A', '0.0.0.0'],
  ['AAAA', '2001:db8::1'],
  ['AAAA', '::ffff:192.0.2.1'],
  ['AAAA', '::'],
  ['AAAA', '1:0:0:2::3'],
  ['NS', 'ns.other.'],
  ['CNAME', 'target.other.'],
  ['CNAME', '\\.\\"\\(\\)\\;\\\\\\@\\$\\032\\255\\127A.'],
  ['CNAME', '.'],
  ['DNAME', 'other.'],
  ['PTR', 'host.other.'],
  ['MX', '10 mail.other.'],
  ['MX', '0 .'],
  ['TXT', '"hello world" "quote\\"d" "back\\\\slash" "tab\\009x" "semi;colon" "\\255high"'],
  ['TXT', '""'],
  ['TXT', '"\\127del" "\\031" "~" " space " "\\128"'],
  ['TXT', '"caf\\195\\169" "\\226\\130"'],
  ['SPF', '"v=spf1 -all" "x\\"y"'],
  ['SRV', '0 5 443 srvtgt.other.'],
  ['SRV', '65535 65535 65535 .'],
  ['CAA', '0 issue "ca.example"'],
  ['CAA', '128 tbs "Unknown"'],
  ['CAA', '0 issue ""'],
  ['CAA', '0 issue "a\\"b\\\\c\\255;d e"'],
  ['CAA', '0 issue "\\010\\013"'],
  ['CAA', '0 ISS "hi"'],
  ['DS', '12345 13 2 8ACBB0CD28F41250A80A491389424D341522D946B0DA0C0291F2D3D7 71D7805A'],
  ['DS', '65535 253 99 AB'],
  ['CDS', '0 0 0 00'],
  ['DNSKEY', '257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+ KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=='],
  ['DNSKEY', '257 4 8 qw=='],
  ['CDNSKEY', '0 3 0 AA=='],
  ['RRSIG', 'A 13 3 300 20261231000000 20261101000000 12345 p.test. mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+ KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=='],
  ['RRSIG', 'TYPE65534 8 0 300 20261231000000 20261101000000 0 . AA=='],
  ['NSEC', 'www.p.test. A MX RRSIG NSEC TYPE1234'],
  ['NSEC', '. NS SOA TXT AAAA RRSIG NSEC DNSKEY CAA TYPE65535'],
  ['NSEC', '. A'],
  ['HTTPS', '1 . alpn="h3,h2" port=8443 ipv4hint=192.0.2.1,192.0.2.3 ipv6hint=2001:db8::1'],
  ['HTTPS', '1 . ech'],
  ['SVCB', '0 www.p.test.'],
  ['SVCB', '2 www.p.test. mandatory=alpn alpn="h2" no-default-alpn key65000="x y"'],
  ['SVCB', '1 . alpn="a\\\\,b,c"'],
  ['SVCB', '1 . alpn="\\\\\\\\\\\\,"'],
  ['SVCB', '1 . alpn="\\"\\\\,\\\\\\\\"'],
  ['SVCB', '1 . alpn="\\255"'],
  ['SVCB', '1 . alpn="\\032"'],
  ['SVCB', '1 . alpn=";"'],
  ['SVCB', '1 . alpn="!@$();~\\009{"'],
  ['SVCB', '1 . ech=AEn+DQBFKwAgACABWIHUGj4u+PIggYXcR5JF0gYk3dCRioBW8uJq9H4mKAAIAAEAAQABAANAEnB1YmxpYy50bHMtZWNoLmRldgAA'],
  ['SVCB', '1 . key9="\\001\\255" key65535'],
  ['SVCB', '1 . mandatory=alpn,port,ipv4hint alpn="h2" port=53 ipv4hint=1.2.3.4'],
  ['SVCB', '1 . mandatory=key65000 key65000'],
  ['SVCB', '1 . ipv6hint=::1,::ffff:1.2.3.4'],
  ['SVCB', '1 . key65000=",\\\\"'],
  ['SVCB', '1 . key65000="\\"; "'],
  ['SVCB', '1 . key65000="\\000\\255"'],
  ['SVCB', '1 . key7="/q{?dns}"'],
  ['SVCB', '1 . key8'],
  ['TLSA', '3 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF01234567 89ABCDEF'],
  ['TLSA', '0 0 0 00'],
  ['SMIMEA', '3 1 1 AB'],
  ['NAPTR', '100 10 "S" "SIP+D2U" "" _sip._udp.p.test.'],
  ['NAPTR', '0 0 "" "" "!^.*$!sip:a\\\\@b!" .'],
  // a type with a form of its own but no typed value here: its text is kept
  ['HINFO', '"PC" "Linux 6"'],
  ['HINFO', '"" "\\255\\"q"'],
  // unknown types, RFC 3597
  ['TYPE65534', '\\# 6 010203040506'],
  ['TYPE65533', '\\# 40 000102030405060708090A0B0C0D0E0F101112131415161718191A1B 1C1D1E1F2021222324252627'],
  ['TYPE65533', '\\# 0'],
];

/** A zone holding one record per vector, owner rN.rt.test., SOA and NS first as a primary wants. */
function zoneText(): string {
  const lines = ['$ORIGIN rt.test.', '$TTL 300', '@ IN SOA . . 1 2 3 4 5', '@ IN NS ns.rt.test.'];
  VECTORS.forEach(([type, text], i) => lines.push(`r${i} IN ${type} ${text}`));
  return `${lines.join('\n')}\n`;
}

const zone = parseMasterText(zoneText(), { file: 'rt' });

test('every typed type and an unknown one is among the vectors', () => {
  const typed = ['A', 'AAAA', 'NS', 'CNAME', 'DNAME', 'PTR', 'MX', 'TXT', 'SRV', 'SOA', 'CAA', 'DS', 'DNSKEY', 'RRSIG', 'NSEC', 'SVCB', 'HTTPS', 'TLSA', 'NAPTR'];
  const types = new Set(zone.records.map((r) => r.type));
  for (const t of typed) assert.ok(types.has(t), t);
  assert.ok([...types].some((t) => t.startsWith('TYPE')));
  assert.equal(zone.records.length, VECTORS.length + 2);
});

zone.records.forEach((r, i) => {
  const text = i === 0 ? '. . 1 2 3 4 5' : i === 1 ? 'ns.rt.test.' : VECTORS[i - 2]![1];
  test(`${r.type} ${text.slice(0, 60)}: zone text -> reader -> encode -> decode -> present is the text`, () => {
    assert.equal(r.data, text, 'the reader presents it as BIND does');
    const wire = encodeMessage({ id: 7, flags: ['qr', 'aa'], questions: [{ name: r.name, typeCode: r.typeCode }], answers: [r] });
    const back = decodeMessage(wire).answers[0]!;
    assert.equal(back.data, text);
    assert.deepEqual(back, r, 'the decoded record is the record read');
    // the typed value is plain data: through JSON and back it encodes to the same bytes
    const json = JSON.parse(JSON.stringify(r.rdata)) as RecordData;
    assert.deepEqual(json, r.rdata);
    assert.deepEqual(encodeRdata(json), encodeRdata(r.rdata));
    assert.equal(presentRdata(json), text);
  });
});

test('typed values are what a reader expects: MX, TXT, SVCB, RRSIG, NSEC, unknown', () => {
  const rd = (type: string, text: string) => zone.records.find((r) => r.type === type && r.data === text)!.rdata;
  assert.deepEqual(rd('MX', '10 mail.other.'), { type: 'MX', preference: 10, exchange: 'mail.other.' });
  assert.deepEqual(rd('TXT', '"caf\\195\\169" "\\226\\130"'), { type: 'TXT', strings: ['café', '\udce2\udc82'] });
  assert.deepEqual(rd('SVCB', '1 . alpn="a\\\\,b,c"'), { type: 'SVCB', priority: 1, target: '.', params: [{ key: 'alpn', ids: ['a,b', 'c'] }] });
  assert.deepEqual(rd('HTTPS', '1 . alpn="h3,h2" port=8443 ipv4hint=192.0.2.1,192.0.2.3 ipv6hint=2001:db8::1'), {
    type: 'HTTPS', priority: 1, target: '.', params: [
      { key: 'alpn', ids: ['h3', 'h2'] }, { key: 'port', port: 8443 },
      { key: 'ipv4hint', addresses: ['192.0.2.1', '192.0.2.3'] }, { key: 'ipv6hint', addresses: ['2001:db8::1'] },
    ],
  });
  const sig = rd('RRSIG', 'TYPE65534 8 0 300 20261231000000 20261101000000 0 . AA==');
  assert.deepEqual(sig, {
    type: 'RRSIG', typeCovered: 'TYPE65534', algorithm: 8, labels: 0, originalTtl: 300,
    expiration: Date.UTC(2026, 11, 31) / 1000, inception: Date.UTC(2026, 10, 1) / 1000, keyTag: 0, signerName: '.', signature: 'AA==',
  });
  assert.deepEqual(rd('NSEC', '. A'), { type: 'NSEC', nextDomain: '.', types: ['A'] });
  assert.deepEqual(rd('DS', '65535 253 99 AB'), { type: 'DS', keyTag: 65535, algorithm: 253, digestType: 99, digest: 'AB' });
  assert.deepEqual(rd('TYPE65534', '\\# 6 010203040506'), { type: 'TYPE65534', text: '\\# 6 010203040506', hex: '010203040506' });
});

test('the reader takes what BIND takes that dig prints otherwise: unsplit fields, mnemonics, any order of SvcParams', () => {
  const z = parseMasterText([
    '$ORIGIN o.test.', '$TTL 60', '@ SOA . . 1 2 3 4 5', '@ NS ns.o.test.',
    'a DS 12345 ECDSAP256SHA256 2 8acbb0cd28f41250a80a491389424d341522d946b0da0c0291f2d3d771d7805a',
    'b HTTPS 1 . port=8443 alpn=h3,h2',
    'c AAAA 2001:DB8:0:0:0:0:0:1',
    'd NSEC d.o.test. NSEC A A',
    'e TYPE65 \\# 3 000100',
    'f RRSIG A 13 3 1h 20261231000000 20261101000000 12345 p.test. ( AA== )',
  ].join('\n'), { file: 'o' });
  assert.deepEqual(z.records.slice(2).map((r) => `${r.type} ${r.data}`), [
    'DS 12345 13 2 8ACBB0CD28F41250A80A491389424D341522D946B0DA0C0291F2D3D7 71D7805A',
    'HTTPS 1 . alpn="h3,h2" port=8443',
    'AAAA 2001:db8::1',
    'NSEC d.o.test. A NSEC',
    'HTTPS 1 .',
    'RRSIG A 13 3 3600 20261231000000 20261101000000 12345 p.test. AA==',
  ]);
});

const BAD_RDATA: Array<[string, RegExp]> = [
  ['HTTPS 1 . alpn=h2 alpn=h3', /SvcParam alpn given twice/],
  ['HTTPS 1 . mandatory=port alpn=h2', /mandatory lists port, which is not given/],
  ['HTTPS 1 . foo=bar', /unknown SvcParam key 'foo'/],
  ['HTTPS 1 . port=70000', /bad port '70000'/],
  ['HTTPS 1 . ipv4hint=1.2.3', /bad IPv4 address '1\.2\.3' in ipv4hint/],
  ['DS 1 8 1 ABC', /bad digest: not hex/],
  ['DNSKEY 257 3 13 !!!!', /bad public key: not base64/],
  ['RRSIG A 13 3 300 20261332000000 20261101000000 1 . AA==', /bad expiration '20261332000000'/],
  ['NSEC a. A BOGUS', /unknown type 'BOGUS' in the NSEC type list/],
  ['NAPTR 1 2 "S"', /NAPTR takes 6 fields, got 3/],
  ['MX \\# 4 000AC00C', /not MX RDATA|canonical form/],
  ['A \\# 3 010203', /not A RDATA: A RDATA is 3 bytes, not 4/],
  ['SSHFP 1 1 abcd', /SSHFP records are not read here/],
];

for (const [rdata, message] of BAD_RDATA) {
  test(`the reader refuses '${rdata}' with FILE:LINE`, () => {
    assert.throws(
      () => parseMasterText(`$ORIGIN t.\n$TTL 1\n@ SOA a. b. 1 2 3 4 5\n@ NS a.\nx ${rdata}\n`, { file: 'z' }),
      (e: unknown) => e instanceof NetlabError && e.code === 'INPUT' && /^z:5: /.test(e.message) && message.test(e.message),
    );
  });
}

test('encodeMessage: header bits, counts, the question, OPT with NSID and an extended RCODE', () => {
  const r = makeRecord('www.example.test', 300, { type: 'A', address: '192.0.2.10' });
  const wire = encodeMessage({
    id: 0xbeef, flags: ['qr', 'aa', 'rd', 'cd'], opcode: 0, rcode: 16,
    questions: [{ name: 'WwW.Example.Test.', typeCode: 1 }], answers: [r], additionals: [r],
    edns: { udpSize: 1232, do: true, options: [{ code: 3, hex: Buffer.from('ns1').toString('hex') }] },
  });
  const m = decodeMessage(wire);
  assert.equal(m.id, 0xbeef);
  assert.deepEqual(m.flags, ['qr', 'aa', 'rd', 'cd']);
  assert.equal(m.rcode, 'BADVERS');
  assert.deepEqual(m.questions.map((q) => [q.name, q.type, q.class]), [['WwW.Example.Test.', 'A', 'IN']]);
  assert.deepEqual([m.answers.length, m.authorities.length, m.additionals.length], [1, 0, 1]);
  assert.deepEqual(m.edns, { version: 0, udpSize: 1232, do: true, flags: 0x8000, options: [{ code: 3, name: 'NSID', hex: '6e7331' }], nsid: 'ns1' });
  assert.throws(() => encodeMessage({ id: 1, rcode: 16 }), (e: unknown) => e instanceof NetlabError && e.code === 'USAGE');
  // a header alone: 12 bytes
  assert.equal(encodeMessage({ id: 1, flags: ['qr'], rcode: 1 }).length, 12);
});

test('encodeRdata refuses values that cannot be sent, with USAGE', () => {
  const bad: RecordData[] = [
    { type: 'A', address: '192.0.2.300' },
    { type: 'AAAA', address: '2001:db8::1::2' },
    { type: 'MX', preference: 70000, exchange: 'a.' },
    { type: 'TXT', strings: [] },
    { type: 'TXT', strings: ['x'.repeat(256)] },
    { type: 'DS', keyTag: 1, algorithm: 8, digestType: 2, digest: 'XYZ' },
    { type: 'SVCB', priority: 1, target: '.', params: [{ key: 'alpn', ids: [] }] },
    { type: 'SVCB', priority: 1, target: '.', params: [{ key: 'port', port: 1 }, { key: 'port', port: 2 }] },
    { type: 'NS', target: `${'a'.repeat(64)}.` },
    { type: 'NSEC', nextDomain: '.', types: ['BOGUS'] },
  ];
  for (const rd of bad) assert.throws(() => encodeRdata(rd), (e: unknown) => e instanceof NetlabError && e.code === 'USAGE', JSON.stringify(rd));
});

test('byte strings as text are lossless: UTF-8 as text, every other byte as U+DC00 + byte', () => {
  assert.equal(bytesToText(Buffer.from('v=spf1 -all')), 'v=spf1 -all');
  assert.equal(bytesToText(Buffer.from('café ✓ 𝄞')), 'café ✓ 𝄞');
  assert.equal(bytesToText(Buffer.from([0x61, 0xff, 0xc3])), 'a\udcff\udcc3');
  // overlong, surrogate and out-of-range UTF-8 forms are bytes, not characters
  assert.equal(bytesToText(Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80])), '\udcc0\udcaf\udced\udca0\udc80\udcf4\udc90\udc80\udc80');
  for (let i = 0; i < 2000; i++) {
    const b = randomBytes(i % 40);
    assert.deepEqual(textToBytes(bytesToText(b)), b, b.toString('hex'));
  }
});

test('typeCode and classCode: a known mnemonic literal is typed number, any string number | undefined', () => {
  // compile-time: these assignments fail to compile when the overloads are missing
  const mx: number = typeCode('MX');
  const inClass: number = classCode('IN');
  const maybe: number | undefined = typeCode(String('nope'));
  assert.deepEqual([mx, inClass, maybe, typeCode('type65534'), classCode('CLASS3')], [15, 1, undefined, 65534, 3]);
});
