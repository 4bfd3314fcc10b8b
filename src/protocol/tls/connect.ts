/**
 * Connect with TLS and take the chain exactly as the server sent it. Verification is done
 * by chain.ts, afterwards and completely, so the handshake itself must not stop at the first
 * problem: `rejectUnauthorized: false` here is collection, not trust, and nothing is sent
 * over the connection. SECLEVEL=0 lets a weak chain (RSA 1024, SHA-1) through the handshake
 * so that it can be reported as WEAK_KEY / WEAK_SIGNATURE instead of an opaque failure.
 */
import net from 'node:net';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { Duplex } from 'node:stream';
import { NetlabError } from '../../errors.js';
import { formatHostPort } from '../../util/host-port.js';
import { socketErrorReason } from '../../util/net-errors.js';
import { roundMs } from '../../util/round.js';
import { SentCertificatesReader } from './sent-certificates.js';
import { negotiateStartTls, StartTlsFailed, type StartTlsInfo, type StartTlsProtocol } from './starttls.js';

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
  /** Speak this protocol's STARTTLS dialogue (starttls.ts) before the handshake. */
  starttls?: StartTlsProtocol;
  /** The XMPP stream's domain (`to`) for STARTTLS xmpp: the name the certificate is checked for. */
  starttlsDomain?: string;
}

/**
 * How long, at most, to wait after a TLS 1.3 handshake for the verdict of a server that asked
 * for a client certificate (in TLS 1.3 the client's empty Certificate goes with its Finished:
 * the server's refusal, alert 116, or its session tickets come after the handshake). A server
 * that sends neither in this time is taken to accept the connection without a certificate.
 */
export const CLIENT_CERT_VERDICT_MS = 1000;

/** The most certificates read from a Certificate message: more than OpenSSL's 100 KiB cap on that message can carry. */
export const MAX_SENT_CERTS = 1000;

