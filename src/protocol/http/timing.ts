/**
 * One request, timed phase by phase with curl's boundaries (curl -w's timers are cumulative,
 * phases are their differences, as httpstat shows them):
 *   dns       start -> name resolved (0 when the address is pinned)
 *   tcp       -> TCP connected
 *   tls       -> handshake done, up to the request being sent (curl's appconnect..pretransfer)
 *   ttfb      request sent -> first response byte (not the end of the header block, which
 *             comes later when headers arrive in pieces)
 *   transfer  first byte -> last body byte
 * HTTP/1.1 goes through netlab's own exchange on the connection timed above (the request written
 * once, the answer read by the strict parser lb-probe uses, src/protocol/http/h1-parser.ts): the
 * request is sent when its bytes are handed to the socket, the first byte is the first read
 * after that. h2 goes through node:http2 on the same connection.
 *
 * Every wait is bounded, without moving a mark: each phase has a deadline of `timeoutMs` for
 * the whole phase (not an idle timer), the request one of `maxTimeMs`, and the body is read
 * up to `maxBodyBytes`. For the deadlines and for naming a failure, waiting for the response
 * is the ttfb phase until the final response's head is complete (informational 1xx responses
 * and header fields included), and the body is the transfer phase: a server that drips its
 * headers or sends 103 forever fails in ttfb, one that never ends its body in transfer.
 */
import net from 'node:net';
import tls from 'node:tls';
import { lookup } from 'node:dns/promises';
import { performance } from 'node:perf_hooks';
import { Http1Parser, MAX_HEADER_BYTES, type Step } from './h1-parser.js';
import { checkHeaders, checkMethod } from './headers.js';
import { handshakeFailureReason } from '../tls/connect.js';
import { clientContextFor } from './client-context.js';
import { query } from '../dns/transport.js';
import { formatHostPort } from '../../util/host-port.js';
import { formatBytes } from '../../util/read-bounded.js';
import { socketErrorReason } from '../../util/net-errors.js';
import { roundMs } from '../../util/round.js';
import type { Server } from '../dns/transport.js';

/** A phase of one request, in the order they happen (see the module's comment for their boundaries). */
export type Phase = 'dns' | 'tcp' | 'tls' | 'ttfb' | 'transfer';

const PHASE_ORDER: readonly Phase[] = ['dns', 'tcp', 'tls', 'ttfb', 'transfer'];

/** The time of each phase of one request (or a median, a p95 of them), in milliseconds rounded to the microsecond. */
export interface Phases {
  /** Start to the name resolved (0 when the address is pinned or in the URL). */
  dnsMs: number;
  /** To the TCP connection made (over HTTP, up to the request going out). */
  tcpMs: number;
  /** The TLS handshake, up to the request going out (0 over HTTP). */
  tlsMs: number;
  /** Request sent to the first response byte. */
  ttfbMs: number;
  /** First response byte to the last body byte. */
  transferMs: number;
  /** Start to the last body byte: the sum of the phases (to the microsecond). */
  totalMs: number;
}

/** The bounds of one timed request (documented in man/netlab-trace-request.1). */
export const HTTP_LIMITS = {
  /** Body bytes read by default; past them the request fails in transfer, as curl's --max-filesize. */
  maxBodyBytes: 100 * 1024 * 1024,
  /** Informational (1xx) responses taken before the final one; a server sends a few at most. */
  maxInformational: 100,
  /** Header block bytes of one response (the parser's bound; Node's own default is 16 KiB). */
  maxHeaderBytes: MAX_HEADER_BYTES,
} as const;

/** issue 15: h2 flow-control windows, as curl's (its H2_STREAM_WINDOW_SIZE; a connection window that never binds first). */
const H2_STREAM_WINDOW = 10 * 1024 * 1024;
const H2_CONNECTION_WINDOW = 64 * 1024 * 1024;

