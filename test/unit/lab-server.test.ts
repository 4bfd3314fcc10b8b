/**
 * The lab's authoritative server without sockets: resolveAuthoritative (pure) on the lab
 * zones, and LabDnsServer.respond() from query bytes to reply bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LabDnsServer, resolveAuthoritative, type Zone } from '../../src/lab/dns/server.js';
import type { DnsRecord } from '../../src/protocol/dns/rdata.js';
import { labZones, BIG_RRSET_SIZE, LAB_DNS_ADDRESSES } from '../../src/lab/dns/zones.js';
import { decodeMessage, encodeQuery, type QueryOptions } from '../../src/protocol/dns/wire.js';
import { nameToWire } from '../../src/protocol/dns/names.js';

const z = labZones();
/** What the example.test servers serve (src/lab/dns/index.ts). */
const EXAMPLE_SERVER: Zone[] = [z.example, z.reverse4, z.reverse6, z.lame];
/** What the test. server serves. */
const TLD_SERVER: Zone[] = [z.tld, z.inAddrArpa, z.ip6Arpa];

const A = 1, NS = 2, CNAME = 5, SOA = 6, MX = 15, TXT = 16, AAAA = 28, DS = 43, ANY = 255;

/** `OWNER TYPE DATA`, the owner without its trailing dot, the data as dig prints it. */
function summary(list: DnsRecord[]): string[] {
  return list.map((r) => `${r.name.replace(/\.$/, '')} ${r.type} ${r.data}`);
}

// --- resolveAuthoritative ---------------------------------------------------------

test('exact match: www.example.test A is one authoritative answer', () => {
  const a = resolveAuthoritative(EXAMPLE_SERVER, 'www.example.test', A);
  assert.equal(a.rcode, 0);
  assert.equal(a.aa, true);
  assert.deepEqual(summary(a.answers), ['www.example.test A 192.0.2.10']);
  assert.deepEqual(a.authorities, []);
});

test('names compare case-insensitively and with or without the trailing dot', () => {
  for (const q of ['WWW.EXAMPLE.TEST', 'www.Example.Test.', 'wWw.example.test']) {
    assert.deepEqual(summary(resolveAuthoritative(EXAMPLE_SERVER, q, AAAA).answers), ['www.example.test AAAA 2001:db8::10'], q);
  }
});

test('CNAME chain: alias -> chain -> www, all three in the answer, in order', () => {
  const a = resolveAuthoritative(EXAMPLE_SERVER, 'alias.example.test', A);
  assert.equal(a.rcode, 0);
  assert.deepEqual(summary(a.answers), [
    'alias.example.test CNAME chain.example.test.',
    'chain.example.test CNAME www.example.test.',
    'www.example.test A 192.0.2.10',
  ]);
});

test('a CNAME query returns the CNAME itself, not the chain', () => {
  assert.deepEqual(summary(resolveAuthoritative(EXAMPLE_SERVER, 'alias.example.test', CNAME).answers), ['alias.example.test CNAME chain.example.test.']);
});

test('CNAME chain to a name without that type: the chain and no SOA', () => {
  const a = resolveAuthoritative(EXAMPLE_SERVER, 'alias.example.test', MX);
  assert.equal(a.rcode, 0);
  assert.deepEqual(summary(a.answers), ['alias.example.test CNAME chain.example.test.', 'chain.example.test CNAME www.example.test.']);
  assert.deepEqual(a.authorities, []);
});

test('wildcard (RFC 4592): anything.wild.example.test gets *.wild records under its own name', () => {
  const a = resolveAuthoritative(EXAMPLE_SERVER, 'anything.wild.example.test', A);
  assert.equal(a.rcode, 0);
  assert.equal(a.aa, true);
  assert.deepEqual(summary(a.answers), ['anything.wild.example.test A 192.0.2.99']);
  assert.deepEqual(summary(resolveAuthoritative(EXAMPLE_SERVER, 'a.b.wild.example.test', TXT).answers), ['a.b.wild.example.test TXT "wildcard"']);
});

