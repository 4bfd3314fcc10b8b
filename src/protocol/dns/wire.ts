/**
 * DNS wire format: dns-packet behind a hardening layer.
 *
 * dns-packet decodes well-formed messages but trusts its input: it throws RangeError on
 * short buffers, turns a 0-length A record into "undefined.undefined.undefined.undefined",
 * decodes labels as UTF-8 (so a label holding a dot becomes two labels) and its
 * streamDecode reads past the frame. So every message is first walked here: header,
 * names (pointers only to prior data, RFC 1035 4.1.4), RR framing and per-type RDATA
 * lengths. Only a message that passes is handed to dns-packet, inside a try/catch, and
 * any throw becomes a MALFORMED_PACKET error.
 */
import { createRequire } from 'node:module';
import type * as DnsPacketNS from 'dns-packet';
import { NetlabError } from '../../errors.js';
import { className, opcodeName, rcodeName, typeName } from './types.js';
import { rdataToText } from './present.js';
import { nameToWire, readName } from './names.js';

const require = createRequire(import.meta.url);
// dns-packet is CommonJS; load it once, on first use, so importing this module stays cheap.
let dnsPacket: typeof DnsPacketNS | undefined;
function packet(): typeof DnsPacketNS {
  dnsPacket ??= require('dns-packet') as typeof DnsPacketNS;
  return dnsPacket;
}

export type HeaderFlag = 'qr' | 'aa' | 'tc' | 'rd' | 'ra' | 'ad' | 'cd';

export interface DnsQuestion {
  /** Fully qualified, presentation form (escaped), with the trailing dot. */
  name: string;
  type: string;
  typeCode: number;
  class: string;
  classCode: number;
}

export interface DnsRecord {
  /** Owner name, fully qualified, presentation form. */
  name: string;
  type: string;
  typeCode: number;
  class: string;
  classCode: number;
  /** Seconds. */
  ttl: number;
  /** RDATA in presentation format, as BIND's dig prints it. */
  data: string;
}

export interface EdnsOption {
  code: number;
  name: string;
  /** Raw option data, hex. */
  hex: string;
}

export interface EdnsInfo {
  version: number;
  udpSize: number;
  /** DNSSEC OK bit. */
  do: boolean;
  /** The 16 flag bits of the OPT TTL field, DO included. */
  flags: number;
  options: EdnsOption[];
  /** NSID (RFC 5001), when the server sent one, as text. */
  nsid?: string;
}

export interface DnsMessage {
  id: number;
  opcode: string;
  /** Full RCODE: the header's 4 bits merged with the OPT extended bits. */
  rcodeCode: number;
  rcode: string;
  flags: HeaderFlag[];
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
  edns?: EdnsInfo;
  /** Bytes on the wire. */
  size: number;
}

export interface QueryOptions {
  id: number;
  name: string;
  type: number;
  class?: number;
  recurse?: boolean;
  /** Undefined or false: no OPT record. */
  edns?: { udpSize: number; do?: boolean; nsid?: boolean } | false;
  cd?: boolean;
  ad?: boolean;
}

function malformed(what: string, cause?: unknown): NetlabError {
  return new NetlabError('MALFORMED_PACKET', `malformed DNS message: ${what}`, { cause });
}

// --- the structural walk ---------------------------------------------------------

interface RawRecord {
  name: string;
  typeCode: number;
  classCode: number;
  ttl: number;
  rdataOffset: number;
  rdlength: number;
}

/** Fixed RDATA lengths, and minimums for variable ones, so a short record is an error. */
const FIXED_RDLENGTH: Record<number, number> = { 1: 4, 28: 16 };
const MIN_RDLENGTH: Record<number, number> = {
  2: 1, 5: 1, 12: 1, 39: 1, // a name: at least the root label
  6: 22, 15: 3, 33: 7, 16: 1, 13: 2, 257: 2, 46: 19, 47: 1,
  64: 3, 65: 3, 256: 4,
  // RFC 1035 3.3.14: TXT (and SPF, RFC 7208 3.3) hold one or more character-strings
  99: 1,
  // The digest, fingerprint, certificate data and key are at least one byte (BIND rejects
  // shorter RDATA; an empty field would print as a trailing space): RFC 4034 2.1 and 5.1
  // (DNSKEY, DS; RFC 7344 for CDS/CDNSKEY, whose delete form is `0 0 0 00` / `0 3 0 AA==`),
  // RFC 4255 3.1 (SSHFP), RFC 6698 2.1 and RFC 8162 (TLSA, SMIMEA).
  43: 5, 59: 5, 48: 5, 60: 5, 44: 3, 52: 4, 53: 4,
};

