/**
 * The hosts-to-zone rules: what the hosts lines say, merged into the owner names of one zone.
 * Names placed under the origin, addresses per name, aliases, duplicates merged, conflicts
 * reported with both `FILE:LINE` places, and the PTR of every address. The names themselves
 * are ids of a {@link NameTable} (name-table.ts), their addresses records of an
 * {@link AddressTable} (address-table.ts); everything about a name or an address is a slot in
 * a typed array, so that a million lines make no object per name.
 *
 * The rules (shared/CONTRACT.md, hosts2zone):
 * - the first name of a line is its canonical name, the others its aliases; a name with a
 *   `_` cannot own addresses (BIND's check-names), so the first name without one is canonical;
 * - an alias becomes a CNAME to its canonical name, unless it may not be one: it has addresses
 *   of its own, it is an alias of two names, it is the apex, or it is an in-zone name server
 *   (RFC 2181 10.3);
 * - with aliases 'a' every alias gets address records;
 * - an alias written as address records gets exactly the addresses of the lines it stands on
 *   (and its own), as getaddrinfo over the same hosts file answers for it; a CNAME follows its
 *   canonical name to all of that name's addresses;
 * - in an RPZ (blocklist) a name pointing at 0.0.0.0, 127.0.0.1, :: or ::1 is blocked.
 */
import type { HostsEntry, HostsCode, HostsIssue, HostsRemedy } from './hosts.js';
import { ipv4FromInt, ipv6Nibbles } from '../../util/ip.js';
import { hostsNote, hostsProblem, isLocalNameBytes } from './hosts.js';
import { AddressTable } from './address-table.js';
import { grow, NameTable, sameBytes } from './name-table.js';

/** Aliases as CNAME records to their canonical name, or as address records. */
export type AliasMode = 'cname' | 'a';
/** A forward zone, or a Response Policy Zone (a blocklist). */
export type ZoneFormat = 'zone' | 'rpz';

/** How the model places and writes names. */
export interface ModelOptions {
  /** Lower-case ASCII, no trailing dot. */
  origin: string;
  format: ZoneFormat;
  aliases: AliasMode;
  /** Work out the PTR of every address (finish() does it). */
  reverse: boolean;
  /** Write names with `_` as owners of addresses too (BIND then needs check-names ignore). */
  allowUnderscore: boolean;
  /** About how many names to expect (sizes the tables once instead of growing them). */
  expectedNames?: number;
}

const OWN = 1; // has addresses of its own: the canonical name of some line
const ALIAS = 2; // the alias of some canonical name
const MULTI = 4; // the alias of more than one canonical name
const BLOCK = 8; // RPZ: blocked
const SKIP = 16; // written nowhere (said why)
const NS = 32; // an in-zone name server: never a CNAME
const WARNED = 64; // its address/alias conflict was reported
const APEX = 128;

/** How an owner is written: a CNAME, address records, an RPZ block (`CNAME .`), or not at all. */
export type OwnerKind = 'cname' | 'address' | 'block' | 'none';

/** One owner name as the verifier sees it; the object is reused from one owner to the next. */
export interface OwnerView {
  id: number;
  /** Relative to the origin (`@` for the apex); in an RPZ the blocked name itself. */
  owner: string;
  kind: OwnerKind;
  /** cname: the target, relative. */
  target: string;
  /** address: IPv4 addresses as unsigned 32-bit numbers. */
  v4: number[];
  /** address: IPv6 addresses in RFC 5952 form. */
  v6: string[];
}

/** One PTR binding of the reverse zones; the object is reused from one address to the next. */
export interface PtrView {
  /** IPv4 as a number (family 4); IPv6 as 32 hex nibbles (family 6). */
  family: 4 | 6;
  v4: number;
  nibbles: string;
  /** The canonical name, fully qualified with the trailing dot. */
  target: string;
}

/** Counts of the lines added, for the blocklist guess. */
export interface ModelStats {
  /** Lines with an address and at least one name that is not the machine's own. */
  entries: number;
  /** Of those, lines whose address is 0.0.0.0, 127.0.0.1, :: or ::1. */
  sinkEntries: number;
}

function hasDot(b: Uint8Array, s: number, n: number): boolean {
  for (let k = s; k < s + n; k++) if (b[k] === 46) return true;
  return false;
}

