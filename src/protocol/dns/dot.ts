/**
 * DNS over TLS (RFC 7858): one TLS connection to the server, messages framed with the 2-byte
 * length of DNS over TCP, several queries in flight on it at once (RFC 7766 pipelining), each
 * answer matched to its query by ID and question as transport.ts does for UDP and TCP.
 * Certificates are verified (the strict privacy profile of RFC 8310) when a CA or a name to
 * verify is given; otherwise the connection is encrypted but not authenticated (the
 * opportunistic profile), and TlsInfo says so. node:tls is loaded only when a connection opens.
 */
import type tls from 'node:tls';
import { NetlabError } from '../../errors.js';
import { socketErrorReason } from '../../util/net-errors.js';
import { ipFamily } from '../../util/ip.js';
import { nodeCrypto } from '../../util/builtins.js';
import { decodeMessage, frame, FrameReader, type DnsMessage } from './wire.js';
import { buildQuery, describe, mismatch, type Question, type Server, type TransportOptions } from './transport.js';
import { unwatchAbort, watchAbort } from '../../util/abort-watch.js';

/** How to set up TLS to a DNS server (DoT, DoH). */
export interface TlsSettings {
  /**
   * Verify the server's certificate (strict profile). Default: true when `ca` or `hostname`
   * is given, else false (opportunistic: encrypt, do not authenticate).
   */
  verify?: boolean;
  /** CA certificates to trust (PEM); none with `verify`: the system's roots. */
  ca?: string | Buffer;
  /** The name to verify the certificate against and send as SNI; default `serverName`, else the address. */
  hostname?: string;
  /** The server as the user named it (a host name), when it was one: SNI and the name to verify. */
  serverName?: string;
}

/** What was negotiated with the server, and whether its certificate was checked. */
export interface TlsInfo {
  /** RFC 8310: `strict` (certificate verified) or `opportunistic` (encrypted, not authenticated). */
  profile: 'strict' | 'opportunistic';
  /** The certificate chain and name were verified. */
  verified: boolean;
  /** The name verified (and sent as SNI when it is not an address); with `opportunistic`, none. */
  hostname?: string;
  /** `TLSv1.3`... */
  protocol?: string;
  cipher?: string;
  /** The ALPN protocol agreed (`dot`, `h2`), or null when none. */
  alpn?: string | null;
  /** The leaf certificate's subject CN and issuer CN, as the server sent them. */
  subject?: string;
  issuer?: string;
}

/** Whether these settings verify the certificate. */
export function verifies(settings: TlsSettings): boolean {
  return settings.verify ?? (settings.ca !== undefined || settings.hostname !== undefined);
}

/** The name to verify: the one asked for, else the server's name, else its address. */
function nameToVerify(server: Server, settings: TlsSettings): string {
  return settings.hostname ?? settings.serverName ?? server.address;
}

let tlsModule: typeof import('node:tls') | undefined;

/**
 * Open a TLS connection to `server` offering `alpn`. Throws NetlabError UNREACHABLE (refused,
 * reset, closed during the handshake), TIMEOUT, HANDSHAKE_FAILED (a certificate that does not
 * verify, or no common protocol).
 */
export async function connectTls(server: Server, settings: TlsSettings, alpn: string[], timeoutMs: number, signal?: AbortSignal): Promise<{ socket: tls.TLSSocket; info: TlsInfo }> {
  tlsModule ??= await import('node:tls');
  const strict = verifies(settings);
  const name = nameToVerify(server, settings);
  const sni = ipFamily(name.replace(/^\[(.*)\]$/, '$1')) === 0 ? name.replace(/\.$/, '') : undefined;
  const t = tlsModule;
  return new Promise((resolve, reject) => {
    const socket = t.connect({
      host: server.address,
      port: server.port,
      servername: sni,
      ALPNProtocols: alpn,
      rejectUnauthorized: strict,
      ...(settings.ca !== undefined ? { ca: settings.ca } : {}),
      // the name to check is ours, not the address we connect to
      checkServerIdentity: (_host, cert) => (strict ? t.checkServerIdentity(name.replace(/^\[(.*)\]$/, '$1'), cert) : undefined),
    });
    let done = false;
    const finish = (err?: NetlabError) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (err) {
        socket.destroy();
        reject(err);
        return;
      }
      const cert = socket.getPeerCertificate();
      const cn = (x: unknown): string | undefined => {
        const v = (x as { CN?: string | string[] } | undefined)?.CN;
        return Array.isArray(v) ? v[0] : v;
      };
      const info: TlsInfo = {
        profile: strict ? 'strict' : 'opportunistic',
        verified: strict && socket.authorized,
        ...(strict ? { hostname: name } : {}),
        protocol: socket.getProtocol() ?? undefined,
        cipher: socket.getCipher()?.name,
        alpn: socket.alpnProtocol || null,
      };
      if (cert && cn(cert.subject) !== undefined) info.subject = cn(cert.subject);
      if (cert && cn(cert.issuer) !== undefined) info.issuer = cn(cert.issuer);
      resolve({ socket, info });
    };
    const where = describe(server);
    const onAbort = () => finish(new NetlabError('TIMEOUT', 'query cancelled'));
    const onError = (e: NodeJS.ErrnoException) => {
      const code = e.code ?? '';
      const certProblem = code.startsWith('ERR_TLS_CERT') || /CERT|SELF_SIGNED|UNABLE_TO|VERIFY/.test(code);
      if (certProblem) finish(new NetlabError('HANDSHAKE_FAILED', `TLS certificate of ${where} not verified for ${name}: ${certReason(e)}`, { cause: e }));
      else if (code.startsWith('ERR_SSL') || code === 'ERR_TLS_HANDSHAKE_TIMEOUT') finish(new NetlabError('HANDSHAKE_FAILED', `TLS handshake with ${where} failed: ${sslReason(e, alpn)}`, { cause: e }));
      else finish(new NetlabError('UNREACHABLE', `communications error to ${where}: ${socketErrorReason(e)}`, { cause: e }));
    };
    const onClose = () => finish(new NetlabError('UNREACHABLE', `communications error to ${where}: connection closed during the TLS handshake`));
    const timer = setTimeout(() => finish(new NetlabError('TIMEOUT', `communications error to ${where}: timed out (TLS handshake)`)), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.once('secureConnect', () => finish());
  });
}

