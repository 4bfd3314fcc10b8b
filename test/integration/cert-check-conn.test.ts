/**
 * cert-check's connection side (issue 11): servers that ask for a client certificate, TLS 1.0
 * and 1.1, the SCTs given for the leaf, --host never moving the connection, and STARTTLS
 * against the lab's STARTTLS servers and hostile ones. In process against the library, and a
 * few spawns of the binary for exit codes and streams.
 */
import 'reflect-metadata';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { startTlsLab, type TlsLab, type TlsLabCase } from '../../src/lab/tls/index.js';
import { startStartTlsLab, type StartTlsLab } from '../../src/lab/starttls/index.js';
import { LabStartTlsServer } from '../../src/lab/starttls/server.js';
import { issueLeaf, issueOcspResponse } from '../../src/lab/tls/ca.js';
import { checkCertificate, type CertCheckResult } from '../../src/protocol/tls/check.js';
import { loadTrustStore, type TrustStore } from '../../src/protocol/tls/trust.js';
import { MAX_STARTTLS_BYTES, STARTTLS_DEFAULT_PORTS, STARTTLS_PROTOCOLS } from '../../src/protocol/tls/starttls.js';
import { sctListCount } from '../../src/protocol/tls/sct.js';
import { parseArgv } from '../../src/commands/command.js';
import { command } from '../../src/commands/cert-check/index.js';
import { renderCertText } from '../../src/commands/cert-check/render.js';
import { startHostileServers, type Mode } from '../helpers/hostile-tcp.js';
import { runCli } from '../helpers/cli.js';
import { testKeySource } from '../helpers/test-keys.js';

let lab: TlsLab;
let st: StartTlsLab;
let trust: TrustStore;

before(async () => {
  lab = await startTlsLab({ port: 0, keySource: testKeySource() });
  st = await startStartTlsLab({ pki: lab.pki });
  trust = loadTrustStore({ caPems: [{ pem: lab.rootPem, source: lab.caFile }], systemRoots: false });
});
after(async () => {
  await Promise.all([lab.close(), st.close()]);
});

const codes = (r: { problems: Array<{ code: string }> }) => r.problems.map((p) => p.code).sort();
const notes = (r: CertCheckResult) => r.notes.map((n) => n.code).sort();
const labCase = (name: string) => lab.cases.find((c) => c.name === name)!;
const fingerprints = (pem: string) => (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new X509Certificate(p).fingerprint256);
const checkCase = (c: TlsLabCase) => checkCertificate({ server: { host: c.servername, port: c.port }, connectTo: c.address, trust });

/** A fresh leaf of the lab intermediate for www.example.test, valid 90 days (or as given). */
function leaf(more: Partial<Parameters<typeof issueLeaf>[1]> = {}) {
  const now = Date.now();
  return issueLeaf(lab.pki.intermediate, { notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 90 * 86_400_000), dnsNames: ['www.example.test'], ...more });
}