const AT = Buffer.from('@');

/** The model of one zone built from hosts lines: add every line, finish(), then read the owners and PTRs. */
export class HostsModel {
  readonly options: ModelOptions;
  /** The input files, by the index addFile gave them. */
  readonly files: string[] = [];
  readonly stats: ModelStats = { entries: 0, sinkEntries: 0 };
  private readonly report: (issue: HostsIssue) => void;
  private readonly originBytes: Buffer;
  private readonly dotOrigin: string;
  private readonly names: NameTable;
  // per name, indexed by id
  private flags: Uint8Array;
  /** canonical id + 1 (0: none) */
  private target: Int32Array;
  /** where the alias (or, in an RPZ, the block) was first seen */
  private aliasFile: Uint16Array;
  private aliasLine: Uint32Array;
  /** an alias: the address record of the first line it stands on + 1 (0: none) */
  private aliasRecord: Int32Array;
  private readonly extraTargets = new Map<number, number[]>();
  /** an alias on more than one line (with other addresses): the records of the others */
  private readonly extraAliasRecords = new Map<number, number[]>();
  /** each owner's own addresses (an alias's are those of its canonical name's records) */
  private readonly records: AddressTable;
  /** finish(): the record that gives each address its PTR, by address */
  private ptr4: Uint32Array = new Uint32Array(0);
  private ptr6: Array<{ nibbles: string; record: number }> = [];
  // per line scratch
  private readonly keyBuf: Uint8Array[] = [];
  private keyS = new Int32Array(256);
  private keyL = new Int32Array(256);
  /** the keys of a line with many names, to find duplicates without comparing every pair */
  private readonly lineKeys = new Set<string>();

  /** `report` gets every problem and note as it is found. */
  constructor(options: ModelOptions, report: (issue: HostsIssue) => void) {
    this.options = options;
    this.report = report;
    this.originBytes = Buffer.from(options.origin, 'latin1');
    this.dotOrigin = `.${options.origin}`;
    this.names = new NameTable(options.expectedNames);
    const n = this.names.capacity;
    this.flags = new Uint8Array(n);
    this.target = new Int32Array(n);
    this.aliasFile = new Uint16Array(n);
    this.aliasLine = new Uint32Array(n);
    this.aliasRecord = new Int32Array(n);
    this.records = new AddressTable(n);
  }

  /** Register an input file; its index goes with every line added from it. */
  addFile(name: string): number {
    if (this.files.length >= 65535) throw new RangeError('too many input files');
    this.files.push(name);
    return this.files.length - 1;
  }

  /** Owner names, the unwritten ones included; ids are 0 .. size-1, in the order names first appear. */
  get size(): number {
    return this.names.size;
  }

  /** Address records held (each owner's own, duplicates merged). */
  get addressCount(): number {
    return this.records.size;
  }

  /** The zone is a blocklist: every entry points at 0.0.0.0, 127.0.0.1, :: or ::1. */
  get isBlocklist(): boolean {
    return this.stats.sinkEntries > 0 && this.stats.sinkEntries === this.stats.entries;
  }

  /** A name fully qualified, without the trailing dot. */
  fqdn(key: string): string {
    if (this.options.format === 'rpz') return key;
    return key === '@' ? this.options.origin : `${key}.${this.options.origin}`;
  }

  private where(file: number, line: number): string {
    return `${this.files[file]}:${line}`;
  }

  /** A WARNING about a line: a line or name rejected, a conflict. */
  private warn(file: number, line: number, code: HostsCode, message: string, remedy?: HostsRemedy): void {
    const p = hostsProblem(this.files[file]!, line, code, message);
    if (remedy) p.remedy = remedy;
    this.report(p);
  }

  private note(file: number, line: number, code: HostsCode, message: string): void {
    this.report(hostsNote(this.files[file]!, line, code, message));
  }

  // --- names -------------------------------------------------------------------

