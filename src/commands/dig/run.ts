/**
 * `netlab dig`: DigOptions -> the -f batch and the command line's queries -> lookup() (the
 * library, src/protocol/dns/lookup.ts) for each, at most --concurrency at once -> DigResult,
 * handed over in input order as they complete.
 */
import { setMaxListeners } from 'node:events';
import { fileErrorReason, NetlabError, worstOf, type Status } from '../../errors.js';
import { UdpPool } from '../../protocol/dns/transport.js';
import { lookup, resolveServer, type DigRecord, type DigResult, type ResolvedServer } from '../../protocol/dns/lookup.js';
import { parseBatchLine, parseDigArgs, type DigJob, type DigOptions, type DigQuery } from './options.js';
import { parseTsigKeyFile, type TsigKey } from '../../protocol/dns/tsig.js';
import type { EncryptedPool } from '../../protocol/dns/encrypted.js';
import type { TlsSettings } from '../../protocol/dns/dot.js';
import { readTlsCa } from './tls-ca.js';

export { parseDigArgs, type DigOptions };
export type { DigHop, DigQuestion, DigRecord, DigResult } from '../../protocol/dns/lookup.js';

/** Queries from the command line, then those of the -f file in order. Throws INPUT for an unreadable file. */
export async function collectQueries(options: DigOptions): Promise<DigJob[]> {
  const queries: DigJob[] = options.queries.map((query) => ({ query, options }));
  if (!options.batchFile) return queries;
  let text: string;
  try {
    const { readFileBounded, readStdinBounded, FILE_LIMITS } = await import('../../util/read-bounded.js');
    // -f -: the queries come on stdin, bounded as a file is
    text = (options.batchFile === '-' ? readStdinBounded(FILE_LIMITS.batch) : readFileBounded(options.batchFile, FILE_LIMITS.batch)).toString('utf8');
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

/** One query of the run through the library, under its own options (a -f line may set them); `netlab check` runs its dig checks through this too. */
export async function runDigQuery(q: DigQuery, server: ResolvedServer, options: DigOptions, pool?: UdpPool, hooks: DigHooks = {}, connections?: EncryptedPool): Promise<DigResult> {
  // issue 14: +validate checks the answer's chain of trust after the query (src/commands/dig/validate.ts)
  if (options.validate) return (await import('./validate.js')).digWithValidation(q, server, options, () => lookupQuery(q, server, options, pool, hooks, connections));
  return lookupQuery(q, server, options, pool, hooks, connections);
}

function lookupQuery(q: DigQuery, server: ResolvedServer, options: DigOptions, pool?: UdpPool, hooks: DigHooks = {}, connections?: EncryptedPool): Promise<DigResult> {
  const encrypted = options.transport === 'udp' ? undefined : transportOf(options, connections);
  return lookup({
    transport: encrypted?.transport,
    tls: encrypted?.tls,
    doh: encrypted?.doh,
    connections: encrypted?.connections,
    name: q.name,
    type: q.type,
    class: q.class,
    server,
    port: options.port,
    trace: options.trace,
    // +trace asks @server for the root NS set when one is given, else the built-in root hints
    traceFrom: options.server ? 'server' : 'root',
    tcp: options.tcp,
    ignoreTruncation: options.ignoreTruncation,
    recurse: options.recurse,
    // +time given: that is the per-hop timeout of a trace too; else the trace's own short one
    timeoutMs: options.trace && options.timeoutMs === 5000 ? undefined : options.timeoutMs,
    tries: options.tries,
    edns: options.edns ? { udpSize: options.bufsize, do: options.dnssec || options.validate, nsid: options.nsid, subnet: options.subnet, cookie: options.cookie } : false,
    cd: options.cd,
    ad: options.ad,
    ipv6: options.ipv6Only,
    signal: options.signal,
    pool,
    // issue 14: +nssearch / +zone-check, with their own short waits unless +time / +tries were given
    ...(options.nssearch || options.zoneCheck ? {
      nssearch: options.nssearch, zoneCheck: options.zoneCheck,
      families: { ipv4: !options.ipv6Only, ipv6: !options.ipv4Only },
      timeoutMs: options.timeoutMs === 5000 ? undefined : options.timeoutMs,
      tries: options.tries === 3 ? undefined : options.tries,
    } : {}),
    ...(q.serial !== undefined ? { serial: q.serial } : {}),
    ...(options.tsigKey ? { tsig: options.tsigKey } : {}),
    ...(hooks.onXfrRecords ? { onXfrRecords: hooks.onXfrRecords } : {}),
  });
}

/** What the command may follow as it happens: a single zone transfer's records as they arrive (see LookupOptions.onXfrRecords). */
export interface DigHooks {
  onXfrRecords?: (records: DigRecord[]) => void;
}

/** Whether a query is a zone transfer (AXFR, or IXFR with a serial), which lookup() runs over TCP as a stream. */
export function isTransfer(q: DigQuery): boolean {
  return q.type === 252 || (q.type === 251 && q.serial !== undefined);
}

/**
 * -k FILE: the TSIG key of a BIND key file, read once per path. Throws INPUT for a file that
 * cannot be read (dig's words) or is not a key file (`FILE:LINE: message`).
 */
export async function readTsigKeyFile(path: string): Promise<TsigKey> {
  const { readFileBounded } = await import('../../util/read-bounded.js');
  let text: string;
  try {
    text = readFileBounded(path, 64 * 1024).toString('utf8');
  } catch (e) {
    throw new NetlabError('INPUT', `couldn't read key file '${path}': ${fileErrorReason(e)}`, { cause: e });
  }
  return parseTsigKeyFile(text, path);
}

interface EncryptedSettings {
  transport?: 'tls' | 'https' | 'http-plain';
  tls?: TlsSettings;
  doh?: { path: string; method: 'POST' | 'GET' };
  connections?: EncryptedPool;
}

// the settings of each option set and pool, made once: a batch's queries share one option set
const settingsMade = new WeakMap<DigOptions, { connections: EncryptedPool | undefined; settings: EncryptedSettings }>();

/** The lookup options of +tls, +https, +http-plain (none for Do53); +tls-ca=FILE read here (INPUT when unreadable). */
function transportOf(options: DigOptions, connections?: EncryptedPool): EncryptedSettings {
  if (options.transport === 'udp') return {};
  const made = settingsMade.get(options);
  if (made && made.connections === connections) return made.settings;
  const tls: TlsSettings = {};
  if (options.tlsCa !== undefined) {
    tls.verify = true;
    if (options.tlsCa !== true) tls.ca = readTlsCa(options.tlsCa);
  }
  if (options.tlsHostname !== undefined) tls.hostname = options.tlsHostname;
  const settings: EncryptedSettings = { transport: options.transport, tls, doh: { path: options.dohPath, method: options.dohMethod }, connections };
  settingsMade.set(options, { connections, settings });
  return settings;
}

/**
 * Run every query, at most `concurrency` at once, and hand each result to `onResult` in input
 * order as soon as it and every one before it are done (a batch streams: nothing waits for
 * the last answer, and finished results are not kept). Returns the worst status (UNKNOWN when
 * interrupted) and how many of the queries were handed over.
 */
export async function runDigStream(options: DigOptions, onResult: (r: DigResult, index: number) => void, hooks: DigHooks = {}): Promise<DigStreamSummary> {
  const list = await collectQueries(options);
  if (list.length === 0) throw new NetlabError('INPUT', 'no queries: the batch file holds no query lines');
  // each distinct @server is looked up once
  const servers = new Map<string, Promise<ResolvedServer>>();
  const serverOf = (o: DigOptions) => {
    const key = `${o.server ?? ''}/${o.ipv6Only}`;
    let s = servers.get(key);
    if (!s) {
      s = resolveServer(o.server, { ipv6: o.ipv6Only });
      servers.set(key, s);
    }
    return s;
  };
  // resolved once per distinct option set (a plain batch shares the command line's)
  const resolved = new Map<DigOptions, ResolvedServer>();
  // a bad +tls-ca file is bad input before any query goes out
  for (const o of new Set(list.map((j) => j.options))) if (typeof o.tlsCa === 'string') readTlsCa(o.tlsCa);
  await Promise.all([...new Set(list.map((j) => j.options))].map(async (o) => resolved.set(o, await serverOf(o))));
  // -k FILE: each key file read once, before any query is sent
  const keys = new Map<string, Promise<TsigKey>>();
  for (const o of resolved.keys()) {
    if (!o.tsigKeyFile || o.tsigKey) continue;
    let key = keys.get(o.tsigKeyFile);
    if (!key) keys.set(o.tsigKeyFile, (key = readTsigKeyFile(o.tsigKeyFile)));
    o.tsigKey = await key;
  }
  // finished results waiting for an earlier one, by index; `emitted` is the next to hand over
  const pending = new Map<number, DigResult>();
  let emitted = 0;
  let worst: Status = 'OK';
  let cut = false;
  const done = (i: number, r: DigResult) => {
    pending.set(i, r);
    for (let next = pending.get(emitted); next; next = pending.get(emitted)) {
      pending.delete(emitted);
      worst = worstOf([worst, next.status]);
      if (next.interrupted) cut = true;
      onResult(next, emitted++);
    }
  };
  // every query in flight listens on the one Ctrl-C signal (a trace's servers too): more than
  // Node's default of 10 listeners, which would print a MaxListenersExceededWarning
  if (options.signal) setMaxListeners(Math.max(10, 2 * options.concurrency + 4), options.signal);
  // Batches share a few sockets; a single query gets its own socket and source port.
  const pool = list.length > 1 ? new UdpPool(Math.min(8, options.concurrency)) : undefined;
  // and one DoT connection / HTTP/2 session per server and transport, closed at the end
  const connections = list.length > 1 && list.some((j) => j.options.transport !== 'udp')
    ? new (await import('../../protocol/dns/encrypted.js')).EncryptedPool()
    : undefined;
  let next = 0;
  const worker = async () => {
    // after Ctrl-C no new query starts; the ones in flight end as interrupted
    while (next < list.length && !options.signal?.aborted) {
      const i = next++;
      const job = list[i]!;
      // a single transfer may hand its records over as they come
      done(i, await runDigQuery(job.query, resolved.get(job.options)!, job.options, pool, list.length === 1 ? hooks : {}, connections));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, list.length) }, worker));
  } finally {
    await Promise.all([pool?.close(), connections?.close()]);
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

