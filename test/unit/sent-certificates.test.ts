/**
 * Node's getPeerX509Certificate() leaks every issuer certificate a server sends (a client's
 * X509Certificate::New dups each issuer off OpenSSL's peer chain and never frees the original),
 * so fetchPeerChain reads the certificates from the handshake's bytes (sent-certificates.ts).
 * These tests capture real handshakes from an OpenSSL server over loopback (Node's tls server:
 * TLS 1.0, 1.2, each TLS 1.3 suite, a HelloRetryRequest, a CertificateRequest) and check that
 * the reader gives exactly what getPeerX509Certificate gives on the same connection; that bad,
 * cut or shuffled input gives null and never throws; and that fetchPeerChain does not call
 * getPeerX509Certificate on a normal handshake.
 */
import 'reflect-metadata';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createRootCa, issueIntermediateCa, issueLeaf, DAY_MS, type LabCert } from '../../src/lab/tls/ca.js';
import { SentCertificatesReader, certificateListOf, hkdfExpandLabel } from '../../src/protocol/tls/sent-certificates.js';
import { fetchPeerChain, TappedSocket } from '../../src/protocol/tls/connect.js';

const WAIT_MS = 5000;

/** One handshake as the client saw it: the server's bytes (as they arrived), the key log, and the chain Node read. */
interface Capture {
  chunks: Buffer[];
  keylog: Buffer[];
  expected: Buffer[];
  protocol: string;
  cipher: string;
}

interface ServerCase {
  name: string;
  options: tls.TlsOptions;
  protocol: string;
  cipher?: string;
  /** The chain as the server sends it, in this order. */
  chain: 'in-order' | 'shuffled';
}

let leaf: LabCert;
let inOrder: string;
let shuffled: string;
let duplicated: string;
const servers: tls.Server[] = [];

before(async () => {
  const notBefore = new Date(Date.now() - DAY_MS);
  const notAfter = new Date(Date.now() + 30 * DAY_MS);
  const root = await createRootCa('tap root', { notBefore, notAfter });
  const intermediate = await issueIntermediateCa(root, 'tap intermediate', { notBefore, notAfter });
  leaf = await issueLeaf(intermediate, { dnsNames: ['www.example.test'], notBefore, notAfter });
  inOrder = leaf.certPem + intermediate.certPem + root.certPem;
  // sent out of order, as CHAIN_ORDER reports it: the reader must keep the order as sent
  shuffled = leaf.certPem + root.certPem + intermediate.certPem;
  // the intermediate sent twice: each copy is judged on its own
  duplicated = leaf.certPem + intermediate.certPem + intermediate.certPem;
});

after(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

async function serve(c: ServerCase): Promise<number> {
  const server = tls.createServer({ key: leaf.keyPem, cert: c.chain === 'in-order' ? inOrder : shuffled, ...c.options }, (s) => s.end());
  server.on('tlsClientError', () => {});
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Handshake through a TappedSocket, keep every byte and key log line, and walk the chain Node read. */
function capture(port: number): Promise<Capture> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const keylog: Buffer[] = [];
    const raw = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      raw.destroy();
      reject(new Error(`no handshake in ${WAIT_MS} ms`));
    }, WAIT_MS);
    raw.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    raw.once('connect', () => {
      const tapped = new TappedSocket(raw, (b) => chunks.push(Buffer.from(b)));
      const s = tls.connect({ socket: tapped, servername: 'www.example.test', rejectUnauthorized: false, ciphers: 'DEFAULT:@SECLEVEL=0', minVersion: 'TLSv1' });
      s.on('keylog', (line) => keylog.push(line));
      s.once('secureConnect', () => {
        clearTimeout(timer);
        const expected: Buffer[] = [];
        const seen = new Set<unknown>();
        for (let x = s.getPeerX509Certificate(); x && !seen.has(x) && expected.length < 10; x = x.issuerCertificate) {
          seen.add(x);
          expected.push(x.raw);
        }
        const cipher = s.getCipher().standardName ?? s.getCipher().name;
        const protocol = s.getProtocol() ?? '';
        s.destroy();
        raw.destroy();
        resolve({ chunks, keylog, expected, protocol, cipher });
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        raw.destroy();
        reject(e);
      });
    });
  });
}

function read(chunks: Buffer[], keylog: Buffer[], keyFirst = false): Buffer[] | null {
  const reader = new SentCertificatesReader();
  if (keyFirst) for (const l of keylog) reader.keylog(l);
  for (const c of chunks) reader.push(c);
  if (!keyFirst) for (const l of keylog) reader.keylog(l);
  return reader.certificates();
}

