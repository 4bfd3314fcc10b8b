/**
 * Fan-out (issue 12): `every-address: true` runs a check once per address of its target's name
 * (A and AAAA), pinned to it with the URL's Host and SNI kept; `every-server: true` (dig) asks
 * every authoritative server of the zone, every address of each, and {@link crossCheck} flags
 * the servers whose answers or SOA serials disagree with the others'. blackbox_exporter probes
 * one address per name (its issues #1512, #1378): a multi-AZ service with one bad node is
 * invisible there; here each address is its own outcome.
 *
 * How each subcommand is pinned (each through its own option, so that the run is exactly what
 * its command line would do):
 * - cert-check HOST[:PORT]: `--connect-to ADDR` (HOST stays the SNI name and the name checked);
 * - trace-request URL: `--origin ADDR --no-resolved` (the URL's Host and SNI stay; only the
 *   pinned path is timed, so a dead sibling address cannot fail a good one's run);
 * - lb-probe NAME:PORT: the VIP becomes ADDR:PORT, with `--host NAME:PORT` unless --host is given
 *   (the Host header the name would have sent);
 * - dig and hosts2zone: every-address is refused (their servers are given as addresses; for dig,
 *   every-server is the fan-out); every-server is dig's alone.
 * Names are resolved through the check's own `--resolver ADDR[:PORT]` (cert-check, trace-request
 * and lb-probe all take one, and use it themselves when not fanned out) with netlab's DNS client,
 * else through `how.resolver` (the caller's default), else the system resolver (node:dns lookup,
 * as a connection would resolve the name).
 */
import net from 'node:net';
import { NetlabError, type Problem } from '../errors.js';
import type { AnyCommand } from '../commands/command.js';
import { parseArgvOnce } from './parse-cache.js';
import { COMMANDS } from '../commands/registry.js';
import { query, type Server } from '../protocol/dns/transport.js';
import type { DnsMessage, DnsRecord } from '../protocol/dns/wire.js';
import { resolveServer, type DigResult } from '../protocol/dns/lookup.js';
import { resolveAddresses as resolveAll, sortAddresses } from '../protocol/dns/addresses.js';
import { formatHostPort } from '../util/host-port.js';
import type { CheckCommand, CheckDef, CheckOutcome } from './model.js';

/** The authoritative server a run of an every-server check asks (its NS names and the SOA serial it served). */
export interface FanoutServer {
  /** The NS names with this address, sorted (`ns1.example.test`). */
  names: string[];
  /** The zone's SOA serial at this address when the fan-out asked; null: no usable answer. */
  serial: number | null;
}

/** One run of a check: the address it is pinned to (null: not fanned out) and its subcommand's arguments. */
export interface PinnedRun {
  address: string | null;
  argv: string[];
  /** every-server only: which server this is, and the serial it served (for {@link crossCheck}). */
  server?: FanoutServer;
}

/** What bounds a fan-out: the check's timeout, the run's signal, and a resolver for subcommands without their own. */
export interface FanoutHow {
  signal?: AbortSignal;
  /** The whole expansion's bound (the check's timeout), ms. */
  timeoutMs: number;
  /** Resolve names through this DNS server (netlab's own client) when the subcommand has no `--resolver`; default the system resolver. */
  resolver?: Server;
}

/** The problem code crossCheck adds. */
export const SERVERS_DISAGREE = 'SERVERS_DISAGREE';

/**
 * Why a check's fan-out cannot be done, read from its keys alone (for the loader, which reports
 * it at the check's position), or null when it can.
 */
export function fanoutRefusal(check: Pick<CheckDef, 'command' | 'everyAddress' | 'everyServer'>): string | null {
  if (check.everyAddress && check.everyServer) return 'every-address and every-server exclude each other (every-server already asks every address of every server)';
  if (check.everyServer && check.command !== 'dig') return `every-server applies to dig checks only (the authoritative servers of a zone), not to ${check.command}`;
  if (check.everyAddress && check.command === 'dig') return 'every-address does not apply to dig (its @server is an address): use every-server to ask every authoritative server of the zone';
  if (check.everyAddress && check.command === 'hosts2zone') return 'every-address does not apply to hosts2zone (its --verify server is an address): write one check per server';
  return null;
}

