/**
 * lb-probe's own HTTP/1.1 client for one job: one GET on a fresh connection (plain TCP or TLS),
 * `Connection: close`, the answer's status, headers and the first bytes of its body, then the
 * socket is destroyed. No pool, no keep-alive, no redirects, no request body: a probe measures
 * the balancer, and a general-purpose client's per-connection machinery (undici's Client, its
 * error objects with stacks) cost more than the connection itself (bench section 7).
 *
 * It is fed by servers that may be broken: its parser (src/protocol/http/h1-parser.ts, shared
 * with trace-request) is strict and bounds every read, and an answer that is not HTTP is an
 * error with a code, never an exception.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type tls from 'node:tls';
import { unwatchAbort, watchAbort } from '../../util/abort-watch.js';

export { MAX_HEADER_BYTES } from '../http/h1-parser.js';
import { Http1Parser } from '../http/h1-parser.js';

export type Http1ErrorCode = 'REFUSED' | 'TIMEOUT' | 'RESET' | 'NO_SOURCE' | 'NOT_HTTP' | 'TOO_LARGE' | 'TLS' | 'CUT' | 'OTHER';

/** The server's certificate as a TLS probe saw it. */
export interface PeerCertificate {
  /** SHA-256 of the DER, hex with colons (as openssl prints it). */
  fingerprint256: string;
  /** Subject CN (or the whole subject when it has none). */
  subject: string;
  /** DNS names of subjectAltName. */
  names: string[];
  issuer: string;
  /** ISO 8601. */
  notAfter: string;
  notBefore: string;
  /** Verified against the trust store and the server name. */
  verified: boolean;
  /** Why it did not verify (Node's code, e.g. CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID); null when it did. */
  verifyError: string | null;
}

export interface Http1Tls {
  /** SNI and the name the certificate is checked against. */
  servername: string;
  /** Trust anchors (PEM); absent: Node's root store. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Send the request even when the certificate does not verify (the caller says so in its output). */
  insecure: boolean;
  /** A session to resume (from an earlier result's `session`), and the certificate it was made with. */
  resume?: { session: Buffer; certificate: PeerCertificate };
}

export interface Http1Request {
  host: string;
  port: number;
  localAddress?: string | null;
  path: string;
  /** The Host header. */
  hostHeader: string;
  userAgent: string;
  timeoutMs: number;
  /** Body bytes kept; the probe ends once it has them. */
  maxBody: number;
  /** TLS: absent for plain HTTP. */
  tls?: Http1Tls;
  signal?: AbortSignal;
}

/** TLS: the session the server gave (for a later `resume`), and whether this connection resumed one. */
interface TlsOutcome {
  certificate: PeerCertificate | null;
  session?: Buffer;
  resumed?: boolean;
}

export type Http1Result =
  | ({ ok: true; statusCode: number; headers: Record<string, string | string[]>; body: Buffer } & TlsOutcome)
  | ({ ok: false; code: Http1ErrorCode; message: string } & TlsOutcome);

/** A socket or TLS error -> our code and a few words. */
function describe(e: NodeJS.ErrnoException, timeoutMs: number): { code: Http1ErrorCode; message: string } {
  const code = e.code ?? '';
  const text = e.message?.replace(/^(connect|read|write) /, '') ?? String(e);
  if (code === 'ECONNREFUSED') return { code: 'REFUSED', message: 'connection refused' };
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return { code: 'REFUSED', message: code === 'EHOSTUNREACH' ? 'no route to host' : 'network unreachable' };
  if (code === 'EADDRNOTAVAIL') return { code: 'NO_SOURCE', message: `cannot bind the source address: ${text}` };
  if (code === 'ETIMEDOUT') return { code: 'TIMEOUT', message: `no answer within ${timeoutMs} ms` };
  if (code === 'ECONNRESET' || code === 'EPIPE') return { code: 'RESET', message: 'connection reset before an answer' };
  if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || /ssl|tls|alert/i.test(text)) return { code: 'TLS', message: `TLS handshake failed: ${text}` };
  return { code: 'OTHER', message: text };
}

