/** Domain names: presentation form (with RFC 4343 escapes) and wire labels. */
import { NetlabError } from '../../errors.js';

function malformed(what: string): NetlabError {
  return new NetlabError('MALFORMED_PACKET', `malformed DNS message: ${what}`);
}


/** Encode a presentation-form name (escapes understood) as wire labels. Throws USAGE on a bad name. */
export function nameToWire(name: string): Buffer {
  // the common case, printable ASCII without escapes: one buffer, no per-label allocation
  if (/^[\x21-\x5b\x5d-\x7e]*$/.test(name) && name !== '.' && name !== '') {
    const fq = name.endsWith('.') ? name : `${name}.`;
    const out = Buffer.allocUnsafe(fq.length + 1);
    let start = 0;
    let pos = 0;
    for (let i = 0; i < fq.length; i++) {
      if (fq.charCodeAt(i) !== 0x2e) continue;
      const len = i - start;
      if (len === 0) throw new NetlabError('USAGE', `'${name}' has an empty label`);
      if (len > 63) throw new NetlabError('USAGE', `'${name}' has a label longer than 63 bytes`);
      out[pos] = len;
      out.write(fq.slice(start, i), pos + 1, 'latin1');
      pos += len + 1;
      start = i + 1;
    }
    out[pos] = 0;
    if (pos + 1 > 255) throw new NetlabError('USAGE', `'${name}' is longer than 255 bytes`);
    return out;
  }
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
  const labels: string[] = [];
  let pos = offset;
  let end = -1;
  let total = 1;
  let jumps = 0;
  let lowest = offset; // pointers must go strictly before where this name started
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
      lowest = target;
      pos = target;
      continue;
    }
    if (kind !== 0) throw malformed(`unknown label type 0x${kind.toString(16)}`);
    if (pos + 1 + len > limit) throw malformed('label runs past the end');
    total += len + 1;
    if (total > 255) throw malformed('name longer than 255 bytes');
    labels.push(escapeLabel(buf.subarray(pos + 1, pos + 1 + len)));
    pos += 1 + len;
  }
  return { name: labels.length === 0 ? '.' : `${labels.join('.')}.`, end: end < 0 ? pos : end };
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

