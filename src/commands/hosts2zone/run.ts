/**
 * `netlab hosts2zone`: hosts(5) files -> HostsModel -> master files (forward, reverse, RPZ) in
 * --out DIR or on stdout, or, with --verify, a comparison with what a server answers.
 */
import { closeSync, constants, fchmodSync, fchownSync, fsync, lstatSync, openSync, realpathSync, renameSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileErrorReason, NetlabError, type Status } from '../../errors.js';
import { readHosts, type HostsIssue, type Severity } from '../../protocol/zone/hosts.js';
import { HostsModel, type AliasMode, type ZoneFormat } from '../../protocol/zone/model.js';
import {
  absoluteText, DEFAULT_TIMERS, DEFAULT_TTL, forwardZoneText, hostNameOption, mailboxToRname, nextSerial,
  reverseZoneOf4, reverseZoneOf6, reverseZoneText, rpzZoneText, serialGreater, type WriteStats, type ZoneHead,
} from '../../protocol/zone/writer.js';
import { readSerial } from '../../protocol/zone/master.js';
import type { Mismatch, VerifyResult } from '../../protocol/zone/verify.js';
import type { Server } from '../../protocol/dns/transport.js';
import { parseDnsServer, parseSeconds } from '../args.js';
import { boundChunks, FILE_LIMITS, openStreamBounded } from '../../util/read-bounded.js';

export interface Hosts2zoneOptions {
  files: string[];
  /** Lower-case ASCII, no trailing dot. */
  origin: string;
  /** Name servers, fully qualified, no trailing dot; the first is the SOA primary. */
  ns: string[];
  /** SOA RNAME, master-file text. */
  rname: string;
  ttl: number;
  serial?: number;
  reverse: boolean;
  v6PrefixBits: number;
  aliases: AliasMode;
  format: ZoneFormat;
  allowUnderscore: boolean;
  outDir?: string;
  verify?: Server;
  concurrency: number;
  timeoutMs: number;
  json: boolean;
  /** Ctrl-C: stop, remove the temporary files, return what was done with `interrupted: true`. */
  signal?: AbortSignal;
}

export interface RawHosts2zoneArgs {
  files?: string[];
  origin?: string;
  ns?: string[];
  contact?: string;
  ttl?: string;
  serial?: string;
  reverse?: boolean;
  v6Prefix?: string;
  aliases?: string;
  format?: string;
  allowUnderscore?: boolean;
  out?: string;
  verify?: string;
  concurrency?: string;
  timeout?: string;
  json?: boolean;
}

export interface ZoneWritten {
  /** Fully qualified, with the trailing dot. */
  zone: string;
  /** The file, or null for stdout. */
  file: string | null;
  records: number;
  serial: number;
}

export interface InputRead {
  file: string;
  lines: number;
  entries: number;
}

export interface Hosts2zoneResult {
  status: Status;
  /** write: zones written (to --out or stdout); verify: a server checked; check: --json alone, the files checked, nothing written. */
  action: 'write' | 'verify' | 'check';
  origin: string;
  format: ZoneFormat;
  /** --out DIR, or null (the zone to stdout, or nothing written). */
  outDir: string | null;
  /** Every entry points at 0.0.0.0, 127.0.0.1, :: or ::1. */
  blocklist: boolean;
  inputs: InputRead[];
  /** Owner names written (or checked). */
  names: number;
  /** Address records held (duplicates merged). */
  addresses: number;
  serial: number | null;
  zones: ZoneWritten[];
  counts: { errors: number; warnings: number; notes: number };
  /** The first MAX_PROBLEMS of them: the same ones went to onIssue. */
  problems: HostsIssue[];
  /** Problems found past the first MAX_PROBLEMS (counted in `counts`, not listed). */
  problemsOmitted: number;
  verify: VerifyResult | null;
  /** The signal stopped the run: what is here covers the work done before it; nothing was written in --out. */
  interrupted?: boolean;
  /** What it was doing when it was stopped. */
  interruptedWhile?: 'reading' | 'writing' | 'verifying';
  timeMs: number;
}

