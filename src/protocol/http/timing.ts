/**
 * One request, timed phase by phase with curl's boundaries (curl -w's timers are cumulative,
 * phases are their differences, as httpstat shows them):
 *   dns       start -> name resolved (0 when the address is pinned)
 *   tcp       -> TCP connected
 *   tls       -> handshake done, up to the request being sent (curl's appconnect..pretransfer)
 *   ttfb      request sent -> first response byte (not "headers parsed": undici reports that
 *             late when headers arrive in pieces)
 *   transfer  first byte -> last body byte
 * Built on undici: our own connector times lookup, connect and handshake with listeners we
 * attach first (undici's own fire after the request is sent); `undici:client:sendHeaders`
 * marks the request start, and the socket's first `readable` after it the first byte. Only
 * events on the sockets our connector made count: Node's fetch publishes on the same channels.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import net from 'node:net';
import tls from 'node:tls';
import { lookup } from 'node:dns/promises';
import { performance } from 'node:perf_hooks';
import { Client } from 'undici';
import { query } from '../dns/transport.js';
import { formatHostPort } from '../../util/host-port.js';
import type { Server } from '../dns/transport.js';

export type Phase = 'dns' | 'tcp' | 'tls' | 'ttfb' | 'transfer';

export interface Phases {
  dnsMs: number;
  tcpMs: number;
  tlsMs: number;
  ttfbMs: number;
  transferMs: number;
  totalMs: number;
}

export interface TimingOptions {
  /** Connect here instead of resolving the URL's host (curl --connect-to); Host and SNI stay. */
  pinAddress?: string;
  /** Resolve through this DNS server with netlab's own resolver instead of the system's. */
  resolver?: Server;
  method?: string;
  headers?: Record<string, string>;
  /** Extra trust anchors (PEM); they replace Node's default list for this request, as curl --cacert. */
  ca?: string[];
  /** Skip certificate verification (the user asked for it with --insecure). */
  insecure?: boolean;
  /** Per phase, milliseconds. */
  timeoutMs: number;
}

export interface SampleOk {
  ok: true;
  phases: Phases;
  status: number;
  httpVersion: string;
  tlsVersion: string | null;
  remoteAddress: string;
  remotePort: number;
  headers: Record<string, string>;
  bodyBytes: number;
}

export interface SampleFailed {
  ok: false;
  /** The phase that failed. */
  phase: Phase;
  error: string;
  /** Phases completed before the failure (the others are absent). */
  partial: Partial<Phases>;
}

export type Sample = SampleOk | SampleFailed;

class PhaseError extends Error {
  constructor(readonly phase: Phase, message: string) {
    super(message);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, phase: Phase, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new PhaseError(phase, `${what} timed out after ${ms} ms`)), ms);
    }),
  ]);
}

/** Resolve a host name, timed by the caller: system resolver, or netlab's own against `resolver`. */
async function resolveHost(host: string, resolver: Server | undefined): Promise<string> {
  if (net.isIP(host)) return host;
  if (!resolver) {
    try {
      return (await lookup(host)).address;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new PhaseError('dns', `cannot resolve ${host}: ${code === 'ENOTFOUND' ? 'name not found' : code ?? String(e)}`);
    }
  }
  for (const type of [1, 28]) {
    let ex;
    try {
      ex = await query(resolver, { name: host, type }, { timeoutMs: 2000, tries: 2 });
    } catch (e) {
      throw new PhaseError('dns', `resolving ${host} at ${resolver.address}#${resolver.port}: ${(e as Error).message}`);
    }
    if (ex.message.rcode !== 'NOERROR') throw new PhaseError('dns', `cannot resolve ${host}: ${ex.message.rcode} from ${resolver.address}#${resolver.port}`);
    const addr = ex.message.answers.find((a) => a.typeCode === type);
    if (addr) return addr.data;
  }
  throw new PhaseError('dns', `cannot resolve ${host}: no A or AAAA record`);
}

function describeNetError(e: NodeJS.ErrnoException, where: string): string {
  switch (e.code) {
    case 'ECONNREFUSED': return `connection to ${where} refused`;
    case 'EHOSTUNREACH': return `${where} unreachable`;
    case 'ECONNRESET': return `connection to ${where} reset`;
    default: return `${where}: ${e.message}`;
  }
}

