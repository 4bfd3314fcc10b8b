/**
 * RDATA in presentation format, exactly as BIND's dig prints it (one line, no +multiline),
 * derived from the typed values of rdata.ts. Names come back fully qualified; character-strings
 * quoted with `"` and `\` escaped and other non-printable bytes as \DDD; long hex and base64
 * fields split into 56-character chunks; unknown types in RFC 3597 form `\# len hex`. The
 * types without a typed value are read from their bytes here (otherRdataText).
 */
import { NetlabError } from '../../errors.js';
import { ipv4FromBytes, ipv6FromBytes, parseIPv6 } from '../../util/ip.js';
import { readName } from './names.js';
import type { RecordData, SvcParam } from './rdata.js';
import { textToBytes } from './text.js';
import { typeName } from './types.js';

function bad(what: string): NetlabError {
  return new NetlabError('MALFORMED_PACKET', `malformed DNS message: ${what}`);
}

/** A character-string quoted as BIND's txt_totext does: `"` and `\` escaped, other bytes outside 0x20-0x7e as \DDD. */
export function quoteString(bytes: Uint8Array): string {
  let out = '"';
  for (const c of bytes) {
    if (c === 0x22 || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
    else if (c < 0x20 || c >= 0x7f) out += `\\${c.toString().padStart(3, '0')}`;
    else out += String.fromCharCode(c);
  }
  return `${out}"`;
}

function hexUpper(b: Uint8Array): string {
  return Buffer.from(b).toString('hex').toUpperCase();
}

/** dig splits long hex and base64 fields into 56-character chunks (its default +split=56). */
function split56(text: string): string {
  return text.match(/.{1,56}/g)?.join(' ') ?? '';
}

function hexField(b: Uint8Array): string {
  return split56(hexUpper(b));
}

function base64Field(b: Uint8Array): string {
  return split56(Buffer.from(b).toString('base64'));
}

/** RFC 3597 generic form, as BIND prints it: `\# 0`, or `\# LEN HEX` with the hex split. */
export function genericRdata(b: Uint8Array): string {
  return b.length === 0 ? '\\# 0' : `\\# ${b.length} ${hexField(b)}`;
}

/** Seconds since 1970 as an RRSIG time, YYYYMMDDHHmmSS in UTC (RFC 4034 3.2). */
export function sigTimeText(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function fq(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/**
 * The value of an alpn SvcParam. RFC 9460 A.1: a comma-separated list in which a `,` or `\`
 * inside an alpn-id is escaped with `\`; that value is then a character-string, so each
 * backslash is escaped again (`,` shows as `\\,`, `\` as `\\\\`), and bytes up to and
 * including space, or from 0x7f, as \DDD, as BIND prints it.
 */
function alpnText(ids: readonly string[]): string {
  return `"${ids.map((id) => {
    let out = '';
    for (const c of textToBytes(id)) {
      // BIND (commatxt_totext, unquoted form) writes a space as \032 here too
      if (c <= 0x20 || c >= 0x7f) out += `\\${c.toString().padStart(3, '0')}`;
      else if (c === 0x2c) out += '\\\\,';
      else if (c === 0x5c) out += '\\\\\\\\';
      else if (c === 0x22) out += '\\"';
      else out += String.fromCharCode(c);
    }
    return out;
  }).join(',')}"`;
}

function svcParamText(p: SvcParam): string {
  switch (p.key) {
    case 'mandatory': return `mandatory=${p.keys.join(',')}`;
    case 'alpn': return `alpn=${alpnText(p.ids)}`;
    case 'no-default-alpn': return 'no-default-alpn';
    case 'port': return `port=${p.port}`;
    case 'ipv4hint': return `ipv4hint=${p.addresses.join(',')}`;
    // an empty ech value shows as the bare key, as BIND prints it
    case 'ech': return p.config === '' ? 'ech' : `ech=${p.config}`;
    case 'ipv6hint': return `ipv6hint=${p.addresses.map(canonical6).join(',')}`;
    default: return p.value === '' ? p.key : `${p.key}=${quoteString(textToBytes(p.value))}`;
  }
}

/** IPv6 text as dig prints it, whatever form the value was given in. */
function canonical6(text: string): string {
  const b = parseIPv6(text);
  return b ? ipv6FromBytes(b) : text;
}

/**
 * The presentation format of a typed value, as BIND's dig prints it: `10 mail.example.test.`,
 * `"v=spf1 -all"`, `1 . alpn="h2,h3"`. Pure; never throws.
 */
export function presentRdata(rd: RecordData): string {
  switch (rd.type) {
    case 'A': return rd.address;
    case 'AAAA': return canonical6(rd.address);
    case 'NS': case 'CNAME': case 'DNAME': case 'PTR': return fq(rd.target);
    case 'MX': return `${rd.preference} ${fq(rd.exchange)}`;
    case 'TXT': case 'SPF': return rd.strings.map((s) => quoteString(textToBytes(s))).join(' ');
    case 'SRV': return `${rd.priority} ${rd.weight} ${rd.port} ${fq(rd.target)}`;
    case 'SOA': return `${fq(rd.mname)} ${fq(rd.rname)} ${rd.serial} ${rd.refresh} ${rd.retry} ${rd.expire} ${rd.minimum}`;
    case 'CAA': return `${rd.flags} ${rd.tag} ${quoteString(textToBytes(rd.value))}`;
    case 'DS': case 'CDS': return `${rd.keyTag} ${rd.algorithm} ${rd.digestType} ${split56(rd.digest.toUpperCase())}`;
    case 'DNSKEY': case 'CDNSKEY': return `${rd.flags} ${rd.protocol} ${rd.algorithm} ${split56(rd.publicKey)}`;
    case 'RRSIG':
      return [rd.typeCovered, rd.algorithm, rd.labels, rd.originalTtl, sigTimeText(rd.expiration), sigTimeText(rd.inception), rd.keyTag, fq(rd.signerName), split56(rd.signature)].join(' ');
    case 'NSEC': return [fq(rd.nextDomain), ...rd.types].join(' ');
    case 'SVCB': case 'HTTPS': return [rd.priority, fq(rd.target), ...rd.params.map(svcParamText)].join(' ');
    case 'TLSA': case 'SMIMEA': return `${rd.usage} ${rd.selector} ${rd.matchingType} ${split56(rd.certificate.toUpperCase())}`;
    case 'NAPTR':
      return `${rd.order} ${rd.preference} ${[rd.flags, rd.services, rd.regexp].map((s) => quoteString(textToBytes(s))).join(' ')} ${fq(rd.replacement)}`;
    default: return rd.text;
  }
}

// --- the types without a typed value, from their bytes ------------------------------

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}
function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) >>> 0) + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
}

