/**
 * Typed record data: one value per RDATA, discriminated on `type`, for the common types (A,
 * AAAA, NS, CNAME, DNAME, PTR, MX, TXT/SPF, SRV, SOA, CAA, DS/CDS, DNSKEY/CDNSKEY, RRSIG,
 * NSEC, SVCB/HTTPS, TLSA/SMIMEA, NAPTR), and for every other type its presentation text with
 * its bytes. The same value comes out of the wire decoder (wire.ts), the master-file reader
 * (zone/master.ts) and goes into the encoder (wire.ts encodeMessage) the lab answers with;
 * dig's text is derived from it (present.ts). Values are plain JSON-able data:
 * - names are fully qualified, in presentation form (RFC 4343 escapes), with the trailing dot;
 * - addresses are text (IPv6 in RFC 5952 form, as dig prints it);
 * - byte strings (TXT, CAA value, NAPTR fields, alpn-ids) are text: UTF-8, with a byte that is
 *   not valid UTF-8 kept as the lone surrogate U+DC00 + byte (see text.ts), so nothing is lost;
 * - binary fields are hex (upper case: DS digest, TLSA data) or base64 (DNSKEY key, RRSIG
 *   signature, ECH config), as the presentation format has them, without its line splitting.
 */
import { NetlabError } from '../../errors.js';
import { ipv4Bytes, ipv4FromBytes, ipv6FromBytes, parseIPv6 } from '../../util/ip.js';
import { nameToWire, readName } from './names.js';
import { otherRdataText, presentRdata, readTypeBitmap, sigTimeSeconds } from './present.js';
import { bytesToText, textToBytes } from './text.js';
import { className, typeCode, typeName, type TypeName } from './types.js';

/** A or AAAA: the address as text (`192.0.2.1`, `2001:db8::1`). */
export interface AddressData {
  type: 'A' | 'AAAA';
  address: string;
}

/** NS, CNAME, DNAME or PTR: the one name they point to. */
export interface NameData {
  type: 'NS' | 'CNAME' | 'DNAME' | 'PTR';
  target: string;
}

/** MX (RFC 1035 3.3.9). */
export interface MxData {
  type: 'MX';
  preference: number;
  exchange: string;
}

/** TXT (RFC 1035 3.3.14) or SPF: one or more character-strings, each as text (see the module comment). */
export interface TxtData {
  type: 'TXT' | 'SPF';
  strings: string[];
}

/** SRV (RFC 2782). */
export interface SrvData {
  type: 'SRV';
  priority: number;
  weight: number;
  port: number;
  target: string;
}

