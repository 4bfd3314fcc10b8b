/**
 * DNS over HTTPS (RFC 8484): one HTTP/2 session to the server, over TLS (ALPN h2) or over
 * cleartext HTTP/2 with prior knowledge (h2c, "http-plain"), each query a stream: POST with
 * the message as body, or GET with it base64url-encoded in `?dns=`. The answer must be HTTP
 * 200 with content-type application/dns-message, and its ID and question must match the
 * query's. A server that answers HTML, another status, or speaks only HTTP/1.1 is an error in
 * one line. node:http2 is loaded only when a session opens.
 */
import type http2 from 'node:http2';
import { NetlabError } from '../../errors.js';
import { socketErrorReason } from '../../util/net-errors.js';
import { nodeNet } from '../../util/builtins.js';
import { decodeMessage, type DnsMessage } from './wire.js';
import { buildQuery, describe, mismatch, type Question, type Server, type TransportOptions } from './transport.js';
import { connectTls, type TlsInfo, type TlsSettings } from './dot.js';
import { unwatchAbort, watchAbort } from '../../util/abort-watch.js';

/** The largest DoH answer body read: a DNS message is at most 65,535 bytes. */
const MAX_BODY = 65_535;

/**
 * Streams open at once on one session, at most (and no more than the server's
 * SETTINGS_MAX_CONCURRENT_STREAMS): BIND 9.18 drops the whole session when some 50 streams
 * arrive at once, though it announces 100. Further queries wait for a stream to end.
 */
const MAX_STREAMS = 32;

const DNS_MESSAGE = 'application/dns-message';

/** A GET's stream ends with its headers; request() copies its options, so one object serves every query. */
const GET_OPTIONS = { endStream: true } as const;

export interface DohSettings {
  /** Over TLS with these settings; undefined: cleartext HTTP/2 (h2c). */
  tls?: TlsSettings;
  /** The endpoint's path. Default `/dns-query`. */
  path?: string;
  /** Default POST. */
  method?: 'POST' | 'GET';
}

interface Session {
  session: http2.ClientHttp2Session;
  info?: TlsInfo;
  /** Answers received on it. */
  answered: number;
}

let http2Module: typeof import('node:http2') | undefined;

/**
 * A DoH client for one server: the HTTP/2 session is opened on the first query and its
 * streams carry every query after it, many at once. A session the server closed (GOAWAY,
 * reset) is opened again once for a query that failed with it. `opened` counts sessions.
 */
export class DohConnection {
  opened = 0;
  private current?: Session;
  private connecting?: Promise<Session>;
  private closed = false;
  private inFlight = 0;
  /** A handshake or an HTTP/2 start that failed (certificate, not a DoH server) fails the same way again: not retried per query. */
  private failure?: NetlabError;
  private readonly queue: Array<() => void> = [];
  /** POST headers by body length: the same few objects for a whole batch (request() copies what it is given). */
  private readonly postHeaders = new Map<number, http2.OutgoingHttpHeaders>();

  constructor(readonly server: Server, private readonly settings: DohSettings, private readonly connectTimeoutMs = 5000) {}

  private get where(): string {
    return describe(this.server);
  }

