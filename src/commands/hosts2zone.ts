/**
 * `netlab hosts2zone`: hosts(5) files -> HostsModel -> master files (forward, reverse, RPZ) in
 * --out DIR or on stdout, or, with --verify, a comparison with what a server answers.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { cannotRead, NetlabError, type Status } from '../errors.js';
import { readHosts, type HostsIssue } from '../protocol/zone/hosts.js';
import { HostsModel, type AliasMode, type ZoneFormat } from '../protocol/zone/model.js';
import {
  absoluteText, DEFAULT_TIMERS, DEFAULT_TTL, forwardZoneText, hostNameOption, mailboxToRname, nextSerial,
  reverseZoneOf4, reverseZoneOf6, reverseZoneText, rpzZoneText, serialGreater, type WriteStats, type ZoneHead,
} from '../protocol/zone/writer.js';
import { readSerial } from '../protocol/zone/master.js';
import type { Mismatch, VerifyResult } from '../protocol/zone/verify.js';
import type { Server } from '../protocol/dns/transport.js';
import { parseDnsServer } from './args.js';

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
  /** The first MAX_PROBLEMS of them; all went to onIssue. */
  problems: HostsIssue[];
  problemsOmitted: number;
  verify: VerifyResult | null;
  timeMs: number;
}

export interface Hosts2zoneIo {
  /** What `-` reads. */
  stdin?: AsyncIterable<Buffer | string>;
  /** The zone when there is no --out (a promise when the sink wants us to wait). */
  writeZone?: (chunk: string | Uint8Array) => void | Promise<void>;
  /** Each problem as it is found (the CLI prints `FILE:LINE: ...` on stderr). */
  onIssue?: (issue: HostsIssue) => void;
  onMismatch?: (m: Mismatch) => void;
  now?: Date;
}

export const MAX_PROBLEMS = 1000;

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
  const timeout = raw.timeout === undefined ? 2 : Number(raw.timeout);
  if (!/^\d+(\.\d+)?$/.test(raw.timeout ?? '2') || timeout <= 0 || timeout > 60) throw usage(`--timeout needs seconds from 0 to 60, got '${raw.timeout}'`);
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
    allowUnderscore: Boolean(raw.allowUnderscore), concurrency, timeoutMs: Math.round(timeout * 1000), json: Boolean(raw.json),
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
  /** Bytes, 0 for stdin. */
  size: number;
  stream: () => AsyncIterable<Buffer | string>;
  close: () => Promise<void>;
}

/** Open every input before reading any, so an unreadable one fails before anything is written. */
async function openInputs(files: string[], stdin: AsyncIterable<Buffer | string> | undefined): Promise<OpenInput[]> {
  const out: OpenInput[] = [];
  try {
    for (const file of files) {
      if (file === '-') {
        if (!stdin) throw new NetlabError('INPUT', 'cannot read stdin');
        out.push({ file: '-', size: 0, stream: () => stdin, close: async () => undefined });
        continue;
      }
      let fh;
      let size = 0;
      try {
        fh = await open(file, 'r');
        const st = await fh.stat();
        if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
        size = st.isFile() ? st.size : 0;
      } catch (e) {
        await fh?.close();
        throw cannotRead(file, e);
      }
      const handle = fh;
      out.push({
        file,
        size,
        stream: () => handle.createReadStream({ autoClose: false, highWaterMark: 256 * 1024 }),
        close: () => handle.close(),
      });
    }
  } catch (e) {
    await Promise.all(out.map((i) => i.close()));
    throw e;
  }
  return out;
}

/** Write text chunks to `path` through a temporary file and a rename: a reader never sees half a zone. */
function writeFileAtomically(path: string, chunks: Iterable<string | Uint8Array>): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    for (const c of chunks) {
      if (typeof c === 'string') writeSync(fd, c);
      else writeSync(fd, c);
    }
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

function zoneFileName(zone: string): string {
  return `db.${zone}`;
}

