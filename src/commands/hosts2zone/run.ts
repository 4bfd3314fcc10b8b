/**
 * `netlab hosts2zone`: the files named on the command line opened (bounded, non-blocking) and
 * read by the library (readHostsZone), then the zones streamed to stdout or written to --out
 * all or nothing (util/atomic-write.ts), or, with --verify, a server compared (verifyZone).
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileErrorReason, NetlabError, type Progress, type Status } from '../../errors.js';
import { hostsNote, hostsProblem, type HostsIssue, type HostsNote, type HostsProblem } from '../../protocol/zone/hosts.js';
import {
  IssueList, MAX_LISTED, readHostsZone, statusOfZone, type HostsInput, type HostsZone, type InputRead, type IssueCounts, type OmittedIssues,
} from '../../protocol/zone/hosts-to-zone.js';
import type { ZoneFormat } from '../../protocol/zone/model.js';
import { readSerial } from '../../protocol/zone/master.js';
import { nextSerial, serialGreater } from '../../protocol/zone/writer.js';
import type { Mismatch, VerifyResult } from '../../protocol/zone/verify.js';
import { cannotWrite, checkWriteTarget, PendingWrite, syncDir, writeReason, type WriteTarget } from '../../util/atomic-write.js';
import { boundChunks, FILE_LIMITS, openStreamBounded } from '../../util/read-bounded.js';
import { roundMs } from '../../util/round.js';
import type { Hosts2zoneOptions } from './options.js';

/** One zone written (or, with --json alone, counted). */
export interface ZoneWritten {
  /** Fully qualified, with the trailing dot. */
  zone: string;
  /** The file, or null for stdout. */
  file: string | null;
  records: number;
  serial: number;
}

/** What `netlab hosts2zone` prints with --json. */
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
  counts: IssueCounts;
  /** The first MAX_PROBLEMS problems and notes are listed (the same ones went to stderr): the problems here, the notes in `notes`. */
  problems: HostsProblem[];
  notes: HostsNote[];
  /** Problems and notes found past the first MAX_PROBLEMS (counted in `counts`, not listed). */
  problemsOmitted: number;
  /** --verify: the server's comparison; else null. */
  verify: VerifyResult | null;
  /** The signal stopped the run: what is here covers the work done before it; nothing was written in --out. */
  interrupted?: boolean;
  /** What it was doing when it was stopped. */
  interruptedWhile?: 'reading' | 'writing' | 'verifying';
  /** Milliseconds, to the microsecond. */
  timeMs: number;
}

/** Where a run's output goes, and what it is told as it goes. */
export interface Hosts2zoneIo {
  /** What `-` reads. */
  stdin?: AsyncIterable<Buffer | string>;
  /** The zone when there is no --out (a promise when the sink wants us to wait). */
  writeZone?: (chunk: string | Uint8Array) => void | Promise<void>;
  /** Each of the first MAX_PROBLEMS problems and notes as it is found (the CLI prints `FILE:LINE: ...` on stderr). */
  onIssue?: (issue: HostsIssue) => void;
  /** Once at the end (also when the run throws), when problems were found past the first MAX_PROBLEMS. */
  onIssuesOmitted?: (omitted: OmittedIssues) => void;
  onMismatch?: (m: Mismatch) => void;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  now?: Date;
  /** The bounds inputs are read with (tests): default MAX_INPUT_BYTES and 10 s without a byte. */
  inputBounds?: { maxBytes?: number; idleMs?: number };
}

/** Problems listed (on stderr and in the JSON `problems` and `notes`); the rest are counted (netlab-hosts2zone(1)). The library's bound. */
export const MAX_PROBLEMS = MAX_LISTED;

/** Bytes read from one input at most (netlab-hosts2zone(1)): about 30 million hosts lines; /dev/zero stops here. */
export const MAX_INPUT_BYTES = FILE_LIMITS.hosts;

interface OpenInput extends HostsInput {
  close: () => Promise<void>;
}

/**
 * Open every input before reading any, so an unreadable one fails before anything is written.
 * Each is read with a bound (MAX_INPUT_BYTES) and non-blocking (src/util/read-bounded.ts): a FIFO
 * without a writer does not block the open, /dev/zero stops at the bound.
 */
async function openInputs(files: string[], stdin: AsyncIterable<Buffer | string> | undefined, signal: AbortSignal | undefined, bounds: Hosts2zoneIo['inputBounds'] = {}): Promise<OpenInput[]> {
  const out: OpenInput[] = [];
  const maxBytes = bounds.maxBytes ?? MAX_INPUT_BYTES;
  try {
    for (const file of files) {
      if (file === '-') {
        if (!stdin) throw new NetlabError('INPUT', 'cannot read stdin');
        out.push({ name: '-', size: 0, chunks: boundChunks(stdin, maxBytes, signal), close: async () => undefined });
        continue;
      }
      try {
        const s = await openStreamBounded(file, { maxBytes, signal, ...(bounds.idleMs !== undefined ? { idleMs: bounds.idleMs } : {}) });
        out.push({ name: file, size: s.size, chunks: s.chunks, close: s.close });
      } catch (e) {
        throw new NetlabError('INPUT', `cannot read '${file}': ${fileErrorReason(e)}`, { cause: e });
      }
    }
  } catch (e) {
    await Promise.all(out.map((i) => i.close()));
    throw e;
  }
  return out;
}

