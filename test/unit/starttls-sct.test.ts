/**
 * The pure parts of cert-check's connection side (issue 11): reading an LDAP StartTLS
 * response (starttls.ts) and counting SCTs in DER (sct.ts), over hand-made bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ldapExtendedResult, STARTTLS_DEFAULT_PORTS, STARTTLS_PROTOCOLS } from '../../src/protocol/tls/starttls.js';
import { countEmbeddedScts, countStapledScts, sctListCount } from '../../src/protocol/tls/sct.js';

test('ldapExtendedResult: the resultCode of an ExtendedResponse, short while incomplete, null for anything else', () => {
  const ok = Buffer.from([0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00]);
  const table: Array<[string, Buffer, number | 'short' | null]> = [
    ['success', ok, 0],
    ['unwillingToPerform', Buffer.from([0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a, 0x01, 0x35, 0x04, 0x00, 0x04, 0x00]), 53],
    ['a long form length', Buffer.from([0x30, 0x81, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a, 0x01, 0x02, 0x04, 0x00, 0x04, 0x00]), 2],
    ['half of it', ok.subarray(0, 7), 'short'],
    ['one byte', ok.subarray(0, 1), 'short'],
    ['not a SEQUENCE', Buffer.from('220 smtp ready\r\n'), null],
    ['another operation (a BindResponse)', Buffer.from([0x30, 0x0c, 0x02, 0x01, 0x01, 0x61, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00]), null],
    ['an indefinite length', Buffer.from([0x30, 0x80, 0x02, 0x01, 0x01, 0x78, 0x80]), null],
  ];
  for (const [what, bytes, expected] of table) assert.equal(ldapExtendedResult(bytes), expected, what);
});

test('every STARTTLS protocol has its default port', () => {
  assert.deepEqual(Object.keys(STARTTLS_DEFAULT_PORTS).sort(), [...STARTTLS_PROTOCOLS].sort());
});

/** DER TLV with a short or long form length. */
function tlv(tag: number, body: Buffer): Buffer {
  const len = body.length < 0x80 ? Buffer.from([body.length]) : Buffer.from([0x82, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

/** The OID 1.3.6.1.4.1.11129.2.4.x as DER content. */
const sctOid = (last: number) => Buffer.from([0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, last]);

function list(n: number): Buffer {
  const entry = Buffer.concat([Buffer.from([0, 3]), Buffer.from([1, 2, 3])]);
  const entries = Buffer.concat(Array.from({ length: n }, () => entry));
  return Buffer.concat([Buffer.from([0, entries.length]), entries]);
}

const extension = (last: number, n: number, critical = false) =>
  tlv(0x30, Buffer.concat([tlv(0x06, sctOid(last)), ...(critical ? [Buffer.from([0x01, 0x01, 0xff])] : []), tlv(0x04, tlv(0x04, list(n)))]));

test('SCT counting: the list of an extension with the right OID, wherever it sits, and nothing from garbage', () => {
  assert.equal(sctListCount(list(4)), 4);
  assert.equal(sctListCount(Buffer.alloc(0)), 0);
  // a certificate-shaped structure: SEQUENCE { SEQUENCE { ..., [3] { SEQUENCE OF Extension } } }
  const cert = tlv(0x30, tlv(0x30, Buffer.concat([tlv(0x02, Buffer.from([1])), tlv(0xa3, tlv(0x30, Buffer.concat([extension(2, 3, true)])))])));
  assert.equal(countEmbeddedScts(cert), 3);
  assert.equal(countStapledScts(cert), 0, 'the OCSP extension OID differs');
  // an OCSP-shaped one: the response sits in an OCTET STRING
  const ocsp = tlv(0x30, tlv(0xa0, tlv(0x30, Buffer.concat([tlv(0x06, Buffer.from([0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01])), tlv(0x04, tlv(0x30, tlv(0x30, extension(5, 2))))]))));
  assert.equal(countStapledScts(ocsp), 2);
  for (const junk of [Buffer.from('not DER at all'), Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), Buffer.alloc(4096, 0x30)]) {
    assert.equal(countEmbeddedScts(junk), 0);
    assert.equal(countStapledScts(junk), 0);
  }
});
