/**
 * What `+nssearch` and `+zone-check` share (issue 14): a query budget and deadline over
 * query(), the addresses of NS names (an address-like name as is, as dig's
 * bind9_getaddresses takes it; glue; else resolved iteratively through trace(), never through
 * the system resolver), and finding a zone's NS set from a server that may be a resolver, an
 * authoritative server or a root server (referrals followed through their glue).
 */
import { NetlabError } from '../../errors.js';
import { ipFamily } from '../../util/ip.js';
import { query, type Exchange, type Server, type TransportOptions } from './transport.js';
import { trace } from './trace.js';
import { canonicalName } from './names.js';
import type { DnsMessage, DnsRecord } from './wire.js';
import type { Note, Problem, Status } from '../../errors.js';
import type { DigProblemCode, DigResult } from './lookup.js';

/** The query budget is spent: not a server's failure. */
export class BudgetSpent extends Error {
  constructor(max: number) {
    super(`query budget of ${max} spent`);
  }
}

/** Which address families to use for the servers (dig -4 / -6). */
export interface Families {
  ipv4: boolean;
  ipv6: boolean;
}

/** A counted, bounded way to ask: every query of a run goes through one of these. */
export interface Asker {
  /** Port of every server asked. */
  port: number;
  timeoutMs: number;
  tries: number;
  families: Families;
  edns: TransportOptions['edns'];
  /** Where glueless NS names are resolved from: a server (as dig +trace @server) or the root hints. */
  start?: Server;
  signal: AbortSignal;
  queries: number;
  maxQueries: number;
  /** Addresses of NS names already found, by canonical name. */
  cache: Map<string, Promise<string[]>>;
}

/** A new asker; `signal` ends every query (the caller's, or the deadline). */
export function makeAsker(o: Omit<Asker, 'queries' | 'cache'>): Asker {
  return { ...o, queries: 0, cache: new Map() };
}

/** One query through the asker's budget. Throws BudgetSpent, or what query() throws. */
export function ask(k: Asker, address: string, name: string, type: number, options: TransportOptions = {}): Promise<Exchange> {
  k.signal.throwIfAborted();
  if (k.queries >= k.maxQueries) throw new BudgetSpent(k.maxQueries);
  k.queries++;
  return query({ address, port: k.port }, { name, type }, {
    timeoutMs: k.timeoutMs, tries: k.tries, recurse: false, edns: k.edns, signal: k.signal, ...options,
  });
}

/** `ADDR#PORT` or `[ADDR]:PORT`, as transport errors name a server. */
export function serverLabel(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}#${port}`;
}

/**
 * A failed query as a short reason: `timed out`, `connection refused`, the budget...
 * `noRoute`: this host cannot reach that address at all (no route, no address of its family,
 * as an IPv6 server from an IPv4-only host): not the server's fault, so not judged.
 */
