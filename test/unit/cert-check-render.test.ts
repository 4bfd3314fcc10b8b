/**
 * Golden files for the cert-check renderer: fixed CertCheckResult objects -> text, compared with
 * test/golden/cert-check/*.txt. UPDATE_GOLDEN=1 rewrites them (Node 20 has no snapshot assertion).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixText, renderCertText, verdictLine } from '../../src/commands/cert-check/render.js';
import { problem, type ChainCert } from '../../src/protocol/tls/chain.js';
import type { CertCheckResult } from '../../src/protocol/tls/check.js';
import { goldenOf } from '../helpers/golden.js';

const golden = goldenOf('cert-check');

const widest = (text: string) => Math.max(...text.split('\n').map((l) => [...l].length));
/** The lines of the chain's table (its borders and rows). */
const tableLines = (text: string) => text.split('\n').filter((l) => /^[┌│├└]/.test(l));

const leaf: ChainCert = {
  subject: 'CN=www.example.test',
  issuer: 'CN=netlab Lab Intermediate CA, O=netlab Lab',
  san: ['DNS:www.example.test', 'DNS:example.test'],
  notBefore: '2026-11-22T08:00:00.000Z',
  notAfter: '2027-02-20T08:00:00.000Z',
  daysLeft: 88,
  keyType: 'EC',
  keyBits: 256,
  signatureAlgorithm: 'ecdsa-with-SHA256',
  fingerprint256: 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89',
  isCA: false,
};
const intermediate: ChainCert = {
  subject: 'CN=netlab Lab Intermediate CA, O=netlab Lab',
  issuer: 'CN=netlab Lab Root CA, O=netlab Lab',
  san: [],
  notBefore: '2026-11-22T08:00:00.000Z',
  notAfter: '2031-11-21T08:00:00.000Z',
  daysLeft: 1824,
  keyType: 'EC',
  keyBits: 256,
  signatureAlgorithm: 'ecdsa-with-SHA256',
  fingerprint256: '01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF',
  isCA: true,
};
const root: ChainCert = { ...intermediate, subject: 'CN=netlab Lab Root CA, O=netlab Lab', daysLeft: 3650, notAfter: '2036-11-19T08:00:00.000Z', fingerprint256: 'FE:DC:BA:98:76:54:32:10:FE:DC:BA:98:76:54:32:10:FE:DC:BA:98:76:54:32:10:FE:DC:BA:98:76:54:32:10' };

const good: CertCheckResult = {
  target: 'www.example.test:40443',
  mode: 'network',
  status: 'OK',
  problems: [],
  notes: [],
  trusted: true,
  hostnameMatch: true,
  host: 'www.example.test',
  servername: 'www.example.test',
  connectedTo: '127.54.0.1:40443',
  starttls: null,
  tls: {
    protocol: 'TLSv1.3',
    cipher: 'TLS_AES_256_GCM_SHA384',
    ocspStapled: true,
    ocsp: { certStatus: 'good', producedAt: '2026-11-23T07:00:00.000Z', thisUpdate: '2026-11-23T07:00:00.000Z', nextUpdate: '2026-11-30T07:00:00.000Z', signedBy: 'the issuer' },
    clientCertificate: 'not-requested',
  },
  scts: { embedded: 2, ocspStaple: 0 },
  chain: [leaf, intermediate],
  path: [
    { index: 0, subject: leaf.subject, fingerprint256: leaf.fingerprint256, role: 'leaf' },
    { index: 1, subject: intermediate.subject, fingerprint256: intermediate.fingerprint256, role: 'intermediate' },
    { index: null, subject: root.subject, fingerprint256: root.fingerprint256, role: 'anchor' },
  ],
  pathDiffers: false,
  anchor: root,
  trustStore: { sources: ['/etc/ssl/certs/ca-certificates.crt', '/tmp/netlab-tls-Ab12Cd/lab-root.pem'], anchors: 145 },
  daysLeft: 88,
  revocation: null,
  aia: null,
};

