/**
 * issue 14: the pure part of zone transfers: when a stream ends (RFC 5936 AXFR's closing SOA;
 * RFC 1995 IXFR's single SOA, difference sequences, or an AXFR-style answer) and the request dig
 * sends (the question, IXFR's SOA in the authority section, EDNS with a client cookie).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { xfrQuery, XfrStream } from '../../src/protocol/dns/xfr.js';
import { serialNewer } from '../../src/protocol/dns/serial.js';
import { makeRecord, type DnsRecord } from '../../src/protocol/dns/rdata.js';
import { decodeMessage } from '../../src/protocol/dns/wire.js';
import { findTsig } from '../../src/protocol/dns/tsig.js';
import { NetlabError } from '../../src/errors.js';

const soa = (serial: number): DnsRecord => makeRecord('z.test.', 300, { type: 'SOA', mname: 'ns.z.test.', rname: 'h.z.test.', serial, refresh: 1, retry: 1, expire: 1, minimum: 1 });
const a = (n: number): DnsRecord => makeRecord(`h${n}.z.test.`, 300, { type: 'A', address: `192.0.2.${n}` });

test('xfr: AXFR ends at the closing SOA, over several messages; nothing after it counts', () => {
  const s = new XfrStream('z.test', 'AXFR');
  assert.equal(s.add([soa(5), a(1)]), false);
  assert.equal(s.add([a(2)]), false);
  assert.equal(s.add([a(3), soa(5), a(9)]), true);
  assert.deepEqual([s.count, s.kind, s.records.length], [5, 'axfr', 5]);
});

test('xfr: IXFR up to date is the single SOA; newer serial than ours too (RFC 1982)', () => {
  for (const ours of [7, 8, 0xfffffff0]) {
    const s = new XfrStream('z.test', 'IXFR', ours);
    assert.equal(s.add([soa(7)]), ours !== 0xfffffff0, String(ours)); // 7 is newer than 0xfffffff0 (it wrapped)
  }
  assert.equal(serialNewer(1, 0xffffffff), true);
  assert.equal(serialNewer(0xffffffff, 1), false);
});

test('xfr: IXFR difference sequences end at the SOA of the new version; an AXFR-style answer at its closing SOA', () => {
  // 1 -> 2 -> 3: SOA3, SOA1 del SOA2 add, SOA2 del SOA3 add, SOA3
  const s = new XfrStream('z.test', 'IXFR', 1);
  const seq = [soa(3), soa(1), a(1), soa(2), a(2), soa(2), a(2), soa(3), a(3)];
  assert.equal(s.add(seq), false);
  assert.equal(s.add([soa(3)]), true);
  assert.deepEqual([s.kind, s.count], ['incremental', 10]);
  // a difference with nothing deleted or added: SOA3 SOA2 SOA3 SOA3
  const empty = new XfrStream('z.test', 'IXFR', 2, false);
  assert.equal(empty.add([soa(3), soa(2), soa(3)]), false);
  assert.equal(empty.add([soa(3)]), true);
  assert.deepEqual([empty.count, empty.records.length], [4, 0]);
  const full = new XfrStream('z.test', 'IXFR', 1);
  assert.equal(full.add([soa(3), a(1), a(2), soa(3)]), true);
  assert.equal(full.kind, 'axfr');
});

test('xfr: a stream that does not start with the zone\'s SOA is malformed', () => {
  assert.throws(() => new XfrStream('z.test', 'AXFR').add([a(1)]), (e: unknown) => e instanceof NetlabError && e.code === 'MALFORMED_PACKET');
  const other = makeRecord('other.test.', 300, soa(1).rdata);
  assert.throws(() => new XfrStream('z.test', 'AXFR').add([other]), /does not start with the SOA of z\.test/);
});

test('xfr: the request as dig sends it: AXFR or IXFR with its SOA, EDNS with an 8-byte client cookie, a TSIG when keyed', () => {
  const cookie = Buffer.from('0123456789abcdef', 'hex');
  const ax = decodeMessage(xfrQuery({ zone: 'z.test' }, 42, cookie).wire);
  assert.deepEqual([ax.id, ax.questions[0]!.type, ax.authorities.length, ax.edns!.options[0]!.name, ax.edns!.options[0]!.hex], [42, 'AXFR', 0, 'COOKIE', '0123456789abcdef']);
  const ix = decodeMessage(xfrQuery({ zone: 'z.test', type: 'IXFR', serial: 2026 }, 43, cookie).wire);
  assert.equal(ix.questions[0]!.type, 'IXFR');
  assert.equal(ix.authorities[0]!.data, '. . 2026 0 0 0 0');
  const keyed = xfrQuery({ zone: 'z.test', tsig: { name: 'k', algorithm: 'hmac-sha256', secret: Buffer.alloc(32, 1) } }, 44, cookie);
  assert.equal(keyed.mac!.length, 32);
  assert.equal(findTsig(keyed.wire)!.record.name, 'k.');
});