test('the wildcard record in the zone is not changed by a wildcard answer', () => {
  resolveAuthoritative(EXAMPLE_SERVER, 'x.wild.example.test', A);
  assert.ok(z.example.records.some((r) => r.name === '*.wild.example.test.' && r.type === 'A'));
});

test('empty non-terminal (wild.example.test, _tcp.example.test) is NODATA: rcode 0, no answers, SOA in authority', () => {
  for (const name of ['wild.example.test', '_tcp.example.test', 'glueless-host.example.test']) {
    const a = resolveAuthoritative(EXAMPLE_SERVER, name, A);
    assert.equal(a.rcode, 0, name);
    assert.equal(a.aa, true, name);
    assert.deepEqual(a.answers, [], name);
    assert.deepEqual(a.authorities.map((r) => `${r.name} ${r.type}`), ['example.test. SOA'], name);
  }
});

test('an existing name without the type is NODATA with the SOA', () => {
  const a = resolveAuthoritative(EXAMPLE_SERVER, 'www.example.test', MX);
  assert.equal(a.rcode, 0);
  assert.deepEqual(a.answers, []);
  assert.deepEqual(a.authorities.map((r) => r.type), ['SOA']);
});

test('NXDOMAIN: rcode 3, aa, the zone SOA in authority', () => {
  const a = resolveAuthoritative(EXAMPLE_SERVER, 'nope.example.test', A);
  assert.equal(a.rcode, 3);
  assert.equal(a.aa, true);
  assert.deepEqual(a.answers, []);
  assert.deepEqual(a.authorities.map((r) => `${r.name} ${r.type}`), ['example.test. SOA']);
  const soa = a.authorities[0]!.rdata;
  assert.equal(soa.type === 'SOA' && soa.minimum, 300);
});

test('referral from test.: example.test NS in authority with glue A records, not authoritative', () => {
  const a = resolveAuthoritative(TLD_SERVER, 'www.example.test', A);
  assert.equal(a.rcode, 0);
  assert.equal(a.aa, false);
  assert.deepEqual(a.answers, []);
  assert.deepEqual(summary(a.authorities), ['example.test NS ns1.example.test.', 'example.test NS ns2.example.test.']);
  assert.deepEqual(summary(a.additionals), [`ns1.example.test A ${LAB_DNS_ADDRESSES.ns1Example}`, `ns2.example.test A ${LAB_DNS_ADDRESSES.ns2Example}`]);
});

test('a query for the delegated name itself is a referral too, except for DS (answered by the parent)', () => {
  assert.equal(resolveAuthoritative(TLD_SERVER, 'example.test', A).aa, false);
  const ds = resolveAuthoritative(TLD_SERVER, 'example.test', DS);
  assert.equal(ds.aa, true);
  assert.deepEqual(ds.answers, []);
  assert.deepEqual(ds.authorities.map((r) => `${r.name} ${r.type}`), ['test. SOA']);
});

test('glueless referral: glueless.test NS lives in another zone, so no glue comes with it', () => {
  const a = resolveAuthoritative(TLD_SERVER, 'www.glueless.test', A);
  assert.equal(a.rcode, 0);
  assert.equal(a.aa, false);
  assert.deepEqual(summary(a.authorities), ['glueless.test NS ns.glueless-host.example.test.']);
  assert.deepEqual(a.additionals, []);
});

test('the root refers test. to ns1.nic.test with glue', () => {
  const a = resolveAuthoritative([z.root], 'www.example.test', A);
  assert.equal(a.aa, false);
  assert.deepEqual(summary(a.authorities), ['test NS ns1.nic.test.']);
  assert.deepEqual(summary(a.additionals), [`ns1.nic.test A ${LAB_DNS_ADDRESSES.tld}`]);
});