/** A Node TLS server on 127.0.0.1 with these options, closed after `work`. */
async function withServer<T>(options: tls.TlsOptions, work: (port: number) => Promise<T>): Promise<T> {
  const server = tls.createServer(options);
  server.on('tlsClientError', (_e, s) => s.destroy());
  server.on('secureConnection', (s) => s.on('error', () => s.destroy()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    return await work((server.address() as net.AddressInfo).port);
  } finally {
    server.close();
  }
}

const at127 = (port: number, more: object = {}) => checkCertificate({ server: { host: 'www.example.test', port }, connectTo: '127.0.0.1', trust, ...more });

// issue 11: a server that requires a client certificate on TLS 1.2 sent its chain and then alert 40: netlab said HANDSHAKE_FAILED and judged nothing
test('a server that requires a client certificate: the chain it sent is judged, and a CLIENT_CERT_REQUIRED note says why it ended (TLS 1.2 and 1.3)', async () => {
  for (const [name, protocol, alert] of [['client-cert-tls12', 'TLSv1.2', /TLS alert: handshake failure/], ['client-cert-tls13', 'TLSv1.3', /TLS alert: certificate required/]] as const) {
    const c = labCase(name);
    const r = await checkCase(c);
    assert.deepEqual({ status: r.status, codes: codes(r), notes: notes(r), trusted: r.trusted, hostnameMatch: r.hostnameMatch },
      { status: 'OK', codes: [], notes: ['CLIENT_CERT_REQUIRED'], trusted: true, hostnameMatch: true }, name);
    assert.deepEqual(r.chain.map((x) => x.fingerprint256), fingerprints(lab.bundles[name]), `${name}: the chain as sent`);
    assert.deepEqual({ protocol: r.tls!.protocol, clientCertificate: r.tls!.clientCertificate }, { protocol, clientCertificate: 'required' }, name);
    assert.match(r.notes[0]!.message, alert, name);
    assert.match(r.notes[0]!.message, /asks for a client certificate and ended the connection without one/);
    const text = renderCertText(r);
    assert.match(text, /^CERT OK - www\.example\.test expires in \d+ days\n/);
    assert.match(text, /\nNotes:\n {2}CLIENT_CERT_REQUIRED: .*the chain it sent before that is judged\n/);
  }
  // a bad chain behind a client-certificate requirement is still judged: EXPIRED, with the note
  const expired = await leaf({ notBefore: new Date(Date.now() - 100 * 86_400_000), notAfter: new Date(Date.now() - 10 * 86_400_000) });
  for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
    await withServer({ key: expired.keyPem, cert: expired.certPem + lab.intermediatePem, ca: lab.rootPem, requestCert: true, rejectUnauthorized: true, maxVersion }, async (port) => {
      const r = await at127(port);
      assert.deepEqual({ status: r.status, codes: codes(r), notes: notes(r) }, { status: 'CRITICAL', codes: ['EXPIRED'], notes: ['CLIENT_CERT_REQUIRED'] }, maxVersion);
    });
  }
});

test('a server that asks for a client certificate but goes on without one: CLIENT_CERT_REQUESTED, OK (TLS 1.2 and 1.3); none asked: no note', async () => {
  const good = await leaf();
  for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
    await withServer({ key: good.keyPem, cert: good.certPem + lab.intermediatePem, ca: lab.rootPem, requestCert: true, rejectUnauthorized: false, maxVersion }, async (port) => {
      const r = await at127(port);
      assert.deepEqual({ status: r.status, notes: notes(r), cc: r.tls!.clientCertificate, protocol: r.tls!.protocol }, { status: 'OK', notes: ['CLIENT_CERT_REQUESTED'], cc: 'requested', protocol: maxVersion });
    });
  }
  const r = await checkCase(labCase('good'));
  assert.deepEqual({ notes: r.notes, cc: r.tls!.clientCertificate }, { notes: [], cc: 'not-requested' });
});

test('TLS 1.0 and 1.1: the chain is judged and OLD_TLS_VERSION is a WARNING, never CRITICAL; a TLS 1.2 server has none', async () => {
  const r10 = await checkCase(labCase('tls10'));
  assert.deepEqual({ status: r10.status, codes: codes(r10), protocol: r10.tls!.protocol, trusted: r10.trusted }, { status: 'WARNING', codes: ['OLD_TLS_VERSION'], protocol: 'TLSv1', trusted: true });
  assert.match(r10.problems[0]!.message, /negotiated TLSv1, its best version: browsers refuse TLS 1\.0 and 1\.1/);
  assert.equal(r10.problems[0]!.severity, 'WARNING');
  const good = await leaf();
  await withServer({ key: good.keyPem, cert: good.certPem + lab.intermediatePem, minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' }, async (port) => {
    const r = await at127(port);
    assert.deepEqual({ status: r.status, codes: codes(r), protocol: r.tls!.protocol }, { status: 'WARNING', codes: ['OLD_TLS_VERSION'], protocol: 'TLSv1.1' });
  });
  await withServer({ key: good.keyPem, cert: good.certPem + lab.intermediatePem, maxVersion: 'TLSv1.2' }, async (port) => {
    const r = await at127(port);
    assert.deepEqual({ status: r.status, codes: codes(r), protocol: r.tls!.protocol }, { status: 'OK', codes: [], protocol: 'TLSv1.2' });
  });
});

