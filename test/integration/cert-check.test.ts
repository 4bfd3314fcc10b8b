import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTlsLab, type TlsLab } from '../../src/lab/tls/index.js';
import { runCli } from '../helpers/cli.js';

let lab: TlsLab;
let dir: string;
before(async () => {
  lab = await startTlsLab({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'netlab-cert-'));
});
after(async () => {
  await lab.close();
  rmSync(dir, { recursive: true, force: true });
});

const EXIT = { OK: 0, WARNING: 1, CRITICAL: 2 } as const;

test('every lab TLS case gives its status, exit code and exactly its problem codes', async () => {
  for (const c of lab.cases) {
    const r = await runCli(['cert-check', `${c.servername}:${c.port}`, '--connect-to', c.address, '--ca', lab.caFile, '--json']);
    const doc = JSON.parse(r.stdout);
    const codes = doc.problems.map((p: { code: string }) => p.code).sort();
    assert.deepEqual(codes, [...c.expectedCodes].sort(), `${c.name}: ${JSON.stringify(doc.problems)}`);
    assert.equal(doc.status, c.expectedStatus, c.name);
    assert.equal(r.code, EXIT[c.expectedStatus], c.name);
  }
});

test('the chain is reported in the order it was sent', async () => {
  for (const c of lab.cases) {
    const r = await runCli(['cert-check', `${c.servername}:${c.port}`, '--connect-to', c.address, '--ca', lab.caFile, '--json']);
    const doc = JSON.parse(r.stdout);
    const sent = (lab.bundles[c.name].match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((pem) => new X509Certificate(pem).fingerprint256);
    assert.deepEqual(doc.chain.map((x: { fingerprint256: string }) => x.fingerprint256), sent, c.name);
  }
});

test('--json has the contract fields', async () => {
  const good = lab.cases.find((c) => c.name === 'good')!;
  const r = await runCli(['cert-check', `${good.servername}:${good.port}`, '--connect-to', good.address, '--ca', lab.caFile, '--json']);
  assert.equal(r.code, 0);
  const doc = JSON.parse(r.stdout);
  for (const k of ['target', 'status', 'problems', 'trusted', 'hostnameMatch', 'tls', 'chain']) assert.ok(k in doc, k);
  assert.equal(doc.trusted, true);
  assert.equal(doc.hostnameMatch, true);
  assert.match(doc.tls.protocol, /^TLSv1\.[23]$/);
  assert.equal(typeof doc.tls.cipher, 'string');
  for (const k of ['subject', 'issuer', 'san', 'notBefore', 'notAfter', 'daysLeft', 'keyType', 'keyBits', 'signatureAlgorithm', 'fingerprint256']) {
    assert.ok(k in doc.chain[0], k);
  }
  assert.equal(typeof doc.chain[0].daysLeft, 'number');
});

test('text output: the verdict line first, then the chain and each problem with a fix', async () => {
  const good = lab.cases.find((c) => c.name === 'good')!;
  const ok = await runCli(['cert-check', `${good.servername}:${good.port}`, '--connect-to', good.address, '--ca', lab.caFile]);
  assert.equal(ok.code, 0);
  assert.match(ok.stdout, /^CERT OK - www\.example\.test expires in \d+ days\n/);
  const bad = lab.cases.find((c) => c.name === 'expired')!;
  const r = await runCli(['cert-check', `${bad.servername}:${bad.port}`, '--connect-to', bad.address, '--ca', lab.caFile]);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /^CERT CRITICAL - www\.example\.test: EXPIRED/);
  assert.match(r.stdout, /CRITICAL EXPIRED: the leaf .* expired \d+ days? ago/);
  assert.match(r.stdout, /fix: Renew the certificate/);
});

test('without --ca the lab chain is untrusted against the system roots', async () => {
  const good = lab.cases.find((c) => c.name === 'good')!;
  const r = await runCli(['cert-check', `${good.servername}:${good.port}`, '--connect-to', good.address, '--json']);
  assert.equal(r.code, 2);
  const doc = JSON.parse(r.stdout);
  assert.ok(doc.problems.some((p: { code: string }) => p.code === 'UNTRUSTED_ROOT'));
  assert.equal(doc.hostnameMatch, true, 'the name is still checked when the chain is bad');
});

test('--warn-percent / --crit-percent judge the share of the lifetime left', async () => {
  const good = lab.cases.find((c) => c.name === 'good')!;
  const r = await runCli(['cert-check', `${good.servername}:${good.port}`, '--connect-to', good.address, '--ca', lab.caFile, '--warn-percent', '99.9', '--json']);
  assert.equal(r.code, 1);
  assert.deepEqual(JSON.parse(r.stdout).problems.map((p: { code: string }) => p.code), ['EXPIRES_SOON']);
});

