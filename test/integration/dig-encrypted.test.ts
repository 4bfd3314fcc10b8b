/**
 * issue 14: netlab dig over DoT, DoH (POST, GET) and DoH over h2c against the lab's DNS
 * servers behind their encrypted fronts (src/lab/dns/encrypted.ts, certificates from a lab
 * CA), plus the broken servers a user meets: a DoH endpoint that answers HTML, an HTTP/1.1-only
 * server, a certificate from another CA or for another name, a closed port. Most cases run in
 * this process (digHere); a few spawn the binary (exit codes, stdin).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDnsLab, type DnsLab } from '../../src/lab/dns/index.js';
import { startEncryptedDnsFronts, type EncryptedDnsLab } from '../../src/lab/dns/encrypted.js';
import { createLabPki, DAY_MS, issueLeaf, type LabCert, type LabPki } from '../../src/lab/tls/ca.js';
import { lookup } from '../../src/protocol/dns/lookup.js';
import { EncryptedPool } from '../../src/protocol/dns/encrypted.js';
import { runCli } from '../helpers/cli.js';
import { digHere } from '../helpers/dig.js';
import { testKeySource } from '../helpers/test-keys.js';

let dns: DnsLab;
let pki: LabPki;
let fronts: EncryptedDnsLab;
/** A front on ns2 that ends each DoT connection after 4 answers. */
let limited: EncryptedDnsLab;
let dir: string;
let caFile: string;
let otherCaFile: string;
let leaf: LabCert;
let ns1: string;
const closers: Array<() => Promise<void>> = [];
/** Who asked the limited front (the answer function is told, for a GSLB that answers by source address). */
const clients = new Set<string>();

