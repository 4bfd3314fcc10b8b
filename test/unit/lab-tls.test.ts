/**
 * The lab's TLS cases: every server sends exactly the chain its case promises (walked in the
 * order it arrives), the certificates have the promised dates, names, keys and signatures,
 * and openssl agrees on which chains verify against the lab root.
 */
import 'reflect-metadata';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import net from 'node:net';
import { X509Certificate, webcrypto } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as px509 from '@peculiar/x509';
import { startTlsLab, type TlsLab, type TlsCaseName, type TlsLabCase } from '../../src/lab/tls/index.js';
import { createRootCa, issueIntermediateCa, issueLeaf, DAY_MS } from '../../src/lab/tls/ca.js';
import { LabTlsServer, labHttpResponse } from '../../src/lab/tls/server.js';
import { LAB_TLS_CASES } from '../../src/lab/tls/cases.js';
import { run, which } from '../helpers/tools.js';
import { fetchPeerChain } from '../../src/protocol/tls/connect.js';
import { testKeySource } from '../helpers/test-keys.js';

px509.cryptoProvider.set(webcrypto as never);

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const WAIT_MS = 5000;

let lab: TlsLab;
let labClosed = false;
let startMs = 0;
before(async () => {
  const t = performance.now();
  lab = await startTlsLab({ port: 0, keySource: testKeySource() });
  startMs = performance.now() - t;
});
after(async () => {
  if (!labClosed) await lab.close();
});

interface Fetched {
  /** The peer's certificates in the order they were sent, leaf first. */
  certs: X509Certificate[];
  response: string;
}

/**
 * Handshake, take the chain, send one request and read the answer to its end.
 * The chain is walked once: in Node 20 getPeerX509Certificate() consumes the peer chain, and a
 * second call (or getPeerCertificate() afterwards) returns nothing.
 */