  /** The id of a name (key bytes), added when new, with room for it in the per-name arrays. */
  private idFor(b: Uint8Array, s: number, n: number): number {
    const before = this.names.size;
    const id = this.names.idFor(b, s, n);
    if (id !== before) return id;
    if (id >= this.flags.length) {
      const need = id + 1;
      this.flags = grow(this.flags, need);
      this.target = grow(this.target, need);
      this.records.growOwners(need);
      this.aliasFile = grow(this.aliasFile, need);
      this.aliasLine = grow(this.aliasLine, need);
      this.aliasRecord = grow(this.aliasRecord, need);
    }
    if (n === 1 && b[s] === 64 && this.options.format === 'zone') this.flags[id] = APEX;
    return id;
  }

  /** The relative key of an owner (`@` for the apex; in an RPZ the full name). */
  keyOf(id: number): string {
    return this.names.nameOf(id);
  }

  /** The bytes of the arena that hold names (read-only use: the writer copies from it). */
  get nameBytes(): Buffer {
    return this.names.bytes;
  }

  /** Where an owner's key starts in {@link nameBytes}. */
  keyStart(id: number): number {
    return this.names.start(id);
  }

  /** The length in bytes of an owner's key. */
  keyLength(id: number): number {
    return this.names.length(id);
  }

  /**
   * Where a name goes in the zone: its key relative to the origin (`@` for the apex), null
   * when it is outside the origin. A name without a dot is a short name, placed under the origin.
   */
  place(name: string): string | null {
    const o = this.options.origin;
    if (name === o) return '@';
    if (name.endsWith(this.dotOrigin)) return name.slice(0, name.length - this.dotOrigin.length);
    if (!name.includes('.')) return name;
    return null;
  }

  /** Declare an in-zone name server (relative key): it must get addresses, never a CNAME. */
  declareNameServer(key: string): void {
    const b = Buffer.from(key, 'latin1');
    const id = this.idFor(b, 0, b.length);
    this.flags[id] = this.flags[id]! | NS;
  }

  /** In-zone name servers that no hosts line gives an address (fully qualified). */
  nameServersWithoutAddress(): string[] {
    const out: string[] = [];
    for (let id = 0; id < this.names.size; id++) {
      const f = this.flags[id]!;
      if (f & NS && !(f & (OWN | ALIAS))) out.push(this.fqdn(this.keyOf(id)));
    }
    return out;
  }

  // --- adding lines ------------------------------------------------------------

  private addRecord(id: number, e: HostsEntry, file: number, line: number): number {
    return this.records.add(id, e.family, e.v4, e.v6, file, line);
  }

  /** Where record r comes from: `FILE:LINE`. */
  private recordWhere(r: number): string {
    return this.where(this.records.file(r), this.records.line(r));
  }

  private static entryText(e: HostsEntry): string {
    return e.family === 4 ? ipv4FromInt(e.v4) : e.v6;
  }

  private keyHasUnderscore(k: number): boolean {
    const b = this.keyBuf[k]!;
    const s = this.keyS[k]!;
    const n = this.keyL[k]!;
    for (let i = 0; i < n; i++) if (b[s + i] === 95) return true;
    return false;
  }

  private keyString(k: number): string {
    return Buffer.from(this.keyBuf[k]!.buffer, this.keyBuf[k]!.byteOffset + this.keyS[k]!, this.keyL[k]!).toString('latin1');
  }