test('REFUSED (rcode 5, not authoritative) for a name outside every zone served', () => {
  for (const name of ['www.other.invalid', 'test', '.', 'example.test.other']) {
    const a = resolveAuthoritative(EXAMPLE_SERVER, name, A);
    assert.equal(a.rcode, 5, name);
    assert.equal(a.aa, false, name);
    assert.deepEqual([a.answers, a.authorities, a.additionals], [[], [], []], name);
  }
});

test('the most specific zone answers: the example zone, not the referral in test.', () => {
  const a = resolveAuthoritative([...TLD_SERVER, z.example], 'www.example.test', A);
  assert.equal(a.aa, true);
  assert.deepEqual(summary(a.answers), ['www.example.test A 192.0.2.10']);
});

test('MX and NS answers carry the targets addresses in the additional section (RFC 1035 3.3.9)', () => {
  const mx = resolveAuthoritative(EXAMPLE_SERVER, 'example.test', MX);
  assert.deepEqual(summary(mx.additionals), ['mail.example.test A 192.0.2.25', 'mail2.example.test A 192.0.2.26']);
  const ns = resolveAuthoritative(EXAMPLE_SERVER, 'example.test', NS);
  assert.equal(ns.aa, true);
  assert.deepEqual(summary(ns.additionals), [`ns1.example.test A ${LAB_DNS_ADDRESSES.ns1Example}`, `ns2.example.test A ${LAB_DNS_ADDRESSES.ns2Example}`]);
});

test('ANY returns every record at the name', () => {
  const a = resolveAuthoritative(EXAMPLE_SERVER, 'www.example.test', ANY);
  assert.deepEqual(a.answers.map((r) => r.type).sort(), ['A', 'AAAA']);
});

test('SOA at the apex, and the reverse zones answer PTR', () => {
  assert.deepEqual(resolveAuthoritative(EXAMPLE_SERVER, 'example.test', SOA).answers.map((r) => r.type), ['SOA']);
  assert.deepEqual(summary(resolveAuthoritative(EXAMPLE_SERVER, '10.2.0.192.in-addr.arpa', 12).answers), ['10.2.0.192.in-addr.arpa PTR www.example.test.']);
});

// --- LabDnsServer.respond --------------------------------------------------------

function server(extra: { behaviour?: 'authoritative' | 'refuse' | 'silent'; nsid?: string } = {}): LabDnsServer {
  // never started: respond() needs no socket
  return new LabDnsServer({ address: '127.0.0.1', port: 0, zones: EXAMPLE_SERVER, nsid: 'ns1.example.test', ...extra });
}

function ask(s: LabDnsServer, q: Partial<QueryOptions> & { name: string }, transport: 'udp' | 'tcp' = 'udp') {
  const query = encodeQuery({ id: 0x4242, type: A, ...q });
  const reply = s.respond(query, transport);
  assert.ok(reply, 'a reply');
  return { query, reply, msg: decodeMessage(reply) };
}

test('respond: an answer echoes the id and RD, sets QR and AA, and carries the records', () => {
  const { msg } = ask(server(), { name: 'www.example.test' });
  assert.equal(msg.id, 0x4242);
  assert.deepEqual(msg.flags, ['qr', 'aa', 'rd']);
  assert.equal(msg.rcode, 'NOERROR');
  assert.deepEqual(msg.answers.map((r) => `${r.name} ${r.ttl} ${r.type} ${r.data}`), ['www.example.test. 300 A 192.0.2.10']);
  const nord = ask(server(), { name: 'www.example.test', recurse: false }).msg;
  assert.deepEqual(nord.flags, ['qr', 'aa']);
});

test(`respond: big.example.test (${BIG_RRSET_SIZE} A) over UDP without EDNS sets TC and drops the records`, () => {
  const { msg, reply } = ask(server(), { name: 'big.example.test' }, 'udp');
  assert.ok(msg.flags.includes('tc'));
  assert.ok(reply.length <= 512);
  assert.deepEqual(msg.answers, []);
  assert.equal(msg.questions[0]!.name, 'big.example.test.');
});