/** How to make and bound one timed request ({@link timeRequest}). */
export interface TimingOptions {
  /** Connect here instead of resolving the URL's host (as curl's --connect-to); Host and SNI stay. */
  pinAddress?: string;
  /** Resolve through this DNS server with netlab's own resolver instead of the system's. */
  resolver?: Server;
  method?: string;
  /** Request header fields, names in lower case; an array sends the field once per value. */
  headers?: Record<string, string | string[]>;
  /** Trust anchors (PEM texts); they replace Node's default list for this request, as curl's --cacert. */
  ca?: string[];
  /** Skip certificate verification (said in the result by the caller). */
  insecure?: boolean;
  /** Deadline of each phase as a whole, milliseconds (transfer: the whole body). */
  timeoutMs: number;
  /** Deadline of the whole request, milliseconds (default: none beyond the phases' own). */
  maxTimeMs?: number;
  /** Body bytes read at most (default HTTP_LIMITS.maxBodyBytes); past them the sample fails. */
  maxBodyBytes?: number;
  /** Aborting it stops the request at once: the sample fails with kind `interrupted`. */
  signal?: AbortSignal;
  /** issue 15: offer h2 first by ALPN over TLS (as curl does by default), then http/1.1. Default false: http/1.1 only. No h2c over plain HTTP. */
  http2?: boolean;
  /** issue 15: a TLS session of an earlier connection ({@link SampleOk.tlsSession}) to resume (TLS 1.3 PSK or TLS 1.2 ticket). */
  session?: Buffer;
  /** issue 15: requests one after another on the one connection ({@link timeRequests}). Default 1. */
  requests?: number;
}

/** A sample that got its whole response: its phases, the response's status and version, and where it went. */
export interface SampleOk {
  ok: true;
  phases: Phases;
  status: number;
  /** '1.1' or '2'. */
  httpVersion: string;
  tlsVersion: string | null;
  /** issue 15: the TLS session was resumed (tlsSocket.isSessionReused()); false without TLS. */
  resumed: boolean;
  /** issue 15: the request went on a connection an earlier request of the call made: dns, tcp, tls 0. */
  reusedConnection: boolean;
  /** issue 15: the TLS session the server gave by the end of this request, to resume later ({@link TimingOptions.session}). */
  tlsSession?: Buffer;
  remoteAddress: string;
  remotePort: number;
  headers: Record<string, string>;
  bodyBytes: number;
}

/**
 * Why a sample failed, for the caller's advice (the protocol layer quotes no option):
 * `timeout` a phase's deadline, `max-time` the request's, `body-limit` maxBodyBytes,
 * `informational-limit` too many 1xx, `header-limit` response headers too large,
 * `certificate` the certificate was not accepted, `interrupted` the signal, `redirect` (issue 15)
 * a redirect loop, too many redirects or a bad Location, `error` the network or the server
 * (refused, reset, closed, not HTTP, not TLS...).
 */
export type FailureKind = 'error' | 'timeout' | 'max-time' | 'body-limit' | 'informational-limit' | 'header-limit' | 'certificate' | 'interrupted' | 'redirect';

/** A sample that failed: the phase it failed in, why in words, and what was measured before. */
export interface SampleFailed {
  ok: false;
  /** The phase that failed. */
  phase: Phase;
  error: string;
  kind: FailureKind;
  /** Phases completed before the failure (the others are absent). */
  partial: Partial<Phases>;
  /** Body bytes read before a failure in transfer. */
  bodyBytes?: number;
}

/** One timed request: {@link SampleOk} or {@link SampleFailed} (`ok` tells which). */
export type Sample = SampleOk | SampleFailed;

class PhaseError extends Error {
  constructor(readonly phase: Phase, message: string, readonly kind: FailureKind = 'error') {
    super(message);
  }
}

/**
 * The bytes of an HTTP/1.1 request without a body: the request line, Host (unless the caller
 * gives one), the caller's fields (checked: checkHeaders), `content-length: 0` for a method that
 * expects a body (as curl and undici send), and `connection: keep-alive` when more requests will
 * follow on the connection.
 */
