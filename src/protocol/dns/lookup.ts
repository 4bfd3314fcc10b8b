/**
 * One dig query as a library call: `lookup({ name, type, server })` returns what
 * `netlab dig --json` prints for that query (DigResult): the answer in dig's terms, typed
 * records, a status and the problems found. A query that gets no reply is a result too
 * (status CRITICAL, `error`), never an exception.
 */
import type { DnssecProblemCode, DnssecValidation } from './dnssec/validate.js';
import { NetlabError, statusOf, type Note, type Problem, type Status } from '../../errors.js';
import { roundMs } from '../../util/round.js';
import { ipFamily } from '../../util/ip.js';
import { query, type DnsTransport, type Exchange, type UdpPool } from './transport.js';
import type { TlsInfo, TlsSettings } from './dot.js';
import type { EncryptedPool } from './encrypted.js';
import { trace, type TraceHop } from './trace.js';
import { systemNameserver } from './resolv-conf.js';
import { classCode as classCodeOf, className, typeCode as typeCodeOf, typeName } from './types.js';
import type { DnsRecord, EdnsInfo } from './wire.js';
import { clientCookieFor, cookieVerdict, type ClientSubnet, type DnsCookie } from './edns-options.js';
import type { RecordData } from './rdata.js';
// +nssearch, +zone-check and zone transfers load their modules when asked (a plain query never does)
import type { NsSearchEntry, NsSearchProblemCode } from './nssearch.js';
import type { ZoneCheckReport, ZoneCheckProblemCode } from './zone-check.js';
import { tsigRdata, tsigText, type TsigKey, type TsigRecord } from './tsig.js';
import type { XfrResult } from './xfr.js';

/**
 * What can be wrong with a dig query, each CRITICAL: the answer's RCODE (NXDOMAIN, SERVFAIL,
 * REFUSED, ERROR_RCODE for any other but NOERROR), no usable reply (TIMEOUT, UNREACHABLE,
 * MALFORMED_REPLY), or a +trace that could not reach the answer (TRACE_INCOMPLETE).
 */
export type DigProblemCode = 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED' | 'ERROR_RCODE' | 'TIMEOUT' | 'UNREACHABLE' | 'MALFORMED_REPLY' | 'TRACE_INCOMPLETE'
  // issue 14: +nssearch and +zone-check (src/protocol/dns/nssearch.ts, zone-check.ts)
  | NsSearchProblemCode | ZoneCheckProblemCode
  // issue 14: zone transfers: a stream cut, stalled or past a bound; TSIG: an answer whose signature does not verify
  | 'XFR_INCOMPLETE' | 'TSIG_INVALID'
  // issue 14: +validate (src/protocol/dns/dnssec/validate.ts)
  | DnssecProblemCode
  // issue 14: DoT/DoH: the TLS handshake or the certificate check failed; DoH: the HTTP answer is not one (a status other than 200, HTML, HTTP/1.1 only)
  | 'TLS_FAILED' | 'DOH_FAILED';

/** A record as `netlab dig --json` shows it: `data` is the presentation text, `rdata` the typed value. */
export interface DigRecord {
  name: string;
  type: string;
  class: string;
  /** Seconds. */
  ttl: number;
  /** RDATA in presentation format, as BIND's dig prints it. */
  data: string;
  /** RDATA as a typed value (see RecordData). */
  rdata: RecordData;
}

/** A question as `netlab dig --json` shows it (TTL 0, no data, as dig's question line). */
export interface DigQuestion {
  name: string;
  type: string;
  class: string;
  ttl: number;
  data: string;
}

/** One hop of a +trace. */
export interface DigHop {
  /** The zone whose servers answered (`.` for the root). */
  zone: string;
  /** Address of the server that answered; empty for an `unanswered` hop. */
  server: string;
  serverName: string;
  port: number;
  /** Milliseconds, rounded to the microsecond. */
  timeMs: number;
  msgSize: number;
  kind: TraceHop['kind'];
  records: DigRecord[];
  skipped: TraceHop['skipped'];
  resolvedGlueless?: TraceHop['resolvedGlueless'];
}