test(`respond: big.example.test over TCP is whole: ${BIG_RRSET_SIZE} records and no TC`, () => {
  const { msg, reply } = ask(server(), { name: 'big.example.test' }, 'tcp');
  assert.ok(!msg.flags.includes('tc'));
  assert.equal(msg.answers.length, BIG_RRSET_SIZE);
  assert.ok(reply.length > 512);
});

test('respond: UDP with EDNS uses the advertised size (4096 fits big.example.test, 1232 and under 512 do not)', () => {
  assert.equal(ask(server(), { name: 'big.example.test', edns: { udpSize: 4096 } }).msg.answers.length, BIG_RRSET_SIZE);
  assert.ok(ask(server(), { name: 'big.example.test', edns: { udpSize: 1232 } }).msg.flags.includes('tc'));
  // a size under 512 counts as 512 (RFC 6891 6.2.5)
  const small = ask(server(), { name: 'big.example.test', edns: { udpSize: 100 } }).msg;
  assert.ok(small.flags.includes('tc'));
  assert.ok(!ask(server(), { name: 'www.example.test', edns: { udpSize: 100 } }).msg.flags.includes('tc'));
});

test('respond: EDNS is echoed: an OPT with the server size, DO copied from the query', () => {
  const plain = ask(server(), { name: 'www.example.test', edns: { udpSize: 4096 } }).msg;
  assert.deepEqual(plain.edns, { version: 0, udpSize: 1232, do: false, flags: 0, options: [] });
  const dnssec = ask(server(), { name: 'www.example.test', edns: { udpSize: 4096, do: true } }).msg;
  assert.equal(dnssec.edns!.do, true);
  assert.equal(ask(server(), { name: 'www.example.test' }).msg.edns, undefined, 'no OPT without EDNS in the query');
  assert.ok(ask(server(), { name: 'big.example.test', edns: { udpSize: 1232 } }).msg.edns, 'a truncated reply keeps the OPT');
});

test('respond: NSID is returned when the query asks for it, and only then', () => {
  const asked = ask(server(), { name: 'www.example.test', edns: { udpSize: 1232, nsid: true } }).msg;
  assert.equal(asked.edns!.nsid, 'ns1.example.test');
  assert.deepEqual(asked.edns!.options.map((o) => o.name), ['NSID']);
  assert.equal(ask(server(), { name: 'www.example.test', edns: { udpSize: 1232 } }).msg.edns!.nsid, undefined);
  const none = ask(server({ nsid: undefined }), { name: 'www.example.test', edns: { udpSize: 1232, nsid: true } }).msg;
  assert.deepEqual(none.edns!.options, [], 'a server without an NSID sends none');
});

test('respond: FORMERR (with the query id) for garbage of 12 bytes or more, silence for less', () => {
  const s = server();
  const garbage = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x0c, 0, 1, 0, 1]);
  const reply = s.respond(garbage, 'udp');
  assert.ok(reply);
  const msg = decodeMessage(reply);
  assert.equal(msg.id, 0x1234);
  assert.equal(msg.rcode, 'FORMERR');
  assert.ok(msg.flags.includes('qr'));
  assert.equal(s.respond(Buffer.from([1, 2, 3]), 'udp'), undefined);
  assert.equal(s.stats.malformed, 2);
  const random = s.respond(Buffer.alloc(40, 0xff), 'tcp');
  assert.equal(decodeMessage(random!).rcode, 'FORMERR');
});

test('respond: the reply echoes the question bytes exactly, case preserved (WwW.ExAmPlE.TeSt)', () => {
  const { query, reply, msg } = ask(server(), { name: 'WwW.ExAmPlE.TeSt', type: AAAA });
  const qlen = nameToWire('WwW.ExAmPlE.TeSt').length + 4;
  assert.deepEqual(reply.subarray(12, 12 + qlen), query.subarray(12, 12 + qlen));
  assert.equal(msg.questions[0]!.name, 'WwW.ExAmPlE.TeSt.');
  assert.deepEqual(msg.answers.map((r) => r.data), ['2001:db8::10']);
});

