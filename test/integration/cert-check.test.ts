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

/** `netlab cert-check --json` against a chain served on loopback and as a --file, with the trust given. */
async function judgeBothWays(chain: { certChainPem: string; keyPem: string }, caPem: string, name: string) {
  const { LabTlsServer } = await import('../../src/lab/tls/server.js');
  const ca = join(dir, `${name}.ca.pem`);
  const bundle = join(dir, `${name}.chain.pem`);
  writeFileSync(ca, caPem);
  writeFileSync(bundle, chain.certChainPem);
  const server = new LabTlsServer({ address: '127.0.0.1', port: 0, certChainPem: chain.certChainPem, keyPem: chain.keyPem, body: name });
  await server.start();
  try {
    const trust = ['--ca', ca, '--no-system-ca', '--json'];
    const net = await runCli(['cert-check', `www.example.test:${server.port}`, '--connect-to', '127.0.0.1', ...trust]);
    const file = await runCli(['cert-check', '--file', bundle, '--host', 'www.example.test', ...trust]);
    return [net, file].map((r) => ({ code: r.code, stderr: r.stderr, doc: JSON.parse(r.stdout) as { status: string; trusted: boolean; problems: Array<{ code: string; message: string }>; chain: unknown[]; path: number[] } }));
  } finally {
    await server.close();
  }
}

// issue 9.2: an untrusted chain of 11 or 12 certificates was CERT OK, exit 0 (trusted: false, no problem); 13 or more a WARNING with a false CHAIN_ORDER
test('chains of 11, 12, 13 and 20 certificates: OK when trusted, CRITICAL UNTRUSTED_ROOT when not, over the network and with --file', async () => {
  const { makeLadder } = await import('../helpers/long-chain.js');
  const ladder = await makeLadder(19);
  for (const n of [11, 12, 13, 20]) {
    const chain = await ladder.chain(n);
    for (const [trusted, caPem] of [[true, ladder.rootPem], [false, ladder.otherRootPem]] as const) {
      const runs = await judgeBothWays(chain, caPem, `ladder-${n}-${trusted}`);
      for (const [how, r] of [['network', runs[0]!], ['--file', runs[1]!]] as const) {
        const what = `${n} certificates, ${trusted ? 'trusted' : 'untrusted'}, ${how}`;
        assert.equal(r.doc.chain.length, n, what);
        assert.equal(r.doc.trusted, trusted, what);
        if (trusted) {
          assert.deepEqual({ code: r.code, status: r.doc.status, problems: r.doc.problems, path: r.doc.path.length }, { code: 0, status: 'OK', problems: [], path: n }, what);
        } else {
          assert.deepEqual({ code: r.code, status: r.doc.status, codes: r.doc.problems.map((p) => p.code) }, { code: 2, status: 'CRITICAL', codes: ['UNTRUSTED_ROOT'] }, what);
        }
      }
    }
  }
});

// issue 9.2: path building stopped at depth 10 silently; past OpenSSL's depth (100 intermediates) a chain must say so
test('a chain of 102 certificates (101 intermediates) is CRITICAL CHAIN_TOO_LONG, exit 2, over the network and with --file', async () => {
  const { makeLadder } = await import('../helpers/long-chain.js');
  const ladder = await makeLadder(101);
  const runs = await judgeBothWays(await ladder.chain(102), ladder.rootPem, 'ladder-102');
  for (const r of runs) {
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.doc.trusted, false);
    assert.deepEqual(r.doc.problems.map((p) => p.code), ['CHAIN_TOO_LONG']);
    assert.match(r.doc.problems[0]!.message, /more than 100 intermediate certificates/);
    assert.equal(r.doc.chain.length, 102, 'every certificate sent is read and shown');
  }
  const text = await runCli(['cert-check', '--file', join(dir, 'ladder-102.chain.pem'), '--ca', join(dir, 'ladder-102.ca.pem')]);
  assert.match(text.stdout, /^CERT CRITICAL - .*: CHAIN_TOO_LONG/);
});