export function h1RequestBytes(method: string, target: string, host: string, headers: Readonly<Record<string, string | readonly string[]>>, keepAlive: boolean): Buffer {
  let head = `${method} ${target} HTTP/1.1\r\n`;
  if (headers.host === undefined) head += `host: ${host}\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') head += `${name}: ${value}\r\n`;
    else for (const v of value) head += `${name}: ${v}\r\n`;
  }
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') head += 'content-length: 0\r\n';
  if (keepAlive) head += 'connection: keep-alive\r\n';
  return Buffer.from(`${head}\r\n`, 'latin1');
}

/** What the parser refused, as a failure of the phase it happened in (ttfb for the head, transfer for the body). */
function parseFailure(step: Extract<Step, { error: string }>, headComplete: boolean, firstByte: boolean, progress: Progress): PhaseError {
  if (step.error === 'TOO_LARGE') {
    return new PhaseError('ttfb', `response headers too large (over ${formatBytes(HTTP_LIMITS.maxHeaderBytes)}): netlab closed the connection`, 'header-limit');
  }
  if (step.error === 'RESET') {
    if (headComplete) return new PhaseError('transfer', `the server closed the connection before the end of the body${bodyNote(progress)}`);
    return new PhaseError('ttfb', firstByte ? 'the server closed the connection before the end of the response headers' : 'the server closed the connection without answering');
  }
  const why = step.why ?? step.message;
  return headComplete ? new PhaseError('transfer', `invalid response body: ${why}`) : new PhaseError('ttfb', `invalid response: ${why}`);
}

/** `1 s`, `0.5 s`, `2.25 s`. */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** Resolve a host name, timed by the caller: system resolver, or netlab's own against `resolver`. */
async function resolveHost(host: string, resolver: Server | undefined, signal: AbortSignal): Promise<string> {
  if (net.isIP(host)) return host;
  if (!resolver) {
    try {
      return (await lookup(host)).address;
    } catch (e) {
      throw new PhaseError('dns', `cannot resolve ${host}: ${socketErrorReason(e)}`);
    }
  }
  for (const type of [1, 28]) {
    let ex;
    try {
      ex = await query(resolver, { name: host, type }, { timeoutMs: 2000, tries: 2, signal });
    } catch (e) {
      throw new PhaseError('dns', `resolving ${host} at ${resolver.address}#${resolver.port}: ${(e as Error).message}`);
    }
    if (ex.message.rcode !== 'NOERROR') throw new PhaseError('dns', `cannot resolve ${host}: ${ex.message.rcode} from ${resolver.address}#${resolver.port}`);
    const addr = ex.message.answers.find((a) => a.typeCode === type);
    if (addr) return addr.data;
  }
  throw new PhaseError('dns', `cannot resolve ${host}: no A or AAAA record`);
}

/** A connect failure in words that name the peer; the words themselves are socketErrorReason's. */
function describeNetError(e: NodeJS.ErrnoException, where: string): string {
  switch (e.code) {
    case 'ECONNREFUSED': return `connection to ${where} refused`;
    case 'EHOSTUNREACH': return `${where} unreachable`;
    case 'ECONNRESET': return `connection to ${where} reset`;
    default: return `${where}: ${socketErrorReason(e)}`;
  }
}

/**
 * A TLS failure in one clean line: a certificate Node refused (`certificate: true`), or the
 * handshake's reason in handshakeFailureReason's words (never OpenSSL's error queue with its
 * build paths). Pure.
 */
export function tlsFailureReason(e: Error & { code?: string; reason?: unknown }): { why: string; certificate: boolean } {
  const code = e.code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO|HOSTNAME|ERR_TLS_CERT/.test(code)) return { why: `certificate not accepted (${code})`, certificate: true };
  return { why: handshakeFailureReason(e), certificate: false };
}

/** A TLS socket's peer certificate without its issuers, whatever `detailed` asks (see its use in timeRequests). */
function leafOnly(this: tls.TLSSocket): tls.PeerCertificate {
  return tls.TLSSocket.prototype.getPeerCertificate.call(this, false);
}

interface Marks {
  start: number;
  dns?: number;
  tcp?: number;
  tls?: number;
  sent?: number;
  first?: number;
  end?: number;
}

/** What the response has given so far: for the deadlines' messages and the failures' phases. */
interface Progress {
  informational: number;
  headDone: boolean;
  bodyBytes: number;
  contentLength: number | null;
}

/**
 * Time one cold request (a new connection, no TLS session reuse unless `session` is given),
 * phase by phase, every wait bounded by `options`. Network and server failures come back as
 * a {@link SampleFailed}; it does not throw for them (nor for an abort: kind `interrupted`).
 */
export async function timeRequest(url: URL, options: TimingOptions): Promise<Sample> {
  return (await timeRequests(url, { ...options, requests: 1 }))[0]!;
}

