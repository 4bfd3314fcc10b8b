/**
 * Iterative resolution from the root, as `dig +trace` does, with what dig lacks: glue is
 * used when the referral carries it; NS names without glue are resolved iteratively here
 * (never through the system resolver), bounded in depth and queries; a dead, REFUSED,
 * lame or upward-referring server costs one short timeout at most (a second server is
 * asked in parallel when the first is slow) and the reason is recorded; and a trace that
 * cannot finish says so. It cannot loop: a referral is followed only when it goes at least one
 * label deeper (an upward or sideways one is lame, see judgeFor), and hops are bounded too.
 */
import { NetlabError, statusOf, type Problem, type Status } from '../../errors.js';
import { roundMs } from '../../util/round.js';
import { ipFamily } from '../../util/ip.js';
import { query, type Exchange, type Server, type TransportOptions } from './transport.js';
import type { DnsMessage, DnsRecord } from './wire.js';
import { canonicalName } from './names.js';
import { ROOT_HINTS } from './root-hints.js';

/** Options of trace(); every wait is bounded (timeouts in milliseconds, queries and hops counted). */
export interface TraceOptions {
  /** Ask this server for the root NS set first (as `dig +trace @server`); default: built-in root hints. */
  start?: Server;
  /** Port for every hop (dig's -p applies to all of them). */
  port?: number;
  /** Per query, milliseconds. */
  timeoutMs?: number;
  /** After this many ms without an answer, ask the next server too. */
  hedgeMs?: number;
  /** Referrals followed at most. */
  maxHops?: number;
  /** Nesting of glueless NS resolution at most. */
  maxDepth?: number;
  /** Queries sent in all at most. */
  maxQueries?: number;
  tcp?: boolean;
  edns?: TransportOptions['edns'];
  /** Use IPv6 addresses of servers too (default: IPv4 only, as with dig -4). */
  ipv6?: boolean;
  /** Stop: the queries in flight are dropped and the hops so far returned, `interrupted` set. */
  signal?: AbortSignal;
}

/**
 * What a hop's reply was: the root NS set, a referral, the answer (or a CNAME to follow),
 * NODATA, NXDOMAIN; `unanswered`: no server of the zone answered usefully; the hop has no
 * server, `skipped` says why.
 */
export type HopKind = 'root' | 'referral' | 'answer' | 'nodata' | 'nxdomain' | 'cname' | 'unanswered';

/** A server of a zone passed over, and why (`REFUSED`, `no reply in 1200 ms`, `connection refused`...). */
export interface ServerFailure {
  serverName: string;
  address: string;
  reason: string;
}

/** The trace's query budget is spent: not a server's failure, so not a timeout. */
class BudgetSpent extends Error {
  constructor(max: number) {
    super(`query budget of ${max} spent`);
  }
}

/** One step of the delegation chain: the zone, the server that answered, its records. */
export interface TraceHop {
  /** The zone whose servers answered this hop (`.` for the root). */
  zone: string;
  kind: HopKind;
  server: string;
  port: number;
  serverName: string;
  timeMs: number;
  msgSize: number;
  rcode: string;
  transport: 'udp' | 'tcp';
  /** Answer and authority records of the reply, as dig +trace prints them. */
  records: DnsRecord[];
  /** Servers of this zone tried before this one, and why they were passed over. */
  skipped: ServerFailure[];
  /** NS names of the referral resolved without glue, with their addresses. */
  resolvedGlueless?: Array<{ name: string; addresses: string[] }>;
}

/** What can be wrong with a trace: it could not reach an answer (see `error`). */
export type TraceProblemCode = 'TRACE_INCOMPLETE';