/** The problems not passed to onIssue (past the first MAX_PROBLEMS), by severity. */
export interface OmittedProblems {
  /** Problems listed before these: MAX_PROBLEMS. */
  listed: number;
  problems: number;
  errors: number;
  warnings: number;
  notes: number;
}

export interface Hosts2zoneIo {
  /** What `-` reads. */
  stdin?: AsyncIterable<Buffer | string>;
  /** The zone when there is no --out (a promise when the sink wants us to wait). */
  writeZone?: (chunk: string | Uint8Array) => void | Promise<void>;
  /** Each of the first MAX_PROBLEMS problems as it is found (the CLI prints `FILE:LINE: ...` on stderr). */
  onIssue?: (issue: HostsIssue) => void;
  /** Once at the end (also when the run throws), when problems were found past the first MAX_PROBLEMS. */
  onIssuesOmitted?: (omitted: OmittedProblems) => void;
  onMismatch?: (m: Mismatch) => void;
  now?: Date;
}

/** Problems listed (on stderr and in the JSON `problems`); the rest are counted (netlab-hosts2zone(1)). */
export const MAX_PROBLEMS = 1000;

/** Bytes read from one input at most (netlab-hosts2zone(1)): about 30 million hosts lines; /dev/zero stops here. */
export const MAX_INPUT_BYTES = FILE_LIMITS.hosts;

function usage(message: string): NetlabError {
  return new NetlabError('USAGE', message);
}

function integer(value: string | undefined, option: string, fallback: number | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw usage(`${option} needs a whole number from ${min} to ${max}, got '${value}'`);
  return Number(value);
}

/** Commander's raw values -> validated options. Pure; throws USAGE. */
export function parseHosts2zoneArgs(raw: RawHosts2zoneArgs): Hosts2zoneOptions {
  const files = raw.files ?? [];
  if (files.length === 0) throw usage('missing HOSTSFILE (or - for stdin)');
  if (files.filter((f) => f === '-').length > 1) throw usage("'-' (stdin) can be given once");
  if (raw.origin === undefined) throw usage('missing --origin DOMAIN (the zone the names go into)');
  const origin = hostNameOption(raw.origin, '--origin');
  const aliases = (raw.aliases ?? 'cname').toLowerCase();
  if (aliases !== 'cname' && aliases !== 'a') throw usage(`--aliases is cname or a, got '${raw.aliases}'`);
  const format = (raw.format ?? 'zone').toLowerCase();
  if (format !== 'zone' && format !== 'rpz') throw usage(`--format is zone or rpz, got '${raw.format}'`);
  const ttl = integer(raw.ttl, '--ttl', DEFAULT_TTL, 0, 2147483647)!;
  const serial = integer(raw.serial, '--serial', undefined, 0, 4294967295);
  const v6PrefixBits = integer(raw.v6Prefix, '--v6-prefix', 64, 4, 124)!;
  if (v6PrefixBits % 4 !== 0) throw usage(`--v6-prefix must be a multiple of 4 (a nibble boundary, RFC 3596 2.5), got ${v6PrefixBits}`);
  const concurrency = integer(raw.concurrency, '--concurrency', 32, 1, 1024)!;
  const timeoutMs = raw.timeout === undefined ? 2000 : parseSeconds(raw.timeout, '--timeout', 60);
  const ns = (raw.ns && raw.ns.length > 0 ? raw.ns : ['localhost.']).map((value) => {
    const absolute = value.endsWith('.');
    const name = hostNameOption(value, '--ns');
    return absolute || name.includes('.') ? name : `${name}.${origin}`;
  });
  if (format === 'rpz' && ns.some((n) => n === origin || n.endsWith(`.${origin}`))) {
    throw usage(`an RPZ's name servers must be outside it (the usual one is --ns localhost.)`);
  }
  const rname = mailboxToRname(raw.contact ?? `hostmaster@${origin}`);
  if (raw.reverse && format === 'rpz') throw usage('--reverse and --format rpz do not go together: a blocklist has no reverse zones');
  if (raw.verify !== undefined && raw.out !== undefined) throw usage('--verify compares a server with the hosts files and writes nothing: drop --out');
  if (raw.reverse && raw.out === undefined && raw.verify === undefined) throw usage('--reverse writes several zones: give --out DIR');
  const o: Hosts2zoneOptions = {
    files, origin, ns, rname, ttl, reverse: Boolean(raw.reverse), v6PrefixBits, aliases, format,
    allowUnderscore: Boolean(raw.allowUnderscore), concurrency, timeoutMs, json: Boolean(raw.json),
  };
  if (serial !== undefined) o.serial = serial;
  if (raw.out !== undefined) {
    if (raw.out === '') throw usage('--out needs a directory');
    o.outDir = raw.out;
  }
  if (raw.verify !== undefined) o.verify = parseDnsServer(raw.verify, '--verify');
  return o;
}

