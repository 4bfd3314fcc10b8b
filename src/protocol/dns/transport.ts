/**
 * DNS over UDP and TCP. Every query gets a random ID and a fresh socket on an OS-chosen
 * source port; a reply counts only when it comes from the server's address and port and
 * carries our ID and our question (RFC 5452 section 9.1), anything else is dropped and we
 * keep waiting. A truncated UDP reply (TC) is retried over TCP, as dig does.
 */
import type dgram from 'node:dgram';
import { NetlabError } from '../../errors.js';
import { roundMs } from '../../util/round.js';
import { socketErrorReason } from '../../util/net-errors.js';
import { decodeMessage, encodeQuery, frame, FrameReader, type DnsMessage } from './wire.js';
import { canonicalName } from './names.js';
import type { ClientSubnet, DnsCookie } from './edns-options.js';
import { nodeCrypto, nodeDgram, nodeNet } from '../../util/builtins.js';
import { signTsig, TsigVerifier, type TsigKey, type TsigVerdict } from './tsig.js';
import type { TlsInfo, TlsSettings } from './dot.js';
import type { EncryptedPool } from './encrypted.js';
import { unwatchAbort, watchAbort } from '../../util/abort-watch.js';

/** How a query travels: Do53 over UDP or TCP, DoT (RFC 7858), DoH over TLS or cleartext HTTP/2 (RFC 8484). */
export type DnsTransport = 'udp' | 'tcp' | 'tls' | 'https' | 'http-plain';

/** A DNS server: an IP address (not a name) and a port. */
export interface Server {
  address: string;
  port: number;
}

/** A question: the name (presentation form), the type code, the class code (default 1, IN). */
export interface Question {
  name: string;
  type: number;
  class?: number;
}

/** Options of query(); the defaults are dig's: 5000 ms per try, 3 tries over UDP, EDNS with a 1232-byte size, RD set. */
export interface TransportOptions {
  /** Per try, milliseconds. */
  timeoutMs?: number;
  /** Total attempts over UDP (dig's +tries). */
  tries?: number;
  /** Query over TCP from the start (+tcp). */
  tcp?: boolean;
  /** Do not retry a truncated UDP answer over TCP (+ignore). */
  ignoreTruncation?: boolean;
  recurse?: boolean;
  /** EDNS(0): false to send none (+noedns); with ECS (RFC 7871) and a cookie (RFC 7873) to send. */
  edns?: false | { udpSize: number; do?: boolean; nsid?: boolean; subnet?: ClientSubnet; cookie?: DnsCookie };
  cd?: boolean;
  ad?: boolean;
  signal?: AbortSignal;
  /** Share a few long-lived UDP sockets among many queries (batches); default: a socket per query. */
  pool?: UdpPool;
  /** Sign the query with this TSIG key (RFC 8945) and verify the answer's (Exchange.tsig); no pool then. */
  tsig?: TsigKey;
  /** `tls` (DoT), `https` (DoH over TLS), `http-plain` (DoH over h2c); default UDP (TCP with `tcp`). */
  transport?: DnsTransport;
  /** TLS of `tls` and `https`: what to verify (default: nothing, the opportunistic profile). */
  tls?: TlsSettings;
  /** DoH: the endpoint's path (default /dns-query) and method (default POST). */
  doh?: { path?: string; method?: 'POST' | 'GET' };
  /** Share one DoT connection or HTTP/2 session per server among many queries; default: one per query. */
  connections?: EncryptedPool;
}

/** One question answered: the server, the transport that carried the answer, the decoded message. */
export interface Exchange {
  server: Server;
  transport: DnsTransport;
  message: DnsMessage;
  /** Round trip of the query that produced `message`, milliseconds. */
  timeMs: number;
  /** The UDP answer was truncated and this one came over TCP. */
  tcpFallback: boolean;
  /** With TransportOptions.tsig: what verifying the answer's TSIG found. */
  tsig?: TsigVerdict;
  /** DoT and DoH over TLS: what was negotiated, and whether the certificate was verified. */
  tls?: TlsInfo;
}

/** EDNS of a query unless told otherwise: a 1232-byte UDP size (DNS Flag Day 2020), as BIND's dig. */
export const DEFAULT_EDNS = { udpSize: 1232 } as const;

