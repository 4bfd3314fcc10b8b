/**
 * lb-probe's own HTTP/1.1 client for one job: one GET on a fresh connection (plain TCP or TLS),
 * `Connection: close`, the answer's status, headers and the first bytes of its body, then the
 * socket is destroyed. No pool, no keep-alive, no redirects, no request body: a probe measures
 * the balancer, and a general-purpose client's per-connection machinery (undici's Client, its
 * error objects with stacks) cost more than the connection itself (bench section 7).
 *
 * It is fed by servers that may be broken, so the parser is strict and every read bounded:
 * the header block at most MAX_HEADER_BYTES (then TOO_LARGE), at most MAX_HEADER_LINES header
 * lines, at most MAX_INTERIM interim (1xx) answers, a chunk-size line at most 1 KiB, the body
 * kept up to `maxBody` bytes (then the probe ends with what came). Anything that is not HTTP
 * (no status line, a bad header line, a bad chunk size, two different Content-Lengths) is an
 * error with a code and a few words quoting what came, never an exception; an early close is
 * RESET saying how far the answer got.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type tls from 'node:tls';
import { printable } from './identify.js';
import { unwatchAbort, watchAbort } from '../../util/abort-watch.js';

/** The largest HTTP header block read (status line and headers); a larger one fails the probe. */
export const MAX_HEADER_BYTES = 64 * 1024;
/** The most header lines of one answer. */
export const MAX_HEADER_LINES = 4096;
/** The most interim (1xx) answers skipped before the final one. */
export const MAX_INTERIM = 8;
/** The longest chunk-size line (with extensions). */
const MAX_CHUNK_LINE = 1024;

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

/** What came of parsing so far. */
type Step = { need: true } | { done: true } | { error: Http1ErrorCode; message: string };

/** A few bytes of what a server sent, decoded as UTF-8, escaped and quoted, for an error message. */
export function quote(data: Buffer, max = 32): string {
  return `"${printable(data.subarray(0, 4 * max).toString('utf8'), max)}"`;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** An empty buffer, shared: the parser's buffers are replaced, never written into. */
const EMPTY = Buffer.alloc(0);
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: [^\r\n]*)?$/;
const HTTP_PREFIX = Buffer.from('HTTP/');

/**
 * Index of the blank line ending the header block (the first CRLFCRLF or LFLF), -1 when not yet
 * there. `from`: where a match can start at the earliest (the bytes before it were searched).
 * A byte loop, not Buffer#indexOf with strings (two native calls and a string conversion each,
 * for every probe's ~100-byte head).
 */
export function headEnd(head: Buffer, from = 0): number {
  const n = head.length;
  for (let i = Math.max(from, 0); i < n; i++) {
    if (head[i] !== 0x0a) continue;
    if (head[i + 1] === 0x0a) return i;
    if (i > 0 && head[i - 1] === 0x0d && head[i + 1] === 0x0d && head[i + 2] === 0x0a) return i - 1;
  }
  return -1;
}

/**
 * An incremental parser of one HTTP/1.x answer to a GET. Feed it bytes with push(); it says
 * when it has the whole answer (or enough of the body), or what is wrong. Every buffer it holds
 * is bounded: the header block by MAX_HEADER_BYTES, the body by `maxBody`.
 */
export class Http1Parser {
  statusCode = 0;
  headers: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  private head: Buffer = EMPTY;
  private inHead = true;
  private interim = 0;
  private readonly body: Buffer[] = [];
  private bodyBytes = 0;
  /** Content-Length left; null: chunked or until close. */
  private remaining: number | null = null;
  private chunked = false;
  /** Chunked: bytes left in the current chunk, or -1 when a size line is due, -2 when its CRLF is due, -3 in the trailers. */
  private chunkLeft = -1;
  private line: Buffer = EMPTY;
  private untilClose = false;
  /** The bytes being pushed are a reused read buffer: keep copies. */
  private transient = false;
  /** The whole answer came, as its framing says (not only the body's first maxBody bytes). */
  complete = false;

  constructor(private readonly maxBody: number) {}

  /** The body kept (at most maxBody bytes). */
  get bodyBuffer(): Buffer {
    // one piece (the usual case): itself, not a copy
    return this.body.length === 1 ? this.body[0]! : Buffer.concat(this.body);
  }

