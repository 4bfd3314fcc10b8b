/**
 * Connect with TLS and take the chain exactly as the server sent it. Verification is done
 * by chain.ts, afterwards and completely, so the handshake itself must not stop at the first
 * problem: `rejectUnauthorized: false` here is collection, not trust, and nothing is sent
 * over the connection. SECLEVEL=0 lets a weak chain (RSA 1024, SHA-1) through the handshake
 * so that it can be reported as WEAK_KEY / WEAK_SIGNATURE instead of an opaque failure.
 */
import tls from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import { NetlabError } from '../../errors.js';
import { formatHostPort } from '../../util/host-port.js';
import { socketErrorReason } from '../../util/net-errors.js';
import { roundMs } from '../../util/round.js';

/** Where {@link fetchPeerChain} connects, and how long it may take. */
export interface TlsTarget {
  /** Address or name to connect to (resolved by the system resolver when a name). */
  connectHost: string;
  /** TCP port, 1 to 65535. */
  port: number;
  /** SNI name; undefined sends none (SNI cannot carry an IP address, RFC 6066 3). */
  servername?: string;
  /** Milliseconds for connecting and the handshake together. */
  timeoutMs: number;
  /** Aborting it stops the connection at once: fetchPeerChain rejects with HandshakeInterrupted. */
  signal?: AbortSignal;
}

/** The most certificates read from a Certificate message: more than OpenSSL's 100 KiB cap on that message can carry. */
export const MAX_SENT_CERTS = 1000;

/** fetchPeerChain was stopped by its signal, while connecting or during the handshake. */
export class HandshakeInterrupted extends Error {
  constructor(readonly stage: 'connect' | 'handshake') {
    super(stage === 'connect' ? 'interrupted while connecting' : 'interrupted during the TLS handshake');
    this.name = 'HandshakeInterrupted';
  }
}

/** The errors OpenSSL gives when what arrives is not a TLS record at all (a plain-HTTP port, garbage). */
const NOT_TLS = /^(wrong version number|packet length too long|unknown protocol|http request|https proxy request)$/;

/**
 * Why a handshake failed, in one clean line (after "TLS handshake with X failed: "): OpenSSL's reason (Node's `reason`, or the reason
 * field of its "error:CODE:LIB:FUNC:REASON:FILE:LINE" message), never the function names, file
 * paths and line numbers of the OpenSSL build that the raw message carries.
 */
export function handshakeFailureReason(e: NodeJS.ErrnoException & { reason?: unknown }): string {
  if (/disconnected before secure TLS connection/i.test(e.message)) return 'the server closed the connection during the handshake';
  if (e.code === 'ECONNRESET') return 'the server reset the connection during the handshake';
  if (e.code === 'EPIPE') return 'the server closed the connection during the handshake';
  const fromMessage = /error:[0-9A-Fa-f]+:[^:\n]*:[^:\n]*:([^:\n]+)/.exec(e.message)?.[1];
  const reason = (typeof e.reason === 'string' && e.reason ? e.reason : fromMessage ?? '').trim().toLowerCase();
  if (NOT_TLS.test(reason)) return 'the server sent something that is not TLS (a plain-HTTP port, or garbage)';
  const alert = /^(?:sslv3|tlsv1(?:\.\d)?) alert (.+)$/.exec(reason);
  if (alert) return `the server refused the handshake (TLS alert: ${alert[1]})`;
  // OpenSSL reasons are a few lower-case words; anything else is kept to its words and cut short
  const words = (reason || (e.code && /^[A-Z0-9_]+$/.test(e.code) ? e.code : '')).replace(/[^a-z0-9 ._()-]+/gi, ' ').replace(/\s+/g, ' ').trim().slice(0, 100);
  return words || 'no reason given';
}

/** What a TLS server sent in its handshake, as {@link fetchPeerChain} read it. */
export interface PeerChain {
  /** The certificates in the order the server sent them, leaf first. */
  certs: X509Certificate[];
  /** The TLS version negotiated: TLSv1.3, TLSv1.2, ... */
  protocol: string;
  /** The cipher suite's IANA name (OpenSSL's when Node gives no standard name). */
  cipher: string;
  /** The OCSP response the server stapled, or null. */
  ocspResponse: Buffer | null;
  /** The server sent more than MAX_SENT_CERTS certificates: `certs` holds the first ones. */
  truncated: boolean;
  /** The address connected to. */
  remoteAddress: string;
  /** Milliseconds from the start of the connection to the end of the handshake, to the microsecond. */
  handshakeMs: number;
}

