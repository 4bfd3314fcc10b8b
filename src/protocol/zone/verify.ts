/**
 * Does a DNS server answer what the hosts files say? For every name the model would write,
 * ask the server for its A and AAAA records (and every address's PTR with reverse, or the
 * policy CNAME of an RPZ) with a bounded number of queries in flight, and compare the
 * addresses a client would get (through a CNAME too) with the ones the files give it.
 */
import { performance } from 'node:perf_hooks';
import { NetlabError } from '../../errors.js';
import { query, UdpPool, type Server } from '../dns/transport.js';
import { reverseName } from '../dns/reverse.js';
import type { DnsMessage } from '../dns/wire.js';
import { canonicalIPv6, ipv4Text, formatIPv6 } from './hosts.js';
import type { HostsModel } from './model.js';

export interface VerifyOptions {
  server: Server;
  /** Queries in flight at most. */
  concurrency: number;
  /** Per try, milliseconds. */
  timeoutMs: number;
  tries: number;
  /** Check PTR records too. */
  reverse: boolean;
  /** Stop after this many failed queries in a row (the server died). Default 100. */
  maxConsecutiveFailures?: number;
  /** Stops the check at once: the result covers the queries answered so far, with `interrupted: true`. */
  signal?: AbortSignal;
}

export type VerifyType = 'A' | 'AAAA' | 'PTR' | 'CNAME' | 'SOA';

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

export interface VerifyResult {
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
  mismatchCount: number;
  /** The first MAX_KEPT mismatches (every one goes to onMismatch). */
  mismatches: Mismatch[];
  /** Why the check stopped early, if it did. */
  aborted: string | null;
  /** The signal stopped it: the counts cover the queries answered before (those in flight are dropped). */
  interrupted?: boolean;
  timeMs: number;
}

const MAX_KEPT = 1000;

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
    if (type === 'AAAA') v = canonicalIPv6(v) ?? v;
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
    yield { name: fq, type: 'A', qtype: 1, expected: v4.map(ipv4Text), where, owner, ptr: false };
    yield { name: fq, type: 'AAAA', qtype: 28, expected: v6, where, owner, ptr: false };
  }
  if (!reverse) return;
  for (const p of model.ptrs()) {
    owner++;
    const address = p.family === 4 ? ipv4Text(p.v4) : formatIPv6(Buffer.from(p.nibbles, 'hex'));
    yield { name: reverseName(address), type: 'PTR', qtype: 12, expected: [lower(p.target)], where: address, owner, ptr: true };
  }
}

function describe(t: Task, got: string[], rcode: string | null, error?: string): string {
  if (error) return `${t.type} ${t.name}: no answer (${error})`;
  const exp = t.expected.length ? t.expected.join(' ') : 'none';
  if (rcode && rcode !== 'NOERROR') return `${t.type} ${t.name}: ${rcode}, expected ${exp}`;
  if (got.length === 0) return `${t.type} ${t.name}: no ${t.type} records, expected ${exp}`;
  return `${t.type} ${t.name}: server has ${got.join(' ')}, expected ${exp}`;
}

/**
 * Query `options.server` for everything the model would write and compare. Never throws for
 * what the server does (a dead server is a result); throws only on a bug.
 */
export async function verifyZone(model: HostsModel, options: VerifyOptions, onMismatch?: (m: Mismatch) => void): Promise<VerifyResult> {
  const started = performance.now();
  const server = options.server;
  const label = `${server.address}#${server.port}`;
  const pool = new UdpPool(Math.min(8, Math.max(1, Math.ceil(options.concurrency / 16))));
  const qopts = { timeoutMs: options.timeoutMs, tries: options.tries, recurse: false, pool, signal: options.signal };
  const result: VerifyResult = {
    server: label, reachable: false, authoritative: null, names: 0, addresses: 0, queries: 0, failures: 0,
    mismatchedNames: 0, mismatchedAddresses: 0, mismatchCount: 0, mismatches: [], aborted: null, timeMs: 0,
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

    const source = tasks(model, options.reverse);
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
      if (result.mismatches.length < MAX_KEPT) result.mismatches.push(m);
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
          result.failures++;
          record({ name: t.name, type: t.type, expected: t.expected, got: [], rcode: null, where: t.where, message: describe(t, [], null, e.message) }, t.owner, t.ptr);
          if (++consecutive >= maxFail) result.aborted = `${maxFail} queries in a row got no answer from ${label}: stopped`;
          continue;
        }
        compared(t);
        const got = answerData(message, t.type);
        const ok = message.rcode === 'NOERROR' || (message.rcode === 'NXDOMAIN' && t.expected.length === 0);
        if (!ok || !sameSet(got, t.expected)) {
          record({ name: t.name, type: t.type, expected: t.expected, got, rcode: message.rcode, where: t.where, message: describe(t, got, message.rcode) }, t.owner, t.ptr);
        }
      }
    };
    const n = Math.max(1, Math.min(options.concurrency, 1024));
    await Promise.all(Array.from({ length: n }, () => worker()));
    result.mismatchedNames = badOwners.size;
    result.mismatchedAddresses = badAddresses.size;
    return result;
  } finally {
    signal?.removeEventListener('abort', stop);
    await pool.close();
    result.timeMs = performance.now() - started;
  }
}