function certificateOf(socket: tls.TLSSocket): PeerCertificate | null {
  const c = socket.getPeerCertificate();
  if (!c || !c.fingerprint256) return null;
  const names = (c.subjectaltname ?? '').split(/,\s*/).filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4));
  const cn = (o: unknown): string => {
    const v = (o as Record<string, unknown> | undefined)?.CN;
    return Array.isArray(v) ? String(v[0]) : v === undefined ? '' : String(v);
  };
  const err = socket.authorizationError as unknown;
  const verifyError = socket.authorized ? null : String((err as { code?: string })?.code ?? err ?? 'not verified');
  return {
    fingerprint256: c.fingerprint256,
    subject: cn(c.subject),
    names,
    issuer: cn(c.issuer),
    notAfter: new Date(c.valid_to).toISOString(),
    notBefore: new Date(c.valid_from).toISOString(),
    verified: socket.authorized,
    verifyError,
  };
}

/** How long a socket whose answer is complete waits for the server to close first. */
export const LINGER_MS = 1000;

/**
 * The sockets whose answer is complete, waiting for the server to close first, each with the
 * time (performance.now()) it is destroyed at the latest; in the order they came, which is the
 * order of those times. One timer for them all, not one per probe.
 */
const lingering = new Map<net.Socket, number>();
let sweeper: NodeJS.Timeout | undefined;

function sweep(): void {
  sweeper = undefined;
  const now = performance.now();
  for (const [socket, deadline] of lingering) {
    if (deadline > now) {
      armSweeper(deadline - now);
      return;
    }
    lingering.delete(socket);
    socket.destroy();
  }
}

function armSweeper(ms: number): void {
  sweeper = setTimeout(sweep, Math.ceil(ms));
  sweeper.unref();
}

/**
 * The answer is complete (`Connection: close` was asked): let the server close first, so that
 * the TIME_WAIT state stays on its side, as with ab and a bare socket loop, and not among this
 * host's ephemeral ports (thousands of them to one VIP make every connect() search longer).
 * Bounded by LINGER_MS, then destroyed; keeps neither the event loop nor the probe waiting.
 * The probe's own 'end', 'close' and 'error' listeners end it early (release()).
 */
function linger(socket: net.Socket): void {
  socket.unref();
  lingering.set(socket, performance.now() + LINGER_MS);
  if (sweeper === undefined) armSweeper(LINGER_MS);
}

/** A lingering socket's server closed (or the socket failed): destroyed now. */
function release(socket: net.Socket): void {
  if (lingering.delete(socket)) socket.destroy();
}

/** The read buffer of every plain-HTTP probe (onread): each read is parsed before the next one comes. */
let sharedReadBuffer: Buffer | undefined;
function readBuffer(): Buffer {
  return (sharedReadBuffer ??= Buffer.allocUnsafe(64 * 1024));
}

/** Node's tls module, loaded on the first HTTPS probe only. */
let tlsModule: typeof tls | undefined;
export async function loadTls(): Promise<typeof tls> {
  return (tlsModule ??= (await import('node:tls')).default);
}

/** The request's bytes: the same for every probe of a run. */
export function requestBytes(r: Pick<Http1Request, 'path' | 'hostHeader' | 'userAgent'>): Buffer {
  return Buffer.from(`GET ${r.path} HTTP/1.1\r\nHost: ${r.hostHeader}\r\nUser-Agent: ${r.userAgent}\r\nAccept: */*\r\nConnection: close\r\n\r\n`, 'latin1');
}

/**
 * One GET on a fresh connection. Never throws and never rejects: a failure is `ok: false` with
 * a code and a message. With TLS, the handshake is part of the probe, and no session is resumed
 * unless `tls.resume` gives one;
 * the certificate is recorded; one that does not verify fails the probe (code TLS, the
 * certificate kept) before any byte of the request is sent, unless `tls.insecure`.
 * `tlsLib`: node:tls (loadTls()) when `request.tls` is set.
 */
