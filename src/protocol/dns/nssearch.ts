/**
 * `dig +nssearch` (issue 14): the zone's NS set, then the SOA from every address of every
 * name server (IPv4 and IPv6 unless told otherwise), asked with recursion off, as BIND 9.18's
 * dig does; with what dig leaves to the reader judged: a server that does not answer
 * (SILENT_SERVER), one that answers without the SOA or without authority (LAME_SERVER), and
 * serials that differ (SERIAL_MISMATCH, WARNING: a secondary behind its primary still answers,
 * with old data).
 */
import { serialNewer } from './serial.js';
import { NetlabError, statusOf, type Note, type Problem, type Status } from '../../errors.js';
import { roundMs } from '../../util/round.js';
import type { Server, TransportOptions } from './transport.js';
import { canonicalName } from './names.js';
import { ask, BudgetSpent, checkDigResult, failureReason, findZoneNs, makeAsker, nsAddresses, serverLabel, type Families } from './delegation.js';
import type { DigResult } from './lookup.js';

/** What +nssearch can find wrong. */
export type NsSearchProblemCode = 'NO_NS' | 'NS_NO_ADDRESS' | 'SILENT_SERVER' | 'LAME_SERVER' | 'SERIAL_MISMATCH';

/** One address of one name server, and the SOA it gave. */
export interface NsSearchEntry {
  /** The NS name (canonical, with the trailing dot). */
  server: string;
  address: string;
  /** The SOA serial; null when no SOA came. */
  serial: number | null;
  /** The SOA's data as dig prints it (`ns1.example.test. hostmaster.example.test. 2026112301 3600 ...`); null when none came. */
  soa: string | null;
  /** Round trip, milliseconds; null without a reply. */
  timeMs: number | null;
  /** The reply's RCODE; null without a reply. */
  rcode: string | null;
  /** The reply had the AA bit. */
  authoritative: boolean;
  /** Why there is no SOA: `timed out`, `connection refused`, `REFUSED`, `no SOA in the answer`, `no address`... */
  error?: string;
}

/** Options of nssearch(); every wait bounded. */
export interface NsSearchOptions {
  /** The server asked for the NS set (with RD, as dig). */
  server: Server;
  /** Port of the zone's servers; default `server.port` (dig's -p applies to all). */
  port?: number;
  /** Per try, milliseconds. Default 1500. */
  timeoutMs?: number;
  /** Tries per query. Default 1. */
  tries?: number;
  /** Address families of the zone's servers; default both (dig -4 / -6 narrow it). */
  families?: Families;
  edns?: TransportOptions['edns'];
  /** Queries in all at most. Default 200. */
  maxQueries?: number;
  /** Addresses asked at most. Default 32. */
  maxServers?: number;
  signal?: AbortSignal;
}

/** The result of nssearch(): plain JSON-able data. */
export interface NsSearchResult {
  /** The zone whose NS set was used (the name's own, or the one above it). */
  zone: string;
  /** OK: every server gave the same serial; WARNING: some silent, lame or behind; CRITICAL: none gave the SOA, or no NS set; UNKNOWN: interrupted. */
  status: Status;
  problems: Problem<NsSearchProblemCode>[];
  /** The NS names, in the order the server gave them. */
  ns: string[];
  /** One entry per address of every NS name (and one per NS name with no address), in NS order. */
  nssearch: NsSearchEntry[];
  queries: number;
  timeMs: number;
  /** Why the NS set could not be found. */
  error?: string;
  /** What was not judged (NOT_ASKED: addresses past maxServers; NO_ROUTE: addresses this host cannot reach). */
  notes?: Note[];
  interrupted?: boolean;
}

/**
 * Ask every authoritative server of `name`'s zone for its SOA, as `dig +nssearch` does, and
 * judge the answers. Never throws for what servers do: failures are entries and problems.
 */