  /** Add one valid hosts line (the entry is read, not kept). Reports what it skips or finds in conflict. */
  add(e: HostsEntry, file: number, line: number): void {
    const rpz = this.options.format === 'rpz';
    const o = this.originBytes;
    const ol = o.length;
    let keys = 0;
    let nonLocal = 0;
    for (let i = 0; i < e.count; i++) {
      const b = e.bufs[i]!;
      const s = e.starts[i]!;
      const n = e.lengths[i]!;
      if (isLocalNameBytes(b, s, n)) {
        this.note(file, line, 'LOCAL_NAME', `'${b.toString('latin1', s, s + n)}' names this machine itself: not put in the zone`);
        continue;
      }
      nonLocal++;
      let kb: Uint8Array = b;
      let ks = s;
      let kl = n;
      if (!rpz) {
        if (n === ol && sameBytes(b, s, o, 0, ol)) {
          kb = AT;
          ks = 0;
          kl = 1;
        } else if (n > ol + 1 && b[s + n - ol - 1] === 46 && sameBytes(b, s + n - ol, o, 0, ol)) {
          kl = n - ol - 1;
        } else if (!hasDot(b, s, n)) {
          if (n + 1 + ol > 253) {
            this.warn(file, line, 'BAD_NAME', `name '${b.toString('latin1', s, s + n)}' under ${this.options.origin} is ${n + 1 + ol} characters long (at most 253)`);
            continue;
          }
        } else {
          this.warn(file, line, 'OUTSIDE_ORIGIN', `'${b.toString('latin1', s, s + n)}' is outside ${this.options.origin}: skipped`);
          continue;
        }
      }
      let dup = false;
      if (keys < 16) {
        for (let j = 0; j < keys && !dup; j++) dup = this.keyL[j] === kl && sameBytes(this.keyBuf[j]!, this.keyS[j]!, kb, ks, kl);
      } else {
        // a long line (up to half a million names): a set, not every pair
        if (keys === 16) {
          this.lineKeys.clear();
          for (let j = 0; j < keys; j++) this.lineKeys.add(this.keyString(j));
        }
        const text = Buffer.from(kb.buffer, kb.byteOffset + ks, kl).toString('latin1');
        dup = this.lineKeys.has(text);
        if (!dup) this.lineKeys.add(text);
      }
      if (dup) continue;
      if (keys === this.keyS.length) {
        this.keyS = grow(this.keyS, keys * 2);
        this.keyL = grow(this.keyL, keys * 2);
      }
      this.keyBuf[keys] = kb;
      this.keyS[keys] = ks;
      this.keyL[keys] = kl;
      keys++;
    }
    if (this.lineKeys.size > 0) this.lineKeys.clear();
    if (nonLocal === 0) return; // only the machine's own names: not an entry of the zone (nor of a blocklist)
    this.stats.entries++;
    const sink = e.family === 4 ? e.v4 === 0 || e.v4 === 0x7f000001 : e.v6 === '::' || e.v6 === '::1';
    if (sink) this.stats.sinkEntries++;
    if (keys === 0) return;
    if (rpz) {
      this.addPolicy(keys, e, sink, file, line);
      return;
    }
    const allow = this.options.allowUnderscore;
    let ci = 0;
    while (ci < keys && !allow && this.keyHasUnderscore(ci)) ci++;
    if (ci === keys) {
      for (let k = 0; k < keys; k++) {
        this.warn(file, line, 'UNDERSCORE', `'${this.fqdn(this.keyString(k))}' has '_', which host names cannot have (RFC 1123 2.1): skipped, BIND's check-names refuses it as the owner of an address`, 'allowUnderscore');
      }
      return;
    }
    if (allow && this.keyHasUnderscore(ci)) {
      this.warn(file, line, 'UNDERSCORE', `'${this.fqdn(this.keyString(ci))}' has '_', which host names cannot have (RFC 1123 2.1): written (underscores allowed), so BIND needs 'check-names ignore' for the zone`);
    }
    const cid = this.idFor(this.keyBuf[ci]!, this.keyS[ci]!, this.keyL[ci]!);
    const record = this.addOwn(cid, e, file, line);
    for (let k = 0; k < keys; k++) {
      if (k === ci) continue;
      const underscore = this.keyHasUnderscore(k);
      if (underscore && !allow && this.options.aliases === 'a') {
        this.warn(file, line, 'UNDERSCORE', `'${this.fqdn(this.keyString(k))}' has '_', which host names cannot have (RFC 1123 2.1): skipped, BIND's check-names refuses it as the owner of an address`, 'aliasesCname');
        continue;
      }
      if (underscore) {
        this.warn(file, line, 'UNDERSCORE', `'${this.fqdn(this.keyString(k))}' has '_', which host names cannot have (RFC 1123 2.1): written as an alias of '${this.fqdn(this.keyOf(cid))}'`);
      }
      this.addAlias(this.idFor(this.keyBuf[k]!, this.keyS[k]!, this.keyL[k]!), cid, record, file, line, underscore && !allow);
    }
  }

