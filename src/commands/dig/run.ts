/** `netlab dig`: argv -> DigOptions -> queries (or a trace) -> DigResult[] -> text or JSON -> status. */
import net from 'node:net';
import { fileErrorReason, NetlabError, type Status } from '../../errors.js';
import { query, UdpPool, type Exchange } from '../../protocol/dns/transport.js';
import { trace, type TraceHop } from '../../protocol/dns/trace.js';
import { systemNameserver } from '../../protocol/dns/resolv-conf.js';
import { className, typeName } from '../../protocol/dns/types.js';
import type { DnsRecord, EdnsInfo } from '../../protocol/dns/wire.js';
import { parseBatchLine, parseDigArgs, type DigJob, type DigOptions, type DigQuery } from './options.js';

export { parseDigArgs, type DigOptions };

export interface DigRecordJson {
  name: string;
  type: string;
  class: string;
  ttl: number;
  data: string;
}

export interface DigHopJson {
  zone: string;
  server: string;
  serverName: string;
  port: number;
  timeMs: number;
  msgSize: number;
  kind: TraceHop['kind'];
  records: DigRecordJson[];
  skipped: TraceHop['skipped'];
  resolvedGlueless?: TraceHop['resolvedGlueless'];
}

export interface DigResult {
  query: { name: string; type: string; class: string; server: string; serverName: string; port: number; transport: 'udp' | 'tcp' };
  status: Status;
  rcode: string | null;
  id?: number;
  opcode?: string;
  flags: string[];
  counts?: { query: number; answer: number; authority: number; additional: number };
  edns?: EdnsInfo;
  question?: DigRecordJson[];
  answer: DigRecordJson[];
  authority: DigRecordJson[];
  additional: DigRecordJson[];
  timeMs: number | null;
  msgSize: number | null;
  /** The UDP answer was truncated and this one came over TCP. */
  tcpFallback?: boolean;
  /** ISO time the answer arrived. */
  when: string;
  /** Why no answer: the one-line error. */
  error?: string;
  hops?: DigHopJson[];
  /** Stopped by Ctrl-C before it finished: status UNKNOWN, `error` 'interrupted'. */
  interrupted?: boolean;
}

function recordJson(r: DnsRecord): DigRecordJson {
  return { name: r.name, type: r.type, class: r.class, ttl: r.ttl, data: r.data };
}

function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/** Resolve @server: an address as is, a name through the system resolver (as dig does). */
async function serverAddress(options: DigOptions): Promise<{ address: string; name: string }> {
  const given = options.server ?? systemNameserver() ?? '127.0.0.1';
  const bare = given.replace(/^\[(.*)\]$/, '$1');
  if (net.isIP(bare)) return { address: bare, name: given };
  try {
    const family = options.ipv6Only ? 6 : 4;
    const { lookup } = await import('node:dns/promises');
    const r = await lookup(bare, { family });
    return { address: r.address, name: given };
  } catch (e) {
    throw new NetlabError('USAGE', `couldn't get address for '${given}': not found`, { cause: e });
  }
}

/** Queries from the command line, then those of the -f file in order. Throws INPUT for an unreadable file. */
export async function collectQueries(options: DigOptions): Promise<DigJob[]> {
  const queries: DigJob[] = options.queries.map((query) => ({ query, options }));
  if (!options.batchFile) return queries;
  let text: string;
  try {
    const { readFileBounded, FILE_LIMITS } = await import('../../util/read-bounded.js');
    text = readFileBounded(options.batchFile, FILE_LIMITS.batch).toString('utf8');
  } catch (e) {
    // dig's own wording
    throw new NetlabError('INPUT', `couldn't open batch file '${options.batchFile}': ${fileErrorReason(e)}`, { cause: e });
  }
  // a lone CR ends a line too, as LF and CRLF do (an old Mac file is not one long line)
  const lines = text.split(/\r\n|\r|\n/);
  lines.forEach((line, i) => {
    try {
      const qs = parseBatchLine(line, options);
      // one by one: a line of 200,000 names would overflow the stack as push(...qs)
      if (qs) for (const q of qs) queries.push(q);
    } catch (e) {
      if (e instanceof NetlabError) throw new NetlabError('INPUT', `${options.batchFile}:${i + 1}: ${e.message}`, { cause: e });
      throw e;
    }
  });
  return queries;
}

