/**
 * The encrypted transports behind query(): DoT (dot.ts) and DoH (doh.ts), one connection per
 * query, or one per server and transport shared by a batch (EncryptedPool).
 */
import { NetlabError } from '../../errors.js';
import { roundMs } from '../../util/round.js';
import { DotConnection, type TlsSettings } from './dot.js';
import { DohConnection } from './doh.js';
import type { DnsTransport, Exchange, Question, Server, TransportOptions } from './transport.js';

type Connection = DotConnection | DohConnection;

/** The port each transport uses when none is given: 53, 853 (RFC 7858), 443 (RFC 8484), 80. */
export const DEFAULT_PORTS: Record<DnsTransport, number> = { udp: 53, tcp: 53, tls: 853, https: 443, 'http-plain': 80 };

function makeConnection(server: Server, options: TransportOptions, timeoutMs: number): Connection {
  const transport = options.transport;
  const tls: TlsSettings = options.tls ?? {};
  if (transport === 'tls') return new DotConnection(server, tls, timeoutMs);
  if (transport === 'https' || transport === 'http-plain') {
    return new DohConnection(server, { tls: transport === 'https' ? tls : undefined, path: options.doh?.path, method: options.doh?.method }, timeoutMs);
  }
  throw new NetlabError('INTERNAL', `not an encrypted transport: ${String(transport)}`);
}

/** A small number for each CA bundle seen (the same PEM string or Buffer is the same bundle): keys stay short. */
const caIds = new Map<string | Buffer, number>();

function keyOf(server: Server, options: TransportOptions): string {
  const t = options.tls;
  let ca = 0;
  if (t?.ca !== undefined) {
    ca = caIds.get(t.ca) ?? 0;
    if (ca === 0) {
      ca = caIds.size + 1;
      caIds.set(t.ca, ca);
    }
  }
  return `${options.transport}|${server.address}|${server.port}|${t?.verify}|${t?.hostname ?? ''}|${t?.serverName ?? ''}|${ca}|${options.doh?.path ?? ''}|${options.doh?.method ?? ''}`;
}

function sameServer(a: Server, b: Server): boolean {
  return a === b || (a.port === b.port && a.address === b.address);
}

/** Whether two queries' settings pick the same connection: every field keyOf() reads (the CA by identity, as caIds tells bundles apart). */
function sameSettings(a: TransportOptions, b: TransportOptions): boolean {
  if (a.transport !== b.transport) return false;
  const x = a.tls;
  const y = b.tls;
  if (x !== y && (x?.verify !== y?.verify || (x?.hostname ?? '') !== (y?.hostname ?? '') || (x?.serverName ?? '') !== (y?.serverName ?? '') || x?.ca !== y?.ca)) return false;
  const g = a.doh;
  const h = b.doh;
  return g === h || ((g?.path ?? '') === (h?.path ?? '') && (g?.method ?? '') === (h?.method ?? ''));
}

/**
 * One connection per server, transport and TLS settings, shared by every query of a batch
 * (DoT pipelined, DoH multiplexed on one HTTP/2 session); in flight at once: what the caller
 * runs at once. close() ends them all.
 */
export class EncryptedPool {
  private readonly connections = new Map<string, Connection>();
  /** The settings of the last query and its connection: a batch asks the same server the same way again and again. */
  private last?: { server: Server; options: TransportOptions; connection: Connection };

  /** The connection for these settings, made on first use. */
  connection(server: Server, options: TransportOptions, timeoutMs: number): Connection {
    const last = this.last;
    // field by field, no key string: the same connection keyOf() would find
    if (last && sameServer(last.server, server) && sameSettings(last.options, options)) return last.connection;
    const key = keyOf(server, options);
    let c = this.connections.get(key);
    if (!c) {
      c = makeConnection(server, options, timeoutMs);
      this.connections.set(key, c);
    }
    this.last = { server, options, connection: c };
    return c;
  }

  /** Connections (TLS or HTTP/2 sessions) opened so far, reconnections included. */
  get opened(): number {
    let n = 0;
    for (const c of this.connections.values()) n += c.opened;
    return n;
  }

  async close(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    this.last = undefined;
    await Promise.all(all.map((c) => c.close()));
  }
}

/** One query over DoT or DoH: on the pool's connection, or on its own, opened and closed for it. */
export async function encryptedExchange(server: Server, question: Question, options: TransportOptions, timeoutMs: number): Promise<Exchange> {
  const pool = options.connections;
  const c = pool ? pool.connection(server, options, timeoutMs) : makeConnection(server, options, timeoutMs);
  try {
    const r = await c.exchange(question, options, timeoutMs);
    const ex: Exchange = { server, transport: options.transport!, message: r.message, timeMs: roundMs(r.timeMs), tcpFallback: false };
    if (r.tls) ex.tls = r.tls;
    return ex;
  } finally {
    if (!pool) await c.close();
  }
}
