/**
 * `dig +zone-check` (issue 14): a +trace that checks every server of every zone on the way.
 * From the root NS set down to the zone that answers NAME, every address of every name server
 * the parent lists (glue, or the NS name resolved iteratively through trace()) is asked the
 * question with recursion off, then its zone's SOA over TCP and NS set, and judged:
 * LAME_SERVER (REFUSED or another error RCODE, an answer without AA), UPWARD_REFERRAL,
 * SILENT_SERVER (no reply), SERIAL_MISMATCH, NS_MISMATCH (the parent's NS set is not the
 * zone's, or servers disagree), GLUE_MISMATCH (the parent's glue is not the zone's address
 * records for an in-zone NS name), EDNS_BROKEN (FORMERR, no reply or no OPT to an EDNS query
 * while a plain one is answered), TCP_BROKEN (DNS flag day 2020), ANSWER_MISMATCH (a server
 * answers the name differently from the others), NS_NO_ADDRESS. Each WARNING while the zone
 * has a server that answers; a server's problem is CRITICAL when none of its zone's servers
 * answers (the walk stops there). Bounded: servers per level, levels, queries, and a deadline.
 */
import { statusOf, type Note, type Problem, type Severity, type Status } from '../../errors.js';
import { roundMs } from '../../util/round.js';
import { ipFamily } from '../../util/ip.js';
import type { Server, TransportOptions, Exchange } from './transport.js';
import { canonicalName } from './names.js';
import { typeName } from './types.js';
import { ROOT_HINTS } from './root-hints.js';
import type { DnsMessage, DnsRecord } from './wire.js';
import { addressRecords, ask, BudgetSpent, checkDigResult, failureReason, makeAsker, nsAddresses, ipv4First, usable, type Asker, type Families } from './delegation.js';
import { serialNewer } from './serial.js';
import type { DigResult } from './lookup.js';

export type ZoneCheckProblemCode =
  | 'LAME_SERVER' | 'UPWARD_REFERRAL' | 'SILENT_SERVER' | 'SERIAL_MISMATCH' | 'NS_MISMATCH' | 'GLUE_MISMATCH'
  | 'EDNS_BROKEN' | 'TCP_BROKEN' | 'ANSWER_MISMATCH' | 'NS_NO_ADDRESS' | 'CHECK_INCOMPLETE';

/**
 * What a server did with the question: `answer` (authoritative: records, NODATA or NXDOMAIN),
 * `referral` (down to a child zone), `lame` (an error RCODE, or no authority), `upward` (a
 * referral that does not go down), `silent` (no reply), `unchecked` (the query budget or the
 * deadline came first, or this host has no route to the address, as IPv6 from an IPv4-only host).
 */
export type ServerVerdict = 'answer' | 'referral' | 'lame' | 'upward' | 'silent' | 'unchecked';

/** One address of one name server of a zone, judged. */
export interface ZoneCheckServer {
  /** The NS name (canonical). */
  name: string;
  address: string;
  verdict: ServerVerdict;
  /** What it answered, in a few words (`referral to test.`, `1 answer record`, `REFUSED`, `timed out`). */
  reply: string;
  rcode: string | null;
  aa: boolean;
  /** The zone's SOA serial it serves; null when not asked or none came. */
  serial: number | null;
  /** Round trip of the question, milliseconds; null without a reply. */
  timeMs: number | null;
  /** `broken`: an EDNS query got FORMERR, no reply or no OPT while a plain one was answered. */
  edns: 'ok' | 'broken' | 'not checked';
  /** `broken`: the SOA query over TCP failed while UDP works. */
  tcp: 'ok' | 'broken' | 'not checked';
  /** The zone's NS set as this server serves it (canonical, sorted); null when not asked or none came. */
  ns: string[] | null;
  /** Codes of the problems found with this server. */
  problems: ZoneCheckProblemCode[];
}

/** One zone on the way down. */
export interface ZoneCheckLevel {
  zone: string;
  /** The NS set the parent gives (the root's: the priming answer or the hints), canonical, in order. */
  parentNs: string[];
  /** The parent's glue, by NS name. */
  glue: Record<string, string[]>;
  /** The zone's own NS set, as most of its servers serve it (sorted); null when no server gave it. */
  childNs: string[] | null;
  servers: ZoneCheckServer[];
  problems: Problem<ZoneCheckProblemCode>[];
  /** Where the walk went from here: the child zone, or `answer`; absent when it stopped. */
  next?: string;
}