/** An OpenSSL error in a few words: its reason, without the library's file and line. */
function sslReason(e: NodeJS.ErrnoException, alpn: string[]): string {
  const reason = /:SSL routines:[^:]*:([^:]+)/.exec(e.message)?.[1] ?? (e as { reason?: string }).reason ?? socketErrorReason(e);
  if (/no application protocol/i.test(reason)) return `the server speaks none of the protocols offered (ALPN ${alpn.join(', ')})`;
  return reason;
}

/** A certificate error in a few words. */
function certReason(e: NodeJS.ErrnoException): string {
  if (e.code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `hostname mismatch (${e.message.replace(/^.*?: /, '')})`;
  const words: Record<string, string> = {
    UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'issuer not trusted (unable to get the issuer certificate locally)',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the first certificate',
    SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain (not trusted)',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
    CERT_HAS_EXPIRED: 'certificate has expired',
    CERT_NOT_YET_VALID: 'certificate is not yet valid',
  };
  return words[e.code ?? ''] ?? e.message.split('\n')[0]!;
}

interface Waiter {
  id: number;
  question: Question;
  wire: Buffer;
  start: number;
  timer: NodeJS.Timeout;
  /** Sent again once on a new connection after the server closed the first. */
  resent: boolean;
  dropped?: string;
  /** The query's stop signal, and what it calls (one listener per signal, src/util/abort-watch.ts). */
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  resolve(v: { message: DnsMessage; timeMs: number; tls: TlsInfo }): void;
  reject(e: NetlabError): void;
}

/** One DoT connection's state. */
interface Link {
  socket: tls.TLSSocket;
  info: TlsInfo;
  reader: FrameReader;
  waiting: Map<number, Waiter>;
  /** Answers matched on this connection. */
  answered: number;
  /** Writes are held (corked) until the end of this event-loop turn: the queries of one turn go out in one TLS write. */
  corked: boolean;
}

/** A waiter is done: its timer and its abort callback go. */
function release(w: Waiter): void {
  clearTimeout(w.timer);
  if (w.signal) unwatchAbort(w.signal, w.onAbort!);
}

/** The end of the turn in which a connection's writes were corked: out they go, together. */
function uncork(link: Link): void {
  link.corked = false;
  link.socket.uncork();
}

/**
 * A DoT connection to one server, opened on the first query and shared by every query after
 * it: queries are written as they come (pipelined, RFC 7766 6.2.1.1) and answers, in any
 * order, are matched by ID and question. When the server closes the connection, the queries
 * still waiting are sent again once on a new one. `opened` counts the connections made.
 */
export class DotConnection {
  opened = 0;
  private link?: Link;
  private connecting?: Promise<Link>;
  private closed = false;
  /** A handshake that failed on the certificate or the protocol fails the same way again: not retried per query. */
  private failure?: NetlabError;

  constructor(readonly server: Server, private readonly settings: TlsSettings, private readonly connectTimeoutMs = 5000) {}

  private async connect(signal?: AbortSignal): Promise<Link> {
    if (this.link && !this.link.socket.destroyed && this.link.socket.writable) return this.link;
    if (this.failure) throw this.failure;
    this.connecting ??= (async () => {
      try {
        const { socket, info } = await connectTls(this.server, this.settings, ['dot'], this.connectTimeoutMs, signal).catch((e: unknown) => {
          if (e instanceof NetlabError && e.code === 'HANDSHAKE_FAILED') this.failure = e;
          throw e;
        });
        this.opened++;
        const link: Link = { socket, info, reader: new FrameReader(), waiting: new Map(), answered: 0, corked: false };
        socket.setNoDelay(true);
        socket.on('data', (chunk: Buffer) => this.onData(link, chunk));
        socket.on('error', () => undefined); // the close that follows decides
        socket.on('close', () => this.onClose(link));
        if (this.closed) socket.destroy();
        this.link = link;
        return link;
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  private onData(link: Link, chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = link.reader.push(chunk);
    } catch (e) {
      for (const w of link.waiting.values()) this.fail(link, w, e as NetlabError);
      link.socket.destroy();
      return;
    }
    const now = performance.now();
    for (const f of frames) {
      if (f.length < 2) continue;
      const w = link.waiting.get(f.readUInt16BE(0));
      if (!w) continue;
      let message: DnsMessage;
      try {
        message = decodeMessage(f);
      } catch (e) {
        w.dropped = e instanceof Error ? e.message : String(e);
        continue;
      }
      const why = mismatch(message, w.id, w.question);
      if (why) {
        w.dropped = why;
        continue;
      }
      link.waiting.delete(w.id);
      release(w);
      link.answered++;
      w.resolve({ message, timeMs: now - w.start, tls: link.info });
    }
  }

  private fail(link: Link, w: Waiter, e: NetlabError): void {
    release(w);
    link.waiting.delete(w.id);
    w.reject(e);
  }

  /**
   * The server closed the connection: what was not answered goes once more on a new one (again
   * after a connection that answered some: a server that ends each connection after N queries
   * still gets through a batch, one connection per N answers).
   */
  private onClose(link: Link): void {
    if (this.link === link) this.link = undefined;
    const left = [...link.waiting.values()];
    link.waiting.clear();
    const partial = link.reader.buffered > 0 ? ' in the middle of a message' : '';
    for (const w of left) {
      if ((w.resent && link.answered === 0) || this.closed) {
        release(w);
        const extra = w.dropped ? ` (dropped a reply: ${w.dropped})` : '';
        w.reject(new NetlabError('UNREACHABLE', `communications error to ${describe(this.server)}: connection closed by the server${partial}${extra}`));
        continue;
      }
      w.resent = true;
      this.connect().then((l) => this.send(l, w), (e: NetlabError) => {
        release(w);
        w.reject(e);
      });
    }
  }

  private send(link: Link, w: Waiter): void {
    // an ID already waiting on this connection would make two answers ambiguous: pick another
    while (link.waiting.has(w.id)) {
      w.id = nodeCrypto().randomInt(0, 0x10000);
      w.wire.writeUInt16BE(w.id, 0);
    }
    link.waiting.set(w.id, w);
    w.start = performance.now();
    // the queries a turn of the event loop asks (a batch's workers, as answers free them) go
    // out in one write, one TLS record, instead of one each. Uncorked after the turn's I/O
    // callbacks (setImmediate): all the answers a read brought have freed their workers by then
    // (a batch of 2,000 names: about 340 write calls in all, stdout included, against about 520
    // when uncorked after each callback's microtasks with process.nextTick)
    if (!link.corked) {
      link.corked = true;
      link.socket.cork();
      setImmediate(uncork, link);
    }
    link.socket.write(frame(w.wire));
  }

  /** Ask one question on the connection (opened if needed). Same errors as query(). */
  async exchange(question: Question, options: TransportOptions, timeoutMs: number): Promise<{ message: DnsMessage; timeMs: number; tls: TlsInfo }> {
    if (this.closed) throw new NetlabError('INTERNAL', 'DoT connection already closed');
    const signal = options.signal;
    signal?.throwIfAborted();
    const link = await this.connect(signal);
    const { id, wire } = buildQuery(question, options);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        id, question, wire, start: 0, resent: false, signal, onAbort: undefined, resolve, reject,
        timer: setTimeout(() => {
          this.link?.waiting.delete(w.id);
          link.waiting.delete(w.id);
          if (signal) unwatchAbort(signal, w.onAbort!);
          const extra = w.dropped ? ` (dropped a reply: ${w.dropped})` : '';
          reject(new NetlabError('TIMEOUT', `communications error to ${describe(this.server)}: timed out${extra}`));
        }, timeoutMs),
      };
      if (signal) {
        w.onAbort = () => {
          clearTimeout(w.timer);
          this.link?.waiting.delete(w.id);
          reject(new NetlabError('TIMEOUT', 'query cancelled'));
        };
        watchAbort(signal, w.onAbort);
      }
      this.send(link, w);
    });
  }

  /** Close the connection; queries still waiting fail. */
  async close(): Promise<void> {
    this.closed = true;
    const link = this.link ?? (this.connecting ? await this.connecting.catch(() => undefined) : undefined);
    if (!link || link.socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        link.socket.destroy();
        resolve();
      }, 1000);
      link.socket.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      link.socket.end();
    });
  }
}
