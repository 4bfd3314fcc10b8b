/**
 * hosts(5) files to DNS zones, as a library call: {@link hostsToZone} reads the inputs (byte
 * streams, never held whole), judges every line, and returns the zone texts (forward or RPZ,
 * and the reverse zones), the statistics, the problems and the notes. Writing the zones
 * anywhere is the caller's: `netlab hosts2zone` streams them to stdout or replaces files in
 * --out. {@link readHostsZone} is the step under it, for a caller that streams the texts
 * itself or checks a server against the files (verify.ts, verifyZone).
 */
import { performance } from 'node:perf_hooks';
import { fileErrorReason, NetlabError, statusOf, type Progress, type Severity, type Status } from '../../errors.js';
import { roundMs } from '../../util/round.js';
import { hostsNote, isProblem, isRejection, readHosts, type HostsIssue, type HostsNote, type HostsProblem } from './hosts.js';
import { HostsModel, type AliasMode, type ZoneFormat } from './model.js';
import {
  absoluteText, DEFAULT_TIMERS, DEFAULT_TTL, forwardZoneText, hostNameOption, mailboxToRname, nextSerial, reverseZoneOf4,
  reverseZoneOf6, reverseZoneText, rpzZoneText, type WriteStats, type ZoneHead,
} from './writer.js';

/** One hosts file's content, streamed: its name (for `FILE:LINE`; `-` is standard input) and its bytes. */
export interface HostsInput {
  name: string;
  chunks: AsyncIterable<Uint8Array | string>;
  /** Bytes, when known (sizes the tables once); 0 or absent for a stream. */
  size?: number;
}

/** Problems and notes listed by default (the first ones; the rest are counted). */
export const MAX_LISTED = 1000;

/** The default size of each ip6.arpa reverse zone, bits (a /64 per zone). */
export const DEFAULT_V6_PREFIX = 64;

/** What {@link readHostsZone} and {@link hostsToZone} take. Only `origin` is required. */
export interface HostsToZoneOptions {
  /** The zone (IDN allowed, any case, a trailing dot or not): names inside it become its owners, short names go under it. */
  origin: string;
  /** Name servers of the zone; a name without a dot goes under the origin. The first is the SOA primary. Default `localhost.`. */
  ns?: string[];
  /** The SOA mailbox, `user@domain` or already an RNAME. Default `hostmaster@ORIGIN`. */
  contact?: string;
  /** $TTL, seconds, 0 to 2^31-1. Default {@link DEFAULT_TTL} (3600). */
  ttl?: number;
  /** The SOA serial. Default `nextSerial(now)`: today's YYYYMMDD00 (see writer.ts nextSerial for the rule against a replaced zone). */
  serial?: number;
  /** The date of the default serial. Default now. */
  now?: Date;
  /** Also the PTR zones: in-addr.arpa per /24, ip6.arpa per `v6PrefixBits`. Not with the rpz format. */
  reverse?: boolean;
  /** Size of each ip6.arpa zone, a multiple of 4 from 4 to 124. Default {@link DEFAULT_V6_PREFIX}. */
  v6PrefixBits?: number;
  /** Aliases as CNAME records (default) or as address records. */
  aliases?: AliasMode;
  /** A zone (default), or a Response Policy Zone for a blocklist. */
  format?: ZoneFormat;
  /** Write names with `_` as owners of addresses too (BIND then needs check-names ignore). */
  allowUnderscore?: boolean;
  /** How many problems and notes to list; the rest are counted. Default {@link MAX_LISTED}. */
  maxListed?: number;
  /** Stops the reading between chunks: the result covers what was read, `interrupted: true`, no zone. */
  signal?: AbortSignal;
  /** Progress: `{ phase: 'read', done, total }`, inputs read of all inputs. */
  onProgress?: (progress: Progress) => void;
  /** Each listed problem and note as it is found (in the order of the lines). */
  onIssue?: (issue: HostsIssue) => void;
}

/** One input read: its lines and its valid entries (lines with an address and a valid name). */
export interface InputRead {
  file: string;
  lines: number;
  entries: number;
}

