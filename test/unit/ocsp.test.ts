/**
 * readOcspStaple on responses OpenSSL made (test/fixtures/ocsp/make.sh): an independent
 * producer, so that the parser is not only checked against the lab's own generator.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { BasicOCSPResponse, OCSPResponse } from '@peculiar/asn1-ocsp';
import { readOcspStaple } from '../../src/protocol/tls/ocsp.js';

const DIR = fileURLToPath(new URL('../../../test/fixtures/ocsp/', import.meta.url));
const der = (name: string) => readFileSync(`${DIR}${name}.der`);
const cert = (name: string) => new X509Certificate(readFileSync(`${DIR}${name}.pem`));
const NOW = new Date('2026-11-23T12:00:00Z');

test('good, signed by the issuer itself', () => {
  const s = readOcspStaple(der('good-by-ca'), cert('good'), cert('ca'), NOW);
  assert.equal(s.certStatus, 'good', s.invalid);
  assert.equal(s.signedBy, 'the issuer');
  assert.ok(s.thisUpdate && s.nextUpdate && s.producedAt);
  assert.ok(new Date(s.nextUpdate!).getFullYear() > 2100);
});

test('revoked with its time and reason, signed by a delegated responder with id-kp-OCSPSigning', () => {
  const s = readOcspStaple(der('revoked-by-responder'), cert('revoked'), cert('ca'), NOW);
  assert.equal(s.certStatus, 'revoked', s.invalid);
  assert.equal(s.revokedAt, '2026-11-01T00:00:00.000Z');
  assert.equal(s.revocationReason, 'keyCompromise');
  assert.equal(s.signedBy, 'responder CN=OCSP fixture responder');
});

test('unknown: the responder does not know the serial', () => {
  const s = readOcspStaple(der('unknown-by-ca'), cert('unknown'), cert('ca'), NOW);
  assert.equal(s.certStatus, 'unknown', s.invalid);
});

test('a staple that cannot be relied on says why, and gives no status', () => {
  const cases: Array<[string, ReturnType<typeof readOcspStaple>, RegExp]> = [
    ['about another certificate', readOcspStaple(der('good-by-ca'), cert('revoked'), cert('ca'), NOW), /about another certificate \(no response for serial 1002 from this issuer\)/],
    ['issuer hashes of another CA', readOcspStaple(der('good-by-ca'), cert('good'), cert('other'), NOW), /about another certificate/],
    ['signer without id-kp-OCSPSigning', readOcspStaple(der('good-by-noeku'), cert('good'), cert('ca'), NOW), /not authorised for OCSP signing/],
    ['signer the issuer did not issue', readOcspStaple(der('good-by-other'), cert('good'), cert('ca'), NOW), /which the issuer did not issue/],
    ['out of date', readOcspStaple(der('good-by-ca'), cert('good'), cert('ca'), new Date('2127-01-01T00:00:00Z')), /out of date \(nextUpdate 2126-/],
    ['from the future', readOcspStaple(der('good-by-ca'), cert('good'), cert('ca'), new Date('2020-01-01T00:00:00Z')), /thisUpdate .* is in the future/],
    ['no issuer to check against', readOcspStaple(der('good-by-ca'), cert('good'), undefined, NOW), /issuer is not in the chain/],
    ['garbage', readOcspStaple(Buffer.from('not DER at all'), cert('good'), cert('ca'), NOW), /malformed OCSP response/],
    ['empty', readOcspStaple(Buffer.alloc(0), cert('good'), cert('ca'), NOW), /malformed OCSP response/],
  ];
  for (const [what, s, re] of cases) {
    assert.equal(s.certStatus, null, what);
    assert.match(s.invalid ?? '', re, what);
  }
});

test('a flipped bit in the signature or in the signed data fails the signature check', () => {
  const good = der('good-by-ca');
  // re-encode the response with one bit of the signature flipped
  const outer = AsnConvert.parse(good, OCSPResponse);
  const basic = AsnConvert.parse(outer.responseBytes!.response.buffer, BasicOCSPResponse);
  delete basic.tbsResponseDataRaw;
  const reencoded = (b: BasicOCSPResponse) => {
    outer.responseBytes!.response = new OctetString(AsnConvert.serialize(b));
    return Buffer.from(AsnConvert.serialize(outer));
  };
  // the control: re-encoded as it is, it still verifies
  assert.equal(readOcspStaple(reencoded(basic), cert('good'), cert('ca'), NOW).certStatus, 'good');
  const flipped = new Uint8Array(basic.signature.slice(0));
  flipped[flipped.length - 1]! ^= 0x01;
  basic.signature = flipped.buffer;
  const s1 = readOcspStaple(reencoded(basic), cert('good'), cert('ca'), NOW);
  assert.equal(s1.certStatus, null);
  assert.match(s1.invalid ?? '', /signature does not verify/);
  // producedAt's last digit of seconds, inside tbsResponseData: still parses, no longer verifies
  const text = good.toString('latin1');
  const at = text.search(/\d{14}Z/);
  assert.ok(at > 0);
  const data = Buffer.from(good);
  data[at + 13] = data[at + 13]! === 0x30 ? 0x31 : 0x30;
  const s2 = readOcspStaple(data, cert('good'), cert('ca'), NOW);
  assert.equal(s2.certStatus, null);
  assert.match(s2.invalid ?? '', /signature does not verify/);
});
