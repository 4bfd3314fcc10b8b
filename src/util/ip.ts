/**
 * IP address text, one place for it: strict IPv4 and IPv6 parsing (no shorthand, no leading
 * zeros, no zone index), RFC 5952 IPv6 text, 32-bit integers, and reverse-lookup names
 * (in-addr.arpa, RFC 1035 3.5; nibble ip6.arpa, RFC 3596 2.5). Pure; nothing here throws.
 */

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** A strict dotted quad (`192.0.2.1`; not `127.1`, not `010.0.0.1`) as an unsigned 32-bit number; undefined otherwise. */
export function parseIPv4(text: string): number | undefined {
  const m = V4.exec(text);
  if (!m) return undefined;
  return ((Number(m[1]) << 24) >>> 0) + (Number(m[2]) << 16) + (Number(m[3]) << 8) + Number(m[4]);
}

/** An unsigned 32-bit number as a dotted quad. */
export function ipv4FromInt(value: number): string {
  return `${Math.floor(value / 16777216) & 255}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
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

const GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * Any valid IPv6 text (RFC 4291 2.2: `::` once at most, an IPv4 tail allowed, no zone index)
 * as its 16 bytes; undefined when it is not one.
 */
export function parseIPv6(text: string): Uint8Array | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  const gap = text.indexOf('::');
  if (gap >= 0 && text.indexOf('::', gap + 1) >= 0) return undefined;
  const head = gap < 0 ? text.split(':') : gap === 0 ? [] : text.slice(0, gap).split(':');
  const tailText = gap < 0 ? undefined : text.slice(gap + 2);
  const tail = tailText === undefined || tailText === '' ? [] : tailText.split(':');
  const groups: number[][] = [[], []];
  const parts: Array<[string[], number]> = [[head, 0], [tail, 1]];
  // an IPv4 tail ends the address: the last group of all, never before a `::`
  const lastPart = gap < 0 ? head : tail;
  for (const [list, side] of parts) {
    for (let i = 0; i < list.length; i++) {
      const p = list[i]!;
      if (list === lastPart && i === list.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (v4 === undefined) return undefined;
        groups[side]!.push(v4 >>> 16, v4 & 0xffff);
      } else if (GROUP.test(p)) {
        groups[side]!.push(parseInt(p, 16));
      } else return undefined;
    }
  }
  const n = groups[0]!.length + groups[1]!.length;
  // `::` stands for one group or more
  if (gap < 0 ? n !== 8 : n > 7) return undefined;
  const all = [...groups[0]!, ...Array<number>(8 - n).fill(0), ...groups[1]!];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/**
 * 16 bytes as IPv6 text per RFC 5952: lower case, the longest run of two or more zero groups
 * as `::`. With `mixed` (the default), IPv4-mapped and -compatible addresses end in a dotted
 * quad as inet_ntop (and so BIND's dig) prints them: `::ffff:192.0.2.1`, `::192.0.2.1`.
 */
export function ipv6FromBytes(bytes: ArrayLike<number>, options: { mixed?: boolean } = {}): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  if (options.mixed !== false && bestStart === 0 && (bestLen === 6 || (bestLen === 5 && groups[5] === 0xffff))) {
    const v4 = [bytes[12]!, bytes[13]!, bytes[14]!, bytes[15]!];
    return `::${bestLen === 5 ? 'ffff:' : ''}${ipv4FromBytes(v4)}`;
  }
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Any valid IPv6 text in its RFC 5952 form (see ipv6FromBytes for `mixed`); undefined when it is not IPv6. */
export function canonicalIPv6(text: string, options: { mixed?: boolean } = {}): string | undefined {
  const b = parseIPv6(text);
  return b && ipv6FromBytes(b, options);
}

/** The 32 hex nibbles of an IPv6 address, most significant first; undefined when it is not IPv6. */
export function ipv6Nibbles(text: string): string | undefined {
  const b = parseIPv6(text);
  return b && Buffer.from(b).toString('hex');
}

/**
 * The PTR owner name of an address, fully qualified: `1.2.0.192.in-addr.arpa.` or the 32
 * nibbles under `ip6.arpa.`; undefined for anything that is not an IPv4 or IPv6 address.
 */
export function reverseName(address: string): string | undefined {
  const v4 = parseIPv4(address);
  if (v4 !== undefined) return `${v4 & 255}.${(v4 >>> 8) & 255}.${(v4 >>> 16) & 255}.${v4 >>> 24}.in-addr.arpa.`;
  const nibbles = ipv6Nibbles(address);
  if (nibbles === undefined) return undefined;
  return `${[...nibbles].reverse().join('.')}.ip6.arpa.`;
}
