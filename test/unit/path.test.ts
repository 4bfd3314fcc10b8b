/**
 * Path building and validation (issue 11) over a PKI made once for the file: every lab path case
 * through analyseChain in process, and the cases the lab does not serve (a duplicate leaf, IP
 * not permitted, anyExtendedKeyUsage, a long-lived leaf of a public root, the days computed once).
 * What OpenSSL says of each lab case is checked in test/interop/cert-check-verify.test.ts.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { analyseChain, wholeDaysLeft, type ChainAnalysis } from '../../src/protocol/tls/chain.js';
import { checkCertificate } from '../../src/protocol/tls/check.js';
import { AnchorSet } from '../../src/protocol/tls/trust.js';
import { readCertFields } from '../../src/protocol/tls/x509-ext.js';
import { verdictLine, renderCertText } from '../../src/commands/cert-check/render.js';
import { createLabPki, createRootCa, issueIntermediateCa, DAY_MS, type LabCert, type LabPki } from '../../src/lab/tls/ca.js';
import { LAB_KEY_USAGE, PATH_CASE_ROWS, issue, nameConstraintsDer, type PathCaseName } from '../../src/lab/tls/path-cases.js';
import { testKeySource } from '../helpers/test-keys.js';

const NOW = new Date();
let pki: LabPki;
const served = new Map<PathCaseName, LabCert[]>();
const x = (c: { certPem: string }) => new X509Certificate(c.certPem);
const policy = { now: NOW, host: 'www.example.test', warnDays: 30, critDays: 7 };
const codes = (a: { problems: Array<{ code: string }> }) => a.problems.map((p) => p.code).sort();
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

function judge(name: PathCaseName): ChainAnalysis {
  return analyseChain(served.get(name)!.map(x), [x(pki.root)], policy);
}

before(async () => {
  pki = await createLabPki(NOW, testKeySource());
  const chains = await Promise.all(PATH_CASE_ROWS.map((row) => row.issue(pki)));
  PATH_CASE_ROWS.forEach((row, i) => served.set(row.name, chains[i]!.certs));
});

test('every lab path case gets exactly its expected status and codes', () => {
  assert.equal(PATH_CASE_ROWS.length, 15);
  for (const row of PATH_CASE_ROWS) {
    const a = judge(row.name);
    assert.deepEqual({ status: a.status, codes: codes(a) }, { status: row.expectedStatus, codes: [...row.expectedCodes].sort() }, `${row.name}: ${a.problems.map((p) => p.message).join(' | ')}`);
    // trusted is "openssl verify -no_check_time" (no opensslErrors, or only date errors)
    assert.equal(a.trusted, row.opensslErrors.length === 0, row.name);
  }
});

// issue 11: an intermediate with pathlen:0 that issues another CA was OK
test('pathlen:0 issuing a CA: CONSTRAINT_VIOLATION naming pathLenConstraint on the intermediate', () => {
  const a = judge('pathlen-exceeded');
  const p = a.problems.find((q) => q.code === 'CONSTRAINT_VIOLATION')!;
  assert.equal(p.constraint, 'pathLenConstraint');
  assert.match(p.subject!, /netlab Lab Intermediate CA/);
  assert.deepEqual(p.counts, { pathLen: 0, below: 1 });
});

// issue 11: an issuer with CA:FALSE (even with keyCertSign) was OK
test('issuer CA:FALSE with keyCertSign: CONSTRAINT_VIOLATION basicConstraints, not a missing intermediate', () => {
  const a = judge('issuer-not-ca');
  assert.equal(a.problems[0]!.constraint, 'basicConstraints');
  assert.match(a.problems[0]!.message, /CA:FALSE.*even though its keyUsage includes keyCertSign/);
  assert.deepEqual(a.path.map((e) => e.index), [0, 1, null], 'the path is built through the certificate sent');
});

// issue 11: a leaf used as a CA, or a CA without keyCertSign, was blamed on a "missing" intermediate that was sent
test('a leaf used as a CA and a CA without keyCertSign are named as such', () => {
  const leafAsCa = judge('leaf-as-ca');
  assert.deepEqual(codes(leafAsCa), ['CONSTRAINT_VIOLATION']);
  assert.match(leafAsCa.problems[0]!.message, /"CN=api\.example\.test" issued "CN=www\.example\.test".*end-entity certificate, a server certificate used as a CA/);
  const noCertSign = judge('ca-without-keycertsign');
  assert.equal(noCertSign.problems[0]!.constraint, 'keyUsage');
  assert.match(noCertSign.problems[0]!.message, /No-CertSign CA.*keyUsage does not include keyCertSign/);
});

// issue 11: name constraints excluding (or not permitting) the leaf's name were never checked
test('name constraints: DNS excluded, DNS not permitted, IP excluded, IP not permitted', async () => {
  assert.match(judge('name-excluded').problems[0]!.message, /DNS:www\.example\.test, which the name constraints .* do not allow \(excluded/);
  assert.match(judge('name-not-permitted').problems[0]!.message, /not permitted; the constraints: permitted DNS:other\.test/);
  assert.match(judge('ip-excluded').problems[0]!.message, /IP:127\.54\.1\.7.*excluded.*IP:127\.0\.0\.0\/255\.0\.0\.0/);
  const ca = await issue({ commonName: 'netlab Ten Only CA', issuer: pki.root, notBefore: pki.root.notBefore, notAfter: pki.root.notAfter, ca: true, keyUsage: LAB_KEY_USAGE.ca, nameConstraints: nameConstraintsDer({ permitted: ['10.0.0.0/8'] }) });
  const leaf = await issue({ commonName: 'www.example.test', issuer: ca, notBefore: new Date(NOW.getTime() - DAY_MS), notAfter: new Date(NOW.getTime() + 60 * DAY_MS), ca: false, keyUsage: LAB_KEY_USAGE.server, eku: [SERVER_AUTH], dnsNames: ['www.example.test'], ipAddresses: ['192.0.2.7'] });
  const a = analyseChain([x(leaf), x(ca)], [x(pki.root)], policy);
  assert.deepEqual(codes(a), ['CONSTRAINT_VIOLATION']);
  assert.match(a.problems[0]!.message, /IP:192\.0\.2\.7.*not permitted/);
  // the DNS name is not constrained by an IP-only permitted list
  assert.equal(a.problems[0]!.constraint, 'nameConstraints');
});

// issue 11: a leaf whose EKU is clientAuth only was OK
test('leaf EKU: clientAuth only and anyExtendedKeyUsage only are WRONG_PURPOSE (as OpenSSL -purpose sslserver)', async () => {
  assert.match(judge('client-auth-only').problems[0]!.message, /allows only clientAuth, not serverAuth/);
  const any = await issue({ commonName: 'www.example.test', issuer: pki.intermediate, notBefore: new Date(NOW.getTime() - DAY_MS), notAfter: new Date(NOW.getTime() + 60 * DAY_MS), ca: false, keyUsage: LAB_KEY_USAGE.server, eku: ['2.5.29.37.0'], dnsNames: ['www.example.test'] });
  const a = analyseChain([x(any), x(pki.intermediate)], [x(pki.root)], policy);
  assert.deepEqual(codes(a), ['WRONG_PURPOSE']);
  assert.match(a.problems[0]!.message, /OpenSSL does not take anyExtendedKeyUsage for serverAuth/);
});

// issue 11: an expired intermediate sent first and a valid cross-signed one second gave EXPIRED
test('expired issuer sent first, valid one second: the valid path is chosen, the expired one a note', () => {
  const a = judge('expired-issuer-first');
  assert.deepEqual(codes(a), []);
  assert.deepEqual(a.path.map((e) => [e.index, e.role]), [[0, 'leaf'], [2, 'intermediate'], [null, 'anchor']]);
  assert.equal(a.pathDiffers, true);
  assert.deepEqual(a.notes.map((n) => [n.code, n.counts?.index]), [['UNUSED_CERTIFICATE', 1]]);
  assert.match(a.notes[0]!.message, /expired 30 days ago\) was sent but is not on the path: a valid path does not need it/);
  // sent alone, the expired one is what the path has, and it is reported
  const alone = analyseChain([served.get('expired-issuer-first')![0]!, served.get('expired-issuer-first')![1]!].map(x), [x(pki.root)], policy);
  assert.deepEqual(codes(alone), ['EXPIRED']);
});

// issue 11: the Let's Encrypt 2021 case passed only because trusted roots happened to be tried first
test('Let\'s Encrypt 2021: an expired cross-sign of the trusted root is a note; the path ends at the trusted root', () => {
  const a = judge('expired-cross-sign');
  assert.deepEqual(codes(a), []);
  assert.deepEqual(a.path.map((e) => e.index), [0, 1, null]);
  assert.match(a.anchor!.subject, /netlab Lab Root CA/);
  assert.deepEqual(a.notes.map((n) => n.code), ['UNUSED_CERTIFICATE']);
  assert.equal(a.pathDiffers, true);
  // the same chain when the client trusts only the old root: the cross-sign is on the path, and expired
  const old = served.get('expired-cross-sign')![2]!;
  const oldRootIssuer = analyseChain(served.get('expired-cross-sign')!.map(x), [], policy);
  assert.equal(oldRootIssuer.trusted, false);
  assert.ok(codes(oldRootIssuer).includes('EXPIRED'), `${x(old).subject}: ${codes(oldRootIssuer)}`);
});

// issue 11: a self-signed leaf (CA:FALSE, with keyUsage) was MISSING_INTERMEDIATE: Node's checkIssued wants keyCertSign
test('a self-signed leaf with keyUsage and no keyCertSign is SELF_SIGNED', () => {
  const a = judge('self-signed-keyusage');
  assert.deepEqual(codes(a), ['SELF_SIGNED']);
  assert.equal(x(served.get('self-signed-keyusage')![0]!).checkIssued(x(served.get('self-signed-keyusage')![0]!)), false, 'Node alone would not see it as self-issued');
});

// issue 11: a certificate sent twice cut the chain at the duplicate
test('a certificate sent twice (the intermediate, or the leaf) is a copy, not the end of the chain', async () => {
  const dup = judge('duplicate');
  assert.equal(dup.trusted, true);
  assert.match(dup.problems[0]!.message, /certificate 2 \(a copy of certificate 1\) is not part of the chain/);
  const [leaf, inter] = served.get('duplicate')!;
  const twiceLeaf = analyseChain([leaf!, leaf!, inter!].map(x), [x(pki.root)], policy);
  assert.deepEqual({ trusted: twiceLeaf.trusted, codes: codes(twiceLeaf) }, { trusted: true, codes: ['CHAIN_ORDER'] });
  assert.deepEqual(twiceLeaf.path.map((e) => e.index), [0, 2, null]);
});

test('an unknown critical extension is named by its OID; AKI/SKI critical are unknown to OpenSSL too', () => {
  const a = judge('unknown-critical');
  assert.match(a.problems[0]!.message, /marked critical that clients do not know: 1\.3\.6\.1\.4\.1\.55555\.1/);
  const f = readCertFields(x(served.get('unknown-critical')![0]!).raw);
  assert.deepEqual(f.extensions.filter((e) => e.critical).map((e) => e.oid).sort(), ['1.3.6.1.4.1.55555.1', '2.5.29.15', '2.5.29.19']);
});

// issue 11: "expired 11 days ago" in the verdict and daysLeft -11, "expired 10 days ago" in the problem line
test('the days of an expired leaf are computed once: problem, chain, daysLeft and the verdict line agree', async () => {
  const leaf = await issue({ commonName: 'www.example.test', issuer: pki.intermediate, notBefore: new Date(NOW.getTime() - 100 * DAY_MS), notAfter: new Date(NOW.getTime() - 10 * DAY_MS - 3_600_000), ca: false, keyUsage: LAB_KEY_USAGE.server, eku: [SERVER_AUTH], dnsNames: ['www.example.test'] });
  const r = await checkCertificate({ bundle: leaf.certPem + pki.intermediate.certPem, trust: { ca: [pki.root.certPem], systemRoots: false }, host: 'www.example.test', now: NOW });
  assert.equal(r.daysLeft, -10);
  assert.equal(r.chain[0]!.daysLeft, -10);
  assert.match(r.problems[0]!.message, /expired 10 days ago/);
  assert.match(verdictLine(r), /\(expired 10 days ago\)$/);
  assert.doesNotMatch(renderCertText(r), /11 day/);
  assert.equal(wholeDaysLeft(new Date(NOW.getTime() - 3_600_000), NOW), 0, 'an hour ago is 0 days, never -0');
  assert.ok(Object.is(wholeDaysLeft(new Date(NOW.getTime() - 3_600_000), NOW), 0));
});

test('a leaf valid 825 days: a note under a private root, a LONG_VALIDITY WARNING under a system root', async () => {
  const a = judge('long-validity');
  assert.deepEqual(a.notes.map((n) => [n.code, n.counts?.days]), [['LONG_VALIDITY', 825]]);
  const anchors = new AnchorSet();
  anchors.add(x(pki.root).raw, x(pki.root), true);
  const pub = analyseChain(served.get('long-validity')!.map(x), anchors, policy);
  assert.deepEqual({ status: pub.status, codes: codes(pub) }, { status: 'WARNING', codes: ['LONG_VALIDITY'] });
  assert.match(pub.problems[0]!.message, /valid for 825 days .* more than the 398 days browsers accept from a public CA; it chains to a system root/);
});

test('backtracking: of two issuers with the same name and key, the one that violates pathLen is passed over', async () => {
  // two certificates for one CA key: the first (valid now, so OpenSSL's pick) under the pathlen:0 intermediate, the second under the root
  const keysCa = await issueIntermediateCa(pki.root, 'netlab Twin CA', { notBefore: pki.root.notBefore, notAfter: pki.root.notAfter });
  const keys = keysCa.signer.keys;
  const underIntermediate = await issue({ commonName: 'netlab Twin CA', organization: 'netlab Lab', keys, issuer: pki.intermediate, notBefore: pki.root.notBefore, notAfter: pki.root.notAfter, ca: true, keyUsage: LAB_KEY_USAGE.ca });
  const underRoot = await issue({ commonName: 'netlab Twin CA', organization: 'netlab Lab', keys, issuer: pki.root, notBefore: pki.root.notBefore, notAfter: pki.root.notAfter, ca: true, keyUsage: LAB_KEY_USAGE.ca });
  const leaf = await issue({ commonName: 'www.example.test', issuer: underRoot, notBefore: new Date(NOW.getTime() - DAY_MS), notAfter: new Date(NOW.getTime() + 60 * DAY_MS), ca: false, keyUsage: LAB_KEY_USAGE.server, eku: [SERVER_AUTH], dnsNames: ['www.example.test'] });
  const a = analyseChain([leaf, underIntermediate, pki.intermediate, underRoot].map(x), [x(pki.root)], policy);
  assert.equal(a.trusted, true, a.problems.map((p) => p.message).join(' | '));
  assert.deepEqual(a.path.map((e) => e.index), [0, 3, null]);
  assert.deepEqual(a.notes.map((n) => n.counts?.index).sort(), [1]);
  // without the second, the pathLen violation is what there is
  const only = analyseChain([leaf, underIntermediate, pki.intermediate].map(x), [x(pki.root)], policy);
  assert.deepEqual(codes(only), ['CONSTRAINT_VIOLATION']);
});

test('an untrusted root among many candidates: the search is bounded and says so only when it stops early', async () => {
  // 12 CA certificates with one name and key, none leading to an anchor: 12 candidates, each a dead end
  const other = await createRootCa('netlab Elsewhere Root', { notBefore: pki.root.notBefore, notAfter: pki.root.notAfter });
  const base = await issueIntermediateCa(other, 'netlab Many CA', { notBefore: pki.root.notBefore, notAfter: pki.root.notAfter });
  const copies = await Promise.all(Array.from({ length: 12 }, (_, i) => issue({ commonName: 'netlab Many CA', organization: 'netlab Lab', keys: base.signer.keys, issuer: other, notBefore: new Date(pki.root.notBefore.getTime() + i * 1000), notAfter: pki.root.notAfter, ca: true, keyUsage: LAB_KEY_USAGE.ca })));
  const leaf = await issue({ commonName: 'www.example.test', issuer: base, notBefore: new Date(NOW.getTime() - DAY_MS), notAfter: new Date(NOW.getTime() + 60 * DAY_MS), ca: false, keyUsage: LAB_KEY_USAGE.server, eku: [SERVER_AUTH], dnsNames: ['www.example.test'] });
  const a = analyseChain([leaf, ...copies].map(x), [x(pki.root)], policy);
  assert.equal(a.trusted, false);
  assert.ok(codes(a).includes('UNTRUSTED_ROOT'), codes(a).join(','));
  assert.deepEqual(a.notes.filter((n) => n.code === 'PATH_SEARCH_BOUNDED'), []);
});

// issue 11 (OpenSSL agreement): a leaf with the name in its CN and no DNS SAN matches for
// `openssl verify -verify_hostname`; browsers refuse it
test('a CN-only leaf: the name matches as OpenSSL says, with the WARNING NAME_IN_CN_ONLY; a SAN without the name still mismatches', async () => {
  const a = judge('cn-only');
  assert.equal(a.hostnameMatch, true);
  assert.deepEqual(codes(a), ['NAME_IN_CN_ONLY']);
  assert.equal(a.status, 'WARNING');
  assert.match(a.problems[0]!.message, /only in its subject CN/);
  const other = analyseChain(served.get('cn-only')!.map(x), [x(pki.root)], { ...policy, host: 'other.example.test' });
  assert.deepEqual(codes(other), ['HOSTNAME_MISMATCH']);
  // a leaf with a DNS SAN is never matched by its CN: CN www.example.test, SAN example.test only
  const leaf = await issue({ commonName: 'www.example.test', issuer: pki.intermediate, notBefore: new Date(NOW.getTime() - DAY_MS), notAfter: new Date(NOW.getTime() + 90 * DAY_MS), ca: false, keyUsage: LAB_KEY_USAGE.server, eku: [SERVER_AUTH], dnsNames: ['example.test'] });
  const sanOnly = analyseChain([x(leaf), x(pki.intermediate)], [x(pki.root)], policy);
  assert.equal(sanOnly.hostnameMatch, false);
  assert.deepEqual(codes(sanOnly), ['HOSTNAME_MISMATCH']);
});