test('--file checks a bundle offline with the same codes', async () => {
  for (const c of lab.cases) {
    const file = join(dir, `${c.name}.pem`);
    writeFileSync(file, lab.bundles[c.name]);
    const r = await runCli(['cert-check', '--file', file, '--host', c.servername, '--ca', lab.caFile, '--json']);
    const doc = JSON.parse(r.stdout);
    const codes = doc.problems.map((p: { code: string }) => p.code).sort();
    // a file holds no OCSP staple: revocation is only seen on the wire
    assert.deepEqual(codes, c.expectedCodes.filter((x) => x !== 'REVOKED').sort(), `--file ${c.name}`);
    assert.equal(doc.mode, 'file');
    assert.equal(doc.tls, null);
  }
});

test('--file with a lone self-signed CA:TRUE certificate (as openssl req -x509 makes) checks it as the leaf', async () => {
  const file = join(dir, 'lone-root.pem');
  writeFileSync(file, lab.rootPem);
  const r = await runCli(['cert-check', '--file', file, '--host', 'www.example.test', '--json']);
  assert.equal(r.code, 2);
  const codes = JSON.parse(r.stdout).problems.map((p: { code: string }) => p.code).sort();
  assert.deepEqual(codes, ['HOSTNAME_MISMATCH', 'SELF_SIGNED']);
});

