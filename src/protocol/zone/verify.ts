/**
 * Does a DNS server answer what the hosts files say? For every name the zone would hold, ask
 * the server for its A and AAAA records (and every address's PTR with reverse, or the policy
 * CNAME of an RPZ) with a bounded number of queries in flight, and compare the addresses a
 * client would get (through a CNAME too) with the ones the files give it.
 */
import { performance } from 'node:perf_hooks';
import { NetlabError, statusOf, type Note, type Problem, type Progress, type Status } from '../../errors.js';
import { canonicalIPv6, inAddrArpa, ip6Arpa, ipv4FromInt, ipv6FromBytes } from '../../util/ip.js';
import { roundMs } from '../../util/round.js';
import { query, UdpPool, type Server } from '../dns/transport.js';
import type { DnsMessage } from '../dns/wire.js';
import type { HostsZone } from './hosts-to-zone.js';
import type { HostsModel } from './model.js';

/** What {@link verifyZone} takes. */
export interface VerifyOptions {
  /** The server asked: an IP address and a port. */
  server: Server;
  /** Queries in flight at most, 1 to 1024. Default 32. */
  concurrency?: number;
  /** Per try, milliseconds. Default 2000. */
  timeoutMs?: number;
  /** Tries per query. Default 2. */
  tries?: number;
  /** Check the PTR record of every address too. Default: whether the zone was read with reverse. */
  reverse?: boolean;
  /** Stop after this many failed queries in a row (the server died). Default 100. */
  maxConsecutiveFailures?: number;
  /** Stops the check at once: the result covers the queries answered so far, with `interrupted: true`. */
  signal?: AbortSignal;
  /** Progress: `{ phase: 'verify', done, total }` in queries, every 1 % or so. */
  onProgress?: (progress: Progress) => void;
  /** Every mismatch as it is found (the result keeps the first 1000). */
  onMismatch?: (m: Mismatch) => void;
}

/** The problems of a verification: answers that differ (MISMATCH), a server that stopped answering (NO_ANSWER). */
export type VerifyCode = 'MISMATCH' | 'NO_ANSWER';

/** What a verification could not judge: NOT_AUTHORITATIVE (the server answers, but not as the zone's authority). */
export type VerifyNoteCode = 'NOT_AUTHORITATIVE';

/** The record types a verification asks for. */
export type VerifyType = 'A' | 'AAAA' | 'PTR' | 'CNAME' | 'SOA';

/** One answer that differs from the hosts files. */
export interface Mismatch {
  /** The name asked, fully qualified with the trailing dot. */
  name: string;
  type: VerifyType;
  expected: string[];
  got: string[];
  /** The rcode of the answer, or null when none came. */
  rcode: string | null;
  /** Where the hosts files say it: `FILE:LINE`. */
  where: string;
  message: string;
}

/** What {@link verifyZone} returns: plain JSON-able data. */
export interface VerifyResult {
  /** CRITICAL when an answer differs or the server stopped answering; UNKNOWN when interrupted. */
  status: Status;
  /** At most one of each code, with the counts (`{ names, addresses, mismatches }`, `{ failures }`). */
  problems: Problem<VerifyCode>[];
  notes: Note<VerifyNoteCode>[];
  /** `ADDRESS#PORT`, as dig writes it. */
  server: string;
  /** The server answered the SOA query of the zone. */
  reachable: boolean;
  /** The SOA query came back authoritative with the zone's SOA; null when unreachable. */
  authoritative: boolean | null;
  /** Names checked (their A and AAAA, or their RPZ policy): at least one of their queries answered or failed. */
  names: number;
  /** Addresses whose PTR was checked (with reverse). */
  addresses: number;
  /** Queries answered or failed (one interrupted in flight is not counted). */
  queries: number;
  /** Queries that got no usable answer (timeout, unreachable, malformed). */
  failures: number;
  /** Names with at least one mismatch (A, AAAA or RPZ policy). */
  mismatchedNames: number;
  /** Addresses whose PTR differs. */
  mismatchedAddresses: number;
  /** Mismatches found (every one, also past the ones kept). */
  mismatchCount: number;
  /** The first MAX_MISMATCHES mismatches (every one goes to onMismatch). */
  mismatches: Mismatch[];
  /** Why the check stopped early, if it did. */
  aborted: string | null;
  /** The signal stopped it: the counts cover the queries answered before (those in flight are dropped). */
  interrupted?: boolean;
  /** Milliseconds, to the microsecond. */
  timeMs: number;
}

/** Mismatches kept in the result (every one goes to onMismatch). */
export const MAX_MISMATCHES = 1000;


interface Task {
  name: string;
  type: VerifyType;
  qtype: number;
  expected: string[];
  where: string;
  /** index of the owner, to count names with mismatches */
  owner: number;
  ptr: boolean;
}

function lower(name: string): string {
  return name.toLowerCase();
}

