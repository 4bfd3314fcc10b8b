/**
 * cert-check where its logic is: checkCertificate (src/protocol/tls/check.ts) in process against
 * the lab's TLS cases (started once), the command's own part (reading its files, bounded) in
 * process through runCertCheck, and a few spawns of the real binary for the exit codes, stdout
 * and stderr.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import { mkdtempSync, writeFileSync, rmSync, openSync, closeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTlsLab, type TlsLab, type TlsLabCase } from '../../src/lab/tls/index.js';
import { LabTlsServer } from '../../src/lab/tls/server.js';
import { issueLeaf, issueOcspResponse } from '../../src/lab/tls/ca.js';
import { checkCertificate, type CertCheckResult, type ServerCertCheckOptions } from '../../src/protocol/tls/check.js';
import { loadTrustStore, type TrustStore } from '../../src/protocol/tls/trust.js';
import { NetlabError } from '../../src/errors.js';
import { parseArgv } from '../../src/commands/command.js';
import { command } from '../../src/commands/cert-check/index.js';
import { readBundleFile, runCertCheck } from '../../src/commands/cert-check/run.js';
import { renderCertText } from '../../src/commands/cert-check/render.js';
import { startHostileServers, modes } from '../helpers/hostile-tcp.js';
import { makeLadder, type Ladder } from '../helpers/long-chain.js';
import { runCli } from '../helpers/cli.js';
import { testKeySource } from '../helpers/test-keys.js';

let lab: TlsLab;
let dir: string;
/** The system roots plus the lab root, as `--ca lab.caFile` gives: loaded once, reused by every check. */
let labTrust: TrustStore;
/** One ladder of 101 intermediates for every long-chain test (issuing it is the slow part). */
let ladder: Ladder;

before(async () => {
  [lab, ladder] = await Promise.all([startTlsLab({ port: 0, keySource: testKeySource() }), makeLadder(101)]);
  dir = mkdtempSync(join(tmpdir(), 'netlab-cert-'));
  labTrust = loadTrustStore({ caPems: [{ pem: lab.rootPem, source: lab.caFile }] });
});
after(async () => {
  await lab.close();
  rmSync(dir, { recursive: true, force: true });
});

const codes = (r: { problems: Array<{ code: string }> }) => r.problems.map((p) => p.code).sort();
const labCase = (name: string) => lab.cases.find((c) => c.name === name)!;
const fingerprints = (pem: string) => (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new X509Certificate(p).fingerprint256);
const checkCase = (c: TlsLabCase, more: Partial<ServerCertCheckOptions> = {}) =>
  checkCertificate({ server: { host: c.servername, port: c.port }, connectTo: c.address, trust: labTrust, ...more });

/** The INPUT (or USAGE) error a call throws, with its message. */
async function rejects(work: () => unknown, code: string, re: RegExp): Promise<void> {
  await assert.rejects(async () => work(), (e: unknown) => {
    assert.ok(e instanceof NetlabError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    return true;
  });
}

/** A listener on 127.0.0.1 (an HTTP server, a TLS server), closed after `work`. */
async function withHttp<T>(work: (port: number) => Promise<T>): Promise<T> {
  const server = http.createServer((_req, res) => res.end('plain'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    return await work((server.address() as net.AddressInfo).port);
  } finally {
    server.close();
  }
}

async function withTls<T>(options: ConstructorParameters<typeof LabTlsServer>[0], work: (port: number) => Promise<T>): Promise<T> {
  const server = new LabTlsServer(options);
  await server.start();
  try {
    return await work(server.port);
  } finally {
    await server.close();
  }
}

/** A fresh leaf of the lab intermediate for www.example.test, valid 90 days. */
async function freshLeaf() {
  const now = Date.now();
  return issueLeaf(lab.pki.intermediate, { notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 90 * 86_400_000), dnsNames: ['www.example.test'] });
}

test('every lab TLS case: its status, exactly its problem codes, each with a fix and the subject of its certificate, and the chain in the order sent', async () => {
  assert.ok(lab.cases.length >= 15);
  for (const c of lab.cases) {
    const r = await checkCase(c);
    assert.deepEqual(codes(r), [...c.expectedCodes].sort(), `${c.name}: ${JSON.stringify(r.problems)}`);
    assert.deepEqual(r.notes.map((n) => n.code).sort(), [...c.expectedNotes].sort(), `${c.name}: notes ${JSON.stringify(r.notes)}`);
    assert.equal(r.status, c.expectedStatus, c.name);
    assert.equal(r.mode, 'network');
    assert.deepEqual(r.chain.map((x) => x.fingerprint256), fingerprints(lab.bundles[c.name]), c.name);
    const subjects = new Set([...r.chain.map((x) => x.subject), ...(r.anchor ? [r.anchor.subject] : [])]);
    for (const p of r.problems) {
      assert.ok(p.fix.length > 10, `${c.name} ${p.code}: a fix`);
      assert.doesNotMatch(`${p.message} ${p.fix}`, /--[a-z]/, `${c.name} ${p.code}: no command-line flag in the library's words`);
      // the order and the connection (issue 11: OLD_TLS_VERSION) are about the server, not one certificate
      if (p.code !== 'CHAIN_ORDER' && p.code !== 'OLD_TLS_VERSION') assert.ok(p.subject !== undefined && subjects.has(p.subject), `${c.name} ${p.code}: subject ${p.subject}`);
    }
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r, `${c.name}: plain JSON-able data`);
  }
});