/** Character-strings one after another (RFC 1035 3.3), each quoted. */
function readStrings(b: Uint8Array, start: number, count: number, what: string): { texts: string[]; end: number } {
  const texts: string[] = [];
  let p = start;
  for (let i = 0; i < count; i++) {
    if (p >= b.length || p + 1 + b[p]! > b.length) throw bad(`${what} character-string runs past RDATA`);
    texts.push(quoteString(b.subarray(p + 1, p + 1 + b[p]!)));
    p += 1 + b[p]!;
  }
  return { texts, end: p };
}

/** RFC 4034 4.1.2 type bit maps, as a list of mnemonics. Throws MALFORMED_PACKET for a bad window. */
export function readTypeBitmap(b: Uint8Array, what: string): string[] {
  const types: string[] = [];
  for (let p = 0; p < b.length; ) {
    if (p + 2 > b.length) throw bad(`${what} type bitmap runs past RDATA`);
    const win = b[p]!;
    const len = b[p + 1]!;
    if (len < 1 || len > 32 || p + 2 + len > b.length) throw bad(`${what} type bitmap window length`);
    for (let i = 0; i < len; i++) {
      const byte = b[p + 2 + i]!;
      for (let bit = 0; bit < 8; bit++) {
        if (byte & (0x80 >> bit)) types.push(typeName(win * 256 + i * 8 + bit));
      }
    }
    p += 2 + len;
  }
  return types;
}

/**
 * A 32-bit RRSIG (or SIG) time as seconds since 1970: RFC 4034 3.1.5 compares it with serial
 * number arithmetic (RFC 1982), so it stands for the time closest to now, within 2^31 seconds
 * either way, as BIND's dns_time64_from32 reads it.
 */
export function sigTimeSeconds(value: number, nowSeconds = Math.floor(Date.now() / 1000)): number {
  const delta = (value - (nowSeconds >>> 0)) << 0; // signed 32-bit distance from now
  return nowSeconds + delta;
}