/** Problems and notes past the listed ones, counted. */
export interface OmittedIssues {
  /** Listed before these (the limit). */
  listed: number;
  /** Problems and notes not listed. */
  problems: number;
  /** Of those: rejected lines or names, other warnings, notes. */
  errors: number;
  warnings: number;
  notes: number;
}

/** How many of each were found: rejected lines or names (`errors`), other problems (`warnings`), notes. */
export interface IssueCounts {
  errors: number;
  warnings: number;
  notes: number;
}

/** One zone's master-file text. */
export interface ZoneText {
  /** Fully qualified, with the trailing dot. */
  zone: string;
  /** Records, SOA and NS included. */
  records: number;
  serial: number;
  text: string;
}

/** What {@link hostsToZone} returns: plain JSON-able data. */
export interface HostsToZoneResult {
  /** WARNING when a line was rejected or a conflict found; UNKNOWN when no valid entry (a NO_VALID_ENTRY note says so) or interrupted. */
  status: Status;
  /** Fully qualified, with the trailing dot. */
  origin: string;
  format: ZoneFormat;
  /** Every entry points at 0.0.0.0, 127.0.0.1, :: or ::1. */
  blocklist: boolean;
  inputs: InputRead[];
  /** Owner names written. */
  names: number;
  /** Address records held (duplicates merged). */
  addresses: number;
  serial: number | null;
  /** The forward (or RPZ) zone, then the reverse zones; empty when nothing could be written. */
  zones: ZoneText[];
  counts: IssueCounts;
  /** The first `maxListed` problems and notes (in the order found) are listed, problems here, notes in `notes`. */
  problems: HostsProblem[];
  notes: HostsNote[];
  /** Problems and notes found past the listed ones (counted in `counts`). */
  problemsOmitted: number;
  /** The signal stopped the reading: the counts cover what was read, no zone. */
  interrupted?: boolean;
  /** Milliseconds, to the microsecond. */
  timeMs: number;
}

function usage(message: string): NetlabError {
  return new NetlabError('USAGE', message);
}

/** The problems and notes of one run: counted, the first `max` listed and passed on. */
export class IssueList {
  readonly counts: IssueCounts = { errors: 0, warnings: 0, notes: 0 };
  readonly problems: HostsProblem[] = [];
  readonly notes: HostsNote[] = [];
  readonly omitted: OmittedIssues;

  constructor(private readonly max: number, private readonly onIssue?: (issue: HostsIssue) => void) {
    this.omitted = { listed: max, problems: 0, errors: 0, warnings: 0, notes: 0 };
  }

  /** Count one; list it (and pass it on) while fewer than `max` are listed. */
  readonly add = (issue: HostsIssue): void => {
    const problem = isProblem(issue);
    const kind = !problem ? 'notes' : isRejection(issue.code) ? 'errors' : 'warnings';
    this.counts[kind]++;
    // stderr and the JSON list the same first ones: 200 MB of garbage is not 130 MB of messages
    if (this.problems.length + this.notes.length < this.max) {
      if (problem) this.problems.push(issue);
      else this.notes.push(issue);
      this.onIssue?.(issue);
    } else {
      this.omitted.problems++;
      this.omitted[kind]++;
    }
  };
}

/** The events of a zone's text: it starts, some text, it ends. */
export type ZoneEvent =
  | { kind: 'start'; zone: string }
  | { kind: 'text'; text: string | Uint8Array }
  | { kind: 'end'; zone: string; records: number };

/** The options of {@link HostsToZoneOptions}, checked and with their defaults. */
interface Settings {
  origin: string;
  ns: string[];
  rname: string;
  ttl: number;
  reverse: boolean;
  v6PrefixBits: number;
  aliases: AliasMode;
  format: ZoneFormat;
  allowUnderscore: boolean;
}