/** SOA (RFC 1035 3.3.13); the timers in seconds. */
export interface SoaData {
  type: 'SOA';
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

/** CAA (RFC 8659): the value as text (see the module comment). */
export interface CaaData {
  type: 'CAA';
  flags: number;
  tag: string;
  value: string;
}

/** DS (RFC 4034 5) or CDS (RFC 7344): the digest in hex, upper case. */
export interface DsData {
  type: 'DS' | 'CDS';
  keyTag: number;
  algorithm: number;
  digestType: number;
  digest: string;
}

/** DNSKEY (RFC 4034 2) or CDNSKEY: the public key in base64. */
export interface DnskeyData {
  type: 'DNSKEY' | 'CDNSKEY';
  flags: number;
  protocol: number;
  algorithm: number;
  publicKey: string;
}

/**
 * RRSIG (RFC 4034 3). `expiration` and `inception` are seconds since 1970 (UTC): the 32-bit
 * wire values read with serial number arithmetic (RFC 4034 3.1.5), as the time within 68
 * years of now, as BIND reads them. The signature in base64.
 */
export interface RrsigData {
  type: 'RRSIG';
  typeCovered: string;
  algorithm: number;
  labels: number;
  originalTtl: number;
  expiration: number;
  inception: number;
  keyTag: number;
  signerName: string;
  signature: string;
}

/** NSEC (RFC 4034 4): the next owner name and the types present there, as mnemonics. */
export interface NsecData {
  type: 'NSEC';
  nextDomain: string;
  types: string[];
}

/** One SvcParam of SVCB/HTTPS (RFC 9460 7), by its key's name; keys without a name here are `keyNNNNN`. */
export type SvcParam =
  | { key: 'mandatory'; keys: string[] }
  | { key: 'alpn'; ids: string[] }
  | { key: 'no-default-alpn' }
  | { key: 'port'; port: number }
  | { key: 'ipv4hint'; addresses: string[] }
  /** The ECHConfigList in base64 (empty when the value is). */
  | { key: 'ech'; config: string }
  | { key: 'ipv6hint'; addresses: string[] }
  /** Any other key: its value as text (see the module comment), empty when there is none. */
  | { key: `key${number}`; value: string };

/** SVCB or HTTPS (RFC 9460): params in ascending key order, as on the wire. */
export interface SvcbData {
  type: 'SVCB' | 'HTTPS';
  priority: number;
  target: string;
  params: SvcParam[];
}

/** TLSA (RFC 6698) or SMIMEA (RFC 8162): the certificate association data in hex, upper case. */
export interface TlsaData {
  type: 'TLSA' | 'SMIMEA';
  usage: number;
  selector: number;
  matchingType: number;
  certificate: string;
}

/** NAPTR (RFC 3403 4.1): flags, services and regexp as text (see the module comment). */
export interface NaptrData {
  type: 'NAPTR';
  order: number;
  preference: number;
  flags: string;
  services: string;
  regexp: string;
  replacement: string;
}

/** The types with a typed value above. */
export type TypedTypeName = (AddressData | NameData | MxData | TxtData | SrvData | SoaData | CaaData | DsData | DnskeyData | RrsigData | NsecData | SvcbData | TlsaData | NaptrData)['type'];

/** Every other type: a mnemonic netlab knows (`HINFO`, `SSHFP`, `URI`...), or `TYPEnnn`. */
export type OtherTypeName = Exclude<TypeName, TypedTypeName> | `TYPE${number}`;

/**
 * Any other type: the RDATA as dig prints it (`"PC" "Linux"`, or RFC 3597's `\# 4 0A000001`
 * for a type without a presentation form here), and its bytes in hex, upper case, with any
 * compressed name expanded, so the record can be encoded again.
 */
export interface OtherData {
  type: OtherTypeName;
  text: string;
  hex: string;
}

/** The typed value of one RDATA, discriminated on `type`. */
export type RecordData =
  | AddressData | NameData | MxData | TxtData | SrvData | SoaData | CaaData | DsData | DnskeyData
  | RrsigData | NsecData | SvcbData | TlsaData | NaptrData | OtherData;

/**
 * One resource record, the one shape of netlab: what the decoder returns, what the master-file
 * reader returns, what the lab serves and encodes. `data` is the RDATA in presentation format
 * (as BIND's dig prints it), derived from `rdata`.
 */
export interface DnsRecord {
  /** Owner name, fully qualified, presentation form, with the trailing dot. */
  name: string;
  type: string;
  typeCode: number;
  class: string;
  classCode: number;
  /** Seconds. */
  ttl: number;
  /** RDATA in presentation format, as BIND's dig prints it. */
  data: string;
  /** RDATA as a typed value. */
  rdata: RecordData;
}

function bad(what: string): NetlabError {
  return new NetlabError('MALFORMED_PACKET', `malformed DNS message: ${what}`);
}

function invalid(what: string): NetlabError {
  return new NetlabError('USAGE', what);
}

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}
function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) >>> 0) + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
}

/** Fixed RDATA lengths, and minimums for variable ones, so a short record is an error. */
const FIXED_RDLENGTH: Record<number, number> = { 1: 4, 28: 16 };
const MIN_RDLENGTH: Record<number, number> = {
  2: 1, 5: 1, 12: 1, 39: 1, // a name: at least the root label
  6: 22, 15: 3, 33: 7, 16: 1, 13: 2, 257: 2, 46: 19, 47: 1,
  64: 3, 65: 3, 256: 4, 35: 8,
  // RFC 1035 3.3.14: TXT (and SPF, RFC 7208 3.3) hold one or more character-strings
  99: 1,
  // The digest, fingerprint, certificate data and key are at least one byte (BIND rejects
  // shorter RDATA; an empty field would print as a trailing space): RFC 4034 2.1 and 5.1
  // (DNSKEY, DS; RFC 7344 for CDS/CDNSKEY, whose delete form is `0 0 0 00` / `0 3 0 AA==`),
  // RFC 4255 3.1 (SSHFP), RFC 6698 2.1 and RFC 8162 (TLSA, SMIMEA).
  43: 5, 59: 5, 48: 5, 60: 5, 44: 3, 52: 4, 53: 4,
};