/**
 * The runs of a check: one (address null, the check's own argv) unless it fans out. Throws
 * NetlabError USAGE for a fan-out the check's arguments do not allow (see fanoutRefusal, and
 * e.g. cert-check --connect-to with every-address), UNREACHABLE (status CRITICAL) when the
 * target's name resolves to no address or the zone's servers cannot be found, TIMEOUT when
 * `how.timeoutMs` passes first (CRITICAL) or `how.signal` aborts (UNKNOWN).
 */
export async function expandTargets(check: CheckDef, how: FanoutHow): Promise<PinnedRun[]> {
  if (!check.everyAddress && !check.everyServer) return [{ address: null, argv: check.argv }];
  const refusal = fanoutRefusal(check);
  if (refusal) throw new NetlabError('USAGE', refusal);
  const def = await commandDef(check.command);
  const options: unknown = await parseArgvOnce(def, check.argv);
  const signal = bound(how);
  try {
    if (check.everyServer) return await everyServer(check, options as DigArgs, signal, how.timeoutMs);
    return await everyAddress(check, def, options, signal, how);
  } catch (e) {
    throw outOfTime(e, how, signal, check.everyServer ? 'finding the servers of the zone' : 'resolving the target');
  }
}

async function commandDef(command: CheckCommand): Promise<AnyCommand> {
  return (await COMMANDS[command].load()).command;
}

/** The caller's signal and the check's timeout as one signal. */
function bound(how: FanoutHow): AbortSignal {
  const timeout = AbortSignal.timeout(Math.max(1, how.timeoutMs));
  return how.signal ? AbortSignal.any([how.signal, timeout]) : timeout;
}

/** An abort becomes TIMEOUT: UNKNOWN when the caller's signal stopped it, CRITICAL when the check's timeout passed. */
function outOfTime(e: unknown, how: FanoutHow, bounded: AbortSignal, what: string): unknown {
  if (how.signal?.aborted) return new NetlabError('TIMEOUT', `${what}: interrupted`, { status: 'UNKNOWN', cause: e });
  if (bounded.aborted) return new NetlabError('TIMEOUT', `${what}: not done within the check's ${how.timeoutMs} ms`, { cause: e });
  return e;
}

// ---- every-address -------------------------------------------------------------------------

async function everyAddress(check: CheckDef, def: AnyCommand, options: unknown, signal: AbortSignal, how: FanoutHow): Promise<PinnedRun[]> {
  const argv = check.argv;
  switch (check.command) {
    case 'cert-check': {
      const o = options as { server?: { host: string; port: number }; file?: string; connectTo?: string; resolver?: Server };
      if (!o.server || o.file !== undefined) throw new NetlabError('USAGE', 'every-address needs a server HOST[:PORT], not a --file bundle');
      if (o.connectTo !== undefined) throw new NetlabError('USAGE', 'every-address pins each address itself: leave out --connect-to');
      const host = o.server.host;
      if (net.isIP(host)) return [{ address: host, argv }];
      const addresses = await resolveAll(host, o.resolver ?? how.resolver, signal);
      return addresses.map((address) => ({ address, argv: [...argv, '--connect-to', address] }));
    }
    case 'trace-request': {
      const o = options as { url: URL; origin?: string; cdn?: string; resolver?: Server };
      if (o.origin !== undefined || o.cdn !== undefined) throw new NetlabError('USAGE', 'every-address pins each address itself: leave out --origin and --cdn');
      const host = o.url.hostname.replace(/^\[(.*)\]$/, '$1');
      if (net.isIP(host)) return [{ address: host, argv }];
      const addresses = await resolveAll(host, o.resolver ?? how.resolver, signal);
      return addresses.map((address) => ({ address, argv: [...argv, '--origin', address, '--no-resolved'] }));
    }
    case 'lb-probe': {
      const o = options as { vip: { address: string; port: number }; resolver?: Server };
      const host = o.vip.address;
      if (net.isIP(host)) return [{ address: host, argv }];
      const at = positionalIndex(def, argv);
      if (at < 0) throw new NetlabError('INTERNAL', 'lb-probe: the VIP argument was not found in its argv');
      const addresses = await resolveAll(host, o.resolver ?? how.resolver, signal);
      const keepHost = argv.some((a) => a === '--host' || a.startsWith('--host=')) ? [] : ['--host', formatHostPort(o.vip)];
      return addresses.map((address) => {
        const pinned = [...argv];
        pinned[at] = formatHostPort({ address, port: o.vip.port });
        return { address, argv: [...pinned, ...keepHost] };
      });
    }
    default:
      throw new NetlabError('USAGE', `every-address does not apply to ${check.command}`);
  }
}