interface OpenInput {
  file: string;
  /** Bytes, 0 for stdin, a FIFO or a device. */
  size: number;
  chunks: AsyncIterable<Buffer | string>;
  close: () => Promise<void>;
}

/** `'FILE'`, or stdin for `-`. */
function inputName(file: string): string {
  return file === '-' ? 'stdin' : `'${file}'`;
}

/** INPUT error of an input that cannot be read (or is past its bound). */
function cannotReadInput(file: string, e: unknown): NetlabError {
  return new NetlabError('INPUT', `cannot read ${inputName(file)}: ${fileErrorReason(e)}`, { cause: e });
}

/**
 * Open every input before reading any, so an unreadable one fails before anything is written.
 * Each is read with a bound (MAX_INPUT_BYTES) and non-blocking (src/util/read-bounded.ts): a FIFO
 * without a writer does not block the open, /dev/zero stops at the bound.
 */
async function openInputs(files: string[], stdin: AsyncIterable<Buffer | string> | undefined, signal: AbortSignal | undefined): Promise<OpenInput[]> {
  const out: OpenInput[] = [];
  try {
    for (const file of files) {
      if (file === '-') {
        if (!stdin) throw new NetlabError('INPUT', 'cannot read stdin');
        out.push({ file: '-', size: 0, chunks: boundChunks(stdin, MAX_INPUT_BYTES, signal), close: async () => undefined });
        continue;
      }
      try {
        const s = await openStreamBounded(file, { maxBytes: MAX_INPUT_BYTES, signal });
        out.push({ file, size: s.size, chunks: s.chunks, close: s.close });
      } catch (e) {
        throw cannotReadInput(file, e);
      }
    }
  } catch (e) {
    await Promise.all(out.map((i) => i.close()));
    throw e;
  }
  return out;
}

function zoneFileName(zone: string): string {
  return `db.${zone}`;
}

/** Why a write failed, in a few words. */
function writeReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EPERM') return 'operation not permitted (an immutable file, chattr +i?)';
  if (code === 'EDQUOT') return 'disk quota exceeded';
  if (code === 'EFBIG') return 'file too large';
  if (code === 'EBUSY') return 'device or resource busy';
  if (code === 'EXDEV') return 'not on the same file system';
  return fileErrorReason(e);
}

function cannotWrite(path: string, e: unknown): NetlabError {
  return new NetlabError('INPUT', `cannot write '${path}': ${writeReason(e)}`, { cause: e });
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** A file this run writes: the zone, the path named (DIR/db.ZONE), the regular file written (a symlink's target) and what it replaces. */
interface Target {
  zone: string;
  path: string;
  real: string;
  /** The file replaced, null when there is none. */
  old: Stats | null;
}

/**
 * Check a target before anything is written: a missing file or a regular file (also through a
 * symbolic link, which is then followed: the file it points at is replaced, the link kept)
 * may be written; anything else is refused (a FIFO would block the serial read, a directory or
 * a device cannot take a zone). Throws INPUT.
 */
function checkTarget(zone: string, path: string): Target {
  let st: Stats;
  try {
    // synchronous: one call per zone, and there can be thousands of reverse zones
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { zone, path, real: path, old: null };
    throw cannotWrite(path, e);
  }
  let real = path;
  if (st.isSymbolicLink()) {
    try {
      st = statSync(path);
      real = realpathSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NetlabError('INPUT', `cannot write '${path}': a symbolic link to nothing (refused: remove it, or make it point at a file)`);
      throw cannotWrite(path, e);
    }
    if (!st.isFile()) throw new NetlabError('INPUT', `cannot write '${path}': a symbolic link to ${kindOf(st)}, not a regular file (refused: a zone is written over a regular file only)`);
  } else if (!st.isFile()) {
    throw new NetlabError('INPUT', `cannot write '${path}': ${kindOf(st)}, not a regular file (refused: a zone is written over a regular file only)`);
  }
  return { zone, path, real, old: st };
}

/** --out DIR: made when missing; an existing path that is not a directory is refused. */
async function checkOutDir(dir: string): Promise<void> {
  try {
    if ((await stat(dir)).isDirectory()) return;
    throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new NetlabError('INPUT', `cannot write in '${dir}': ${writeReason(e)}`, { cause: e });
  }
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new NetlabError('INPUT', `cannot write in '${dir}': ${writeReason(e)}`, { cause: e });
  }
}

/**
 * Write all of `data` with `write` (fs.writeSync on a descriptor: it returns the bytes written):
 * a short write is continued until every byte is written, a write of nothing is an error (EIO),
 * a failing write (ENOSPC, EIO) throws. Exported for the tests.
 */
export function writeAll(write: (buf: Uint8Array, offset: number, length: number) => number, data: string | Uint8Array): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let off = 0;
  while (off < buf.length) {
    const n = write(buf, off, buf.length - off);
    if (!(n > 0)) throw Object.assign(new Error('a write wrote nothing'), { code: 'EIO' });
    off += n;
  }
}