/** Throws MALFORMED_PACKET when `length` bytes cannot be RDATA of this type. */
export function checkRdataLength(code: number, length: number): void {
  const fixed = FIXED_RDLENGTH[code];
  if (fixed !== undefined && length !== fixed) throw bad(`${typeName(code)} RDATA is ${length} bytes, not ${fixed}`);
  const min = MIN_RDLENGTH[code];
  if (min !== undefined && length < min) throw bad(`${typeName(code)} RDATA is ${length} bytes, under ${min}`);
}

/** Read a name that must end exactly at `end`. */
function nameFilling(msg: Uint8Array, offset: number, end: number, what: string): string {
  const n = readName(msg, offset, end);
  if (n.end !== end) throw bad(`${what} name does not fill its RDATA`);
  return n.name;
}

/** `count` character-strings (RFC 1035 3.3) from `start`, as bytes. */
function readStrings(b: Uint8Array, start: number, end: number, count: number, what: string): { strings: Uint8Array[]; end: number } {
  const strings: Uint8Array[] = [];
  let p = start;
  for (let i = 0; i < count; i++) {
    if (p >= end || p + 1 + b[p]! > end) throw bad(`${what} character-string runs past RDATA`);
    strings.push(b.subarray(p + 1, p + 1 + b[p]!));
    p += 1 + b[p]!;
  }
  return { strings, end: p };
}

/** Whether the (already validated) name at `offset` uses a compression pointer. */
function isCompressed(msg: Uint8Array, offset: number): boolean {
  let p = offset;
  while (msg[p] !== 0 && (msg[p]! & 0xc0) === 0) p += 1 + msg[p]!;
  return msg[p] !== 0;
}

const SVC_KEYS = ['mandatory', 'alpn', 'no-default-alpn', 'port', 'ipv4hint', 'ech', 'ipv6hint'] as const;

/** The name of a SvcParamKey (RFC 9460 14.3.2): `alpn`, or `key65000` for one without a name. */
export function svcKeyName(key: number): string {
  return SVC_KEYS[key] ?? `key${key}`;
}

/** The number of a SvcParamKey name (`alpn`, `key65000`); undefined when it is neither. */
export function svcKeyCode(name: string): number | undefined {
  const known = (SVC_KEYS as readonly string[]).indexOf(name);
  if (known >= 0) return known;
  const m = /^key(\d{1,5})$/.exec(name);
  return m && Number(m[1]) <= 65535 ? Number(m[1]) : undefined;
}

function svcParam(key: number, v: Uint8Array): SvcParam {
  switch (key) {
    case 0: {
      // RFC 9460 8: a list of one or more keys
      if (v.length === 0 || v.length % 2) throw bad('mandatory SvcParam length');
      const keys: string[] = [];
      for (let i = 0; i < v.length; i += 2) keys.push(svcKeyName(u16(v, i)));
      return { key: 'mandatory', keys };
    }
    case 1: {
      // RFC 9460 7.1.1: at least one alpn-id, none of them empty
      if (v.length === 0) throw bad('empty alpn SvcParam');
      const ids: string[] = [];
      for (let p = 0; p < v.length; ) {
        const len = v[p]!;
        if (len === 0) throw bad('empty alpn-id');
        if (p + 1 + len > v.length) throw bad('alpn value runs past its SvcParam');
        ids.push(bytesToText(v.subarray(p + 1, p + 1 + len)));
        p += 1 + len;
      }
      return { key: 'alpn', ids };
    }
    case 2:
      // RFC 9460 7.1.1: no-default-alpn has an empty value
      if (v.length !== 0) throw bad('no-default-alpn SvcParam with a value');
      return { key: 'no-default-alpn' };
    case 3:
      if (v.length !== 2) throw bad('port SvcParam is not 2 bytes');
      return { key: 'port', port: u16(v, 0) };
    case 4: {
      if (v.length === 0 || v.length % 4) throw bad('ipv4hint SvcParam length');
      const addresses: string[] = [];
      for (let i = 0; i < v.length; i += 4) addresses.push(ipv4FromBytes(v, i));
      return { key: 'ipv4hint', addresses };
    }
    case 5: return { key: 'ech', config: Buffer.from(v).toString('base64') };
    case 6: {
      if (v.length === 0 || v.length % 16) throw bad('ipv6hint SvcParam length');
      const addresses: string[] = [];
      for (let i = 0; i < v.length; i += 16) addresses.push(ipv6FromBytes(v.subarray(i, i + 16)));
      return { key: 'ipv6hint', addresses };
    }
    default:
      return { key: `key${key}`, value: bytesToText(v) };
  }
}