/** Run: read, merge, then write or verify. Throws INPUT (exit 3) for unreadable input or no valid entry. */
export async function runHosts2zone(options: Hosts2zoneOptions, io: Hosts2zoneIo = {}): Promise<Hosts2zoneResult> {
  const started = performance.now();
  const counts = { errors: 0, warnings: 0, notes: 0 };
  const problems: HostsIssue[] = [];
  let omitted = 0;
  const onIssue = (issue: HostsIssue) => {
    if (issue.severity === 'error') counts.errors++;
    else if (issue.severity === 'warning') counts.warnings++;
    else counts.notes++;
    if (problems.length < MAX_PROBLEMS) problems.push(issue);
    else omitted++;
    io.onIssue?.(issue);
  };

  const inputs = await openInputs(options.files, io.stdin);
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
  try {
    for (const input of inputs) {
      const fi = model.addFile(input.file);
      let stats;
      try {
        stats = await readHosts(input.stream(), input.file, (entry, line) => model.add(entry, fi, line), onIssue);
      } catch (e) {
        // a failing read (EIO, EISDIR on some systems...) is the input's; anything else is a bug
        if ((e as NodeJS.ErrnoException).syscall !== undefined) throw cannotRead(input.file, e);
        throw e;
      }
      read.push({ file: input.file, lines: stats.lines, entries: stats.entries });
    }
  } finally {
    await Promise.all(inputs.map((i) => i.close()));
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

  const result: Hosts2zoneResult = {
    status: 'OK',
    action: options.verify ? 'verify' : options.outDir === undefined && options.json ? 'check' : 'write',
    origin: `${options.origin}.`,
    format: options.format,
    blocklist: model.isBlocklist,
    inputs: read,
    names,
    addresses: model.addressCount,
    serial: null,
    zones: [],
    counts,
    problems,
    problemsOmitted: 0,
    verify: null,
    timeMs: 0,
  };

  if (options.verify) {
    // loaded only here: writing a zone needs no sockets
    const { verifyZone } = await import('../protocol/zone/verify.js');
    result.verify = await verifyZone(model, {
      server: options.verify, concurrency: options.concurrency, timeoutMs: options.timeoutMs, tries: 2, reverse: options.reverse,
    }, io.onMismatch);
  } else {
    await writeZones(options, model, result, onIssue, io);
  }
  result.problemsOmitted = omitted;
  const v = result.verify;
  if (v && (v.aborted || v.mismatchCount > 0)) result.status = 'CRITICAL';
  else if (counts.errors + counts.warnings > 0) result.status = 'WARNING';
  result.timeMs = performance.now() - started;
  return result;
}

async function writeZones(options: Hosts2zoneOptions, model: HostsModel, result: Hosts2zoneResult, onIssue: (i: HostsIssue) => void, io: Hosts2zoneIo): Promise<void> {
  const now = io.now ?? new Date();
  const dir = options.outDir;
  const forwardFile = dir === undefined ? null : join(dir, zoneFileName(options.origin));

  // The serial: greater than the one of every file this run replaces (RFC 1982).
  const replaced: string[] = [];
  if (dir !== undefined) {
    replaced.push(forwardFile!);
    if (options.reverse) {
      const zones = new Set<string>();
      for (const p of model.ptrs()) zones.add(p.family === 4 ? reverseZoneOf4(p.v4).zone : reverseZoneOf6(p.nibbles, options.v6PrefixBits).zone);
      for (const z of zones) replaced.push(join(dir, zoneFileName(z)));
    }
  }
  let previous: number | undefined;
  let previousFile = '';
  for (const file of replaced) {
    try {
      const s = await readSerial(file);
      if (s !== undefined && (previous === undefined || serialGreater(s, previous))) {
        previous = s;
        previousFile = file;
      }
    } catch (e) {
      onIssue({ file, line: 0, severity: 'warning', code: 'SERIAL', message: `cannot read the serial of the zone it replaces (${e instanceof Error ? e.message : String(e)}): the new serial may not be greater` });
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

  const stats: WriteStats = { records: 0 };
  const text = options.format === 'rpz'
    ? rpzZoneText(model, headFor(options.origin, serial), stats)
    : forwardZoneText(model, headFor(options.origin, serial), stats);
  if (dir !== undefined) {
    try {
      mkdirSync(dir, { recursive: true });
      if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      writeFileAtomically(forwardFile!, text);
    } catch (e) {
      throw new NetlabError('INPUT', `cannot write in '${dir}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
    }
  } else if (options.json) {
    // --json alone: the files are checked and the records counted, nothing is written
    for (const chunk of text) void chunk;
  } else {
    for (const chunk of text) {
      const wait = io.writeZone?.(chunk);
      if (wait) await wait;
    }
  }
  result.zones.push({ zone: `${options.origin}.`, file: forwardFile, records: stats.records, serial });

  if (!options.reverse || dir === undefined) return;
  let fd = -1;
  let tmp = '';
  let path = '';
  try {
    for (const ev of reverseZoneText(model, options.v6PrefixBits, (zone) => headFor(zone, serial))) {
      if (ev.kind === 'start') {
        path = join(dir, zoneFileName(ev.origin));
        tmp = `${path}.${process.pid}.tmp`;
        fd = openSync(tmp, 'w', 0o644);
      } else if (ev.kind === 'text') {
        writeSync(fd, ev.text);
      } else {
        closeSync(fd);
        fd = -1;
        renameSync(tmp, path);
        result.zones.push({ zone: `${ev.origin}.`, file: path, records: ev.records, serial });
      }
    }
  } catch (e) {
    if (fd >= 0) {
      closeSync(fd);
      rmSync(tmp, { force: true });
    }
    throw new NetlabError('INPUT', `cannot write '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
}
