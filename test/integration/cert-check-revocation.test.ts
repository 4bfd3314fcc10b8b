/**
 * issue 11: revocation beyond the staple (--ocsp, --crl) and AIA fetching (--fetch-missing),
 * in process against the lab's PKI repository (src/lab/tls/ocsp-responder.ts: a real HTTP
 * server on loopback with an OCSP responder, CRLs and caIssuers files) and misbehaving HTTP
 * servers (test/helpers/hostile-tcp.ts). The leaves are issued here, once, each naming the
 * URLs its test needs; the checks run on PEM bundles (the same code as for a server's chain).
 * Two spawns of the binary at the end for the exit code and the text.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLabPki, DAY_MS, issueLeaf, type LabCert, type LabPki } from '../../src/lab/tls/ca.js';
import { LabRepository } from '../../src/lab/tls/ocsp-responder.js';
import { checkCertificate, type BundleCertCheckOptions, type CertCheckResult } from '../../src/protocol/tls/check.js';
import { loadTrustStore, type TrustStore } from '../../src/protocol/tls/trust.js';
import { FetchFailed, httpFetch } from '../../src/protocol/tls/fetch.js';
import { buildOcspRequest, readOcspResponse } from '../../src/protocol/tls/ocsp.js';
import { readCaIssuersObject } from '../../src/protocol/tls/aia.js';
import { startHostileServers, modes, type HostileServers } from '../helpers/hostile-tcp.js';
import { runCli } from '../helpers/cli.js';
import { testKeySource } from '../helpers/test-keys.js';

let pki: LabPki;
let repo: LabRepository;
let trust: TrustStore;
let hostile: HostileServers<'silent' | 'endless'>;
let dir: string;
/** The leaves, by what their URLs point at. */
const leaf: Record<string, LabCert> = {};

const HOST = 'www.example.test';
const codes = (r: CertCheckResult) => r.problems.map((p) => p.code).sort();
const dead = 'http://127.0.0.1:9/';

