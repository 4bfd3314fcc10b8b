/** Domain names: presentation form (with RFC 4343 escapes) and wire labels. */
import { NetlabError } from '../../errors.js';

function malformed(what: string): NetlabError {
  return new NetlabError('MALFORMED_PACKET', `malformed DNS message: ${what}`);
}


/** Encode a presentation-form name (escapes understood) as wire labels. Throws USAGE on a bad name. */
export function nameToWire(name: string): Buffer {
  return plainNameToWire(name) ?? escapedNameToWire(name);
}

/**
 * The common case, printable ASCII without escapes (a batch's every query): byte by byte into
 * one buffer, character i of the name at byte i + 1, each dot becoming the length byte of the
 * label after it. Undefined for the root, the empty name and anything to unescape.
 */
function plainNameToWire(name: string): Buffer | undefined {
  const n = name.length;
  if (n === 0 || name === '.') return undefined;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x21 || c > 0x7e || c === 0x5c) return undefined;
  }
  // the fully qualified name's length: the name and its final dot
  const fq = name.charCodeAt(n - 1) === 0x2e ? n : n + 1;
  const out = Buffer.allocUnsafe(fq + 1);
  let start = 0;
  for (let i = 0; i < fq; i++) {
    const c = i < n ? name.charCodeAt(i) : 0x2e;
    if (c !== 0x2e) {
      out[i + 1] = c;
      continue;
    }
    const len = i - start;
    if (len === 0) throw new NetlabError('USAGE', `'${name}' has an empty label`);
    if (len > 63) throw new NetlabError('USAGE', `'${name}' has a label longer than 63 bytes`);
    out[start] = len;
    start = i + 1;
  }
  out[fq] = 0;
  if (fq + 1 > 255) throw new NetlabError('USAGE', `'${name}' is longer than 255 bytes`);
  return out;
}

/** nameToWire through splitName: escapes (`\.`, `\065`), other bytes, the root. */
function escapedNameToWire(name: string): Buffer {
  const labels = splitName(name);
  const parts: Buffer[] = [];
  let total = 1;
  for (const label of labels) {
    if (label.length === 0) throw new NetlabError('USAGE', `'${name}' has an empty label`);
    if (label.length > 63) throw new NetlabError('USAGE', `'${name}' has a label longer than 63 bytes`);
    parts.push(Buffer.from([label.length]), label);
    total += label.length + 1;
  }
  if (total > 255) throw new NetlabError('USAGE', `'${name}' is longer than 255 bytes`);
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** Split a presentation-form name into raw labels, honouring `\.` and `\DDD` escapes. Throws USAGE for a bad escape. */
export function splitName(name: string): Buffer[] {
  if (name === '.' || name === '') return [];
  const labels: Buffer[] = [];
  let cur: number[] = [];
  const bytes = Buffer.from(name, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === 0x5c /* \ */) {
      const d = bytes.subarray(i + 1, i + 4).toString('latin1');
      if (/^\d{3}$/.test(d)) {
        const v = Number(d);
        if (v > 255) throw new NetlabError('USAGE', `bad escape \\${d} in '${name}'`);
        cur.push(v);
        i += 3;
      } else if (i + 1 < bytes.length) {
        cur.push(bytes[i + 1]!);
        i += 1;
      } else {
        throw new NetlabError('USAGE', `'${name}' ends with a lone backslash`);
      }
    } else if (c === 0x2e /* . */) {
      labels.push(Buffer.from(cur));
      cur = [];
    } else {
      cur.push(c);
    }
  }
  if (cur.length > 0) labels.push(Buffer.from(cur));
  return labels;
}

