/**
 * src/util/ip.ts, netlab's one copy of IP address text (issue 10.5): the byte scanners the
 * hosts2zone parser runs on its input, the text functions over them, RFC 5952 output with
 * and without the dotted tail, dotted quads written into a buffer, and reverse names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  canonicalIPv6, inAddrArpa, ip6Arpa, ipFamily, ipv4FromInt, ipv6FromBytes, ipv6FromGroups, IPV4_LEADING_ZERO, IPV4_NOT, IPV4_RANGE,
  IPV4_SHORT, nibbleLabels, parseIPv4, parseIPv6, parsePeerIPv4, putIPv4, reverseName, scanIPv4, scanIPv6,
} from '../../src/util/ip.js';

const SCAN4: Array<[string, number]> = [
  ['192.0.2.1', 0xc0000201],
  ['0.0.0.0', 0],
  ['255.255.255.255', 0xffffffff],
  ['127.1', IPV4_SHORT],
  ['10', IPV4_SHORT],
  ['010.1.1.1', IPV4_LEADING_ZERO],
  ['1.2.3.00', IPV4_LEADING_ZERO],
  ['1.2.3.256', IPV4_RANGE],
  ['1.2.3.0001', IPV4_RANGE],
  ['1.2.3.4.5', IPV4_NOT],
  ['1..3.4', IPV4_NOT],
  ['1.2.3.', IPV4_NOT],
  ['1.2.3.4x', IPV4_NOT],
  ['', IPV4_NOT],
];

for (const [text, want] of SCAN4) {
  test(`scanIPv4 ${JSON.stringify(text)} is ${want}, inside a longer buffer too`, () => {
    const buf = Buffer.from(`  ${text}  `, 'latin1');
    assert.equal(scanIPv4(buf, 2, 2 + text.length), want);
    assert.equal(parseIPv4(text), want >= 0 ? want : undefined);
  });
}

test('parseIPv4 of non-ASCII text is undefined (hosts.ts read it as latin1: 1.2.3.\\u0134 was 1.2.3.4)', () => {
  assert.equal(parseIPv4('1.2.3.\u0134'), undefined);
  assert.equal(parseIPv4('1.2.3.\u0664'), undefined, 'an Arabic-Indic digit is no digit here');
  assert.equal(parseIPv6('::\u0131'), undefined);
});

test('parseIPv6 accepts what net.isIPv6 does, less the zone index', () => {
  const texts = [
    '::', '::1', '1::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1::8', 'FFFF::ffff',
    '::ffff:1.2.3.4', '::1.2.3.4', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5::1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4',
    '::ffff:1.2.3.04', '::ffff:1.2.3', '1.2.3.4::', '1.2.3.4', ':::', '1::2::3', ':1::', '1::2:', '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9', '12345::', '0000:0000::', 'g::', '', ':', 'fe80::1%lo0', ' ::1', '::1 ',
  ];
  for (const t of texts) {
    assert.equal(parseIPv6(t) !== undefined, net.isIPv6(t) && !t.includes('%'), t);
    const groups = new Uint16Array(8);
    assert.equal(scanIPv6(Buffer.from(t, 'latin1'), 0, t.length, groups), parseIPv6(t) !== undefined, t);
  }
});

test('RFC 5952 text: with the dotted tail (as dig prints) or hexadecimal only (as hosts2zone writes AAAA data)', () => {
  const cases: Array<[string, string, string]> = [
    ['2001:0DB8:0:0:0:0:0:1', '2001:db8::1', '2001:db8::1'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1', '::ffff:c000:201'],
    ['::192.0.2.1', '::192.0.2.1', '::c000:201'],
    ['::1', '::1', '::1'],
    ['::', '::', '::'],
    ['::ffff:0:0', '::ffff:0.0.0.0', '::ffff:0:0'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3', '1:0:0:2::3'],
    ['1:0:0:2:0:0:3:4', '1::2:0:0:3:4', '1::2:0:0:3:4'],
    ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
    ['2001:db8:0:0:1:0:0:0', '2001:db8:0:0:1::', '2001:db8:0:0:1::'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', '2001:db8::1:0:0:1'],
  ];
  for (const [text, mixed, hexOnly] of cases) {
    assert.equal(canonicalIPv6(text), mixed, text);
    assert.equal(canonicalIPv6(text, { mixed: false }), hexOnly, text);
    assert.equal(ipv6FromBytes(parseIPv6(text)!, { mixed: false }), hexOnly, text);
    const g = new Uint16Array(8);
    scanIPv6(Buffer.from(text), 0, text.length, g);
    assert.equal(ipv6FromGroups(g), mixed, text);
  }
});

test('putIPv4 writes what ipv4FromInt gives, and says where it ended', () => {
  const out = Buffer.alloc(20, 0x20);
  for (const v of [0, 1, 9, 10, 99, 100, 255, 0x7f000001, 0xc0000201, 0x0a640a05, 0xffffffff, 0x80000000]) {
    const end = putIPv4(out, 2, v);
    assert.equal(out.toString('latin1', 2, end), ipv4FromInt(v), String(v));
  }
});

test('reverse names: in-addr.arpa by octets, ip6.arpa by nibbles', () => {
  assert.equal(inAddrArpa(0xc0000201), '1.2.0.192.in-addr.arpa');
  assert.equal(inAddrArpa(0xc0000201, 3), '2.0.192.in-addr.arpa');
  assert.equal(inAddrArpa(0xc0000201, 1), '192.in-addr.arpa');
  assert.equal(nibbleLabels('20010db8'), '8.b.d.0.1.0.0.2');
  assert.equal(nibbleLabels(''), '');
  assert.equal(ip6Arpa('20010db8'), '8.b.d.0.1.0.0.2.ip6.arpa');
  assert.equal(ip6Arpa(''), 'ip6.arpa');
  assert.equal(reverseName('2001:db8::1'), '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.');
  assert.equal(reverseName('192.0.2.1'), '1.2.0.192.in-addr.arpa.');
});

test('parsePeerIPv4: a dotted quad or the same address IPv4-mapped, nothing else', () => {
  assert.equal(parsePeerIPv4('127.56.1.7'), 0x7f380107);
  assert.equal(parsePeerIPv4('::ffff:127.56.1.7'), 0x7f380107);
  assert.equal(parsePeerIPv4('::FFFF:7f38:107'), 0x7f380107);
  assert.equal(parsePeerIPv4('::127.56.1.7'), undefined, 'IPv4-compatible is not mapped');
  assert.equal(parsePeerIPv4('::1'), undefined);
  assert.equal(parsePeerIPv4('localhost'), undefined);
});

test('ipFamily agrees with node:net isIP on addresses, zone indexes and non-addresses', () => {
  const cases = ['127.0.0.1', '0.0.0.0', '255.255.255.255', '256.0.0.1', '01.2.3.4', '1.2.3', '::', '::1', 'fe80::1%eth0', '%eth0', '::ffff:192.0.2.1',
    '2001:db8::1', '2001:db8:::1', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', 'example.test', '', '[::1]', 'a.root-servers.net.'];
  for (const text of cases) assert.equal(ipFamily(text), net.isIP(text), text);
});