/**
 * Ask one server one question, over UDP (a truncated answer asked again over TCP, as dig
 * does) or TCP. Throws NetlabError TIMEOUT (no matching reply within `timeoutMs` on every
 * try, or `signal` aborted), UNREACHABLE (`communications error to ADDR#PORT: connection
 * refused`...), MALFORMED_PACKET (a TCP stream that cannot be a message), USAGE (a name that
 * cannot be sent). Replies that do not match the query are dropped, and named in the timeout.
 */
export async function query(server: Server, question: Question, options: TransportOptions = {}): Promise<Exchange> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const tries = Math.max(1, options.tries ?? 3);
  const t = options.transport;
  if (t === 'tls' || t === 'https' || t === 'http-plain') {
    const { encryptedExchange } = await import('./encrypted.js');
    return encryptedExchange(server, question, options, timeoutMs);
  }
  if (options.tcp || t === 'tcp') {
    const r = await tcpExchange(server, question, options, timeoutMs);
    return withTsig({ server, transport: 'tcp', message: r.message, timeMs: roundMs(r.timeMs), tcpFallback: false }, r);
  }
  let lastError: NetlabError | undefined;
  for (let attempt = 0; attempt < tries; attempt++) {
    options.signal?.throwIfAborted();
    try {
      const r: Answer = options.pool && !options.tsig ? await options.pool.exchange(server, question, options, timeoutMs) : await udpExchange(server, question, options, timeoutMs);
      if (r.message.flags.includes('tc') && !options.ignoreTruncation) {
        const t = await tcpExchange(server, question, options, timeoutMs);
        return withTsig({ server, transport: 'tcp', message: t.message, timeMs: roundMs(t.timeMs), tcpFallback: true }, t);
      }
      return withTsig({ server, transport: 'udp', message: r.message, timeMs: roundMs(r.timeMs), tcpFallback: false }, r);
    } catch (e) {
      if (!(e instanceof NetlabError) || e.code !== 'TIMEOUT') throw e;
      lastError = e;
    }
  }
  throw lastError ?? new NetlabError('TIMEOUT', 'timed out');
}

function withTsig(ex: Exchange, r: { tsig?: TsigVerdict }): Exchange {
  if (r.tsig) ex.tsig = r.tsig;
  return ex;
}

/** An answer as read: the message, the round trip and, for a signed query, its TSIG verdict. */
interface Answer {
  message: DnsMessage;
  timeMs: number;
  tsig?: TsigVerdict;
}

/** The TSIG verdict of an answer to a signed query (RFC 8945 5.3). */
function verifyAnswer(options: TransportOptions, mac: Buffer | undefined, wire: Buffer, answer: Answer): Answer {
  if (options.tsig && mac) answer.tsig = new TsigVerifier(options.tsig, mac).verify(wire);
  return answer;
}

/** The query's wire form with a random ID (or `id`, when the caller chose one that is free on its connection), signed when `tsig` is set. */
export function buildQuery(question: Question, options: TransportOptions, id = nodeCrypto().randomInt(0, 0x10000)): { id: number; wire: Buffer; mac?: Buffer } {
  const edns = options.edns === undefined ? DEFAULT_EDNS : options.edns;
  const wire = encodeQuery({
    id,
    name: question.name,
    type: question.type,
    class: question.class ?? 1,
    recurse: options.recurse,
    edns,
    cd: options.cd,
    ad: options.ad,
  });
  if (options.tsig) return { id, ...signTsig(wire, options.tsig) };
  return { id, wire };
}

/** Why a reply was dropped, or undefined when it answers our query. */
export function mismatch(message: DnsMessage, id: number, question: Question): string | undefined {
  if (message.id !== id) return `ID ${message.id} instead of ${id}`;
  if (!message.flags.includes('qr')) return 'a query, not a response';
  // A FORMERR or NOTIMP may come back without the question (RFC 6891 7); accept those.
  if (message.questions.length === 0 && (message.rcode === 'FORMERR' || message.rcode === 'NOTIMP')) return undefined;
  const q = message.questions[0];
  if (message.questions.length !== 1 || !q) return `${message.questions.length} questions`;
  // the usual case first: the name comes back exactly as sent (our question plus its dot)
  const sameName = q.name === question.name || q.name === `${question.name}.` || canonicalName(q.name) === canonicalName(question.name);
  if (!sameName || q.typeCode !== question.type || q.classCode !== (question.class ?? 1)) {
    return `question ${q.name} ${q.type} instead of ours`;
  }
  return undefined;
}