/** One query's result, the document `netlab dig --json` prints for it. Plain JSON-able data. */
export interface DigResult {
  query: { name: string; type: string; class: string; server: string; serverName: string; port: number; transport: DnsTransport; tls?: DigTls };
  /** OK for a NOERROR answer (empty or not); CRITICAL for another RCODE, no reply, or a trace that could not finish; UNKNOWN when interrupted. */
  status: Status;
  problems: Problem<DigProblemCode>[];
  /** The answer's RCODE; null when there was no answer. */
  rcode: string | null;
  id?: number;
  opcode?: string;
  flags: string[];
  counts?: { query: number; answer: number; authority: number; additional: number };
  edns?: EdnsInfo;
  question?: DigQuestion[];
  answer: DigRecord[];
  authority: DigRecord[];
  additional: DigRecord[];
  /** Milliseconds, rounded to the microsecond; null when there was no answer. */
  timeMs: number | null;
  msgSize: number | null;
  /** The UDP answer was truncated and this one came over TCP. */
  tcpFallback?: boolean;
  /** The first answer was BADCOOKIE (RFC 7873 5.3): this one came from asking again with its server cookie. */
  badCookieRetry?: boolean;
  /** ISO time the answer arrived. */
  when: string;
  /** Why no answer: the one-line error. */
  error?: string;
  hops?: DigHop[];
  /** Stopped by the signal before it finished: status UNKNOWN, `error` 'interrupted'. */
  interrupted?: boolean;
  /** issue 14, +nssearch: the SOA from every address of every name server of the zone. */
  nssearch?: NsSearchEntry[];
  /** What could not be judged (e.g. +nssearch's NOT_ASKED, NO_ROUTE): never part of the status. */
  notes?: Note[];
  /** issue 14, +zone-check: every server of every zone on the way, judged. */
  zoneCheck?: ZoneCheckReport;
  /**
   * A zone transfer (AXFR, IXFR): dig's XFR size counts (`answer` holds the records in order, TSIG
   * records apart, `additional` the TSIG record of each signed message, `tsigAfter` how many zone
   * records come before each), and how the server answered an IXFR.
   */
  xfr?: { records: number; messages: number; bytes: number; kind?: XfrResult['kind']; tsigAfter?: number[]; streamed?: boolean };
  /** A signed query whose answer did not verify: BIND's reason (`tsig verify failure`, `tsig indicates error`...). */
  tsigError?: string;
  /** issue 14: with +validate, the DNSSEC verdict and its chain of trust (its problems are in `problems` too). */
  validation?: DnssecValidation;
}

/** DoT/DoH over TLS: the privacy profile (RFC 8310), whether the certificate was verified, and what was negotiated. */
export type DigTls = TlsInfo;

/** A server to ask, already resolved: its address and the name to show for it. */
export interface ResolvedServer {
  address: string;
  /** As given (a host name, `[::1]`...), for display. */
  name: string;
}

