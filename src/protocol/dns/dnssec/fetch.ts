/**
 * How the validator gets its records: from a recursive resolver, as delv does (RD, DO and CD
 * set, so the resolver hands over what it has without judging it), or by itself, walking the
 * delegations down from a start server as +trace does (RD off, DO set), for the authoritative
 * servers of the lab and BIND's `recursion no`. Bounded: queries, time and depth.
 */
import { NetlabError } from '../../../errors.js';
import { query, type Server } from '../transport.js';
import type { DnsMessage } from '../wire.js';
import { lowerName } from './canonical.js';
import { ancestors, isSubdomain } from './nsec.js';

/** Bounds of the fetching. */
export interface FetchLimits {
  /** Per try, milliseconds. Default 2000. */
  timeoutMs?: number;
  /** UDP tries per query. Default 2. */
  tries?: number;
  /** Most queries in all. Default 100. */
  maxQueries?: number;
  /** Most referrals followed for one question. Default 16. */
  maxDepth?: number;
  /** The whole validation, milliseconds. Default 30000. */
  deadlineMs?: number;
  signal?: AbortSignal;
}

/** A source of records for the validator. `fetch` throws NetlabError (TIMEOUT, UNREACHABLE, LIMIT...) when it cannot answer. */
export interface RecordFetcher {
  mode: 'recursive' | 'iterative';
  /** Queries sent so far. */
  readonly queries: number;
  fetch(name: string, type: number): Promise<DnsMessage>;
}

class Budget {
  queries = 0;
  private readonly deadline: number;
  constructor(readonly limits: FetchLimits) {
    this.deadline = Date.now() + (limits.deadlineMs ?? 30_000);
  }
  async ask(server: Server, name: string, type: number, recurse: boolean): Promise<DnsMessage> {
    if (this.queries >= (this.limits.maxQueries ?? 100)) throw new NetlabError('TIMEOUT', `query limit reached (${this.limits.maxQueries ?? 100} queries)`);
    const left = this.deadline - Date.now();
    if (left <= 0) throw new NetlabError('TIMEOUT', `time limit reached (${this.limits.deadlineMs ?? 30_000} ms)`);
    this.queries++;
    const ex = await query(server, { name, type }, {
      timeoutMs: Math.min(this.limits.timeoutMs ?? 2000, left), tries: this.limits.tries ?? 2, recurse,
      edns: { udpSize: 1232, do: true }, cd: true, signal: this.limits.signal,
    });
    return ex.message;
  }
}

/** Ask one recursive resolver, as delv does: RD, DO and CD set. */
export function recursiveFetcher(server: Server, limits: FetchLimits = {}): RecordFetcher {
  const budget = new Budget(limits);
  return {
    mode: 'recursive',
    get queries() { return budget.queries; },
    fetch: (name, type) => budget.ask(server, name, type, true),
  };
}

/**
 * Walk the delegations from `start` (a root server, or any server of a zone above the names
 * asked), caching each zone cut's servers (from the glue, or by resolving a glueless NS name
 * the same way). A DS question goes to the parent side of a cut (RFC 4035 3.1.4.1).
 */
export function iterativeFetcher(start: Server, limits: FetchLimits = {}): RecordFetcher {
  const budget = new Budget(limits);
  const port = start.port;
  // zone cut -> its servers; the start server stands for the top
  const cuts = new Map<string, Server[]>([['.', [start]]]);
  const serversFor = (name: string, type: number): { zone: string; servers: Server[] } => {
    for (const a of ancestors(name, '.')) {
      if (type === 43 && a === name && a !== '.') continue;
      const s = cuts.get(a);
      if (s) return { zone: a, servers: s };
    }
    return { zone: '.', servers: [start] };
  };
  const fetch = async (nameIn: string, type: number, depth = 0): Promise<DnsMessage> => {
    const name = lowerName(nameIn);
    let { zone, servers } = serversFor(name, type);
    for (let hop = 0; hop < (limits.maxDepth ?? 16); hop++) {
      let reply: DnsMessage | undefined;
      let lastError: unknown;
      for (const s of servers) {
        try {
          reply = await budget.ask(s, name, type, false);
          if (reply.rcode === 'REFUSED' || reply.rcode === 'SERVFAIL') {
            lastError = new NetlabError('UNREACHABLE', `${s.address}#${s.port} answered ${reply.rcode} for ${name}`);
            reply = undefined;
            continue;
          }
          break;
        } catch (e) {
          if (limits.signal?.aborted) throw e;
          lastError = e;
        }
      }
      if (!reply) throw lastError instanceof Error ? lastError : new NetlabError('UNREACHABLE', `no server of ${zone} answered for ${name}`);
      const ns = reply.authorities.filter((r) => r.type === 'NS');
      const cut = ns[0] ? lowerName(ns[0].name) : undefined;
      const referral = !reply.flags.includes('aa') && reply.answers.length === 0 && cut !== undefined
        && cut !== zone && isSubdomain(cut, zone) && isSubdomain(name, cut) && !(type === 43 && cut === name);
      if (!referral) {
        // a referral that leads away from the name (upward, sideways): the servers of this zone cannot answer it
        if (!reply.flags.includes('aa') && reply.answers.length === 0 && cut !== undefined && !(type === 43 && cut === name)) {
          throw new NetlabError('UNREACHABLE', `the servers of ${zone} refer ${name} to ${cut}, which does not lead to it`);
        }
        return reply;
      }
      const next: Server[] = [];
      for (const r of ns) {
        const target = r.rdata.type === 'NS' ? lowerName(r.rdata.target) : '';
        for (const g of reply.additionals) {
          if (g.type === 'A' && g.rdata.type === 'A' && lowerName(g.name) === target) next.push({ address: g.rdata.address, port });
        }
      }
      if (next.length === 0 && depth < 3) {
        // glueless: resolve the first NS name that does not sit below the cut
        for (const r of ns) {
          const target = r.rdata.type === 'NS' ? lowerName(r.rdata.target) : '';
          if (!target || isSubdomain(target, cut)) continue;
          const a = await fetch(target, 1, depth + 1).catch(() => undefined);
          for (const rec of a?.answers ?? []) if (rec.rdata.type === 'A') next.push({ address: rec.rdata.address, port });
          if (next.length > 0) break;
        }
      }
      if (next.length === 0) throw new NetlabError('UNREACHABLE', `no address for the servers of ${cut}`);
      cuts.set(cut, next);
      zone = cut;
      servers = next;
    }
    throw new NetlabError('TIMEOUT', `more than ${limits.maxDepth ?? 16} referrals for ${name}`);
  };
  return {
    mode: 'iterative',
    get queries() { return budget.queries; },
    fetch: (name, type) => fetch(name, type),
  };
}