function u16(buf: Uint8Array, o: number): number {
  return (buf[o]! << 8) | buf[o + 1]!;
}
function u32(buf: Uint8Array, o: number): number {
  return ((buf[o]! << 24) >>> 0) + ((buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!);
}

/**
 * Decode a DNS message. Throws NetlabError('MALFORMED_PACKET') on anything that is not a
 * well-formed message; never any other error.
 */
export function decodeMessage(input: Uint8Array): DnsMessage {
  try {
    return decodeUnsafe(Buffer.from(input.buffer, input.byteOffset, input.byteLength));
  } catch (e) {
    if (e instanceof NetlabError) throw e;
    throw malformed(e instanceof Error ? e.message : String(e), e);
  }
}

function decodeUnsafe(buf: Buffer): DnsMessage {
  if (buf.length < 12) throw malformed(`${buf.length} bytes, shorter than a header`);
  const id = u16(buf, 0);
  const bits = u16(buf, 2);
  const counts = [u16(buf, 4), u16(buf, 6), u16(buf, 8), u16(buf, 10)] as const;
  let pos = 12;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const n = readName(buf, pos);
    if (n.end + 4 > buf.length) throw malformed('question runs past the end');
    const t = u16(buf, n.end);
    const c = u16(buf, n.end + 2);
    questions.push({ name: n.name, type: typeName(t), typeCode: t, class: className(c), classCode: c });
    pos = n.end + 4;
  }
  const sections: RawRecord[][] = [[], [], []];
  for (let s = 0; s < 3; s++) {
    const count = counts[(s + 1) as 1 | 2 | 3];
    for (let i = 0; i < count; i++) {
      const n = readName(buf, pos);
      if (n.end + 10 > buf.length) throw malformed('record header runs past the end');
      const typeCode = u16(buf, n.end);
      const rdlength = u16(buf, n.end + 8);
      const rdataOffset = n.end + 10;
      if (rdataOffset + rdlength > buf.length) throw malformed(`${typeName(typeCode)} RDATA runs past the end`);
      const fixed = FIXED_RDLENGTH[typeCode];
      if (fixed !== undefined && rdlength !== fixed) {
        throw malformed(`${typeName(typeCode)} RDATA is ${rdlength} bytes, not ${fixed}`);
      }
      const min = MIN_RDLENGTH[typeCode];
      if (min !== undefined && rdlength < min) {
        throw malformed(`${typeName(typeCode)} RDATA is ${rdlength} bytes, under ${min}`);
      }
      sections[s]!.push({
        name: n.name,
        typeCode,
        classCode: u16(buf, n.end + 2),
        ttl: u32(buf, n.end + 4),
        rdataOffset,
        rdlength,
      });
      pos = rdataOffset + rdlength;
    }
  }
  // Trailing bytes after the last record are tolerated, as BIND does.

  let edns: EdnsInfo | undefined;
  let extendedRcode = 0;
  const out: DnsRecord[][] = [[], [], []];
  for (let s = 0; s < 3; s++) {
    for (const raw of sections[s]!) {
      if (raw.typeCode === 41) {
        if (s !== 2 || edns) throw malformed('OPT record out of place or repeated');
        if (raw.name !== '.') throw malformed('OPT owner is not the root');
        extendedRcode = raw.ttl >>> 24;
        edns = decodeOpt(buf, raw);
        continue;
      }
      out[s]!.push({
        name: raw.name,
        type: typeName(raw.typeCode),
        typeCode: raw.typeCode,
        class: className(raw.classCode),
        classCode: raw.classCode,
        ttl: raw.ttl,
        data: decodeRdata(buf, raw),
      });
    }
  }
  const flags: HeaderFlag[] = [];
  if (bits & 0x8000) flags.push('qr');
  if (bits & 0x0400) flags.push('aa');
  if (bits & 0x0200) flags.push('tc');
  if (bits & 0x0100) flags.push('rd');
  if (bits & 0x0080) flags.push('ra');
  if (bits & 0x0020) flags.push('ad');
  if (bits & 0x0010) flags.push('cd');
  const rcodeCode = (extendedRcode << 4) | (bits & 0x0f);
  const msg: DnsMessage = {
    id,
    opcode: opcodeName((bits >> 11) & 0x0f),
    rcodeCode,
    rcode: rcodeName(rcodeCode),
    flags,
    questions,
    answers: out[0]!,
    authorities: out[1]!,
    additionals: out[2]!,
    size: buf.length,
  };
  if (edns) msg.edns = edns;
  return msg;
}

const EDNS_OPTION_NAMES: Record<number, string> = {
  3: 'NSID', 8: 'CLIENT-SUBNET', 9: 'EXPIRE', 10: 'COOKIE', 11: 'KEEPALIVE', 12: 'PADDING',
  13: 'CHAIN', 14: 'KEY-TAG', 15: 'EDE',
};