/** Lower-case, fully qualified form used to compare names (ASCII case-insensitive, RFC 4343). */
export function canonicalName(name: string): string {
  const fq = name.endsWith('.') ? name : `${name}.`;
  return fq === '..' ? '.' : fq.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** A name read from a message, and the offset just past it. */
export interface NameRead {
  name: string;
  /** Offset just past the name where it started (pointers followed elsewhere). */
  end: number;
}

/**
 * Read a possibly compressed name at `offset`, not past `limit`, validating every pointer (only
 * to prior data, RFC 1035 4.1.4) and length; returns its presentation form and where it ended.
 * Throws MALFORMED_PACKET.
 */
export function readName(buf: Uint8Array, offset: number, limit = buf.length): NameRead {
  const cached = suffixBuffer === buf;
  let name = '';
  // plain labels (letters, digits, - and _) and their dots gather here, and become one string
  // when something else comes (an escaped label, a pointer, the end): not a string per byte
  let run = 0;
  let pos = offset;
  let end = -1;
  let total = 1;
  let jumps = 0;
  let lowest = offset; // pointers must go strictly before where this name started
  // where each pointer led, and how long the name was then: the suffix from each is cached at
  // the end (made at the first pointer: most names have none)
  let jumpedTo: number[] | undefined;
  let nameAtJump: number[] | undefined;
  let totalAtJump: number[] | undefined;
  for (;;) {
    if (pos >= limit) throw malformed('name runs past the end');
    const len = buf[pos]!;
    if (len === 0) {
      pos += 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= limit) throw malformed('compression pointer runs past the end');
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (target >= lowest) throw malformed('compression pointer does not point to prior data');
      if (++jumps > 127) throw malformed('compression loop');
      if (end < 0) end = pos + 2;
      if (run > 0) {
        name += SCRATCH.toString('latin1', 0, run);
        run = 0;
      }
      const known = cached ? suffixes.get(target) : undefined;
      if (known && known.end <= limit) {
        total += known.bytes;
        if (total > 255) throw malformed('name longer than 255 bytes');
        if (jumps + known.jumps > 127) throw malformed('compression loop');
        name += known.text;
        break;
      }
      if (cached) {
        (jumpedTo ??= []).push(target);
        (nameAtJump ??= []).push(name.length);
        (totalAtJump ??= []).push(total);
      }
      lowest = target;
      pos = target;
      continue;
    }
    if (kind !== 0) throw malformed(`unknown label type 0x${kind.toString(16)}`);
    if (pos + 1 + len > limit) throw malformed('label runs past the end');
    total += len + 1;
    if (total > 255) throw malformed('name longer than 255 bytes');
    const start = pos + 1;
    const stop = start + len;
    if (isPlain(buf, start, stop)) {
      // at most 255 bytes of labels and dots: the scratch buffer holds them
      for (let i = start; i < stop; i++) SCRATCH[run++] = buf[i]!;
      SCRATCH[run++] = 0x2e;
    } else {
      if (run > 0) {
        name += SCRATCH.toString('latin1', 0, run);
        run = 0;
      }
      name += `${escapeLabel(buf.subarray(start, stop))}.`;
    }
    pos = stop;
  }
  if (run > 0) name += SCRATCH.toString('latin1', 0, run);
  if (jumpedTo) for (let i = 0; i < jumpedTo.length; i++) remember(jumpedTo[i]!, name.slice(nameAtJump![i]), total - totalAtJump![i]!, limit);
  return { name: name === '' ? '.' : name, end: end < 0 ? pos : end };
}

/** Where readName gathers a run of plain labels: a name is at most 255 bytes on the wire, and so is a run of them with its dots. */
const SCRATCH = Buffer.alloc(256);

// The suffixes already read from one message, by the offset a compression pointer names: a
// message compresses its owners to a few shared suffixes (a zone transfer: 40,000 owners a
// message under one zone name), each read and escaped once instead of once per pointer. Only
// while withNameCache runs (a decode, synchronous: the bytes cannot change meanwhile); bounded.
let suffixBuffer: Uint8Array | undefined;
const suffixes = new Map<number, { text: string; bytes: number; jumps: number; end: number }>();

/** Run `fn` (a whole message's decode) with readName caching the suffixes it reads from `buf`. */
export function withNameCache<T>(buf: Uint8Array, fn: () => T): T {
  suffixBuffer = buf;
  suffixes.clear();
  try {
    return fn();
  } finally {
    suffixBuffer = undefined;
    suffixes.clear();
  }
}

/** Remember the suffix read from `at` (its text with the trailing dot, its wire bytes): only a whole suffix that ended in the root label. */
function remember(at: number, text: string, bytes: number, limit: number): void {
  if (text === '' || suffixes.size >= 4096) return;
  // a suffix read from `at` is valid for any later reader that may read up to `limit`
  suffixes.set(at, { text, bytes, jumps: 0, end: limit });
}

/** Whether buf[start, end) is a label printed as it is: letters, digits, - and _ (escapeLabel would change nothing). */
function isPlain(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x5f)) return false;
  }
  return true;
}

/** A label in master-file form, escaped as BIND does (RFC 4343 2.1). */
export function escapeLabel(label: Uint8Array): string {
  let out = '';
  for (const c of label) {
    if (c === 0x2e || c === 0x22 || c === 0x28 || c === 0x29 || c === 0x3b || c === 0x5c || c === 0x40 || c === 0x24) {
      out += `\\${String.fromCharCode(c)}`;
    } else if (c > 0x20 && c < 0x7f) {
      out += String.fromCharCode(c);
    } else {
      out += `\\${c.toString().padStart(3, '0')}`;
    }
  }
  return out;
}