/** The result of trace(): every hop, and whether the trace reached an answer. Plain JSON-able data. */
export interface TraceResult {
  qname: string;
  qtype: number;
  /** OK when the trace reached the zone's answer (an NXDOMAIN or NODATA answer included), CRITICAL when it could not, UNKNOWN when interrupted. */
  status: Status;
  /** TRACE_INCOMPLETE (CRITICAL) when the trace could not finish, with `error` as its message. */
  problems: Problem<TraceProblemCode>[];
  complete: boolean;
  hops: TraceHop[];
  /** Why the trace stopped short, when it did. */
  error?: string;
  /** The final hop's full message, when the trace completed. */
  final?: DnsMessage;
  queries: number;
  timeMs: number;
  /** Stopped by the caller's signal. */
  interrupted?: boolean;
}

interface Candidate {
  name: string;
  /** Known addresses; undefined when the NS name came without glue. */
  addresses?: string[];
}

interface Attempt {
  candidate: Candidate;
  address: string;
}

type Verdict = { ok: true; kind: HopKind; referral?: { zone: string; ns: Candidate[] } } | { ok: false; reason: string };

const DEFAULTS = { timeoutMs: 1200, hedgeMs: 400, maxHops: 24, maxDepth: 4, maxQueries: 200 };

function isSubdomain(name: string, zone: string): boolean {
  return zone === '.' || name === zone || name.endsWith(`.${zone}`);
}

function labelCount(name: string): number {
  return name === '.' ? 0 : name.split('.').length - 1;
}

/**
 * Follow the delegation chain for (qname, qtype: a type code) from the root, as `dig +trace`
 * does, and return every hop with a status: OK when it reached the answer, CRITICAL (with a
 * TRACE_INCOMPLETE problem) when it could not, UNKNOWN when `options.signal` stopped it.
 * Times in milliseconds, rounded to the microsecond. Never throws: a server's misbehaviour,
 * and a name that cannot be sent, end the trace with the reason in `error`.
 */
