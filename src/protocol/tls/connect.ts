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

export interface TlsTarget {
  /** Address or name to connect to (the --connect-to address when given). */
  connectHost: string;
  port: number;
  /** SNI name; undefined for an IP target without --servername (SNI cannot carry an address). */
  servername?: string;
  timeoutMs: number;
}

export interface PeerChain {
  /** The certificates in the order the server sent them, leaf first. */
  certs: X509Certificate[];
  protocol: string;
  cipher: string;
  /** The OCSP response the server stapled, or null. */
  ocspResponse: Buffer | null;
  remoteAddress: string;
  handshakeMs: number;
}

/**
 * Handshake and read the chain. Throws NetlabError UNREACHABLE (refused, connect timeout,
 * name not found) or HANDSHAKE_FAILED (not TLS, no shared protocol, handshake timeout).
 */
export function fetchPeerChain(target: TlsTarget): Promise<PeerChain> {
  return new Promise((resolve, reject) => {
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
    const finish = (err?: NetlabError, value?: PeerChain) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
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
    // Node emits the event with null when the server staples nothing
    socket.on('OCSPResponse', (response: Buffer | null) => {
      ocspResponse = response && response.length > 0 ? response : null;
    });
    socket.once('connect', () => {
      connected = true;
    });
    socket.once('secureConnect', () => {
      const certs: X509Certificate[] = [];
      const seen = new Set<string>();
      // getPeerX509Certificate().issuerCertificate walks the chain in the order it was sent
      // (getPeerCertificate(true) re-sorts it and adds certificates from the local store).
      for (let c = socket.getPeerX509Certificate(); c && !seen.has(c.fingerprint256) && certs.length < 20; c = c.issuerCertificate) {
        seen.add(c.fingerprint256);
        certs.push(c);
      }
      if (certs.length === 0) {
        finish(new NetlabError('UNREACHABLE', `${where} sent no certificate`));
        return;
      }
      finish(undefined, {
        certs,
        protocol: socket.getProtocol() ?? 'unknown',
        cipher: socket.getCipher()?.standardName ?? socket.getCipher()?.name ?? 'unknown',
        ocspResponse,
        remoteAddress: socket.remoteAddress ?? target.connectHost,
        handshakeMs: performance.now() - started,
      });
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? '';
      if (!connected) {
        const why = code === 'ECONNREFUSED' ? 'connection refused' : code === 'ENOTFOUND' ? 'name not found' : code === 'EHOSTUNREACH' ? 'host unreachable' : e.message;
        finish(new NetlabError('UNREACHABLE', `cannot connect to ${where}: ${why}`, { cause: e }));
        return;
      }
      const plain = /wrong version number|packet length too long|unknown protocol|http request/i.test(e.message);
      const why = plain ? 'the server did not answer with TLS (a plain-HTTP port?)' : e.message.replace(/^.*routines:/, '');
      finish(new NetlabError('HANDSHAKE_FAILED', `TLS handshake with ${where} failed: ${why}`, { cause: e }));
    });
    socket.once('close', () => finish(new NetlabError('HANDSHAKE_FAILED', `${where} closed the connection during the TLS handshake`)));
  });
}