function hexUpper(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex').toUpperCase();
}

function base64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

/**
 * The RDATA bytes of a type without a typed value, with names that a sender may compress
 * (RFC 3597 4: the RFC 1035 types and RP, AFSDB, RT, SIG, PX, KX, A6) written out in full,
 * so that the bytes mean the same outside their message.
 */
function uncompressedBytes(code: number, msg: Uint8Array, o: number, end: number): Uint8Array {
  let prefix = -1;
  let names = 0;
  switch (code) {
    case 3: case 4: case 7: case 8: case 9: prefix = 0; names = 1; break; // MD MF MB MG MR
    case 14: case 17: prefix = 0; names = 2; break; // MINFO RP
    case 18: case 21: case 36: prefix = 2; names = 1; break; // AFSDB RT KX
    case 26: prefix = 2; names = 2; break; // PX
    case 24: prefix = 18; names = 1; break; // SIG: the signer, then the signature
    case 38: { // A6: the prefix length, the address suffix, then (unless 0) the prefix name
      const pl = msg[o]!;
      if (pl > 0 && pl <= 128) {
        prefix = 1 + 16 - Math.floor(pl / 8);
        names = 1;
      }
      break;
    }
    default: break;
  }
  if (prefix < 0 || o + prefix > end) return msg.subarray(o, end);
  const parts: Uint8Array[] = [msg.subarray(o, o + prefix)];
  let p = o + prefix;
  for (let i = 0; i < names && p < end; i++) {
    const n = readName(msg, p, end);
    parts.push(nameToWire(n.name));
    p = n.end;
  }
  parts.push(msg.subarray(p, end));
  return Buffer.concat(parts);
}

/**
 * Decode the RDATA at `offset` (of `length` bytes) in `message` into its typed value. The
 * whole message is given so that compressed names can be followed. Throws NetlabError
 * MALFORMED_PACKET when the bytes do not form RDATA of that type (as BIND rejects it).
 */
