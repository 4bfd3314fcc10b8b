/**
 * IP address text, one place for it: strict IPv4 and IPv6 parsing (no shorthand, no leading
 * zeros, no zone index), RFC 5952 IPv6 text, 32-bit integers, and reverse-lookup names
 * (in-addr.arpa, RFC 1035 3.5; nibble ip6.arpa, RFC 3596 2.5). Pure; nothing here throws.
 *
 * The grammar lives in two byte scanners, scanIPv4 and scanIPv6, so that hosts2zone can read
 * addresses straight from the bytes of its input (a million lines, no string per line); the
 * text functions copy their (short, ASCII) argument into a scratch buffer and run the same scanners.
 */

/** scanIPv4: not a dotted quad at all (a character other than digits and dots, an empty part, more than 4 parts). */
export const IPV4_NOT = -1;
/** scanIPv4: fewer than 4 parts (`127.1`: inet_aton shorthand). */
export const IPV4_SHORT = -2;
/** scanIPv4: 4 parts in range, one with a leading zero (`010.1.1.1`: octal to inet_aton). */
export const IPV4_LEADING_ZERO = -3;
/** scanIPv4: a part over 255 (or of more than 3 digits). */
export const IPV4_RANGE = -4;

/**
 * A strict dotted quad in `bytes[start, end)` (ASCII): its value as an unsigned 32-bit number,
 * or a negative IPV4_* code saying why it is not one (out of range before short before leading zero).
 */
export function scanIPv4(bytes: ArrayLike<number>, start: number, end: number): number {
  let parts = 0;
  let value = 0;
  let acc = 0;
  let digits = 0;
  let leadingZero = false;
  let range = false;
  let firstZero = false;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c >= 48 && c <= 57) {
      if (digits === 0) firstZero = c === 48;
      else if (firstZero) leadingZero = true;
      acc = acc * 10 + (c - 48);
      if (++digits > 3) range = true;
    } else if (c === 46) {
      if (digits === 0) return IPV4_NOT;
      if (acc > 255) range = true;
      value = value * 256 + (acc & 255);
      parts++;
      acc = 0;
      digits = 0;
    } else {
      return IPV4_NOT;
    }
  }
  if (digits === 0) return IPV4_NOT;
  if (acc > 255) range = true;
  value = value * 256 + (acc & 255);
  parts++;
  if (parts > 4) return IPV4_NOT;
  if (range) return IPV4_RANGE;
  if (parts < 4) return IPV4_SHORT;
  if (leadingZero) return IPV4_LEADING_ZERO;
  return value;
}

/** Longer than any address text (45 characters: 6 groups and a dotted quad). */
const textScratch = new Uint8Array(48);

/** `text` into textScratch: its length, or -1 when it is too long or not ASCII (no address then). */
function ascii(text: string): number {
  const n = text.length;
  if (n > textScratch.length) return -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 127) return -1;
    textScratch[i] = c;
  }
  return n;
}

/** A strict dotted quad (`192.0.2.1`; not `127.1`, not `010.0.0.1`) as an unsigned 32-bit number; undefined otherwise. */
export function parseIPv4(text: string): number | undefined {
  const n = ascii(text);
  if (n < 0) return undefined;
  const v = scanIPv4(textScratch, 0, n);
  return v >= 0 ? v : undefined;
}