/**
 * Handshake and read the chain. Throws NetlabError UNREACHABLE (refused, connect timeout,
 * name not found) or HANDSHAKE_FAILED (not TLS, no shared protocol, handshake timeout), and
 * HandshakeInterrupted when `signal` aborts; the socket is closed and the timer cleared on every way out.
 */
export function fetchPeerChain(target: TlsTarget): Promise<PeerChain> {
  return new Promise((resolve, reject) => {
    if (target.signal?.aborted) {
      reject(new HandshakeInterrupted('connect'));
      return;
    }
    const started = performance.now();
    let ocspResponse: Buffer | null = null;
    let done = false;
    let connected = false;
    // requestOCSP is passed on to the TLSSocket by tls.connect, though @types/node omits it there
    const options: tls.ConnectionOptions & { requestOCSP: boolean } = {
      host: target.connectHost,
      port: target.port,
      servername: target.servername,
      rejectUnauthorized: false,
      requestOCSP: true,
      ciphers: 'DEFAULT:@SECLEVEL=0',
      minVersion: 'TLSv1' as const,
      ALPNProtocols: ['http/1.1'],
    };
    const socket = tls.connect(options);
    const finish = (err?: Error, value?: PeerChain) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      target.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    const where = formatHostPort({ address: target.connectHost, port: target.port });
    const timer = setTimeout(() => {
      finish(connected
        ? new NetlabError('HANDSHAKE_FAILED', `TLS handshake with ${where} timed out after ${target.timeoutMs} ms (is it a TLS port?)`)
        : new NetlabError('UNREACHABLE', `connection to ${where} timed out after ${target.timeoutMs} ms`));
    }, target.timeoutMs);
    const onAbort = () => finish(new HandshakeInterrupted(connected ? 'handshake' : 'connect'));
    target.signal?.addEventListener('abort', onAbort, { once: true });
    // Node emits the event with null when the server staples nothing
    socket.on('OCSPResponse', (response: Buffer | null) => {
      ocspResponse = response && response.length > 0 ? response : null;
    });
    socket.once('connect', () => {
      connected = true;
    });
    socket.once('secureConnect', () => {
      const certs: X509Certificate[] = [];
      const seen = new Set<X509Certificate>();
      // getPeerX509Certificate().issuerCertificate walks the chain in the order it was sent
      // (getPeerCertificate(true) re-sorts it and adds certificates from the local store).
      // A certificate sent twice is kept twice (it is an extra, not the end of the chain); the
      // walk ends at null, and the object identity check and MAX_SENT_CERTS bound it anyway.
      let c = socket.getPeerX509Certificate();
      for (; c && !seen.has(c) && certs.length < MAX_SENT_CERTS; c = c.issuerCertificate) {
        seen.add(c);
        certs.push(c);
      }
      const truncated = Boolean(c && !seen.has(c));
      if (certs.length === 0) {
        finish(new NetlabError('UNREACHABLE', `${where} sent no certificate`));
        return;
      }
      finish(undefined, {
        certs,
        protocol: socket.getProtocol() ?? 'unknown',
        cipher: socket.getCipher()?.standardName ?? socket.getCipher()?.name ?? 'unknown',
        ocspResponse,
        truncated,
        remoteAddress: socket.remoteAddress ?? target.connectHost,
        handshakeMs: roundMs(performance.now() - started),
      });
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? '';
      // ECONNRESET while connecting: the server accepted the connection, then reset it (refusing is ECONNREFUSED)
      if (!connected && code !== 'ECONNRESET' && code !== 'EPIPE') {
        finish(new NetlabError('UNREACHABLE', `cannot connect to ${where}: ${socketErrorReason(e)}`, { cause: e }));
        return;
      }
      finish(new NetlabError('HANDSHAKE_FAILED', `TLS handshake with ${where} failed: ${handshakeFailureReason(e)}`, { cause: e }));
    });
    socket.once('close', () => finish(new NetlabError('HANDSHAKE_FAILED', `${where} closed the connection during the TLS handshake`)));
  });
}