export function decodeRdata(code: number, message: Uint8Array, offset: number, length: number): RecordData {
  checkRdataLength(code, length);
  const msg = message;
  const o = offset;
  const end = o + length;
  const type = typeName(code);
  switch (code) {
    case 1: return { type: 'A', address: ipv4FromBytes(msg, o) };
    case 28: return { type: 'AAAA', address: ipv6FromBytes(msg.subarray(o, end)) };
    case 2: case 5: case 12: case 39:
      return { type: type as NameData['type'], target: nameFilling(msg, o, end, 'target') };
    case 15: return { type: 'MX', preference: u16(msg, o), exchange: nameFilling(msg, o + 2, end, 'MX') };
    case 33:
      return { type: 'SRV', priority: u16(msg, o), weight: u16(msg, o + 2), port: u16(msg, o + 4), target: nameFilling(msg, o + 6, end, 'SRV') };
    case 6: {
      const mname = readName(msg, o, end);
      const rname = readName(msg, mname.end, end);
      if (rname.end + 20 !== end) throw bad('SOA RDATA has the wrong length');
      const t = rname.end;
      return { type: 'SOA', mname: mname.name, rname: rname.name, serial: u32(msg, t), refresh: u32(msg, t + 4), retry: u32(msg, t + 8), expire: u32(msg, t + 12), minimum: u32(msg, t + 16) };
    }
    case 16: case 99: {
      const strings: string[] = [];
      for (let p = o; p < end; ) {
        const r = readStrings(msg, p, end, 1, type);
        strings.push(bytesToText(r.strings[0]!));
        p = r.end;
      }
      return { type: type as TxtData['type'], strings };
    }
    case 257: {
      // RFC 8659 4.1: the tag is at least one ASCII letter or digit; BIND rejects anything else
      const tagLen = msg[o + 1]!;
      if (tagLen === 0 || o + 2 + tagLen > end) throw bad('CAA tag length');
      const tag = msg.subarray(o + 2, o + 2 + tagLen);
      if (!tag.every((c) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) {
        throw bad('CAA tag is not alphanumeric');
      }
      return { type: 'CAA', flags: msg[o]!, tag: Buffer.from(tag).toString('latin1'), value: bytesToText(msg.subarray(o + 2 + tagLen, end)) };
    }
    case 43: case 59:
      return { type: type as DsData['type'], keyTag: u16(msg, o), algorithm: msg[o + 2]!, digestType: msg[o + 3]!, digest: hexUpper(msg.subarray(o + 4, end)) };
    case 48: case 60:
      // the protocol field as it came (RFC 4034 2.1.2 says 3, but dig shows whatever came)
      return { type: type as DnskeyData['type'], flags: u16(msg, o), protocol: msg[o + 2]!, algorithm: msg[o + 3]!, publicKey: base64(msg.subarray(o + 4, end)) };
    case 52: case 53:
      return { type: type as TlsaData['type'], usage: msg[o]!, selector: msg[o + 1]!, matchingType: msg[o + 2]!, certificate: hexUpper(msg.subarray(o + 3, end)) };
    case 46: {
      const signer = readName(msg, o + 18, end);
      // RFC 4034 3.1.7: the RRSIG signer's name is never compressed (BIND rejects a pointer)
      if (isCompressed(msg, o + 18)) throw bad('RRSIG signer name is compressed');
      // RFC 4034 3.1.8: the signature follows the signer; BIND rejects an empty one
      if (signer.end >= end) throw bad('RRSIG has no signature');
      return {
        type: 'RRSIG', typeCovered: typeName(u16(msg, o)), algorithm: msg[o + 2]!, labels: msg[o + 3]!, originalTtl: u32(msg, o + 4),
        expiration: sigTimeSeconds(u32(msg, o + 8)), inception: sigTimeSeconds(u32(msg, o + 12)), keyTag: u16(msg, o + 16),
        signerName: signer.name, signature: base64(msg.subarray(signer.end, end)),
      };
    }
    case 47: {
      const next = readName(msg, o, end);
      return { type: 'NSEC', nextDomain: next.name, types: readTypeBitmap(msg.subarray(next.end, end), 'NSEC') };
    }
    case 64: case 65: {
      const target = readName(msg, o + 2, end);
      const params: SvcParam[] = [];
      let p = target.end;
      let lastKey = -1;
      while (p < end) {
        if (p + 4 > end) throw bad('SvcParam header runs past RDATA');
        const key = u16(msg, p);
        const len = u16(msg, p + 2);
        if (key <= lastKey) throw bad('SvcParam keys out of order');
        lastKey = key;
        if (p + 4 + len > end) throw bad('SvcParam runs past RDATA');
        params.push(svcParam(key, msg.subarray(p + 4, p + 4 + len)));
        p += 4 + len;
      }
      return { type: type as SvcbData['type'], priority: u16(msg, o), target: target.name, params };
    }
    case 35: {
      const s = readStrings(msg, o + 4, end, 3, 'NAPTR');
      const [flags, services, regexp] = s.strings.map(bytesToText) as [string, string, string];
      return { type: 'NAPTR', order: u16(msg, o), preference: u16(msg, o + 2), flags, services, regexp, replacement: nameFilling(msg, s.end, end, 'NAPTR') };
    }
    default: {
      const text = otherRdataText(code, msg, o, end);
      return { type: type as OtherTypeName, text, hex: hexUpper(uncompressedBytes(code, msg, o, end)) };
    }
  }
}

// --- encoding ----------------------------------------------------------------------

function be16(n: number, what: string): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw invalid(`${what} ${n} is not a 16-bit number`);
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
function be32(n: number, what: string): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw invalid(`${what} ${n} is not a 32-bit number`);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
function byte(n: number, what: string): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xff) throw invalid(`${what} ${n} is not an 8-bit number`);
  return Buffer.from([n]);
}

/** A character-string: length byte and bytes. */
function charString(text: string, what: string): Buffer {
  const b = textToBytes(text);
  if (b.length > 255) throw invalid(`${what} is longer than 255 bytes`);
  return Buffer.concat([Buffer.from([b.length]), b]);
}

function fromHex(text: string, what: string): Buffer {
  const clean = text.replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(clean)) throw invalid(`${what} is not hex`);
  return Buffer.from(clean, 'hex');
}

function fromBase64(text: string, what: string): Buffer {
  const clean = text.replace(/\s+/g, '');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(clean)) throw invalid(`${what} is not base64`);
  return Buffer.from(clean, 'base64');
}