export function failureReason(e: unknown): { reason: string; silent: boolean; noRoute: boolean } {
  if (e instanceof BudgetSpent) return { reason: e.message, silent: false, noRoute: false };
  if (e instanceof NetlabError) {
    const reason = e.message.replace(/^communications error to \S+: /, '');
    const code = (e.cause as { code?: unknown } | undefined)?.code;
    const noRoute = e.code === 'UNREACHABLE' && (code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT');
    return { reason: e.code === 'TIMEOUT' ? 'timed out' : reason, silent: !noRoute && (e.code === 'TIMEOUT' || e.code === 'UNREACHABLE'), noRoute };
  }
  return { reason: e instanceof Error ? e.message : String(e), silent: false, noRoute: false };
}

/** An NS name written as an address (`127.84.0.1.`): dig uses it as the address. */
export function addressLiteral(name: string): string | undefined {
  const bare = name.replace(/\.$/, '');
  return ipFamily(bare) !== 0 ? bare : undefined;
}

export function usable(addresses: string[], f: Families): string[] {
  return addresses.filter((a) => (ipFamily(a) === 4 && f.ipv4) || (ipFamily(a) === 6 && f.ipv6));
}

/** IPv4 first, then IPv6, each in the order given (addresses.ts sortAddresses sorts numerically), duplicates dropped. */
export function ipv4First(list: Iterable<string>): string[] {
  const all = [...new Set(list)];
  return [...all.filter((a) => ipFamily(a) === 4), ...all.filter((a) => ipFamily(a) !== 4)];
}

/** A and AAAA records of `name` among `records`, as addresses. */
export function addressRecords(records: DnsRecord[], name: string): string[] {
  const n = canonicalName(name);
  return records.filter((r) => (r.rdata.type === 'A' || r.rdata.type === 'AAAA') && canonicalName(r.name) === n).map((r) => (r.rdata as { address: string }).address);
}

/**
 * The addresses of an NS name: the literal, the glue given, else iterative resolution from the
 * asker's start (A and/or AAAA per family), bounded by the asker's budget. Never throws.
 */
export function nsAddresses(k: Asker, name: string, glue: DnsRecord[], via?: string): Promise<string[]> {
  const literal = addressLiteral(name);
  if (literal) return Promise.resolve(usable([literal], k.families));
  const fromGlue = usable(addressRecords(glue, name), k.families);
  if (fromGlue.length > 0) return Promise.resolve(ipv4First(fromGlue));
  const key = canonicalName(name);
  let found = k.cache.get(key);
  if (!found) {
    found = resolveAddresses(k, key, via);
    k.cache.set(key, found);
  }
  return found;
}

async function resolveAddresses(k: Asker, name: string, via?: string): Promise<string[]> {
  const types = [...(k.families.ipv4 ? [1] : []), ...(k.families.ipv6 ? [28] : [])];
  const out: string[] = [];
  // the server that gave the NS set first (a resolver, or the zone's own server for in-zone names)
  if (via) {
    const replies = await Promise.all(types.map((type) => ask(k, via, name, type, { recurse: true }).catch(() => undefined)));
    for (const r of replies) if (r) out.push(...addressRecords(r.message.answers, name), ...followCname(r.message, name));
    if (out.length > 0) return ipv4First(usable(out, k.families));
  }
  for (const type of types) {
    const left = k.maxQueries - k.queries;
    if (left <= 0 || k.signal.aborted) break;
    const t = await trace(name, type, {
      start: k.start, port: k.port, timeoutMs: k.timeoutMs, maxQueries: Math.min(40, left), signal: k.signal, edns: k.edns,
    });
    k.queries += t.queries;
    if (t.final) out.push(...addressRecords(t.final.answers, name), ...followCname(t.final, name));
  }
  return ipv4First(usable(out, k.families));
}

/** Addresses at the end of a CNAME chain in one answer. */
function followCname(m: DnsMessage, name: string): string[] {
  let n = canonicalName(name);
  for (let i = 0; i < 8; i++) {
    const c = m.answers.find((r) => r.rdata.type === 'CNAME' && canonicalName(r.name) === n);
    if (!c) break;
    n = canonicalName((c.rdata as { target: string }).target);
  }
  return n === canonicalName(name) ? [] : addressRecords(m.answers, n);
}

function isBelow(name: string, zone: string): boolean {
  return zone === '.' || name.endsWith(`.${zone}`);
}

function parentOf(name: string): string | null {
  if (name === '.') return null;
  const i = name.indexOf('.');
  return i < 0 || i === name.length - 1 ? '.' : name.slice(i + 1);
}

/** A zone and its NS set as a server gave it, with the glue that came along. */
export interface ZoneNs {
  zone: string;
  /** Canonical NS names, in the order given, each once. */
  ns: string[];
  glue: DnsRecord[];
  /** Address of the server that gave the NS set. */
  from: string;
}

/**
 * Find the zone of `qname` and its NS set, starting at `first` (asked with RD, as dig asks
 * for the NS set): the first name up from `qname` with an NS set (an answer, or a referral to
 * it), or the owner of the SOA a negative answer carries; referrals downwards (a root or a
 * TLD server) are followed through their glue or resolved NS names. Throws NetlabError
 * UNREACHABLE with the reason when it cannot, BudgetSpent when the budget is spent.
 */
export async function findZoneNs(k: Asker, qnameIn: string, first: string): Promise<ZoneNs> {
  const qname = canonicalName(qnameIn);
  let candidate: string | null = qname;
  let server = first;
  let recurse = true;
  let referrals = 0;
  for (let steps = 0; candidate !== null && steps < 130; steps++) {
    const here: string = candidate;
    let m: DnsMessage;
    try {
      m = (await ask(k, server, here, 2, { recurse })).message;
    } catch (e) {
      if (e instanceof BudgetSpent || k.signal.aborted) throw e;
      throw new NetlabError('UNREACHABLE', `cannot find the NS set of ${qname}: ${serverLabel(server, k.port)}: ${failureReason(e).reason}`, { cause: e });
    }
    const nsOf = (list: DnsRecord[], owner: string) => list.filter((x) => x.rdata.type === 'NS' && canonicalName(x.name) === owner);
    const answered = nsOf(m.answers, here);
    const authNs = m.authorities.filter((x) => x.rdata.type === 'NS');
    const referredTo = !m.flags.includes('aa') && authNs.length > 0 ? canonicalName(authNs[0]!.name) : undefined;
    if (answered.length > 0 || referredTo === here) {
      const list = answered.length > 0 ? answered : nsOf(m.authorities, here);
      return { zone: here, ns: [...new Set(list.map((x) => canonicalName((x.rdata as { target: string }).target)))], glue: m.additionals, from: server };
    }
    if (referredTo && referredTo !== '.' && isBelow(here, referredTo) && referrals < 16) {
      const names = [...new Set(nsOf(authNs, referredTo).map((x) => canonicalName((x.rdata as { target: string }).target)))];
      let next: string | undefined;
      for (const n of names) {
        next = (await nsAddresses(k, n, m.additionals))[0];
        if (next) break;
      }
      if (!next) throw new NetlabError('UNREACHABLE', `cannot find the NS set of ${qname}: ${serverLabel(server, k.port)} refers to ${referredTo}, whose servers have no address`);
      server = next;
      recurse = false;
      referrals++;
      continue;
    }
    if (m.rcode !== 'NOERROR' && m.rcode !== 'NXDOMAIN') {
      throw new NetlabError('UNREACHABLE', `cannot find the NS set of ${qname}: ${m.rcode} from ${serverLabel(server, k.port)}`);
    }
    const soa = [...m.answers, ...m.authorities].find((x) => x.rdata.type === 'SOA');
    const soaOwner = soa ? canonicalName(soa.name) : undefined;
    // the SOA's owner is the zone: ask for its NS set next (unless that is where we are)
    candidate = soaOwner && soaOwner !== here && isBelow(here, soaOwner) ? soaOwner : parentOf(here);
  }
  throw new NetlabError('UNREACHABLE', `cannot find the NS set of ${qname} at ${serverLabel(first, k.port)}`);
}

/**
 * The DigResult of a check that asks many servers (+nssearch, +zone-check): no answer of its
 * own, the check's status, problems and time; `error`, or `interrupted` with error
 * 'interrupted'; `own`: the check's member (nssearch, zoneCheck), after the common ones.
 */
export function checkDigResult(query: DigResult['query'], r: { status: Status; problems: Problem<string>[]; timeMs: number | null; error?: string; interrupted?: boolean }, own: Pick<DigResult, 'nssearch' | 'zoneCheck'>, notes?: Note[]): DigResult {
  const out: DigResult = {
    query,
    status: r.status,
    problems: r.problems as Problem<DigProblemCode>[],
    rcode: null,
    flags: [],
    answer: [],
    authority: [],
    additional: [],
    timeMs: r.timeMs,
    msgSize: null,
    when: new Date().toISOString(),
    ...own,
  };
  if (r.error) out.error = r.error;
  if (notes) out.notes = notes;
  if (r.interrupted) {
    out.interrupted = true;
    out.error = 'interrupted';
  }
  return out;
}