  get headComplete(): boolean {
    return !this.inHead;
  }

  /**
   * Feed the next bytes. `transient`: `data` is a read buffer the caller reuses once push()
   * returns (net's `onread`): whatever the parser keeps of it is copied, the rest is parsed in
   * place.
   */
  push(data: Buffer, transient = false): Step {
    this.transient = transient;
    if (this.inHead) {
      // only what can still belong to the header block is kept; a concat is a copy of its own
      let head = this.head.length === 0 ? data : Buffer.concat([this.head, data]);
      const owned = !transient || this.head.length !== 0;
      // what was kept had no blank line: a match starts at most 3 bytes before the new ones
      let from = Math.max(0, this.head.length - 3);
      for (;;) {
        const end = headEnd(head, from);
        from = 0;
        if (end < 0) {
          if (head.length > MAX_HEADER_BYTES) return { error: 'TOO_LARGE', message: `answered with a header block over ${MAX_HEADER_BYTES / 1024} KiB, the most read` };
          // not HTTP at all: say so as soon as the first bytes show it
          if (head.length >= 5 && !head.subarray(0, 5).equals(HTTP_PREFIX)) return this.notHttp('no status line', head);
          this.head = owned ? head : Buffer.from(head);
          return { need: true };
        }
        if (end > MAX_HEADER_BYTES) return { error: 'TOO_LARGE', message: `answered with a header block over ${MAX_HEADER_BYTES / 1024} KiB, the most read` };
        const block = head.subarray(0, end);
        const rest = head.subarray(end + (head[end] === 0x0d ? 4 : 2));
        const step = this.parseHead(block);
        if ('error' in step) return step;
        if (this.statusCode >= 100 && this.statusCode < 200 && this.statusCode !== 101) {
          if (++this.interim > MAX_INTERIM) return this.notHttp(`more than ${MAX_INTERIM} interim answers`, block);
          this.headers = Object.create(null) as Record<string, string | string[]>;
          head = rest;
          continue;
        }
        this.inHead = false;
        this.head = EMPTY;
        if ('done' in step) return step;
        return rest.length > 0 ? this.pushBody(rest) : this.bodyStep();
      }
    }
    return this.pushBody(data);
  }

  /** The connection ended: is the answer complete? */
  end(): Step {
    if (this.inHead) {
      if (this.head.length === 0 && this.interim === 0) return { error: 'RESET', message: 'closed the connection without an answer' };
      return { error: 'RESET', message: `closed the connection in the middle of the header block (${this.head.length} bytes came)` };
    }
    if (this.untilClose) return { done: true };
    if (this.chunked) return { error: 'RESET', message: `closed the connection in the middle of a chunked body (${this.bodyBytes} bytes came)` };
    return { error: 'RESET', message: `closed the connection ${this.remaining} bytes before the end of the body (Content-Length)` };
  }

  private notHttp(why: string, data: Buffer): Step {
    return { error: 'NOT_HTTP', message: `answered, but not with HTTP (${why}): ${quote(data)}` };
  }