  /** The line's address as a record of its canonical name; returns that record (a duplicate's is the one already held). */
  private addOwn(id: number, e: HostsEntry, file: number, line: number): number {
    const f = this.flags[id]!;
    if (f & ALIAS && !(f & OWN) && !(f & WARNED)) {
      const t = this.target[id]! - 1;
      this.warn(file, line, 'CONFLICT', `'${this.fqdn(this.keyOf(id))}' has the address ${HostsModel.entryText(e)} here and is an alias of '${this.fqdn(this.keyOf(t))}' at ${this.where(this.aliasFile[id]!, this.aliasLine[id]!)}: ${this.options.aliases === 'cname' ? 'written as address records of both (a CNAME cannot sit beside other data, RFC 1034 3.6.2)' : 'it gets the addresses of both'}`);
      this.flags[id] = f | WARNED;
    }
    const r = this.addRecord(id, e, file, line);
    this.flags[id] = this.flags[id]! | OWN;
    return r;
  }

  /**
   * `aid` stands as an alias of `cid` on a line whose address is `record` (cid's record): the
   * alias follows cid as a CNAME, or, written as address records, gets that line's address.
   */
  private addAlias(aid: number, cid: number, record: number, file: number, line: number, underscore: boolean): void {
    if (aid === cid) return;
    const f = this.flags[aid]!;
    if (f & OWN && !(f & WARNED)) {
      const r = this.records.first(aid);
      this.warn(file, line, 'CONFLICT', `'${this.fqdn(this.keyOf(aid))}' is an alias of '${this.fqdn(this.keyOf(cid))}' here and has the address ${this.records.text(r)} at ${this.recordWhere(r)}: ${this.options.aliases === 'cname' ? 'written as address records of both (a CNAME cannot sit beside other data, RFC 1034 3.6.2)' : 'it gets the addresses of both'}`);
      this.flags[aid] = this.flags[aid]! | WARNED;
    }
    if (f & APEX && !(f & WARNED) && this.options.aliases === 'cname') {
      this.warn(file, line, 'APEX_ALIAS', `the zone's apex ${this.options.origin} cannot be an alias (a CNAME beside its SOA and NS, RFC 1034 3.6.2): written as address records of '${this.fqdn(this.keyOf(cid))}'`);
      this.flags[aid] = this.flags[aid]! | WARNED;
    }
    const t = this.target[aid]! - 1;
    if (t < 0) {
      this.target[aid] = cid + 1;
      this.aliasFile[aid] = file;
      this.aliasLine[aid] = line;
      this.aliasRecord[aid] = record + 1;
      this.flags[aid] = this.flags[aid]! | ALIAS;
      return;
    }
    // issue 10.6: another line of the alias; as address records it gets this line's address too, and no other
    if (this.aliasRecord[aid] !== record + 1) {
      const more = this.extraAliasRecords.get(aid);
      if (!more) this.extraAliasRecords.set(aid, [record]);
      else if (!more.includes(record)) more.push(record);
    }
    if (t === cid) return;
    let extra = this.extraTargets.get(aid);
    if (extra?.includes(cid)) return;
    if (!extra) this.extraTargets.set(aid, (extra = []));
    extra.push(cid);
    this.flags[aid] = this.flags[aid]! | MULTI;
    const before = `'${this.fqdn(this.keyOf(aid))}' is an alias of '${this.fqdn(this.keyOf(t))}' at ${this.where(this.aliasFile[aid]!, this.aliasLine[aid]!)} and of '${this.fqdn(this.keyOf(cid))}' here`;
    if (underscore) {
      this.flags[aid] = this.flags[aid]! | SKIP;
      this.warn(file, line, 'CONFLICT', `${before}: it would need address records, which BIND refuses for a name with '_': skipped`);
    } else {
      this.warn(file, line, 'CONFLICT', `${before}: ${this.options.aliases === 'cname' ? 'written as address records of both (a CNAME has one target)' : 'it gets the addresses of both'}`);
    }
  }

