/**
 * A DoT and DoH front for any lab DNS server (issue 14): it takes the server's answer function
 * (query bytes in, reply bytes out) and serves it over DNS over TLS (RFC 7858, ALPN `dot`,
 * pipelined queries answered as they come), DNS over HTTPS (RFC 8484, HTTP/2 over TLS, POST
 * and GET) and DoH over cleartext HTTP/2 with prior knowledge (h2c), on loopback. It counts
 * connections and queries, so that tests can see a batch reuse one connection.
 */
import type net from 'node:net';
import tls from 'node:tls';
import http2 from 'node:http2';
import { frame } from '../../protocol/dns/wire.js';
import { onDnsFrames } from './server.js';
import { closeServer, listen, trackConnections } from '../listen.js';
import { retryWhilePortTaken } from '../common-port.js';
import { DAY_MS, issueLeaf, type LabPki } from '../tls/ca.js';

/** Who asked, for a server whose answer depends on it (a GSLB without ECS answers by the source address). */
export interface DnsClient {
  address: string;
  port: number;
  transport: 'dot' | 'doh' | 'h2c';
}

/** A lab DNS server's answer: the reply to one query (undefined: stay silent). */
export type DnsAnswerFunction = (query: Buffer, client: DnsClient) => Buffer | undefined | Promise<Buffer | undefined>;

/** The three ports of a front (0: a free one). */
export interface EncryptedPorts {
  dot: number;
  doh: number;
  h2c: number;
}

export interface EncryptedFrontOptions {
  address: string;
  answer: DnsAnswerFunction;
  /** The certificate chain, leaf first (PEM), and its private key. */
  certPem: string;
  keyPem: string;
  /** Default: free ports. */
  ports?: Partial<EncryptedPorts>;
  /** DoH endpoint. Default /dns-query. */
  path?: string;
  /** End a DoT connection or a DoH session (GOAWAY) after answering this many queries, as servers that limit a connection's life do. */
  maxQueriesPerConnection?: number;
}

export interface EncryptedStats {
  dotConnections: number;
  dotQueries: number;
  /** HTTP/2 sessions over TLS. */
  dohSessions: number;
  dohQueries: number;
  h2cSessions: number;
  h2cQueries: number;
}

/** A DNS message is at most 65,535 bytes: a bigger POST body is refused. */
const MAX_BODY = 65_535;

/** DoT, DoH and h2c listeners in front of one answer function. */
export class EncryptedDnsFront {
  readonly stats: EncryptedStats = { dotConnections: 0, dotQueries: 0, dohSessions: 0, dohQueries: 0, h2cSessions: 0, h2cQueries: 0 };
  readonly ports: EncryptedPorts = { dot: 0, doh: 0, h2c: 0 };
  private readonly open = new Map<net.Server, Set<net.Socket>>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  /** Queries taken per session (for maxQueriesPerConnection). */
  private readonly taken = new WeakMap<http2.Http2Session, number>();

  private bump(session: http2.Http2Session): number {
    const n = (this.taken.get(session) ?? 0) + 1;
    this.taken.set(session, n);
    return n;
  }

  constructor(private readonly options: EncryptedFrontOptions) {}

  get address(): string {
    return this.options.address;
  }