/** An unsigned 32-bit number as a dotted quad. */
export function ipv4FromInt(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/**
 * An unsigned 32-bit number as a dotted quad written in ASCII into `out` at `pos`, without
 * making a string (hosts2zone writes a million of them); returns the position after it.
 */
export function putIPv4(out: Uint8Array, pos: number, value: number): number {
  for (let shift = 24; shift >= 0; shift -= 8) {
    const o = (value >>> shift) & 255;
    if (o >= 100) out[pos++] = 48 + Math.floor(o / 100);
    if (o >= 10) out[pos++] = 48 + (Math.floor(o / 10) % 10);
    out[pos++] = 48 + (o % 10);
    if (shift > 0) out[pos++] = 46;
  }
  return pos;
}

/** Four bytes (from `offset`) as a dotted quad. */
export function ipv4FromBytes(bytes: ArrayLike<number>, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** A strict dotted quad as its 4 bytes; undefined when it is not one. */
export function ipv4Bytes(text: string): Uint8Array | undefined {
  const v = parseIPv4(text);
  if (v === undefined) return undefined;
  return new Uint8Array([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]);
}

/**
 * Any valid IPv6 text (RFC 4291 2.2: `::` once at most, an IPv4 tail allowed as the last 32
 * bits, no zone index) in `bytes[start, end)` (ASCII), into the 8 16-bit `groups`. False when
 * it is not one (`groups` is then undefined).
 */
export function scanIPv6(bytes: ArrayLike<number>, start: number, end: number, groups: Uint16Array): boolean {
  // fresh arrays: cheaper than emptying shared ones (measured on the hosts2zone benchmark)
  const head: number[] = [];
  const tail: number[] = [];
  let cur = head;
  let i = start;
  let gap = false;
  if (end - start >= 2 && bytes[start] === 58 && bytes[start + 1] === 58) {
    gap = true;
    cur = tail;
    i = start + 2;
    if (i === end) {
      groups.fill(0);
      return true;
    }
  } else if (bytes[start] === 58) return false;
  for (;;) {
    // one group, or an IPv4 tail
    let j = i;
    let v = 0;
    while (j < end && j - i < 5) {
      const c = bytes[j]!;
      const d = c >= 48 && c <= 57 ? c - 48 : (c | 32) >= 97 && (c | 32) <= 102 ? (c | 32) - 87 : -1;
      if (d < 0) break;
      v = v * 16 + d;
      j++;
    }
    if (j < end && bytes[j] === 46) {
      // an IPv4 tail: the rest must be a dotted quad, and it takes two groups
      const v4 = scanIPv4(bytes, i, end);
      if (v4 < 0) return false;
      cur.push(v4 >>> 16, v4 & 0xffff);
      break;
    }
    if (j === i || j - i > 4) return false;
    cur.push(v);
    if (j === end) break;
    if (bytes[j] !== 58) return false;
    if (j + 1 < end && bytes[j + 1] === 58) {
      if (gap) return false;
      gap = true;
      cur = tail;
      i = j + 2;
      if (i === end) break;
    } else {
      i = j + 1;
      if (i === end) return false;
    }
  }
  const n = head.length + tail.length;
  // `::` stands for one group or more
  if (gap ? n > 7 : n !== 8) return false;
  groups.fill(0);
  for (let k = 0; k < head.length; k++) groups[k] = head[k]!;
  for (let k = 0; k < tail.length; k++) groups[8 - tail.length + k] = tail[k]!;
  return true;
}

const groupScratch = new Uint16Array(8);

/**
 * Any valid IPv6 text (RFC 4291 2.2: `::` once at most, an IPv4 tail allowed, no zone index)
 * as its 16 bytes; undefined when it is not one.
 */
export function parseIPv6(text: string): Uint8Array | undefined {
  const n = ascii(text);
  if (n < 0 || !scanIPv6(textScratch, 0, n, groupScratch)) return undefined;
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[i * 2] = groupScratch[i]! >> 8;
    out[i * 2 + 1] = groupScratch[i]! & 0xff;
  }
  return out;
}

/**
 * An IPv4 address as a socket reports its peer: a dotted quad, or the same address IPv4-mapped
 * (`::ffff:192.0.2.1`, RFC 4291 2.5.5.2, as a dual-stack socket gives an IPv4 peer), as an
 * unsigned 32-bit number; undefined for anything else (other IPv6 included).
 */
export function parsePeerIPv4(text: string): number | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return v4;
  const n = ascii(text);
  if (n < 0 || !scanIPv6(textScratch, 0, n, groupScratch)) return undefined;
  const g = groupScratch;
  if (g[0] !== 0 || g[1] !== 0 || g[2] !== 0 || g[3] !== 0 || g[4] !== 0 || g[5] !== 0xffff) return undefined;
  return g[6]! * 65536 + g[7]!;
}

const HEX = '0123456789abcdef';

/** A 16-bit group in lower-case hex without leading zeros (faster than toString(16) on the hosts2zone path). */
function groupHex(g: number): string {
  if (g < 16) return HEX[g]!;
  if (g < 256) return HEX[g >> 4]! + HEX[g & 15]!;
  if (g < 4096) return HEX[g >> 8]! + HEX[(g >> 4) & 15]! + HEX[g & 15]!;
  return HEX[g >> 12]! + HEX[(g >> 8) & 15]! + HEX[(g >> 4) & 15]! + HEX[g & 15]!;
}