test('a good server: the contract fields, trusted to the lab root, TLS version and cipher, no staple', async () => {
  const r = await checkCase(labCase('good'));
  assert.deepEqual({ status: r.status, trusted: r.trusted, hostnameMatch: r.hostnameMatch, problems: r.problems }, { status: 'OK', trusted: true, hostnameMatch: true, problems: [] });
  assert.equal(r.target, `www.example.test:${lab.port}`);
  assert.equal(r.connectedTo, `127.54.0.1:${lab.port}`);
  assert.equal(r.servername, 'www.example.test');
  assert.match(r.tls!.protocol, /^TLSv1\.[23]$/);
  assert.equal(typeof r.tls!.cipher, 'string');
  assert.deepEqual({ stapled: r.tls!.ocspStapled, ocsp: r.tls!.ocsp }, { stapled: false, ocsp: null });
  assert.equal(r.anchor?.subject, new X509Certificate(lab.rootPem).subject.split('\n').join(', '));
  assert.ok(r.trustStore.sources.includes(lab.caFile));
  assert.equal(r.daysLeft, r.chain[0]!.daysLeft);
});

test('a bundle gives the same codes as its server (but REVOKED, which only a staple tells, and OLD_TLS_VERSION, which only a handshake tells), as PEM text or as certificates', async () => {
  for (const c of lab.cases) {
    const r = await checkCertificate({ bundle: lab.bundles[c.name], source: `${c.name}.pem`, host: c.servername, trust: labTrust });
    assert.deepEqual(codes(r), c.expectedCodes.filter((x) => x !== 'REVOKED' && x !== 'OLD_TLS_VERSION').sort(), `bundle ${c.name}`);
    assert.deepEqual({ mode: r.mode, target: r.target, tls: r.tls, connectedTo: r.connectedTo }, { mode: 'file', target: `${c.name}.pem`, tls: null, connectedTo: null });
  }
  const parsed = fingerprints(lab.bundles.expired).length;
  const certs = (lab.bundles.expired.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new X509Certificate(p));
  const r = await checkCertificate({ bundle: certs, trust: labTrust });
  assert.equal(r.chain.length, parsed);
  assert.deepEqual(codes(r), ['EXPIRED']);
  assert.equal(r.hostnameMatch, null, 'no name checked without host');
  assert.equal(r.target, 'the bundle');
});

test('a lone self-signed CA:TRUE certificate (as openssl req -x509 makes) is checked as the leaf', async () => {
  const r = await checkCertificate({ bundle: lab.rootPem, host: 'www.example.test' });
  assert.equal(r.status, 'CRITICAL');
  assert.deepEqual(codes(r), ['HOSTNAME_MISMATCH', 'SELF_SIGNED']);
});