// issue 9.9: the PEM scan was quadratic: 5 MB of BEGIN lines without an END took 72 s, through --file and --ca alike
test('5 MB of BEGIN lines without an END, as --file or --ca: exit 3, one line, within the runner timeout', async () => {
  const begins = join(dir, 'begins.pem');
  writeFileSync(begins, '-----BEGIN CERTIFICATE-----\n'.repeat(Math.ceil(5_000_000 / 28)));
  const file = await runCli(['cert-check', '--file', begins], { timeoutMs: 20_000 });
  assert.equal(file.code, 3);
  assert.match(file.stderr, /^netlab cert-check: '.*begins\.pem' holds no PEM certificate/);
  assert.equal(file.stderr.trim().split('\n').length, 1);
  const ca = await runCli(['cert-check', 'www.example.test:9', '--connect-to', '127.0.0.1', '--ca', begins], { timeoutMs: 20_000 });
  assert.equal(ca.code, 3);
  assert.match(ca.stderr, /^netlab cert-check: CA file '.*begins\.pem' holds no PEM certificate/);
  assert.equal(ca.stderr.trim().split('\n').length, 1);
});

// issue 9.11: --servername with an IP address printed Node's DeprecationWarning (RFC 6066: SNI carries no address); empty --connect-to / --host were ignored
test('bad names are usage errors before any connection: an IP address as --servername, empty --connect-to, --host, --file, --ca', async () => {
  const { startHostileServers, modes } = await import('../helpers/hostile-tcp.js');
  const servers = await startHostileServers({ silent: modes.silent() });
  const { port, tracker } = servers.of.silent;
  try {
    const target = `www.example.test:${port}`;
    for (const [args, re] of [
      [[target, '--connect-to', '127.0.0.1', '--servername', '127.79.0.3'], /--servername '127\.79\.0\.3' is an IP address, and SNI carries host names only \(RFC 6066 3\)/],
      [[target, '--connect-to', '127.0.0.1', '--servername', '::1'], /--servername '::1' is an IP address/],
      [[target, '--connect-to', '127.0.0.1', '--servername', '[::1]'], /--servername '\[::1\]' is an IP address/],
      [[target, '--connect-to', '127.0.0.1', '--servername', ''], /--servername needs a host name, got an empty value/],
      [[target, '--connect-to', ''], /--connect-to needs an address, got an empty value/],
      [[target, '--connect-to', '127.0.0.1', '--host', ''], /--host needs a name or an address, got an empty value/],
      [['--file', ''], /--file needs a file name, got an empty value/],
      [[target, '--connect-to', '127.0.0.1', '--ca', ''], /--ca needs a file name, got an empty value/],
      [[''], /HOST\[:PORT\] is empty/],
    ] as Array<[string[], RegExp]>) {
      const r = await runCli(['cert-check', ...args, '--timeout', '2']);
      assert.equal(r.code, 3, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /DeprecationWarning/);
      assert.equal(r.stdout, '');
    }
    assert.equal(tracker.connections, 0, 'no connection was made');
  } finally {
    await servers.close();
  }
});

// issue 9.11: a --ca file with no certificate must be exit 3 before connecting (it failed at TLS time, exit 2, in trace-request)
test('a --ca file without a certificate is exit 3, one line, and nothing is connected to', async () => {
  const { startHostileServers, modes } = await import('../helpers/hostile-tcp.js');
  const servers = await startHostileServers({ silent: modes.silent() });
  try {
    const noCert = join(dir, 'no-cert.pem');
    writeFileSync(noCert, '# a CA file with a comment and no certificate\n');
    const r = await runCli(['cert-check', `www.example.test:${servers.of.silent.port}`, '--connect-to', '127.0.0.1', '--ca', noCert, '--timeout', '2']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /^netlab cert-check: CA file '.*no-cert\.pem' holds no PEM certificate\n$/);
    assert.equal(servers.of.silent.tracker.connections, 0);
  } finally {
    await servers.close();
  }
});