function sigTime(value: number): string {
  return sigTimeText(sigTimeSeconds(value));
}

const BASE32HEX = '0123456789ABCDEFGHIJKLMNOPQRSTUV';
const BASE32HEX_LOWER = BASE32HEX.toLowerCase();

/** RFC 4648 7: base32hex without padding (NSEC3 hashes): upper case as presented, lower case as an owner label. */
export function base32hex(b: Uint8Array, lowerCase = false): string {
  const alphabet = lowerCase ? BASE32HEX_LOWER : BASE32HEX;
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of b) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/**
 * The presentation text of RDATA of a type without a typed value (HINFO, SSHFP, NSEC3, URI,
 * SIG, LOC, ... or RFC 3597 `\# LEN HEX` for a type without a form here), read from the bytes
 * at `offset` up to `end` of the whole message. Throws MALFORMED_PACKET when the bytes do not
 * form that type, as BIND rejects them.
 */
export function otherRdataText(typeCode: number, message: Uint8Array, offset: number, end: number): string {
  const msg = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  const o = offset;
  const len = end - o;
  switch (typeCode) {
    case 13: {
      // RFC 1035 3.3.2: exactly two character-strings, read from the bytes (not as UTF-8)
      const strings = readStrings(msg.subarray(0, end), o, 2, 'HINFO');
      if (strings.end !== end) throw bad('HINFO RDATA is longer than its two strings');
      return strings.texts.join(' ');
    }
    case 44: {
      // RFC 4255 3.1 leaves the hash types open (RFC 6594 adds 2); like BIND, insist on the
      // digest length for the hash types whose length is known
      const known: Record<number, number> = { 1: 20, 2: 32 };
      const want = known[msg[o + 1]!];
      if (want !== undefined && len - 2 !== want) throw bad(`SSHFP fingerprint is ${len - 2} bytes, not ${want}`);
      return `${msg[o]} ${msg[o + 1]} ${hexField(msg.subarray(o + 2, end))}`;
    }
    case 24: {
      if (len < 19) throw bad('SIG RDATA too short');
      const signer = readName(msg, o + 18, end);
      if (signer.end >= end) throw bad('SIG has no signature');
      const covered = u16(msg, o);
      // BIND prints a SIG's unknown (or 0) covered type as a bare number (sig_24.c)
      const coveredText = covered === 0 || typeName(covered).startsWith('TYPE') ? String(covered) : typeName(covered);
      const head = [coveredText, msg[o + 2], msg[o + 3], u32(msg, o + 4), sigTime(u32(msg, o + 8)), sigTime(u32(msg, o + 12)), u16(msg, o + 16)];
      return `${head.join(' ')} ${signer.name} ${base64Field(msg.subarray(signer.end, end))}`;
    }
    case 50: case 51: {
      if (len < 5) throw bad('NSEC3 RDATA too short');
      const saltLen = msg[o + 4]!;
      if (o + 5 + saltLen > end) throw bad('NSEC3 salt runs past RDATA');
      const salt = saltLen === 0 ? '-' : hexUpper(msg.subarray(o + 5, o + 5 + saltLen));
      const head = `${msg[o]} ${msg[o + 1]} ${u16(msg, o + 2)} ${salt}`;
      if (typeCode === 51) {
        if (o + 5 + saltLen !== end) throw bad('NSEC3PARAM RDATA has the wrong length');
        return head;
      }
      const hp = o + 5 + saltLen;
      if (hp >= end || hp + 1 + msg[hp]! > end) throw bad('NSEC3 hash runs past RDATA');
      // RFC 5155 3.2: the next hashed owner name is a hash, never empty (BIND rejects 0)
      if (msg[hp] === 0) throw bad('NSEC3 hash is empty');
      const hash = base32hex(msg.subarray(hp + 1, hp + 1 + msg[hp]!));
      return [head, hash, ...readTypeBitmap(msg.subarray(hp + 1 + msg[hp]!, end), 'NSEC3')].join(' ');
    }
    case 256:
      if (len < 4) throw bad('URI RDATA too short');
      return `${u16(msg, o)} ${u16(msg, o + 2)} ${quoteString(msg.subarray(o + 4, end))}`;
    default:
      return olderRdataText(typeCode, msg, o, end) ?? genericRdata(msg.subarray(o, end));
  }
}

