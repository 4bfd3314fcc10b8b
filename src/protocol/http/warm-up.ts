/**
 * The first request of a Node process is slower than the next ones for reasons that have
 * nothing to do with the network: the first net.connect and TLS handshake of the process,
 * and the exchange's connect, request, parser and body code running for the first time (not
 * yet compiled by V8's JIT). Timed, that lands in the tcp, tls, ttfb and transfer phases of a
 * one-sample run (about 16 ms in all on the bench machine, docs/benchmarks.md section 6).
 *
 * warmUp() pays that cost before anything is measured: one request through the same timing
 * engine to a throwaway HTTP or HTTPS server of our own on 127.0.0.1 (port 0), with a
 * self-signed certificate that exists only for this purpose, so certificate verification
 * runs too. Nothing leaves the machine, nothing is sent to the user's server, and every
 * failure is ignored: a warm-up that does not happen only makes the first sample slower.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { timeRequest } from './timing.js';

// Self-signed EC P-256, CN and SAN warm-up.netlab.invalid and 127.0.0.1, valid until 2126.
// Not a secret: it guards nothing but the warm-up connection to ourselves.
const KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgYvH2DdtKygsCeWNb
GSQW3tfxgW1d7nabzDmekSf0IeOhRANCAAQRpmDeZ0ymorpNubG9eagQl9OKEaQL
DE5kG+DiQCOFLV6KgmdbOt0Hl6g0vpl3JiUfc3Famd7VNciBN7s0mkgP
-----END PRIVATE KEY-----
`;
const CERT = `-----BEGIN CERTIFICATE-----
MIIBwjCCAWigAwIBAgIUaU43DfbLZcW9pWe/t7ywiTa/95QwCgYIKoZIzj0EAwIw
ITEfMB0GA1UEAwwWd2FybS11cC5uZXRsYWIuaW52YWxpZDAgFw0yNjExMjMxMTAz
MDNaGA8yMTI2MTAzMDExMDMwM1owITEfMB0GA1UEAwwWd2FybS11cC5uZXRsYWIu
aW52YWxpZDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABBGmYN5nTKaiuk25sb15
qBCX04oRpAsMTmQb4OJAI4UtXoqCZ1s63QeXqDS+mXcmJR9zcVqZ3tU1yIE3uzSa
SA+jfDB6MB0GA1UdDgQWBBTjDFATZuoSlZXHy2gNfp0FegHZ0TAfBgNVHSMEGDAW
gBTjDFATZuoSlZXHy2gNfp0FegHZ0TAPBgNVHRMBAf8EBTADAQH/MCcGA1UdEQQg
MB6CFndhcm0tdXAubmV0bGFiLmludmFsaWSHBH8AAAEwCgYIKoZIzj0EAwIDSAAw
RQIhAIbqdmFLhKqr1u1CrPO/Ku2ujB2gMnKbyc6ImmdFgMTMAiBKMg6cSatGsp6T
89nNMUPhPLm++07qV/s+SsFLs7pkwg==
-----END CERTIFICATE-----
`;

/** The warm-ups this process has done (or is doing), by kind: each is paid once per process. */
const done = new Map<string, Promise<void>>();

/**
 * One throwaway request to ourselves over HTTPS (or HTTP), at most `timeoutMs` (ms, default 2000). With
 * `defaultRoots` (the real requests trust Node's default roots), that store is built now too:
 * Node builds it at the first TLS connection that uses it. Once per process and kind: a later
 * call (the 300 trace-request checks of one `netlab check` run) waits for the first one's.
 * Never throws.
 */
export function warmUp(secure: boolean, opts: { defaultRoots?: boolean; timeoutMs?: number; signal?: AbortSignal; http2?: boolean } = {}): Promise<void> {
  const key = `${secure}:${opts.defaultRoots === true}:${secure && opts.http2 === true}`;
  let warm = done.get(key);
  if (!warm) {
    warm = warmUpOnce(secure, opts);
    done.set(key, warm);
  }
  return warm;
}

async function warmUpOnce(secure: boolean, opts: { defaultRoots?: boolean; timeoutMs?: number; signal?: AbortSignal; http2?: boolean }): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 2000;
  if (secure && opts.defaultRoots) tls.createSecureContext();
  const handler = (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.setHeader('content-type', 'text/plain');
    res.end('warm\n');
  };
  // issue 15: h2 samples pay node:http2's loading and first session here instead
  const h2 = secure && opts.http2 === true;
  const server: http.Server | import('node:http2').Http2SecureServer = h2
    ? (await import('node:http2')).createSecureServer({ key: KEY, cert: CERT, allowHTTP1: true }, handler as never)
    : secure ? https.createServer({ key: KEY, cert: CERT }, handler) : http.createServer(handler);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const url = new URL(`${secure ? 'https' : 'http'}://warm-up.netlab.invalid:${port}/`);
    await timeRequest(url, { pinAddress: '127.0.0.1', ca: [CERT], timeoutMs, maxTimeMs: timeoutMs, signal: opts.signal, http2: h2 });
  } catch {
    // a warm-up that fails changes nothing but the first sample's speed
  } finally {
    if ('closeAllConnections' in server) server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