/** What `netlab dig +zone-check --json` puts under `zoneCheck`. */
export interface ZoneCheckReport {
  qname: string;
  qtype: string;
  levels: ZoneCheckLevel[];
  /** The walk reached the zone that answers the name. */
  complete: boolean;
  queries: number;
  /** What was not judged (NOT_CHECKED: addresses past the per-level limit; NO_ROUTE: addresses this host cannot reach). */
  notes?: Note[];
}

/** The result of zoneCheck(): plain JSON-able data. */
export interface ZoneCheckResult extends ZoneCheckReport {
  /** The worst problem's severity (statusOf); UNKNOWN when interrupted. */
  status: Status;
  /** Every level's problems, top down. */
  problems: Problem<ZoneCheckProblemCode>[];
  timeMs: number;
  /** Why the walk stopped short, when it did for another reason than its servers. */
  error?: string;
  interrupted?: boolean;
}

/** Options of zoneCheck(); every wait bounded. */
export interface ZoneCheckOptions {
  /** Ask this server for the root NS set (with RD, as dig +trace @server); default: the built-in root hints. */
  start?: Server;
  /** Port of every server (dig's -p). Default `start.port`, else 53. */
  port?: number;
  /** Per query, milliseconds. Default 1500. */
  timeoutMs?: number;
  /** Tries per query. Default 1. */
  tries?: number;
  /** Address families of the servers; default both (dig -4 / -6 narrow it). */
  families?: Families;
  /** EDNS of the queries; false: none (and no EDNS check). */
  edns?: TransportOptions['edns'];
  /** Addresses checked per zone at most. Default 16. */
  maxServersPerLevel?: number;
  /** Zones on the way at most. Default 16. */
  maxLevels?: number;
  /** Queries in all at most. Default 400. */
  maxQueries?: number;
  /** The whole check at most, milliseconds. Default 30000. */
  deadlineMs?: number;
  signal?: AbortSignal;
}

const DEFAULT_EDNS = { udpSize: 1232 } as const;

function isBelowOrAt(name: string, zone: string): boolean {
  return zone === '.' || name === zone || name.endsWith(`.${zone}`);
}

function labelCount(name: string): number {
  return name === '.' ? 0 : name.split('.').length - 1;
}

function nsTargets(records: DnsRecord[], owner: string): string[] {
  return [...new Set(records.filter((r) => r.rdata.type === 'NS' && canonicalName(r.name) === owner).map((r) => canonicalName((r.rdata as { target: string }).target)))];
}