function address4(text: string): Uint8Array {
  const b = ipv4Bytes(text);
  if (!b) throw invalid(`'${text}' is not an IPv4 address`);
  return b;
}

function address6(text: string): Uint8Array {
  const b = parseIPv6(text);
  if (!b) throw invalid(`'${text}' is not an IPv6 address`);
  return b;
}

/** RFC 4034 4.1.2: windows of up to 32 bytes, in ascending order, no empty window. */
export function encodeTypeBitmap(types: readonly string[]): Buffer {
  const codes = [...new Set(types.map((t) => {
    const c = typeCode(t);
    if (c === undefined) throw invalid(`unknown type '${t}' in a type bitmap`);
    return c;
  }))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  for (let i = 0; i < codes.length; ) {
    const win = codes[i]! >> 8;
    const bits = Buffer.alloc(32);
    let len = 0;
    while (i < codes.length && codes[i]! >> 8 === win) {
      const low = codes[i]! & 0xff;
      bits[low >> 3]! |= 0x80 >> (low & 7);
      len = (low >> 3) + 1;
      i++;
    }
    parts.push(Buffer.from([win, len]), bits.subarray(0, len));
  }
  return Buffer.concat(parts);
}

/** The alpn value (RFC 9460 7.1): length-prefixed alpn-ids, none empty. */
function alpnBytes(ids: readonly string[]): Buffer {
  if (ids.length === 0) throw invalid('alpn needs at least one protocol id');
  return Buffer.concat(ids.map((id) => {
    if (id === '') throw invalid('an empty alpn id');
    return charString(id, 'an alpn id');
  }));
}

function svcParamBytes(p: SvcParam): { key: number; value: Buffer } {
  const key = svcKeyCode(p.key);
  if (key === undefined) throw invalid(`unknown SvcParam key '${p.key}'`);
  switch (p.key) {
    case 'mandatory':
      if (p.keys.length === 0) throw invalid('mandatory needs at least one key');
      return {
        key, value: Buffer.concat(p.keys.map((k) => {
          const c = svcKeyCode(k);
          if (c === undefined) throw invalid(`unknown SvcParam key '${k}' in mandatory`);
          return be16(c, 'key');
        })),
      };
    case 'alpn': return { key, value: alpnBytes(p.ids) };
    case 'no-default-alpn': return { key, value: Buffer.alloc(0) };
    case 'port': return { key, value: be16(p.port, 'port') };
    case 'ipv4hint':
      if (p.addresses.length === 0) throw invalid('ipv4hint needs at least one address');
      return { key, value: Buffer.concat(p.addresses.map(address4)) };
    case 'ech': return { key, value: fromBase64(p.config, 'the ech config') };
    case 'ipv6hint':
      if (p.addresses.length === 0) throw invalid('ipv6hint needs at least one address');
      return { key, value: Buffer.concat(p.addresses.map(address6)) };
    default: return { key, value: textToBytes(p.value) };
  }
}

/**
 * The wire form of a typed value (names uncompressed, RFC 3597 4). Throws NetlabError USAGE
 * for a value that cannot be encoded (a bad address, a number out of range, a string over
 * 255 bytes, bad hex or base64, a name that is not a name).
 */
export function encodeRdata(rd: RecordData): Buffer {
  switch (rd.type) {
    case 'A': return Buffer.from(address4(rd.address));
    case 'AAAA': return Buffer.from(address6(rd.address));
    case 'NS': case 'CNAME': case 'DNAME': case 'PTR': return nameToWire(rd.target);
    case 'MX': return Buffer.concat([be16(rd.preference, 'MX preference'), nameToWire(rd.exchange)]);
    case 'TXT': case 'SPF':
      if (rd.strings.length === 0) throw invalid(`${rd.type} needs at least one string`);
      return Buffer.concat(rd.strings.map((s) => charString(s, `a ${rd.type} string`)));
    case 'SRV':
      return Buffer.concat([be16(rd.priority, 'SRV priority'), be16(rd.weight, 'SRV weight'), be16(rd.port, 'SRV port'), nameToWire(rd.target)]);
    case 'SOA':
      return Buffer.concat([
        nameToWire(rd.mname), nameToWire(rd.rname), be32(rd.serial, 'SOA serial'), be32(rd.refresh, 'SOA refresh'),
        be32(rd.retry, 'SOA retry'), be32(rd.expire, 'SOA expire'), be32(rd.minimum, 'SOA minimum'),
      ]);
    case 'CAA': {
      if (!/^[a-zA-Z0-9]{1,255}$/.test(rd.tag)) throw invalid(`bad CAA tag '${rd.tag}'`);
      return Buffer.concat([byte(rd.flags, 'CAA flags'), Buffer.from([rd.tag.length]), Buffer.from(rd.tag, 'latin1'), textToBytes(rd.value)]);
    }
    case 'DS': case 'CDS': {
      const digest = fromHex(rd.digest, `the ${rd.type} digest`);
      if (digest.length === 0) throw invalid(`the ${rd.type} digest is empty`);
      return Buffer.concat([be16(rd.keyTag, 'key tag'), byte(rd.algorithm, 'algorithm'), byte(rd.digestType, 'digest type'), digest]);
    }
    case 'DNSKEY': case 'CDNSKEY': {
      const key = fromBase64(rd.publicKey, `the ${rd.type} key`);
      if (key.length === 0) throw invalid(`the ${rd.type} key is empty`);
      return Buffer.concat([be16(rd.flags, 'flags'), byte(rd.protocol, 'protocol'), byte(rd.algorithm, 'algorithm'), key]);
    }
    case 'RRSIG': {
      const covered = typeCode(rd.typeCovered);
      if (covered === undefined) throw invalid(`unknown type covered '${rd.typeCovered}'`);
      const signature = fromBase64(rd.signature, 'the RRSIG signature');
      if (signature.length === 0) throw invalid('the RRSIG signature is empty');
      return Buffer.concat([
        be16(covered, 'type covered'), byte(rd.algorithm, 'algorithm'), byte(rd.labels, 'labels'), be32(rd.originalTtl, 'original TTL'),
        be32(rd.expiration >>> 0, 'expiration'), be32(rd.inception >>> 0, 'inception'), be16(rd.keyTag, 'key tag'),
        nameToWire(rd.signerName), signature,
      ]);
    }
    case 'NSEC': return Buffer.concat([nameToWire(rd.nextDomain), encodeTypeBitmap(rd.types)]);
    case 'SVCB': case 'HTTPS': {
      const params = rd.params.map(svcParamBytes).sort((a, b) => a.key - b.key);
      const parts: Buffer[] = [be16(rd.priority, 'SvcPriority'), nameToWire(rd.target)];
      params.forEach((p, i) => {
        if (i > 0 && params[i - 1]!.key === p.key) throw invalid(`SvcParam ${svcKeyName(p.key)} given twice`);
        if (p.value.length > 0xffff) throw invalid(`SvcParam ${svcKeyName(p.key)} is too long`);
        parts.push(be16(p.key, 'key'), be16(p.value.length, 'length'), p.value);
      });
      return Buffer.concat(parts);
    }
    case 'TLSA': case 'SMIMEA': {
      const data = fromHex(rd.certificate, `the ${rd.type} data`);
      if (data.length === 0) throw invalid(`the ${rd.type} data is empty`);
      return Buffer.concat([byte(rd.usage, 'usage'), byte(rd.selector, 'selector'), byte(rd.matchingType, 'matching type'), data]);
    }
    case 'NAPTR':
      return Buffer.concat([
        be16(rd.order, 'NAPTR order'), be16(rd.preference, 'NAPTR preference'), charString(rd.flags, 'NAPTR flags'),
        charString(rd.services, 'NAPTR services'), charString(rd.regexp, 'NAPTR regexp'), nameToWire(rd.replacement),
      ]);
    default:
      return fromHex(rd.hex, `the ${rd.type} RDATA`);
  }
}

/**
 * A record from its owner name, TTL (seconds) and typed value: the mnemonics, codes and the
 * presentation text filled in. The owner gets its trailing dot if it has none. Throws
 * NetlabError USAGE for an unknown type or class.
 */
export function makeRecord(name: string, ttl: number, rdata: RecordData, classCodeValue = 1): DnsRecord {
  const code = typeCode(rdata.type);
  if (code === undefined) throw invalid(`unknown record type '${rdata.type}'`);
  return {
    name: name.endsWith('.') ? name : `${name}.`,
    type: rdata.type,
    typeCode: code,
    class: className(classCodeValue),
    classCode: classCodeValue,
    ttl,
    data: presentRdata(rdata),
    rdata,
  };
}