// issue 9.12: a raw OpenSSL error string with the path of the OpenSSL build leaked through on garbage after the ServerHello
test('hostile servers end in HANDSHAKE_FAILED with a clean one-line reason, exit 2, within --timeout', async () => {
  const { startHostileServers, modes } = await import('../helpers/hostile-tcp.js');
  const { issueLeaf } = await import('../../src/lab/tls/ca.js');
  const good = lab.cases.find((c) => c.name === 'good')!;
  const now = Date.now();
  const leaf = await issueLeaf(lab.pki.intermediate, { notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 90 * 86_400_000), dnsNames: ['www.example.test'] });
  const chain = { certChainPem: leaf.certPem + lab.intermediatePem, keyPem: leaf.keyPem };
  const servers = await startHostileServers({
    garbage: modes.garbageBanner(),
    helloThenGarbage: modes.garbageAfterServerHello(chain, Buffer.from('\x00\xffgarbage after the ServerHello\r\n', 'latin1')),
    // a record shaped like TLS 1.3 application data, whose content does not decrypt
    helloThenBadRecord: modes.garbageAfterServerHello(chain, Buffer.concat([Buffer.from([0x17, 0x03, 0x03, 0x00, 0x20]), Buffer.alloc(32, 0x61)])),
    silent: modes.silent(),
    reset: modes.reset(),
  });
  const httpServer = http.createServer((_req, res) => res.end('plain'));
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', () => r()));
  try {
    const ports: Array<[string, number, RegExp]> = [
      ['garbage', servers.of.garbage.port, /failed: the server sent something that is not TLS/],
      ['garbage after the ServerHello', servers.of.helloThenGarbage.port, /failed: the server sent something that is not TLS/],
      ['an undecryptable record after the ServerHello', servers.of.helloThenBadRecord.port, /failed: decryption failed or bad record mac$/],
      ['an HTTP server', (httpServer.address() as net.AddressInfo).port, /failed: the server sent something that is not TLS/],
      ['a reset', servers.of.reset.port, /failed: the server (reset|closed) the connection during the handshake/],
      ['a silent server', servers.of.silent.port, /timed out after 2000 ms/],
    ];
    for (const [what, port, re] of ports) {
      const r = await runCli(['cert-check', `${good.servername}:${port}`, '--connect-to', '127.0.0.1', '--timeout', '2', '--json'], { timeoutMs: 20_000 });
      assert.equal(r.code, 2, `${what}: ${r.stderr}`);
      assert.ok(r.ms < 10_000, `${what}: --timeout 2 and ${r.ms} ms`);
      const doc = JSON.parse(r.stdout);
      assert.deepEqual(doc.problems.map((p: { code: string }) => p.code), ['HANDSHAKE_FAILED'], what);
      const message: string = doc.problems[0].message;
      assert.match(message, re, `${what}: ${message}`);
      assert.doesNotMatch(message, /\/|\.c:\d|routines|error:[0-9A-F]|ssl3_|ossl_|\n/, `${what}: ${message}`);
      assert.equal(r.stderr, '', what);
      const text = await runCli(['cert-check', `${good.servername}:${port}`, '--connect-to', '127.0.0.1', '--timeout', '2'], { timeoutMs: 20_000 });
      assert.equal(text.stdout.split('\n').filter((l) => l.includes('HANDSHAKE_FAILED:')).length, 1, text.stdout);
    }
    assert.ok(servers.of.helloThenGarbage.tracker.bytesWritten > 0, 'a ServerHello from a real TLS server was relayed before the garbage');
  } finally {
    httpServer.close();
    await servers.close();
  }
});