test('respond: NXDOMAIN and NODATA replies carry the SOA in authority', () => {
  const nx = ask(server(), { name: 'nope.example.test' }).msg;
  assert.equal(nx.rcode, 'NXDOMAIN');
  assert.deepEqual(nx.authorities.map((r) => `${r.name} ${r.type} ${r.data}`), ['example.test. SOA ns1.example.test. hostmaster.example.test. 2026112301 3600 900 604800 300']);
  const nodata = ask(server(), { name: 'wild.example.test' }).msg;
  assert.equal(nodata.rcode, 'NOERROR');
  assert.deepEqual(nodata.answers, []);
  assert.deepEqual(nodata.authorities.map((r) => r.type), ['SOA']);
});

test('respond: REFUSED outside the zones, for class CH, and from a refusing server; NOTIMP for another opcode', () => {
  assert.equal(ask(server(), { name: 'www.other.invalid' }).msg.rcode, 'REFUSED');
  assert.equal(ask(server(), { name: 'version.bind', type: TXT, class: 3 }).msg.rcode, 'REFUSED');
  assert.equal(ask(server({ behaviour: 'refuse' }), { name: 'www.example.test' }).msg.rcode, 'REFUSED');
  const notify = encodeQuery({ id: 1, name: 'example.test', type: SOA });
  notify.writeUInt16BE(notify.readUInt16BE(2) | (4 << 11), 2);
  assert.equal(decodeMessage(server().respond(notify, 'udp')!).rcode, 'NOTIMP');
});

test('respond: FORMERR for a query without a question', () => {
  const empty = Buffer.alloc(12);
  empty.writeUInt16BE(77, 0);
  const msg = decodeMessage(server().respond(empty, 'udp')!);
  assert.equal(msg.id, 77);
  assert.equal(msg.rcode, 'FORMERR');
  assert.deepEqual(msg.questions, []);
});

test('respond: silence for a response (QR set) and from a silent server', () => {
  const q = encodeQuery({ id: 1, name: 'www.example.test', type: A });
  const asResponse = Buffer.from(q);
  asResponse[2]! |= 0x80;
  assert.equal(server().respond(asResponse, 'udp'), undefined);
  assert.equal(server({ behaviour: 'silent' }).respond(q, 'udp'), undefined);
});

test('respond: every lab RR type encodes into a reply that decodes without undefined or NaN', () => {
  const names: Array<[string, number]> = [
    ['example.test', 65], ['_dns.example.test', 64], ['_http._tcp.example.test', 256], ['unknown.example.test', 65534],
    ['host.example.test', 13], ['txt.example.test', TXT], ['example.test', 257], ['_sip._tcp.example.test', 33],
    ['example.test', MX], ['example.test', ANY], ['huge.example.test', AAAA],
  ];
  for (const [name, type] of names) {
    const { msg } = ask(server(), { name, type }, 'tcp');
    assert.ok(msg.answers.length > 0, `${name} ${type}`);
    for (const r of [...msg.answers, ...msg.additionals]) assert.doesNotMatch(r.data, /undefined|NaN/, `${name} ${type}: ${r.data}`);
  }
  const https = ask(server(), { name: 'example.test', type: 65 }).msg.answers[0]!;
  assert.equal(https.data, '1 . alpn="h2,h3" ipv4hint=192.0.2.10 ipv6hint=2001:db8::10');
  assert.equal(ask(server(), { name: 'host.example.test', type: 13 }).msg.answers[0]!.data, '"x86-64" "Linux"');
  assert.equal(ask(server(), { name: 'txt.example.test', type: TXT }).msg.answers[0]!.data, '"hello world" "she said \\"hi\\"" "semi;colon and back\\\\slash" "tab\\009here"');
});
