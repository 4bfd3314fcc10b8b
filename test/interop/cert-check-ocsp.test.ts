/**
 * issue 11: netlab's revocation checks against OpenSSL, both ways.
 *
 *   openssl ocsp as a CLIENT  -> the lab's OCSP responder (the PKI repository of the TLS lab):
 *                                it must verify the lab's responses (issuer-signed and
 *                                delegated, with its nonce) and read good / revoked as netlab
 *                                does; a signer without id-kp-OCSPSigning fails for both.
 *   openssl ocsp as a RESPONDER (-index -port -rsigner -rkey -CA) <- netlab --ocsp asks it:
 *                                good and revoked (with reason), through a delegated signer.
 *   openssl crl -verify, openssl verify -crl_check
 *                             -> the lab's CRL: the signature verifies, the revoked leaf is
 *                                error 23 and the good one OK, as netlab --crl says.
 *
 * `openssl ocsp -port` binds every address of the machine (OpenSSL 3.0 takes a port number
 * only); the test connects to it on 127.0.0.1 only, and it answers a bounded number of
 * requests (-nrequest) and is killed by its PID after the test. Needs `openssl` (Debian:
 * openssl); skipped with a message without it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { startTlsLab, type TlsLab } from '../../src/lab/tls/index.js';
import { DAY_MS, issueLeaf, issueOcspSigner, type LabCert } from '../../src/lab/tls/ca.js';
import { checkCertificate } from '../../src/protocol/tls/check.js';
import { loadTrustStore, type TrustStore } from '../../src/protocol/tls/trust.js';
import { httpFetch } from '../../src/protocol/tls/fetch.js';
import { freePorts, run, startDaemon, which } from '../helpers/tools.js';

const OPENSSL = which('openssl');
const SKIP = OPENSSL ? false : 'openssl is not installed (apt-get install openssl)';
const PEM_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g;

let lab: TlsLab | undefined;
let dir = '';
let trust: TrustStore;
const daemons: ChildProcess[] = [];

/** Write a file in the test's directory, return its path. */
function file(name: string, text: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** The leaf (first) of a lab case's bundle, written to a file. */
function leafFile(name: 'revocation-good' | 'revocation-revoked'): string {
  return file(`${name}.pem`, lab!.bundles[name].match(PEM_RE)![0]!);
}

before(async () => {
  if (SKIP) return;
  dir = mkdtempSync(join(tmpdir(), 'netlab-ocsp-interop-'));
  lab = await startTlsLab({ port: 0 });
  trust = loadTrustStore({ caPems: [lab.rootPem], systemRoots: false });
  file('root.pem', lab.rootPem);
  file('inter.pem', lab.intermediatePem);
});
after(async () => {
  for (const d of daemons) d.kill('SIGKILL');
  await lab?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `openssl ocsp` as a client of `url` about a leaf file; its stdout and stderr together. */
async function opensslAsk(leaf: string, url: string): Promise<{ code: number | null; out: string }> {
  const r = await run(OPENSSL!, ['ocsp', '-issuer', join(dir, 'inter.pem'), '-cert', leaf, '-url', url, '-CAfile', join(dir, 'root.pem'), '-timeout', '5'], 15_000);
  return { code: r.code, out: `${r.stdout}${r.stderr}` };
}

test('openssl ocsp (client) verifies the lab responder\'s answers and reads good and revoked, as netlab --ocsp does', { skip: SKIP }, async () => {
  const url = lab!.repository.urls.ocsp;
  const good = await opensslAsk(leafFile('revocation-good'), url);
  assert.equal(good.code, 0, good.out);
  assert.match(good.out, /Response verify OK/);
  assert.match(good.out, /revocation-good\.pem: good/);
  assert.doesNotMatch(good.out, /WARNING: no nonce in response|nonce verify error/i, 'the nonce is echoed');
  const revoked = await opensslAsk(leafFile('revocation-revoked'), url);
  assert.equal(revoked.code, 0, revoked.out);
  assert.match(revoked.out, /Response verify OK/);
  assert.match(revoked.out, /revocation-revoked\.pem: revoked/);
  assert.match(revoked.out, /Reason: keyCompromise/);
  // and netlab on the live lab servers
  for (const [name, status, certStatus] of [['revocation-good', 'OK', 'good'], ['revocation-revoked', 'CRITICAL', 'revoked']] as const) {
    const c = lab!.cases.find((x) => x.name === name)!;
    const r = await checkCertificate({ server: { host: c.servername, port: c.port }, connectTo: c.address, trust, ocsp: true });
    assert.equal(r.status, status, `${name}: ${JSON.stringify(r.problems)}`);
    assert.equal(r.revocation!.ocsp!.certStatus, certStatus, name);
  }
});

test('openssl ocsp (client) accepts the delegated responder and refuses the signer without id-kp-OCSPSigning, as netlab does', { skip: SKIP }, async () => {
  const base = lab!.repository.urls.ocsp;
  const delegated = await opensslAsk(leafFile('revocation-good'), `${base}/delegated`);
  assert.equal(delegated.code, 0, delegated.out);
  assert.match(delegated.out, /Response verify OK/);
  assert.match(delegated.out, /: good/);
  const noEku = await opensslAsk(leafFile('revocation-good'), `${base}/no-eku`);
  assert.doesNotMatch(noEku.out, /Response verify OK/, noEku.out);
  assert.match(noEku.out, /Response Verify Failure/);
});

test('netlab --ocsp asks openssl ocsp (responder: -index -port -rsigner -CA): good, and revoked with its reason', { skip: SKIP }, async () => {
  const pki = lab!.pki;
  const [port] = await freePorts(1);
  const t = Date.now();
  const validity = { notBefore: new Date(t - DAY_MS), notAfter: new Date(t + 90 * DAY_MS) };
  const url = `http://127.0.0.1:${port}`;
  const [good, revoked, signer] = await Promise.all([
    issueLeaf(pki.intermediate, { ...validity, dnsNames: ['www.example.test'], ocspUrl: url }),
    issueLeaf(pki.intermediate, { ...validity, dnsNames: ['www.example.test'], ocspUrl: url }),
    issueOcspSigner(pki.intermediate, 'openssl OCSP responder', true, validity),
  ]);
  // openssl ca's index.txt: status, expiry (YYMMDDHHMMSSZ), revocation time[,reason], serial, file, subject
  const when = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  const serial = (c: LabCert) => new X509Certificate(c.certPem).serialNumber;
  const revokedAt = new Date(Math.floor((t - 2 * DAY_MS) / 1000) * 1000);
  file('index.txt', [
    `V\t${when(validity.notAfter)}\t\t${serial(good)}\tunknown\t/CN=www.example.test`,
    `R\t${when(validity.notAfter)}\t${when(revokedAt)},keyCompromise\t${serial(revoked)}\tunknown\t/CN=www.example.test`,
    '',
  ].join('\n'));
  const daemon = startDaemon(OPENSSL!, ['ocsp', '-index', join(dir, 'index.txt'), '-port', String(port), '-rsigner', file('rsigner.pem', signer.certPem),
    '-rkey', file('rkey.pem', signer.keyPem), '-CA', join(dir, 'inter.pem'), '-ndays', '1', '-nrequest', '4']);
  daemons.push(daemon);
  let stderr = '';
  daemon.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // bounded wait for its "waiting for OCSP client connections" (100 tries of 50 ms); no probe
  // connection: the responder serves one connection at a time and a probe would count as a request
  for (let i = 0; i < 100 && !/waiting for OCSP client connections/.test(stderr); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(stderr, /waiting for OCSP client connections/, `openssl ocsp did not start: ${stderr}`);

  const ask = (leaf: LabCert) => checkCertificate({ bundle: leaf.certPem + pki.intermediate.certPem, host: 'www.example.test', trust, ocsp: true, fetchTimeoutMs: 5000 });
  const g = await ask(good);
  assert.equal(g.status, 'OK', `${JSON.stringify(g.problems)}; openssl said: ${stderr}`);
  assert.deepEqual({ certStatus: g.revocation!.ocsp!.certStatus, signedBy: g.revocation!.ocsp!.signedBy, nonce: g.revocation!.ocsp!.nonce },
    { certStatus: 'good', signedBy: 'responder CN=openssl OCSP responder, O=netlab Lab', nonce: 'echoed' });
  const r = await ask(revoked);
  assert.equal(r.status, 'CRITICAL');
  assert.deepEqual(r.problems.map((p) => p.code), ['REVOKED']);
  assert.deepEqual({ at: r.revocation!.ocsp!.revokedAt, reason: r.revocation!.ocsp!.revocationReason }, { at: revokedAt.toISOString(), reason: 'keyCompromise' });
  // a serial the index does not list: openssl answers unknown, netlab says BAD_OCSP_RESPONSE
  const stranger = await issueLeaf(pki.intermediate, { ...validity, dnsNames: ['www.example.test'], ocspUrl: url });
  const u = await ask(stranger);
  assert.deepEqual(u.problems.map((p) => p.code), ['BAD_OCSP_RESPONSE']);
  assert.match(u.problems[0]!.message, /does not know this certificate \(status unknown\)/);
});

test('openssl crl -verify and openssl verify -crl_check agree with netlab --crl on the lab\'s CRL', { skip: SKIP }, async () => {
  const urls = lab!.repository.urls;
  const crl = (await httpFetch(urls.crl, { maxBytes: 1 << 20, timeoutMs: 5000 })).body;
  const crlFile = file('lab.crl', crl);
  const chain = file('chain.pem', lab!.intermediatePem + lab!.rootPem);
  const v = await run(OPENSSL!, ['crl', '-in', crlFile, '-inform', 'DER', '-CAfile', chain, '-noout', '-verify', '-text'], 15_000);
  assert.equal(v.code, 0, v.stderr);
  assert.match(`${v.stdout}${v.stderr}`, /verify OK/);
  // either side may print a leading zero (OpenSSL prints whole bytes: 0A1B...), so neither's zeros are required
  const revokedSerial = new X509Certificate(lab!.bundles['revocation-revoked'].match(PEM_RE)![0]!).serialNumber;
  assert.match(v.stdout, new RegExp(`Serial Number: 0*${revokedSerial.replace(/^0+/, '')}[\\s\\S]*?CRL Reason Code:\\s*\\n\\s*Key Compromise`, 'i'));
  const pemCrl = file('lab-crl.pem', `-----BEGIN X509 CRL-----\n${crl.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END X509 CRL-----\n`);
  for (const [name, ok] of [['revocation-good', true], ['revocation-revoked', false]] as const) {
    const o = await run(OPENSSL!, ['verify', '-crl_check', '-CRLfile', pemCrl, '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'inter.pem'), leafFile(name)], 15_000);
    const out = `${o.stdout}${o.stderr}`;
    if (ok) assert.match(out, /: OK$/m, `${name}: ${out}`);
    else assert.match(out, /error 23 at 0 depth lookup: certificate revoked/, `${name}: ${out}`);
    const c = lab!.cases.find((x) => x.name === name)!;
    const r = await checkCertificate({ server: { host: c.servername, port: c.port }, connectTo: c.address, trust, crl: true });
    assert.equal(r.revocation!.crl!.certStatus, ok ? 'good' : 'revoked', name);
    assert.deepEqual(r.problems.map((p) => p.code), ok ? [] : ['REVOKED'], name);
  }
});

// issue 11: asn1js refuses inputs of more than 10000 nodes, which a CRL of ~2000 entries has
test('a CRL made by openssl ca -gencrl with 20000 entries is read: the revoked leaf found with its reason, another leaf good', { skip: SKIP }, async () => {
  const { readCrl } = await import('../../src/protocol/tls/crl.js');
  const pki = lab!.pki;
  const t = Date.now();
  const validity = { notBefore: new Date(t - DAY_MS), notAfter: new Date(t + 90 * DAY_MS) };
  const [revoked, good] = await Promise.all([0, 1].map(() => issueLeaf(pki.intermediate, { ...validity, dnsNames: ['www.example.test'] })));
  const when = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  const exp = when(validity.notAfter);
  const rev = when(new Date(t - DAY_MS));
  const lines = Array.from({ length: 20_000 }, (_, i) => `R\t${exp}\t${rev},superseded\t${(0x70000000 + i).toString(16).toUpperCase()}\tunknown\t/CN=x${i}`);
  lines.push(`R\t${exp}\t${rev},keyCompromise\t${new X509Certificate(revoked!.certPem).serialNumber}\tunknown\t/CN=www.example.test`, '');
  const cadir = join(dir, 'ca');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(cadir, { recursive: true });
  writeFileSync(join(cadir, 'index.txt'), lines.join('\n'));
  writeFileSync(join(cadir, 'ca.cnf'), `[ ca ]\ndefault_ca = lab\n[ lab ]\ndatabase = ${join(cadir, 'index.txt')}\ndefault_md = sha256\ndefault_crl_days = 7\n`);
  writeFileSync(join(cadir, 'inter.key'), pki.intermediate.keyPem);
  const out = join(cadir, 'big.crl');
  const r = await run(OPENSSL!, ['ca', '-gencrl', '-batch', '-config', join(cadir, 'ca.cnf'), '-keyfile', join(cadir, 'inter.key'), '-cert', join(dir, 'inter.pem'), '-out', out], 30_000);
  assert.equal(r.code, 0, r.stderr);
  const { readFileSync } = await import('node:fs');
  const pem = readFileSync(out);
  const issuer = new X509Certificate(pki.intermediate.certPem);
  const bad = readCrl(pem, new X509Certificate(revoked!.certPem), issuer, new Date());
  assert.deepEqual({ status: bad.certStatus, reason: bad.revocationReason, entries: bad.entries, signedBy: bad.signedBy }, { status: 'revoked', reason: 'keyCompromise', entries: 20_001, signedBy: 'the issuer' }, bad.invalid);
  const ok = readCrl(pem, new X509Certificate(good!.certPem), issuer, new Date());
  assert.equal(ok.certStatus, 'good', ok.invalid);
});