/** fsync(2) in the thread pool: several at once cost about half as much as one after the other. */
function fsyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())));
}

/** Temporary zones written and not yet synced: synced together, by batches of this many. */
const SYNC_BATCH = 64;

/** One turn of the event loop: the synchronous writes below let a signal (Ctrl-C) in between zones and chunks. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** fsync a directory after a rename in it, where the platform allows it (not on Windows). */
async function syncDir(dir: string): Promise<void> {
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // best effort: the files themselves were synced before the rename
  }
}

/** A zone's text, as the writers give it: it starts, some text, it ends. */
type ZoneEvent =
  | { kind: 'start'; origin: string }
  | { kind: 'text'; text: string | Uint8Array }
  | { kind: 'end'; origin: string; records: number };

/** Thrown inside writeZones when the signal aborts; never leaves it. */
const INTERRUPTED = Symbol('interrupted');

/** Run: read, merge, then write or verify. Throws INPUT (exit 3) for unreadable input, no valid entry, or a zone that cannot be written. */
export async function runHosts2zone(options: Hosts2zoneOptions, io: Hosts2zoneIo = {}): Promise<Hosts2zoneResult> {
  const started = performance.now();
  const counts = { errors: 0, warnings: 0, notes: 0 };
  const problems: HostsIssue[] = [];
  const omitted: OmittedProblems = { listed: MAX_PROBLEMS, problems: 0, errors: 0, warnings: 0, notes: 0 };
  const plural: Record<Severity, 'errors' | 'warnings' | 'notes'> = { error: 'errors', warning: 'warnings', note: 'notes' };
  const onIssue = (issue: HostsIssue) => {
    counts[plural[issue.severity]]++;
    // stderr and the JSON list the same first MAX_PROBLEMS: 200 MB of garbage is not 130 MB of messages
    if (problems.length < MAX_PROBLEMS) {
      problems.push(issue);
      io.onIssue?.(issue);
    } else {
      omitted.problems++;
      omitted[plural[issue.severity]]++;
    }
  };
  try {
    return await run(options, io, onIssue, { counts, problems, omitted, started });
  } finally {
    if (omitted.problems > 0) io.onIssuesOmitted?.(omitted);
  }
}