/** Options of lookup(); the defaults are dig's (BIND 9.18). */
export interface LookupOptions {
  /** The name to ask about (`.` for the root); a reverse name for PTR (see reverseName). */
  name: string;
  /** Mnemonic (`MX`, `TYPE65534`) or code. Default A. */
  type?: string | number;
  /** Mnemonic or code. Default IN. */
  class?: string | number;
  /**
   * The server: an address, or a host name looked up through the system resolver, or one
   * already resolved. Default: the first nameserver of /etc/resolv.conf, else 127.0.0.1.
   */
  server?: string | ResolvedServer;
  /** Default 53; with `trace`, the port of every hop. */
  port?: number;
  /** Follow referrals from the root, as `dig +trace`. */
  trace?: boolean;
  /** Where a trace asks for the root NS set: `server` (default when `server` is given) or the built-in root hints. */
  traceFrom?: 'server' | 'root';
  /** Over TCP from the start. */
  tcp?: boolean;
  /** Keep a truncated UDP answer instead of asking again over TCP. */
  ignoreTruncation?: boolean;
  /** Set RD. Default true (false with `trace`). */
  recurse?: boolean;
  /** Per try, milliseconds. Default 5000 (a trace: 1200 per query, see TraceOptions). */
  timeoutMs?: number;
  /** UDP tries. Default 3. */
  tries?: number;
  /**
   * EDNS(0): false for none. Default a 1232-byte UDP size, DO and NSID off, no client subnet,
   * no cookie. `subnet`: an EDNS Client Subnet to send (RFC 7871, see parseClientSubnet).
   * `cookie` (RFC 7873): true for this process's client cookie for the server (random, made
   * once per server), or a cookie of your own; a BADCOOKIE answer is asked again once with the
   * server cookie it carries, as dig does.
   */
  edns?: false | { udpSize?: number; do?: boolean; nsid?: boolean; subnet?: ClientSubnet; cookie?: boolean | DnsCookie };
  /** Set CD. */
  cd?: boolean;
  /** Set AD. Default true, as dig. */
  ad?: boolean;
  /** Reach a server given by name over IPv6, and use IPv6 addresses in a trace. */
  ipv6?: boolean;
  /** Stop: the result is marked interrupted (status UNKNOWN). */
  signal?: AbortSignal;
  /** Share UDP sockets among many lookups (see UdpPool). */
  pool?: UdpPool;
  /** issue 14: `dig +nssearch`: the SOA from every server of the name's zone (see nssearch()). */
  nssearch?: boolean;
  /** issue 14: `dig +zone-check`: a +trace that checks every server of every zone on the way (see zoneCheck()). */
  zoneCheck?: boolean;
  /** Address families of the zone's servers for nssearch/zoneCheck (dig -4 / -6); default both. */
  families?: { ipv4: boolean; ipv6: boolean };
  /** IXFR: the serial the client has; type IXFR with a serial (or AXFR) is a zone transfer over TCP. */
  serial?: number;
  /** Sign the query (or transfer) with this TSIG key and verify the answer (RFC 8945). */
  tsig?: TsigKey;
  /** Bounds of a zone transfer: records (default 2,000,000), bytes (1 GiB), the whole transfer in milliseconds (600,000). */
  xfrLimits?: { maxRecords?: number; maxBytes?: number; totalTimeoutMs?: number };
  /**
   * A transfer's records as each message arrives (each signed message's TSIG record after its
   * records), for a caller that prints them as they come: then the result keeps none
   * (`answer` empty, `xfr.streamed` true).
   */
  onXfrRecords?: (records: DigRecord[]) => void;
  /** `tls` (DoT), `https` (DoH POST or GET over TLS), `http-plain` (DoH over cleartext HTTP/2); default UDP (`tcp` for TCP). A trace stays on UDP. */
  transport?: DnsTransport;
  /** DoT/DoH over TLS: verify with these CAs or this name (strict profile); default: encrypted, not verified (opportunistic). */
  tls?: TlsSettings;
  /** DoH: the path (default /dns-query) and method (default POST). */
  doh?: { path?: string; method?: 'POST' | 'GET' };
  /** Share one DoT connection / HTTP/2 session per server among many lookups (see EncryptedPool). */
  connections?: EncryptedPool;
}

/** The port of each transport when none is given: 53, 853 (DoT), 443 (DoH), 80 (DoH over h2c). */
export function defaultPort(transport: DnsTransport | undefined): number {
  return transport === 'tls' ? 853 : transport === 'https' ? 443 : transport === 'http-plain' ? 80 : 53;
}

/** The TLS settings of a query: the caller's, with the server's own name (when it was given by name) to verify and send as SNI. */
function tlsOf(tls: TlsSettings | undefined, server: ResolvedServer): TlsSettings {
  // a server given as its address (a batch's every query asks it again): no unbracketing to do
  const named = server.name !== server.address && server.name.replace(/^\[(.*)\]$/, '$1') !== server.address ? server.name : undefined;
  const serverName = tls?.serverName ?? named;
  if (tls && tls.serverName === serverName) return tls;
  return Object.assign({}, tls, { serverName });
}

