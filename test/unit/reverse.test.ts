/**
 * Reverse-lookup names (RFC 1035 3.5, RFC 3596 2.5). The expected names are what BIND 9.18
 * `dig -x ADDR +noall +question` asks for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reverseName, ipv6Bytes } from '../../src/protocol/dns/reverse.js';
import { NetlabError } from '../../src/errors.js';

const zeros = (n: number) => Array<string>(n).fill('0').join('.');

const CASES: Array<[string, string]> = [
  ['192.0.2.1', '1.2.0.192.in-addr.arpa.'],
  ['0.0.0.0', '0.0.0.0.in-addr.arpa.'],
  ['255.255.255.255', '255.255.255.255.in-addr.arpa.'],
  ['10.20.30.40', '40.30.20.10.in-addr.arpa.'],
  ['2001:db8::1', `1.${zeros(23)}.8.b.d.0.1.0.0.2.ip6.arpa.`],
  ['2001:0db8:0000:0000:0000:0000:0000:0001', `1.${zeros(23)}.8.b.d.0.1.0.0.2.ip6.arpa.`],
  ['2001:0DB8:0000:0000:0000:0000:0000:0001', `1.${zeros(23)}.8.b.d.0.1.0.0.2.ip6.arpa.`],
  ['::', `${zeros(32)}.ip6.arpa.`],
  ['0:0:0:0:0:0:0:0', `${zeros(32)}.ip6.arpa.`],
  ['::1', `1.${zeros(31)}.ip6.arpa.`],
  ['1::', `${zeros(28)}.1.0.0.0.ip6.arpa.`],
  ['::ffff:192.0.2.1', `1.0.2.0.0.0.0.c.f.f.f.f.${zeros(20)}.ip6.arpa.`],
  ['::192.0.2.1', `1.0.2.0.0.0.0.c.${zeros(24)}.ip6.arpa.`],
  ['1:2:3:4:5:6:1.2.3.4', '4.0.3.0.2.0.1.0.6.0.0.0.5.0.0.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.ip6.arpa.'],
  ['fe80::1:0:0:0', `${zeros(12)}.1.${zeros(16)}.8.e.f.ip6.arpa.`],
  ['2001:db8:85a3:8d3:1319:8a2e:370:7348', '8.4.3.7.0.7.3.0.e.2.a.8.9.1.3.1.3.d.8.0.3.a.5.8.8.b.d.0.1.0.0.2.ip6.arpa.'],
];

for (const [address, name] of CASES) {
  test(`reverseName(${address}) is ${name}`, () => {
    assert.equal(reverseName(address), name);
  });
}

test('an ip6.arpa name always has 32 nibble labels', () => {
  for (const [address] of CASES) {
    if (!address.includes(':')) continue;
    assert.equal(reverseName(address).split('.').length, 32 + 3, address); // 32 nibbles, ip6, arpa, ''
  }
});

const BAD = ['300.1.1.1', '1.2.3', '1.2.3.4.5', '192.0.2.01', ' 192.0.2.1', 'fe80::1%eth0', 'fe80::1%1', 'abc', '', '2001:db8::1::1', '::ffff:300.1.1.1', '12345::', 'example.test', '1::2:3:4:5:6:7:8'];

for (const address of BAD) {
  test(`reverseName(${JSON.stringify(address)}) throws USAGE`, () => {
    assert.throws(() => reverseName(address), (e: unknown) => e instanceof NetlabError && e.code === 'USAGE');
  });
}

test('ipv6Bytes expands every text form to the same 16 bytes', () => {
  const hex = (a: string) => Buffer.from(ipv6Bytes(a)).toString('hex');
  assert.equal(hex('2001:db8::1'), '20010db8000000000000000000000001');
  assert.equal(hex('2001:DB8:0:0:0:0:0:1'), '20010db8000000000000000000000001');
  assert.equal(hex('::'), '0'.repeat(32));
  assert.equal(hex('::1'), `${'0'.repeat(31)}1`);
  assert.equal(hex('1::'), `0001${'0'.repeat(28)}`);
  assert.equal(hex('::ffff:192.0.2.1'), '00000000000000000000ffffc0000201');
  assert.equal(hex('1:2:3:4:5:6:7::'), '00010002000300040005000600070000');
  assert.equal(hex('::2:3:4:5:6:7:8'), '00000002000300040005000600070008');
});

test('ipv6Bytes throws USAGE for IPv4, zoned and invalid addresses', () => {
  for (const a of ['192.0.2.1', 'fe80::1%eth0', 'abc', '', ':::']) {
    assert.throws(() => ipv6Bytes(a), (e: unknown) => e instanceof NetlabError && e.code === 'USAGE', a);
  }
});

// issue 10.5: IP text lived in five places; src/util/ip.ts is the one now
test('util/ip: strict IPv4 both ways, RFC 5952 IPv6 with and without the dotted tail', async () => {
  const ip = await import('../../src/util/ip.js');
  assert.equal(ip.parseIPv4('192.0.2.1'), 0xc0000201);
  assert.equal(ip.parseIPv4('255.255.255.255'), 0xffffffff);
  for (const bad of ['127.1', '010.0.0.1', '256.0.0.1', '1.2.3.4.5', ' 1.2.3.4', '']) assert.equal(ip.parseIPv4(bad), undefined, bad);
  assert.equal(ip.ipv4FromInt(0xc0000201), '192.0.2.1');
  assert.equal(ip.ipv4FromInt(0xffffffff), '255.255.255.255');
  assert.deepEqual([...ip.ipv4Bytes('192.0.2.1')!], [192, 0, 2, 1]);
  assert.equal(ip.ipv4FromBytes([10, 0, 0, 1, 9], 1), '0.0.1.9');
  assert.equal(ip.canonicalIPv6('2001:0DB8:0:0:0:0:0:1'), '2001:db8::1');
  assert.equal(ip.canonicalIPv6('::ffff:192.0.2.1'), '::ffff:192.0.2.1');
  assert.equal(ip.canonicalIPv6('::ffff:192.0.2.1', { mixed: false }), '::ffff:c000:201');
  assert.equal(ip.canonicalIPv6('1:0:0:2:0:0:0:3'), '1:0:0:2::3', 'the longest run of zeros, the first of equal ones');
  assert.equal(ip.canonicalIPv6('1:0:2:3:4:5:6:7'), '1:0:2:3:4:5:6:7', 'one zero group is not shortened');
  for (const bad of ['1::2::3', ':::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'fe80::1%eth0', '1.2.3.4::', '::1.2.3', '']) {
    assert.equal(ip.parseIPv6(bad), undefined, bad);
  }
  assert.equal(ip.ipv6Nibbles('2001:db8::1'), '20010db8000000000000000000000001');
  assert.equal(ip.reverseName('192.0.2.1'), '1.2.0.192.in-addr.arpa.');
  assert.equal(ip.reverseName('nope'), undefined);
});