  private addPolicy(keys: number, e: HostsEntry, sink: boolean, file: number, line: number): void {
    for (let k = 0; k < keys; k++) {
      if (!sink && !this.options.allowUnderscore && this.keyHasUnderscore(k)) {
        this.warn(file, line, 'UNDERSCORE', `'${this.keyString(k)}' has '_', which host names cannot have (RFC 1123 2.1): its address is skipped, BIND's check-names refuses it as the owner of an address`);
        continue;
      }
      const id = this.idFor(this.keyBuf[k]!, this.keyS[k]!, this.keyL[k]!);
      const f = this.flags[id]!;
      if (sink) {
        if (f & OWN && !(f & WARNED)) {
          const r = this.records.first(id);
          this.warn(file, line, 'CONFLICT', `'${this.keyOf(id)}' is blocked here and has the address ${this.records.text(r)} at ${this.recordWhere(r)}: blocked, the address is not written`);
          this.flags[id] = this.flags[id]! | WARNED;
        }
        if (!(f & BLOCK)) {
          this.aliasFile[id] = file;
          this.aliasLine[id] = line;
        }
        this.flags[id] = this.flags[id]! | BLOCK;
      } else {
        if (f & BLOCK && !(f & WARNED)) {
          this.warn(file, line, 'CONFLICT', `'${this.keyOf(id)}' has the address ${HostsModel.entryText(e)} here and is blocked at ${this.where(this.aliasFile[id]!, this.aliasLine[id]!)}: blocked, the address is not written`);
          this.flags[id] = this.flags[id]! | WARNED;
        }
        this.addRecord(id, e, file, line);
        this.flags[id] = this.flags[id]! | OWN;
      }
    }
  }

  /**
   * After the last line: with reverse, give every address its PTR (the first canonical name
   * it was given) and report the addresses given to several names, with both places.
   */
  finish(): void {
    if (!this.options.reverse || this.options.format === 'rpz') return;
    const v4: number[] = [];
    const v6: Array<{ nibbles: string; record: number }> = [];
    const records = this.records;
    for (let r = 0; r < records.size; r++) {
      if (records.family(r) === 4) v4.push(r);
      else v6.push({ nibbles: ipv6Nibbles(records.v6(r))!, record: r }); // valid: the parser wrote it
    }
    // by address, then by record (the order of the lines): the first of each address is its PTR
    const sorted4 = Uint32Array.from(v4).sort((a, b) => records.v4(a) - records.v4(b) || a - b);
    v6.sort((a, b) => (a.nibbles < b.nibbles ? -1 : a.nibbles > b.nibbles ? 1 : a.record - b.record));
    const keep4: number[] = [];
    for (let i = 0; i < sorted4.length;) {
      const first = sorted4[i]!;
      keep4.push(first);
      let j = i + 1;
      const seen = [records.owner(first)];
      while (j < sorted4.length && records.v4(sorted4[j]!) === records.v4(first)) {
        this.ptrConflict(first, sorted4[j]!, seen);
        j++;
      }
      i = j;
    }
    this.ptr4 = Uint32Array.from(keep4);
    const keep6: Array<{ nibbles: string; record: number }> = [];
    for (let i = 0; i < v6.length;) {
      const first = v6[i]!;
      keep6.push(first);
      let j = i + 1;
      const seen = [records.owner(first.record)];
      while (j < v6.length && v6[j]!.nibbles === first.nibbles) {
        this.ptrConflict(first.record, v6[j]!.record, seen);
        j++;
      }
      i = j;
    }
    this.ptr6 = keep6;
  }

  private ptrConflict(first: number, other: number, seen: number[]): void {
    const records = this.records;
    const owner = records.owner(other);
    if (seen.includes(owner)) return;
    seen.push(owner);
    const name = this.fqdn(this.keyOf(records.owner(first)));
    this.warn(records.file(other), records.line(other), 'PTR_CONFLICT', `${records.text(other)} is '${name}' at ${this.recordWhere(first)} and '${this.fqdn(this.keyOf(owner))}' here: its PTR names '${name}' (both names get the address)`);
  }

  // --- reading the result --------------------------------------------------------

  /** How an owner is written. */
  kindOf(id: number): OwnerKind {
    const f = this.flags[id]!;
    if (f & SKIP) return 'none';
    if (this.options.format === 'rpz') return f & BLOCK ? 'block' : f & OWN ? 'address' : 'none';
    if (!(f & (OWN | ALIAS))) return 'none';
    if (f & ALIAS && !(f & (OWN | MULTI | APEX | NS)) && this.options.aliases === 'cname') return 'cname';
    return 'address';
  }

  /** The CNAME target of an alias (its id). */
  targetId(id: number): number {
    return this.target[id]! - 1;
  }