// a batch gets thousands of answers a second: one ISO text per millisecond, not one per answer
let lastIso = { ms: 0, text: '' };

function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastIso.ms) lastIso = { ms, text: new Date(ms).toISOString() };
  return lastIso.text;
}

function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/**
 * The server to ask: an address as is (`[::1]` unbracketed), a host name through the system
 * resolver (as dig does), none given: the first nameserver of /etc/resolv.conf, else
 * 127.0.0.1. Throws NetlabError USAGE for a name that does not resolve.
 */
export async function resolveServer(server: string | undefined, options: { ipv6?: boolean } = {}): Promise<ResolvedServer> {
  const given = server ?? systemNameserver() ?? '127.0.0.1';
  const bare = given.replace(/^\[(.*)\]$/, '$1');
  if (ipFamily(bare) !== 0) return { address: bare, name: given };
  try {
    const { lookup: lookupHost } = await import('node:dns/promises');
    const r = await lookupHost(bare, { family: options.ipv6 ? 6 : 4 });
    return { address: r.address, name: given };
  } catch (e) {
    throw new NetlabError('USAGE', `couldn't get address for '${given}': not found`, { cause: e });
  }
}

function record(r: DnsRecord): DigRecord {
  return { name: r.name, type: r.type, class: r.class, ttl: r.ttl, data: r.data, rdata: r.rdata };
}

const RCODE_PROBLEMS: Record<string, { code: DigProblemCode; what: string }> = {
  NXDOMAIN: { code: 'NXDOMAIN', what: 'does not exist' },
  SERVFAIL: { code: 'SERVFAIL', what: 'could not be answered by the server (SERVFAIL)' },
  REFUSED: { code: 'REFUSED', what: 'was refused by the server (REFUSED)' },
};

function rcodeProblems(qname: string, qtype: string, rcode: string): Problem<DigProblemCode>[] {
  if (rcode === 'NOERROR') return [];
  const known = RCODE_PROBLEMS[rcode];
  if (known?.code === 'NXDOMAIN') return [{ code: 'NXDOMAIN', severity: 'CRITICAL', message: `${qname} does not exist (NXDOMAIN)`, subject: qname }];
  if (known) return [{ code: known.code, severity: 'CRITICAL', message: `${qname} ${qtype} ${known.what}`, subject: qname }];
  return [{ code: 'ERROR_RCODE', severity: 'CRITICAL', message: `${qname} ${qtype}: the server answered ${rcode}`, subject: qname }];
}

interface Asked {
  name: string;
  type: number;
  class: number;
  server: ResolvedServer;
  port: number;
  transport: DnsTransport;
  tls?: TlsSettings;
}

/**
 * The query as asked, or with `answered`: as answered, with the transport that carried the
 * answer and what TLS negotiated (which replaces the profile asked for).
 */
function queryOf(a: Asked, answered?: Pick<Exchange, 'transport' | 'tls'>): DigResult['query'] {
  const q: DigResult['query'] = { name: fqdn(a.name), type: typeName(a.type), class: className(a.class), server: a.server.address, serverName: a.server.name, port: a.port, transport: answered ? answered.transport : a.transport };
  if (answered?.tls) {
    q.tls = answered.tls;
  } else if (a.tls) {
    // no answer over TLS: still say which profile was asked for
    const strict = a.tls.verify ?? (a.tls.ca !== undefined || a.tls.hostname !== undefined);
    q.tls = { profile: strict ? 'strict' : 'opportunistic', verified: false };
  }
  return q;
}

function failed(a: Asked, message: string, code: DigProblemCode): DigResult {
  const problems: Problem<DigProblemCode>[] = [{ code, severity: 'CRITICAL', message, subject: `${a.server.address}#${a.port}` }];
  return {
    query: queryOf(a),
    status: statusOf(problems),
    problems,
    rcode: null,
    flags: [],
    answer: [],
    authority: [],
    additional: [],
    timeMs: null,
    msgSize: null,
    when: isoNow(),
    error: message,
  };
}