function settingsOf(o: HostsToZoneOptions): Settings {
  const origin = hostNameOption(o.origin, 'origin');
  const format = o.format ?? 'zone';
  const ns = (o.ns && o.ns.length > 0 ? o.ns : ['localhost.']).map((value) => {
    const name = hostNameOption(value, 'ns');
    return value.endsWith('.') || name.includes('.') ? name : `${name}.${origin}`;
  });
  if (format === 'rpz' && ns.some((n) => n === origin || n.endsWith(`.${origin}`))) throw usage("an RPZ's name servers must be outside it (the usual one is localhost.)");
  const ttl = o.ttl ?? DEFAULT_TTL;
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 2147483647) throw usage(`ttl needs a whole number from 0 to 2147483647, got ${ttl}`);
  const v6PrefixBits = o.v6PrefixBits ?? DEFAULT_V6_PREFIX;
  if (!Number.isInteger(v6PrefixBits) || v6PrefixBits < 4 || v6PrefixBits > 124 || v6PrefixBits % 4 !== 0) {
    throw usage(`v6PrefixBits must be a multiple of 4 from 4 to 124 (a nibble boundary, RFC 3596 2.5), got ${v6PrefixBits}`);
  }
  if (o.reverse && format === 'rpz') throw usage('reverse zones and the rpz format do not go together: a blocklist has no reverse zones');
  return {
    origin, ns, rname: mailboxToRname(o.contact ?? `hostmaster@${origin}`, 'contact'), ttl, reverse: Boolean(o.reverse), v6PrefixBits,
    aliases: o.aliases ?? 'cname', format, allowUnderscore: Boolean(o.allowUnderscore),
  };
}

/** `'FILE'`, or stdin for `-`. */
function inputName(file: string): string {
  return file === '-' ? 'stdin' : `'${file}'`;
}

/**
 * The hosts files read into the model of one zone: what {@link hostsToZone} returns as data,
 * and the zones' texts as a stream of events ({@link events}) for a caller that writes them
 * as they come (a 1,000,000-line file makes a 31 MB zone).
 */
export class HostsZone {
  /** The zone's names, addresses and PTRs (model.ts). */
  readonly model: HostsModel;
  readonly issues: IssueList;
  readonly inputs: InputRead[] = [];
  /** The origin: lower-case ASCII, no trailing dot. */
  readonly origin: string;
  /** Name servers, fully qualified, no trailing dot. */
  readonly ns: string[];
  /** The SOA RNAME, master-file text. */
  readonly rname: string;
  readonly ttl: number;
  readonly format: ZoneFormat;
  readonly reverse: boolean;
  readonly v6PrefixBits: number;
  /** The input names, in order. */
  readonly files: string[];
  /** The signal stopped the reading: the counts cover what was read; no zone is complete. */
  interrupted = false;
  /** Owner names to write (0: no valid entry). */
  names = 0;

  /** @internal made by {@link readHostsZone} */
  constructor(settings: Settings, files: string[], issues: IssueList, expectedNames: number) {
    this.origin = settings.origin;
    this.ns = settings.ns;
    this.rname = settings.rname;
    this.ttl = settings.ttl;
    this.format = settings.format;
    this.reverse = settings.reverse;
    this.v6PrefixBits = settings.v6PrefixBits;
    this.files = files;
    this.issues = issues;
    this.model = new HostsModel({
      origin: settings.origin, format: settings.format, aliases: settings.aliases, reverse: settings.reverse, allowUnderscore: settings.allowUnderscore, expectedNames,
    }, issues.add);
    if (settings.format === 'zone') {
      for (const ns of settings.ns) {
        const key = this.model.place(ns);
        if (key !== null && ns.includes('.')) this.model.declareNameServer(key);
      }
    }
  }

  /** Address records held (duplicates merged). */
  get addresses(): number {
    return this.model.addressCount;
  }

  /** Every entry points at 0.0.0.0, 127.0.0.1, :: or ::1 (meaningful once read). */
  get blocklist(): boolean {
    return !this.interrupted && this.names > 0 && this.model.isBlocklist;
  }

  /** In-zone name servers that no hosts line gives an address (fully qualified): the zone cannot be served then. */
  nameServersWithoutAddress(): string[] {
    return this.model.nameServersWithoutAddress();
  }