/**
 * Run: read, then write or verify. Throws NetlabError INPUT (exit 3) for an unreadable input, no
 * valid entry, an in-zone name server without an address, or a zone that cannot be written.
 */
export async function runHosts2zone(options: Hosts2zoneOptions, io: Hosts2zoneIo = {}): Promise<Hosts2zoneResult> {
  const started = performance.now();
  const signal = io.signal;
  const issues = new IssueList(MAX_PROBLEMS, io.onIssue);
  try {
    const inputs = await openInputs(options.files, io.stdin, signal, io.inputBounds);
    let zone: HostsZone;
    try {
      zone = await readHostsZone(inputs, {
        origin: options.origin, ns: options.ns, ...(options.contact !== undefined ? { contact: options.contact } : {}), ttl: options.ttl,
        reverse: options.reverse, v6PrefixBits: options.v6PrefixBits, aliases: options.aliases, format: options.format,
        allowUnderscore: options.allowUnderscore, ...(signal ? { signal } : {}), ...(io.onProgress ? { onProgress: io.onProgress } : {}),
      }, issues);
    } finally {
      await Promise.all(inputs.map((i) => i.close()));
    }
    const result: Hosts2zoneResult = {
      status: 'OK',
      action: options.verify ? 'verify' : options.outDir === undefined && options.json ? 'check' : 'write',
      origin: `${zone.origin}.`,
      format: zone.format,
      outDir: options.outDir ?? null,
      blocklist: false,
      inputs: zone.inputs,
      names: zone.names,
      addresses: zone.addresses,
      serial: null,
      zones: [],
      counts: issues.counts,
      problems: issues.problems,
      notes: issues.notes,
      problemsOmitted: 0,
      verify: null,
      timeMs: 0,
    };
    const finish = (): Hosts2zoneResult => {
      result.problemsOmitted = issues.omitted.problems;
      result.status = statusOfZone(zone, result.verify?.problems, { interrupted: result.interrupted });
      result.timeMs = roundMs(performance.now() - started);
      return result;
    };
    if (zone.interrupted) {
      // Ctrl-C while reading: nothing is written; the counts say how far it got
      result.interrupted = true;
      result.interruptedWhile = 'reading';
      return finish();
    }
    const counts = issues.counts;
    if (zone.names === 0) throw new NetlabError('INPUT', `no valid entry for ${zone.origin} in ${options.files.join(', ')}${counts.errors + counts.warnings > 0 ? ' (see the messages above)' : ''}`);
    const missing = zone.nameServersWithoutAddress();
    if (missing.length > 0) {
      throw new NetlabError('INPUT', `name server ${missing.join(', ')} is inside ${zone.origin}, but no hosts line gives it an address: add one, or use an --ns outside the zone`);
    }
    result.blocklist = zone.blocklist;

    if (options.verify) {
      // loaded only here: writing a zone needs no sockets
      const { verifyZone } = await import('../../protocol/zone/verify.js');
      result.verify = await verifyZone(zone, {
        server: options.verify, concurrency: options.concurrency, timeoutMs: options.timeoutMs, tries: 2, reverse: options.reverse,
        ...(signal ? { signal } : {}), ...(io.onProgress ? { onProgress: io.onProgress } : {}), ...(io.onMismatch ? { onMismatch: io.onMismatch } : {}),
      });
      if (result.verify.interrupted) {
        result.interrupted = true;
        result.interruptedWhile = 'verifying';
      }
    } else {
      await writeZones(options, zone, result, io);
    }
    return finish();
  } finally {
    if (issues.omitted.problems > 0) io.onIssuesOmitted?.(issues.omitted);
  }
}

/** Thrown inside writeZones when the signal aborts; never leaves it. */
const INTERRUPTED = Symbol('interrupted');

/** Temporary zones written and not yet synced: synced together, by batches of this many (fsync in parallel costs about half). */
const SYNC_BATCH = 64;

/** One turn of the event loop: the synchronous writes below let a signal (Ctrl-C) in between zones and chunks. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
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
 * The serial: --serial, or the serial rule (nextSerial) over every file this run replaces (a
 * SERIAL warning when one cannot be read, or when --serial is not greater).
 */