/** A TSIG record as dig shows it (class ANY, TTL 0). */
function tsigRecord(t: TsigRecord): DigRecord {
  const data = tsigText(t);
  return { name: t.name, type: 'TSIG', class: 'ANY', ttl: 0, data, rdata: { type: 'TSIG', text: data, hex: tsigRdata(t).toString('hex').toUpperCase() } };
}

const XFR_CODES: Record<NonNullable<XfrResult['failure']>['code'], DigProblemCode> = {
  REFUSED: 'REFUSED', ERROR_RCODE: 'ERROR_RCODE', XFR_INCOMPLETE: 'XFR_INCOMPLETE', TSIG_INVALID: 'TSIG_INVALID',
  TIMEOUT: 'TIMEOUT', UNREACHABLE: 'UNREACHABLE', MALFORMED_REPLY: 'MALFORMED_REPLY', INTERRUPTED: 'TIMEOUT',
};

/** A zone transfer as `netlab dig` shows it: the records as the answer, the counts of dig's XFR size line. */
async function transferLookup(a: Asked, options: LookupOptions): Promise<DigResult> {
  const { transfer } = await import('./xfr.js');
  const x = await transfer({ address: a.server.address, port: a.port }, {
    zone: options.name, type: a.type === 251 ? 'IXFR' : 'AXFR', serial: options.serial, class: a.class, tsig: options.tsig,
    timeoutMs: options.timeoutMs ?? 5000, ...options.xfrLimits, signal: options.signal,
    ...(options.onXfrRecords ? {
      keepRecords: false,
      onMessage: (records: readonly DnsRecord[], tsig: TsigRecord | undefined) => {
        const out = records.map(record);
        if (tsig) out.push(tsigRecord(tsig));
        options.onXfrRecords!(out);
      },
    } : {}),
  });
  const problems: Problem<DigProblemCode>[] = x.failure && x.failure.code !== 'INTERRUPTED'
    ? [{ code: XFR_CODES[x.failure.code], severity: 'CRITICAL', message: x.failure.message, subject: fqdn(options.name) }]
    : [];
  const r: DigResult = {
    query: { ...queryOf(a), transport: 'tcp' },
    status: statusOf(problems),
    problems,
    rcode: x.rcode,
    flags: [],
    answer: x.records.map(record),
    authority: [],
    additional: x.tsig.map((t) => tsigRecord(t.record)),
    timeMs: x.messages > 0 ? x.timeMs : null,
    msgSize: null,
    when: new Date().toISOString(),
    xfr: { records: x.recordCount, messages: x.messages, bytes: x.bytes },
  };
  if (options.onXfrRecords) r.xfr!.streamed = true;
  if (x.kind) r.xfr!.kind = x.kind;
  if (x.tsig.length > 0) r.xfr!.tsigAfter = x.tsig.map((t) => t.after);
  if (x.tsigError) r.tsigError = x.tsigError;
  // a refusal shows as dig's "Transfer failed."; anything else as the one-line error
  if (x.failure && x.failure.code !== 'REFUSED' && x.failure.code !== 'ERROR_RCODE') r.error = x.failure.message;
  if (x.failure?.code === 'INTERRUPTED') return markInterrupted(r);
  return r;
}

function fromExchange(a: Asked, ex: Pick<Exchange, 'message' | 'timeMs' | 'transport' | 'tcpFallback' | 'tsig' | 'tls'>): DigResult {
  const m = ex.message;
  const problems = rcodeProblems(fqdn(a.name), typeName(a.type), m.rcode);
  const r: DigResult = {
    query: queryOf(a, ex),
    status: statusOf(problems),
    problems,
    rcode: m.rcode,
    id: m.id,
    opcode: m.opcode,
    flags: m.flags,
    counts: { query: m.questions.length, answer: m.answers.length, authority: m.authorities.length, additional: m.additionals.length + (m.edns ? 1 : 0) },
    question: m.questions.map((x) => ({ name: x.name, type: x.type, class: x.class, ttl: 0, data: '' })),
    answer: m.answers.map(record),
    authority: m.authorities.map(record),
    additional: m.additionals.map(record),
    timeMs: roundMs(ex.timeMs),
    msgSize: m.size,
    when: isoNow(),
  };
  if (m.edns) r.edns = m.edns;
  if (ex.tcpFallback) r.tcpFallback = true;
  if (ex.tsig) {
    const t = ex.tsig.record;
    if (t) r.additional = r.additional.map((x) => (x.type === 'TSIG' ? tsigRecord(t) : x));
    if (ex.tsig.error) {
      r.tsigError = ex.tsig.error;
      r.problems.push({ code: 'TSIG_INVALID', severity: 'CRITICAL', message: `couldn't verify signature: ${ex.tsig.error}`, subject: `${a.server.address}#${a.port}` });
      r.status = statusOf(r.problems);
    }
  }
  return r;
}