/**
 * udp6 for an IPv6 address, else udp4. A colon is enough to tell (an IPv4 address or a name
 * has none), and node:net's isIPv6 compiles a large regular expression on its first call (~3 ms of
 * a one-query process).
 */
function udpFamily(address: string): 'udp4' | 'udp6' {
  return address.includes(':') ? 'udp6' : 'udp4';
}

/** `ADDR#PORT`, `[v6]:PORT`: the server as error messages name it. */
export function describe(server: Server): string {
  return server.address.includes(':') ? `[${server.address}]:${server.port}` : `${server.address}#${server.port}`;
}

function udpExchange(server: Server, question: Question, options: TransportOptions, timeoutMs: number): Promise<Answer> {
  const { id, wire, mac } = buildQuery(question, options);
  const family = udpFamily(server.address);
  return new Promise((resolve, reject) => {
    const socket = nodeDgram().createSocket({ type: family });
    let dropped: string | undefined;
    let start = 0;
    let done = false;
    const finish = (err: NetlabError | undefined, value?: Answer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (options.signal) unwatchAbort(options.signal, onAbort);
      socket.close();
      if (err) reject(err);
      else resolve(value!);
    };
    const onAbort = () => finish(new NetlabError('TIMEOUT', 'query cancelled'));
    const timer = setTimeout(() => {
      const extra = dropped ? ` (dropped a reply: ${dropped})` : '';
      finish(new NetlabError('TIMEOUT', `communications error to ${describe(server)}: timed out${extra}`));
    }, timeoutMs);
    if (options.signal) watchAbort(options.signal, onAbort);
    socket.on('error', (e: NodeJS.ErrnoException) => {
      finish(new NetlabError('UNREACHABLE', `communications error to ${describe(server)}: ${socketErrorReason(e)}`, { cause: e }));
    });
    socket.on('message', (buf, rinfo) => {
      const timeMs = performance.now() - start;
      // A connected socket only hears its peer; check anyway, the kernel may not (RFC 5452 9.1).
      if (rinfo.address !== server.address || rinfo.port !== server.port) {
        dropped = `reply from ${rinfo.address}#${rinfo.port}`;
        return;
      }
      if (buf.length < 2 || buf.readUInt16BE(0) !== id) {
        dropped = 'wrong ID';
        return;
      }
      let message: DnsMessage;
      try {
        message = decodeMessage(buf);
      } catch (e) {
        dropped = e instanceof Error ? e.message : String(e);
        return;
      }
      const why = mismatch(message, id, question);
      if (why) {
        dropped = why;
        return;
      }
      finish(undefined, verifyAnswer(options, mac, buf, { message, timeMs }));
    });
    // Port 0: the OS picks a random ephemeral source port for every query.
    socket.bind(0, () => {
      socket.connect(server.port, server.address, () => {
        start = performance.now();
        socket.send(wire, (err) => {
          if (err) socket.emit('error', err);
        });
      });
    });
  });
}