test('without the lab root (the system roots only) the lab chain is untrusted, and the name is still checked', async () => {
  const r = await checkCase(labCase('good'), { trust: {} });
  assert.equal(r.status, 'CRITICAL');
  assert.deepEqual(codes(r), ['UNTRUSTED_ROOT']);
  assert.equal(r.hostnameMatch, true);
  // the library's fix names no flag; the command's text adds its advice
  assert.equal(r.problems[0]!.fix, 'Chain to a root that clients trust, or give clients this root.');
  assert.match(renderCertText(r), /fix: Chain to a root that clients trust, or give clients this root \(--ca FILE to check against it\)\.\n/);
});

test('trust given as CA texts: named in the sources, and a text without a certificate is an INPUT error', async () => {
  const r = await checkCase(labCase('good'), { trust: { ca: [lab.rootPem], systemRoots: false } });
  assert.deepEqual({ status: r.status, trustStore: r.trustStore }, { status: 'OK', trustStore: { sources: ['CA text 1'], anchors: 1 } });
  await rejects(() => checkCase(labCase('good'), { trust: { ca: ['# nothing here\n'] } }), 'INPUT', /^CA text 1 holds no PEM certificate$/);
  await rejects(() => checkCase(labCase('good'), { trust: { ca: [{ pem: '', source: 'ops-roots' }] } }), 'INPUT', /^CA 'ops-roots' holds no PEM certificate$/);
});

test('the policy: percent thresholds judge the share of the lifetime left; days thresholds; the clock', async () => {
  const good = labCase('good');
  const warn = await checkCase(good, { warnPercent: 99.9 });
  assert.deepEqual({ status: warn.status, codes: codes(warn) }, { status: 'WARNING', codes: ['EXPIRES_SOON'] });
  const crit = await checkCase(good, { critPercent: 99.9 });
  assert.deepEqual({ status: crit.status, codes: codes(crit) }, { status: 'CRITICAL', codes: ['EXPIRES_SOON'] });
  const days = await checkCase(good, { warnDays: 200, critDays: 100 });
  assert.equal(days.status, 'CRITICAL');
  const later = await checkCase(good, { now: new Date(Date.now() + 365 * 86_400_000) });
  assert.ok(codes(later).includes('EXPIRED'));
  await rejects(() => checkCase(good, { warnDays: -1 }), 'USAGE', /^warnDays must be a number from 0 to 3650, got -1$/);
});

test('bad bundles are INPUT errors naming the bundle: empty, not PEM, a block that does not parse, no leaf', async () => {
  for (const [bundle, re] of [
    ['', /^'b\.pem' holds no PEM certificate/],
    ['hello\n', /^'b\.pem' holds no PEM certificate/],
    ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', /^b\.pem: certificate 1 is not a valid X\.509 certificate/],
    [lab.rootPem + lab.intermediatePem, /^'b\.pem' has no leaf: all 2 certificates are CA certificates/],
  ] as Array<[string, RegExp]>) {
    await rejects(() => checkCertificate({ bundle, source: 'b.pem' }), 'INPUT', re);
  }
  await rejects(() => checkCertificate({ bundle: '' }), 'INPUT', /^the bundle holds no PEM certificate/);
});