// issue 9.8: --ca /dev/zero grew to 16 GB and aborted (std::bad_alloc), --file /dev/zero stopped at "Invalid string length"
test('--file and --ca /dev/zero, and a FIFO as --file: exit 3 and one line, never a crash or a hang', async () => {
  for (const args of [['--file', '/dev/zero'], ['www.example.test:9', '--connect-to', '127.0.0.1', '--ca', '/dev/zero']]) {
    const r = await runCli(['cert-check', ...args], { timeoutMs: 30_000 });
    assert.equal(r.code, 3, args.join(' '));
    assert.match(r.stderr, /^netlab cert-check: cannot read (CA file )?'\/dev\/zero': larger than 16 MiB \(netlab's limit for this file\)\n$/);
  }
  const { spawnSync } = await import('node:child_process');
  const fifo = join(dir, 'chain.fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
  // no writer: read as empty at once
  const lone = await runCli(['cert-check', '--file', fifo], { timeoutMs: 20_000 });
  assert.equal(lone.code, 3);
  assert.match(lone.stderr, /^netlab cert-check: '.*chain\.fifo' holds no PEM certificate/);
  assert.equal(lone.stderr.trim().split('\n').length, 1);
  // a writer that never writes (this process holds it open): netlab gives up after its 10 s idle bound
  const { openSync, closeSync } = await import('node:fs');
  const fd = openSync(fifo, 'r+');
  try {
    const stalled = await runCli(['cert-check', '--file', fifo], { timeoutMs: 30_000 });
    assert.equal(stalled.code, 3);
    assert.match(stalled.stderr, /^netlab cert-check: cannot read '.*chain\.fifo': no data in 10 s/);
    assert.equal(stalled.stderr.trim().split('\n').length, 1);
  } finally {
    closeSync(fd);
  }
});

// issue 9.14: SIGINT ended cert-check with nothing printed; the engine must stop at once and say what it knows
test('an aborted signal stops a stalled handshake at once: UNKNOWN, interrupted, the target, and the socket closed', async () => {
  const { startHostileServers } = await import('../helpers/hostile-tcp.js');
  const { runCertCheck } = await import('../../src/commands/cert-check/run.js');
  const { parseArgv } = await import('../../src/commands/command.js');
  const { command } = await import('../../src/commands/cert-check/index.js');
  const { renderCertText } = await import('../../src/commands/cert-check/render.js');
  // silent, but reading: so that it sees the client's FIN and its socket closes
  const servers = await startHostileServers({ silent: { onConnection: (s) => s.resume() } });
  const { port, tracker } = servers.of.silent;
  try {
    const timeoutSeconds = 60;
    const options = await parseArgv(command, [`www.example.test:${port}`, '--connect-to', '127.0.0.1', '--timeout', String(timeoutSeconds)]);
    const controller = new AbortController();
    const running = runCertCheck(options, { signal: controller.signal });
    for (let i = 0; i < 500 && tracker.connections === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(tracker.connections, 1, 'connected');
    const abortedAt = Date.now();
    controller.abort();
    const result = await running;
    assert.ok(Date.now() - abortedAt < timeoutSeconds * 1000, 'returned on the abort, not on --timeout');
    assert.equal(result.status, 'UNKNOWN');
    assert.equal(result.interrupted, true);
    assert.equal(result.interruptedDuring, 'handshake');
    assert.equal(result.target, `www.example.test:${port}`);
    assert.equal(result.connectedTo, `127.0.0.1:${port}`);
    assert.deepEqual(result.chain, []);
    assert.match(renderCertText(result), new RegExp(`^CERT UNKNOWN - www\\.example\\.test: interrupted during the TLS handshake with 127\\.0\\.0\\.1:${port}, before any certificate was read\\n`));
    for (let i = 0; i < 500 && tracker.sockets.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(tracker.sockets.size, 0, 'the connection is closed');
    // aborted before it starts: nothing is connected to
    const early = await runCertCheck(options, { signal: AbortSignal.abort() });
    assert.deepEqual({ status: early.status, interrupted: early.interrupted, during: early.interruptedDuring }, { status: 'UNKNOWN', interrupted: true, during: 'connect' });
    assert.equal(tracker.connections, 1);
  } finally {
    await servers.close();
  }
});

// issue 9.2 (found with the long chains): a certificate sent twice ended the walk of the chain received, so the rest was dropped and a good chain called UNTRUSTED_ROOT
test('a certificate sent twice is read twice: the chain is whole, trusted, and the copy is a CHAIN_ORDER warning', async () => {
  const { makeLadder } = await import('../helpers/long-chain.js');
  const ladder = await makeLadder(12);
  const chain = await ladder.chain(13);
  const pems = chain.certChainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g)!;
  const twice = { ...chain, certChainPem: [pems[0], pems[1], pems[1], ...pems.slice(2)].join('') };
  const [net, file] = await judgeBothWays(twice, ladder.rootPem, 'twice');
  for (const r of [net!, file!]) {
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.doc.chain.length, 14);
    assert.equal(r.doc.trusted, true);
    assert.deepEqual(r.doc.problems.map((p) => p.code), ['CHAIN_ORDER']);
    assert.match(r.doc.problems[0]!.message, /^certificate 2 \(a copy of certificate 1\) is not part of the chain/);
  }
});