/** What the answer gives for the question: the addresses at the end of a CNAME chain, or the data of the type asked. */
function answerData(message: DnsMessage, type: VerifyType): string[] {
  const out: string[] = [];
  for (const r of message.answers) {
    if (r.type !== type) continue;
    let v = r.data;
    if (type === 'AAAA') v = canonicalIPv6(v, { mixed: false }) ?? v; // as the zone has it: hexadecimal only
    else if (type === 'PTR' || type === 'CNAME') v = lower(v);
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function* tasks(model: HostsModel, reverse: boolean): Generator<Task> {
  const rpz = model.options.format === 'rpz';
  const origin = model.options.origin;
  let owner = 0;
  for (const v of model.owners()) {
    if (v.kind === 'none') continue;
    owner++;
    const fq = rpz ? `${v.owner}.${origin}.` : `${model.fqdn(v.owner)}.`;
    const where = model.placeOf(v.id);
    if (v.kind === 'block') {
      yield { name: fq, type: 'CNAME', qtype: 5, expected: ['.'], where, owner, ptr: false };
      continue;
    }
    const v4: number[] = [];
    const v6: string[] = [];
    if (rpz) {
      v4.push(...v.v4);
      v6.push(...v.v6);
    } else model.addressesOf(v.id, v4, v6);
    yield { name: fq, type: 'A', qtype: 1, expected: v4.map(ipv4FromInt), where, owner, ptr: false };
    yield { name: fq, type: 'AAAA', qtype: 28, expected: v6, where, owner, ptr: false };
  }
  if (!reverse) return;
  for (const p of model.ptrs()) {
    owner++;
    const address = p.family === 4 ? ipv4FromInt(p.v4) : ipv6FromBytes(Buffer.from(p.nibbles, 'hex'), { mixed: false });
    const name = `${p.family === 4 ? inAddrArpa(p.v4) : ip6Arpa(p.nibbles)}.`;
    yield { name, type: 'PTR', qtype: 12, expected: [lower(p.target)], where: address, owner, ptr: true };
  }
}

function describe(t: Task, got: string[], rcode: string | null, error?: string): string {
  if (error) return `${t.type} ${t.name}: no answer (${error})`;
  const exp = t.expected.length ? t.expected.join(' ') : 'none';
  if (rcode && rcode !== 'NOERROR') return `${t.type} ${t.name}: ${rcode}, expected ${exp}`;
  if (got.length === 0) return `${t.type} ${t.name}: no ${t.type} records, expected ${exp}`;
  return `${t.type} ${t.name}: server has ${got.join(' ')}, expected ${exp}`;
}

/** The queries a verification asks: the SOA, two per name (one per RPZ policy), one per PTR. */
function queryCount(model: HostsModel, reverse: boolean): number {
  let n = 1;
  for (let id = 0; id < model.size; id++) {
    const kind = model.kindOf(id);
    if (kind === 'block') n += 1;
    else if (kind !== 'none') n += 2;
  }
  return reverse ? n + model.ptrCount : n;
}

/**
 * Ask `options.server` for everything the zone read from the hosts files would hold, and
 * compare with what the files say. Never throws for what the server does (a dead server is a
 * result: NO_ANSWER); throws only on a bug. With the signal, returns at once what was
 * compared, `interrupted: true` (UNKNOWN).
 */
export async function verifyZone(zone: HostsZone, options: VerifyOptions): Promise<VerifyResult> {
  const started = performance.now();
  const model = zone.model;
  const server = options.server;
  const reverse = options.reverse ?? zone.reverse;
  const concurrency = options.concurrency ?? 32;
  const onMismatch = options.onMismatch;
  const label = `${server.address}#${server.port}`;
  const pool = new UdpPool(Math.min(8, Math.max(1, Math.ceil(concurrency / 16))));
  const qopts = { timeoutMs: options.timeoutMs ?? 2000, tries: options.tries ?? 2, recurse: false, pool, signal: options.signal };
  const result: VerifyResult = {
    status: 'OK', problems: [], notes: [],
    server: label, reachable: false, authoritative: null, names: 0, addresses: 0, queries: 0, failures: 0,
    mismatchedNames: 0, mismatchedAddresses: 0, mismatchCount: 0, mismatches: [], aborted: null, timeMs: 0,
  };
  const total = options.onProgress ? queryCount(model, reverse) : 0;
  const step = Math.max(1, Math.floor(total / 100));
  const progress = () => {
    if (options.onProgress && result.queries % step === 0) options.onProgress({ phase: 'verify', done: result.queries, total, detail: label });
  };
  const signal = options.signal;
  let stop = () => undefined as void;
  // settles when the signal aborts: each query races it, so an interrupt does not wait for a timeout
  const interrupted = new Promise<'interrupted'>((resolve) => {
    stop = () => resolve('interrupted');
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
  });
  const ask = async (name: string, type: number): Promise<DnsMessage | 'interrupted'> => {
    if (!signal) return (await query(server, { name, type }, qopts)).message;
    const r = await Promise.race([query(server, { name, type }, qopts), interrupted]);
    return r === 'interrupted' ? r : r.message;
  };
  try {
    if (signal?.aborted) {
      result.interrupted = true;
      return result;
    }
    const origin = `${model.options.origin}.`;
    result.queries++;
    try {
      const soa = await ask(origin, 6);
      if (soa === 'interrupted') {
        result.queries--;
        result.interrupted = true;
        return result;
      }
      result.reachable = true;
      result.authoritative = soa.rcode === 'NOERROR' && soa.flags.includes('aa') && soa.answers.some((r) => r.type === 'SOA');
    } catch (e) {
      if (signal?.aborted) {
        result.queries--;
        result.interrupted = true;
        return result;
      }
      result.failures++;
      result.aborted = `${label} did not answer the SOA query for ${origin}: ${e instanceof Error ? e.message : String(e)}`;
      return result;
    }

    const source = tasks(model, reverse);
    const badOwners = new Set<number>();
    const badAddresses = new Set<number>();
    // owners with at least one query answered (or failed): names and addresses count what was compared
    let counted = new Uint8Array(1024);
    const compared = (t: Task) => {
      if (t.owner >= counted.length) {
        const bigger = new Uint8Array(Math.max(t.owner + 1, counted.length * 2));
        bigger.set(counted);
        counted = bigger;
      }
      if (counted[t.owner]) return;
      counted[t.owner] = 1;
      if (t.ptr) result.addresses++;
      else result.names++;
    };
    let consecutive = 0;
    const maxFail = options.maxConsecutiveFailures ?? 100;
    const record = (m: Mismatch, owner: number, ptr: boolean) => {
      result.mismatchCount++;
      (ptr ? badAddresses : badOwners).add(owner);
      if (result.mismatches.length < MAX_MISMATCHES) result.mismatches.push(m);
      onMismatch?.(m);
    };
    const worker = async () => {
      for (;;) {
        if (result.aborted || result.interrupted) return;
        if (signal?.aborted) {
          result.interrupted = true;
          return;
        }
        const next = source.next();
        if (next.done) return;
        const t = next.value;
        result.queries++;
        let message: DnsMessage;
        try {
          const answer = await ask(t.name, t.qtype);
          if (answer === 'interrupted') {
            result.queries--; // never answered: not compared
            result.interrupted = true;
            return;
          }
          message = answer;
          consecutive = 0;
        } catch (e) {
          if (signal?.aborted) {
            result.queries--;
            result.interrupted = true;
            return;
          }
          if (!(e instanceof NetlabError)) throw e;
          compared(t);
          progress();
          result.failures++;
          record({ name: t.name, type: t.type, expected: t.expected, got: [], rcode: null, where: t.where, message: describe(t, [], null, e.message) }, t.owner, t.ptr);
          if (++consecutive >= maxFail) result.aborted = `${maxFail} queries in a row got no answer from ${label}: stopped`;
          continue;
        }
        compared(t);
        progress();
        const got = answerData(message, t.type);
        const ok = message.rcode === 'NOERROR' || (message.rcode === 'NXDOMAIN' && t.expected.length === 0);
        if (!ok || !sameSet(got, t.expected)) {
          record({ name: t.name, type: t.type, expected: t.expected, got, rcode: message.rcode, where: t.where, message: describe(t, got, message.rcode) }, t.owner, t.ptr);
        }
      }
    };
    const n = Math.max(1, Math.min(concurrency, 1024));
    await Promise.all(Array.from({ length: n }, () => worker()));
    result.mismatchedNames = badOwners.size;
    result.mismatchedAddresses = badAddresses.size;
    return result;
  } finally {
    signal?.removeEventListener('abort', stop);
    await pool.close();
    judge(result);
    result.timeMs = roundMs(performance.now() - started);
  }
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The problems, notes and status of a verification from its counts. */
function judge(r: VerifyResult): void {
  if (r.mismatchCount > 0) {
    const differ = [r.mismatchedNames ? plural(r.mismatchedNames, 'name') : '', r.mismatchedAddresses ? plural(r.mismatchedAddresses, 'PTR') : ''].filter(Boolean).join(' and ');
    r.problems.push({
      code: 'MISMATCH', severity: 'CRITICAL', subject: r.server,
      message: `${differ || plural(r.mismatchCount, 'answer')} differ${r.mismatchedNames + r.mismatchedAddresses === 1 ? 's' : ''} on ${r.server}`,
      counts: { names: r.mismatchedNames, addresses: r.mismatchedAddresses, mismatches: r.mismatchCount },
    });
  }
  if (r.aborted) r.problems.push({ code: 'NO_ANSWER', severity: 'CRITICAL', subject: r.server, message: r.aborted, counts: { failures: r.failures } });
  if (r.authoritative === false) r.notes.push({ code: 'NOT_AUTHORITATIVE', subject: r.server, message: `${r.server} answers, but not as the authority of the zone: its answers may come from a cache` });
  r.status = statusOf(r.problems, { interrupted: r.interrupted });
}