function glueMap(names: string[], additionals: DnsRecord[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const n of names) {
    const addrs = addressRecords(additionals, n);
    if (addrs.length > 0) m.set(n, ipv4First(addrs));
  }
  return m;
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join(' ') === [...b].sort().join(' ');

/** The most frequent key (ties: the first seen), for "most servers say". */
function majority<T>(items: T[], key: (t: T) => string): string | undefined {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(key(i), (counts.get(key(i)) ?? 0) + 1);
  let best: string | undefined;
  for (const [k, n] of counts) if (best === undefined || n > counts.get(best)!) best = k;
  return best;
}

/**
 * Walk the delegation path of (qname, qtype: a type code) from the root, as `dig +trace`
 * does, asking every server of every zone on the way and judging each (see the module's
 * comment). Never throws for what servers do: everything found is a problem in the result.
 */
export async function zoneCheck(qnameIn: string, qtype: number, options: ZoneCheckOptions = {}): Promise<ZoneCheckResult> {
  const t0 = performance.now();
  const qname = canonicalName(qnameIn);
  const port = options.port ?? options.start?.port ?? 53;
  const deadlineMs = options.deadlineMs ?? 30_000;
  const deadline = AbortSignal.timeout(deadlineMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  const edns = options.edns === undefined ? DEFAULT_EDNS : options.edns;
  const k = makeAsker({
    port, timeoutMs: options.timeoutMs ?? 1500, tries: options.tries ?? 1, families: options.families ?? { ipv4: true, ipv6: true },
    edns, start: options.start, signal, maxQueries: options.maxQueries ?? 400,
  });
  const maxPerLevel = options.maxServersPerLevel ?? 16;
  const levels: ZoneCheckLevel[] = [];
  const notes: Note[] = [];
  let complete = false;
  let error: string | undefined;

  // 1. The root NS set: from the start server (RD, as dig +trace) or the hints.
  let zone = '.';
  let parentNs: string[] = [];
  let glue = new Map<string, string[]>();
  let via: string | undefined;
  if (options.start) {
    try {
      const m = (await ask(k, options.start.address, '.', 2, { recurse: true })).message;
      parentNs = nsTargets(m.answers, '.');
      glue = glueMap(parentNs, m.additionals);
      via = options.start.address;
      if (parentNs.length === 0) error = `no root NS records from ${options.start.address} (${m.rcode})`;
    } catch (e) {
      error = `could not get the root NS records from ${options.start.address}: ${failureReason(e).reason}`;
    }
  } else {
    parentNs = ROOT_HINTS.map((h) => canonicalName(h.name));
    glue = new Map(ROOT_HINTS.map((h) => [canonicalName(h.name), [h.ipv4, h.ipv6]]));
  }

  // 2. Every zone on the way: check its servers, then follow what most of them say.
  for (let depth = 0; !error && depth < (options.maxLevels ?? 16); depth++) {
    const level = await checkLevel(k, qname, qtype, zone, parentNs, glue, via, maxPerLevel, notes);
    levels.push(level);
    if (signal.aborted) break;
    if (level.next === 'answer') {
      // a server of this zone that serves a child zone too answers for it: go down to the child
      const hidden = await hiddenChild(k, level, qname);
      if (!hidden) {
        complete = true;
        break;
      }
      notes.push({ code: 'HIDDEN_DELEGATION', message: `the servers of ${zone} serve ${hidden.zone} too: the parent's delegation cannot be seen, the child's own NS set is taken for it`, subject: hidden.zone });
      level.next = hidden.zone;
      zone = hidden.zone;
      parentNs = hidden.ns;
      glue = hidden.glue;
      via = hidden.via;
      continue;
    }
    if (!level.next) break;
    const from = level.servers.find((s) => s.verdict === 'referral' && s.reply === `referral to ${level.next}`);
    const nextStep = from ? (level as LevelWithReferrals).referrals.get(from) : undefined;
    if (!nextStep) break;
    zone = level.next;
    parentNs = nextStep.ns;
    glue = nextStep.glue;
    via = undefined;
    delete (level as Partial<LevelWithReferrals>).referrals;
  }
  for (const l of levels) delete (l as Partial<LevelWithReferrals>).referrals;
  const interrupted = Boolean(options.signal?.aborted);
  if (!complete && !interrupted && !error) {
    const last = levels[levels.length - 1];
    const stoppedByServers = last && !last.next && last.problems.some((p) => p.severity === 'CRITICAL');
    if (deadline.aborted) error = `the check took longer than ${deadlineMs} ms`;
    else if (k.queries >= k.maxQueries) error = `query budget of ${k.maxQueries} spent`;
    else if (!stoppedByServers && last && last.next !== undefined) error = `more than ${options.maxLevels ?? 16} zones on the way`;
    else if (!stoppedByServers) error = `the walk stopped at ${last?.zone ?? '.'}`;
  }
  const problems: Problem<ZoneCheckProblemCode>[] = interrupted ? [] : levels.flatMap((l) => l.problems);
  if (error && !interrupted) problems.push({ code: 'CHECK_INCOMPLETE', severity: 'CRITICAL', message: `zone check of ${qname} incomplete: ${error}`, subject: qname });
  const r: ZoneCheckResult = {
    qname, qtype: typeName(qtype), levels, complete, queries: k.queries,
    status: statusOf(problems, { interrupted }), problems, timeMs: roundMs(performance.now() - t0),
  };
  if (notes.length > 0) r.notes = notes;
  if (error) r.error = error;
  if (interrupted) r.interrupted = true;
  return r;
}

/**
 * When the servers of `level` answered authoritatively for the name from a zone below their
 * own (they serve the child too), that child zone, its NS set and glue, as the server that
 * answered gives them (the SOA of the name says which zone answers); else undefined.
 */
async function hiddenChild(k: Asker, level: ZoneCheckLevel, qname: string): Promise<{ zone: string; ns: string[]; glue: Map<string, string[]>; via: string } | undefined> {
  const server = level.servers.find((s) => s.verdict === 'answer' && s.aa);
  if (!server || qname === level.zone) return undefined;
  const noEdns = server.edns === 'broken' ? { edns: false as const } : {};
  try {
    const m = (await ask(k, server.address, qname, 6, noEdns)).message;
    if (!m.flags.includes('aa')) return undefined;
    const soa = [...m.answers, ...m.authorities].find((r) => r.rdata.type === 'SOA');
    const child = soa ? canonicalName(soa.name) : undefined;
    if (!child || child === level.zone || !isBelowOrAt(child, level.zone) || !isBelowOrAt(qname, child)) return undefined;
    const n = (await ask(k, server.address, child, 2, noEdns)).message;
    const ns = nsTargets(n.answers, child);
    if (ns.length === 0) return undefined;
    return { zone: child, ns, glue: glueMap(ns, n.additionals), via: server.address };
  } catch {
    return undefined;
  }
}

interface LevelWithReferrals extends ZoneCheckLevel {
  /** Per server that referred: the NS set and glue of its referral (dropped before returning). */
  referrals: Map<ZoneCheckServer, { ns: string[]; glue: Map<string, string[]> }>;
}

async function checkLevel(
  k: Asker, qname: string, qtype: number, zone: string, parentNs: string[], glue: Map<string, string[]>,
  via: string | undefined, maxPerLevel: number, notes: Note[],
): Promise<LevelWithReferrals> {
  const problems: Problem<ZoneCheckProblemCode>[] = [];
  const targets: Array<{ name: string; address: string }> = [];
  const noAddress: string[] = [];
  for (const n of parentNs) {
    const g = glue.get(n);
    const addrs = g ? usable(g, k.families) : await nsAddresses(k, n, [], via);
    if (addrs.length === 0) noAddress.push(n);
    for (const address of addrs) targets.push({ name: n, address });
  }
  // by name, then IPv4 before IPv6: the same order whatever order the parent gave (BIND rotates it)
  targets.sort((x, y) => (x.name === y.name ? ipFamily(x.address) - ipFamily(y.address) || (x.address < y.address ? -1 : 1) : x.name < y.name ? -1 : 1));
  if (targets.length > maxPerLevel) {
    notes.push({ code: 'NOT_CHECKED', message: `${targets.length - maxPerLevel} more server addresses of ${zone} were not checked (limit ${maxPerLevel})`, subject: zone, counts: { notChecked: targets.length - maxPerLevel } });
  }
  const referrals = new Map<ZoneCheckServer, { ns: string[]; glue: Map<string, string[]> }>();
  const signatures = new Map<ZoneCheckServer, string>();
  const servers = await Promise.all(targets.slice(0, maxPerLevel).map((t) => checkServer(k, qname, qtype, zone, t.name, t.address, referrals, signatures)));
  const good = servers.filter((s) => s.verdict === 'answer' || s.verdict === 'referral');
  const unreachable = servers.filter((s) => s.verdict === 'unchecked' && s.reply.startsWith('not reachable'));
  if (unreachable.length > 0) notes.push({ code: 'NO_ROUTE', message: `${unreachable.map((s) => s.address).join(', ')} (${zone}) not reachable from this host, not judged`, subject: zone, counts: { notChecked: unreachable.length } });
  const severity: Severity = good.length > 0 ? 'WARNING' : 'CRITICAL';
  const add = (s: ZoneCheckServer | undefined, p: Problem<ZoneCheckProblemCode>) => {
    problems.push(p);
    if (s && !s.problems.includes(p.code)) s.problems.push(p.code);
  };
  const label = (s: ZoneCheckServer) => `${s.name} (${s.address})`;

  for (const n of noAddress) add(undefined, { code: 'NS_NO_ADDRESS', severity, message: `no address found for ${n}, a name server of ${zone}`, subject: n });
  for (const s of servers) {
    if (s.verdict === 'lame') add(s, { code: 'LAME_SERVER', severity, message: `${label(s)} is lame for ${zone}: ${s.reply}`, subject: label(s) });
    else if (s.verdict === 'upward') add(s, { code: 'UPWARD_REFERRAL', severity, message: `${label(s)} is lame for ${zone}: upward ${s.reply}`, subject: label(s) });
    else if (s.verdict === 'silent') add(s, { code: 'SILENT_SERVER', severity, message: `${label(s)} did not answer for ${zone}: ${s.reply}`, subject: label(s) });
    if (s.edns === 'broken') add(s, { code: 'EDNS_BROKEN', severity: 'WARNING', message: `${label(s)} does not answer EDNS queries correctly (${ednsWhy.get(s) ?? 'FORMERR'}), plain ones it does`, subject: label(s) });
    if (s.tcp === 'broken') add(s, { code: 'TCP_BROKEN', severity: 'WARNING', message: `${label(s)} does not answer over TCP (${tcpWhy.get(s) ?? 'no reply'}), over UDP it does`, subject: label(s) });
  }

  // serials: the newest is the current one, the others are behind
  const withSerial = good.filter((s) => s.serial !== null);
  const serials = [...new Set(withSerial.map((s) => s.serial!))];
  if (serials.length > 1) {
    const newest = serials.reduce((a, b) => (serialNewer(b, a) ? b : a));
    for (const s of withSerial) {
      if (s.serial !== newest) add(s, { code: 'SERIAL_MISMATCH', severity: 'WARNING', message: `${label(s)} serves serial ${s.serial} of ${zone}, others ${newest}`, subject: label(s), counts: { serial: s.serial!, newest } });
    }
  }

  // the answer (or referral) most servers give; the others differ
  const common = majority(good, (s) => signatures.get(s) ?? '');
  for (const s of good) {
    if (signatures.get(s) !== common) add(s, { code: 'ANSWER_MISMATCH', severity: 'WARNING', message: `${label(s)} answers ${qname} differently from the other servers of ${zone}: ${describeSignature(signatures.get(s))} instead of ${describeSignature(common)}`, subject: label(s) });
  }

  // the zone's own NS set: what most of its servers serve, against the parent's and each server's
  const withNs = good.filter((s) => s.ns !== null);
  const childKey = majority(withNs, (s) => s.ns!.join(' '));
  const childNs = childKey === undefined ? null : childKey.split(' ').filter((x) => x !== '');
  if (childNs) {
    for (const s of withNs) {
      if (s.ns!.join(' ') !== childKey) add(s, { code: 'NS_MISMATCH', severity: 'WARNING', message: `${label(s)} serves the NS set ${s.ns!.join(', ') || '(none)'} of ${zone}, the other servers ${childNs.join(', ')}`, subject: label(s) });
    }
    if (!sameSet(childNs, parentNs)) {
      const parentOnly = parentNs.filter((n) => !childNs.includes(n));
      const childOnly = childNs.filter((n) => !parentNs.includes(n));
      const parts = [parentOnly.length ? `only the parent lists ${parentOnly.join(', ')}` : '', childOnly.length ? `only the zone lists ${childOnly.join(', ')}` : ''].filter(Boolean);
      add(undefined, { code: 'NS_MISMATCH', severity: 'WARNING', message: `the NS set of ${zone} differs between the parent and the zone: ${parts.join('; ')}`, subject: zone });
    }
  }

  // glue against the zone's own address records, for the NS names inside the zone
  const authority = good.find((s) => s.serial !== null) ?? good[0];
  if (authority) {
    for (const [n, addrs] of glue) {
      if (!parentNs.includes(n) || !isBelowOrAt(n, zone)) continue;
      for (const [type, family] of [[1, 4], [28, 6]] as const) {
        const given = addrs.filter((a) => ipFamily(a) === family);
        if (given.length === 0) continue;
        let m: DnsMessage;
        try {
          m = (await ask(k, authority.address, n, type, { edns: authority.edns === 'broken' ? false : k.edns })).message;
        } catch {
          continue; // the server's own failures are judged above
        }
        // a deeper delegation holds the name: not this zone's to say
        const authoritative = m.flags.includes('aa') && (m.rcode === 'NOERROR' || m.rcode === 'NXDOMAIN');
        if (!authoritative) continue;
        const own = m.answers.filter((r) => r.typeCode === type && canonicalName(r.name) === n).map((r) => (r.rdata as { address: string }).address);
        if (!sameSet(given, own)) {
          const t = type === 1 ? 'A' : 'AAAA';
          add(undefined, { code: 'GLUE_MISMATCH', severity: 'WARNING', message: `the parent's glue for ${n} is ${given.join(', ')}, the zone's own ${t} records ${own.length ? own.join(', ') : `do not exist (${m.rcode === 'NXDOMAIN' ? 'NXDOMAIN' : 'no data'})`}`, subject: n });
        }
      }
    }
  }

  const level: LevelWithReferrals = {
    zone, parentNs, glue: Object.fromEntries(glue), childNs, servers, problems, referrals,
  };
  const commonServer = good.find((s) => signatures.get(s) === common);
  if (commonServer) level.next = commonServer.verdict === 'answer' ? 'answer' : commonServer.reply.replace(/^referral to /, '');
  return level;
}

function describeSignature(sig: string | undefined): string {
  if (!sig) return 'nothing';
  const [kind, ...rest] = sig.split('\n');
  return rest.length > 0 ? `${kind} ${rest.join(', ')}` : kind!;
}

// why EDNS or TCP was judged broken, per server (kept out of the JSON shape)
const ednsWhy = new WeakMap<ZoneCheckServer, string>();
const tcpWhy = new WeakMap<ZoneCheckServer, string>();

async function checkServer(
  k: Asker, qname: string, qtype: number, zone: string, name: string, address: string,
  referrals: Map<ZoneCheckServer, { ns: string[]; glue: Map<string, string[]> }>, signatures: Map<ZoneCheckServer, string>,
): Promise<ZoneCheckServer> {
  const s: ZoneCheckServer = {
    name, address, verdict: 'silent', reply: '', rcode: null, aa: false, serial: null, timeMs: null, edns: 'not checked', tcp: 'not checked', ns: null, problems: [],
  };
  let ex: Exchange | undefined;
  let why = '';
  let budget = false;
  try {
    ex = await ask(k, address, qname, qtype);
  } catch (e) {
    const f = failureReason(e);
    why = f.reason;
    budget = e instanceof BudgetSpent;
    if (f.noRoute) {
      // this host cannot reach the address (an IPv6 server from an IPv4-only host): not judged
      s.verdict = 'unchecked';
      s.reply = `not reachable from this host: ${why}`;
      return s;
    }
  }
  let plainOnly = false;
  if (k.edns !== false && !budget && !k.signal.aborted) {
    const m = ex?.message;
    if (!m || m.rcode === 'FORMERR' || m.rcode === 'NOTIMP' || m.rcode === 'BADVERS') {
      // the DNS flag day check: does the same question without EDNS get an answer?
      try {
        const plain = await ask(k, address, qname, qtype, { edns: false });
        if (plain.message.rcode !== 'FORMERR' && plain.message.rcode !== 'NOTIMP') {
          s.edns = 'broken';
          ednsWhy.set(s, m ? m.rcode : why);
          plainOnly = true;
          ex = plain;
        }
      } catch {
        // silent both ways: a silent server, not an EDNS one
      }
    } else if (!m.edns) {
      s.edns = 'broken';
      ednsWhy.set(s, 'no OPT in the reply');
    } else s.edns = 'ok';
  }
  if (!ex) {
    s.verdict = budget || k.signal.aborted ? 'unchecked' : 'silent';
    s.reply = k.signal.aborted ? 'not asked: the check stopped' : why;
    return s;
  }
  const m = ex.message;
  s.rcode = m.rcode;
  s.aa = m.flags.includes('aa');
  s.timeMs = roundMs(ex.timeMs);
  judge(s, m, qname, qtype, zone, referrals, signatures);
  if (s.verdict !== 'answer' && s.verdict !== 'referral') return s;

  // the zone's SOA over TCP (the serial, and the flag day's TCP check), the NS set over UDP
  const noEdns = plainOnly ? { edns: false as const } : {};
  const [soa, ns] = await Promise.all([
    (async () => {
      try {
        const r = await ask(k, address, zone, 6, { tcp: true, ...noEdns });
        s.tcp = 'ok';
        return r.message;
      } catch (e) {
        if (k.signal.aborted || e instanceof BudgetSpent) return undefined;
        const tcpReason = failureReason(e).reason;
        try {
          const r = await ask(k, address, zone, 6, noEdns);
          s.tcp = 'broken';
          tcpWhy.set(s, tcpReason);
          return r.message;
        } catch {
          return undefined;
        }
      }
    })(),
    ask(k, address, zone, 2, noEdns).then((r) => r.message, () => undefined),
  ]);
  const soaRecord = soa?.answers.find((r) => r.rdata.type === 'SOA' && canonicalName(r.name) === zone);
  if (soaRecord && soaRecord.rdata.type === 'SOA') s.serial = soaRecord.rdata.serial;
  if (ns && ns.flags.includes('aa')) {
    const list = nsTargets(ns.answers, zone).sort();
    if (list.length > 0) s.ns = list;
  }
  return s;
}

/** The verdict on a server's reply to the question, for a server of `zone`. */
function judge(
  s: ZoneCheckServer, m: DnsMessage, qname: string, qtype: number, zone: string,
  referrals: Map<ZoneCheckServer, { ns: string[]; glue: Map<string, string[]> }>, signatures: Map<ZoneCheckServer, string>,
): void {
  const aa = s.aa;
  const answerSig = () => [`${m.rcode}`, ...m.answers.map((r) => `${canonicalName(r.name)} ${r.type} ${r.data}`).sort()].join('\n');
  if (m.rcode !== 'NOERROR' && m.rcode !== 'NXDOMAIN') {
    s.verdict = 'lame';
    s.reply = m.rcode;
    return;
  }
  if (m.answers.length > 0 || m.rcode === 'NXDOMAIN') {
    if (!aa) {
      s.verdict = 'lame';
      s.reply = `${m.rcode === 'NXDOMAIN' ? 'NXDOMAIN' : 'an answer'} without authority (no AA)`;
      return;
    }
    s.verdict = 'answer';
    s.reply = m.rcode === 'NXDOMAIN' ? 'NXDOMAIN' : `${m.answers.length} answer record${m.answers.length === 1 ? '' : 's'}`;
    signatures.set(s, answerSig());
    return;
  }
  const ns = m.authorities.filter((r) => r.rdata.type === 'NS');
  if (ns.length > 0) {
    const child = canonicalName(ns[0]!.name);
    if (child === zone && aa) {
      s.verdict = 'answer';
      s.reply = 'no data';
      signatures.set(s, answerSig());
      return;
    }
    if (isBelowOrAt(qname, child) && labelCount(child) > labelCount(zone) && isBelowOrAt(child, zone)) {
      s.verdict = 'referral';
      s.reply = `referral to ${child}`;
      const names = nsTargets(ns, child);
      referrals.set(s, { ns: names, glue: glueMap(names, m.additionals) });
      signatures.set(s, `referral to ${child}\n${[...names].sort().join('\n')}`);
      return;
    }
    s.verdict = 'upward';
    s.reply = `referral to ${child}`;
    return;
  }
  if (aa) {
    s.verdict = 'answer';
    s.reply = 'no data';
    signatures.set(s, answerSig());
    return;
  }
  s.verdict = 'lame';
  s.reply = `no authority and no referral (no AA)`;
  void qtype;
}

/** dig's +zone-check as a DigResult (the document `netlab dig +zone-check --json` prints). */
export function zoneCheckDigResult(r: ZoneCheckResult, asked: DigResult['query']): DigResult {
  const report: ZoneCheckReport = { qname: r.qname, qtype: r.qtype, levels: r.levels, complete: r.complete, queries: r.queries };
  if (r.notes) report.notes = r.notes;
  return checkDigResult(asked, r, { zoneCheck: report });
}