export async function trace(qnameIn: string, qtype: number, options: TraceOptions = {}): Promise<TraceResult> {
  const t0 = performance.now();
  const opts = { ...DEFAULTS, ...options };
  const port = options.port ?? options.start?.port ?? 53;
  const qname = canonicalName(qnameIn);
  const hops: TraceHop[] = [];
  let queries = 0;
  const addressCache = new Map<string, string[]>();
  let rootServers: Candidate[] = [];

  const finish = (complete: boolean, error?: string, final?: DnsMessage): TraceResult => {
    const interrupted = Boolean(options.signal?.aborted);
    if (interrupted) {
      complete = false;
      error = 'interrupted';
      final = undefined;
    }
    const problems: Problem<TraceProblemCode>[] = complete || interrupted ? [] : [{
      code: 'TRACE_INCOMPLETE', severity: 'CRITICAL', message: `trace failed: ${error ?? 'unknown reason'}`, subject: qname,
    }];
    const r: TraceResult = {
      qname, qtype, status: statusOf(problems, { interrupted }), problems, complete, hops, queries, timeMs: roundMs(performance.now() - t0),
    };
    if (interrupted) r.interrupted = true;
    if (error) r.error = error;
    if (final) r.final = final;
    return r;
  };

  const usable = (addrs: string[]) => addrs.filter((a) => ipFamily(a) === 4 || (opts.ipv6 && ipFamily(a) === 6));

  async function ask(address: string, name: string, type: number, recurse: boolean, signal?: AbortSignal): Promise<Exchange> {
    options.signal?.throwIfAborted();
    if (queries >= opts.maxQueries) throw new BudgetSpent(opts.maxQueries);
    queries++;
    return query({ address, port }, { name, type }, {
      timeoutMs: opts.timeoutMs, tries: 1, recurse, tcp: opts.tcp, edns: opts.edns, signal,
    });
  }

  /** Addresses of an NS name: glue, cache, or iterative resolution from the root. */
  async function addressesOf(c: Candidate, depth: number, seen: Set<string>): Promise<string[]> {
    if (c.addresses) return usable(c.addresses);
    const key = canonicalName(c.name);
    const cached = addressCache.get(key);
    if (cached) return cached;
    if (depth >= opts.maxDepth || seen.has(key)) return [];
    seen.add(key);
    const found = await resolveQuietly(key, 1, depth + 1, seen);
    const addrs = usable(found);
    addressCache.set(key, addrs);
    return addrs;
  }

  /**
   * Ask the candidates in order, a new one when the previous fails or is slow (hedging),
   * until one gives an acceptable reply. Failures are collected; nothing throws.
   */
  async function askZone(
    candidates: Candidate[], name: string, type: number, recurse: boolean, depth: number,
    judge: (m: DnsMessage) => Verdict, seen: Set<string>,
  ): Promise<{ exchange: Exchange; attempt: Attempt; verdict: Verdict & { ok: true }; skipped: ServerFailure[] } | { skipped: ServerFailure[] }> {
    const skipped: ServerFailure[] = [];
    const controller = new AbortController();
    // Expand candidates to (name, address) attempts lazily: glueless names resolve when reached.
    let ci = 0;
    const pendingAddrs: Attempt[] = [];
    const nextAttempt = async (): Promise<Attempt | undefined> => {
      while (pendingAddrs.length === 0 && ci < candidates.length) {
        const c = candidates[ci++]!;
        const addrs = await addressesOf(c, depth, seen);
        if (addrs.length === 0) {
          skipped.push({ serverName: c.name, address: '', reason: c.addresses ? 'no usable address' : 'no address found for this NS name' });
        }
        for (const a of addrs) pendingAddrs.push({ candidate: c, address: a });
      }
      return pendingAddrs.shift();
    };
    return new Promise((resolve) => {
      let inFlight = 0;
      let settled = false;
      let hedgeTimer: NodeJS.Timeout | undefined;
      const pending = new Map<Attempt, number>();
      const settle = (value: Awaited<ReturnType<typeof askZone>>) => {
        if (settled) return;
        settled = true;
        clearTimeout(hedgeTimer);
        // Servers still silent when another answered were passed over too: say so.
        const winner = 'attempt' in value ? value.attempt : undefined;
        for (const [a, t0] of pending) {
          if (a === winner) continue;
          const waited = Math.round(performance.now() - t0);
          skipped.push({ serverName: a.candidate.name, address: a.address, reason: `no reply in ${waited} ms; another server answered first` });
        }
        controller.abort();
        options.signal?.removeEventListener('abort', interrupt);
        resolve(value);
      };
      // the caller stops the trace: what is in flight is dropped, nothing new is asked
      const interrupt = () => settle({ skipped });
      if (options.signal?.aborted) {
        settle({ skipped });
        return;
      }
      options.signal?.addEventListener('abort', interrupt, { once: true });
      const launch = async (): Promise<void> => {
        if (settled) return;
        const attempt = await nextAttempt();
        if (settled) return;
        if (!attempt) {
          if (inFlight === 0) settle({ skipped });
          return;
        }
        inFlight++;
        pending.set(attempt, performance.now());
        clearTimeout(hedgeTimer);
        hedgeTimer = setTimeout(() => void launch(), opts.hedgeMs);
        try {
          const ex = await ask(attempt.address, name, type, recurse, controller.signal);
          const v = judge(ex.message);
          inFlight--;
          pending.delete(attempt);
          if (v.ok) {
            settle({ exchange: ex, attempt, verdict: v, skipped });
            return;
          }
          skipped.push({ serverName: attempt.candidate.name, address: attempt.address, reason: v.reason });
        } catch (e) {
          inFlight--;
          pending.delete(attempt);
          if (settled) return;
          if (e instanceof BudgetSpent) {
            // no query left for this server or any other: stop once the ones in flight are done
            skipped.push({ serverName: attempt.candidate.name, address: attempt.address, reason: e.message });
            if (inFlight === 0) settle({ skipped });
            return;
          }
          const reason = e instanceof NetlabError ? (e.code === 'TIMEOUT' ? `no reply in ${opts.timeoutMs} ms` : e.message.replace(/^communications error to \S+: /, '')) : String(e);
          skipped.push({ serverName: attempt.candidate.name, address: attempt.address, reason });
        }
        void launch();
      };
      void launch();
    });
  }

  /** Judge a reply for `name` from servers of `zone`. */
  function judgeFor(name: string, zone: string) {
    return (m: DnsMessage): Verdict => {
      if (m.rcode !== 'NOERROR' && m.rcode !== 'NXDOMAIN') return { ok: false, reason: m.rcode };
      const aa = m.flags.includes('aa');
      if (m.answers.length > 0) {
        const last = m.answers[m.answers.length - 1]!;
        const cnameOnly = m.answers.every((r) => r.type === 'CNAME') && qtype !== 5;
        return { ok: true, kind: cnameOnly && last.type === 'CNAME' ? 'cname' : 'answer' };
      }
      if (m.rcode === 'NXDOMAIN') return aa ? { ok: true, kind: 'nxdomain' } : { ok: false, reason: 'NXDOMAIN without authority' };
      const ns = m.authorities.filter((r) => r.type === 'NS');
      if (ns.length > 0) {
        const child = canonicalName(ns[0]!.name);
        if (!isSubdomain(name, child)) return { ok: false, reason: `referral to ${child}, which does not contain ${name}` };
        if (labelCount(child) <= labelCount(zone)) {
          if (aa && child === zone) return { ok: true, kind: 'nodata' };
          return { ok: false, reason: `upward referral to ${child} (lame)` };
        }
        const glue = m.additionals.filter((r) => r.type === 'A' || r.type === 'AAAA');
        const nsList: Candidate[] = ns.filter((r) => canonicalName(r.name) === child).map((r) => {
          const target = canonicalName(r.data);
          const addrs = glue.filter((g) => canonicalName(g.name) === target).map((g) => g.data);
          return addrs.length > 0 ? { name: r.data, addresses: addrs } : { name: r.data };
        });
        // glue first: they cost no extra lookups
        nsList.sort((a, b) => Number(!a.addresses) - Number(!b.addresses));
        return { ok: true, kind: 'referral', referral: { zone: child, ns: nsList } };
      }
      if (aa) return { ok: true, kind: 'nodata' };
      return { ok: false, reason: 'not authoritative and no referral (lame)' };
    };
  }

  /** Resolve name/type iteratively without recording hops (for glueless NS names). */
  async function resolveQuietly(name: string, type: number, depth: number, seen: Set<string>): Promise<string[]> {
    let servers = rootServers;
    let zone = '.';
    for (let i = 0; i < opts.maxHops; i++) {
      const r = await askZone(servers, name, type, false, depth, judgeFor(name, zone), seen);
      if (!('exchange' in r)) return [];
      const v = r.verdict;
      if (v.kind === 'referral' && v.referral) {
        zone = v.referral.zone;
        servers = v.referral.ns;
        continue;
      }
      const m = r.exchange.message;
      const direct = m.answers.filter((a) => (a.type === 'A' || a.type === 'AAAA') && canonicalName(a.name) === name).map((a) => a.data);
      if (direct.length > 0) return direct;
      const cname = m.answers.find((a) => a.type === 'CNAME');
      if (cname && depth < opts.maxDepth) return resolveQuietly(canonicalName(cname.data), type, depth + 1, seen);
      return [];
    }
    return [];
  }

  // 1. The root NS set: from the given server (recursion desired, as dig does) or by priming the hints.
  const startCandidates: Candidate[] = options.start
    ? [{ name: options.start.address, addresses: [options.start.address] }]
    : ROOT_HINTS.map((h) => ({ name: h.name, addresses: [h.ipv4, h.ipv6] }));
  const prime = await askZone(startCandidates, '.', 2, Boolean(options.start), 0, (m) => {
    const ns = m.answers.filter((r) => r.type === 'NS' && r.name === '.');
    return ns.length > 0 ? { ok: true, kind: 'root' } : { ok: false, reason: `no root NS records (${m.rcode})` };
  }, new Set());
  if (options.signal?.aborted) return finish(false);
  if (!('exchange' in prime)) {
    return finish(false, `could not get the root NS records: ${prime.skipped.map((s) => `${s.serverName}: ${s.reason}`).join('; ') || 'no server'}`);
  }
  {
    const m = prime.exchange.message;
    hops.push(hopFrom('.', 'root', prime.exchange, prime.attempt, prime.skipped, m.answers.filter((r) => r.type === 'NS')));
    const glue = m.additionals.filter((r) => r.type === 'A' || r.type === 'AAAA');
    rootServers = m.answers.filter((r) => r.type === 'NS').map((r) => {
      const addrs = glue.filter((g) => canonicalName(g.name) === canonicalName(r.data)).map((g) => g.data);
      const hint = ROOT_HINTS.find((h) => canonicalName(h.name) === canonicalName(r.data));
      if (addrs.length > 0) return { name: r.data, addresses: addrs };
      if (hint && !options.start) return { name: r.data, addresses: [hint.ipv4, hint.ipv6] };
      return { name: r.data };
    });
    // BIND's minimal-responses leaves the root NS set without glue: then ask the start server
    // (recursion desired, as for the NS set itself) for the addresses of the root servers.
    if (options.start && rootServers.every((c) => !c.addresses)) {
      const start = prime.attempt.address;
      for (const c of rootServers.slice(0, 4)) {
        try {
          const ex = await ask(start, c.name, 1, true);
          const addrs = ex.message.answers.filter((r) => r.type === 'A' && canonicalName(r.name) === canonicalName(c.name)).map((r) => r.data);
          if (addrs.length > 0) c.addresses = addrs;
        } catch {
          // left without an address: the hop will say so
        }
      }
    }
    rootServers.sort((a, b) => Number(!a.addresses) - Number(!b.addresses));
  }

  // 2. Follow referrals from the root down.
  let zone = '.';
  let servers = rootServers;
  for (let i = 0; i < opts.maxHops; i++) {
    const seen = new Set<string>();
    const before = new Set(addressCache.keys());
    const r = await askZone(servers, qname, qtype, false, 0, judgeFor(qname, zone), seen);
    if (options.signal?.aborted) return finish(false);
    if (!('exchange' in r)) {
      const why = r.skipped.map((s) => `${s.serverName}${s.address ? ` (${s.address})` : ''}: ${s.reason}`).join('; ');
      hops.push({
        zone, kind: 'unanswered', server: '', port, serverName: '', timeMs: 0, msgSize: 0, rcode: '', transport: 'udp',
        records: [], skipped: r.skipped,
      });
      return finish(false, `no server for ${zone} answered usefully: ${why || 'none to ask'}`);
    }
    const m = r.exchange.message;
    const v = r.verdict;
    const hop = hopFrom(zone, v.kind, r.exchange, r.attempt, r.skipped, [...m.answers, ...m.authorities]);
    const glueless = [...addressCache.keys()].filter((k) => !before.has(k));
    if (glueless.length > 0) hop.resolvedGlueless = glueless.map((name) => ({ name, addresses: addressCache.get(name) ?? [] }));
    hops.push(hop);
    if (v.kind !== 'referral' || !v.referral) return finish(true, undefined, m);
    zone = v.referral.zone;
    servers = v.referral.ns;
  }
  return finish(false, `more than ${opts.maxHops} referrals`);

  function hopFrom(z: string, kind: HopKind, ex: Exchange, at: Attempt, skipped: ServerFailure[], records: DnsRecord[]): TraceHop {
    return {
      zone: z,
      kind,
      server: at.address,
      port,
      serverName: at.candidate.name,
      timeMs: roundMs(ex.timeMs),
      msgSize: ex.message.size,
      rcode: ex.message.rcode,
      transport: ex.transport === 'tcp' ? 'tcp' : 'udp', // a trace asks over Do53 only
      records,
      skipped,
    };
  }
}