/** Time one cold request (new connection, no TLS session reuse). Never throws for network failures. */
export async function timeRequest(url: URL, options: TimingOptions): Promise<Sample> {
  const marks: { start: number; dns?: number; tcp?: number; tls?: number; sent?: number; first?: number; end?: number } = { start: performance.now() };
  const https = url.protocol === 'https:';
  const port = Number(url.port || (https ? 443 : 80));
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let ourSocket: net.Socket | undefined;
  let tlsVersion: string | null = null;
  let remoteAddress = '';

  const onSendHeaders = (message: unknown) => {
    const m = message as { socket?: net.Socket };
    if (!ourSocket || m.socket !== ourSocket || marks.sent !== undefined) return;
    marks.sent = performance.now();
    // the first readable after the request is the first response byte; undici's own
    // listener was added at connect time, so ours goes first
    ourSocket.prependOnceListener('readable', () => {
      marks.first ??= performance.now();
    });
  };
  diagnosticsChannel.subscribe('undici:client:sendHeaders', onSendHeaders);

  const connector = (_opts: unknown, callback: (err: Error | null, socket: net.Socket | null) => void) => {
    void (async () => {
      try {
        // pinned, or an address in the URL: no resolution at all, the dns phase is 0
        const pinned = options.pinAddress ?? (net.isIP(host) ? host : undefined);
        if (pinned) marks.start = performance.now();
        const address = pinned ?? await withTimeout(resolveHost(host, options.resolver), options.timeoutMs, 'dns', `resolving ${host}`);
        marks.dns = pinned ? marks.start : performance.now();
        const where = formatHostPort({ address, port });
        const socket = net.connect({ host: address, port });
        await withTimeout(new Promise<void>((resolve, reject) => {
          socket.prependOnceListener('connect', () => {
            marks.tcp = performance.now();
            resolve();
          });
          socket.once('error', (e: NodeJS.ErrnoException) => reject(new PhaseError('tcp', describeNetError(e, where))));
        }), options.timeoutMs, 'tcp', `connecting to ${where}`).catch((e) => {
          socket.destroy();
          throw e;
        });
        remoteAddress = socket.remoteAddress ?? address;
        if (!https) {
          marks.tls = marks.tcp;
          ourSocket = socket;
          callback(null, socket);
          return;
        }
        const secure = tls.connect({
          socket,
          servername: net.isIP(host) ? undefined : host,
          ALPNProtocols: ['http/1.1'],
          rejectUnauthorized: !options.insecure,
          ...(options.ca ? { ca: options.ca } : {}),
        });
        await withTimeout(new Promise<void>((resolve, reject) => {
          secure.prependOnceListener('secureConnect', () => {
            marks.tls = performance.now();
            resolve();
          });
          secure.once('error', (e: NodeJS.ErrnoException) => {
            const code = (e as { code?: string }).code ?? '';
            const why = /CERT|SELF_SIGNED|UNABLE_TO|HOSTNAME|ERR_TLS_CERT/.test(code)
              ? `certificate not accepted (${code}); use --ca FILE for a private CA, or --insecure`
              : e.message;
            reject(new PhaseError('tls', `TLS handshake with ${where} failed: ${why}`));
          });
        }), options.timeoutMs, 'tls', `TLS handshake with ${where}`).catch((e) => {
          secure.destroy();
          throw e;
        });
        tlsVersion = secure.getProtocol() ?? null;
        ourSocket = secure;
        callback(null, secure);
      } catch (e) {
        callback(e as Error, null);
      }
    })();
  };

  const client = new Client(url.origin, {
    connect: connector as never,
    pipelining: 1,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    keepAliveTimeout: 1,
  });
  try {
    const res = await client.request({
      path: `${url.pathname}${url.search}`,
      method: (options.method ?? 'GET') as 'GET',
      headers: { 'user-agent': 'netlab', ...options.headers },
    });
    let bodyBytes = 0;
    for await (const chunk of res.body) bodyBytes += (chunk as Buffer).length;
    marks.end = performance.now();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : String(v ?? '');
    const first = marks.first ?? marks.end;
    const sent = marks.sent ?? marks.tls!;
    // The short wait between connect/handshake and the request going out (curl's
    // appconnect..pretransfer) belongs to tls over HTTPS and to tcp over HTTP, so that the
    // phases add up to the total.
    const connected = https ? marks.tcp! : sent;
    const round = (v: number) => Math.round(v * 1000) / 1000;
    return {
      ok: true,
      phases: {
        dnsMs: round(marks.dns! - marks.start),
        tcpMs: round(connected - marks.dns!),
        tlsMs: round(https ? sent - marks.tcp! : 0),
        ttfbMs: round(first - sent),
        transferMs: round(marks.end - first),
        totalMs: round(marks.end - marks.start),
      },
      status: res.statusCode,
      httpVersion: '1.1',
      tlsVersion,
      remoteAddress,
      remotePort: port,
      headers,
      bodyBytes,
    };
  } catch (e) {
    return failed(e, marks);
  } finally {
    diagnosticsChannel.unsubscribe('undici:client:sendHeaders', onSendHeaders);
    await client.destroy().catch(() => undefined);
  }
}

function failed(e: unknown, marks: { start: number; dns?: number; tcp?: number; tls?: number; sent?: number; first?: number }): SampleFailed {
  const partial: Partial<Phases> = {};
  if (marks.dns !== undefined) partial.dnsMs = marks.dns - marks.start;
  if (marks.tcp !== undefined && marks.dns !== undefined) partial.tcpMs = marks.tcp - marks.dns;
  if (marks.sent !== undefined && marks.tcp !== undefined) partial.tlsMs = marks.sent - marks.tcp;
  if (marks.first !== undefined && marks.sent !== undefined) partial.ttfbMs = marks.first - marks.sent;
  if (e instanceof PhaseError) return { ok: false, phase: e.phase, error: e.message, partial };
  const code = (e as { code?: string }).code ?? '';
  const phase: Phase = marks.first !== undefined ? 'transfer' : marks.sent !== undefined ? 'ttfb' : marks.tcp !== undefined ? 'tls' : marks.dns !== undefined ? 'tcp' : 'dns';
  const message = code === 'UND_ERR_HEADERS_TIMEOUT' ? 'no response before the timeout'
    : code === 'UND_ERR_BODY_TIMEOUT' ? 'the body stalled past the timeout'
    : code === 'UND_ERR_SOCKET' ? 'the server closed the connection'
    : e instanceof Error ? e.message : String(e);
  return { ok: false, phase, error: message, partial };
}