  private async open(signal?: AbortSignal): Promise<Session> {
    const cur = this.current;
    if (cur && !cur.session.closed && !cur.session.destroyed) return cur;
    if (this.failure) throw this.failure;
    this.connecting ??= (async () => {
      try {
        http2Module ??= await import('node:http2');
        const h2 = http2Module;
        const tlsSettings = this.settings.tls;
        let info: TlsInfo | undefined;
        let session: http2.ClientHttp2Session;
        const host = this.server.address.includes(':') ? `[${this.server.address}]` : this.server.address;
        if (tlsSettings) {
          const c = await connectTls(this.server, tlsSettings, ['h2'], this.connectTimeoutMs, signal).catch((e: unknown) => {
            // a server that refuses ALPN h2 (an HTTP/1.1-only one) is not a DoH server
            if (e instanceof NetlabError && e.code === 'HANDSHAKE_FAILED' && /none of the protocols offered/.test(e.message)) {
              throw new NetlabError('MISMATCH', `DoH server ${this.where} does not speak HTTP/2 (it refused ALPN h2: HTTP/1.1 only?)`, { cause: e });
            }
            throw e;
          });
          if (c.info.alpn !== 'h2') {
            c.socket.destroy();
            throw new NetlabError('MISMATCH', `DoH server ${this.where} does not speak HTTP/2 (ALPN: ${c.info.alpn ?? 'none, HTTP/1.1 only'})`);
          }
          info = c.info;
          // small frames both ways: no Nagle delay on ours
          c.socket.setNoDelay(true);
          session = h2.connect(`https://${host}:${this.server.port}`, { createConnection: () => c.socket });
        } else {
          const socket = nodeNet().connect({ host: this.server.address, port: this.server.port, noDelay: true });
          session = h2.connect(`http://${host}:${this.server.port}`, { createConnection: () => socket });
        }
        // wait for the server's SETTINGS: an HTTP/1.1-only server never sends them
        await new Promise<void>((resolve, reject) => {
          const fail = (e: NetlabError) => {
            clearTimeout(timer);
            session.destroy();
            reject(e);
          };
          const timer = setTimeout(() => fail(new NetlabError('TIMEOUT', `communications error to ${this.where}: timed out (no HTTP/2 SETTINGS from the server)`)), this.connectTimeoutMs);
          session.once('remoteSettings', () => {
            clearTimeout(timer);
            session.off('error', onError);
            session.off('close', onClose);
            resolve();
          });
          const onError = (e: NodeJS.ErrnoException) => {
            if (e.code === 'ECONNREFUSED' || e.code === 'ECONNRESET' || e.code === 'EHOSTUNREACH') fail(new NetlabError('UNREACHABLE', `communications error to ${this.where}: ${socketErrorReason(e)}`, { cause: e }));
            else fail(new NetlabError('MISMATCH', `DoH server ${this.where} does not speak HTTP/2${tlsSettings ? '' : ' with prior knowledge (h2c)'}: ${socketErrorReason(e)}`, { cause: e }));
          };
          const onClose = () => fail(new NetlabError('MISMATCH', `DoH server ${this.where} closed the connection before HTTP/2 started (HTTP/1.1 only?)`));
          session.on('error', onError);
          session.on('close', onClose);
        });
        session.on('error', () => undefined); // the streams report what they lose
        this.opened++;
        const s: Session = { session, info, answered: 0 };
        if (this.closed) session.destroy();
        this.current = s;
        return s;
      } catch (e) {
        if (e instanceof NetlabError && (e.code === 'HANDSHAKE_FAILED' || e.code === 'MISMATCH')) this.failure = e;
        throw e;
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  /** Ask one question (the session opened if needed). Same errors as query(), and MISMATCH for an HTTP answer that is not DoH. */
  async exchange(question: Question, options: TransportOptions, timeoutMs: number): Promise<{ message: DnsMessage; timeMs: number; tls?: TlsInfo }> {
    const limit = Math.max(1, Math.min(MAX_STREAMS, this.current?.session.remoteSettings?.maxConcurrentStreams ?? MAX_STREAMS));
    if (this.inFlight >= limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.inFlight++;
    try {
      return await this.retried(question, options, timeoutMs);
    } finally {
      this.inFlight--;
      this.queue.shift()?.();
    }
  }

  /**
   * The server closed the session under this query (GOAWAY, reset): once more on a new one, and
   * again after a session that answered others (a server that ends each session after N
   * streams still gets through a batch); never after a session that answered nothing.
   */
  private async retried(question: Question, options: TransportOptions, timeoutMs: number): Promise<{ message: DnsMessage; timeMs: number; tls?: TlsInfo }> {
    for (let attempt = 0; ; attempt++) {
      const used: { session?: Session } = {};
      try {
        return await this.once(question, options, timeoutMs, used);
      } catch (e) {
        const closedUnder = e instanceof NetlabError && e.code === 'UNREACHABLE' && /session closed|GOAWAY|stream reset/.test(e.message);
        if (!closedUnder || this.closed || (attempt > 0 && (used.session?.answered ?? 0) === 0)) throw e;
      }
    }
  }

  private async once(question: Question, options: TransportOptions, timeoutMs: number, used: { session?: Session }): Promise<{ message: DnsMessage; timeMs: number; tls?: TlsInfo }> {
    if (this.closed) throw new NetlabError('INTERNAL', 'DoH session already closed');
    const signal = options.signal;
    signal?.throwIfAborted();
    const s = await this.open(signal);
    used.session = s;
    const { id, wire } = buildQuery(question, options);
    const path = this.settings.path ?? '/dns-query';
    const get = this.settings.method === 'GET';
    const headers = get
      ? { ':method': 'GET', ':path': `${path}${path.includes('?') ? '&' : '?'}dns=${wire.toString('base64url')}`, accept: DNS_MESSAGE }
      : this.postHeadersFor(path, wire.length);
    return new Promise((resolve, reject) => {
      const start = performance.now();
      let stream: http2.ClientHttp2Stream;
      try {
        // a POST's stream stays open for its body by default: no options object for it
        stream = get ? s.session.request(headers, GET_OPTIONS) : s.session.request(headers);
      } catch (e) {
        reject(new NetlabError('UNREACHABLE', `communications error to ${this.where}: session closed (${socketErrorReason(e)})`, { cause: e }));
        return;
      }
      let done = false;
      const finish = (err?: NetlabError, v?: { message: DnsMessage; timeMs: number; tls?: TlsInfo }) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (signal) unwatchAbort(signal, onAbort);
        // a stream that ended ends by itself; one cut short (timeout, abort, bad answer) is reset
        if (err && !stream.closed) stream.close();
        if (err) reject(err);
        else resolve(v!);
      };
      const onAbort = () => finish(new NetlabError('TIMEOUT', 'query cancelled'));
      // one abort listener per signal for every query under it (src/util/abort-watch.ts)
      if (signal) watchAbort(signal, onAbort);
      const timer = setTimeout(() => finish(new NetlabError('TIMEOUT', `communications error to ${this.where}: timed out`)), timeoutMs);
      let status = 0;
      let type = '';
      // the body: one chunk (a DNS answer in one DATA frame), more only when it came in pieces
      let first: Buffer | undefined;
      let more: Buffer[] | undefined;
      let size = 0;
      stream.on('response', (h) => {
        status = Number(h[':status']);
        type = String(h['content-type'] ?? '');
      });
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) finish(new NetlabError('MISMATCH', `DoH server ${this.where} sent more than ${MAX_BODY} bytes: not a DNS message`));
        else if (!first) first = c;
        else (more ??= [first]).push(c);
      });
      stream.on('error', (e: NodeJS.ErrnoException) => {
        finish(new NetlabError('UNREACHABLE', `communications error to ${this.where}: stream reset (${socketErrorReason(e)})`, { cause: e }));
      });
      stream.on('end', () => {
        const timeMs = performance.now() - start;
        if (status === 0) return finish(new NetlabError('UNREACHABLE', `communications error to ${this.where}: session closed before an answer`));
        // the usual content-type exactly as RFC 8484 names it: no need to take it apart
        const mime = type === DNS_MESSAGE ? type : type.split(';')[0]!.trim().toLowerCase();
        if (status !== 200) return finish(new NetlabError('MISMATCH', `DoH server ${this.where} answered HTTP ${status}${mime ? ` (${mime})` : ''} for ${path}`));
        if (mime !== DNS_MESSAGE) return finish(new NetlabError('MISMATCH', `DoH server ${this.where} answered ${mime || 'no content-type'} instead of application/dns-message (not a DoH endpoint?)`));
        const body = more ? Buffer.concat(more) : first ?? Buffer.alloc(0);
        let message: DnsMessage;
        try {
          message = decodeMessage(body);
        } catch (e) {
          return finish(new NetlabError('MALFORMED_PACKET', `DoH answer from ${this.where} is not a DNS message: ${e instanceof Error ? e.message : String(e)}`));
        }
        // one stream, one answer: one that is not ours is an error, not something to wait past
        const why = mismatch(message, id, question);
        if (why) return finish(new NetlabError('MISMATCH', `DoH answer from ${this.where} does not match the query: ${why}`));
        s.answered++;
        finish(undefined, { message, timeMs, tls: s.info });
      });
      if (!get) stream.end(wire);
    });
  }

  /** The headers of a POST of `length` bytes to `path`, made once per length. */
  private postHeadersFor(path: string, length: number): http2.OutgoingHttpHeaders {
    let h = this.postHeaders.get(length);
    if (!h) {
      // named answers 400 to a POST without content-length (RECIPES 2)
      h = { ':method': 'POST', ':path': path, accept: DNS_MESSAGE, 'content-type': DNS_MESSAGE, 'content-length': length };
      // bounded: a DNS query is at most 65,535 bytes, and a batch's come in a few lengths
      if (this.postHeaders.size >= 512) this.postHeaders.clear();
      this.postHeaders.set(length, h);
    }
    return h;
  }

  /** Close the session; streams still open are cancelled. */
  async close(): Promise<void> {
    this.closed = true;
    const s = this.current ?? (this.connecting ? await this.connecting.catch(() => undefined) : undefined);
    if (!s || s.session.destroyed) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        s.session.destroy();
        resolve();
      }, 1000);
      s.session.close(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