/** fetchPeerChain was stopped by its signal, while connecting or during the handshake. */
export class HandshakeInterrupted extends Error {
  constructor(readonly stage: 'connect' | 'starttls' | 'handshake') {
    super(stage === 'connect' ? 'interrupted while connecting' : stage === 'starttls' ? 'interrupted during the STARTTLS dialogue' : 'interrupted during the TLS handshake');
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
  const alert = /^(?:sslv3|tlsv1(?:\.?\d)?) alert (.+)$/.exec(reason);
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
  /**
   * Whether the server asked for a client certificate (a CertificateRequest: TLS 1.2 and 1.3
   * only, where it carries signature algorithms), and whether it then refused the connection
   * without one (`required`): the chain is the one it sent before.
   */
  clientCertificate: 'not-requested' | 'requested' | 'required';
  /** How the server refused without a client certificate (`the server refused the handshake (TLS alert: ...)`), else null. */
  clientCertificateRefusal: string | null;
  /**
   * The handshake failed after the server's certificates arrived, for another reason than a
   * client certificate: why, in one line (the chain is still the one it sent). Else null.
   */
  handshakeFailure: string | null;
  /** The STARTTLS dialogue spoken before the handshake, or null. */
  starttls: StartTlsInfo | null;
}

/**
 * The chain on a TLS socket in the order it was sent, and whether it was cut at MAX_SENT_CERTS:
 * the fallback when the handshake's bytes could not be read (tappedChain gave null).
 * Call it once per socket: on a client, Node's getPeerX509Certificate takes the leaf off
 * OpenSSL's peer chain (sk_X509_delete), so a second call misses it. It also leaks every
 * issuer certificate: see TappedSocket.
 */
function sentChain(socket: tls.TLSSocket): { certs: X509Certificate[]; truncated: boolean } {
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
  return { certs, truncated: Boolean(c && !seen.has(c)) };
}

/**
 * Whether the server sent a CertificateRequest: OpenSSL fills a client's shared signature
 * algorithms only from one (tls1_process_sigalgs, called for the CertificateRequest on the
 * client side), so a non-empty list says the server asked. TLS 1.0 and 1.1 requests carry no
 * algorithms and are not seen.
 */
function askedForClientCert(socket: tls.TLSSocket): boolean {
  try {
    return socket.getSharedSigalgs().length > 0;
  } catch {
    return false;
  }
}

/**
 * The chain the tap read from the handshake's bytes (sent-certificates.ts), as sentChain gives
 * it, or null when it could not be read (then sentChain is asked).
 */
function tappedChain(reader: SentCertificatesReader): { certs: X509Certificate[]; truncated: boolean } | null {
  const ders = reader.certificates();
  if (!ders || ders.length === 0) return null;
  try {
    const inChain = new Set<X509Certificate>();
    return { certs: ders.slice(0, MAX_SENT_CERTS).map((der) => parsedCertificate(der, inChain)), truncated: ders.length > MAX_SENT_CERTS };
  } catch {
    return null; // a certificate Node cannot parse: OpenSSL's own view decides
  }
}

/** Certificates parsed from the DER the servers sent, by those bytes (see parsedCertificate). */
const parsedByDer = new Map<string, X509Certificate>();
/** How many parsed certificates are kept (the oldest goes first), and the largest DER kept. */
export const MAX_PARSED_CERTIFICATES = 64;
const MAX_PARSED_DER_BYTES = 16 * 1024;

/**
 * `der` as Node's X509Certificate, parsed once for the same bytes: a server sends the same
 * chain to every probe of `netlab exporter` or a `netlab check` run, and OpenSSL 3 takes
 * 0.1-0.3 ms to parse one certificate (the largest cost of a cert-check probe's CPU before
 * this). The objects are immutable; a certificate sent twice in one chain gets its own object
 * the second time (`inChain`), as each copy it sent is judged on its own.
 */
function parsedCertificate(der: Buffer, inChain: Set<X509Certificate>): X509Certificate {
  const key = der.length <= MAX_PARSED_DER_BYTES ? der.toString('latin1') : undefined;
  const known = key === undefined ? undefined : parsedByDer.get(key);
  const cert = known && !inChain.has(known) ? known : new X509Certificate(der);
  if (key !== undefined && known === undefined) {
    if (parsedByDer.size >= MAX_PARSED_CERTIFICATES) parsedByDer.delete(parsedByDer.keys().next().value!);
    parsedByDer.set(key, cert);
  }
  inChain.add(cert);
  return cert;
}

/**
 * The TCP connection under the TLS socket, with every byte the server sends also copied to
 * `tap` until {@link TappedSocket.untap}.
 *
 * Why: on a client, Node's getPeerX509Certificate() leaks native memory for every issuer
 * certificate the server sent: X509Certificate::New walks OpenSSL's peer chain doing
 * `X509_dup(sk_X509_value(issuer_chain, 0)); sk_X509_delete(issuer_chain, 0);` and never frees
 * the original (the same code in every Node version so far; measured on 20.20: `netlab exporter`
 * grew ~6 MB per 1,000 cert-check probes of the lab's leaf and intermediate, without end). getPeerCertificate(true) does
 * not leak but re-sorts the chain and drops extras, and CHAIN_ORDER judges the order as sent.
 * So the certificates are read from the handshake's bytes themselves (sent-certificates.ts).
 * A net.Socket handed to tls.connect is read in C++ and JS never sees its bytes; a Duplex is
 * read through Node's JS stream wrapper, which costs some CPU per connection.
 */
export class TappedSocket extends Duplex {
  private tap: ((bytes: Buffer) => void) | null;

  constructor(private readonly raw: net.Socket, tap: (bytes: Buffer) => void) {
    super();
    this.tap = tap;
    raw.on('data', (bytes: Buffer) => {
      this.tap?.(bytes);
      if (!this.push(bytes)) raw.pause();
    });
    raw.on('end', () => this.push(null));
    raw.on('error', (e) => this.destroy(e));
    raw.on('close', () => this.destroy());
  }

  /** Stop copying: the certificates are read (or cannot be). */
  untap(): void {
    this.tap = null;
  }