  private parseHead(block: Buffer): Step {
    const text = block.toString('latin1');
    // line by line without building the list of lines (this runs for every probe)
    let at = text.indexOf('\n');
    const firstEnd = at < 0 ? text.length : at;
    const first = text.slice(0, text.charCodeAt(firstEnd - 1) === 13 ? firstEnd - 1 : firstEnd);
    const status = STATUS_LINE.exec(first);
    if (!status) return this.notHttp('no status line', block);
    this.statusCode = Number(status[1]);
    // no prototype: a header named constructor, toString or __proto__ is a header like any other
    const headers = Object.create(null) as Record<string, string | string[]>;
    let count = 0;
    while (at >= 0) {
      const from = at + 1;
      at = text.indexOf('\n', from);
      const end = at < 0 ? text.length : at;
      const line = text.charCodeAt(end - 1) === 13 ? text.slice(from, end - 1) : text.slice(from, end);
      if (++count > MAX_HEADER_LINES) return { error: 'TOO_LARGE', message: `answered with more than ${MAX_HEADER_LINES} header lines` };
      const colon = line.indexOf(':');
      const name = colon > 0 ? line.slice(0, colon) : '';
      if (!TOKEN.test(name)) return this.notHttp('a header line that is not NAME: value', Buffer.from(line, 'latin1'));
      const key = name.toLowerCase();
      const value = line.slice(colon + 1).trim();
      const had = headers[key];
      headers[key] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
    }
    this.headers = headers;
    if (this.statusCode < 200) return { need: true };
    if (this.statusCode === 204 || this.statusCode === 304) {
      this.complete = true;
      return { done: true };
    }
    const te = headers['transfer-encoding'];
    const cl = headers['content-length'];
    if (te !== undefined) {
      const codings = (Array.isArray(te) ? te.join(',') : te).split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
      if (codings[codings.length - 1] !== 'chunked') return this.notHttp('a Transfer-Encoding without chunked last', Buffer.from(String(te), 'latin1'));
      this.chunked = true;
      return { need: true };
    }
    // the usual case, one Content-Length of digits only: the same as the general case below
    if (typeof cl === 'string' && /^\d{1,15}$/.test(cl)) {
      this.remaining = Number(cl);
      this.complete = this.remaining === 0;
      return this.remaining === 0 ? { done: true } : { need: true };
    }
    if (cl !== undefined) {
      const values = [...new Set((Array.isArray(cl) ? cl : [cl]).flatMap((v) => v.split(',').map((s) => s.trim())))];
      if (values.length !== 1 || !/^\d{1,15}$/.test(values[0]!)) return this.notHttp('a bad Content-Length', Buffer.from(String(cl), 'latin1'));
      this.remaining = Number(values[0]);
      this.complete = this.remaining === 0;
      return this.remaining === 0 ? { done: true } : { need: true };
    }
    this.untilClose = true;
    return { need: true };
  }

  private keep(data: Buffer): void {
    if (this.bodyBytes < this.maxBody) {
      const piece = data.subarray(0, this.maxBody - this.bodyBytes);
      this.body.push(this.transient ? Buffer.from(piece) : piece);
    }
    this.bodyBytes += data.length;
  }

  private bodyStep(): Step {
    if (this.remaining === 0) {
      this.complete = true;
      return { done: true };
    }
    if (this.bodyBytes >= this.maxBody) return { done: true };
    return { need: true };
  }

  private pushBody(data: Buffer): Step {
    if (!this.chunked) {
      if (this.remaining !== null) {
        const take = data.subarray(0, this.remaining);
        this.remaining -= take.length;
        this.keep(take);
      } else {
        this.keep(data);
      }
      return this.bodyStep();
    }
    let at = 0;
    while (at < data.length) {
      if (this.chunkLeft > 0) {
        const take = data.subarray(at, at + this.chunkLeft);
        this.keep(take);
        this.chunkLeft -= take.length;
        at += take.length;
        if (this.chunkLeft === 0) this.chunkLeft = -2;
        if (this.bodyBytes >= this.maxBody) return { done: true };
        continue;
      }
      // a line: the chunk size, the CRLF after a chunk, or a trailer
      const lf = data.indexOf(0x0a, at);
      const piece = data.subarray(at, lf < 0 ? data.length : lf);
      if (this.line.length + piece.length > MAX_CHUNK_LINE) return this.notHttp('a chunk-size line over 1 KiB', Buffer.concat([this.line, piece]));
      this.line = this.line.length === 0 ? Buffer.from(piece) : Buffer.concat([this.line, piece]);
      if (lf < 0) return { need: true };
      at = lf + 1;
      const text = this.line.toString('latin1').replace(/\r$/, '');
      this.line = EMPTY;
      if (this.chunkLeft === -2) {
        if (text !== '') return this.notHttp('no CRLF after a chunk', Buffer.from(text, 'latin1'));
        this.chunkLeft = -1;
        continue;
      }
      if (this.chunkLeft === -3) {
        if (text === '') {
          this.complete = true;
          return { done: true };
        }
        continue;
      }
      const size = /^([0-9A-Fa-f]{1,12})[ \t]*(;.*)?$/.exec(text);
      if (!size) return this.notHttp('a bad chunk size', Buffer.from(text, 'latin1'));
      const n = parseInt(size[1]!, 16);
      this.chunkLeft = n === 0 ? -3 : n;
    }
    return { need: true };
  }
}

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