/** The connection a call of {@link timeRequests} made: the socket requests go on, and what its handshake said. */
interface Connection {
  socket: net.Socket;
  secure: tls.TLSSocket | undefined;
  tlsVersion: string | null;
  alpn: string | null;
  resumed: boolean;
  remoteAddress: string;
}

/**
 * issue 15: `options.requests` requests (default 1) one after another on one new connection
 * (HTTP/1.1 keep-alive, or h2 streams when the server chose h2 by ALPN): the first pays dns,
 * tcp and tls, the others have those at 0 (`reusedConnection`) and show only the short wait
 * before the request goes out (in tls over HTTPS, in tcp over HTTP), ttfb and transfer, as
 * curl -w shows a reused connection. A failed request ends the call: the samples so far and
 * the failure come back. Every request has the deadlines of {@link timeRequest}.
 */
export async function timeRequests(url: URL, options: TimingOptions): Promise<Sample[]> {
  // what goes into the request's bytes: checked here too, for a library caller (CR LF in a value would start a header of its own)
  const headersChecked = checkHeaders(options.headers ?? {});
  const method = checkMethod(options.method ?? 'GET');
  const count = options.requests ?? 1;
  const https = url.protocol === 'https:';
  const port = Number(url.port || (https ? 443 : 80));
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const timeoutMs = options.timeoutMs;
  const maxBodyBytes = options.maxBodyBytes ?? HTTP_LIMITS.maxBodyBytes;
  const fresh = (): Progress => ({ informational: 0, headDone: false, bodyBytes: 0, contentLength: null });
  // the marks and progress of the request under way
  let marks: Marks = { start: performance.now() };
  let progress = fresh();
  let tlsSession: Buffer | undefined;

  // One way to stop, whatever the cause (a deadline, a limit, the caller's signal): the first
  // reason is kept, every socket of this connection is destroyed, every wait rejects with it.
  const ctl = new AbortController();
  const sockets = new Set<net.Socket>();
  let timers: NodeJS.Timeout[] = [];
  let stopped: PhaseError | undefined;
  const stop = (reason: PhaseError) => {
    if (stopped) return;
    stopped = reason;
    ctl.abort(reason);
    for (const s of sockets) s.destroy();
  };
  const after = (ms: number, fn: () => void) => {
    timers.push(setTimeout(fn, ms));
  };
  const current = (): Phase => progress.headDone ? 'transfer'
    : marks.sent !== undefined || marks.tls !== undefined ? 'ttfb'
    : marks.tcp !== undefined ? 'tls'
    : marks.dns !== undefined ? 'tcp' : 'dns';
  const soFar = (): string => {
    if (progress.headDone) return bodyNote(progress);
    if (progress.informational > 0) return ` (${progress.informational} informational 1xx responses, no final one)`;
    return marks.first !== undefined ? ' (response headers incomplete)' : '';
  };
  /** `p`, or a rejection when the phase passes its deadline or the request is stopped. */
  const guard = <T>(p: Promise<T>, phase: Phase, what: string): Promise<T> => new Promise<T>((resolve, reject) => {
    if (stopped) {
      reject(stopped);
      return;
    }
    const timer = setTimeout(() => stop(new PhaseError(phase, `${what} timed out after ${seconds(timeoutMs)}`, 'timeout')), timeoutMs);
    const onAbort = () => reject(stopped);
    ctl.signal.addEventListener('abort', onAbort, { once: true });
    const settle = () => {
      clearTimeout(timer);
      ctl.signal.removeEventListener('abort', onAbort);
    };
    p.then((v) => {
      settle();
      resolve(v);
    }, (e: unknown) => {
      settle();
      reject(e);
    });
  });
  /** ttfb's deadline, from the request going out: the whole response head, 1xx responses included. */
  const armTtfb = () => {
    after(timeoutMs, () => {
      if (progress.headDone) return;
      const why = progress.informational > 0 ? `no final response within ${seconds(timeoutMs)} (${progress.informational} informational 1xx responses)`
        : marks.first !== undefined ? `response headers incomplete after ${seconds(timeoutMs)}`
        : `no response within ${seconds(timeoutMs)}`;
      stop(new PhaseError('ttfb', why, 'timeout'));
    });
  };
  const onInformational = () => {
    progress.informational++;
    if (progress.informational > HTTP_LIMITS.maxInformational) {
      stop(new PhaseError('ttfb', `more than ${HTTP_LIMITS.maxInformational} informational (1xx) responses and no final one: netlab closed the connection`, 'informational-limit'));
    }
  };
  /** Count body bytes; past the limit, stop. Returns false when stopped. */
  const onBody = (n: number): boolean => {
    progress.bodyBytes += n;
    if (progress.bodyBytes > maxBodyBytes) {
      stop(new PhaseError('transfer', `body larger than ${formatBytes(maxBodyBytes)}: netlab stopped reading after ${progress.bodyBytes} bytes${progress.contentLength === null ? '' : ` of ${progress.contentLength}`}`, 'body-limit'));
      return false;
    }
    return true;
  };
  const headDone = (contentLength: unknown) => {
    progress.headDone = true;
    const length = Number(contentLength);
    progress.contentLength = Number.isSafeInteger(length) && length >= 0 && contentLength !== undefined ? length : null;
    // transfer's deadline: the whole body
    after(timeoutMs, () => stop(new PhaseError('transfer', `body incomplete after ${seconds(timeoutMs)}${soFar()}`, 'timeout')));
  };

  const onAbort = () => stop(new PhaseError(current(), 'interrupted', 'interrupted'));
  if (options.signal?.aborted) return [{ ok: false, phase: 'dns', error: 'interrupted', kind: 'interrupted', partial: {} }];
  options.signal?.addEventListener('abort', onAbort, { once: true });

  /** dns, tcp and tls of the connection, marked as they end. */
  const connect = async (): Promise<Connection> => {
    // pinned, or an address in the URL: no resolution at all, the dns phase is 0
    const pinned = options.pinAddress ?? (net.isIP(host) ? host : undefined);
    if (pinned) marks.start = performance.now();
    const address = pinned ?? await guard(resolveHost(host, options.resolver, ctl.signal), 'dns', `resolving ${host}`);
    marks.dns = pinned ? marks.start : performance.now();
    const where = formatHostPort({ address, port });
    const socket = net.connect({ host: address, port });
    sockets.add(socket);
    let connected = false;
    await guard(new Promise<void>((resolve, reject) => {
      socket.prependOnceListener('connect', () => {
        connected = true;
        marks.tcp = performance.now();
        resolve();
      });
      // after the connect, an error is the later phases' to report (this listener stays, so
      // that one never goes unheard): no PhaseError and its stack for nothing
      socket.once('error', (e: NodeJS.ErrnoException) => {
        if (!connected) reject(new PhaseError('tcp', describeNetError(e, where)));
      });
    }), 'tcp', `connecting to ${where}`).catch((e) => {
      socket.destroy();
      throw e;
    });
    const remoteAddress = socket.remoteAddress ?? address;
    if (!https) {
      marks.tls = marks.tcp;
      return { socket, secure: undefined, tlsVersion: null, alpn: null, resumed: false, remoteAddress };
    }
    const secure = tls.connect({
      socket,
      // the name (or the address) the certificate must match; SNI only for a name (RFC 6066 3)
      host,
      servername: net.isIP(host) ? undefined : host,
      // issue 15: h2 preferred when asked (as curl's default over TLS), http/1.1 otherwise
      ALPNProtocols: options.http2 ? ['h2', 'http/1.1'] : ['http/1.1'],
      rejectUnauthorized: !options.insecure,
      // one context per set of trust anchors, not one per connection (client-context.ts)
      secureContext: clientContextFor(options.ca),
      ...(options.session ? { session: options.session } : {}),
    });
    sockets.add(secure);
    // Node's identity check (onConnectSecure) builds the whole chain as objects with
    // getPeerCertificate(true), about 1 ms of CPU, and hands it to checkServerIdentity, which
    // reads the leaf's subject and subjectaltname only: during the handshake the socket gives
    // the leaf alone (getPeerCertificate(false), the same check); then its own method again.
    secure.getPeerCertificate = leafOnly as tls.TLSSocket['getPeerCertificate'];
    // a TLS 1.3 ticket comes after the handshake: the latest one is the one to resume
    secure.on('session', (s: Buffer) => {
      tlsSession = s;
    });
    await guard(new Promise<void>((resolve, reject) => {
      secure.prependOnceListener('secureConnect', () => {
        marks.tls = performance.now();
        delete (secure as { getPeerCertificate?: unknown }).getPeerCertificate;
        resolve();
      });
      secure.once('error', (e: NodeJS.ErrnoException) => {
        const { why, certificate } = tlsFailureReason(e);
        reject(new PhaseError('tls', `TLS handshake with ${where} failed: ${why}`, certificate ? 'certificate' : 'error'));
      });
    }), 'tls', `TLS handshake with ${where}`).catch((e) => {
      delete (secure as { getPeerCertificate?: unknown }).getPeerCertificate;
      secure.destroy();
      throw e;
    });
    return {
      socket: secure,
      secure,
      tlsVersion: secure.getProtocol() ?? null,
      alpn: typeof secure.alpnProtocol === 'string' ? secure.alpnProtocol : null,
      resumed: secure.isSessionReused(),
      remoteAddress,
    };
  };

  let h2: import('node:http2').ClientHttp2Session | undefined;
  const requestHeaders = { 'user-agent': 'netlab', ...headersChecked };
  /** HTTP/1.1: the request's bytes, the same for every request of the call. */
  let h1Request: Buffer | undefined;
  /** HTTP/1.1: the server ended the connection (the next request cannot go on it). */
  let h1Closed = false;

  /** One HTTP/1.1 exchange on the connection; resolves with the status and headers at the body's end. */
  const exchangeH1 = (conn: Connection): Promise<{ status: number; headers: Record<string, string> }> => new Promise((resolve, reject) => {
    const socket = conn.socket;
    if (stopped) {
      reject(stopped);
      return;
    }
    if (h1Closed || socket.destroyed || !socket.writable) {
      reject(new PhaseError(current(), 'the server closed the connection before the next request'));
      return;
    }
    const parser = new Http1Parser(0, { maxInterim: HTTP_LIMITS.maxInformational, bodyless: method === 'HEAD', wholeBody: true });
    let settled = false;
    let counted = 0;
    const settle = (): void => {
      settled = true;
      // nothing is read between requests (a next request resumes)
      socket.pause();
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      ctl.signal.removeEventListener('abort', onStop);
    };
    const fail = (e: PhaseError): void => {
      if (settled) return;
      settle();
      reject(stopped ?? e);
    };
    const onStop = (): void => fail(stopped!);
    /** What the parser said, in the phase it belongs to. */
    const judge = (step: Step): void => {
      // informational answers first: their limit is said as such, whatever the parser made of it
      while (progress.informational < parser.interimCount && !stopped) onInformational();
      if (stopped) return fail(stopped);
      if (parser.headComplete && !progress.headDone) headDone(parser.headers['content-length']);
      const more = parser.bodyReceived - counted;
      counted = parser.bodyReceived;
      if (more > 0 && !onBody(more)) return fail(stopped!);
      if ('need' in step) return;
      if ('error' in step) return fail(parseFailure(step, parser.headComplete, marks.first !== undefined, progress));
      marks.end = performance.now();
      settle();
      // an answer until the close, or one whose server says it closes: no next request on it
      if (!parser.complete || /(^|,)\s*close\s*(,|$)/i.test(String(parser.headers.connection ?? ''))) h1Closed = true;
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(parser.headers)) out[k] = Array.isArray(v) ? v.join(', ') : v;
      resolve({ status: parser.statusCode, headers: out });
    };
    const onData = (chunk: Buffer): void => {
      if (settled) return;
      marks.first ??= performance.now();
      judge(parser.push(chunk));
    };
    const onEnd = (): void => {
      h1Closed = true;
      if (!settled) judge(parser.end());
    };
    const onError = (e: NodeJS.ErrnoException): void => {
      h1Closed = true;
      if (settled) return;
      // bytes then a reset: an answer until the close is judged on what came
      if (parser.headComplete) {
        const step = parser.end();
        if ('done' in step) return judge(step);
      }
      fail(new PhaseError(current(), e.code === 'ECONNRESET' ? 'connection reset by the server' : socketErrorReason(e)));
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
    socket.resume();
    ctl.signal.addEventListener('abort', onStop, { once: true });
    h1Request ??= h1RequestBytes(method, `${url.pathname}${url.search}`, url.host, requestHeaders, count > 1);
    socket.write(h1Request);
    marks.sent = performance.now();
    armTtfb();
  });

  /** issue 15: one h2 exchange, a stream on the connection's session (node:http2, loaded only here). */
  const exchangeH2 = async (conn: Connection): Promise<{ status: number; headers: Record<string, string> }> => {
    if (!h2) {
      const http2 = await import('node:http2');
      h2 = http2.connect(url.origin, {
        createConnection: () => conn.socket,
        // windows as curl's (a 10 MiB stream window, a large connection one): with HTTP/2's
        // 64 KiB defaults a later stream on the connection waits a round trip for WINDOW_UPDATE
        settings: { enablePush: false, maxHeaderListSize: HTTP_LIMITS.maxHeaderBytes, initialWindowSize: H2_STREAM_WINDOW },
        maxHeaderListPairs: 1000,
      });
      h2.setLocalWindowSize(H2_CONNECTION_WINDOW);
      h2.on('error', (e: Error) => stop(new PhaseError(current(), `HTTP/2: ${socketErrorReason(e)}`)));
      h2.on('goaway', (code: number) => {
        if (code !== 0) stop(new PhaseError(current(), `HTTP/2: the server sent GOAWAY (error code ${code})`));
      });
      const session = h2;
      if (session.connecting) await guard(new Promise<void>((resolve) => session.once('connect', () => resolve())), current(), 'the HTTP/2 session');
    }
    const session = h2;
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(requestHeaders)) {
      // h2 carries Host as :authority (RFC 9113 8.3.1)
      if (k === 'host') headers[':authority'] = Array.isArray(v) ? v[0]! : v;
      else headers[k] = v;
    }
    headers[':method'] = options.method ?? 'GET';
    headers[':path'] = `${url.pathname}${url.search}`;
    marks.sent = performance.now();
    armTtfb();
    const stream = session.request(headers as never, { endStream: true });
    const head = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const onStop = () => reject(stopped);
      ctl.signal.addEventListener('abort', onStop, { once: true });
      stream.on('headers', () => {
        marks.first ??= performance.now();
        onInformational();
      });
      stream.once('response', (h: Record<string, unknown>) => {
        marks.first ??= performance.now();
        ctl.signal.removeEventListener('abort', onStop);
        resolve(h);
      });
      stream.once('error', (e: Error) => reject(stopped ?? new PhaseError('ttfb', `HTTP/2 stream: ${socketErrorReason(e)}`)));
      stream.once('close', () => reject(stopped ?? new PhaseError('ttfb', marks.first === undefined ? 'the server closed the stream without answering' : 'the server closed the stream before the end of the response headers')));
    });
    if (stopped) throw stopped;
    headDone(head['content-length']);
    await new Promise<void>((resolve, reject) => {
      const onStop = () => reject(stopped);
      ctl.signal.addEventListener('abort', onStop, { once: true });
      let ended = false;
      stream.on('data', (chunk: Buffer) => {
        if (!onBody(chunk.length)) stream.close();
      });
      stream.once('end', () => {
        ended = true;
        ctl.signal.removeEventListener('abort', onStop);
        resolve();
      });
      stream.once('error', (e: Error) => reject(stopped ?? new PhaseError('transfer', `HTTP/2 stream: ${socketErrorReason(e)}${bodyNote(progress)}`)));
      stream.once('close', () => {
        if (!ended) reject(stopped ?? new PhaseError('transfer', `the server closed the stream before the end of the body${bodyNote(progress)}`));
      });
    });
    marks.end = performance.now();
    if (stopped) throw stopped;
    const status = Number(head[':status']);
    const bodyless = headers[':method'] === 'HEAD' || status === 204 || status === 304;
    if (!bodyless && progress.contentLength !== null && progress.bodyBytes !== progress.contentLength) {
      throw new PhaseError('transfer', `the body does not match its Content-Length${bodyNote(progress)}`);
    }
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(head)) if (!k.startsWith(':')) out[k] = Array.isArray(v) ? v.join(', ') : String(v ?? '');
    return { status, headers: out };
  };

  const samples: Sample[] = [];
  let conn: Connection | undefined;
  try {
    for (let i = 0; i < count; i++) {
      if (i > 0) {
        // the connection is there: dns, tcp and tls are 0, the request starts now
        const now = performance.now();
        marks = { start: now, dns: now, tcp: now, tls: now };
        progress = fresh();
      }
      if (options.maxTimeMs !== undefined) {
        const maxTimeMs = options.maxTimeMs;
        after(maxTimeMs, () => stop(new PhaseError(current(), `the whole request took longer than ${seconds(maxTimeMs)}${soFar()}`, 'max-time')));
      }
      try {
        conn ??= await connect();
        const h2ok = conn.alpn === 'h2';
        const r = h2ok ? await exchangeH2(conn) : await exchangeH1(conn);
        const first = marks.first ?? marks.end!;
        const sent = marks.sent ?? marks.tls!;
        // The short wait between connect/handshake and the request going out (curl's
        // appconnect..pretransfer) belongs to tls over HTTPS and to tcp over HTTP, so that the
        // phases add up to the total.
        const connected = https ? marks.tcp! : sent;
        samples.push({
          ok: true,
          phases: {
            dnsMs: roundMs(marks.dns! - marks.start),
            tcpMs: roundMs(connected - marks.dns!),
            tlsMs: roundMs(https ? sent - marks.tcp! : 0),
            ttfbMs: roundMs(first - sent),
            transferMs: roundMs(marks.end! - first),
            totalMs: roundMs(marks.end! - marks.start),
          },
          status: r.status,
          httpVersion: h2ok ? '2' : '1.1',
          tlsVersion: conn.tlsVersion,
          resumed: conn.resumed,
          reusedConnection: i > 0,
          remoteAddress: conn.remoteAddress,
          remotePort: port,
          headers: r.headers,
          bodyBytes: progress.bodyBytes,
          ...(tlsSession ? { tlsSession } : {}),
        });
      } catch (e) {
        samples.push(failed(stopped ?? e, marks, https, progress, current()));
        break;
      } finally {
        for (const t of timers) clearTimeout(t);
        timers = [];
      }
    }
    return samples;
  } finally {
    for (const t of timers) clearTimeout(t);
    options.signal?.removeEventListener('abort', onAbort);
    const session = h2 as import('node:http2').ClientHttp2Session | undefined;
    session?.destroy();
    for (const s of sockets) s.destroy();
  }
}