function fetchCase(c: TlsLabCase, request = 'GET / HTTP/1.1\r\nHost: www.example.test\r\n\r\n'): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: c.address, port: c.port, servername: c.servername, rejectUnauthorized: false, ciphers: 'DEFAULT:@SECLEVEL=0', minVersion: 'TLSv1' });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${c.name}: no complete answer in ${WAIT_MS} ms`));
    }, WAIT_MS);
    const certs: X509Certificate[] = [];
    let response = '';
    socket.once('secureConnect', () => {
      const seen = new Set<string>();
      for (let x = socket.getPeerX509Certificate(); x && !seen.has(x.fingerprint256) && certs.length < 10; x = x.issuerCertificate) {
        seen.add(x.fingerprint256);
        certs.push(x);
      }
      socket.write(request);
    });
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (response += d));
    socket.once('end', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ certs, response });
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
}

function cert(pem: string): X509Certificate {
  return new X509Certificate(pem);
}

function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  return child.checkIssued(parent) && child.verify(parent.publicKey);
}

function sigAlg(c: X509Certificate): string {
  const a = new px509.X509Certificate(c.raw).signatureAlgorithm as { name: string; hash?: { name: string } };
  return `${a.name}/${a.hash?.name ?? ''}`;
}

/** Offset of a date from the lab's issuing instant, in ms. */
function fromIssue(date: Date): number {
  return date.getTime() - lab.issuedAt.getTime();
}

/** X.509 times have whole seconds: equal within a second. */
function assertAbout(actualMs: number, expectedMs: number, what: string): void {
  assert.ok(Math.abs(actualMs - expectedMs) < 1500, `${what}: ${actualMs} ms, expected about ${expectedMs} ms`);
}

function validity(c: X509Certificate): { notBefore: Date; notAfter: Date } {
  const p = new px509.X509Certificate(c.raw);
  return { notBefore: p.notBefore, notAfter: p.notAfter };
}

function keyOf(c: X509Certificate): string {
  const d = c.publicKey.asymmetricKeyDetails ?? {};
  return c.publicKey.asymmetricKeyType === 'ec' ? `ec/${d.namedCurve}` : `${c.publicKey.asymmetricKeyType}/${d.modulusLength}`;
}

const ALL_NAMES = 'DNS:www.example.test, DNS:example.test';

/** What each case promises about the certificates it sends (the chain as sent is checked for all). */
const PROMISES: Partial<Record<TlsCaseName, (chain: X509Certificate[]) => void>> = {
  good: ([leaf, inter]) => {
    assert.equal(keyOf(leaf!), 'rsa/2048');
    assert.equal(sigAlg(leaf!), 'ECDSA/SHA-256');
    assert.equal(leaf!.subjectAltName, ALL_NAMES);
    assert.ok(leaf!.checkHost('www.example.test') && leaf!.checkHost('example.test'));
    assertAbout(fromIssue(validity(leaf!).notBefore), -DAY_MS, 'notBefore');
    assertAbout(fromIssue(validity(leaf!).notAfter), 90 * DAY_MS, 'notAfter');
    const bc = new px509.X509Certificate(inter!.raw).getExtension(px509.BasicConstraintsExtension);
    assert.equal(bc?.ca, true);
    assert.equal(bc?.pathLength, 0);
    assert.match(inter!.infoAccess ?? '', /CA Issuers - URI:http:\/\/127\.54\.0\.1\/lab-root\.crt/);
  },
  expired: ([leaf]) => {
    assertAbout(fromIssue(validity(leaf!).notAfter), -10 * DAY_MS, 'notAfter');
    assert.ok(validity(leaf!).notAfter.getTime() < Date.now());
  },
  'not-yet-valid': ([leaf]) => {
    assertAbout(fromIssue(validity(leaf!).notBefore), 10 * DAY_MS, 'notBefore');
  },
  'wrong-host': ([leaf]) => {
    assert.equal(leaf!.subjectAltName, 'DNS:other.example.test');
    assert.equal(leaf!.checkHost('www.example.test'), undefined);
    assert.equal(leaf!.checkHost('other.example.test'), 'other.example.test');
  },
  'self-signed': ([leaf]) => {
    assert.equal(leaf!.subject, leaf!.issuer);
    // checkIssued must see it as its own issuer, or a checker calls it MISSING_INTERMEDIATE.
    assert.ok(issuedBy(leaf!, leaf!));
    assert.equal(leaf!.ca, false);
    assert.equal(leaf!.subjectAltName, ALL_NAMES);
  },
  'missing-intermediate': ([leaf]) => {
    assert.ok(issuedBy(leaf!, cert(lab.intermediatePem)));
    assert.match(leaf!.infoAccess ?? '', /CA Issuers - URI:http:\/\/127\.54\.0\.1\/lab-intermediate\.crt/);
  },
  'wrong-order': ([leaf, second, third]) => {
    assert.equal(second!.fingerprint256, cert(lab.rootPem).fingerprint256);
    assert.equal(third!.fingerprint256, cert(lab.intermediatePem).fingerprint256);
    assert.ok(!leaf!.checkIssued(second!), 'the second certificate must not be the leaf issuer');
    assert.ok(issuedBy(leaf!, third!) && issuedBy(third!, second!));
  },
  'untrusted-root': ([leaf, inter, root]) => {
    assert.equal(root!.fingerprint256, cert(lab.untrustedRootPem).fingerprint256);
    assert.ok(issuedBy(leaf!, inter!) && issuedBy(inter!, root!) && issuedBy(root!, root!));
    assert.ok(!inter!.checkIssued(cert(lab.rootPem)));
    assert.match(root!.subject, /CN=netlab Untrusted Root/);
  },
  'expiring-10d': ([leaf]) => {
    const left = validity(leaf!).notAfter.getTime() - Date.now();
    assert.equal(Math.floor(left / DAY_MS), 10);
  },
  'expiring-3d': ([leaf]) => {
    const left = validity(leaf!).notAfter.getTime() - Date.now();
    assert.equal(Math.floor(left / DAY_MS), 3);
  },
  rsa1024: ([leaf]) => {
    assert.equal(keyOf(leaf!), 'rsa/1024');
  },
  sha1: ([leaf, inter]) => {
    assert.equal(sigAlg(leaf!), 'RSASSA-PKCS1-v1_5/SHA-1');
    assert.equal(inter!.fingerprint256, cert(lab.rsaIntermediatePem).fingerprint256);
    assert.equal(keyOf(inter!), 'rsa/2048');
    assert.ok(issuedBy(inter!, cert(lab.rootPem)));
  },
  ecdsa: ([leaf]) => {
    assert.equal(keyOf(leaf!), 'ec/prime256v1');
    assert.equal(sigAlg(leaf!), 'ECDSA/SHA-256');
  },
  // what they staple is checked below, with readOcspStaple and openssl ocsp
  'ocsp-good': ([leaf, inter]) => {
    assert.ok(issuedBy(leaf!, inter!));
    assert.equal(inter!.fingerprint256, cert(lab.intermediatePem).fingerprint256);
  },
  'ocsp-revoked': ([leaf, inter]) => {
    assert.ok(issuedBy(leaf!, inter!));
    assert.equal(inter!.fingerprint256, cert(lab.intermediatePem).fingerprint256);
  },
  // issue 11: good chains; what differs is how the server speaks TLS (checked below)
  'client-cert-tls12': ([leaf, inter]) => assert.ok(issuedBy(leaf!, inter!)),
  'client-cert-tls13': ([leaf, inter]) => assert.ok(issuedBy(leaf!, inter!)),
  tls10: ([leaf, inter]) => assert.ok(issuedBy(leaf!, inter!)),
  // issue 11: the leaves name the lab repository (what it serves: test/integration/cert-check-revocation.test.ts)
  'revocation-good': ([leaf, inter]) => {
    assert.ok(issuedBy(leaf!, inter!));
    assert.equal(leaf!.infoAccess, `OCSP - URI:${lab.repository.urls.ocsp}\nCA Issuers - URI:${lab.repository.urls.intermediate}`);
  },
  'revocation-revoked': ([leaf, inter]) => {
    assert.ok(issuedBy(leaf!, inter!));
    assert.match(leaf!.infoAccess ?? '', /^OCSP - URI:http:\/\/127\.54\.2\.1:\d+\/ocsp\n/);
  },
  'aia-missing-intermediate': ([leaf]) => {
    assert.ok(issuedBy(leaf!, cert(lab.intermediatePem)));
    assert.match(leaf!.infoAccess ?? '', new RegExp(`CA Issuers - URI:${lab.repository.urls.intermediate.replace(/\./g, '\\.')}`));
  },
};

/** The chain each case sends, by role: leaf, I (lab intermediate), R (lab root), ... */
const SHAPE: Partial<Record<TlsCaseName, number>> = {
  good: 2, expired: 2, 'not-yet-valid': 2, 'wrong-host': 2, 'self-signed': 1, 'missing-intermediate': 1, 'wrong-order': 3,
  'untrusted-root': 3, 'expiring-10d': 2, 'expiring-3d': 2, rsa1024: 2, sha1: 2, ecdsa: 2, 'ocsp-good': 2, 'ocsp-revoked': 2,
  'client-cert-tls12': 2, 'client-cert-tls13': 2, tls10: 2,
  'revocation-good': 2, 'revocation-revoked': 2, 'aia-missing-intermediate': 1,
};

test('lab start generates the PKI and starts every case on 127.54.0.x, one port (port 0)', (t) => {
  // 15 chain cases and issue 11's connection and revocation cases on 127.54.0.x; its 15 path cases (127.54.1.x) are checked in path.test.ts
  assert.equal(lab.cases.length, 15 + 3 + 3 + 15);
  assert.equal(lab.cases.length, LAB_TLS_CASES.length);
  assert.deepEqual(lab.cases.filter((c) => c.address.startsWith('127.54.0.')).map((c) => c.name).sort(), Object.keys(PROMISES).sort());
  assert.equal(new Set(lab.cases.map((c) => c.address)).size, lab.cases.length);
  for (const c of lab.cases) {
    assert.match(c.address, /^127\.54\.[01]\.\d+$/);
    assert.equal(c.port, lab.port);
    assert.equal(c.servername, 'www.example.test');
    assert.equal(c.expectedStatus === 'OK', c.expectedCodes.length === 0, c.name);
  }
  assert.ok(lab.port > 0);
  assert.equal(readFileSync(lab.caFile, 'utf8'), lab.rootPem);
  // Reported, not asserted: no timing thresholds in tests.
  t.diagnostic(`startTlsLab took ${startMs.toFixed(0)} ms`);
});

test('the lab CAs: roots are self-signed CAs with keyCertSign, the intermediate chains to the root', () => {
  const root = cert(lab.rootPem);
  const inter = cert(lab.intermediatePem);
  const untrusted = cert(lab.untrustedRootPem);
  assert.match(root.subject, /CN=netlab Lab Root CA/);
  assert.match(inter.subject, /CN=netlab Lab Intermediate CA/);
  assert.match(untrusted.subject, /CN=netlab Untrusted Root/);
  for (const ca of [root, untrusted]) {
    assert.ok(ca.ca && issuedBy(ca, ca));
    const ku = new px509.X509Certificate(ca.raw).getExtension(px509.KeyUsagesExtension);
    assert.ok(ku && (ku.usages & px509.KeyUsageFlags.keyCertSign) !== 0);
  }
  assert.ok(issuedBy(inter, root));
  assert.ok(!issuedBy(inter, untrusted));
});

for (const name of Object.keys(PROMISES) as TlsCaseName[]) {
  test(`${name}: the server sends exactly bundles.${name}, with the promised certificates, and answers HTTP`, async () => {
    const c = lab.cases.find((x) => x.name === name)!;
    if (c.server.requireClientCert) {
      // issue 11: no HTTP without a client certificate; the chain arrives, then the refusal
      const peer = await fetchPeerChain({ connectHost: c.address, port: c.port, servername: c.servername, timeoutMs: WAIT_MS });
      assert.deepEqual(peer.certs.map((x) => x.fingerprint256), splitPem(lab.bundles[name]).map((pem) => cert(pem).fingerprint256), 'chain as sent');
      assert.equal(peer.clientCertificate, 'required');
      assert.equal(peer.protocol, c.server.maxVersion === 'TLSv1.2' ? 'TLSv1.2' : 'TLSv1.3');
      assert.match(peer.clientCertificateRefusal ?? '', c.server.maxVersion === 'TLSv1.2' ? /TLS alert: handshake failure/ : /TLS alert: certificate required/);
      PROMISES[name]!(peer.certs);
      return;
    }
    const { certs, response } = await fetchCase(c);
    const expected = splitPem(lab.bundles[name]).map((pem) => cert(pem).fingerprint256);
    assert.equal(expected.length, SHAPE[name]);
    assert.deepEqual(certs.map((x) => x.fingerprint256), expected, 'chain as sent');

    const [leaf, issuer] = certs;
    assert.equal(leaf!.ca, false);
    assert.ok(leaf!.keyUsage?.includes(SERVER_AUTH), 'serverAuth EKU');
    if (name !== 'self-signed') {
      // AKI of the leaf = SKI of its issuer (the lab intermediate unless the case says otherwise).
      const issuerCert = issuer && leaf!.checkIssued(issuer) ? issuer : certs.find((x) => leaf!.checkIssued(x)) ?? cert(lab.intermediatePem);
      const aki = new px509.X509Certificate(leaf!.raw).getExtension(px509.AuthorityKeyIdentifierExtension)?.keyId;
      const ski = new px509.X509Certificate(issuerCert.raw).getExtension(px509.SubjectKeyIdentifierExtension)?.keyId;
      assert.ok(aki && aki === ski, 'AKI matches the issuer SKI');
      assert.ok(issuedBy(leaf!, issuerCert));
    }
    PROMISES[name]!(certs);

    const [head, body] = response.split('\r\n\r\n');
    assert.match(head!, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(head!, /\r\nConnection: close(\r\n|$)/);
    assert.equal(Number(/\r\nContent-Length: (\d+)/.exec(head!)?.[1]), Buffer.byteLength(body!));
    assert.match(body!, new RegExp(`case ${name}:`));
  });
}

test('a HEAD request gets the headers without a body', async () => {
  const good = lab.cases.find((c) => c.name === 'good')!;
  const { response } = await fetchCase(good, 'HEAD / HTTP/1.1\r\nHost: www.example.test\r\n\r\n');
  assert.match(response, /^HTTP\/1\.1 200 OK\r\n/);
  assert.ok(response.endsWith('\r\n\r\n'));
  assert.equal(labHttpResponse('HEAD', 'x'), labHttpResponse('GET', 'x').replace('x\n', ''));
});

const openssl = which('openssl');

/** openssl verify's verdict for each chain against the lab root, checking www.example.test. */
const OPENSSL_VERDICT: Partial<Record<TlsCaseName, RegExp>> = {
  good: /: OK$/m,
  expired: /error 10 at 0 depth lookup: certificate has expired/,
  'not-yet-valid': /error 9 at 0 depth lookup: certificate is not yet valid/,
  'wrong-host': /error 62 at 0 depth lookup: hostname mismatch/,
  'self-signed': /error 18 at 0 depth lookup: self.signed certificate/,
  'missing-intermediate': /error 20 at 0 depth lookup: unable to get local issuer certificate/,
  // openssl rebuilds the path from what it was given: the order does not matter to it.
  'wrong-order': /: OK$/m,
  'untrusted-root': /error 19 at 2 depth lookup: self.signed certificate in certificate chain/,
  'expiring-10d': /: OK$/m,
  'expiring-3d': /: OK$/m,
  // Without -auth_level, openssl verify checks neither key size nor digest.
  rsa1024: /: OK$/m,
  sha1: /: OK$/m,
  ecdsa: /: OK$/m,
  // openssl verify does not look at revocation (no -crl_check, and OCSP is not its business)
  'ocsp-good': /: OK$/m,
  'ocsp-revoked': /: OK$/m,
  'client-cert-tls12': /: OK$/m,
  'client-cert-tls13': /: OK$/m,
  tls10: /: OK$/m,
  'revocation-good': /: OK$/m,
  'revocation-revoked': /: OK$/m,
  'aia-missing-intermediate': /error 20 at 0 depth lookup: unable to get local issuer certificate/,
};

async function withChainFiles<T>(name: TlsCaseName, fn: (files: { root: string; leaf: string; untrusted?: string }) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'netlab-tls-test-'));
  try {
    const [leafPem, ...rest] = splitPem(lab.bundles[name]);
    const files = { root: path.join(dir, 'root.pem'), leaf: path.join(dir, 'leaf.pem'), untrusted: rest.length > 0 ? path.join(dir, 'untrusted.pem') : undefined };
    await writeFile(files.root, lab.rootPem);
    await writeFile(files.leaf, leafPem!);
    if (files.untrusted) await writeFile(files.untrusted, rest.join(''));
    return await fn(files);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function verifyArgs(files: { root: string; leaf: string; untrusted?: string }, extra: string[] = []): string[] {
  return ['verify', ...extra, '-CAfile', files.root, ...(files.untrusted ? ['-untrusted', files.untrusted] : []), '-purpose', 'sslserver', '-verify_hostname', 'www.example.test', files.leaf];
}

test('openssl verify -CAfile root -untrusted chain accepts the good chains and names each broken one', { skip: openssl ? false : 'openssl not installed' }, async () => {
  for (const name of Object.keys(OPENSSL_VERDICT) as TlsCaseName[]) {
    const r = await withChainFiles(name, (files) => run(openssl!, verifyArgs(files), 10_000));
    const out = r.stdout + r.stderr;
    assert.match(out, OPENSSL_VERDICT[name]!, `${name}: ${out}`);
    assert.equal(r.code === 0, OPENSSL_VERDICT[name]!.source === ': OK$', `${name}: exit ${r.code}`);
  }
});

test('openssl verify at -auth_level 2 (a common distribution default) rejects rsa1024 and sha1', { skip: openssl ? false : 'openssl not installed' }, async () => {
  const expected: Array<[TlsCaseName, RegExp]> = [
    ['rsa1024', /error 66 at 0 depth lookup: EE certificate key too weak/],
    ['sha1', /error 68 at 0 depth lookup: CA signature digest algorithm too weak/],
    ['good', /: OK$/m],
  ];
  for (const [name, verdict] of expected) {
    const r = await withChainFiles(name, (files) => run(openssl!, verifyArgs(files, ['-auth_level', '2']), 10_000));
    assert.match(r.stdout + r.stderr, verdict, name);
  }
});

test('openssl s_client receives every chain in the order of bundles[case]', { skip: openssl ? false : 'openssl not installed' }, async () => {
  for (const c of lab.cases) {
    const r = await run(openssl!, ['s_client', '-connect', `${c.address}:${c.port}`, '-servername', c.servername, '-showcerts', '-cipher', 'DEFAULT:@SECLEVEL=0'], 10_000);
    const sent = splitPem(r.stdout).map((pem) => cert(pem).fingerprint256);
    const expected = splitPem(lab.bundles[c.name]).map((pem) => cert(pem).fingerprint256);
    assert.deepEqual(sent, expected, c.name);
  }
});

test('a server closes a connection that stays idle after the handshake', async () => {
  const t = Date.now();
  const root = await createRootCa('idle test root', { notBefore: new Date(t - DAY_MS), notAfter: new Date(t + DAY_MS) });
  const inter = await issueIntermediateCa(root, 'idle test intermediate', { notBefore: new Date(t - DAY_MS), notAfter: new Date(t + DAY_MS), pathLength: 0 });
  const leaf = await issueLeaf(inter, { dnsNames: ['www.example.test'], notBefore: new Date(t - DAY_MS), notAfter: new Date(t + DAY_MS) });
  const server = new LabTlsServer({ address: '127.0.0.1', port: 0, certChainPem: leaf.certPem + inter.certPem, keyPem: leaf.keyPem, body: 'idle', idleTimeoutMs: 200 });
  await server.start();
  try {
    const closedAfterMs = await new Promise<number>((resolve, reject) => {
      const started = Date.now();
      const socket = tls.connect({ host: '127.0.0.1', port: server.port, servername: 'www.example.test', rejectUnauthorized: false });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('the idle connection was not closed within 5 s'));
      }, WAIT_MS);
      socket.on('error', () => undefined);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve(Date.now() - started);
      });
    });
    assert.ok(closedAfterMs >= 150, `closed after ${closedAfterMs} ms, before the idle timeout`);
  } finally {
    await server.close();
  }
});

test('a fixed port that is taken fails at once (EADDRINUSE) and leaves the running lab untouched', async () => {
  // the pooled keys (test/helpers/test-keys.ts): the lab makes its PKI before it binds, and fresh RSA keys cost ~0.5 s of CPU
  await assert.rejects(startTlsLab({ port: lab.port, keySource: testKeySource() }), (e: NodeJS.ErrnoException) => e.code === 'EADDRINUSE');
  const good = lab.cases.find((c) => c.name === 'good')!;
  const { certs } = await fetchCase(good);
  assert.equal(certs.length, 2);
});

test('close() stops every server and removes the CA file', async () => {
  await lab.close();
  labClosed = true;
  assert.equal(existsSync(lab.caFile), false);
  for (const c of lab.cases) {
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: c.address, port: c.port });
      const timer = setTimeout(() => {
        s.destroy();
        resolve(false);
      }, WAIT_MS);
      s.once('connect', () => {
        clearTimeout(timer);
        s.destroy();
        resolve(false);
      });
      s.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        resolve(e.code === 'ECONNREFUSED');
      });
    });
    assert.ok(refused, `${c.name} still accepts connections`);
  }
});