async function serialFor(options: Hosts2zoneOptions, targets: Iterable<WriteTarget>, warn: (issue: HostsIssue) => void, now: Date): Promise<number> {
  let previous: number | undefined;
  let previousFile = '';
  for (const t of targets) {
    if (t.old === null) continue;
    try {
      const s = await readSerial(t.real);
      if (s !== undefined && (previous === undefined || serialGreater(s, previous))) {
        previous = s;
        previousFile = t.path;
      }
    } catch (e) {
      warn(hostsProblem(t.path, 0, 'SERIAL', `cannot read the serial of the zone it replaces (${e instanceof Error ? e.message : String(e)}): the new serial may not be greater`));
    }
  }
  if (options.serial === undefined) return nextSerial(now, previous);
  if (previous !== undefined && !serialGreater(options.serial, previous)) {
    warn(hostsProblem(previousFile, 0, 'SERIAL', `--serial ${options.serial} is not greater than ${previous}, the serial of the zone it replaces (RFC 1982): secondaries will not transfer it`));
  }
  return options.serial;
}

/**
 * Write the forward zone (and the reverse zones) to stdout or --out. In --out every zone goes
 * the same way: the targets checked before anything is written, each zone written in full to a
 * temporary file next to its target and synced (util/atomic-write.ts PendingWrite); only when
 * all are written are they renamed over their targets (then the directories are synced). On
 * any failure, or the signal, every temporary file is removed and the old zones are left as
 * they were.
 */
async function writeZones(options: Hosts2zoneOptions, zone: HostsZone, result: Hosts2zoneResult, io: Hosts2zoneIo): Promise<void> {
  const dir = options.outDir;
  const signal = io.signal;
  const warn = zone.issues.add;

  // Every file this run replaces, checked before anything is read from it or written.
  const targets = new Map<string, WriteTarget>();
  if (dir !== undefined) {
    await checkOutDir(dir);
    for (const z of zone.zoneNames()) targets.set(z, checkWriteTarget(join(dir, `db.${z}`), 'a zone'));
  }
  const serial = await serialFor(options, targets.values(), warn, io.now ?? new Date());
  result.serial = serial;

  if (dir === undefined) {
    // stdout, through io.writeZone only (the CLI checks its writes); --json alone: counted, not written
    let records = 0;
    for (const ev of zone.events(serial)) {
      if (ev.kind === 'start' && ev.zone !== zone.origin) break; // the reverse zones go to --out only
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
    result.zones.push({ zone: `${zone.origin}.`, file: null, records, serial });
    return;
  }

  // 1. every zone to its temporary file, in full, synced. The file calls are synchronous (thousands
  // of small reverse zones: a round trip to the thread pool per call costs more than the write);
  // the event loop gets a turn between events, so the signal is seen.
  const written: Array<{ zone: string; pending: PendingWrite; records: number }> = [];
  const all: PendingWrite[] = [];
  let current: PendingWrite | undefined;
  /** the target of the error being thrown */
  let failed: WriteTarget | undefined;
  // written in full, not yet synced: synced (in parallel) and closed by flush()
  let unsynced: PendingWrite[] = [];
  const flush = async () => {
    const batch = unsynced;
    unsynced = [];
    const synced = await Promise.allSettled(batch.map((p) => p.sync()));
    const bad = synced.findIndex((r) => r.status === 'rejected');
    if (bad >= 0) {
      failed = batch[bad]!.target;
      throw (synced[bad] as PromiseRejectedResult).reason;
    }
  };
  try {
    for (const ev of zone.events(serial)) {
      await turn();
      if (signal?.aborted) throw INTERRUPTED;
      if (ev.kind === 'start') {
        failed = targets.get(ev.zone)!;
        current = new PendingWrite(failed);
        all.push(current);
      } else if (ev.kind === 'text') {
        current!.write(ev.text);
      } else {
        unsynced.push(current!);
        written.push({ zone: ev.zone, pending: current!, records: ev.records });
        if (unsynced.length >= SYNC_BATCH) await flush();
      }
    }
    await flush();
    await turn();
    if (signal?.aborted) throw INTERRUPTED;
  } catch (e) {
    for (const p of all) p.discard();
    if (e === INTERRUPTED) {
      result.interrupted = true;
      result.interruptedWhile = 'writing';
      return;
    }
    throw cannotWrite(failed?.path ?? dir, e);
  }

  // 2. all written: rename each over its target
  const replaced: string[] = [];
  for (const [i, w] of written.entries()) {
    const target = w.pending.target;
    try {
      w.pending.commit();
    } catch (e) {
      for (const x of written.slice(i)) x.pending.discard();
      const done = replaced.length === 0 ? 'nothing was replaced' : `${replaced.join(', ')} ${replaced.length === 1 ? 'was' : 'were'} replaced, the others are untouched`;
      throw new NetlabError('INPUT', `cannot replace '${target.path}': ${writeReason(e)}; ${done}`, { cause: e });
    }
    replaced.push(target.path);
    result.zones.push({ zone: `${w.zone}.`, file: target.path, records: w.records, serial });
    const old = target.old;
    if (old && (old.mode & 0o222) === 0) {
      warn(hostsNote(target.path, 0, 'READ_ONLY', `was read-only (mode ${(old.mode & 0o777).toString(8).padStart(4, '0')}): replaced, and the new zone keeps that mode`));
    }
  }
  for (const d of new Set(written.map((w) => dirname(w.pending.target.real)))) await syncDir(d);
}