/** An error as a failure of the phase it ended: ours as it is, a socket's in words. */
function describeError(e: unknown, phase: Phase): PhaseError {
  if (e instanceof PhaseError) return e;
  const code = (e as { code?: string }).code ?? '';
  if (code === 'ECONNRESET') return new PhaseError(phase, 'connection reset by the server');
  return new PhaseError(phase, socketErrorReason(e));
}

function bodyNote(p: Progress): string {
  return ` (${p.bodyBytes}${p.contentLength === null ? '' : ` of ${p.contentLength}`} body bytes received)`;
}

function failed(e: unknown, marks: Marks, https: boolean, progress: Progress, phaseNow: Phase): SampleFailed {
  const err = describeError(e, phaseNow);
  const phase = err.phase;
  // the phases before the one that failed, with the same boundaries as a complete sample's
  const done = (p: Phase) => PHASE_ORDER.indexOf(p) < PHASE_ORDER.indexOf(phase);
  const partial: Partial<Phases> = {};
  if (done('dns') && marks.dns !== undefined) partial.dnsMs = roundMs(marks.dns - marks.start);
  if (done('tcp') && marks.dns !== undefined && marks.tcp !== undefined) {
    // over HTTP, tcp runs up to the request being sent (tls is 0), as in a complete sample
    partial.tcpMs = roundMs((https ? marks.tcp : marks.sent ?? marks.tcp) - marks.dns);
  }
  if (done('tls') && marks.tcp !== undefined) {
    const sent = marks.sent ?? marks.tls;
    if (!https) partial.tlsMs = 0;
    else if (sent !== undefined) partial.tlsMs = roundMs(sent - marks.tcp);
  }
  if (done('ttfb') && marks.sent !== undefined && marks.first !== undefined) partial.ttfbMs = roundMs(marks.first - marks.sent);
  const out: SampleFailed = { ok: false, phase, error: err.message, kind: err.kind, partial };
  if (phase === 'transfer') out.bodyBytes = progress.bodyBytes;
  return out;
}