const CASES: ServerCase[] = [
  { name: 'TLS 1.0', options: { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' }, protocol: 'TLSv1', chain: 'in-order' },
  { name: 'TLS 1.2', options: { maxVersion: 'TLSv1.2' }, protocol: 'TLSv1.2', chain: 'in-order' },
  { name: 'TLS 1.2, chain out of order', options: { maxVersion: 'TLSv1.2' }, protocol: 'TLSv1.2', chain: 'shuffled' },
  { name: 'TLS 1.3 TLS_AES_128_GCM_SHA256', options: { minVersion: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256' }, protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', chain: 'in-order' },
  { name: 'TLS 1.3 TLS_AES_256_GCM_SHA384', options: { minVersion: 'TLSv1.3', ciphers: 'TLS_AES_256_GCM_SHA384' }, protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', chain: 'in-order' },
  { name: 'TLS 1.3 TLS_CHACHA20_POLY1305_SHA256', options: { minVersion: 'TLSv1.3', ciphers: 'TLS_CHACHA20_POLY1305_SHA256' }, protocol: 'TLSv1.3', cipher: 'TLS_CHACHA20_POLY1305_SHA256', chain: 'in-order' },
  { name: 'TLS 1.3, chain out of order', options: { minVersion: 'TLSv1.3' }, protocol: 'TLSv1.3', chain: 'shuffled' },
  // the client's first key share is X25519: a P-384-only server answers with a HelloRetryRequest
  { name: 'TLS 1.3 after a HelloRetryRequest', options: { minVersion: 'TLSv1.3', ecdhCurve: 'P-384' }, protocol: 'TLSv1.3', chain: 'in-order' },
  { name: 'TLS 1.3 with a CertificateRequest', options: { minVersion: 'TLSv1.3', requestCert: true }, protocol: 'TLSv1.3', chain: 'in-order' },
];

const captures = new Map<string, Capture>();

for (const c of CASES) {
  test(`${c.name}: the certificates read from the handshake's bytes are the ones getPeerX509Certificate gives, in the order sent`, async () => {
    const got = await capture(await serve(c));
    captures.set(c.name, got);
    assert.equal(got.protocol, c.protocol);
    if (c.cipher) assert.equal(got.cipher, c.cipher);
    assert.equal(got.expected.length, 3);
    if (c.chain === 'shuffled') assert.ok(got.expected[1]!.toString('latin1').includes('tap root'), 'sent out of order');
    const byChunk = read(got.chunks, got.keylog);
    assert.ok(byChunk, 'read');
    assert.deepEqual(byChunk, got.expected);
    // the key log before the bytes, and the bytes a byte at a time, give the same
    assert.deepEqual(read(got.chunks, got.keylog, true), got.expected);
    const bytes = [...Buffer.concat(got.chunks)].map((b) => Buffer.from([b]));
    assert.deepEqual(read(bytes, got.keylog), got.expected);
  });
}

function captured(name: string): Capture {
  const c = captures.get(name);
  assert.ok(c, `${name} was captured`);
  return c;
}

test('TLS 1.3 without the server handshake secret, or with a wrong one, reads nothing', () => {
  const c = captured('TLS 1.3 TLS_AES_128_GCM_SHA256');
  assert.equal(read(c.chunks, []), null);
  const wrong = c.keylog.map((l) => Buffer.from(l.toString('latin1').replace(/^(SERVER_HANDSHAKE_TRAFFIC_SECRET \S+ )(\S)/, (_, a: string, d: string) => a + (d === '0' ? '1' : '0'))));
  assert.equal(read(c.chunks, wrong), null);
  // the client's handshake secret in the server's place
  const client = c.keylog.map((l) => l.toString('latin1')).find((l) => l.startsWith('CLIENT_HANDSHAKE_TRAFFIC_SECRET '));
  assert.ok(client);
  assert.equal(read(c.chunks, [Buffer.from(client.replace('CLIENT_', 'SERVER_'))]), null);
});

test('cut, flipped or shuffled handshake bytes give null or the certificates, never a throw', () => {
  for (const name of ['TLS 1.2', 'TLS 1.3 TLS_CHACHA20_POLY1305_SHA256', 'TLS 1.3 after a HelloRetryRequest']) {
    const c = captured(name);
    const all = Buffer.concat(c.chunks);
    // every prefix: null until the whole Certificate message is in, then the certificates
    let firstRead = -1;
    for (let n = 0; n <= all.length; n++) {
      const got = read([all.subarray(0, n)], c.keylog);
      if (got === null) {
        assert.equal(firstRead, -1, `${name}: a longer prefix (${n}) reads nothing after ${firstRead} did`);
        continue;
      }
      if (firstRead === -1) firstRead = n;
      assert.deepEqual(got, c.expected);
    }
    assert.ok(firstRead > 0, `${name}: read at some prefix`);
    // every byte flipped, one at a time: no throw, and a TLS 1.3 record that fails its tag gives null
    for (let i = 0; i < all.length; i++) {
      const bad = Buffer.from(all);
      bad[i]! ^= 0x5a;
      const got = read([bad], c.keylog);
      assert.ok(got === null || Array.isArray(got));
    }
    // the records in another order
    assert.equal(read([all.subarray(100), all.subarray(0, 100)], c.keylog), null);
  }
});

test('garbage, HTTP and endless records give null without throwing, and stop early', () => {
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  for (let i = 0; i < 300; i++) {
    const junk = Buffer.from(Array.from({ length: Math.floor(random() * 2000) }, () => Math.floor(random() * 256)));
    // half of them look like TLS handshake records
    if (i % 2 === 0 && junk.length > 5) junk.set([22, 3, 3], 0);
    const reader = new SentCertificatesReader();
    reader.push(junk);
    reader.keylog(junk);
    assert.equal(reader.certificates(), null);
  }
  const http = new SentCertificatesReader();
  http.push(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'));
  assert.ok(http.finished);
  assert.equal(http.certificates(), null);
  // ChangeCipherSpec records without end: the reader gives up after a bounded number
  const ccs = Buffer.from([20, 3, 3, 0, 1, 1]);
  const endless = new SentCertificatesReader();
  for (let i = 0; i < 10_000 && !endless.finished; i++) endless.push(ccs);
  assert.ok(endless.finished);
  // a handshake message that says it is 16 MiB long
  const huge = new SentCertificatesReader();
  huge.push(Buffer.from([22, 3, 3, 0, 4, 2, 0xff, 0xff, 0xff]));
  assert.ok(huge.finished);
  assert.equal(huge.certificates(), null);
  // a record longer than TLS allows
  const long = new SentCertificatesReader();
  long.push(Buffer.from([22, 3, 3, 0xff, 0xff]));
  assert.ok(long.finished);
});

test('Certificate message bodies: lengths must add up exactly', () => {
  const der = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]);
  const entry12 = Buffer.concat([Buffer.from([0, 0, der.length]), der]);
  assert.deepEqual(certificateListOf(Buffer.concat([Buffer.from([0, 0, entry12.length]), entry12]), false), [der]);
  assert.equal(certificateListOf(Buffer.concat([Buffer.from([0, 0, entry12.length + 1]), entry12]), false), null);
  assert.equal(certificateListOf(Buffer.concat([Buffer.from([0, 0, entry12.length]), entry12, Buffer.from([0])]), false), null);
  const entry13 = Buffer.concat([entry12, Buffer.from([0, 0])]);
  assert.deepEqual(certificateListOf(Buffer.concat([Buffer.from([0, 0, 0, entry13.length]), entry13]), true), [der]);
  assert.equal(certificateListOf(Buffer.concat([Buffer.from([0, 0, 0, entry13.length]), entry13.subarray(0, -1)]), true), null);
  assert.deepEqual(certificateListOf(Buffer.from([0, 0, 0, 0]), true), []);
  assert.equal(certificateListOf(Buffer.alloc(0), true), null);
});

test('HKDF-Expand-Label agrees with RFC 8448 (simple 1-RTT handshake, server handshake keys)', () => {
  // RFC 8448 section 3: server_handshake_traffic_secret and the key and iv derived from it
  const secret = Buffer.from('b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38', 'hex');
  assert.equal(hkdfExpandLabel('sha256', secret, 'key', 16).toString('hex'), '3fce516009c21727d0f2e4e86ee403bc');
  assert.equal(hkdfExpandLabel('sha256', secret, 'iv', 12).toString('hex'), '5d313eb2671276ee13000b30');
});

test('fetchPeerChain reads the chain from the handshake, never through the leaking getPeerX509Certificate', async () => {
  const proto = tls.TLSSocket.prototype as { getPeerX509Certificate: tls.TLSSocket['getPeerX509Certificate'] };
  const original = proto.getPeerX509Certificate;
  let calls = 0;
  proto.getPeerX509Certificate = function (this: tls.TLSSocket) {
    calls++;
    return original.call(this);
  };
  try {
    for (const name of ['TLS 1.2', 'TLS 1.3 TLS_AES_256_GCM_SHA384', 'TLS 1.3, chain out of order', 'TLS 1.3 with a CertificateRequest']) {
      const c = CASES.find((x) => x.name === name)!;
      const port = await serve(c);
      const peer = await fetchPeerChain({ connectHost: '127.0.0.1', port, servername: 'www.example.test', timeoutMs: WAIT_MS });
      assert.deepEqual(peer.certs.map((x) => x.raw), captured(name).expected, name);
      assert.equal(peer.protocol, c.protocol);
      assert.equal(peer.truncated, false);
      assert.equal(peer.remoteAddress, '127.0.0.1');
    }
  } finally {
    proto.getPeerX509Certificate = original;
  }
  assert.equal(calls, 0);
});

test('fetchPeerChain parses a certificate once for the same bytes, and a certificate sent twice in one chain is two objects', async () => {
  const server = tls.createServer({ key: leaf.keyPem, cert: duplicated }, (s) => s.end());
  server.on('tlsClientError', () => {});
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const first = await fetchPeerChain({ connectHost: '127.0.0.1', port, servername: 'www.example.test', timeoutMs: WAIT_MS });
  const second = await fetchPeerChain({ connectHost: '127.0.0.1', port, servername: 'www.example.test', timeoutMs: WAIT_MS });
  assert.equal(first.certs.length, 3);
  assert.deepEqual(second.certs.map((c) => c.raw), first.certs.map((c) => c.raw));
  assert.ok(first.certs[1]!.raw.equals(first.certs[2]!.raw));
  assert.notEqual(first.certs[1], first.certs[2]);
  // the same bytes again: the objects parsed for the first handshake
  assert.equal(second.certs[0], first.certs[0]);
  assert.equal(second.certs[1], first.certs[1]);
});