function decodeOpt(buf: Buffer, raw: RawRecord): EdnsInfo {
  const options: EdnsOption[] = [];
  let nsid: string | undefined;
  let p = raw.rdataOffset;
  const end = raw.rdataOffset + raw.rdlength;
  while (p < end) {
    if (p + 4 > end) throw malformed('EDNS option header runs past OPT');
    const code = u16(buf, p);
    const len = u16(buf, p + 2);
    if (p + 4 + len > end) throw malformed('EDNS option runs past OPT');
    const data = buf.subarray(p + 4, p + 4 + len);
    options.push({ code, name: EDNS_OPTION_NAMES[code] ?? `OPT${code}`, hex: data.toString('hex') });
    if (code === 3) nsid = data.toString('latin1');
    p += 4 + len;
  }
  const flags = raw.ttl & 0xffff;
  const info: EdnsInfo = {
    version: (raw.ttl >>> 16) & 0xff,
    udpSize: raw.classCode,
    do: (flags & 0x8000) !== 0,
    flags,
    options,
  };
  if (nsid !== undefined) info.nsid = nsid;
  return info;
}

/** Types whose RDATA dns-packet decodes for us; the rest present.ts reads from the bytes. */
// HINFO, CAA, DNSKEY and SSHFP are read from the bytes in present.ts: dns-packet decodes
// their strings as UTF-8, throws on a DNSKEY protocol other than 3 and cannot size an
// SSHFP fingerprint of a hash type other than 1 or 2, all of which dig prints.
const PACKET_CODECS: Record<number, 'txt' | 'ds' | 'tlsa'> = {
  16: 'txt', 99: 'txt', 43: 'ds', 59: 'ds', 52: 'tlsa', 53: 'tlsa',
};

interface RdataCodec {
  decode: { (buf: Buffer, offset: number): unknown; bytes: number };
}

function decodeRdata(buf: Buffer, raw: RawRecord): string {
  const codecName = PACKET_CODECS[raw.typeCode];
  let value: unknown;
  if (codecName !== undefined) {
    // dns-packet codecs read the 2-byte RDLENGTH before the RDATA.
    const codec = (packet() as unknown as Record<string, RdataCodec>)[codecName]!;
    value = codec.decode(buf, raw.rdataOffset - 2);
    if (codec.decode.bytes !== raw.rdlength + 2) {
      throw malformed(`${typeName(raw.typeCode)} RDATA does not fill its ${raw.rdlength} bytes`);
    }
  }
  return rdataToText({ typeCode: raw.typeCode, message: buf, offset: raw.rdataOffset, length: raw.rdlength, value });
}

// --- encoding -------------------------------------------------------------------

/** Build a query message. Throws USAGE for a name that cannot be encoded. */
export function encodeQuery(q: QueryOptions): Buffer {
  const qname = nameToWire(q.name);
  let bits = 0;
  if (q.recurse !== false) bits |= 0x0100;
  if (q.ad) bits |= 0x0020;
  if (q.cd) bits |= 0x0010;
  const optLength = q.edns ? 11 + (q.edns.nsid ? 4 : 0) : 0;
  // one buffer: header, question, and the OPT record when EDNS is on
  const out = Buffer.alloc(12 + qname.length + 4 + optLength);
  out.writeUInt16BE(q.id, 0);
  out.writeUInt16BE(bits, 2);
  out.writeUInt16BE(1, 4);
  qname.copy(out, 12);
  let pos = 12 + qname.length;
  out.writeUInt16BE(q.type, pos);
  out.writeUInt16BE(q.class ?? 1, pos + 2);
  pos += 4;
  if (q.edns) {
    out.writeUInt16BE(1, 10); // ARCOUNT
    out[pos] = 0; // root owner
    out.writeUInt16BE(41, pos + 1);
    out.writeUInt16BE(q.edns.udpSize, pos + 3);
    out.writeUInt32BE(q.edns.do ? 0x8000 : 0, pos + 5);
    out.writeUInt16BE(q.edns.nsid ? 4 : 0, pos + 9);
    if (q.edns.nsid) out.writeUInt16BE(3, pos + 11); // NSID option, empty: code 3, length 0
  }
  return out;
}

// --- TCP framing (RFC 1035 4.2.2) -----------------------------------------------

/** Prefix a message with its 2-byte length. */
export function frame(message: Uint8Array): Buffer {
  if (message.length > 0xffff) throw new NetlabError('INTERNAL', 'DNS message over 65535 bytes');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(message.length, 0);
  return Buffer.concat([len, message]);
}

/**
 * Incremental reader of length-prefixed messages. Unlike dns-packet's streamDecode it never
 * reads past a frame and keeps partial data until the rest arrives.
 */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);
  constructor(private readonly maxPending = 70_000) {}

  /** Feed bytes; returns the complete frames now available. Throws MALFORMED_PACKET past maxPending. */
  push(chunk: Uint8Array): Buffer[] {
    this.pending = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    while (this.pending.length >= 2) {
      const len = this.pending.readUInt16BE(0);
      if (this.pending.length < 2 + len) break;
      frames.push(this.pending.subarray(2, 2 + len));
      this.pending = this.pending.subarray(2 + len);
    }
    if (this.pending.length > this.maxPending) throw malformed('TCP stream holds more than one message can');
    return frames;
  }

  get buffered(): number {
    return this.pending.length;
  }
}