function failed(q: DigQuery, server: { address: string; name: string }, options: DigOptions, message: string): DigResult {
  return {
    query: { name: fqdn(q.name), type: typeName(q.type), class: className(q.class), server: server.address, serverName: server.name, port: options.port, transport: options.tcp ? 'tcp' : 'udp' },
    status: 'CRITICAL',
    rcode: null,
    flags: [],
    answer: [],
    authority: [],
    additional: [],
    timeMs: null,
    msgSize: null,
    when: new Date().toISOString(),
    error: message,
  };
}

function fromExchange(q: DigQuery, server: { address: string; name: string }, options: DigOptions, ex: Exchange): DigResult {
  const m = ex.message;
  const r: DigResult = {
    query: { name: fqdn(q.name), type: typeName(q.type), class: className(q.class), server: server.address, serverName: server.name, port: options.port, transport: ex.transport },
    status: m.rcode === 'NOERROR' ? 'OK' : 'CRITICAL',
    rcode: m.rcode,
    id: m.id,
    opcode: m.opcode,
    flags: m.flags,
    counts: { query: m.questions.length, answer: m.answers.length, authority: m.authorities.length, additional: m.additionals.length + (m.edns ? 1 : 0) },
    question: m.questions.map((x) => ({ name: x.name, type: x.type, class: x.class, ttl: 0, data: '' })),
    answer: m.answers.map(recordJson),
    authority: m.authorities.map(recordJson),
    additional: m.additionals.map(recordJson),
    timeMs: ex.timeMs,
    msgSize: m.size,
    when: new Date().toISOString(),
  };
  if (m.edns) r.edns = m.edns;
  if (ex.tcpFallback) r.tcpFallback = true;
  return r;
}

function markInterrupted(r: DigResult): DigResult {
  r.status = 'UNKNOWN';
  r.interrupted = true;
  r.error = 'interrupted';
  return r;
}

async function runOne(q: DigQuery, server: { address: string; name: string }, options: DigOptions, pool?: UdpPool): Promise<DigResult> {
  const edns = options.edns ? { udpSize: options.bufsize, do: options.dnssec, nsid: options.nsid } : false as const;
  if (options.trace) {
    const t = await trace(q.name, q.type, {
      start: options.server ? { address: server.address, port: options.port } : undefined,
      port: options.port,
      tcp: options.tcp,
      edns,
      ipv6: options.ipv6Only,
      signal: options.signal,
      // +time given: that is the per-hop timeout; else trace's own short one
      ...(options.timeoutMs !== 5000 ? { timeoutMs: options.timeoutMs } : {}),
    });
    const last = t.hops[t.hops.length - 1];
    const result: DigResult = t.final && last
      ? fromExchange(q, { address: last.server, name: last.serverName }, options, { server: { address: last.server, port: last.port }, transport: last.transport, message: t.final, timeMs: last.timeMs, tcpFallback: false })
      : failed(q, server, options, `trace failed: ${t.error ?? 'unknown reason'}`);
    result.hops = t.hops.filter((h) => h.kind !== 'unanswered' || h.skipped.length > 0).map((h) => {
      const hop: DigHopJson = {
        zone: h.zone, server: h.server, serverName: h.serverName, port: h.port, timeMs: h.timeMs,
        msgSize: h.msgSize, kind: h.kind, records: h.records.map(recordJson), skipped: h.skipped,
      };
      if (h.resolvedGlueless) hop.resolvedGlueless = h.resolvedGlueless;
      return hop;
    });
    if (t.interrupted) return markInterrupted(result);
    if (!t.complete) {
      result.status = 'CRITICAL';
      result.error = `trace failed: ${t.error ?? 'unknown reason'}`;
    }
    return result;
  }
  try {
    const ex = await query({ address: server.address, port: options.port }, q, {
      timeoutMs: options.timeoutMs,
      tries: options.tries,
      tcp: options.tcp,
      ignoreTruncation: options.ignoreTruncation,
      recurse: options.recurse,
      edns,
      cd: options.cd,
      ad: options.ad,
      pool,
      signal: options.signal,
    });
    return fromExchange(q, server, options, ex);
  } catch (e) {
    if (options.signal?.aborted) return markInterrupted(failed(q, server, options, 'interrupted'));
    if (e instanceof NetlabError && e.code !== 'USAGE' && e.code !== 'INTERNAL') return failed(q, server, options, e.message);
    throw e;
  }
}

