/**
 * issue 14: EDNS Client Subnet (RFC 7871) and DNS cookies (RFC 7873): the +subnet / +cookie
 * parsers, the option codecs, their place in a query (encodeQuery) and in a decoded OPT, the
 * lab's server cookies, and the GSLB's choice (pure: the query message and a client address).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  clientSubnetText, cookieVerdict, decodeClientSubnet, decodeCookie, encodeClientSubnet, encodeCookie, parseClientSubnet, parseCookie,
} from '../../src/protocol/dns/edns-options.js';
import { decodeMessage, encodeQuery } from '../../src/protocol/dns/wire.js';
import { parseDigArgs } from '../../src/commands/dig/options.js';
import { NetlabError } from '../../src/errors.js';
import { makeServerCookie, serverCookieValid, labCookie } from '../../src/lab/dns/cookies.js';
import { answerGslb, chooseGslb, gslbZone } from '../../src/lab/dns/gslb.js';
import { LabDnsServer } from '../../src/lab/dns/server.js';

test('+subnet parses as dig does: default prefix, truncation, +subnet=0, IPv6', () => {
  assert.deepEqual(parseClientSubnet('198.51.100.7'), { family: 1, address: '198.51.100.7', sourcePrefix: 32, scopePrefix: 0 });
  // RFC 7871 6: the address is truncated to the prefix (BIND dig and kdig send 198.51.100.0/24)
  assert.deepEqual(parseClientSubnet('198.51.100.7/24'), { family: 1, address: '198.51.100.0', sourcePrefix: 24, scopePrefix: 0 });
  assert.deepEqual(parseClientSubnet('0'), { family: 1, address: '0.0.0.0', sourcePrefix: 0, scopePrefix: 0 });
  assert.deepEqual(parseClientSubnet('2001:db8:1234::1/56'), { family: 2, address: '2001:db8:1234::', sourcePrefix: 56, scopePrefix: 0 });
  assert.deepEqual(parseClientSubnet('2001:db8::1'), { family: 2, address: '2001:db8::1', sourcePrefix: 128, scopePrefix: 0 });
  assert.equal(parseClientSubnet('10.1.2.3/9').address, '10.0.0.0');
});

test('bad +subnet is a usage error naming it: not an address, prefix not a number or over 32/128', () => {
  for (const [text, why] of [
    ['foo', /invalid address 'foo'/], ['198.51.100.7/33', /over 32/], ['2001:db8::/129', /over 128/], ['198.51.100.7/24garbage', /not a number/],
    ['198.51.100.7/', /not a number/], ['/24', /invalid address ''/], ['1.2.3/8', /invalid address/], ['198.51.100.7/-1', /not a number/],
  ] as const) {
    assert.throws(() => parseClientSubnet(text), (e: unknown) => e instanceof NetlabError && e.code === 'USAGE' && why.test(e.message), text);
  }
  assert.throws(() => parseDigArgs(['x.test', '+subnet']), /\+subnet needs an address/);
});

test('ECS option data: RFC 7871 6 layout, only the prefix bytes; decode is the inverse', () => {
  const v4 = encodeClientSubnet(parseClientSubnet('198.51.100.7/24'));
  assert.equal(v4.toString('hex'), '0001' + '18' + '00' + 'c63364');
  assert.deepEqual(decodeClientSubnet(v4), { family: 1, address: '198.51.100.0', sourcePrefix: 24, scopePrefix: 0 });
  const v6 = encodeClientSubnet(parseClientSubnet('2001:db8:1234::1/56'));
  assert.equal(v6.toString('hex'), '0002' + '38' + '00' + '20010db8123400');
  assert.equal(encodeClientSubnet(parseClientSubnet('0')).toString('hex'), '00010000');
  assert.equal(clientSubnetText({ family: 1, address: '198.51.100.0', sourcePrefix: 24, scopePrefix: 24 }), '198.51.100.0/24/24');
  // malformed on the wire: bits beyond the prefix, wrong length, unknown family, prefix over the family's
  for (const hex of ['00011700c63365', '0001180000c63364', '00031800c63364', '00012100c6336401', '0001', '00011821c63364']) {
    assert.equal(decodeClientSubnet(Buffer.from(hex, 'hex')), undefined, hex);
  }
});

test('cookies: +cookie=HEX, the option data, the verdict as dig words it', () => {
  assert.deepEqual(parseCookie('0102030405060708'), { client: '0102030405060708' });
  assert.deepEqual(parseCookie('0102030405060708' + 'aa'.repeat(16)), { client: '0102030405060708', server: 'aa'.repeat(16) });
  for (const bad of ['01', 'zz02030405060708', '010203040506070', '0102030405060708aa']) assert.throws(() => parseCookie(bad), NetlabError, bad);
  assert.equal(encodeCookie({ client: '0102030405060708', server: '11'.repeat(8) }).toString('hex'), '0102030405060708' + '11'.repeat(8));
  assert.equal(decodeCookie(Buffer.alloc(12)), undefined);
  const sent = '0102030405060708';
  assert.equal(cookieVerdict(sent, { hex: sent + '11'.repeat(8) }), 'good');
  assert.equal(cookieVerdict(sent, { hex: sent }), 'echoed');
  assert.equal(cookieVerdict(sent, { hex: '08'.repeat(8) + '11'.repeat(8) }), 'bad');
  assert.deepEqual([parseDigArgs(['x.test']).cookie, parseDigArgs(['x.test', '+nocookie']).cookie], [true, false]);
});

test('encodeQuery puts NSID, ECS and COOKIE in the OPT, in that order; the decoder types them', () => {
  const wire = encodeQuery({ id: 1, name: 'www.gslb.test', type: 1, edns: { udpSize: 1232, nsid: true, subnet: parseClientSubnet('203.0.113.9/24'), cookie: { client: '0102030405060708' } } });
  const m = decodeMessage(wire);
  assert.deepEqual(m.edns!.options, [
    { code: 3, name: 'NSID', hex: '' },
    { code: 8, name: 'CLIENT-SUBNET', hex: '00011800cb0071', family: 1, address: '203.0.113.0', sourcePrefix: 24, scopePrefix: 0 },
    { code: 10, name: 'COOKIE', hex: '0102030405060708', client: '0102030405060708' },
  ]);
  // without them, the query is byte for byte what it was
  assert.equal(encodeQuery({ id: 1, name: 'x.test', type: 1, edns: { udpSize: 1232 } }).length, 12 + 8 + 4 + 11);
});

test('lab server cookies (RFC 9018 layout): valid for the same client cookie and address only, not when stale', () => {
  const secret = Buffer.alloc(16, 7);
  const now = 1_800_000_000;
  const sc = makeServerCookie(secret, '0102030405060708', '127.0.0.1', now);
  assert.equal(sc.length, 32);
  assert.equal(sc.slice(0, 8), '01000000');
  assert.ok(serverCookieValid(secret, '0102030405060708', sc, '127.0.0.1', now + 10));
  assert.ok(!serverCookieValid(secret, '0102030405060708', sc, '127.0.0.2', now));
  assert.ok(!serverCookieValid(secret, '0807060504030201', sc, '127.0.0.1', now));
  assert.ok(!serverCookieValid(secret, '0102030405060708', sc, '127.0.0.1', now + 3601));
  const q = decodeMessage(encodeQuery({ id: 1, name: 'x.test', type: 1, edns: { udpSize: 1232, cookie: { client: '0102030405060708', server: '00'.repeat(16) } } }));
  assert.equal(labCookie(q, '127.0.0.1', secret)!.bad, true);
});

const query = (subnet?: string, name = 'www.gslb.test', type = 1) => decodeMessage(encodeQuery({ id: 1, name, type, edns: { udpSize: 1232, subnet: subnet ? parseClientSubnet(subnet) : undefined } }));

test('GSLB choice: by ECS per region with the region prefix as scope, by source address without ECS, /0 and short prefixes', () => {
  const pick = (subnet: string | undefined, source = '127.0.0.1') => {
    const c = chooseGslb(query(subnet), source)!;
    return [c.region.name, c.region.edge, c.by, c.scopePrefix];
  };
  assert.deepEqual(pick('198.51.100.7/24'), ['north', '127.55.0.4', 'ecs', 24]);
  assert.deepEqual(pick('198.51.100.77'), ['north', '127.55.0.4', 'ecs', 24]);
  assert.deepEqual(pick('203.0.113.0/24'), ['south', '127.55.0.3', 'ecs', 24]);
  assert.deepEqual(pick('2001:db8:113:1::/64'), ['south', '127.55.0.3', 'ecs', 48]);
  // default: the scope is the shortest prefix around the address that no region overlaps
  assert.deepEqual(pick('192.0.2.0/24'), ['default', '127.55.0.2', 'ecs', 6]);
  assert.deepEqual(pick('198.51.101.0/24'), ['default', '127.55.0.2', 'ecs', 24]);
  // RFC 7871 7.2.1: too few bits to tell (a /16 around north's /24): scope longer than the source
  assert.deepEqual(pick('198.51.0.0/16'), ['default', '127.55.0.2', 'ecs', 24]);
  // RFC 7871 7.1.2: /0 asks for no address to be used
  assert.deepEqual(pick('0'), ['default', '127.55.0.2', 'none', 0]);
  // no ECS: the source address decides (the transport gives it; any transport)
  assert.deepEqual(pick(undefined, '198.51.100.9'), ['north', '127.55.0.4', 'source', 24]);
  assert.deepEqual(pick(undefined, '::ffff:203.0.113.5'), ['south', '127.55.0.3', 'source', 24]);
  assert.deepEqual(pick(undefined, '127.0.0.1'), ['default', '127.55.0.2', 'source', 1]);
});

test('GSLB answers through the lab server: the edge, the echoed ECS with its scope, FORMERR for a bad ECS', () => {
  const s = new LabDnsServer({ address: '127.0.0.1', port: 0, zones: [gslbZone()], answer: answerGslb });
  const ask = (subnet: string | undefined, name = 'www.gslb.test', type = 1, client = '127.0.0.1') => decodeMessage(s.respond(encodeQuery({ id: 9, name, type, edns: { udpSize: 1232, subnet: subnet ? parseClientSubnet(subnet) : undefined } }), 'udp', client)!);
  const north = ask('198.51.100.0/24');
  assert.deepEqual(north.answers.map((r) => [r.name, r.ttl, r.data]), [['www.gslb.test.', 60, '127.55.0.4']]);
  assert.deepEqual(north.edns!.options.map((o) => [o.name, o.address, o.sourcePrefix, o.scopePrefix]), [['CLIENT-SUBNET', '198.51.100.0', 24, 24]]);
  assert.deepEqual(ask(undefined, 'www.gslb.test', 1, '203.0.113.1').answers.map((r) => r.data), ['127.55.0.3']);
  assert.deepEqual(ask(undefined, 'where.gslb.test', 16, '203.0.113.1').answers.map((r) => r.data), ['"south" "edge 127.55.0.3" "by source address 203.0.113.1" "scope /24"']);
  // a name the answer does not depend on: the zone answers, the ECS comes back with scope 0
  const soa = ask('198.51.100.0/24', 'gslb.test', 6);
  assert.equal(soa.answers[0]!.type, 'SOA');
  assert.equal(soa.edns!.options[0]!.scopePrefix, 0);
  assert.equal(ask(undefined, 'nope.gslb.test').rcode, 'NXDOMAIN');
  // RFC 7871 7.1.2 (a source address with bits past its prefix): FORMERR
  const plain = encodeQuery({ id: 9, name: 'www.gslb.test', type: 1, edns: { udpSize: 1232 } });
  const ecs = Buffer.from('00080007' + '0001' + '17' + '00' + 'c63365', 'hex'); // 198.51.101.0/23: bit 23 set
  const withBadEcs = Buffer.concat([plain, ecs]);
  withBadEcs.writeUInt16BE(ecs.length, plain.length - 2); // the OPT's RDLENGTH
  assert.equal(decodeMessage(s.respond(withBadEcs, 'udp', '127.0.0.1')!).rcode, 'FORMERR');
});