test('bad input: empty, non-PEM and leafless bundles, unreadable --ca are exit 3 with one line', async () => {
  const empty = join(dir, 'empty.pem');
  writeFileSync(empty, '');
  const text = join(dir, 'text.pem');
  writeFileSync(text, 'hello\n');
  const broken = join(dir, 'broken.pem');
  writeFileSync(broken, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  const cas = join(dir, 'cas.pem');
  writeFileSync(cas, lab.rootPem + lab.intermediatePem);
  for (const [args, re] of [
    [['--file', empty], /holds no PEM certificate/],
    [['--file', text], /holds no PEM certificate/],
    [['--file', broken], /certificate 1 is not a valid X\.509 certificate/],
    [['--file', cas], /has no leaf: all 2 certificates are CA certificates/],
    [['--file', join(dir, 'missing.pem')], /no such file/],
    [['www.example.test', '--ca', join(dir, 'missing.pem')], /cannot read CA file/],
    [[], /missing HOST\[:PORT\]/],
    [['x.test', '--warn-days', 'soon'], /--warn-days needs a number/],
  ] as Array<[string[], RegExp]>) {
    const r = await runCli(['cert-check', ...args]);
    assert.equal(r.code, 3, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});

test('a refused port is UNREACHABLE, exit 2', async () => {
  const r = await runCli(['cert-check', 'www.example.test:9', '--connect-to', '127.54.0.250', '--json']);
  assert.equal(r.code, 2);
  assert.equal(JSON.parse(r.stdout).problems[0].code, 'UNREACHABLE');
});

test('a plain-HTTP port is HANDSHAKE_FAILED, exit 2', async () => {
  const server = http.createServer((_req, res) => res.end('plain'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (server.address() as net.AddressInfo).port;
    const r = await runCli(['cert-check', `www.example.test:${port}`, '--connect-to', '127.0.0.1', '--timeout', '5', '--json']);
    assert.equal(r.code, 2);
    const p = JSON.parse(r.stdout).problems[0];
    assert.equal(p.code, 'HANDSHAKE_FAILED');
  } finally {
    server.close();
  }
});

test('a silent port times out the handshake, exit 2, bounded by --timeout', async () => {
  const server = net.createServer(() => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (server.address() as net.AddressInfo).port;
    const r = await runCli(['cert-check', `www.example.test:${port}`, '--connect-to', '127.0.0.1', '--timeout', '1', '--json']);
    assert.equal(r.code, 2);
    assert.match(JSON.parse(r.stdout).problems[0].message, /timed out after 1000 ms/);
  } finally {
    server.close();
  }
});

test('a stapled OCSP response is read: good is OK and shown, revoked is CRITICAL REVOKED with its date and reason', async () => {
  const run = (name: string, json: boolean) => {
    const c = lab.cases.find((x) => x.name === name)!;
    return runCli(['cert-check', `${c.servername}:${c.port}`, '--connect-to', c.address, '--ca', lab.caFile, ...(json ? ['--json'] : [])]);
  };
  const good = JSON.parse((await run('ocsp-good', true)).stdout);
  assert.equal(good.status, 'OK');
  assert.equal(good.tls.ocspStapled, true);
  assert.equal(good.tls.ocsp.certStatus, 'good');
  assert.equal(good.tls.ocsp.signedBy, 'the issuer');
  assert.ok(Date.parse(good.tls.ocsp.nextUpdate) > Date.now());
  assert.match((await run('ocsp-good', false)).stdout, /OCSP staple: good \(signed by the issuer, next update \d{4}-\d\d-\d\d\)/);
  const revoked = JSON.parse((await run('ocsp-revoked', true)).stdout);
  assert.equal(revoked.tls.ocsp.certStatus, 'revoked');
  assert.equal(revoked.tls.ocsp.revocationReason, 'keyCompromise');
  assert.ok(Math.abs(Date.parse(revoked.tls.ocsp.revokedAt) - (lab.issuedAt.getTime() - 2 * 86_400_000)) < 2000);
  const text = await run('ocsp-revoked', false);
  assert.equal(text.code, 2);
  assert.match(text.stdout, /^CERT CRITICAL - www\.example\.test: REVOKED/);
  assert.match(text.stdout, /CRITICAL REVOKED: the stapled OCSP response, signed by the issuer, says the certificate was revoked on \d{4}-\d\d-\d\d, reason keyCompromise/);
  // a server that staples nothing says so
  const plain = JSON.parse((await run('good', true)).stdout);
  assert.equal(plain.tls.ocspStapled, false);
  assert.equal(plain.tls.ocsp, null);
});

test('a staple that cannot be relied on is a WARNING BAD_OCSP_STAPLE saying why', async () => {
  const { LabTlsServer } = await import('../../src/lab/tls/server.js');
  const { issueLeaf, issueOcspResponse } = await import('../../src/lab/tls/ca.js');
  const pki = lab.pki;
  const now = Date.now();
  const validity = { notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 90 * 86_400_000) };
  const leaf = await issueLeaf(pki.intermediate, { ...validity, dnsNames: ['www.example.test'] });
  const other = await issueLeaf(pki.intermediate, { ...validity, dnsNames: ['www.example.test'] });
  const fresh = { thisUpdate: new Date(now - 3_600_000), nextUpdate: new Date(now + 86_400_000) };
  const cases: Array<[string, Buffer, RegExp]> = [
    ['about another certificate', issueOcspResponse(pki.intermediate, other, { status: 'good', ...fresh }), /about another certificate/],
    ['signed by another CA', issueOcspResponse(pki.untrustedIntermediate, leaf, { status: 'good', ...fresh }), /about another certificate|signed by neither/],
    ['out of date', issueOcspResponse(pki.intermediate, leaf, { status: 'good', thisUpdate: new Date(now - 9 * 86_400_000), nextUpdate: new Date(now - 2 * 86_400_000) }), /out of date/],
    ['garbage', Buffer.from('this is not an OCSP response'), /malformed OCSP response/],
  ];
  for (const [what, staple, re] of cases) {
    const server = new LabTlsServer({ address: '127.54.0.1', port: 0, certChainPem: leaf.certPem + pki.intermediate.certPem, keyPem: leaf.keyPem, body: what, ocspResponse: staple });
    await server.start();
    try {
      const r = await runCli(['cert-check', `www.example.test:${server.port}`, '--connect-to', '127.54.0.1', '--ca', lab.caFile, '--json']);
      const doc = JSON.parse(r.stdout);
      assert.equal(r.code, 1, `${what}: ${r.stdout}`);
      assert.deepEqual(doc.problems.map((p: { code: string }) => p.code), ['BAD_OCSP_STAPLE'], what);
      assert.match(doc.problems[0].message, re, what);
      assert.equal(doc.tls.ocsp.certStatus, null, what);
    } finally {
      await server.close();
    }
  }
});

test('an IPv6 server: connectedTo and messages put the address in brackets', async () => {
  const { LabTlsServer } = await import('../../src/lab/tls/server.js');
  const { issueLeaf } = await import('../../src/lab/tls/ca.js');
  const now = Date.now();
  const leaf = await issueLeaf(lab.pki.intermediate, { notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 90 * 86_400_000), dnsNames: ['www.example.test'] });
  const server = new LabTlsServer({ address: '::1', port: 0, certChainPem: leaf.certPem + lab.pki.intermediate.certPem, keyPem: leaf.keyPem, body: 'v6' });
  await server.start();
  try {
    const r = await runCli(['cert-check', `www.example.test:${server.port}`, '--connect-to', '::1', '--ca', lab.caFile, '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(JSON.parse(r.stdout).connectedTo, `[::1]:${server.port}`);
  } finally {
    await server.close();
  }
  // and the unreachable message names [::1]:PORT, not ::1:PORT
  const refused = await runCli(['cert-check', `[::1]:${server.port}`, '--json']);
  assert.equal(refused.code, 2);
  assert.match(JSON.parse(refused.stdout).problems[0].message, new RegExp(`cannot connect to \\[::1\\]:${server.port}`));
});