  override _read(): void {
    this.raw.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.raw.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.raw.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.raw.destroy();
    callback(error);
  }
}

/** `[127.0.0.1]` or `[IPv6:::1]`: an SMTP address literal of the local end (RFC 5321 4.1.3). */
function addressLiteral(address: string | undefined): string {
  if (!address) return '[127.0.0.1]';
  const v4 = address.replace(/^::ffff:/i, '');
  return net.isIPv4(v4) ? `[${v4}]` : `[IPv6:${address}]`;
}

let sharedContext: tls.SecureContext | undefined;

/**
 * The one client context of every check in the process: every protocol version from TLS 1.0
 * and every cipher (security level 0), so that whatever the server speaks is seen and judged;
 * verification is ours, not OpenSSL's. Made once: building a context loads Node's root store
 * (about 1 ms and native memory per connection otherwise; `netlab exporter` probes thousands).
 * No session is ever resumed from it (Node resumes only a session passed in), so every
 * handshake sends the chain.
 */
function clientContext(): tls.SecureContext {
  return (sharedContext ??= tls.createSecureContext({ ciphers: 'DEFAULT:@SECLEVEL=0', minVersion: 'TLSv1' }));
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
    let stage: 'connect' | 'starttls' | 'handshake' | 'client-cert' = 'connect';
    let starttls: StartTlsInfo | null = null;
    /** What the handshake had read when the server's certificates were processed (OpenSSL's status callback). */
    let early: { certs: X509Certificate[]; truncated: boolean; protocol: string; cipher: string; requested: boolean } | null = null;
    let raw: net.Socket | undefined;
    let socket: tls.TLSSocket | undefined;
    const where = formatHostPort({ address: target.connectHost, port: target.port });
    const finish = (err?: Error, value?: PeerChain) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      target.signal?.removeEventListener('abort', onAbort);
      socket?.destroy();
      raw?.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    const cipherOf = (s: tls.TLSSocket) => s.getCipher()?.standardName ?? s.getCipher()?.name ?? 'unknown';
    const result = (
      chain: { certs: X509Certificate[]; truncated: boolean; protocol: string; cipher: string },
      more: Pick<PeerChain, 'clientCertificate' | 'clientCertificateRefusal' | 'handshakeFailure'>,
    ): PeerChain => ({
      certs: chain.certs,
      protocol: chain.protocol,
      cipher: chain.cipher,
      ocspResponse,
      truncated: chain.truncated,
      remoteAddress: socket?.remoteAddress ?? raw?.remoteAddress ?? target.connectHost,
      handshakeMs: roundMs(performance.now() - started),
      ...more,
      starttls,
    });
    let timer = setTimeout(() => {
      if (stage === 'connect') finish(new NetlabError('UNREACHABLE', `connection to ${where} timed out after ${target.timeoutMs} ms`));
      else if (stage === 'starttls') finish(new StartTlsFailed(target.starttls!, `the server did not answer within ${target.timeoutMs} ms`));
      else finish(new NetlabError('HANDSHAKE_FAILED', `TLS handshake with ${where} timed out after ${target.timeoutMs} ms (is it a TLS port?)`));
    }, target.timeoutMs);
    const onAbort = () => finish(new HandshakeInterrupted(stage === 'client-cert' ? 'handshake' : stage));
    target.signal?.addEventListener('abort', onAbort, { once: true });

    const connectError = (e: NodeJS.ErrnoException) => finish(new NetlabError('UNREACHABLE', `cannot connect to ${where}: ${socketErrorReason(e)}`, { cause: e }));

    /** The TLS handshake over `over`, connected (and, for STARTTLS, after the dialogue). */
    const handshake = (over: net.Socket) => {
      // the server's certificates are read from the handshake's bytes (TappedSocket says why)
      const reader = new SentCertificatesReader();
      const tapped: TappedSocket = new TappedSocket(over, (bytes) => {
        reader.push(bytes);
        if (reader.finished) tapped.untap();
      });
      // requestOCSP is passed on to the TLSSocket by tls.connect, though @types/node omits it there
      const options: tls.ConnectionOptions & { requestOCSP: boolean } = {
        socket: tapped,
        servername: target.servername,
        rejectUnauthorized: false,
        requestOCSP: true,
        secureContext: clientContext(),
        // ALPN names the protocol spoken inside: HTTP for a TLS port, none after STARTTLS
        ...(target.starttls ? {} : { ALPNProtocols: ['http/1.1'] }),
      };
      const s = tls.connect(options);
      socket = s;
      // TLS 1.3 encrypts the Certificate message: OpenSSL's key log gives the key (a line per
      // secret, the server's handshake secret when the ServerHello is read, before the rest)
      const onKeylog = (line: Buffer) => reader.keylog(line);
      s.on('keylog', onKeylog);
      const chainOf = (from: tls.TLSSocket) => {
        s.off('keylog', onKeylog);
        tapped.untap();
        return tappedChain(reader) ?? sentChain(from);
      };
      // Node emits the event with null when the server staples nothing. OpenSSL calls it once
      // the server's certificates are in (TLS 1.2: after ServerHelloDone; 1.3: after its
      // Certificate), before the client's own flight: what was sent is read here, so that a
      // server that then refuses the handshake (no client certificate) is still judged.
      s.on('OCSPResponse', (response: Buffer | null) => {
        ocspResponse = response && response.length > 0 ? response : null;
        const chain = chainOf(s);
        if (chain.certs.length > 0) early = { ...chain, protocol: s.getProtocol() ?? 'unknown', cipher: cipherOf(s), requested: askedForClientCert(s) };
      });
      s.once('secureConnect', () => {
        // read once: Node's getPeerX509Certificate takes the leaf off the client's peer chain
        const chain = early ? { certs: (early as { certs: X509Certificate[] }).certs, truncated: (early as { truncated: boolean }).truncated } : chainOf(s);
        if (chain.certs.length === 0) {
          finish(new NetlabError('UNREACHABLE', `${where} sent no certificate`));
          return;
        }
        const got = { ...chain, protocol: s.getProtocol() ?? 'unknown', cipher: cipherOf(s) };
        const requested = askedForClientCert(s) || Boolean(early?.requested);
        if (!requested || got.protocol !== 'TLSv1.3') {
          finish(undefined, result(got, { clientCertificate: requested ? 'requested' : 'not-requested', clientCertificateRefusal: null, handshakeFailure: null }));
          return;
        }
        // TLS 1.3: the server judges the client's (empty) Certificate after the handshake
        stage = 'client-cert';
        clearTimeout(timer);
        const left = Math.max(1, target.timeoutMs - (performance.now() - started));
        const accepted = () => finish(undefined, result(got, { clientCertificate: 'requested', clientCertificateRefusal: null, handshakeFailure: null }));
        timer = setTimeout(accepted, Math.min(CLIENT_CERT_VERDICT_MS, left));
        s.once('session', accepted);
        s.on('data', accepted);
        s.once('end', () => finish(undefined, result(got, { clientCertificate: 'required', clientCertificateRefusal: 'the server closed the connection', handshakeFailure: null })));
      });
      s.once('error', (e: NodeJS.ErrnoException) => {
        const code = e.code ?? '';
        // ECONNRESET while connecting: the server accepted the connection, then reset it (refusing is ECONNREFUSED)
        if (stage === 'connect' && code !== 'ECONNRESET' && code !== 'EPIPE') {
          connectError(e);
          return;
        }
        const why = handshakeFailureReason(e);
        const chain = early as { certs: X509Certificate[]; truncated: boolean; protocol: string; cipher: string; requested: boolean } | null;
        if (stage === 'client-cert' || (chain && chain.requested)) {
          const got = chain ?? { certs: [], truncated: false, protocol: 'TLSv1.3', cipher: 'unknown' };
          finish(undefined, result(got, { clientCertificate: 'required', clientCertificateRefusal: why, handshakeFailure: null }));
          return;
        }
        if (chain) {
          finish(undefined, result(chain, { clientCertificate: 'not-requested', clientCertificateRefusal: null, handshakeFailure: `TLS handshake with ${where} failed after the server sent its certificates: ${why}` }));
          return;
        }
        finish(new NetlabError('HANDSHAKE_FAILED', `TLS handshake with ${where} failed: ${why}`, { cause: e }));
      });
      s.once('close', () => {
        // every connection closes, at the latest when finish destroys it: no error (and its stack) to make then
        if (done || stage === 'client-cert') return;
        finish(new NetlabError('HANDSHAKE_FAILED', `${where} closed the connection during the TLS handshake`));
      });
    };

    const protocol = target.starttls;
    const r = net.connect({ host: target.connectHost, port: target.port });
    raw = r;
    r.on('error', (e: NodeJS.ErrnoException) => {
      // after the connection, the dialogue's reader (then the TLS socket) reports errors
      if (stage !== 'connect') return;
      // a TLS port that accepts, then resets: a handshake failure, as when tls.connect connected itself
      if (!protocol && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) finish(new NetlabError('HANDSHAKE_FAILED', `TLS handshake with ${where} failed: ${handshakeFailureReason(e)}`, { cause: e }));
      else connectError(e);
    });
    r.once('connect', () => {
      if (!protocol) {
        stage = 'handshake';
        handshake(r);
        return;
      }
      stage = 'starttls';
      negotiateStartTls(r, { protocol, domain: target.starttlsDomain ?? target.servername ?? target.connectHost, ehloName: addressLiteral(r.localAddress) })
        .then((info) => {
          if (done) return;
          starttls = info;
          stage = 'handshake';
          handshake(r);
        })
        .catch((e: unknown) => finish(e instanceof Error ? e : new Error(String(e))));
    });
  });
}
