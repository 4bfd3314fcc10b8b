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

function caIdOf(ca: string | Buffer): number {
  let id = caIds.get(ca);
  if (id === undefined) {
    id = caIds.size + 1;
    caIds.set(ca, id);
  }
  return id;
}

/** What picks a query's connection: the transport, the server, the TLS settings (the CA bundle by caIdOf) and the DoH path and method. */
function settingsOf(server: Server, options: TransportOptions): unknown[] {
  const t = options.tls;
  return [options.transport, server.address, server.port, t?.verify, t?.hostname ?? '', t?.serverName ?? '', t?.ca === undefined ? 0 : caIdOf(t.ca), options.doh?.path ?? '', options.doh?.method ?? ''];
}

function sameSettings(a: readonly unknown[], b: readonly unknown[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * One connection per server, transport and TLS settings, shared by every query of a batch
 * (DoT pipelined, DoH multiplexed on one HTTP/2 session); in flight at once: what the caller
 * runs at once. close() ends them all.
 */
export class EncryptedPool {
  private readonly connections = new Map<string, Connection>();
  /** The settings of the last query and its connection: a batch asks the same server the same way again and again. */
  private last?: { settings: unknown[]; connection: Connection };

  /** The connection for these settings, made on first use. */
  connection(server: Server, options: TransportOptions, timeoutMs: number): Connection {
    const settings = settingsOf(server, options);
    // the last query's settings again (a batch's usual case): no key string to build
    if (this.last && sameSettings(this.last.settings, settings)) return this.last.connection;
    const key = settings.join('|');
    let c = this.connections.get(key);
    if (!c) {
      c = makeConnection(server, options, timeoutMs);
      this.connections.set(key, c);
    }
    this.last = { settings, connection: c };
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