  /** The owner has only addresses of its own (no alias target to add): its records can be walked directly. */
  ownOnly(id: number): boolean {
    return !(this.flags[id]! & ALIAS) || this.options.format === 'rpz';
  }

  /** First own address record of an owner, or -1; then nextRecord(r) until -1. */
  firstRecord(id: number): number {
    return this.records.first(id);
  }

  /** The next own address record of the same owner, or -1. */
  nextRecord(r: number): number {
    return this.records.next(r);
  }

  /** 4 or 6: the family of an address record. */
  recordFamily(r: number): number {
    return this.records.family(r);
  }

  /** IPv4 of a family-4 record, as a number. */
  recordV4(r: number): number {
    return this.records.v4(r);
  }

  /** IPv6 text of a family-6 record. */
  recordV6(r: number): string {
    return this.records.v6(r);
  }

  /**
   * The addresses an owner answers with, appended to v4/v6 without duplicates: its own, and for
   * an alias, through its CNAME all of its canonical name's, or, written as address records,
   * those of the lines it stands on.
   */
  addressesOf(id: number, v4: number[], v6: string[]): void {
    this.ownAddresses(id, v4, v6);
    if (this.options.format === 'rpz' || !(this.flags[id]! & ALIAS)) return;
    if (this.kindOf(id) === 'cname') {
      this.ownAddresses(this.target[id]! - 1, v4, v6);
      return;
    }
    this.recordAddress(this.aliasRecord[id]! - 1, v4, v6);
    const more = this.extraAliasRecords.get(id);
    if (more) for (const r of more) this.recordAddress(r, v4, v6);
  }

  /** The address of record r, appended to v4/v6 unless there already. */
  private recordAddress(r: number, v4: number[], v6: string[]): void {
    if (this.records.family(r) === 4) {
      const a = this.records.v4(r);
      if (!v4.includes(a)) v4.push(a);
    } else {
      const a = this.records.v6(r);
      if (!v6.includes(a)) v6.push(a);
    }
  }

  /** An owner's own addresses only (an RPZ's local data). */
  ownAddresses(id: number, v4: number[], v6: string[]): void {
    for (let r = this.records.first(id); r >= 0; r = this.records.next(r)) this.recordAddress(r, v4, v6);
  }

  /** Where a name first appears (for messages): `FILE:LINE`. */
  placeOf(id: number): string {
    const r = this.records.first(id);
    if (r >= 0) return this.recordWhere(r);
    if (this.target[id]! > 0 || this.flags[id]! & BLOCK) return this.where(this.aliasFile[id]!, this.aliasLine[id]!);
    return '';
  }

  /** Every owner, in the order the names first appear; one view object, refilled. */
  *owners(): Generator<OwnerView> {
    const view: OwnerView = { id: 0, owner: '', kind: 'none', target: '', v4: [], v6: [] };
    for (let id = 0; id < this.names.size; id++) {
      view.id = id;
      view.owner = this.keyOf(id);
      view.kind = this.kindOf(id);
      view.v4.length = 0;
      view.v6.length = 0;
      view.target = view.kind === 'cname' ? this.keyOf(this.target[id]! - 1) : '';
      if (view.kind === 'address') {
        if (this.options.format === 'rpz') this.ownAddresses(id, view.v4, view.v6);
        else this.addressesOf(id, view.v4, view.v6);
      }
      yield view;
    }
  }

  /** After finish(): PTR bindings, IPv4 by address then IPv6 by nibbles, one per address, to its first canonical name. */
  *ptrs(): Generator<PtrView> {
    const view: PtrView = { family: 4, v4: 0, nibbles: '', target: '' };
    for (const r of this.ptr4) {
      view.family = 4;
      view.v4 = this.records.v4(r);
      view.target = `${this.fqdn(this.keyOf(this.records.owner(r)))}.`;
      yield view;
    }
    for (const { nibbles, record } of this.ptr6) {
      view.family = 6;
      view.v4 = 0;
      view.nibbles = nibbles;
      view.target = `${this.fqdn(this.keyOf(this.records.owner(record)))}.`;
      yield view;
    }
  }

  /** PTR bindings (after finish()): one per address. */
  get ptrCount(): number {
    return this.ptr4.length + this.ptr6.length;
  }
}