/** CERT certificate types (RFC 4398 2.1) and DNSSEC algorithms, as BIND names them. */
const CERT_TYPES: Record<number, string> = { 1: 'PKIX', 2: 'SPKI', 3: 'PGP', 4: 'IPKIX', 5: 'ISPKI', 6: 'IPGP', 7: 'ACPKIX', 8: 'IACPKIX', 253: 'URI', 254: 'OID' };
const SEC_ALGS: Record<number, string> = {
  1: 'RSAMD5', 2: 'DH', 3: 'DSA', 5: 'RSASHA1', 6: 'NSEC3DSA', 7: 'NSEC3RSASHA1', 8: 'RSASHA256', 10: 'RSASHA512',
  12: 'ECCGOST', 13: 'ECDSAP256SHA256', 14: 'ECDSAP384SHA384', 15: 'ED25519', 16: 'ED448', 252: 'INDIRECT', 253: 'PRIVATEDNS', 254: 'PRIVATEOID',
};

/** A LOC size or precision byte (RFC 1876: mantissa and power of ten, in cm), as BIND prints it. */
function locSize(byte: number): string {
  const mantissa = byte >> 4;
  const exponent = byte & 0x0f;
  if (mantissa > 9 || exponent > 9) throw bad('LOC size out of range');
  return exponent >= 2 ? `${mantissa * 10 ** (exponent - 2)}m` : `0.${String(mantissa * 10 ** exponent).padStart(2, '0')}m`;
}

/** A LOC latitude or longitude (thousandths of arc seconds around 2^31) as `D M S.sss H`. */
function locAngle(raw: number, positive: string, negative: string, maxDegrees: number): string {
  let v = raw - 2 ** 31;
  const hemisphere = v < 0 ? negative : positive;
  v = Math.abs(v);
  if (v > maxDegrees * 3_600_000) throw bad('LOC angle out of range');
  const ms = v % 1000;
  const secs = Math.floor(v / 1000) % 60;
  const mins = Math.floor(v / 60_000) % 60;
  const degs = Math.floor(v / 3_600_000);
  return `${degs} ${mins} ${secs}.${String(ms).padStart(3, '0')} ${hemisphere}`;
}

/** A gateway or relay by its type (IPSECKEY, AMTRELAY): none, IPv4, IPv6 or a name. */
function gateway(msg: Buffer, at: number, end: number, type: number, what: string): { text: string; end: number } {
  switch (type) {
    case 0: return { text: '.', end: at };
    case 1:
      if (at + 4 > end) throw bad(`${what} IPv4 gateway runs past RDATA`);
      return { text: ipv4FromBytes(msg.subarray(at, at + 4)), end: at + 4 };
    case 2:
      if (at + 16 > end) throw bad(`${what} IPv6 gateway runs past RDATA`);
      return { text: ipv6FromBytes(msg.subarray(at, at + 16)), end: at + 16 };
    case 3: {
      const n = readName(msg, at, end);
      return { text: n.name, end: n.end };
    }
    default: throw bad(`${what} gateway type ${type}`);
  }
}

/**
 * The older and rarer types BIND prints in their own form (RFC 1035, 1183, 1706, 1876, 2163,
 * 2230, 2874, 3123, 4025, 4398, 4701, 6742, 7043, 7477, 7929, 8005, 8777, 8976 and drafts);
 * undefined for a type without one here (it is then printed in RFC 3597 form). Every form
 * was compared with BIND 9.18's dig (test/fixtures/interop/db.interop.test).
 */