/**
 * 8 16-bit groups as IPv6 text per RFC 5952: lower case, the longest run of two or more zero
 * groups (the first of equal ones) as `::`. With `mixed` (the default), IPv4-mapped and
 * -compatible addresses end in a dotted quad as inet_ntop (and so BIND's dig) prints them:
 * `::ffff:192.0.2.1`, `::192.0.2.1`; without, they are hexadecimal like any other (`::ffff:c000:201`).
 */
export function ipv6FromGroups(groups: ArrayLike<number>, options: { mixed?: boolean } = {}): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (options.mixed !== false && bestStart === 0 && (bestLen === 6 || (bestLen === 5 && groups[5] === 0xffff))) {
    const hi = groups[6]!;
    const lo = groups[7]!;
    return `::${bestLen === 5 ? 'ffff:' : ''}${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += groupHex(groups[i]!);
  }
  return out;
}

/** 16 bytes as IPv6 text per RFC 5952 (see ipv6FromGroups for `mixed`). */
export function ipv6FromBytes(bytes: ArrayLike<number>, options: { mixed?: boolean } = {}): string {
  for (let i = 0; i < 8; i++) groupScratch[i] = (bytes[i * 2]! << 8) | bytes[i * 2 + 1]!;
  return ipv6FromGroups(groupScratch, options);
}

/** Any valid IPv6 text in its RFC 5952 form (see ipv6FromGroups for `mixed`); undefined when it is not IPv6. */
export function canonicalIPv6(text: string, options: { mixed?: boolean } = {}): string | undefined {
  const n = ascii(text);
  if (n < 0 || !scanIPv6(textScratch, 0, n, groupScratch)) return undefined;
  return ipv6FromGroups(groupScratch, options);
}

/** The 32 hex nibbles of an IPv6 address, most significant first; undefined when it is not IPv6. */
export function ipv6Nibbles(text: string): string | undefined {
  const b = parseIPv6(text);
  return b && Buffer.from(b).toString('hex');
}

/**
 * The in-addr.arpa name (RFC 1035 3.5) of the first `octets` (1 to 4) octets of an IPv4
 * address given as an unsigned 32-bit number, without the final dot: `1.2.0.192.in-addr.arpa`,
 * or `2.0.192.in-addr.arpa` (the /24 zone) for 3.
 */
export function inAddrArpa(v4: number, octets = 4): string {
  let name = 'in-addr.arpa';
  for (let i = 0; i < octets; i++) name = `${(v4 >>> (24 - 8 * i)) & 255}.${name}`;
  return name;
}

/** Hex nibbles (most significant first) as reverse-name labels: `20010db8` -> `8.b.d.0.1.0.0.2`. */
export function nibbleLabels(nibbles: string): string {
  let out = '';
  for (let i = nibbles.length - 1; i >= 0; i--) out += i > 0 ? `${nibbles[i]}.` : nibbles[i];
  return out;
}

/**
 * The ip6.arpa name (RFC 3596 2.5) of the leading `nibbles` of an IPv6 address (all 32 for
 * the address, fewer for a prefix's zone), without the final dot.
 */
export function ip6Arpa(nibbles: string): string {
  return nibbles === '' ? 'ip6.arpa' : `${nibbleLabels(nibbles)}.ip6.arpa`;
}

/**
 * The PTR owner name of an address, fully qualified: `1.2.0.192.in-addr.arpa.` or the 32
 * nibbles under `ip6.arpa.`; undefined for anything that is not an IPv4 or IPv6 address.
 */
export function reverseName(address: string): string | undefined {
  const v4 = parseIPv4(address);
  if (v4 !== undefined) return `${inAddrArpa(v4)}.`;
  const nibbles = ipv6Nibbles(address);
  return nibbles === undefined ? undefined : `${ip6Arpa(nibbles)}.`;
}

/**
 * 4 or 6 when `text` is an IPv4 or IPv6 address (an IPv6 zone index such as `%eth0` allowed, as
 * net.isIP allows it), else 0. Pure: no node:net (which costs several milliseconds to load).
 */
export function ipFamily(text: string): 0 | 4 | 6 {
  if (parseIPv4(text) !== undefined) return 4;
  const zone = text.indexOf('%');
  if (zone !== 0 && parseIPv6(zone > 0 ? text.slice(0, zone) : text) !== undefined) return 6;
  return 0;
}