export async function nssearch(name: string, options: NsSearchOptions): Promise<NsSearchResult> {
  const t0 = performance.now();
  const port = options.port ?? options.server.port;
  const families = options.families ?? { ipv4: true, ipv6: true };
  const signal = options.signal ?? new AbortController().signal;
  const k = makeAsker({
    port, timeoutMs: options.timeoutMs ?? 1500, tries: options.tries ?? 1, families, edns: options.edns,
    start: { address: options.server.address, port }, signal, maxQueries: options.maxQueries ?? 200,
  });
  // addresses this host cannot reach at all (an IPv6 server from an IPv4-only host): not judged
  const unreachable: NsSearchEntry[] = [];
  const result: NsSearchResult = { zone: canonicalName(name), status: 'OK', problems: [], ns: [], nssearch: [], queries: 0, timeMs: 0 };
  const done = (): NsSearchResult => {
    result.queries = k.queries;
    result.timeMs = roundMs(performance.now() - t0);
    if (signal.aborted) {
      result.interrupted = true;
      result.problems = [];
    }
    const judged = !(result.nssearch.length > 0 && result.nssearch.every((e) => unreachable.includes(e)));
    result.status = statusOf(result.problems, { interrupted: signal.aborted, judged });
    return result;
  };
  let found;
  try {
    found = await findZoneNs(k, name, options.server.address);
  } catch (e) {
    if (signal.aborted) return done();
    const why = e instanceof NetlabError || e instanceof BudgetSpent ? e.message : String(e);
    result.error = why;
    result.problems.push({ code: 'NO_NS', severity: 'CRITICAL', message: why, subject: result.zone });
    return done();
  }
  result.zone = found.zone;
  result.ns = found.ns;
  const maxServers = options.maxServers ?? 32;
  const targets: Array<{ server: string; address?: string }> = [];
  // in name order, whatever order the server gave (BIND rotates it)
  for (const n of [...found.ns].sort()) {
    const addrs = await nsAddresses(k, n, found.glue, found.from);
    if (addrs.length === 0) targets.push({ server: n });
    for (const address of addrs) targets.push({ server: n, address });
  }
  const asked = targets.slice(0, maxServers);
  result.nssearch = await Promise.all(asked.map(async (t): Promise<NsSearchEntry> => {
    const entry: NsSearchEntry = { server: t.server, address: t.address ?? '', serial: null, soa: null, timeMs: null, rcode: null, authoritative: false };
    if (!t.address) {
      entry.error = 'no address';
      return entry;
    }
    try {
      const ex = await ask(k, t.address, found.zone, 6);
      const m = ex.message;
      entry.timeMs = roundMs(ex.timeMs);
      entry.rcode = m.rcode;
      entry.authoritative = m.flags.includes('aa');
      const soa = m.answers.find((r) => r.rdata.type === 'SOA' && canonicalName(r.name) === found.zone);
      if (soa && soa.rdata.type === 'SOA') {
        entry.serial = soa.rdata.serial;
        entry.soa = soa.data;
      }
      if (m.rcode !== 'NOERROR') entry.error = m.rcode;
      else if (!soa) entry.error = 'no SOA in the answer';
      else if (!entry.authoritative) entry.error = 'not authoritative (no AA)';
    } catch (e) {
      const f = failureReason(e);
      entry.error = signal.aborted ? 'interrupted' : f.reason;
      if (f.noRoute) unreachable.push(entry);
    }
    return entry;
  }));
  if (signal.aborted) return done();
  judge(result, found.zone, port, targets.length - asked.length, unreachable);
  return done();
}

function judge(result: NsSearchResult, zone: string, port: number, leftOut: number, unreachable: NsSearchEntry[]): void {
  const entries = result.nssearch.filter((e) => !unreachable.includes(e));
  const good = entries.filter((e) => e.serial !== null && e.authoritative);
  const severity = good.length > 0 ? 'WARNING' as const : 'CRITICAL' as const;
  for (const e of entries) {
    const subject = e.address ? `${e.server} (${e.address})` : e.server;
    if (!e.address) {
      result.problems.push({ code: 'NS_NO_ADDRESS', severity, message: `no address found for ${e.server}`, subject });
    } else if (e.rcode === null) {
      result.problems.push({ code: 'SILENT_SERVER', severity, message: `${subject} did not answer: communications error to ${serverLabel(e.address, port)}: ${e.error ?? 'no reply'}`, subject });
    } else if (e.error) {
      result.problems.push({ code: 'LAME_SERVER', severity, message: `${subject} is lame for ${zone}: ${e.error}`, subject });
    }
  }
  if (good.length === 0 && entries.length === 0 && unreachable.length === 0) {
    result.problems.push({ code: 'NO_NS', severity: 'CRITICAL', message: `${zone} has no name server`, subject: zone });
  }
  const serials = new Map<number, number>();
  for (const e of good) serials.set(e.serial!, (serials.get(e.serial!) ?? 0) + 1);
  if (serials.size > 1) {
    // the highest serial is the current one (RFC 1982 arithmetic aside): the others are behind
    const newest = [...serials.keys()].reduce((a, b) => (serialNewer(b, a) ? b : a));
    for (const e of good) {
      if (e.serial === newest) continue;
      const subject = `${e.server} (${e.address})`;
      result.problems.push({ code: 'SERIAL_MISMATCH', severity: 'WARNING', message: `${subject} serves serial ${e.serial} of ${zone}, others ${newest}`, subject, counts: { serial: e.serial!, newest } });
    }
  }
  const notes: Note[] = [];
  if (leftOut > 0) notes.push({ code: 'NOT_ASKED', message: `${leftOut} more server addresses were not asked (limit reached)`, subject: zone, counts: { leftOut } });
  if (unreachable.length > 0) notes.push({ code: 'NO_ROUTE', message: `${unreachable.map((e) => e.address).join(', ')} not reachable from this host, not judged`, subject: zone, counts: { notChecked: unreachable.length } });
  if (notes.length > 0) result.notes = notes;
}

/** dig's +nssearch as a DigResult (the document `netlab dig +nssearch --json` prints). */
export function nssearchDigResult(r: NsSearchResult, asked: DigResult['query']): DigResult {
  return checkDigResult({ ...asked, name: r.zone, type: 'SOA' }, r, { nssearch: r.nssearch }, r.notes);
}