/** A TLS-encoded SCT list of `n` entries (shaped as RFC 6962 3.2 SCTs; their signatures are not real). */
function sctList(n: number): Buffer {
  const one = Buffer.concat([Buffer.from([0]), Buffer.alloc(32, 7), Buffer.alloc(8, 1), Buffer.from([0, 0]), Buffer.from([4, 3, 0, 4]), Buffer.alloc(4, 9)]);
  const entries = Buffer.concat(Array.from({ length: n }, () => Buffer.concat([Buffer.from([0, one.length]), one])));
  return Buffer.concat([Buffer.from([entries.length >> 8, entries.length & 0xff]), entries]);
}

test('SCTs: counted in the leaf (extension 1.3.6.1.4.1.11129.2.4.2) and in the OCSP staple (1.3.6.1.4.1.11129.2.4.5), in JSON and text', async () => {
  assert.equal(sctListCount(sctList(3)), 3);
  assert.equal(sctListCount(Buffer.from([0, 5, 0, 9, 1])), 0, 'an entry longer than the list is not counted');
  const list = sctList(2);
  const ext = new x509.Extension('1.3.6.1.4.1.11129.2.4.2', false, Buffer.concat([Buffer.from([0x04, list.length]), list]));
  const withScts = await leaf({ extraExtensions: [ext] });
  const now = Date.now();
  const staple = issueOcspResponse(lab.pki.intermediate, withScts, { status: 'good', thisUpdate: new Date(now - 3_600_000), nextUpdate: new Date(now + 86_400_000), sctList: sctList(3) });
  const server = new (await import('../../src/lab/tls/server.js')).LabTlsServer({ address: '127.0.0.1', port: 0, certChainPem: withScts.certPem + lab.intermediatePem, keyPem: withScts.keyPem, body: 'scts', ocspResponse: staple });
  await server.start();
  try {
    const r = await at127(server.port);
    assert.deepEqual({ status: r.status, scts: r.scts, stapled: r.tls!.ocsp?.certStatus }, { status: 'OK', scts: { embedded: 2, ocspStaple: 3 }, stapled: 'good' });
    assert.match(renderCertText(r), /\nSCTs: 2 embedded in the leaf, 3 in the OCSP staple \(counted, not verified\)\n/);
  } finally {
    await server.close();
  }
  const plain = await checkCase(labCase('good'));
  assert.deepEqual(plain.scts, { embedded: 0, ocspStaple: null });
  const bundle = await checkCertificate({ bundle: withScts.certPem + lab.intermediatePem, trust });
  assert.deepEqual(bundle.scts, { embedded: 2, ocspStaple: null });
});

// issue 11: `cert-check 127.54.0.1:443 --host localhost` tried localhost:443
test('--host names the certificate to check and never changes the connection target, with or without STARTTLS', async () => {
  const good = labCase('good');
  const r = await runCli(['cert-check', `${good.address}:${good.port}`, '--host', 'localhost', '--ca', lab.caFile, '--json']);
  assert.equal(r.code, 2, r.stderr);
  const doc = JSON.parse(r.stdout) as CertCheckResult;
  assert.deepEqual({ connectedTo: doc.connectedTo, host: doc.host, servername: doc.servername, codes: codes(doc) },
    { connectedTo: `${good.address}:${good.port}`, host: 'localhost', servername: null, codes: ['HOSTNAME_MISMATCH'] });
  // with STARTTLS: the XMPP stream goes to --host, the connection to the address
  const xmpp = st.servers.find((s) => s.name === 'xmpp')!;
  const options = await parseArgv(command, [`${xmpp.address}:${xmpp.port}`, '--starttls', 'xmpp', '--host', 'mail.example.test']);
  assert.deepEqual({ server: options.server, host: options.host, starttls: options.starttls }, { server: { host: xmpp.address, port: xmpp.port }, host: 'mail.example.test', starttls: 'xmpp' });
  const x = await checkCertificate({ server: options.server!, host: options.host!, starttls: 'xmpp', trust });
  assert.deepEqual({ status: x.status, connectedTo: x.connectedTo, hostnameMatch: x.hostnameMatch }, { status: 'OK', connectedTo: `${xmpp.address}:${xmpp.port}`, hostnameMatch: true });
});