  async start(): Promise<void> {
    const { certPem: cert, keyPem: key, address } = this.options;
    const wanted = this.options.ports ?? {};
    try {
      const dot = tls.createServer({ cert, key, ALPNProtocols: ['dot'] }, (s) => this.onDot(s));
      this.open.set(dot, trackConnections(dot));
      this.ports.dot = await listen(dot, wanted.dot ?? 0, address);
      const doh = http2.createSecureServer({ cert, key, allowHTTP1: false });
      this.open.set(doh, trackConnections(doh));
      doh.on('session', (s) => this.onSession(s, 'doh'));
      doh.on('stream', (stream, headers) => this.onStream(stream, headers, 'doh'));
      this.ports.doh = await listen(doh, wanted.doh ?? 0, address);
      const h2c = http2.createServer();
      this.open.set(h2c, trackConnections(h2c));
      h2c.on('session', (s) => this.onSession(s, 'h2c'));
      h2c.on('stream', (stream, headers) => this.onStream(stream, headers, 'h2c'));
      this.ports.h2c = await listen(h2c, wanted.h2c ?? 0, address);
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  private onDot(socket: tls.TLSSocket): void {
    this.stats.dotConnections++;
    const client: DnsClient = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0, transport: 'dot' };
    const limit = this.options.maxQueriesPerConnection ?? Infinity;
    let taken = 0;
    let answered = 0;
    socket.on('error', () => undefined);
    onDnsFrames(socket, (frames) => {
      for (const f of frames) {
        // past the limit: read and dropped, the connection ends once the others are answered
        if (taken >= limit) break;
        taken++;
        this.stats.dotQueries++;
        // answered as they come, in any order (RFC 7766 6.2.1.1)
        void Promise.resolve(this.options.answer(f, client)).then((reply) => {
          if (reply && socket.writable) socket.write(frame(reply));
        }, () => undefined).finally(() => {
          if (++answered >= limit) socket.end();
        });
      }
    });
  }

  private onSession(session: http2.ServerHttp2Session, kind: 'doh' | 'h2c'): void {
    if (kind === 'doh') this.stats.dohSessions++;
    else this.stats.h2cSessions++;
    this.sessions.add(session);
    session.on('error', () => undefined);
    session.on('close', () => this.sessions.delete(session));
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, kind: 'doh' | 'h2c'): void {
    stream.on('error', () => undefined);
    const method = headers[':method'];
    const url = new URL(String(headers[':path'] ?? '/'), 'http://lab');
    const fail = (status: number) => {
      if (!stream.destroyed) stream.respond({ ':status': status, 'content-length': 0 }, { endStream: true });
    };
    if (url.pathname !== (this.options.path ?? '/dns-query')) return fail(404);
    const socket = stream.session?.socket;
    const client: DnsClient = { address: socket?.remoteAddress ?? '', port: socket?.remotePort ?? 0, transport: kind };
    const session = stream.session;
    const limit = this.options.maxQueriesPerConnection ?? Infinity;
    const reply = (query: Buffer) => {
      if (kind === 'doh') this.stats.dohQueries++;
      else this.stats.h2cQueries++;
      // past the limit: GOAWAY, the streams above the last one taken are refused (the client asks again elsewhere)
      if (session && this.bump(session) >= limit && !session.closed) session.close();
      void Promise.resolve(this.options.answer(query, client)).then((answer) => {
        if (stream.destroyed) return;
        if (!answer) return fail(502);
        stream.respond({ ':status': 200, 'content-type': 'application/dns-message', 'content-length': answer.length });
        stream.end(answer);
      }, () => fail(500));
    };
    if (method === 'GET') {
      const dns = url.searchParams.get('dns');
      if (!dns) return fail(400);
      reply(Buffer.from(dns, 'base64url'));
      return;
    }
    if (method !== 'POST') return fail(405);
    if (String(headers['content-type'] ?? '') !== 'application/dns-message') return fail(415);
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) fail(413);
      else chunks.push(c);
    });
    stream.on('end', () => {
      if (size <= MAX_BODY) reply(Buffer.concat(chunks));
    });
  }

  async close(): Promise<void> {
    for (const s of this.sessions) s.destroy();
    this.sessions.clear();
    await Promise.all([...this.open].map(([server, sockets]) => closeServer(server, sockets)));
    this.open.clear();
  }
}

/** A lab DNS server to put a front on: its name (for the certificate), address and answer function. */
export interface LabFrontSpec {
  name: string;
  address: string;
  answer: DnsAnswerFunction;
}

/** The lab's encrypted DNS: one front per server, all on the same three ports. */
export interface EncryptedDnsLab {
  ports: EncryptedPorts;
  fronts: EncryptedDnsFront[];
  /** The front on `address`. */
  front(address: string): EncryptedDnsFront | undefined;
  close(): Promise<void>;
}

/**
 * Put a DoT/DoH/h2c front on each server, with a certificate for its name and address issued
 * by the lab's intermediate CA (so the lab root, `--ca` / `+tls-ca=`, verifies it). With free
 * ports the first front picks them and the others take the same numbers (retried when one is
 * taken elsewhere).
 */
export async function startEncryptedDnsFronts(pki: LabPki, specs: LabFrontSpec[], ports: Partial<EncryptedPorts> = {}, extra: Pick<EncryptedFrontOptions, 'maxQueriesPerConnection' | 'path'> = {}): Promise<EncryptedDnsLab> {
  const t = pki.issuedAt.getTime();
  const certs = await Promise.all(specs.map((s) => issueLeaf(pki.intermediate, {
    dnsNames: [s.name], ipAddresses: [s.address], notBefore: new Date(t - DAY_MS), notAfter: new Date(t + 365 * DAY_MS),
  })));
  const fixed = ports.dot !== undefined && ports.doh !== undefined && ports.h2c !== undefined && ports.dot !== 0;
  const fronts = await retryWhilePortTaken(fixed, async (track) => {
    const started: EncryptedDnsFront[] = [];
    let want: Partial<EncryptedPorts> = ports;
    for (const [i, s] of specs.entries()) {
      const f = new EncryptedDnsFront({ address: s.address, answer: s.answer, certPem: certs[i]!.certPem + pki.intermediate.certPem, keyPem: certs[i]!.keyPem, ports: want, ...extra });
      track(f);
      await f.start();
      want = { ...f.ports };
      started.push(f);
    }
    return started;
  });
  return {
    ports: fronts[0] ? { ...fronts[0].ports } : { dot: 0, doh: 0, h2c: 0 },
    fronts,
    front: (address) => fronts.find((f) => f.address === address),
    close: async () => {
      await Promise.all(fronts.map((f) => f.close()));
    },
  };
}