function tcpExchange(server: Server, question: Question, options: TransportOptions, timeoutMs: number): Promise<Answer> {
  const { id, wire, mac } = buildQuery(question, options);
  return new Promise((resolve, reject) => {
    const reader = new FrameReader();
    let dropped: string | undefined;
    let start = 0;
    let done = false;
    const socket = nodeNet().connect({ host: server.address, port: server.port });
    const finish = (err: NetlabError | undefined, value?: Answer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (options.signal) unwatchAbort(options.signal, onAbort);
      socket.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    const onAbort = () => finish(new NetlabError('TIMEOUT', 'query cancelled'));
    if (options.signal) watchAbort(options.signal, onAbort);
    const timer = setTimeout(() => {
      const extra = dropped ? ` (dropped a reply: ${dropped})` : '';
      finish(new NetlabError('TIMEOUT', `communications error to ${describe(server)}: timed out${extra}`));
    }, timeoutMs);
    socket.on('connect', () => {
      start = performance.now();
      socket.write(frame(wire));
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      finish(new NetlabError('UNREACHABLE', `communications error to ${describe(server)}: ${socketErrorReason(e)}`, { cause: e }));
    });
    socket.on('end', () => {
      const extra = dropped ? ` (dropped a reply: ${dropped})` : '';
      const partial = reader.buffered > 0 ? ' in the middle of a message' : '';
      finish(new NetlabError('UNREACHABLE', `communications error to ${describe(server)}: end of file${partial}${extra}`));
    });
    socket.on('data', (chunk) => {
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch (e) {
        finish(e as NetlabError);
        return;
      }
      for (const f of frames) {
        const timeMs = performance.now() - start;
        let message: DnsMessage;
        try {
          message = decodeMessage(f);
        } catch (e) {
          dropped = e instanceof Error ? e.message : String(e);
          continue;
        }
        const why = mismatch(message, id, question);
        if (why) {
          dropped = why;
          continue;
        }
        finish(undefined, verifyAnswer(options, mac, f, { message, timeMs }));
        return;
      }
    });
  });
}

interface PoolWaiter {
  id: number;
  question: Question;
  start: number;
  timer: NodeJS.Timeout;
  dropped?: string;
  /** The query's stop signal (the pool listens once per signal). */
  signal: AbortSignal | undefined;
  resolve(value: { message: DnsMessage; timeMs: number }): void;
  reject(e: NetlabError): void;
}

interface PoolSocket {
  socket: dgram.Socket;
  ready: Promise<void>;
  /** Set once bound and connected: no need to wait on `ready` any more. */
  isReady: boolean;
  waiting: Map<number, PoolWaiter>;
}

/**
 * A few UDP sockets, each connected to one server from its own OS-chosen random port, shared
 * by many queries: a batch of thousands then costs thousands of packets, not thousands of
 * sockets. Each query still has a random ID and its reply must match ID, question and
 * server; the source port is random per socket rather than per query, the trade a
 * resolver's port pool makes too.
 */
export class UdpPool {
  private readonly sockets = new Map<string, PoolSocket[]>();
  private next = 0;

  /** `size` sockets per server. */
  constructor(private readonly size = 8) {}

  private last?: { server: Server; list: PoolSocket[] };

  private socketsFor(server: Server): PoolSocket[] {
    // a batch asks the same server again and again: skip the key and the map for it
    const last = this.last;
    if (last && last.server.port === server.port && last.server.address === server.address) return last.list;
    const key = `${server.address}#${server.port}`;
    let list = this.sockets.get(key);
    if (list) {
      this.last = { server, list };
      return list;
    }
    list = [];
    for (let i = 0; i < this.size; i++) {
      const socket = nodeDgram().createSocket({ type: udpFamily(server.address) });
      const entry: PoolSocket = {
        socket,
        waiting: new Map(),
        isReady: false,
        // a socket that cannot be bound or connected fails its queries instead of leaving them waiting
        ready: new Promise<void>((resolve, reject) => {
          socket.once('error', reject);
          socket.bind(0, () => {
            try {
              socket.connect(server.port, server.address, () => {
                socket.off('error', reject);
                entry.isReady = true;
                resolve();
              });
            } catch (e) {
              reject(e as Error);
            }
          });
        }),
      };
      entry.ready.catch(() => undefined); // awaited by each query on this socket, maybe by none
      socket.on('message', (buf, rinfo) => this.onMessage(entry, server, buf, rinfo));
      socket.on('error', (e: NodeJS.ErrnoException) => {
        const what = socketErrorReason(e);
        for (const w of entry.waiting.values()) {
          this.release(w);
          w.reject(new NetlabError('UNREACHABLE', `communications error to ${describe(server)}: ${what}`, { cause: e }));
        }
        entry.waiting.clear();
      });
      list.push(entry);
    }
    this.sockets.set(key, list);
    this.last = { server, list };
    return list;
  }

  private onMessage(entry: PoolSocket, server: Server, buf: Buffer, rinfo: dgram.RemoteInfo): void {
    if (rinfo.address !== server.address || rinfo.port !== server.port || buf.length < 2) return;
    const w = entry.waiting.get(buf.readUInt16BE(0));
    if (!w) return;
    let message: DnsMessage;
    try {
      message = decodeMessage(buf);
    } catch (e) {
      w.dropped = e instanceof Error ? e.message : String(e);
      return;
    }
    const why = mismatch(message, w.id, w.question);
    if (why) {
      w.dropped = why;
      return;
    }
    entry.waiting.delete(w.id);
    this.release(w);
    w.resolve({ message, timeMs: performance.now() - w.start });
  }

  /** One query over a pooled socket. Same errors as a query on its own socket. */
  async exchange(server: Server, question: Question, options: TransportOptions, timeoutMs: number): Promise<{ message: DnsMessage; timeMs: number }> {
    const list = this.socketsFor(server);
    const entry = list[this.next++ % list.length]!;
    if (!entry.isReady) {
      await entry.ready.catch((e: Error) => {
        throw new NetlabError('UNREACHABLE', `communications error to ${describe(server)}: ${socketErrorReason(e)}`, { cause: e });
      });
    }
    let built = buildQuery(question, options);
    // IDs must be unique among this socket's outstanding queries; draw again on a clash.
    for (let i = 0; i < 8 && entry.waiting.has(built.id); i++) built = buildQuery(question, options);
    if (entry.waiting.has(built.id)) throw new NetlabError('TIMEOUT', 'no free query ID on the socket');
    const { id, wire } = built;
    options.signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const w: PoolWaiter = {
        id,
        question,
        start: performance.now(),
        signal: options.signal,
        resolve,
        reject,
        timer: setTimeout(() => {
          entry.waiting.delete(id);
          this.release(w);
          const extra = w.dropped ? ` (dropped a reply: ${w.dropped})` : '';
          reject(new NetlabError('TIMEOUT', `communications error to ${describe(server)}: timed out${extra}`));
        }, timeoutMs),
      };
      entry.waiting.set(id, w);
      // one abort listener per signal for the whole pool, not one per query (EventTarget's
      // add/removeEventListener cost more than the rest of a pooled query's bookkeeping), and
      // no closure per query to end it: release() does
      if (w.signal) this.watch(w.signal);
      // no callback: a send error is the socket's 'error' event, which fails its waiting queries
      entry.socket.send(wire);
    });
  }

  /** A waiter is done: its timer goes, and its share of its signal's listener. */
  private release(w: PoolWaiter): void {
    clearTimeout(w.timer);
    if (w.signal) this.unwatch(w.signal);
  }

  /**
   * The signals listened on, with how many of their queries are waiting: the listener is
   * removed when the last one ends (Node keeps a signal of AbortSignal.any or
   * AbortSignal.timeout alive while it has a listener and has not aborted, so a listener left
   * on each probe's signal grew a long-running process's heap without bound).
   */
  private readonly watched = new Map<AbortSignal, { waiting: number; onAbort: () => void }>();

  private watch(signal: AbortSignal): void {
    const seen = this.watched.get(signal);
    if (seen) {
      seen.waiting++;
      return;
    }
    const onAbort = () => {
      this.watched.delete(signal);
      for (const list of this.sockets.values()) {
        for (const e of list) {
          for (const [id, waiter] of e.waiting) {
            if (waiter.signal !== signal) continue;
            clearTimeout(waiter.timer);
            e.waiting.delete(id);
            waiter.reject(new NetlabError('TIMEOUT', 'query cancelled'));
          }
        }
      }
    };
    this.watched.set(signal, { waiting: 1, onAbort });
    signal.addEventListener('abort', onAbort, { once: true });
  }

  /** A query under `signal` ended: the last one removes the pool's listener. */
  private unwatch(signal: AbortSignal): void {
    const seen = this.watched.get(signal);
    if (!seen || --seen.waiting > 0) return;
    this.watched.delete(signal);
    signal.removeEventListener('abort', seen.onAbort);
  }

  /** Close every socket; queries still waiting are dropped. */
  async close(): Promise<void> {
    const all = [...this.sockets.values()].flat();
    this.sockets.clear();
    this.last = undefined;
    await Promise.all(all.map((e) => new Promise<void>((r) => {
      for (const w of e.waiting.values()) this.release(w);
      e.socket.close(() => r());
    })));
  }
}