test('--starttls: every protocol against its lab server gives the lab chain, OK, and says the protocol used', async () => {
  const expected = fingerprints(st.chainPem);
  for (const s of st.servers.filter((x) => x.behaviour === 'good')) {
    const r = await checkCertificate({ server: { host: 'mail.example.test', port: s.port }, connectTo: s.address, starttls: s.protocol, trust, timeoutMs: 5000 });
    assert.deepEqual({ status: r.status, codes: codes(r), protocol: r.starttls?.protocol }, { status: 'OK', codes: [], protocol: s.protocol }, s.name);
    assert.deepEqual(r.chain.map((c) => c.fingerprint256), expected, s.name);
    assert.equal(r.connectedTo, `${s.address}:${s.port}`);
    assert.match(r.tls!.protocol, /^TLSv1\.[23]$/);
    if (s.protocol === 'smtp' || s.protocol === 'imap' || s.protocol === 'xmpp') assert.equal(r.starttls!.advertised, true, s.name);
    if (s.protocol === 'smtp') assert.equal(r.starttls!.greeting, '220 mail.example.test ESMTP netlab-lab');
    assert.match(renderCertText(r), new RegExp(`\\nSTARTTLS: ${s.protocol}\\b.*\\n`), s.name);
    assert.match(renderCertText(r), new RegExp(`Chain as sent by ${s.address.replace(/\./g, '\\.')}:\\d+ \\(SNI mail\\.example\\.test\\) after STARTTLS ${s.protocol}:`));
  }
  assert.deepEqual(st.servers.filter((x) => x.behaviour === 'good').map((x) => x.protocol).sort(), [...STARTTLS_PROTOCOLS].sort());
});

test('--starttls: the port defaults to the protocol\'s (parsed and in the library)', async () => {
  for (const p of STARTTLS_PROTOCOLS) {
    const o = await parseArgv(command, ['mail.example.test', '--starttls', p.toUpperCase()]);
    assert.deepEqual({ port: o.server!.port, starttls: o.starttls }, { port: STARTTLS_DEFAULT_PORTS[p], starttls: p });
  }
  assert.deepEqual(STARTTLS_DEFAULT_PORTS, { smtp: 25, imap: 143, pop3: 110, ftp: 21, postgres: 5432, ldap: 389, xmpp: 5222 });
  const explicit = await parseArgv(command, ['mail.example.test:587', '--starttls', 'smtp']);
  assert.equal(explicit.server!.port, 587);
  // nothing listens on 127.57.0.250: the library's default port shows in where it tried
  const r = await checkCertificate({ server: { host: 'mail.example.test' }, connectTo: '127.57.0.250', starttls: 'imap', trust, timeoutMs: 2000 });
  assert.deepEqual({ codes: codes(r), connectedTo: r.connectedTo, starttls: r.starttls?.protocol }, { codes: ['UNREACHABLE'], connectedTo: '127.57.0.250:143', starttls: 'imap' });
  await assert.rejects(() => parseArgv(command, ['mail.example.test', '--starttls', 'gopher']), /--starttls needs one of smtp, imap, pop3, ftp, postgres, ldap, xmpp, got 'gopher'/);
  await assert.rejects(() => parseArgv(command, ['--file', 'x.pem', '--starttls', 'smtp']), /--starttls needs HOST\[:PORT\], not --file/);
});

/** A server that writes `lines` (or runs `fn`) for each connection. */
const says = (fn: (s: net.Socket) => void): Mode => ({ onConnection: (s) => fn(s) });