test('the command reads its files bounded: missing, /dev/zero, a FIFO nobody writes to, one that stalls, 5 MB of BEGIN lines, a --ca without a certificate', async () => {
  const options = (argv: string[]) => parseArgv(command, argv);
  const begins = join(dir, 'begins.pem');
  // issue 9.9: the PEM scan was quadratic: 5 MB of BEGIN lines without an END took 72 s, through --file and --ca alike
  writeFileSync(begins, '-----BEGIN CERTIFICATE-----\n'.repeat(Math.ceil(5_000_000 / 28)));
  const noCert = join(dir, 'no-cert.pem');
  writeFileSync(noCert, '# a CA file with a comment and no certificate\n');
  const fifo = join(dir, 'chain.fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
  const servers = await startHostileServers({ silent: modes.silent() });
  const target = `www.example.test:${servers.of.silent.port}`;
  try {
    for (const [argv, re] of [
      [['--file', join(dir, 'missing.pem')], /^cannot read '.*missing\.pem': no such file$/],
      [['--file', dir], /^cannot read '.*': is a directory$/],
      // issue 9.8: --ca /dev/zero grew to 16 GB and aborted (std::bad_alloc), --file /dev/zero stopped at "Invalid string length"
      [['--file', '/dev/zero'], /^cannot read '\/dev\/zero': larger than 16 MiB \(netlab's limit for this file\)$/],
      [[target, '--connect-to', '127.0.0.1', '--ca', '/dev/zero'], /^cannot read CA file '\/dev\/zero': larger than 16 MiB/],
      [['--file', fifo], /^'.*chain\.fifo' holds no PEM certificate/],
      [['--file', begins], /^'.*begins\.pem' holds no PEM certificate/],
      [[target, '--connect-to', '127.0.0.1', '--ca', begins], /^CA file '.*begins\.pem' holds no PEM certificate$/],
      // issue 9.11: a --ca file with no certificate must be an error before connecting
      [[target, '--connect-to', '127.0.0.1', '--ca', noCert], /^CA file '.*no-cert\.pem' holds no PEM certificate$/],
      [[target, '--connect-to', '127.0.0.1', '--ca', join(dir, 'missing.pem')], /^cannot read CA file '.*missing\.pem': no such file$/],
    ] as Array<[string[], RegExp]>) {
      await rejects(async () => runCertCheck(await options(argv)), 'INPUT', re);
    }
    assert.equal(servers.of.silent.tracker.connections, 0, 'a bad --ca stops the check before any connection');
  } finally {
    await servers.close();
  }
  // a writer that never writes (this process holds it open): the read gives up after its idle bound (10 s for the command)
  const fd = openSync(fifo, 'r+');
  try {
    assert.throws(() => readBundleFile(fifo, 200), (e: NetlabError) => e.code === 'INPUT' && /^cannot read '.*chain\.fifo': no data in 0\.2 s/.test(e.message));
  } finally {
    closeSync(fd);
  }
});

test('a refused port is UNREACHABLE, CRITICAL, with the address in brackets for IPv6', async () => {
  const refused = await checkCertificate({ server: { host: 'www.example.test', port: 9 }, connectTo: '127.54.0.250' });
  assert.deepEqual({ status: refused.status, codes: codes(refused), trusted: refused.trusted, chain: refused.chain }, { status: 'CRITICAL', codes: ['UNREACHABLE'], trusted: false, chain: [] });
  assert.equal(refused.problems[0]!.message, 'cannot connect to 127.54.0.250:9: connection refused');
  assert.equal(refused.connectedTo, '127.54.0.250:9');
  const port = await withHttp(async (p) => p);
  const v6 = await checkCertificate({ server: { host: '::1', port } });
  assert.equal(v6.problems[0]!.message, `cannot connect to [::1]:${port}: connection refused`);
  assert.deepEqual({ servername: v6.servername, host: v6.host }, { servername: null, host: '::1' }, 'no SNI for an address');
});

test('an IPv6 server: connectedTo puts the address in brackets', async () => {
  const leaf = await freshLeaf();
  await withTls({ address: '::1', port: 0, certChainPem: leaf.certPem + lab.intermediatePem, keyPem: leaf.keyPem, body: 'v6' }, async (port) => {
    const r = await checkCertificate({ server: { host: 'www.example.test', port }, connectTo: '::1', trust: labTrust });
    assert.equal(r.status, 'OK', JSON.stringify(r.problems));
    assert.equal(r.connectedTo, `[::1]:${port}`);
  });
});

// issue 10: --host named the certificate to check AND where to connect (the contract: it never changes where netlab connects)
test('--host names the certificate to check and never changes where the command connects', async () => {
  const good = labCase('good');
  const options = await parseArgv(command, [`${good.address}:${good.port}`, '--host', 'www.example.test', '--ca', lab.caFile]);
  assert.deepEqual({ server: options.server, host: options.host, servername: options.servername }, { server: { host: good.address, port: good.port }, host: 'www.example.test', servername: undefined });
  const r = await runCertCheck(options);
  assert.deepEqual({ status: r.status, connectedTo: r.connectedTo, hostnameMatch: r.hostnameMatch, servername: r.servername }, { status: 'OK', connectedTo: `${good.address}:${good.port}`, hostnameMatch: true, servername: null });
});

// issue 9.12: a raw OpenSSL error string with the path of the OpenSSL build leaked through on garbage after the ServerHello
test('servers that do not complete a TLS handshake: HANDSHAKE_FAILED, CRITICAL, one clean line, within the timeout', async () => {
  const leaf = await freshLeaf();
  const chain = { certChainPem: leaf.certPem + lab.intermediatePem, keyPem: leaf.keyPem };
  const servers = await startHostileServers({
    garbage: modes.garbageBanner(),
    helloThenGarbage: modes.garbageAfterServerHello(chain, Buffer.from('\x00\xffgarbage after the ServerHello\r\n', 'latin1')),
    // a record shaped like TLS 1.3 application data, whose content does not decrypt
    helloThenBadRecord: modes.garbageAfterServerHello(chain, Buffer.concat([Buffer.from([0x17, 0x03, 0x03, 0x00, 0x20]), Buffer.alloc(32, 0x61)])),
    silent: modes.silent(),
    reset: modes.reset(),
  });
  try {
    await withHttp(async (httpPort) => {
      const ports: Array<[string, number, RegExp]> = [
        ['garbage', servers.of.garbage.port, /failed: the server sent something that is not TLS \(a plain-HTTP port, or garbage\)$/],
        ['garbage after the ServerHello', servers.of.helloThenGarbage.port, /failed: the server sent something that is not TLS \(a plain-HTTP port, or garbage\)$/],
        ['an undecryptable record after the ServerHello', servers.of.helloThenBadRecord.port, /failed: decryption failed or bad record mac$/],
        ['an HTTP server', httpPort, /failed: the server sent something that is not TLS \(a plain-HTTP port, or garbage\)$/],
        ['a reset', servers.of.reset.port, /failed: the server (reset|closed) the connection during the handshake$/],
        ['a silent server', servers.of.silent.port, /timed out after 300 ms \(is it a TLS port\?\)$/],
      ];
      for (const [what, port, re] of ports) {
        const r = await checkCertificate({ server: { host: 'www.example.test', port }, connectTo: '127.0.0.1', timeoutMs: 300 });
        assert.deepEqual({ status: r.status, codes: codes(r) }, { status: 'CRITICAL', codes: ['HANDSHAKE_FAILED'] }, what);
        const message = r.problems[0]!.message;
        assert.match(message, re, `${what}: ${message}`);
        assert.doesNotMatch(message, /\/|\.c:\d|routines|error:[0-9A-F]|ssl3_|ossl_|\n/, `${what}: ${message}`);
        assert.equal(renderCertText(r).split('\n').filter((l) => l.includes('HANDSHAKE_FAILED:')).length, 1, what);
      }
    });
    assert.ok(servers.of.helloThenGarbage.tracker.bytesWritten > 0, 'a ServerHello from a real TLS server was relayed before the garbage');
  } finally {
    await servers.close();
  }
});

test('a stapled OCSP response is read: good is OK and shown, revoked is CRITICAL REVOKED with its date, reason and the leaf', async () => {
  const good = await checkCase(labCase('ocsp-good'));
  assert.equal(good.status, 'OK');
  assert.deepEqual({ stapled: good.tls!.ocspStapled, status: good.tls!.ocsp!.certStatus, by: good.tls!.ocsp!.signedBy }, { stapled: true, status: 'good', by: 'the issuer' });
  assert.ok(Date.parse(good.tls!.ocsp!.nextUpdate!) > Date.now());
  assert.match(renderCertText(good), /OCSP staple: good \(signed by the issuer, next update \d{4}-\d\d-\d\d\)/);
  const revoked = await checkCase(labCase('ocsp-revoked'));
  assert.equal(revoked.status, 'CRITICAL');
  assert.equal(revoked.tls!.ocsp!.certStatus, 'revoked');
  assert.equal(revoked.tls!.ocsp!.revocationReason, 'keyCompromise');
  assert.ok(Math.abs(Date.parse(revoked.tls!.ocsp!.revokedAt!) - (lab.issuedAt.getTime() - 2 * 86_400_000)) < 2000);
  const p = revoked.problems.find((x) => x.code === 'REVOKED')!;
  assert.match(p.message, /^the stapled OCSP response, signed by the issuer, says the certificate was revoked on \d{4}-\d\d-\d\d, reason keyCompromise$/);
  assert.equal(p.subject, revoked.chain[0]!.subject);
  assert.match(renderCertText(revoked), /^CERT CRITICAL - www\.example\.test: REVOKED/);
});

test('a staple that cannot be relied on is a WARNING BAD_OCSP_STAPLE saying why', async () => {
  const pki = lab.pki;
  const now = Date.now();
  const leaf = await freshLeaf();
  const other = await freshLeaf();
  const fresh = { thisUpdate: new Date(now - 3_600_000), nextUpdate: new Date(now + 86_400_000) };
  const cases: Array<[string, Buffer, RegExp]> = [
    ['about another certificate', issueOcspResponse(pki.intermediate, other, { status: 'good', ...fresh }), /about another certificate/],
    ['signed by another CA', issueOcspResponse(pki.untrustedIntermediate, leaf, { status: 'good', ...fresh }), /about another certificate|signed by neither/],
    ['out of date', issueOcspResponse(pki.intermediate, leaf, { status: 'good', thisUpdate: new Date(now - 9 * 86_400_000), nextUpdate: new Date(now - 2 * 86_400_000) }), /out of date/],
    ['garbage', Buffer.from('this is not an OCSP response'), /malformed OCSP response/],
  ];
  for (const [what, staple, re] of cases) {
    await withTls({ address: '127.54.0.1', port: 0, certChainPem: leaf.certPem + pki.intermediate.certPem, keyPem: leaf.keyPem, body: what, ocspResponse: staple }, async (port) => {
      const r = await checkCertificate({ server: { host: 'www.example.test', port }, connectTo: '127.54.0.1', trust: labTrust });
      assert.equal(r.status, 'WARNING', what);
      assert.deepEqual(codes(r), ['BAD_OCSP_STAPLE'], what);
      assert.match(r.problems[0]!.message, re, what);
      assert.equal(r.tls!.ocsp!.certStatus, null, what);
    });
  }
});

/** checkCertificate on a chain served on loopback and as a bundle, trusting only `caPem`. */
async function judgeBothWays(chain: { certChainPem: string; keyPem: string }, caPem: string): Promise<CertCheckResult[]> {
  const trust = loadTrustStore({ caPems: [caPem], systemRoots: false });
  return withTls({ address: '127.0.0.1', port: 0, certChainPem: chain.certChainPem, keyPem: chain.keyPem, body: 'ladder' }, async (port) => [
    await checkCertificate({ server: { host: 'www.example.test', port }, connectTo: '127.0.0.1', trust }),
    await checkCertificate({ bundle: chain.certChainPem, host: 'www.example.test', trust }),
  ]);
}

// issue 9.2: an untrusted chain of 11 or 12 certificates was CERT OK, exit 0 (trusted: false, no problem); 13 or more a WARNING with a false CHAIN_ORDER
test('chains of 11, 12, 13 and 20 certificates: OK when trusted, CRITICAL UNTRUSTED_ROOT when not, from a server and as a bundle', async () => {
  for (const n of [11, 12, 13, 20]) {
    const chain = await ladder.chain(n);
    for (const [trusted, caPem] of [[true, ladder.rootPem], [false, ladder.otherRootPem]] as const) {
      const runs = await judgeBothWays(chain, caPem);
      for (const [how, r] of [['network', runs[0]!], ['bundle', runs[1]!]] as const) {
        const what = `${n} certificates, ${trusted ? 'trusted' : 'untrusted'}, ${how}`;
        assert.equal(r.chain.length, n, what);
        assert.equal(r.trusted, trusted, what);
        if (trusted) assert.deepEqual({ status: r.status, problems: r.problems, path: r.path.length }, { status: 'OK', problems: [], path: n + 1 }, `${what}: the n certificates sent and the anchor`);
        else assert.deepEqual({ status: r.status, codes: codes(r) }, { status: 'CRITICAL', codes: ['UNTRUSTED_ROOT'] }, what);
      }
    }
  }
});

// issue 9.2: path building stopped at depth 10 silently; past OpenSSL's depth (100 intermediates) a chain must say so
test('a chain of 102 certificates (101 intermediates) is CRITICAL CHAIN_TOO_LONG, from a server and as a bundle', async () => {
  for (const r of await judgeBothWays(await ladder.chain(102), ladder.rootPem)) {
    assert.equal(r.status, 'CRITICAL');
    assert.equal(r.trusted, false);
    assert.deepEqual(codes(r), ['CHAIN_TOO_LONG']);
    assert.match(r.problems[0]!.message, /more than 100 intermediate certificates/);
    assert.equal(r.chain.length, 102, 'every certificate sent is read and shown');
    assert.match(renderCertText(r), /^CERT CRITICAL - .*: CHAIN_TOO_LONG/);
  }
});

// issue 9.2 (found with the long chains): a certificate sent twice ended the walk of the chain received, so the rest was dropped and a good chain called UNTRUSTED_ROOT
test('a certificate sent twice is read twice: the chain is whole, trusted, and the copy is a CHAIN_ORDER warning', async () => {
  const chain = await ladder.chain(13);
  const pems = chain.certChainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g)!;
  const twice = { ...chain, certChainPem: [pems[0], pems[1], pems[1], ...pems.slice(2)].join('') };
  for (const r of await judgeBothWays(twice, ladder.rootPem)) {
    assert.equal(r.status, 'WARNING');
    assert.equal(r.chain.length, 14);
    assert.equal(r.trusted, true);
    assert.deepEqual(codes(r), ['CHAIN_ORDER']);
    assert.match(r.problems[0]!.message, /^certificate 2 \(a copy of certificate 1\) is not part of the chain/);
  }
});

// issue 9.14: SIGINT ended cert-check with nothing printed; the engine must stop at once and say what it knows
test('an aborted signal stops a stalled handshake at once: UNKNOWN, interrupted, the target, and the socket closed', async () => {
  // silent, but reading: so that it sees the client's FIN and its socket closes
  const servers = await startHostileServers({ silent: { onConnection: (s) => s.resume() } });
  const { port, tracker } = servers.of.silent;
  try {
    const options = { server: { host: 'www.example.test', port }, connectTo: '127.0.0.1', timeoutMs: 60_000, target: `www.example.test:${port}` };
    const controller = new AbortController();
    const phases: string[] = [];
    const running = checkCertificate({ ...options, signal: controller.signal, onProgress: (p) => phases.push(`${p.phase} ${p.done}/${p.total}`) });
    for (let i = 0; i < 500 && tracker.connections === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(tracker.connections, 1, 'connected');
    controller.abort();
    const result = await running;
    assert.deepEqual(phases, ['handshake 0/1']);
    assert.deepEqual({ status: result.status, interrupted: result.interrupted, during: result.interruptedDuring, problems: result.problems, chain: result.chain },
      { status: 'UNKNOWN', interrupted: true, during: 'handshake', problems: [], chain: [] });
    assert.equal(result.target, `www.example.test:${port}`);
    assert.equal(result.connectedTo, `127.0.0.1:${port}`);
    assert.match(renderCertText(result), new RegExp(`^CERT UNKNOWN - www\\.example\\.test: interrupted during the TLS handshake with 127\\.0\\.0\\.1:${port}, before any certificate was read\\n`));
    for (let i = 0; i < 500 && tracker.sockets.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(tracker.sockets.size, 0, 'the connection is closed');
    // aborted before it starts: nothing is connected to
    const early = await checkCertificate({ ...options, signal: AbortSignal.abort() });
    assert.deepEqual({ status: early.status, interrupted: early.interrupted, during: early.interruptedDuring }, { status: 'UNKNOWN', interrupted: true, during: 'connect' });
    assert.equal(tracker.connections, 1);
  } finally {
    await servers.close();
  }
});

test('the library refuses a bad server option: a port out of range, an IP address as SNI', async () => {
  await rejects(() => checkCertificate({ server: { host: 'www.example.test', port: 70000 } }), 'USAGE', /^port must be an integer from 1 to 65535, got 70000$/);
  await rejects(() => checkCertificate({ server: { host: 'www.example.test', port: 443 }, servername: '127.0.0.1' }), 'USAGE', /^servername '127\.0\.0\.1' is an IP address/);
});

// The binary, a few times: exit codes 0, 1, 2, 3, stdout and stderr
test('netlab cert-check --json on a good server: exit 0, one JSON document with the contract fields, nothing on stderr', async () => {
  const good = labCase('good');
  const r = await runCli(['cert-check', `${good.servername}:${good.port}`, '--connect-to', good.address, '--ca', lab.caFile, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const doc = JSON.parse(r.stdout);
  for (const k of ['target', 'status', 'problems', 'trusted', 'hostnameMatch', 'tls', 'chain']) assert.ok(k in doc, k);
  assert.deepEqual({ status: doc.status, trusted: doc.trusted, hostnameMatch: doc.hostnameMatch }, { status: 'OK', trusted: true, hostnameMatch: true });
  for (const k of ['subject', 'issuer', 'san', 'notBefore', 'notAfter', 'daysLeft', 'keyType', 'keyBits', 'signatureAlgorithm', 'fingerprint256']) assert.ok(k in doc.chain[0], k);
});

test('netlab cert-check on an expired server: exit 2, the verdict line first, then the chain and each problem with a fix', async () => {
  const bad = labCase('expired');
  const r = await runCli(['cert-check', `${bad.servername}:${bad.port}`, '--connect-to', bad.address, '--ca', lab.caFile]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stdout, /^CERT CRITICAL - www\.example\.test: EXPIRED \(expired \d+ days? ago\)\n\nChain as sent by 127\.54\.0\.2:\d+ \(SNI www\.example\.test\):\n/);
  assert.match(r.stdout, /\n  CRITICAL EXPIRED: the leaf .* expired \d+ days? ago/);
  assert.match(r.stdout, /\n {11}fix: Renew the certificate/);
  assert.equal(r.stderr, '');
});

test('netlab cert-check --warn-percent 99.9 --json: exit 1, EXPIRES_SOON', async () => {
  const good = labCase('good');
  const r = await runCli(['cert-check', `${good.servername}:${good.port}`, '--connect-to', good.address, '--ca', lab.caFile, '--warn-percent', '99.9', '--json']);
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).problems.map((p: { code: string }) => p.code), ['EXPIRES_SOON']);
});

test('netlab cert-check with bad input: exit 3 and one line on stderr; with --json also one JSON document', async () => {
  const missing = await runCli(['cert-check', '--file', join(dir, 'missing.pem')]);
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /^netlab cert-check: cannot read '.*missing\.pem': no such file\n$/);
  assert.equal(missing.stdout, '');
  const usage = await runCli(['cert-check', '--json']);
  assert.equal(usage.code, 3);
  assert.match(usage.stderr, /^netlab cert-check: missing HOST\[:PORT\] \(or --file BUNDLE\.pem\) \(see 'netlab cert-check --help'\)\n$/);
  assert.deepEqual(JSON.parse(usage.stdout), { status: 'UNKNOWN', error: { code: 'USAGE', message: 'missing HOST[:PORT] (or --file BUNDLE.pem)' } });
});

// issue 11: revocation beyond the staple and AIA fetching, on the lab's own cases (their
// repository: test/integration/cert-check-revocation.test.ts covers each way it can fail)
test('every lab case that says what --ocsp, --crl or --fetch-missing change gives exactly that, on the live server', async () => {
  const asked = lab.cases.filter((c) => c.whenAsked);
  assert.deepEqual(asked.map((c) => c.name).sort(), ['aia-missing-intermediate', 'revocation-good', 'revocation-revoked']);
  for (const c of asked) {
    for (const [option, expected] of Object.entries(c.whenAsked!)) {
      const r = await checkCase(c, { [option]: true });
      assert.deepEqual(codes(r), [...expected.expectedCodes].sort(), `${c.name} with ${option}: ${JSON.stringify(r.problems)}`);
      assert.equal(r.status, expected.expectedStatus, `${c.name} with ${option}`);
      assert.deepEqual(r.notes, [], `${c.name} with ${option}: everything asked could be asked`);
    }
  }
});