  /** The zones it writes, without the trailing dot: the forward (or RPZ) zone, then with reverse every reverse zone. */
  zoneNames(): string[] {
    const zones = [this.origin];
    if (this.reverse) {
      const reverse = new Set<string>();
      for (const p of this.model.ptrs()) reverse.add(p.family === 4 ? reverseZoneOf4(p.v4).zone : reverseZoneOf6(p.nibbles, this.v6PrefixBits).zone);
      zones.push(...reverse);
    }
    return zones;
  }

  /** $ORIGIN, $TTL, SOA and NS of one of its zones. */
  head(zone: string, serial: number): ZoneHead {
    return {
      origin: zone,
      ttl: this.ttl,
      soa: { mname: absoluteText(this.ns[0]!), rname: this.rname, serial, ...DEFAULT_TIMERS },
      ns: this.ns.map(absoluteText),
      comments: [`${zone}: written by netlab hosts2zone from ${this.files.join(' ')}`],
    };
  }

  /** Every zone's text, in the order of {@link zoneNames}, as a stream of events (chunks of up to 1 MiB). */
  *events(serial: number): Generator<ZoneEvent> {
    const stats: WriteStats = { records: 0 };
    const head = this.head(this.origin, serial);
    yield { kind: 'start', zone: this.origin };
    for (const chunk of this.format === 'rpz' ? rpzZoneText(this.model, head, stats) : forwardZoneText(this.model, head, stats)) yield { kind: 'text', text: chunk };
    yield { kind: 'end', zone: this.origin, records: stats.records };
    if (!this.reverse) return;
    for (const ev of reverseZoneText(this.model, this.v6PrefixBits, (zone) => this.head(zone, serial))) {
      if (ev.kind === 'text') yield ev;
      else if (ev.kind === 'start') yield { kind: 'start', zone: ev.origin };
      else yield { kind: 'end', zone: ev.origin, records: ev.records };
    }
  }
}

/**
 * Read hosts inputs into the model of one zone, each input in turn, each line judged as it
 * comes (problems and notes go to `options.onIssue` as they are found). A blocklist is noted
 * (BLOCKLIST). Throws NetlabError USAGE for bad options and INPUT for an input whose stream
 * fails (`cannot read 'FILE': why`); a signal stops it between chunks (`interrupted`).
 * `issues`: the list the problems go to, when the caller made it (to count, after a throw, what
 * was found; then `maxListed` and `onIssue` are the list's, not the options').
 */
export async function readHostsZone(inputs: readonly HostsInput[], options: HostsToZoneOptions, issues = new IssueList(options.maxListed ?? MAX_LISTED, options.onIssue)): Promise<HostsZone> {
  const settings = settingsOf(options);
  // sizes the model's tables once: a hosts line is rarely under 30 bytes
  const bytes = inputs.reduce((a, i) => a + (i.size ?? 0), 0);
  const zone = new HostsZone(settings, inputs.map((i) => i.name), issues, Math.ceil(bytes / 30));
  const { model } = zone;
  const signal = options.signal;
  for (const [n, input] of inputs.entries()) {
    if (signal?.aborted) break;
    options.onProgress?.({ phase: 'read', done: n, total: inputs.length, detail: input.name });
    const fi = model.addFile(input.name);
    let stats;
    try {
      stats = await readHosts(input.chunks, input.name, (entry, line) => model.add(entry, fi, line), issues.add, { signal });
    } catch (e) {
      // a failing read (EIO, a bound passed, a FIFO that stalls...) is the input's; anything else is a bug
      if ((e as NodeJS.ErrnoException).syscall !== undefined || typeof (e as { reason?: unknown }).reason === 'string') {
        throw new NetlabError('INPUT', `cannot read ${inputName(input.name)}: ${fileErrorReason(e)}`, { cause: e });
      }
      throw e;
    }
    zone.inputs.push({ file: input.name, lines: stats.lines, entries: stats.entries });
  }
  if (signal?.aborted) {
    zone.interrupted = true;
    zone.names = model.size;
    return zone;
  }
  options.onProgress?.({ phase: 'read', done: inputs.length, total: inputs.length });
  model.finish();
  let names = 0;
  for (let id = 0; id < model.size; id++) if (model.kindOf(id) !== 'none') names++;
  zone.names = names;
  if (settings.format === 'zone' && model.isBlocklist) {
    issues.add({ ...hostsNote(zone.files[0] ?? '-', 0, 'BLOCKLIST', 'every entry points at 0.0.0.0, 127.0.0.1, :: or ::1: this looks like a blocklist'), remedy: 'formatRpz' });
  }
  return zone;
}