/** Stopped before it finished: nothing was judged, so no problem, status UNKNOWN. */
function markInterrupted(r: DigResult): DigResult {
  r.problems = [];
  r.status = statusOf([], { interrupted: true });
  r.interrupted = true;
  r.error = 'interrupted';
  return r;
}

const ERROR_CODES: Partial<Record<NetlabError['code'], DigProblemCode>> = {
  TIMEOUT: 'TIMEOUT', MALFORMED_PACKET: 'MALFORMED_REPLY', HANDSHAKE_FAILED: 'TLS_FAILED', MISMATCH: 'DOH_FAILED',
};

function codeOf(value: string | number | undefined, fallback: number, of: (name: string) => number | undefined, what: string): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new NetlabError('USAGE', `${what} ${value} is not a 16-bit number`);
    return value;
  }
  const code = of(value);
  if (code === undefined) throw new NetlabError('USAGE', `unknown ${what} '${value}'`);
  return code;
}

/**
 * Ask one question as `netlab dig` does (a trace too, with `trace`) and return the result
 * `netlab dig --json` prints for it. No reply, a malformed reply or an unfinished trace is a
 * CRITICAL result with `error`, never an exception. Throws NetlabError USAGE for an unknown
 * type or class, a name that cannot be sent, or a server name that does not resolve.
 */