// issue 11: a server that does not offer STARTTLS, answers garbage or closes must be one clear line and the right exit code, never a hang
test('--starttls against servers that refuse, answer garbage, close, flood or stay silent: CRITICAL STARTTLS_FAILED in one line, within the timeout', async () => {
  const servers = await startHostileServers({
    closes: says((s) => s.end()),
    garbage: says((s) => s.end(Buffer.from('\x00\xffgarbage\x1b[31m\r\n'))),
    httpServer: says((s) => s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'))),
    silent: says(() => undefined),
    flood: says((s) => {
      const line = Buffer.from(`220-${'x'.repeat(1000)}\r\n`);
      for (let i = 0; i < 100 && !s.destroyed; i++) s.write(line);
    }),
    refusesStartTls: says((s) => {
      s.write('220 mx ESMTP\r\n');
      s.on('data', (d: Buffer) => s.write(/^EHLO/i.test(d.toString()) ? '250-mx\r\n250 PIPELINING\r\n' : '454 4.7.0 TLS not available due to local problem\r\n'));
    }),
    pgNo: says((s) => s.once('data', () => s.write('N'))),
    ldapRefuses: says((s) => s.once('data', () => s.write(Buffer.from([0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a, 0x01, 0x35, 0x04, 0x00, 0x04, 0x00])))),
    xmppNoTls: says((s) => s.once('data', () => s.write("<stream:stream xmlns:stream='http://etherx.jabber.org/streams' version='1.0'><stream:features><mechanisms/></stream:features>"))),
    afterGoAhead: says((s) => {
      s.write('+OK ready\r\n');
      s.once('data', () => s.write('+OK go\r\nINJECTED\r\n'));
    }),
  });
  const o = servers.of;
  const cases: Array<[string, number, 'smtp' | 'imap' | 'pop3' | 'ftp' | 'postgres' | 'ldap' | 'xmpp', RegExp]> = [
    ['closes', o.closes.port, 'smtp', /the server closed the connection before its greeting$/],
    ['garbage', o.garbage.port, 'smtp', /the server's greeting is not an SMTP 220: '\\x00.*garbage\\x1b\[31m'$/],
    // an HTTP server waits for a request: no greeting comes
    ['an HTTP server (IMAP)', o.httpServer.port, 'imap', /the server did not answer within 400 ms$/],
    ['an HTTP server (FTP)', o.garbage.port, 'ftp', /the server's greeting is not an FTP 220/],
    ['silent', o.silent.port, 'pop3', /the server did not answer within 400 ms$/],
    ['flood', o.flood.port, 'smtp', new RegExp(`the server sent more than ${MAX_STARTTLS_BYTES / 1024} KiB before the TLS handshake before its greeting$`)],
    ['refuses STARTTLS', o.refusesStartTls.port, 'smtp', /the server does not offer STARTTLS: '454 4\.7\.0 TLS not available due to local problem'$/],
    ['postgres without ssl', o.pgNo.port, 'postgres', /the server does not offer SSL \(it answered 'N' to SSLRequest: ssl is off\)$/],
    ['ldap refuses', o.ldapRefuses.port, 'ldap', /the server refused StartTLS: LDAP result 53 \(unwillingToPerform\)$/],
    ['xmpp without starttls', o.xmppNoTls.port, 'xmpp', /the server does not offer STARTTLS \(no starttls in its stream features\)$/],
    ['data after the go-ahead', o.afterGoAhead.port, 'pop3', /the server sent 10 bytes after its go-ahead, before the TLS handshake$/],
  ];
  try {
    for (const [what, port, protocol, re] of cases) {
      const r = await checkCertificate({ server: { host: 'mail.example.test', port }, connectTo: '127.0.0.1', starttls: protocol, trust, timeoutMs: 400 });
      assert.deepEqual({ status: r.status, codes: codes(r), starttls: r.starttls?.protocol, chain: r.chain.length }, { status: 'CRITICAL', codes: ['STARTTLS_FAILED'], starttls: protocol, chain: 0 }, what);
      const message = r.problems[0]!.message;
      assert.match(message, new RegExp(`^STARTTLS \\(${protocol}\\) with 127\\.0\\.0\\.1:${port} failed: `), `${what}: ${message}`);
      assert.match(message, re, `${what}: ${message}`);
      assert.doesNotMatch(message, /\n|--[a-z]/, what);
    }
  } finally {
    await servers.close();
  }
  // the lab's own refusing SMTP server
  const refusing = st.servers.find((s) => s.behaviour === 'no-starttls')!;
  const r = await checkCertificate({ server: { host: 'mail.example.test', port: refusing.port }, connectTo: refusing.address, starttls: 'smtp', trust });
  assert.deepEqual(codes(r), ['STARTTLS_FAILED']);
  assert.match(r.problems[0]!.message, /the server does not offer STARTTLS: '502 5\.5\.2 Error: command not recognized'$/);
});

test('a lab STARTTLS server refuses a client that floods it before STARTTLS (bounded on the server side too)', async () => {
  const l = await leaf();
  const server = new LabStartTlsServer({ protocol: 'smtp', address: '127.0.0.1', port: 0, certChainPem: l.certPem + lab.intermediatePem, keyPem: l.keyPem });
  await server.start();
  try {
    const closed = await new Promise<boolean>((resolve) => {
      const s = net.connect(server.port, '127.0.0.1');
      s.on('error', () => undefined);
      s.once('data', () => s.write(Buffer.alloc(64 * 1024, 0x61)));
      s.once('close', () => resolve(true));
      setTimeout(() => {
        s.destroy();
        resolve(false);
      }, 5000);
    });
    assert.equal(closed, true);
  } finally {
    await server.close();
  }
});

test('netlab cert-check --starttls: exit 0 with the protocol shown; exit 2 and one problem line when STARTTLS is refused; exit 3 for an unknown protocol', async () => {
  const smtp = st.servers.find((s) => s.name === 'smtp')!;
  const ok = await runCli(['cert-check', `mail.example.test:${smtp.port}`, '--connect-to', smtp.address, '--starttls', 'smtp', '--ca', lab.caFile]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^CERT OK - mail\.example\.test expires in \d+ days\n/);
  assert.match(ok.stdout, /\nSTARTTLS: smtp \(greeting '220 mail\.example\.test ESMTP netlab-lab'; STARTTLS listed in its EHLO reply\)\n/);
  assert.equal(ok.stderr, '');
  const refusing = st.servers.find((s) => s.behaviour === 'no-starttls')!;
  const bad = await runCli(['cert-check', `mail.example.test:${refusing.port}`, '--connect-to', refusing.address, '--starttls', 'smtp', '--ca', lab.caFile, '--json']);
  assert.equal(bad.code, 2, bad.stderr);
  const doc = JSON.parse(bad.stdout) as CertCheckResult;
  assert.deepEqual({ status: doc.status, codes: codes(doc), starttls: doc.starttls?.protocol }, { status: 'CRITICAL', codes: ['STARTTLS_FAILED'], starttls: 'smtp' });
  const usage = await runCli(['cert-check', 'mail.example.test', '--starttls', 'gopher']);
  assert.equal(usage.code, 3);
  assert.match(usage.stderr, /^netlab cert-check: --starttls needs one of smtp, imap, pop3, ftp, postgres, ldap, xmpp, got 'gopher'/);
  assert.equal(usage.stderr.split('\n').filter(Boolean).length, 1);
});

test('Ctrl-C during a STARTTLS dialogue: UNKNOWN, interrupted during starttls, and the verdict line says so', async () => {
  const servers = await startHostileServers({ silent: { onConnection: (s) => s.resume() } });
  const { port, tracker } = servers.of.silent;
  try {
    const controller = new AbortController();
    const running = checkCertificate({ server: { host: 'mail.example.test', port }, connectTo: '127.0.0.1', starttls: 'smtp', trust, timeoutMs: 60_000, signal: controller.signal });
    for (let i = 0; i < 500 && tracker.connections === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(tracker.connections, 1, 'connected');
    controller.abort();
    const r = await running;
    assert.deepEqual({ status: r.status, interrupted: r.interrupted, during: r.interruptedDuring, problems: r.problems, starttls: r.starttls?.protocol },
      { status: 'UNKNOWN', interrupted: true, during: 'starttls', problems: [], starttls: 'smtp' });
    assert.match(renderCertText(r), new RegExp(`^CERT UNKNOWN - mail\\.example\\.test: interrupted during the STARTTLS dialogue with 127\\.0\\.0\\.1:${port}, before any certificate was read\\n`));
  } finally {
    await servers.close();
  }
});
