/**
 * issue 11: the text of --ocsp, --crl and --fetch-missing (render.ts), from fixed results: one
 * line per source asked, after the TLS line; the CLI advice under a MISSING_INTERMEDIATE that
 * names its caIssuers URL when nothing was fetched; the verdict line of a fetch interrupted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderCertText, verdictLine } from '../../src/commands/cert-check/render.js';
import { problem, type ChainCert } from '../../src/protocol/tls/chain.js';
import type { CertCheckResult } from '../../src/protocol/tls/check.js';

const leaf: ChainCert = {
  subject: 'CN=www.example.test', issuer: 'CN=netlab Lab Intermediate CA, O=netlab Lab', san: ['DNS:www.example.test'],
  notBefore: '2026-11-22T08:00:00.000Z', notAfter: '2027-02-20T08:00:00.000Z', daysLeft: 88, keyType: 'EC', keyBits: 256,
  signatureAlgorithm: 'ecdsa-with-SHA256', fingerprint256: 'AB:CD', isCA: false,
};
const base: CertCheckResult = {
  target: 'chain.pem', mode: 'file', status: 'OK', problems: [], trusted: true, hostnameMatch: null, host: null, servername: null,
  connectedTo: null, starttls: null, tls: null, scts: null, chain: [leaf], pathDiffers: false,
  path: [{ index: 0, subject: leaf.subject, fingerprint256: leaf.fingerprint256, role: 'leaf' }], anchor: null, trustStore: { sources: ['lab-root.pem'], anchors: 1 }, daysLeft: 88,
  revocation: null, aia: null, notes: [],
};
const URL = 'http://127.54.2.1:8080';
const lines = (r: CertCheckResult) => renderCertText(r).split('\n');

test('nothing asked: no OCSP, CRL or AIA line', () => {
  assert.deepEqual(lines(base).filter((l) => /^(OCSP|CRL|AIA):/.test(l)), []);
});

test('one line per source asked: good, revoked, unusable, not asked', () => {
  const r: CertCheckResult = {
    ...base,
    status: 'CRITICAL',
    problems: [problem('REVOKED', 'CRITICAL', 'the CRL at ... lists the certificate as revoked', leaf.subject)],
    revocation: {
      ocsp: { url: `${URL}/ocsp`, certStatus: 'good', signedBy: 'the issuer', nonce: 'echoed', nextUpdate: '2026-11-30T07:00:00.000Z' },
      crl: { url: `${URL}/intermediate.crl`, certStatus: 'revoked', bytes: 248, entries: 1, signedBy: 'the issuer', revokedAt: '2026-11-21T08:00:00.000Z', revocationReason: 'keyCompromise', nextUpdate: '2026-11-30T07:00:00.000Z' },
    },
  };
  const got = lines(r).filter((l) => /^(OCSP|CRL|AIA):/.test(l));
  assert.deepEqual(got, [
    `OCSP: good from ${URL}/ocsp (signed by the issuer, nonce echoed, next update 2026-11-30)`,
    `CRL: REVOKED on 2026-11-21 (keyCompromise) (${URL}/intermediate.crl, 248 bytes, 1 revoked, signed by the issuer, next update 2026-11-30)`,
  ]);
  const other: CertCheckResult = { ...base, revocation: { ocsp: { url: null, certStatus: null, skipped: 'the leaf names no OCSP responder (no AIA OCSP URL)' }, crl: { url: `${URL}/x.crl`, certStatus: null, invalid: 'it is out of date' } } };
  assert.deepEqual(lines(other).filter((l) => /^(OCSP|CRL):/.test(l)), [
    'OCSP: not asked (the leaf names no OCSP responder (no AIA OCSP URL))',
    `CRL: ${URL}/x.crl cannot be relied on (see problems)`,
  ]);
});

test('MISSING_INTERMEDIATE: the --fetch-missing advice when nothing was fetched, the AIA line when it was', () => {
  const missing = problem('MISSING_INTERMEDIATE', 'CRITICAL', `the issuer ... was not sent and is not a trust anchor (its AIA points to ${URL}/intermediate.crt)`, leaf.subject);
  const r: CertCheckResult = { ...base, status: 'CRITICAL', trusted: false, problems: [missing] };
  assert.equal(lines(r).filter((l) => l.includes('--fetch-missing')).length, 1);
  const fetched: CertCheckResult = {
    ...r,
    aia: { attempts: [{ url: `${URL}/intermediate.crt` }], fetched: [{ url: `${URL}/intermediate.crt`, subject: 'CN=netlab Lab Intermediate CA, O=netlab Lab', issuer: 'CN=netlab Lab Root CA', notAfter: '2031-11-21T08:00:00.000Z', fingerprint256: '01' }], completesPath: true, codesWithFetched: [] },
  };
  const text = lines(fetched);
  assert.equal(text.filter((l) => l.includes('--fetch-missing')).length, 0);
  assert.deepEqual(text.filter((l) => l.startsWith('AIA:')), [`AIA: fetched "CN=netlab Lab Intermediate CA, O=netlab Lab" from ${URL}/intermediate.crt: with it the path reaches a trust anchor (browsers complete the chain; API clients do not)`]);
});

test('a fetch interrupted: the verdict line says so, after the chain was read', () => {
  const r: CertCheckResult = { ...base, host: 'www.example.test', status: 'UNKNOWN', interrupted: true, interruptedDuring: 'fetch' };
  assert.equal(verdictLine(r), 'CERT UNKNOWN - www.example.test: interrupted while fetching (OCSP, CRL or a missing issuer), after the chain was read');
});