export async function lookup(options: LookupOptions): Promise<DigResult> {
  const type = codeOf(options.type, 1, typeCodeOf, 'type');
  const klass = codeOf(options.class, 1, classCodeOf, 'class');
  const server = typeof options.server === 'object' ? options.server : await resolveServer(options.server, { ipv6: options.ipv6 });
  // a trace asks name servers, which speak Do53 only: it stays on UDP (TCP with tcp)
  const encrypted = !options.trace && (options.transport === 'tls' || options.transport === 'https' || options.transport === 'http-plain');
  const transport: DnsTransport = encrypted ? options.transport! : options.tcp || options.transport === 'tcp' ? 'tcp' : 'udp';
  const port = options.port ?? (options.trace ? 53 : defaultPort(transport));
  const tlsSettings = encrypted && transport !== 'http-plain' ? tlsOf(options.tls, server) : undefined;
  // plain properties, no spread: this runs for every query of a batch
  const asked: Asked = { name: options.name, type, class: klass, server, port, transport, tls: tlsSettings };
  const given = options.edns === false ? undefined : options.edns;
  const cookie: DnsCookie | undefined = given?.cookie === true ? clientCookieFor(server.address) : given?.cookie || undefined;
  const edns = options.edns === false ? false as const : { udpSize: given?.udpSize ?? 1232, do: given?.do, nsid: given?.nsid, subnet: given?.subnet, cookie };
  if (options.nssearch || options.zoneCheck) {
    // issue 14: the dig result of +nssearch / +zone-check (timeouts their own unless given)
    const common = { port, families: options.families, edns, signal: options.signal, ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}), ...(options.tries !== undefined ? { tries: options.tries } : {}) };
    if (options.nssearch) {
      const { nssearch, nssearchDigResult } = await import('./nssearch.js');
      return nssearchDigResult(await nssearch(options.name, { server: { address: server.address, port }, ...common }), queryOf(asked));
    }
    const { zoneCheck, zoneCheckDigResult } = await import('./zone-check.js');
    const fromServer = (options.traceFrom ?? (options.server !== undefined ? 'server' : 'root')) === 'server';
    return zoneCheckDigResult(await zoneCheck(options.name, type, { start: fromServer ? { address: server.address, port } : undefined, ...common }), queryOf(asked));
  }
  if (options.trace) {
    const fromServer = (options.traceFrom ?? (options.server !== undefined ? 'server' : 'root')) === 'server';
    const t = await trace(options.name, type, {
      start: fromServer ? { address: server.address, port } : undefined,
      port,
      tcp: options.tcp,
      edns,
      ipv6: options.ipv6,
      signal: options.signal,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
    const last = t.hops[t.hops.length - 1];
    const why = `trace failed: ${t.error ?? 'unknown reason'}`;
    const result = t.final && last
      ? fromExchange({ ...asked, server: { address: last.server, name: last.serverName } }, { message: t.final, timeMs: last.timeMs, transport: last.transport, tcpFallback: false })
      : failed(asked, why, 'TRACE_INCOMPLETE');
    result.hops = t.hops.filter((h) => h.kind !== 'unanswered' || h.skipped.length > 0).map((h) => {
      const hop: DigHop = {
        zone: h.zone, server: h.server, serverName: h.serverName, port: h.port, timeMs: h.timeMs,
        msgSize: h.msgSize, kind: h.kind, records: h.records.map(record), skipped: h.skipped,
      };
      if (h.resolvedGlueless) hop.resolvedGlueless = h.resolvedGlueless;
      return hop;
    });
    if (t.interrupted) return markInterrupted(result);
    if (!t.complete && !result.problems.some((p) => p.code === 'TRACE_INCOMPLETE')) {
      result.problems.push({ code: 'TRACE_INCOMPLETE', severity: 'CRITICAL', message: why, subject: fqdn(options.name) });
      result.status = statusOf(result.problems);
      result.error = why;
    }
    return result;
  }
  if (type === 252 || (type === 251 && options.serial !== undefined)) return transferLookup({ ...asked, transport: 'tcp' }, options);
  try {
    const ask = (e: typeof edns) => query({ address: server.address, port }, { name: options.name, type, class: klass }, {
      timeoutMs: options.timeoutMs ?? 5000,
      tries: options.tries ?? 3,
      tcp: options.tcp || transport === 'tcp',
      ignoreTruncation: options.ignoreTruncation,
      recurse: options.recurse,
      edns: e,
      cd: options.cd,
      ad: options.ad ?? true,
      pool: options.tsig ? undefined : options.pool,
      signal: options.signal,
      ...(options.tsig ? { tsig: options.tsig } : {}),
      transport: encrypted ? transport : undefined,
      tls: tlsSettings,
      doh: encrypted ? options.doh : undefined,
      connections: encrypted ? options.connections : undefined,
    });
    let ex = await ask(edns);
    let retried = false;
    if (cookie && edns && ex.message.rcodeCode === 23) {
      // RFC 7873 5.3: BADCOOKIE carries the server cookie; ask once more with it, as dig does
      const got = ex.message.edns?.options.find((o) => o.code === 10);
      if (got?.client === cookie.client && got.server) {
        ex = await ask({ ...edns, cookie: { client: cookie.client, server: got.server } });
        retried = true;
      }
    }
    if (cookie) {
      for (const o of ex.message.edns?.options ?? []) {
        if (o.code !== 10) continue;
        const v = cookieVerdict(cookie.client, o);
        if (v) o.verdict = v;
      }
    }
    const r = fromExchange(asked, ex);
    if (retried) r.badCookieRetry = true;
    return r;
  } catch (e) {
    if (options.signal?.aborted) return markInterrupted(failed(asked, 'interrupted', 'TIMEOUT'));
    // a failure to reach or understand the server is the result; a bad question or a bug is thrown
    if (e instanceof NetlabError && e.code !== 'USAGE' && e.code !== 'INTERNAL') return failed(asked, e.message, ERROR_CODES[e.code] ?? 'UNREACHABLE');
    throw e;
  }
}