/**
 * The status of what was read (statusOf, the one rule): WARNING when a line was rejected or a
 * conflict found (listed or not), OK else; UNKNOWN when interrupted or no valid entry (nothing
 * could be judged: the input is bad). `more`: the problems found after the reading (a
 * verification's); `how.interrupted`: a later step (writing, verifying) was stopped.
 */
export function statusOfZone(zone: HostsZone, more: readonly { severity: Severity }[] = [], how: { interrupted?: boolean } = {}): Status {
  const { issues } = zone;
  const interrupted = zone.interrupted || Boolean(how.interrupted);
  if (interrupted || zone.names === 0) return statusOf([], { judged: false, interrupted });
  const found: { severity: Severity }[] = [...issues.problems, ...more];
  // problems past the listed ones count too (a list full of notes)
  if (issues.omitted.errors + issues.omitted.warnings > 0) found.push({ severity: 'WARNING' });
  return statusOf(found);
}

/** The note of a zone without a valid entry: what UNKNOWN means there. */
export function noValidEntry(zone: HostsZone): HostsNote {
  return hostsNote(zone.files[0] ?? '-', 0, 'NO_VALID_ENTRY', `no valid entry for ${zone.origin} in ${zone.files.join(', ')}`);
}

/**
 * hosts(5) files -> the zone texts (forward or RPZ, and with `reverse` the PTR zones), the
 * statistics, the problems and the notes. Nothing is written anywhere. No valid entry is not
 * an error: the status is UNKNOWN, with a NO_VALID_ENTRY note and no zone. Throws NetlabError
 * USAGE for bad options, INPUT for an input that cannot be read and for an in-zone name server
 * that no line gives an address (the zone could not be served).
 */
export async function hostsToZone(inputs: readonly HostsInput[], options: HostsToZoneOptions): Promise<HostsToZoneResult> {
  const started = performance.now();
  const zone = await readHostsZone(inputs, options);
  const { issues } = zone;
  const notes = [...issues.notes];
  const result: HostsToZoneResult = {
    status: 'OK',
    origin: `${zone.origin}.`,
    format: zone.format,
    blocklist: zone.blocklist,
    inputs: zone.inputs,
    names: zone.names,
    addresses: zone.addresses,
    serial: null,
    zones: [],
    counts: issues.counts,
    problems: issues.problems,
    notes,
    problemsOmitted: issues.omitted.problems,
    timeMs: 0,
  };
  if (zone.interrupted) result.interrupted = true;
  else if (zone.names === 0) notes.push(noValidEntry(zone));
  else {
    const missing = zone.nameServersWithoutAddress();
    if (missing.length > 0) throw new NetlabError('INPUT', `name server ${missing.join(', ')} is inside ${zone.origin}, but no hosts line gives it an address: add one, or use a name server outside the zone`);
    const serial = options.serial ?? nextSerial(options.now ?? new Date());
    result.serial = serial;
    let parts: Buffer[] = [];
    for (const ev of zone.events(serial)) {
      if (ev.kind === 'start') parts = [];
      else if (ev.kind === 'text') parts.push(typeof ev.text === 'string' ? Buffer.from(ev.text, 'utf8') : Buffer.from(ev.text));
      else result.zones.push({ zone: `${ev.zone}.`, records: ev.records, serial, text: Buffer.concat(parts).toString('utf8') });
    }
  }
  result.status = statusOfZone(zone);
  result.timeMs = roundMs(performance.now() - started);
  return result;
}