before(async () => {
  pki = await createLabPki(new Date(), testKeySource());
  repo = new LabRepository({ address: '127.0.0.1' });
  hostile = await startHostileServers({ silent: modes.silent(), endless: modes.endlessBody() });
  await repo.start();
  const u = repo.urls;
  const b = repo.base;
  const t = pki.issuedAt.getTime();
  const make = (o: { ocsp?: string; crl?: string; ca?: string }, issuer = pki.intermediate) => issueLeaf(issuer, {
    notBefore: new Date(t - DAY_MS),
    notAfter: new Date(t + 90 * DAY_MS),
    dnsNames: [HOST],
    ...(o.ocsp ? { ocspUrl: o.ocsp } : {}),
    ...(o.crl ? { crlUrl: o.crl } : {}),
    ...(o.ca ? { caIssuersUrl: o.ca } : {}),
  });
  const silent = `http://127.0.0.1:${hostile.of.silent.port}/`;
  const endless = `http://127.0.0.1:${hostile.of.endless.port}/`;
  const entries: Array<[string, Promise<LabCert>]> = [
    ['good', make({ ocsp: u.ocsp, crl: u.crl, ca: u.intermediate })],
    ['revoked', make({ ocsp: u.ocsp, crl: u.crl, ca: u.intermediate })],
    ['revokedPem', make({ crl: `${b}/intermediate.crl.pem` })],
    ['delegated', make({ ocsp: `${b}/ocsp/delegated` })],
    ['noEku', make({ ocsp: `${b}/ocsp/no-eku`, crl: `${b}/stale.crl` })],
    ['stale', make({ ocsp: `${b}/ocsp/stale`, crl: u.intermediate })],
    ['tryLater', make({ ocsp: `${b}/ocsp/try-later`, crl: `${b}/nothing-here.crl` })],
    ['dead', make({ ocsp: dead, crl: dead, ca: dead })],
    ['silent', make({ ocsp: silent, crl: endless })],
    ['notHttp', make({ ocsp: 'https://127.0.0.1:1/ocsp', crl: 'ldap://127.0.0.1/cn=netlab?certificateRevocationList', ca: 'ldap://127.0.0.1/cn=ca' })],
    ['none', make({})],
    ['p7c', make({ ocsp: u.ocsp, ca: u.intermediateP7c })],
    ['moved', make({ ocsp: `${b}/moved/ocsp`, crl: `${b}/moved/intermediate.crl`, ca: `${b}/loop` })],
    ['crlAsCa', make({ ca: u.crl, crl: `${b}/to-https` })],
    // issued by the RSA intermediate, but pointing at the ECDSA intermediate's CRL and responder
    ['otherCa', make({ ocsp: u.ocsp, crl: u.crl }, pki.rsaIntermediate)],
  ];
  for (const [name, p] of entries) leaf[name] = await p;
  await repo.setContent({ ca: pki.intermediate, root: pki.root, revoked: [leaf.revoked!, leaf.revokedPem!].map((cert) => ({ cert, revokedAt: new Date(t - 2 * DAY_MS), reason: 'keyCompromise' as const })), issuedAt: pki.issuedAt });
  trust = loadTrustStore({ caPems: [pki.root.certPem], systemRoots: false });
  dir = mkdtempSync(join(tmpdir(), 'netlab-revocation-'));
});
after(async () => {
  await Promise.all([repo.close(), hostile.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** checkCertificate on the leaf named (sent with its issuer unless `alone`), with a bounded fetch time. */
function check(name: string, more: Partial<BundleCertCheckOptions> = {}, alone = false): Promise<CertCheckResult> {
  const l = leaf[name]!;
  const issuer = name === 'otherCa' ? pki.rsaIntermediate : pki.intermediate;
  return checkCertificate({ bundle: l.certPem + (alone ? '' : issuer.certPem), host: HOST, trust, fetchTimeoutMs: 10_000, ...more });
}

test('nothing is fetched unless asked: no option, no request to the repository, revocation and aia null', async () => {
  const before = repo.requests;
  for (const name of ['good', 'revoked']) {
    const r = await check(name);
    assert.deepEqual({ status: r.status, codes: codes(r), revocation: r.revocation, aia: r.aia, notes: r.notes }, { status: 'OK', codes: [], revocation: null, aia: null, notes: [] });
  }
  const alone = await check('good', {}, true);
  assert.deepEqual(codes(alone), ['MISSING_INTERMEDIATE']);
  assert.equal(alone.aia, null);
  assert.equal(repo.requests, before, 'the repository saw no request');
});

test('--ocsp: the lab responder says good (nonce echoed) and revoked (REVOKED, CRITICAL, with date and reason)', async () => {
  const good = await check('good', { ocsp: true });
  assert.equal(good.status, 'OK', JSON.stringify(good.problems));
  assert.deepEqual({ certStatus: good.revocation!.ocsp!.certStatus, nonce: good.revocation!.ocsp!.nonce, url: good.revocation!.ocsp!.url, signedBy: good.revocation!.ocsp!.signedBy },
    { certStatus: 'good', nonce: 'echoed', url: repo.urls.ocsp, signedBy: 'the issuer' });
  assert.equal(good.revocation!.crl, null);
  const revoked = await check('revoked', { ocsp: true });
  assert.equal(revoked.status, 'CRITICAL');
  assert.deepEqual(codes(revoked), ['REVOKED']);
  const day = new Date(pki.issuedAt.getTime() - 2 * DAY_MS).toISOString().slice(0, 10);
  assert.match(revoked.problems[0]!.message, new RegExp(`OCSP responder at ${repo.urls.ocsp}, signed by the issuer, says the certificate was revoked on ${day}, reason keyCompromise`));
  assert.equal(revoked.problems[0]!.subject, 'CN=www.example.test');
  assert.equal(revoked.revocation!.ocsp!.revocationReason, 'keyCompromise');
  assert.deepEqual(JSON.parse(JSON.stringify(revoked)), revoked, 'JSON-able');
});

test('--ocsp: a delegated responder with id-kp-OCSPSigning is accepted; one without it, tryLater, stale, unreachable, a silent one and another CA are BAD_OCSP_RESPONSE (WARNING)', async () => {
  const delegated = await check('delegated', { ocsp: true });
  assert.equal(delegated.status, 'OK', JSON.stringify(delegated.problems));
  assert.equal(delegated.revocation!.ocsp!.signedBy, 'responder CN=netlab Lab OCSP Responder, O=netlab Lab');
  const failing: Array<[string, RegExp]> = [
    ['noEku', /not authorised for OCSP signing \(no id-kp-OCSPSigning\)/],
    ['tryLater', /answered tryLater, not a response/],
    ['stale', /out of date \(nextUpdate .* has passed\)/],
    ['dead', /cannot fetch http:\/\/127\.0\.0\.1:9\/: connection refused/],
    ['silent', /no complete answer within 500 ms/],
    ['otherCa', /answered unauthorized, not a response/],
  ];
  // a short bound for the silent server: the timeout is what is tested
  const results = await Promise.all(failing.map(([name]) => check(name, { ocsp: true, fetchTimeoutMs: name === 'silent' ? 500 : 10_000 })));
  failing.forEach(([name, re], i) => {
    const r = results[i]!;
    assert.equal(r.status, 'WARNING', `${name}: ${JSON.stringify(r.problems)}`);
    assert.deepEqual(codes(r), ['BAD_OCSP_RESPONSE'], name);
    assert.match(r.problems[0]!.message, re, name);
    assert.equal(r.revocation!.ocsp!.certStatus, null, name);
  });
});

test('an OCSP answer whose nonce is not the one sent is refused; the GET form (RFC 6960 A.1) gives the same answer', async () => {
  const l = new X509Certificate(leaf.revoked!.certPem);
  const issuer = new X509Certificate(pki.intermediate.certPem);
  const sent = Buffer.alloc(16, 1);
  const der = buildOcspRequest(l, issuer, sent);
  const post = await httpFetch(repo.urls.ocsp, { method: 'POST', body: der, contentType: 'application/ocsp-request', maxBytes: 65536, timeoutMs: 10_000 });
  assert.equal(readOcspResponse(post.body, l, issuer, new Date(), sent).certStatus, 'revoked');
  const other = readOcspResponse(post.body, l, issuer, new Date(), Buffer.alloc(16, 2));
  assert.equal(other.certStatus, null);
  assert.match(other.invalid ?? '', /nonce is not the one sent/);
  const get = await httpFetch(`${repo.urls.ocsp}/${encodeURIComponent(der.toString('base64'))}`, { maxBytes: 65536, timeoutMs: 10_000 });
  assert.equal(readOcspResponse(get.body, l, issuer, new Date(), sent).certStatus, 'revoked');
});

test('--crl: not listed is good; listed is REVOKED (CRITICAL) with date and reason, from DER and from PEM', async () => {
  const good = await check('good', { crl: true });
  assert.equal(good.status, 'OK', JSON.stringify(good.problems));
  assert.deepEqual({ certStatus: good.revocation!.crl!.certStatus, entries: good.revocation!.crl!.entries, signedBy: good.revocation!.crl!.signedBy }, { certStatus: 'good', entries: 2, signedBy: 'the issuer' });
  assert.ok(good.revocation!.crl!.bytes! > 100);
  for (const name of ['revoked', 'revokedPem']) {
    const r = await check(name, { crl: true });
    assert.equal(r.status, 'CRITICAL', name);
    assert.deepEqual(codes(r), ['REVOKED'], name);
    assert.match(r.problems[0]!.message, /^the CRL at http:\/\/127\.0\.0\.1:\d+\/intermediate\.crl(\.pem)?, signed by the issuer \(thisUpdate .*\), lists the certificate as revoked on \d{4}-\d\d-\d\d, reason keyCompromise$/, name);
  }
});

test('--crl: stale, not a CRL, HTTP 404, another CA\'s CRL, unreachable, too big, a redirect to https: are BAD_CRL (WARNING)', async () => {
  const failing: Array<[string, RegExp]> = [
    ['noEku', /out of date \(nextUpdate .* has passed\)/],
    ['stale', /not a CRL \(DER or PEM\)/],
    ['tryLater', /answered HTTP 404 Not Found/],
    ['otherCa', /issued by another CA than the leaf's issuer/],
    ['dead', /connection refused/],
    ['silent', /sends 1000000000000 bytes, more than the 10 MiB allowed/],
    ['crlAsCa', /redirects to https:\/\/127\.0\.0\.1:\d+\/intermediate\.crl: https: URLs are not fetched \(HTTP only\)/],
  ];
  const results = await Promise.all(failing.map(([name]) => check(name, { crl: true })));
  failing.forEach(([name, re], i) => {
    const r = results[i]!;
    assert.equal(r.status, 'WARNING', `${name}: ${JSON.stringify(r.problems)}`);
    assert.deepEqual(codes(r), ['BAD_CRL'], name);
    assert.match(r.problems[0]!.message, re, name);
  });
});

test('no URL, or an https:/ldap: URL: a note says why, no problem, the status does not change', async () => {
  const none = await check('none', { ocsp: true, crl: true, fetchMissing: true });
  assert.equal(none.status, 'OK');
  assert.deepEqual(none.notes!.map((n) => n.code), ['OCSP_NOT_ASKED', 'CRL_NOT_FETCHED']);
  assert.match(none.notes![0]!.message, /names no OCSP responder/);
  const other = await check('notHttp', { ocsp: true, crl: true });
  assert.equal(other.status, 'OK');
  assert.match(other.revocation!.ocsp!.skipped ?? '', /^https:\/\/127\.0\.0\.1:1\/ocsp: https: URLs are not fetched \(HTTP only\)$/);
  assert.match(other.revocation!.crl!.skipped ?? '', /^ldap:\/\/.*: ldap: URLs are not fetched \(HTTP only\)$/);
  assert.equal(other.notes!.length, 2);
});

test('redirects: a 301 is followed (for POST too), a loop is refused after 3', async () => {
  const r = await check('moved', { ocsp: true, crl: true });
  assert.equal(r.status, 'OK', JSON.stringify(r.problems));
  assert.deepEqual([r.revocation!.ocsp!.certStatus, r.revocation!.crl!.certStatus], ['good', 'good']);
  await assert.rejects(httpFetch(`${repo.base}/loop`, { maxBytes: 1024, timeoutMs: 10_000 }), (e: unknown) => e instanceof FetchFailed && e.reason === 'redirects' && /more than 3 redirects/.test(e.message));
});

test('bounds: a body past maxBytes (declared or streamed) and a silent server fail with the bound named', async () => {
  await assert.rejects(httpFetch(repo.urls.crl, { maxBytes: 100, timeoutMs: 10_000 }), (e: unknown) => e instanceof FetchFailed && e.reason === 'too-big' && /sends \d+ bytes, more than the 100 bytes allowed/.test(e.message));
  await assert.rejects(httpFetch(`http://127.0.0.1:${hostile.of.silent.port}/`, { maxBytes: 100, timeoutMs: 300 }), (e: unknown) => e instanceof FetchFailed && e.reason === 'timeout');
  await assert.rejects(httpFetch('ftp://127.0.0.1/x', { maxBytes: 100, timeoutMs: 300 }), (e: unknown) => e instanceof FetchFailed && e.reason === 'not-http');
});

test('--fetch-missing: DER and PKCS#7 caIssuers complete the path; MISSING_INTERMEDIATE stays CRITICAL, saying browsers will load it, API clients will not', async () => {
  for (const name of ['good', 'p7c']) {
    const r = await check(name, { fetchMissing: true }, true);
    assert.equal(r.status, 'CRITICAL', name);
    assert.deepEqual(codes(r), ['MISSING_INTERMEDIATE'], name);
    assert.match(r.problems[0]!.message, /completes the path to a trust anchor: browsers will load it, API clients \(curl, openssl, most libraries\) will not$/, name);
    assert.equal(r.trusted, false, `${name}: the chain as sent is still not trusted`);
    assert.deepEqual({ completes: r.aia!.completesPath, n: r.aia!.fetched.length, subject: r.aia!.fetched[0]!.subject, codes: r.aia!.codesWithFetched }, { completes: true, n: 1, subject: 'CN=netlab Lab Intermediate CA, O=netlab Lab', codes: [] }, name);
  }
  const p7 = readCaIssuersObject((await httpFetch(repo.urls.intermediateP7c, { maxBytes: 65536, timeoutMs: 10_000 })).body);
  assert.deepEqual(p7.map((c) => c.fingerprint256), [new X509Certificate(pki.intermediate.certPem).fingerprint256]);
});

test('--fetch-missing: a dead URL, a redirect loop, a URL that serves no certificate, an ldap: URL: the path stays incomplete, and browsers fail too', async () => {
  const cases: Array<[string, RegExp]> = [
    ['dead', /gave nothing usable \(cannot fetch http:\/\/127\.0\.0\.1:9\/: connection refused\): browsers fail too$/],
    ['moved', /more than 3 redirects\): browsers fail too$/],
    ['crlAsCa', /sent neither a certificate nor a PKCS#7 bundle of certificates\): browsers fail too$/],
    ['notHttp', /ldap: URLs are not fetched \(HTTP only\)\): browsers fail too$/],
  ];
  for (const [name, re] of cases) {
    const r = await check(name, { fetchMissing: true }, true);
    assert.deepEqual(codes(r), ['MISSING_INTERMEDIATE'], name);
    assert.match(r.problems[0]!.message, re, name);
    assert.equal(r.aia!.completesPath, false, name);
  }
});

test('--fetch-missing with --ocsp and --crl: the fetched issuer is the one revocation is checked against', async () => {
  const r = await check('revoked', { fetchMissing: true, ocsp: true, crl: true }, true);
  assert.deepEqual(codes(r), ['MISSING_INTERMEDIATE', 'REVOKED', 'REVOKED']);
  assert.equal(r.aia!.completesPath, true);
  assert.equal(r.notes!.length, 0);
});

test('a fetch stopped by the signal: UNKNOWN, interrupted during the fetch, the chain still reported', async () => {
  const controller = new AbortController();
  const started = check('silent', { ocsp: true, fetchTimeoutMs: 10_000, signal: controller.signal });
  setTimeout(() => controller.abort(), 100);
  const r = await started;
  assert.deepEqual({ status: r.status, interrupted: r.interrupted, during: r.interruptedDuring }, { status: 'UNKNOWN', interrupted: true, during: 'fetch' });
  assert.equal(r.chain.length, 2);
  assert.match(r.revocation!.ocsp!.skipped ?? '', /interrupted while fetching/);
});

test('the binary: --ocsp --crl on a revoked bundle exits 2 and prints both sources; --json carries revocation; --help lists the options', async () => {
  const bundle = join(dir, 'revoked.pem');
  const ca = join(dir, 'root.pem');
  writeFileSync(bundle, leaf.revoked!.certPem + pki.intermediate.certPem);
  writeFileSync(ca, pki.root.certPem);
  const [text, json, help] = await Promise.all([
    runCli(['cert-check', '--file', bundle, '--ca', ca, '--no-system-ca', '--host', HOST, '--ocsp', '--crl']),
    runCli(['cert-check', '--file', bundle, '--ca', ca, '--no-system-ca', '--ocsp', '--json']),
    runCli(['cert-check', '--help']),
  ]);
  assert.equal(text.code, 2, text.stderr);
  assert.match(text.stdout, /^CERT CRITICAL - www\.example\.test: REVOKED/);
  assert.match(text.stdout, /^OCSP: REVOKED on \d{4}-\d\d-\d\d \(keyCompromise\) from http:\/\/127\.0\.0\.1:\d+\/ocsp, signed by the issuer$/m);
  assert.match(text.stdout, /^CRL: REVOKED on \d{4}-\d\d-\d\d \(keyCompromise\) \(http:\/\/127\.0\.0\.1:\d+\/intermediate\.crl, \d+ bytes, 2 revoked, signed by the issuer, next update /m);
  assert.equal(json.code, 2, json.stderr);
  const doc = JSON.parse(json.stdout) as CertCheckResult;
  assert.deepEqual({ ocsp: doc.revocation!.ocsp!.certStatus, crl: doc.revocation!.crl, notes: doc.notes }, { ocsp: 'revoked', crl: null, notes: [] });
  assert.equal(help.code, 0);
  for (const flag of ['--ocsp', '--crl', '--fetch-missing']) assert.match(help.stdout, new RegExp(`^\\s+${flag}\\s`, 'm'), flag);
});