export function http1Get(request: Http1Request, tlsLib?: typeof tls, bytes: Buffer = requestBytes(request)): Promise<Http1Result> {
  return new Promise((resolve) => {
    const { signal, timeoutMs } = request;
    let settled = false;
    let certificate: PeerCertificate | null = null;
    let session: Buffer | undefined;
    let resumed = false;
    const tlsOutcome = (): TlsOutcome => (request.tls ? { certificate, ...(session ? { session } : {}), resumed } : { certificate });
    const parser = new Http1Parser(request.maxBody);
    const local = request.localAddress ? { localAddress: request.localAddress } : {};
    let socket: net.Socket;
    const finish = (r: Http1Result): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (signal) unwatchAbort(signal, onAbort);
      if (r.ok && parser.complete && !socket.readableEnded) linger(socket);
      else socket.destroy();
      resolve(r);
    };
    const fail = (code: Http1ErrorCode, message: string): void => finish({ ok: false, code, message, ...tlsOutcome() });
    const onAbort = (): void => fail('CUT', 'stopped before the answer');
    // plain HTTP: no TLS fields to spread (this runs for every probe)
    const answered = (): Http1Result => (request.tls
      ? { ok: true, statusCode: parser.statusCode, headers: parser.headers, body: parser.bodyBuffer, ...tlsOutcome() }
      : { ok: true, statusCode: parser.statusCode, headers: parser.headers, body: parser.bodyBuffer, certificate: null });
    const onData = (chunk: Buffer, transient = false): void => {
      if (settled) return;
      const step = parser.push(chunk, transient);
      if ('error' in step) fail(step.error, step.message);
      else if ('done' in step) finish(answered());
    };
    const onEnd = (): void => {
      if (settled) return release(socket);
      if (request.tls && certificate === null) return fail('RESET', 'closed the connection during the TLS handshake');
      const step = parser.end();
      if ('error' in step) fail(step.error, step.message);
      else finish(answered());
    };
    if (request.tls) {
      const t = request.tls;
      const s = tlsLib!.connect({
        host: request.host,
        port: request.port,
        ...local,
        servername: net.isIP(t.servername) ? undefined : t.servername,
        ...(t.ca !== undefined ? { ca: t.ca } : {}),
        // verification is judged below, after the certificate is recorded; the name checked is
        // the server name asked for, also when the connection goes to a backend's own address
        rejectUnauthorized: false,
        checkServerIdentity: (_host, cert) => tlsLib!.checkServerIdentity(t.servername, cert),
        ALPNProtocols: ['http/1.1'],
        ...(t.resume ? { session: t.resume.session } : {}),
      });
      socket = s;
      s.on('session', (ticket: Buffer) => (session = ticket));
      s.once('secureConnect', () => {
        // Node checked the chain and the name (checkServerIdentity) and says so in s.authorized;
        // a resumed session was verified when it was made, and may carry no certificate
        resumed = s.isSessionReused();
        certificate = resumed && t.resume ? t.resume.certificate : certificateOf(s);
        if (!certificate) return fail('TLS', 'the server sent no certificate');
        if (!certificate.verified && !t.insecure) return fail('TLS', `certificate not trusted: ${certificate.verifyError}`);
        s.write(bytes);
      });
    } else {
      // plain TCP: reads land in one buffer shared by every probe (net's onread) and are parsed
      // in place, without a Buffer per read and the stream's 'data' machinery
      const buffer = readBuffer();
      const options: net.TcpNetConnectOpts = {
        host: request.host, port: request.port, noDelay: true, ...local,
        onread: { buffer, callback: (n: number): boolean => { onData(buffer.subarray(0, n), true); return true; } },
      };
      socket = net.connect(options);
      socket.write(bytes);
    }
    if (request.tls) socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (settled) return release(socket);
      // bytes then a reset: judge what came
      if (parser.headComplete) return onEnd();
      if (request.tls && certificate === null && e.code === 'ECONNRESET') return fail('RESET', 'connection reset during the TLS handshake');
      const d = describe(e, timeoutMs);
      fail(d.code, d.message);
    });
    const timer = setTimeout(() => fail('TIMEOUT', parser.headComplete ? `the body did not end within ${timeoutMs} ms` : `no answer within ${timeoutMs} ms`), timeoutMs);
    if (signal?.aborted) onAbort();
    // one 'abort' listener per signal for all the probes under it (src/util/abort-watch.ts)
    else if (signal) watchAbort(signal, onAbort);
  });
}