/**
 * Run every query, at most `concurrency` at once, and hand each result to `onResult` in input
 * order as soon as it and every one before it are done (a batch streams: nothing waits for
 * the last answer, and finished results are not kept). Returns the worst status (UNKNOWN when
 * interrupted) and how many of the queries were handed over.
 */
export async function runDigStream(options: DigOptions, onResult: (r: DigResult, index: number) => void): Promise<DigStreamSummary> {
  const list = await collectQueries(options);
  if (list.length === 0) throw new NetlabError('INPUT', 'no queries: the batch file holds no query lines');
  // each distinct @server is looked up once
  const servers = new Map<string, Promise<{ address: string; name: string }>>();
  const serverOf = (o: DigOptions) => {
    const key = `${o.server ?? ''}/${o.ipv6Only}`;
    let s = servers.get(key);
    if (!s) {
      s = serverAddress(o);
      servers.set(key, s);
    }
    return s;
  };
  // resolved once per distinct option set (a plain batch shares the command line's)
  const resolved = new Map<DigOptions, { address: string; name: string }>();
  await Promise.all([...new Set(list.map((j) => j.options))].map(async (o) => resolved.set(o, await serverOf(o))));
  // finished results waiting for an earlier one, by index; `emitted` is the next to hand over
  const pending = new Map<number, DigResult>();
  let emitted = 0;
  let worst: Status = 'OK';
  let cut = false;
  const done = (i: number, r: DigResult) => {
    pending.set(i, r);
    for (let next = pending.get(emitted); next; next = pending.get(emitted)) {
      pending.delete(emitted);
      if (ORDER.indexOf(next.status) > ORDER.indexOf(worst)) worst = next.status;
      if (next.interrupted) cut = true;
      onResult(next, emitted++);
    }
  };
  // Batches share a few sockets; a single query gets its own socket and source port.
  const pool = list.length > 1 ? new UdpPool(Math.min(8, options.concurrency)) : undefined;
  let next = 0;
  const worker = async () => {
    // after Ctrl-C no new query starts; the ones in flight end as interrupted
    while (next < list.length && !options.signal?.aborted) {
      const i = next++;
      const job = list[i]!;
      done(i, await runOne(job.query, resolved.get(job.options)!, job.options, pool));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, list.length) }, worker));
  } finally {
    await pool?.close();
  }
  const interrupted = cut || emitted < list.length;
  return { status: interrupted ? 'UNKNOWN' : worst, queries: list.length, done: emitted, interrupted };
}

export interface DigStreamSummary {
  status: Status;
  /** Queries in the batch (command line and -f file). */
  queries: number;
  /** Results handed to onResult (answered, failed or interrupted in flight). */
  done: number;
  /** Ctrl-C stopped the run before every query had a result. */
  interrupted: boolean;
}

// worst last: the order of the exit codes
const ORDER: Status[] = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'];