function olderRdataText(typeCode: number, msg: Buffer, o: number, end: number): string | undefined {
  const len = end - o;
  const need = (n: number, what: string) => {
    if (len < n) throw bad(`${what} RDATA too short`);
  };
  const exactly = (n: number, what: string) => {
    if (len !== n) throw bad(`${what} RDATA is ${len} bytes, not ${n}`);
  };
  const strings = (what: string, min: number, max: number) => {
    const out: string[] = [];
    let p = o;
    while (p < end) {
      const r = readStrings(msg.subarray(0, end), p, 1, what);
      out.push(r.texts[0]!);
      p = r.end;
    }
    if (out.length < min || out.length > max) throw bad(`${what} has ${out.length} character-strings`);
    return out.join(' ');
  };
  const names = (at: number, count: number, what: string) => {
    const out: string[] = [];
    let p = at;
    for (let i = 0; i < count; i++) {
      const n = readName(msg, p, end);
      out.push(n.name);
      p = n.end;
    }
    if (p !== end) throw bad(`${what} names do not fill the RDATA`);
    return out.join(' ');
  };
  switch (typeCode) {
    case 3: case 4: case 7: case 8: case 9: // MD MF MB MG MR
      return names(o, 1, typeName(typeCode));
    case 14: case 17: case 58: // MINFO RP TALINK
      return names(o, 2, typeName(typeCode));
    case 18: case 21: case 36: case 107: // AFSDB RT KX LP
      need(2, typeName(typeCode));
      return `${u16(msg, o)} ${names(o + 2, 1, typeName(typeCode))}`;
    case 26: // PX
      need(2, 'PX');
      return `${u16(msg, o)} ${names(o + 2, 2, 'PX')}`;
    case 19: return strings('X25', 1, 1);
    case 20: return strings('ISDN', 1, 2);
    case 27: return strings('GPOS', 3, 3);
    case 56: case 258: return strings(typeName(typeCode), 1, Infinity); // NINFO AVC
    case 22: return `0x${msg.subarray(o, end).toString('hex')}`; // NSAP
    case 108: case 109: // EUI48 EUI64
      exactly(typeCode === 108 ? 6 : 8, typeName(typeCode));
      return [...msg.subarray(o, end)].map((b) => b.toString(16).padStart(2, '0')).join('-');
    case 105: // L32
      exactly(6, 'L32');
      return `${u16(msg, o)} ${ipv4FromBytes(msg.subarray(o + 2, end))}`;
    case 104: case 106: // NID L64
      exactly(10, typeName(typeCode));
      return `${u16(msg, o)} ${[2, 4, 6, 8].map((k) => u16(msg, o + k).toString(16)).join(':')}`;
    case 25: // KEY, as DNSKEY
      need(4, 'KEY');
      return `${u16(msg, o)} ${msg[o + 2]} ${msg[o + 3]} ${base64Field(msg.subarray(o + 4, end))}`;
    case 32768: case 32769: // TA DLV, as DS
      need(5, typeName(typeCode));
      return `${u16(msg, o)} ${msg[o + 2]} ${msg[o + 3]} ${hexField(msg.subarray(o + 4, end))}`;
    case 49: case 61: // DHCID OPENPGPKEY
      need(1, typeName(typeCode));
      return base64Field(msg.subarray(o, end));
    case 37: { // CERT
      need(5, 'CERT');
      const type = u16(msg, o);
      const alg = msg[o + 4]!;
      return `${CERT_TYPES[type] ?? type} ${u16(msg, o + 2)} ${SEC_ALGS[alg] ?? alg} ${base64Field(msg.subarray(o + 5, end))}`;
    }
    case 62: // CSYNC
      need(6, 'CSYNC');
      return [u32(msg, o), u16(msg, o + 4), ...readTypeBitmap(msg.subarray(o + 6, end), 'CSYNC')].join(' ');
    case 63: // ZONEMD
      need(6, 'ZONEMD');
      return `${u32(msg, o)} ${msg[o + 4]} ${msg[o + 5]} ${hexField(msg.subarray(o + 6, end))}`;
    case 45: { // IPSECKEY
      need(3, 'IPSECKEY');
      const gw = gateway(msg, o + 3, end, msg[o + 1]!, 'IPSECKEY');
      const key = msg.subarray(gw.end, end);
      return `${msg[o]} ${msg[o + 1]} ${msg[o + 2]} ${gw.text}${key.length > 0 ? ` ${base64Field(key)}` : ''}`;
    }
    case 260: { // AMTRELAY
      need(2, 'AMTRELAY');
      const type = msg[o + 1]! & 0x7f;
      const relay = gateway(msg, o + 2, end, type, 'AMTRELAY');
      if (relay.end !== end) throw bad('AMTRELAY relay does not fill the RDATA');
      return `${msg[o]} ${msg[o + 1]! >> 7} ${type} ${relay.text}`;
    }
    case 40: // SINK
      need(3, 'SINK');
      return `${msg[o]} ${msg[o + 1]} ${msg[o + 2]}${len > 3 ? ` ${base64Field(msg.subarray(o + 3, end))}` : ''}`;
    case 259: { // DOA: the data is not split
      need(10, 'DOA');
      const media = readStrings(msg.subarray(0, end), o + 9, 1, 'DOA');
      const data = msg.subarray(media.end, end);
      return `${u32(msg, o)} ${u32(msg, o + 4)} ${msg[o + 8]} ${media.texts[0]} ${data.length > 0 ? data.toString('base64') : '-'}`;
    }
    case 55: { // HIP: the public key is not split
      need(4, 'HIP');
      const hitLen = msg[o]!;
      const pkLen = u16(msg, o + 2);
      const pk = o + 4 + hitLen;
      if (hitLen === 0 || pk + pkLen > end) throw bad('HIP HIT or key runs past RDATA');
      const servers: string[] = [];
      for (let p = pk + pkLen; p < end;) {
        const n = readName(msg, p, end);
        servers.push(n.name);
        p = n.end;
      }
      return [msg[o + 1], hexUpper(msg.subarray(o + 4, pk)), msg.subarray(pk, pk + pkLen).toString('base64'), ...servers].join(' ');
    }
    case 29: { // LOC
      exactly(16, 'LOC');
      if (msg[o] !== 0) throw bad(`LOC version ${msg[o]}`);
      const [size, horiz, vert] = [locSize(msg[o + 1]!), locSize(msg[o + 2]!), locSize(msg[o + 3]!)];
      let alt = u32(msg, o + 12);
      const below = alt < 10_000_000;
      alt = below ? 10_000_000 - alt : alt - 10_000_000;
      const altitude = `${below ? '-' : ''}${Math.floor(alt / 100)}.${String(alt % 100).padStart(2, '0')}m`;
      return `${locAngle(u32(msg, o + 4), 'N', 'S', 90)} ${locAngle(u32(msg, o + 8), 'E', 'W', 180)} ${altitude} ${size} ${horiz} ${vert}`;
    }
    case 42: { // APL
      const items: string[] = [];
      for (let p = o; p < end;) {
        if (p + 4 > end) throw bad('APL item runs past RDATA');
        const family = u16(msg, p);
        const prefix = msg[p + 2]!;
        const afdLen = msg[p + 3]! & 0x7f;
        const negate = msg[p + 3]! & 0x80 ? '!' : '';
        const size = family === 1 ? 4 : family === 2 ? 16 : 0;
        if (size === 0 || afdLen > size || prefix > size * 8 || p + 4 + afdLen > end) throw bad('APL item');
        const addr = Buffer.alloc(size);
        msg.copy(addr, 0, p + 4, p + 4 + afdLen);
        items.push(`${negate}${family}:${family === 1 ? ipv4FromBytes(addr) : ipv6FromBytes(addr)}/${prefix}`);
        p += 4 + afdLen;
      }
      return items.join(' ');
    }
    case 11: { // WKS
      need(5, 'WKS');
      const ports: number[] = [];
      for (let i = 5; i < len; i++) {
        for (let bit = 0; bit < 8; bit++) if (msg[o + i]! & (0x80 >> bit)) ports.push((i - 5) * 8 + bit);
      }
      return [ipv4FromBytes(msg.subarray(o, o + 4)), msg[o + 4], ...ports].join(' ');
    }
    case 38: { // A6: the suffix holds the address bits after the prefix; BIND leaves it empty at 128
      need(1, 'A6');
      const prefixLen = msg[o]!;
      if (prefixLen > 128) throw bad('A6 prefix length over 128');
      const suffixLen = 16 - Math.floor(prefixLen / 8);
      if (o + 1 + suffixLen > end) throw bad('A6 suffix runs past RDATA');
      const addr = Buffer.alloc(16);
      msg.copy(addr, 16 - suffixLen, o + 1, o + 1 + suffixLen);
      const suffix = prefixLen === 128 ? '' : ipv6FromBytes(addr);
      const after = o + 1 + suffixLen;
      if (prefixLen === 0) {
        if (after !== end) throw bad('A6 has a prefix name with prefix length 0');
        return `0 ${suffix}`;
      }
      return `${prefixLen} ${suffix} ${names(after, 1, 'A6')}`;
    }
    default:
      return undefined;
  }
}