async function run(
  options: Hosts2zoneOptions,
  io: Hosts2zoneIo,
  onIssue: (issue: HostsIssue) => void,
  state: { counts: Hosts2zoneResult['counts']; problems: HostsIssue[]; omitted: OmittedProblems; started: number },
): Promise<Hosts2zoneResult> {
  const { counts, problems, omitted, started } = state;
  const signal = options.signal;
  const inputs = await openInputs(options.files, io.stdin, signal);
  // sizes the model's tables once: a hosts line is rarely under 30 bytes
  const bytes = inputs.reduce((a, i) => a + i.size, 0);
  const model = new HostsModel({
    origin: options.origin, format: options.format, aliases: options.aliases, reverse: options.reverse, allowUnderscore: options.allowUnderscore,
    expectedNames: Math.ceil(bytes / 30),
  }, onIssue);
  if (options.format === 'zone') {
    for (const ns of options.ns) {
      const key = model.place(ns);
      if (key !== null && ns.includes('.')) model.declareNameServer(key);
    }
  }
  const read: InputRead[] = [];
  const result: Hosts2zoneResult = {
    status: 'OK',
    action: options.verify ? 'verify' : options.outDir === undefined && options.json ? 'check' : 'write',
    origin: `${options.origin}.`,
    format: options.format,
    outDir: options.outDir ?? null,
    blocklist: false,
    inputs: read,
    names: 0,
    addresses: 0,
    serial: null,
    zones: [],
    counts,
    problems,
    problemsOmitted: 0,
    verify: null,
    timeMs: 0,
  };
  const finish = (): Hosts2zoneResult => {
    result.problemsOmitted = omitted.problems;
    if (result.interrupted) result.status = 'UNKNOWN';
    else if (result.verify && (result.verify.aborted || result.verify.mismatchCount > 0)) result.status = 'CRITICAL';
    else if (counts.errors + counts.warnings > 0) result.status = 'WARNING';
    result.timeMs = performance.now() - started;
    return result;
  };

  try {
    for (const input of inputs) {
      if (signal?.aborted) break;
      const fi = model.addFile(input.file);
      let stats;
      try {
        stats = await readHosts(input.chunks, input.file, (entry, line) => model.add(entry, fi, line), onIssue, { signal });
      } catch (e) {
        // a failing read (EIO, a bound passed, a FIFO that stalls...) is the input's; anything else is a bug
        if ((e as NodeJS.ErrnoException).syscall !== undefined || typeof (e as { reason?: unknown }).reason === 'string') throw cannotReadInput(input.file, e);
        throw e;
      }
      read.push({ file: input.file, lines: stats.lines, entries: stats.entries });
    }
  } finally {
    await Promise.all(inputs.map((i) => i.close()));
  }
  if (signal?.aborted) {
    // Ctrl-C while reading: nothing is written; the counts say how far it got
    result.interrupted = true;
    result.interruptedWhile = 'reading';
    result.names = model.size;
    result.addresses = model.addressCount;
    return finish();
  }

  model.finish();
  let names = 0;
  for (let id = 0; id < model.size; id++) if (model.kindOf(id) !== 'none') names++;
  const where = options.files.join(', ');
  const first = options.files[0]!;
  if (options.format === 'zone' && model.isBlocklist) {
    onIssue({ file: first, line: 0, severity: 'note', code: 'BLOCKLIST', message: 'every entry points at 0.0.0.0, 127.0.0.1, :: or ::1: this looks like a blocklist; --format rpz writes it as a Response Policy Zone' });
  }
  if (names === 0) throw new NetlabError('INPUT', `no valid entry for ${options.origin} in ${where}${counts.errors + counts.warnings > 0 ? ' (see the messages above)' : ''}`);
  const missing = model.nameServersWithoutAddress();
  if (missing.length > 0) {
    throw new NetlabError('INPUT', `name server ${missing.join(', ')} is inside ${options.origin}, but no hosts line gives it an address: add one, or use an --ns outside the zone`);
  }
  result.blocklist = model.isBlocklist;
  result.names = names;
  result.addresses = model.addressCount;

  if (options.verify) {
    // loaded only here: writing a zone needs no sockets
    const { verifyZone } = await import('../../protocol/zone/verify.js');
    result.verify = await verifyZone(model, {
      server: options.verify, concurrency: options.concurrency, timeoutMs: options.timeoutMs, tries: 2, reverse: options.reverse, signal,
    }, io.onMismatch);
    if (result.verify.interrupted) {
      result.interrupted = true;
      result.interruptedWhile = 'verifying';
    }
  } else {
    await writeZones(options, model, result, onIssue, io);
  }
  return finish();
}