/**
 * Where the first positional argument is in a commander-style argv: skips `--opt VALUE`,
 * `--opt=VALUE` and switches as the command declares them; -1 when there is none.
 */
export function positionalIndex(def: AnyCommand, argv: readonly string[]): number {
  const takesValue = new Map<string, boolean>();
  for (const o of def.options ?? []) {
    const hasValue = /[<[]/.test(o.flags);
    for (const f of o.flags.split(/[ ,|]+/)) if (f.startsWith('-')) takesValue.set(f, hasValue);
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return i + 1 < argv.length ? i + 1 : -1;
    if (a.startsWith('-') && a.length > 1) {
      if (!a.includes('=') && takesValue.get(a)) i++;
      continue;
    }
    return i;
  }
  return -1;
}

// ---- every-server --------------------------------------------------------------------------

/** What every-server reads of dig's options. */
interface DigArgs {
  server?: string;
  port: number;
  queries: Array<{ name: string; type: number; class: number }>;
  batchFile?: string;
  trace: boolean;
  recurse: boolean;
}

function fq(name: string): string {
  const n = name.toLowerCase();
  return n.endsWith('.') ? n : `${n}.`;
}

function parentOf(name: string): string | null {
  if (name === '.') return null;
  const i = name.indexOf('.');
  return i < 0 || i === name.length - 1 ? '.' : name.slice(i + 1);
}

async function everyServer(check: CheckDef, o: DigArgs, signal: AbortSignal, timeoutMs: number): Promise<PinnedRun[]> {
  if (o.batchFile !== undefined) throw new NetlabError('USAGE', 'every-server needs one query, not a -f batch');
  if (o.trace) throw new NetlabError('USAGE', 'every-server asks the zone\'s servers directly: leave out +trace');
  if (o.queries.length !== 1) throw new NetlabError('USAGE', `every-server needs one query, got ${o.queries.length}`);
  const qname = fq(o.queries[0]!.name);
  const asked = await resolveServer(o.server);
  const first: Server = { address: asked.address, port: o.port };
  const perTry = Math.min(2000, Math.max(1, timeoutMs));
  const ask = (server: Server, name: string, type: number, recurse: boolean) => query(server, { name, type }, { timeoutMs: perTry, tries: 2, recurse, signal });

  // The zone cut, walking up from the name as dig +nssearch and zonemaster find it: the first
  // name with an NS set (an answer, or a referral to it), or the owner of the SOA a negative
  // or NODATA answer carries.
  let zone: string | undefined;
  let nsNames: string[] = [];
  let glue: DnsRecord[] = [];
  let candidate: string | null = qname;
  // a server that refers downwards (a root or TLD server, no recursion) is followed through its glue
  let server = first;
  let recurse = o.recurse;
  let referrals = 0;
  for (let steps = 0; candidate !== null && steps < 130; steps++) {
    const at = `${server.address}#${server.port}`;
    const r: DnsMessage = (await ask(server, candidate, 2, recurse)).message;
    const here: string = candidate;
    const nsOf = (list: DnsRecord[], owner: string) => list.filter((x) => x.rdata.type === 'NS' && fq(x.name) === owner);
    const answered = nsOf(r.answers, here);
    const referral = r.flags.includes('aa') ? [] : r.authorities.filter((x) => x.rdata.type === 'NS');
    const referredTo = referral.length ? fq(referral[0]!.name) : undefined;
    if (answered.length || referredTo === here) {
      zone = here;
      nsNames = [...new Set((answered.length ? answered : nsOf(r.authorities, here)).map((x) => fq((x.rdata as { target: string }).target)))].sort();
      glue = r.additionals;
      break;
    }
    if (referredTo && referredTo !== '.' && (here.endsWith(`.${referredTo}`)) && referrals < 16) {
      const next = sortAddresses(r.additionals.filter((x) => (x.rdata.type === 'A' || x.rdata.type === 'AAAA') && nsOf(referral, referredTo).some((n) => fq((n.rdata as { target: string }).target) === fq(x.name))).map((x) => (x.rdata as { address: string }).address));
      if (next.length === 0) throw new NetlabError('UNREACHABLE', `cannot find the zone of ${qname}: ${at} refers to ${referredTo} without glue`);
      server = { address: next[0]!, port: o.port };
      recurse = false;
      referrals++;
      continue;
    }
    if (r.rcode === 'REFUSED' || r.rcode === 'SERVFAIL' || r.rcode === 'NOTIMP') {
      throw new NetlabError('UNREACHABLE', `cannot find the zone of ${qname}: ${r.rcode} from ${at}`);
    }
    const soa: DnsRecord | undefined = [...r.answers, ...r.authorities].find((x) => x.rdata.type === 'SOA');
    const soaOwner: string | undefined = soa ? fq(soa.name) : undefined;
    // the SOA's owner is the zone: ask for its NS set next (unless that is where we are)
    candidate = soaOwner && soaOwner !== here && (here.endsWith(`.${soaOwner}`) || soaOwner === '.') ? soaOwner : parentOf(here);
  }
  if (!zone) throw new NetlabError('UNREACHABLE', `cannot find the zone of ${qname}: no NS set at ${first.address}#${first.port}`);

  // Every address of every NS name: glue first, else asked (the first server, then the zone's own).
  const byAddress = new Map<string, Set<string>>();
  const unresolved: string[] = [];
  const zoneServers = () => [...byAddress.keys()].map((address) => ({ address, port: o.port }));
  const addressesOf = async (name: string): Promise<string[]> => {
    // the server that gave the NS set first (it may be one of the zone's), then the one asked, then the zone's own
    const fromGlue = glue.filter((x) => fq(x.name) === name && (x.rdata.type === 'A' || x.rdata.type === 'AAAA')).map((x) => (x.rdata as { address: string }).address);
    if (fromGlue.length) return fromGlue;
    for (const s of [first, server, ...zoneServers()]) {
      const replies = await Promise.all([1, 28].map((t) => ask(s, name, t, s === first ? o.recurse : false).catch(() => null)));
      const found = replies.flatMap((x) => x?.message.answers ?? []).filter((x) => fq(x.name) === name && (x.rdata.type === 'A' || x.rdata.type === 'AAAA')).map((x) => (x.rdata as { address: string }).address);
      if (found.length) return found;
    }
    return [];
  };
  // in-bailiwick names first: their glue makes the servers that can answer for the others
  for (const name of [...nsNames].sort((x, y) => Number(!x.endsWith(`.${zone}`)) - Number(!y.endsWith(`.${zone}`)))) {
    const found = await addressesOf(name);
    if (found.length === 0) unresolved.push(name);
    for (const address of found) (byAddress.get(address) ?? byAddress.set(address, new Set()).get(address)!).add(name.replace(/\.$/, ''));
  }

  // Each server's SOA serial, asked without recursion, for crossCheck.
  const addresses = sortAddresses(byAddress.keys());
  const serials = await Promise.all(addresses.map(async (address) => {
    try {
      const r = (await ask({ address, port: o.port }, zone!, 6, false)).message;
      const soa = r.answers.find((x) => x.rdata.type === 'SOA' && fq(x.name) === zone);
      return soa && soa.rdata.type === 'SOA' ? soa.rdata.serial : null;
    } catch (e) {
      if (signal.aborted) throw e;
      return null;
    }
  }));

  const base = withoutServer(check.argv);
  const runs: PinnedRun[] = addresses.map((address, i) => ({
    address,
    argv: [...base, `@${address}`, '+norecurse'],
    server: { names: [...byAddress.get(address)!].sort(), serial: serials[i]! },
  }));
  // An NS name with no address is not dropped: its run asks it by name, and fails as dig would.
  for (const name of unresolved) {
    const bare = name.replace(/\.$/, '');
    runs.push({ address: bare, argv: [...base, `@${bare}`, '+norecurse'], server: { names: [bare], serial: null } });
  }
  if (runs.length === 0) throw new NetlabError('UNREACHABLE', `${zone} has no name server`);
  return runs;
}

/** dig's argv without its server (`@X`, `--server X`, `--server=X`). */
function withoutServer(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('@') || a.startsWith('--server=')) continue;
    if (a === '--server') {
      i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

// ---- cross-check ---------------------------------------------------------------------------

/** An outcome's answer as a comparable value: its RCODE and its answer RRsets as a set (TTL ignored). */
function answerKey(result: unknown): { key: string; text: string } | null {
  const r = result as Partial<DigResult> | null;
  if (!r || typeof r !== 'object' || !r.rcode || !Array.isArray(r.answer)) return null;
  const lines = [...new Set(r.answer.map((x) => `${fq(x.name)} ${x.class} ${x.type} ${x.data}`))].sort();
  const data = [...new Set(r.answer.map((x) => `${x.type} ${x.data}`))].sort();
  const text = r.rcode !== 'NOERROR' ? r.rcode : data.length ? data.join(', ') : 'no records (NODATA)';
  return { key: `${r.rcode}|${lines.join('\n')}`, text: text.length > 200 ? `${text.slice(0, 197)}...` : text };
}

/**
 * For each outcome, the one it disagrees with: the values of the others grouped, and whether
 * this outcome's value is the majority's. `null` values (nothing to compare) are left out.
 */
function disagreements(values: Array<string | null>): Array<{ others: number[] } | null> {
  const groups = new Map<string, number[]>();
  values.forEach((v, i) => {
    if (v !== null) (groups.get(v) ?? groups.set(v, []).get(v)!).push(i);
  });
  if (groups.size < 2) return values.map(() => null);
  const sizes = [...groups.values()].map((g) => g.length).sort((a, b) => b - a);
  const tie = sizes[0] === sizes[1];
  const majority = tie ? undefined : [...groups.entries()].find(([, g]) => g.length === sizes[0])![0];
  return values.map((v, i) => {
    // with no majority every server is flagged; else the ones that differ from it
    if (v === null || v === majority) return null;
    return { others: values.flatMap((w, j) => (w !== null && w !== v && j !== i ? [j] : [])) };
  });
}

function label(outcome: CheckOutcome, run: PinnedRun | undefined): string {
  const names = run?.server?.names ?? [];
  const address = outcome.address ?? '?';
  return names.length && !names.includes(address) ? `${names.join('/')} (${address})` : address;
}

/**
 * The problems a fanned-out check finds across its outcomes, one list per outcome, in the
 * outcomes' order. every-server only: SERVERS_DISAGREE, CRITICAL on the outcomes whose answer
 * (RCODE and answer RRsets as sets, TTL ignored) differs from the majority's, WARNING on those
 * whose zone's SOA serial (from `runs`, as expandTargets found it) differs from the majority's;
 * with no majority (a tie) every server in the tie is flagged. Outcomes with no reply are left
 * out of the comparison (their own failure is their problem). Nothing for every-address: each
 * address stands on its own.
 */
export function crossCheck(check: CheckDef, outcomes: readonly CheckOutcome[], runs: readonly PinnedRun[] = []): Array<Array<Problem<string>>> {
  const problems: Array<Array<Problem<string>>> = outcomes.map(() => []);
  if (!check.everyServer || outcomes.length < 2) return problems;
  const runOf = outcomes.map((o) => runs.find((r) => r.address === o.address));
  const labels = outcomes.map((o, i) => label(o, runOf[i]));

  const answers = outcomes.map((o) => answerKey(o.result));
  disagreements(answers.map((a) => a?.key ?? null)).forEach((d, i) => {
    if (!d) return;
    const others = groupBy(d.others, (j) => answers[j]!.text).map(([text, js]) => `${js.map((j) => labels[j]).join(', ')} answer${js.length === 1 ? 's' : ''} ${text}`);
    problems[i]!.push({
      code: SERVERS_DISAGREE,
      severity: 'CRITICAL',
      message: `${labels[i]} answers ${answers[i]!.text} where ${others.join('; ')}`,
      subject: outcomes[i]!.address ?? undefined,
    });
  });

  const serials = outcomes.map((_, i) => runOf[i]?.server?.serial ?? null);
  disagreements(serials.map((s) => (s === null ? null : String(s)))).forEach((d, i) => {
    if (!d) return;
    const others = groupBy(d.others, (j) => String(serials[j])).map(([serial, js]) => `${js.map((j) => labels[j]).join(', ')} ${js.length === 1 ? 'has' : 'have'} ${serial}`);
    problems[i]!.push({
      code: SERVERS_DISAGREE,
      severity: 'WARNING',
      message: `${labels[i]} serves SOA serial ${serials[i]} where ${others.join('; ')}`,
      subject: outcomes[i]!.address ?? undefined,
      counts: { serial: serials[i]! },
    });
  });
  return problems;
}

function groupBy(indexes: number[], keyOf: (i: number) => string): Array<[string, number[]]> {
  const m = new Map<string, number[]>();
  for (const i of indexes) (m.get(keyOf(i)) ?? m.set(keyOf(i), []).get(keyOf(i))!).push(i);
  return [...m.entries()];
}