function listenOn(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

function closing(server: net.Server, sockets = new Set<net.Socket>()): void {
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  closers.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
}

before(async () => {
  dns = await startDnsLab({ port: 0 });
  pki = await createLabPki(new Date(), testKeySource());
  ns1 = dns.addresses.ns1Example;
  const answerOf = (address: string) => {
    const s = dns.servers.find((x) => x.address === address)!;
    return (q: Buffer) => s.respond(q, 'tcp');
  };
  fronts = await startEncryptedDnsFronts(pki, [
    { name: 'ns1.example.test', address: ns1, answer: answerOf(ns1) },
    { name: 'ns2.example.test', address: dns.addresses.ns2Example, answer: answerOf(dns.addresses.ns2Example) },
  ]);
  const ns2Answer = answerOf(dns.addresses.ns2Example);
  limited = await startEncryptedDnsFronts(pki, [{
    name: 'ns2.example.test',
    address: dns.addresses.ns2Example,
    answer: (q, client) => {
      clients.add(`${client.transport} ${client.address}`);
      return ns2Answer(q);
    },
  }], {}, { maxQueriesPerConnection: 4 });
  dir = await mkdtemp(join(tmpdir(), 'netlab-dig-encrypted-'));
  caFile = join(dir, 'lab-root.pem');
  otherCaFile = join(dir, 'other-root.pem');
  await writeFile(caFile, pki.root.certPem);
  await writeFile(otherCaFile, pki.untrustedRoot.certPem);
  await writeFile(join(dir, 'not-a-ca.pem'), 'hello\n');
  const t = Date.now();
  leaf = await issueLeaf(pki.intermediate, { dnsNames: ['doh.example.test'], ipAddresses: ['127.0.0.1'], notBefore: new Date(t - DAY_MS), notAfter: new Date(t + DAY_MS) });
});

after(async () => {
  await Promise.all([fronts?.close(), limited?.close(), dns?.close(), ...closers.map((c) => c())]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const at = (port: number) => [`@${ns1}`, '-p', String(port)];

test('every transport gets the same answer records as UDP, and the footer names it', async () => {
  const udp = await digHere([`@${ns1}`, '-p', String(dns.port), 'example.test', 'MX', '+json']);
  const want = JSON.parse(udp.stdout).answer.map((r: { data: string }) => r.data);
  assert.deepEqual(want, ['10 mail.example.test.', '20 mail2.example.test.']);
  const p = fronts.ports;
  const cases: Array<[string[], string, number]> = [
    [['+tls'], 'TLS', p.dot],
    [['+https'], 'HTTPS', p.doh],
    [['+https-get'], 'HTTPS', p.doh],
    [['+https=/dns-query'], 'HTTPS', p.doh],
    [['+http-plain'], 'HTTP', p.h2c],
    [['+http-plain-get'], 'HTTP', p.h2c],
  ];
  for (const [flags, label, port] of cases) {
    const json = await digHere([...at(port), ...flags, 'example.test', 'MX', '+json']);
    assert.equal(json.code, 0, `${flags}: ${json.stderr}${json.stdout}`);
    const r = JSON.parse(json.stdout);
    assert.deepEqual(r.answer.map((x: { data: string }) => x.data), want, flags.join(' '));
    assert.equal(r.query.transport, { TLS: 'tls', HTTPS: 'https', HTTP: 'http-plain' }[label]);
    const text = await digHere([...at(port), ...flags, 'example.test', 'MX']);
    assert.match(text.stdout, new RegExp(`;; SERVER: 127\\.53\\.0\\.3#${port}\\(127\\.53\\.0\\.3\\) \\(${label}\\)\\n`), flags.join(' '));
  }
});

test('no CA and no name: the opportunistic profile, said in the text and in JSON', async () => {
  const text = await digHere([...at(fronts.ports.dot), '+tls', 'www.example.test']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /\n;; TLS: TLSv1\.3, [A-Z0-9_]+, ALPN dot; certificate NOT verified \(opportunistic profile, RFC 8310: encrypted, not authenticated\)\n/);
  const json = JSON.parse((await digHere([...at(fronts.ports.doh), '+https', 'www.example.test', '+json'])).stdout);
  assert.equal(json.query.tls.profile, 'opportunistic');
  assert.equal(json.query.tls.verified, false);
  assert.equal(json.query.tls.alpn, 'h2');
  assert.equal(json.query.tls.protocol, 'TLSv1.3');
  assert.equal(json.query.tls.subject, 'ns1.example.test');
  // +short has no comment lines: the note goes to stderr
  const short = await digHere([...at(fronts.ports.dot), '+tls', 'www.example.test', '+short']);
  assert.equal(short.stdout, '192.0.2.10\n');
  assert.match(short.stderr, /TLS certificate not verified \(opportunistic profile/);
});

test('+tls-ca with the lab CA verifies: by the address, or by +tls-hostname', async () => {
  const byAddress = JSON.parse((await digHere([...at(fronts.ports.dot), `+tls-ca=${caFile}`, 'www.example.test', '+json'])).stdout);
  assert.equal(byAddress.status, 'OK');
  assert.equal(byAddress.query.transport, 'tls'); // +tls-ca alone implies +tls, as in dig
  assert.deepEqual({ profile: byAddress.query.tls.profile, verified: byAddress.query.tls.verified, hostname: byAddress.query.tls.hostname }, { profile: 'strict', verified: true, hostname: ns1 });
  const byName = await digHere([...at(fronts.ports.doh), '+https-get', `+tls-ca=${caFile}`, '+tls-hostname=ns1.example.test', 'www.example.test', 'AAAA']);
  assert.equal(byName.code, 0, byName.stdout);
  assert.match(byName.stdout, /\tAAAA\t2001:db8::10\n/);
  assert.match(byName.stdout, /;; TLS: TLSv1\.3, [A-Z0-9_]+, ALPN h2; certificate verified for ns1\.example\.test \(strict profile\)\n/);
});

test('a certificate from another CA, or for another name: one line, exit 2', async () => {
  const otherCa = await digHere([...at(fronts.ports.dot), `+tls-ca=${otherCaFile}`, 'www.example.test']);
  assert.equal(otherCa.code, 2);
  const lines = otherCa.stdout.split('\n').filter((l) => l.startsWith(';; '));
  assert.deepEqual(lines, [';; global options: +cmd', `;; TLS certificate of ${ns1}#${fronts.ports.dot} not verified for ${ns1}: issuer not trusted (unable to get the issuer certificate locally)`]);
  const wrongName = await digHere([...at(fronts.ports.doh), '+https', `+tls-ca=${caFile}`, '+tls-hostname=wrong.example.test', 'www.example.test', '+json']);
  assert.equal(wrongName.code, 2);
  const r = JSON.parse(wrongName.stdout);
  assert.equal(r.problems[0].code, 'TLS_FAILED');
  assert.match(r.error, /^TLS certificate of 127\.53\.0\.3#\d+ not verified for wrong\.example\.test: hostname mismatch \(Host: wrong\.example\.test\. is not in the cert's altnames: DNS:ns1\.example\.test, IP Address:127\.53\.0\.3\)$/);
  assert.deepEqual(r.query.tls, { profile: 'strict', verified: false });
  // a batch: every query gets the same one-line error (the handshake is not retried per query)
  const batch = await digHere([...at(fronts.ports.dot), `+tls-ca=${otherCaFile}`, 'a.example.test', 'b.example.test', 'c.example.test', '+json']);
  assert.equal(batch.code, 2);
  assert.deepEqual(JSON.parse(batch.stdout).map((x: { problems: Array<{ code: string }> }) => x.problems.map((p) => p.code).join()), ['TLS_FAILED', 'TLS_FAILED', 'TLS_FAILED']);
  // +tls-hostname alone verifies against the system's roots, which do not hold the lab CA
  const system = await digHere([...at(fronts.ports.dot), '+tls-hostname=ns1.example.test', 'www.example.test', '+json']);
  assert.equal(system.code, 2);
  assert.equal(JSON.parse(system.stdout).problems[0].code, 'TLS_FAILED');
});

test('a -f batch over DoT uses one connection, over DoH one HTTP/2 session', async () => {
  const front = fronts.front(ns1)!;
  const before = { ...front.stats };
  const names = Array.from({ length: 40 }, (_, i) => (i % 2 ? 'www.example.test' : `nx${i}.example.test`));
  const file = join(dir, 'batch.txt');
  await writeFile(file, `${names.join('\n')}\n`);
  const dot = await digHere([...at(fronts.ports.dot), '+tls', `+tls-ca=${caFile}`, '-f', file, '--concurrency', '8', '+json']);
  const results = JSON.parse(dot.stdout);
  assert.equal(results.length, 40);
  assert.deepEqual(results.map((r: { rcode: string }) => r.rcode), names.map((n) => (n.startsWith('www') ? 'NOERROR' : 'NXDOMAIN')));
  assert.equal(front.stats.dotConnections - before.dotConnections, 1);
  assert.equal(front.stats.dotQueries - before.dotQueries, 40);
  const doh = await digHere([...at(fronts.ports.doh), '+https', '-f', file, '--concurrency', '8', '+short']);
  assert.equal(doh.stdout, '192.0.2.10\n'.repeat(20));
  assert.equal(front.stats.dohSessions - before.dohSessions, 1);
  assert.equal(front.stats.dohQueries - before.dohQueries, 40);
  const h2c = await digHere([...at(fronts.ports.h2c), '+http-plain-get', '-f', file, '+short']);
  assert.equal(h2c.stdout, '192.0.2.10\n'.repeat(20));
  assert.equal(front.stats.h2cSessions - before.h2cSessions, 1);
});

test('a server that ends each DoT connection after 4 answers: the batch reconnects and every query is answered', async () => {
  const front = limited.fronts[0]!;
  const pool = new EncryptedPool();
  try {
    const results = await Promise.all(Array.from({ length: 10 }, () => lookup({
      name: 'www.example.test', server: dns.addresses.ns2Example, port: limited.ports.dot, transport: 'tls', connections: pool, timeoutMs: 3000,
    })));
    assert.deepEqual(results.map((r) => r.answer[0]?.data), Array(10).fill('192.0.2.10'));
    assert.equal(front.stats.dotConnections, 3);
    assert.equal(pool.opened, 3);
    assert.deepEqual([...clients], ['dot 127.0.0.1']);
  } finally {
    await pool.close();
  }
});

test('a DoH server that ends each session after 4 streams (GOAWAY): every query of a batch is answered on a new session', async () => {
  const front = limited.fronts[0]!;
  const pool = new EncryptedPool();
  try {
    const answers: Array<string | undefined> = [];
    for (let i = 0; i < 10; i++) {
      const r = await lookup({ name: 'www.example.test', server: dns.addresses.ns2Example, port: limited.ports.doh, transport: 'https', connections: pool, timeoutMs: 3000 });
      answers.push(r.answer[0]?.data ?? r.error);
    }
    assert.deepEqual(answers, Array(10).fill('192.0.2.10'));
    assert.equal(front.stats.dohSessions, 3);
    assert.equal(front.stats.dohQueries, 10);
  } finally {
    await pool.close();
  }
});

test('a single query opens and closes its own connection', async () => {
  const front = fronts.front(dns.addresses.ns2Example)!;
  const before = front.stats.dotConnections;
  const r = await lookup({ name: 'www.example.test', server: dns.addresses.ns2Example, port: fronts.ports.dot, transport: 'tls' });
  assert.equal(r.status, 'OK');
  assert.equal(front.stats.dotConnections - before, 1);
});

test('a DoH server that answers HTML: one line, exit 2', async () => {
  const server = http2.createSecureServer({ cert: leaf.certPem + pki.intermediate.certPem, key: leaf.keyPem });
  server.on('stream', (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'text/html; charset=utf-8' });
    stream.end('<!doctype html><title>Welcome</title><p>It works!</p>');
  });
  closing(server);
  const port = await listenOn(server);
  const r = await digHere(['@127.0.0.1', '-p', String(port), '+https', 'www.example.test']);
  assert.equal(r.code, 2);
  assert.match(r.stdout, new RegExp(`\\n;; DoH server 127\\.0\\.0\\.1#${port} answered text/html instead of application/dns-message \\(not a DoH endpoint\\?\\)\\n$`));
  // and a 404 for another path
  const server404 = await digHere(['@127.0.0.1', '-p', String(port), '+https=/nothing-here', 'www.example.test', '+json']);
  assert.equal(server404.code, 2);
  assert.equal(JSON.parse(server404.stdout).problems[0].code, 'DOH_FAILED');
  const lab404 = await digHere([...at(fronts.ports.doh), '+https=/nothing-here', 'www.example.test', '+json']);
  assert.equal(JSON.parse(lab404.stdout).error, `DoH server ${ns1}#${fronts.ports.doh} answered HTTP 404 for /nothing-here`);
});

test('an HTTP/1.1-only server, over TLS and in clear: one line, exit 2', async () => {
  const h1 = https.createServer({ cert: leaf.certPem + pki.intermediate.certPem, key: leaf.keyPem }, (_req, res) => res.end('hello'));
  closing(h1);
  const h1Port = await listenOn(h1);
  const overTls = await digHere(['@127.0.0.1', '-p', String(h1Port), '+https', 'www.example.test', '+json']);
  assert.equal(overTls.code, 2);
  const e1 = JSON.parse(overTls.stdout);
  assert.equal(e1.problems[0].code, 'DOH_FAILED');
  assert.equal(e1.error, `DoH server 127.0.0.1#${h1Port} does not speak HTTP/2 (it refused ALPN h2: HTTP/1.1 only?)`);
  const plain = http.createServer((_req, res) => res.end('hello'));
  closing(plain);
  const plainPort = await listenOn(plain);
  const clear = await digHere(['@127.0.0.1', '-p', String(plainPort), '+http-plain', 'www.example.test', '+json', '+time=2']);
  assert.equal(clear.code, 2);
  const e2 = JSON.parse(clear.stdout);
  assert.equal(e2.problems[0].code, 'DOH_FAILED');
  assert.match(e2.error, new RegExp(`^DoH server 127\\.0\\.0\\.1#${plainPort} (does not speak HTTP/2 with prior knowledge \\(h2c\\)|closed the connection before HTTP/2 started)`));
});

test('a closed port: one line, exit 2; the binary from stdin (-f -); a bad +tls-ca file: exit 3', async () => {
  const closed = net.createServer();
  const port = await listenOn(closed);
  await new Promise<void>((r) => closed.close(() => r()));
  const refused = await runCli(['dig', '@127.0.0.1', '-p', String(port), '+tls', 'www.example.test']);
  assert.equal(refused.code, 2);
  assert.match(refused.stdout, new RegExp(`\\n;; communications error to 127\\.0\\.0\\.1#${port}: connection refused\\n$`));
  const stdin = await runCli(['dig', ...at(fronts.ports.dot), `+tls-ca=${caFile}`, '-f', '-', '+short'], { input: 'www.example.test\nexample.test MX\n' });
  assert.equal(stdin.code, 0, stdin.stderr);
  assert.equal(stdin.stdout, '192.0.2.10\n10 mail.example.test.\n20 mail2.example.test.\n');
  assert.equal(stdin.stderr, '');
  const bad = await digHere([...at(fronts.ports.dot), `+tls-ca=${join(dir, 'not-a-ca.pem')}`, 'www.example.test']);
  assert.equal(bad.code, 3);
  assert.equal(bad.stderr, `netlab dig: +tls-ca file '${join(dir, 'not-a-ca.pem')}' holds no PEM certificate\n`);
  const missing = await digHere([...at(fronts.ports.dot), `+tls-ca=${join(dir, 'none.pem')}`, 'www.example.test']);
  assert.equal(missing.code, 3);
  assert.equal(missing.stderr, `netlab dig: cannot read +tls-ca file '${join(dir, 'none.pem')}': no such file\n`);
});

test('+trace with +tls says it traces over UDP', async () => {
  const r = await digHere([`@${dns.root}`, '-p', String(dns.port), '+trace', '+tls', 'www.example.test']);
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stderr, /\+trace asks every server over UDP \(name servers do not speak DoT\/DoH\): \+tls not used for it/);
  assert.match(r.stdout, /\twww\.example\.test\.\t+300\tIN\tA\t192\.0\.2\.10\n|www\.example\.test\.\t300\tIN\tA\t192\.0\.2\.10\n/);
});