/**
 * Write the forward zone (and the reverse zones) to stdout or --out. In --out every zone goes
 * the same way: the targets checked before anything is written, each zone written in full to a
 * temporary file next to its target (every write checked, short writes continued) and synced;
 * only when all are written are they renamed over their targets (then the directory is synced).
 * On any failure, or the signal, every temporary file is removed and the old zones are left as
 * they were. A replaced file keeps its mode (and, when permitted, its owner and group).
 */
async function writeZones(options: Hosts2zoneOptions, model: HostsModel, result: Hosts2zoneResult, onIssue: (i: HostsIssue) => void, io: Hosts2zoneIo): Promise<void> {
  const now = io.now ?? new Date();
  const dir = options.outDir;
  const signal = options.signal;

  // Every file this run replaces, checked before anything is read from it or written.
  const targets = new Map<string, Target>();
  if (dir !== undefined) {
    await checkOutDir(dir);
    const zones = [options.origin];
    if (options.reverse) {
      const reverse = new Set<string>();
      for (const p of model.ptrs()) reverse.add(p.family === 4 ? reverseZoneOf4(p.v4).zone : reverseZoneOf6(p.nibbles, options.v6PrefixBits).zone);
      zones.push(...reverse);
    }
    for (const z of zones) targets.set(z, checkTarget(z, join(dir, zoneFileName(z))));
  }

  // The serial: greater than the one of every file this run replaces (RFC 1982).
  let previous: number | undefined;
  let previousFile = '';
  for (const t of targets.values()) {
    if (t.old === null) continue;
    try {
      const s = await readSerial(t.real);
      if (s !== undefined && (previous === undefined || serialGreater(s, previous))) {
        previous = s;
        previousFile = t.path;
      }
    } catch (e) {
      onIssue({ file: t.path, line: 0, severity: 'warning', code: 'SERIAL', message: `cannot read the serial of the zone it replaces (${e instanceof Error ? e.message : String(e)}): the new serial may not be greater` });
    }
  }
  let serial: number;
  if (options.serial !== undefined) {
    serial = options.serial;
    if (previous !== undefined && !serialGreater(serial, previous)) {
      onIssue({ file: previousFile, line: 0, severity: 'warning', code: 'SERIAL', message: `--serial ${serial} is not greater than ${previous}, the serial of the zone it replaces (RFC 1982): secondaries will not transfer it` });
    }
  } else {
    serial = nextSerial(now, previous);
  }
  result.serial = serial;

  function headFor(zone: string, s: number): ZoneHead {
    return {
      origin: zone,
      ttl: options.ttl,
      soa: { mname: absoluteText(options.ns[0]!), rname: options.rname, serial: s, ...DEFAULT_TIMERS },
      ns: options.ns.map(absoluteText),
      comments: [`${zone}: written by netlab hosts2zone from ${options.files.join(' ')}`],
    };
  }

  /** The forward zone, then (with --reverse) every reverse zone: one stream of events for one write path. */
  function* zoneEvents(): Generator<ZoneEvent> {
    const stats: WriteStats = { records: 0 };
    const head = headFor(options.origin, serial);
    yield { kind: 'start', origin: options.origin };
    for (const chunk of options.format === 'rpz' ? rpzZoneText(model, head, stats) : forwardZoneText(model, head, stats)) yield { kind: 'text', text: chunk };
    yield { kind: 'end', origin: options.origin, records: stats.records };
    if (options.reverse && dir !== undefined) yield* reverseZoneText(model, options.v6PrefixBits, (zone) => headFor(zone, serial));
  }

  if (dir === undefined) {
    // stdout, through io.writeZone only (the CLI checks its writes); --json alone: counted, not written
    let records = 0;
    for (const ev of zoneEvents()) {
      if (signal && ev.kind === 'text') await turn(); // a chunk is up to 1 MiB: let the signal in between
      if (signal?.aborted) {
        result.interrupted = true;
        result.interruptedWhile = 'writing';
        return;
      }
      if (ev.kind === 'text' && !options.json) {
        const wait = io.writeZone?.(ev.text);
        if (wait) await wait;
      } else if (ev.kind === 'end') records = ev.records;
    }
    result.zones.push({ zone: `${options.origin}.`, file: null, records, serial });
    return;
  }

  // 1. every zone to its temporary file, in full, synced. The file calls are synchronous (thousands
  // of small reverse zones: a round trip to the thread pool per call costs more than the write);
  // the event loop gets a turn between events, so the signal is seen.
  const written: Array<{ target: Target; tmp: string; records: number }> = [];
  const temps: string[] = [];
  let fd = -1;
  let target: Target | undefined;
  // written in full, still open: synced (in parallel) then closed by flush()
  let unsynced: Array<{ fd: number; target: Target }> = [];
  const flush = async () => {
    const batch = unsynced;
    unsynced = [];
    const synced = await Promise.allSettled(batch.map((b) => fsyncAsync(b.fd)));
    let failed: { error: unknown; target: Target } | undefined;
    for (const [i, b] of batch.entries()) {
      const r = synced[i]!;
      if (r.status === 'rejected') failed ??= { error: r.reason, target: b.target };
      try {
        closeSync(b.fd);
      } catch (e) {
        failed ??= { error: e, target: b.target };
      }
    }
    if (failed) {
      target = failed.target;
      throw failed.error;
    }
  };
  try {
    for (const ev of zoneEvents()) {
      await turn();
      if (signal?.aborted) throw INTERRUPTED;
      if (ev.kind === 'start') {
        target = targets.get(ev.origin)!;
        const tmp = `${target.real}.${process.pid}.tmp`;
        temps.push(tmp);
        // O_EXCL: never write through whatever already has that name (a link, a FIFO)
        const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
        try {
          fd = openSync(tmp, flags, 0o644);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
          rmSync(tmp, { force: true }); // left by a crashed run with the same pid
          fd = openSync(tmp, flags, 0o644);
        }
      } else if (ev.kind === 'text') {
        const out = fd;
        writeAll((b, o, l) => writeSync(out, b, o, l), ev.text);
      } else {
        const old = target!.old;
        if (old) {
          // keep the replaced file's owner and group (root can; others may keep the group), then its mode
          if (old.uid !== process.getuid?.() || old.gid !== process.getgid?.()) {
            try {
              fchownSync(fd, old.uid, old.gid);
            } catch {
              try {
                fchownSync(fd, -1, old.gid);
              } catch {
                // not permitted: the new file is ours
              }
            }
          }
          fchmodSync(fd, old.mode & 0o777);
        }
        unsynced.push({ fd, target: target! });
        fd = -1;
        written.push({ target: target!, tmp: temps[temps.length - 1]!, records: ev.records });
        if (unsynced.length >= SYNC_BATCH) await flush();
      }
    }
    await flush();
    await turn();
    if (signal?.aborted) throw INTERRUPTED;
  } catch (e) {
    for (const f of [fd, ...unsynced.map((b) => b.fd)]) {
      if (f < 0) continue;
      try {
        closeSync(f);
      } catch {
        // the write already failed: that is the error to report
      }
    }
    for (const t of temps) rmSync(t, { force: true });
    if (e === INTERRUPTED) {
      result.interrupted = true;
      result.interruptedWhile = 'writing';
      return;
    }
    throw cannotWrite(target?.path ?? dir, e);
  }

  // 2. all written: rename each over its target
  const replaced: string[] = [];
  for (const [i, w] of written.entries()) {
    try {
      renameSync(w.tmp, w.target.real);
    } catch (e) {
      for (const x of written.slice(i)) rmSync(x.tmp, { force: true });
      const done = replaced.length === 0 ? 'nothing was replaced' : `${replaced.join(', ')} ${replaced.length === 1 ? 'was' : 'were'} replaced, the others are untouched`;
      throw new NetlabError('INPUT', `cannot replace '${w.target.path}': ${writeReason(e)}; ${done}`, { cause: e });
    }
    replaced.push(w.target.path);
    result.zones.push({ zone: `${w.target.zone}.`, file: w.target.path, records: w.records, serial });
    const old = w.target.old;
    if (old && (old.mode & 0o222) === 0) {
      onIssue({ file: w.target.path, line: 0, severity: 'note', code: 'READ_ONLY', message: `was read-only (mode ${(old.mode & 0o777).toString(8).padStart(4, '0')}): replaced, and the new zone keeps that mode` });
    }
  }
  for (const d of new Set(written.map((w) => dirname(w.target.real)))) await syncDir(d);
}