const expiredLeaf: ChainCert = { ...leaf, notBefore: '2026-08-14T08:00:00.000Z', notAfter: '2026-11-12T08:00:00.000Z', daysLeft: -11 };
const expired: CertCheckResult = {
  ...good,
  status: 'CRITICAL',
  problems: [problem('EXPIRED', 'CRITICAL', 'the leaf "CN=www.example.test" expired 11 days ago (2026-11-12T08:00:00.000Z)', leaf.subject)],
  tls: { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', ocspStapled: false, ocsp: null, clientCertificate: 'not-requested' },
  chain: [expiredLeaf, intermediate],
  daysLeft: -11,
};

/** A self-signed root sent in the middle, a weak key, a wrong name, an untrusted chain, a revoking staple: several problems at once. */
const weakLeaf: ChainCert = { ...leaf, subject: 'CN=legacy.example.test, O=A Company With A Rather Long Legal Name Ltd', keyType: 'RSA', keyBits: 1024, signatureAlgorithm: 'sha1WithRSAEncryption', issuer: 'CN=Some Private Root CA, O=A Company With A Rather Long Legal Name Ltd', san: ['DNS:legacy.example.test'], daysLeft: 5, notAfter: '2026-11-28T08:00:00.000Z' };
const privateRoot: ChainCert = { ...root, subject: 'CN=Some Private Root CA, O=A Company With A Rather Long Legal Name Ltd', issuer: 'CN=Some Private Root CA, O=A Company With A Rather Long Legal Name Ltd', keyType: 'RSA', keyBits: 4096, signatureAlgorithm: 'sha256WithRSAEncryption' };
const several: CertCheckResult = {
  ...good,
  target: '192.0.2.10',
  status: 'CRITICAL',
  host: 'www.example.test',
  servername: null,
  connectedTo: '192.0.2.10:443',
  problems: [
    problem('UNTRUSTED_ROOT', 'CRITICAL', `the chain ends at "${privateRoot.subject}", a root that is not trusted`, privateRoot.subject),
    problem('CHAIN_ORDER', 'WARNING', `certificate 2 is not part of the chain (sent: 0:${weakLeaf.subject}; 1:${privateRoot.subject}; 2:${intermediate.subject})`),
    problem('EXPIRES_SOON', 'CRITICAL', `the leaf "${weakLeaf.subject}" expires in 5 days (2026-11-28T08:00:00.000Z, 5% of its lifetime left)`, weakLeaf.subject),
    problem('WEAK_KEY', 'WARNING', `the leaf "${weakLeaf.subject}" has a 1024-bit RSA key (under 2048)`, weakLeaf.subject),
    problem('WEAK_SIGNATURE', 'WARNING', `the leaf "${weakLeaf.subject}" is signed with sha1WithRSAEncryption`, weakLeaf.subject),
    problem('HOSTNAME_MISMATCH', 'CRITICAL', 'the leaf is not valid for www.example.test (it lists DNS:legacy.example.test)', weakLeaf.subject),
    problem('REVOKED', 'CRITICAL', 'the stapled OCSP response, signed by the issuer, says the certificate was revoked on 2026-11-21, reason keyCompromise', weakLeaf.subject),
  ],
  trusted: false,
  hostnameMatch: false,
  tls: {
    protocol: 'TLSv1.2',
    cipher: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
    ocspStapled: true,
    ocsp: { certStatus: 'revoked', producedAt: '2026-11-23T07:00:00.000Z', thisUpdate: '2026-11-23T07:00:00.000Z', revokedAt: '2026-11-21T07:00:00.000Z', revocationReason: 'keyCompromise', signedBy: 'the issuer' },
    clientCertificate: 'not-requested',
  },
  chain: [weakLeaf, privateRoot, intermediate],
  path: [
    { index: 0, subject: weakLeaf.subject, fingerprint256: weakLeaf.fingerprint256, role: 'leaf' },
    { index: 1, subject: privateRoot.subject, fingerprint256: privateRoot.fingerprint256, role: 'end' },
  ],
  pathDiffers: true,
  anchor: null,
  trustStore: { sources: ['/etc/ssl/certs/ca-certificates.crt'], anchors: 144 },
  daysLeft: 5,
};

test('a good chain: verdict, the chain table, each certificate, TLS with the staple, trust, name', () => {
  golden('good', renderCertText(good));
});

test('an expired leaf: the verdict says how long ago, and the problem its fix', () => {
  golden('expired', renderCertText(expired));
});

test('several problems at once, an extra certificate marked, the CLI advice added to the UNTRUSTED_ROOT fix', () => {
  const text = renderCertText(several);
  golden('several', text);
  assert.match(text, /^CERT CRITICAL - www\.example\.test: UNTRUSTED_ROOT, CHAIN_ORDER, EXPIRES_SOON, WEAK_KEY, WEAK_SIGNATURE, HOSTNAME_MISMATCH, REVOKED \(expires in 5 days\)\n/);
  assert.match(text, /fix: Chain to a root that clients trust, or give clients this root \(--ca FILE to check against it\)\.\n/);
  assert.equal(text.split('\n').filter((l) => /^ {11}fix: /.test(l)).length, several.problems.length);
});

test('a narrow terminal: the chain table fits 80 and 60 columns', () => {
  for (const columns of [80, 60]) {
    const text = renderCertText(several, { columns });
    golden(`several-${columns}`, text);
    const table = tableLines(text);
    assert.ok(table.length > several.chain.length, `${columns}: the table is there`);
    assert.ok(Math.max(...table.map((l) => [...l].length)) <= columns, `${columns}: ${widest(table.join('\n'))}`);
  }
  // without a terminal (a pipe) the table takes the width it needs, wider than 80 here
  assert.ok(Math.max(...tableLines(renderCertText(several)).map((l) => [...l].length)) > 80);
  golden('good-60', renderCertText(good, { columns: 60 }));
});

test('a check that reached nothing: the verdict, no chain, the trust line and the problem', () => {
  const unreachable: CertCheckResult = {
    ...good,
    target: 'www.example.test:9',
    status: 'CRITICAL',
    problems: [problem('UNREACHABLE', 'CRITICAL', 'cannot connect to 127.54.0.250:9: connection refused')],
    trusted: false,
    hostnameMatch: null,
    connectedTo: '127.54.0.250:9',
    tls: null,
    scts: null,
    chain: [],
    path: [],
    anchor: null,
    daysLeft: null,
  };
  golden('unreachable', renderCertText(unreachable));
  const interrupted: CertCheckResult = { ...unreachable, status: 'UNKNOWN', problems: [], interrupted: true, interruptedDuring: 'connect' };
  assert.equal(verdictLine(interrupted), 'CERT UNKNOWN - www.example.test: interrupted while connecting to 127.54.0.250:9, before any certificate was read');
});

test('a bundle: "Chain in FILE", no TLS line, no name line without a host', () => {
  golden('file', renderCertText({ ...good, target: 'fullchain.pem', mode: 'file', servername: null, connectedTo: null, tls: null, host: null, hostnameMatch: null }));
});

test('fixText adds the command line advice for a code, and leaves the others alone', () => {
  assert.equal(fixText('UNTRUSTED_ROOT', 'Chain to a root.'), 'Chain to a root (--ca FILE to check against it).');
  assert.equal(fixText('EXPIRED', 'Renew it.'), 'Renew it.');
});

// issue 11: the path chosen is shown, and said to differ from the chain as sent; notes are listed after the problems
test('a path that differs from the chain as sent, and a note about the certificate left out', () => {
  const expiredCopy: ChainCert = { ...intermediate, notAfter: '2026-10-24T08:00:00.000Z', daysLeft: -30, fingerprint256: '77:'.repeat(31) + '77' };
  const r: CertCheckResult = {
    ...good,
    chain: [leaf, expiredCopy, intermediate],
    path: [
      { index: 0, subject: leaf.subject, fingerprint256: leaf.fingerprint256, role: 'leaf' },
      { index: 2, subject: intermediate.subject, fingerprint256: intermediate.fingerprint256, role: 'intermediate' },
      { index: null, subject: root.subject, fingerprint256: root.fingerprint256, role: 'anchor' },
    ],
    pathDiffers: true,
    notes: [{ code: 'UNUSED_CERTIFICATE', message: `certificate 1 ("${intermediate.subject}", issued by "${root.subject}", expired 30 days ago) was sent but is not on the path: a valid path does not need it`, subject: intermediate.subject, counts: { index: 1 } }],
  };
  const text = renderCertText(r);
  assert.match(text, /^CERT OK - www\.example\.test expires in 88 days\n/);
  assert.match(text, /\n│ 1 \(extra\) │/);
  assert.match(text, /\nPath chosen \(not the chain as sent\): 0 www\.example\.test > 2 netlab Lab Intermediate CA > netlab Lab Root CA \(trust store\)\n/);
  assert.match(text, /\nNotes:\n {2}UNUSED_CERTIFICATE: certificate 1 /);
  golden('path-differs', text);
});
