/**
 * DNS wire format: one decoder that trusts nothing, and one encoder for whole messages.
 *
 * Every message is walked here before anything is read from it: header, names (pointers only
 * to prior data, RFC 1035 4.1.4), RR framing and per-type RDATA lengths; then each RDATA is
 * decoded into its typed value (rdata.ts), which throws on anything BIND would reject. Any
 * failure is a MALFORMED_PACKET error, never a RangeError. (netlab used dns-packet here; it
 * trusts its input: it throws RangeError on short buffers, turns a 0-length A record into
 * "undefined.undefined.undefined.undefined", decodes labels and strings as UTF-8, and its
 * streamDecode reads past the frame.)
 */
import { NetlabError } from '../../errors.js';
import { className, opcodeName, rcodeName, typeCode as typeCodeOf, typeName } from './types.js';
import { checkRdataLength, decodeRdata, encodeRdata, type DnsRecord, type RecordData } from './rdata.js';
import { presentRdata } from './present.js';
import { nameToWire, readName, withNameCache } from './names.js';
import { decodeClientSubnet, encodeClientSubnet, encodeCookie, type ClientSubnet, type CookieVerdict, type DnsCookie } from './edns-options.js';

/** The record shape and its typed value live in rdata.ts; here for the decoder's users. */
export type { DnsRecord, RecordData } from './rdata.js';

/** A header flag bit, by dig's name. */
export type HeaderFlag = 'qr' | 'aa' | 'tc' | 'rd' | 'ra' | 'ad' | 'cd';

/** A question of a decoded message. */
export interface DnsQuestion {
  /** Fully qualified, presentation form (escaped), with the trailing dot. */
  name: string;
  type: string;
  typeCode: number;
  class: string;
  classCode: number;
}

/** An EDNS option (RFC 6891 6.1.2) as it came: its code, a name (`NSID`, `COOKIE`, `OPT65001`) and its data. */
export interface EdnsOption {
  code: number;
  name: string;
  /** Raw option data, hex. */
  hex: string;
  /** CLIENT-SUBNET (RFC 7871), when valid: 1 IPv4 or 2 IPv6. */
  family?: 1 | 2;
  /** CLIENT-SUBNET: the address, bits beyond sourcePrefix zero. */
  address?: string;
  sourcePrefix?: number;
  /** CLIENT-SUBNET: how many bits of the address the answer depends on (RFC 7871 7.2.1). */
  scopePrefix?: number;
  /** COOKIE (RFC 7873), when well-formed: the client cookie, hex. */
  client?: string;
  /** COOKIE: the server cookie, hex, when there is one. */
  server?: string;
  /** COOKIE in a reply: how it relates to the cookie sent (set by the client that sent it, as dig shows it). */
  verdict?: CookieVerdict;
}

/** The OPT record of a decoded message (RFC 6891). */
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

/** A decoded DNS message: header, questions, the three record sections (OPT taken out into `edns`). */
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

/** A query to encode (encodeQuery): id, name, type and class codes, RD (default on), EDNS, CD and AD. */
export interface QueryOptions {
  id: number;
  name: string;
  type: number;
  class?: number;
  recurse?: boolean;
  /** Undefined or false: no OPT record. */
  edns?: { udpSize: number; do?: boolean; nsid?: boolean; subnet?: ClientSubnet; cookie?: DnsCookie } | false;
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
    // a Buffer as it is (every transport reads Buffers); another Uint8Array as a view of its bytes
    const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    return withNameCache(buf, () => decodeUnsafe(buf));
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
      checkRdataLength(typeCode, rdlength);
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
      const rdata = decodeRdata(raw.typeCode, buf, raw.rdataOffset, raw.rdlength);
      out[s]!.push({
        name: raw.name,
        type: typeName(raw.typeCode),
        typeCode: raw.typeCode,
        class: className(raw.classCode),
        classCode: raw.classCode,
        ttl: raw.ttl,
        data: presentRdata(rdata),
        rdata,
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
    const hex = data.toString('hex');
    const option: EdnsOption = { code, name: EDNS_OPTION_NAMES[code] ?? `OPT${code}`, hex };
    if (code === 3) nsid = data.toString('latin1');
    else if (code === 8) {
      const ecs = decodeClientSubnet(data);
      if (ecs) {
        option.family = ecs.family;
        option.address = ecs.address;
        option.sourcePrefix = ecs.sourcePrefix;
        option.scopePrefix = ecs.scopePrefix;
      }
    } else if (code === 10 && (len === 8 || (len >= 16 && len <= 40))) {
      // RFC 7873 4: the client cookie, then the server's (decodeCookie, from the hex at hand)
      option.client = hex.slice(0, 16);
      if (len > 8) option.server = hex.slice(16);
    }
    options.push(option);
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

// --- encoding -------------------------------------------------------------------

/** Build a query message. Throws USAGE for a name that cannot be encoded. */
export function encodeQuery(q: QueryOptions): Buffer {
  const qname = nameToWire(q.name);
  let bits = 0;
  if (q.recurse !== false) bits |= 0x0100;
  if (q.ad) bits |= 0x0020;
  if (q.cd) bits |= 0x0010;
  // ECS (RFC 7871) and COOKIE (RFC 7873) after NSID, each a 4-byte option header and its data
  const ecs = q.edns && q.edns.subnet ? optionBytes(8, q.edns.subnet, encodeClientSubnet) : undefined;
  const cookie = q.edns && q.edns.cookie ? optionBytes(10, q.edns.cookie, encodeCookie) : undefined;
  const optLength = q.edns ? 11 + (q.edns.nsid ? 4 : 0) + (ecs?.length ?? 0) + (cookie?.length ?? 0) : 0;
  // one buffer: header, question, and the OPT record when EDNS is on; every byte is written below
  const out = Buffer.allocUnsafe(12 + qname.length + 4 + optLength);
  out.writeUInt16BE(q.id, 0);
  out.writeUInt16BE(bits, 2);
  out.writeUInt32BE(0x00010000, 4); // QDCOUNT 1, ANCOUNT 0
  out.writeUInt32BE(q.edns ? 1 : 0, 8); // NSCOUNT 0, ARCOUNT
  qname.copy(out, 12);
  let pos = 12 + qname.length;
  out.writeUInt16BE(q.type, pos);
  out.writeUInt16BE(q.class ?? 1, pos + 2);
  pos += 4;
  if (q.edns) {
    out[pos] = 0; // root owner
    out.writeUInt16BE(41, pos + 1);
    out.writeUInt16BE(q.edns.udpSize, pos + 3);
    out.writeUInt32BE(q.edns.do ? 0x8000 : 0, pos + 5);
    out.writeUInt16BE(optLength - 11, pos + 9);
    pos += 11;
    if (q.edns.nsid) {
      out.writeUInt32BE(0x00030000, pos); // NSID option, empty: code 3, length 0
      pos += 4;
    }
    if (ecs) pos += ecs.copy(out, pos);
    if (cookie) cookie.copy(out, pos);
  }
  return out;
}

// A batch sends the same client subnet and cookie objects again and again: encode each once.
const OPTION_BYTES = new WeakMap<object, Buffer>();

function optionBytes<T extends object>(code: number, value: T, encode: (v: T) => Buffer): Buffer {
  let b = OPTION_BYTES.get(value);
  if (!b) {
    const data = encode(value);
    b = Buffer.alloc(4 + data.length);
    b.writeUInt16BE(code, 0);
    b.writeUInt16BE(data.length, 2);
    data.copy(b, 4);
    OPTION_BYTES.set(value, b);
  }
  return b;
}

/** A record to encode: a decoded or read DnsRecord does, or just its owner, TTL and typed value. */
export interface RecordInput {
  /** Owner name, presentation form (escapes understood). */
  name: string;
  /** Seconds. */
  ttl: number;
  rdata: RecordData;
  /** Default 1 (IN). */
  classCode?: number;
}

/** A question to encode: a decoded DnsQuestion does. */
export interface QuestionInput {
  name: string;
  typeCode: number;
  /** Default 1 (IN). */
  classCode?: number;
}

/** The OPT record (RFC 6891) of a message to encode. */
export interface EdnsInput {
  udpSize: number;
  /** Default 0. */
  version?: number;
  /** DNSSEC OK. */
  do?: boolean;
  /** Options in order, their data in hex (as EdnsOption has it). */
  options?: ReadonlyArray<{ code: number; hex: string }>;
}

/** A whole message to encode (encodeMessage). */
export interface MessageInput {
  id: number;
  /** Header flags to set. */
  flags?: readonly HeaderFlag[];
  /** Default 0 (QUERY). */
  opcode?: number;
  /** Full RCODE; the bits above the header's 4 go into the OPT record (RFC 6891 6.1.3), which needs `edns`. */
  rcode?: number;
  questions?: readonly QuestionInput[];
  answers?: readonly RecordInput[];
  authorities?: readonly RecordInput[];
  additionals?: readonly RecordInput[];
  /** Adds an OPT record at the end of the additional section. */
  edns?: EdnsInput;
}

const FLAG_BITS: Record<HeaderFlag, number> = { qr: 0x8000, aa: 0x0400, tc: 0x0200, rd: 0x0100, ra: 0x0080, ad: 0x0020, cd: 0x0010 };

function encodeRecord(r: RecordInput): Buffer[] {
  const type = typeCodeOf(r.rdata.type);
  if (type === undefined) throw new NetlabError('USAGE', `unknown record type '${r.rdata.type}'`);
  const rdata = encodeRdata(r.rdata);
  if (rdata.length > 0xffff) throw new NetlabError('USAGE', `${r.name} ${r.rdata.type}: RDATA over 65535 bytes`);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(r.classCode ?? 1, 2);
  fixed.writeUInt32BE(r.ttl >>> 0, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return [nameToWire(r.name), fixed, rdata];
}

/**
 * Encode a whole message: header, questions, the three record sections from typed values, and
 * an OPT record when `edns` is given. Names are written uncompressed. The answer encoder of the
 * lab's DNS server, and for anyone who answers DNS in a test. Throws NetlabError USAGE for a
 * record or name that cannot be encoded, INTERNAL for a message over 65535 bytes.
 */
export function encodeMessage(m: MessageInput): Buffer {
  let bits = ((m.opcode ?? 0) & 0x0f) << 11;
  for (const f of m.flags ?? []) bits |= FLAG_BITS[f];
  const rcode = m.rcode ?? 0;
  if (rcode > 0x0f && !m.edns) throw new NetlabError('USAGE', `RCODE ${rcode} needs EDNS (RFC 6891 6.1.3)`);
  bits |= rcode & 0x0f;
  const questions = m.questions ?? [];
  const sections = [m.answers ?? [], m.authorities ?? [], m.additionals ?? []];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(m.id, 0);
  header.writeUInt16BE(bits, 2);
  header.writeUInt16BE(questions.length, 4);
  header.writeUInt16BE(sections[0]!.length, 6);
  header.writeUInt16BE(sections[1]!.length, 8);
  header.writeUInt16BE(sections[2]!.length + (m.edns ? 1 : 0), 10);
  const parts: Buffer[] = [header];
  for (const q of questions) {
    const tc = Buffer.alloc(4);
    tc.writeUInt16BE(q.typeCode, 0);
    tc.writeUInt16BE(q.classCode ?? 1, 2);
    parts.push(nameToWire(q.name), tc);
  }
  for (const list of sections) for (const r of list) parts.push(...encodeRecord(r));
  if (m.edns) {
    const options = (m.edns.options ?? []).map((o) => {
      const data = Buffer.from(o.hex, 'hex');
      const head = Buffer.alloc(4);
      head.writeUInt16BE(o.code, 0);
      head.writeUInt16BE(data.length, 2);
      return Buffer.concat([head, data]);
    });
    const rdata = Buffer.concat(options);
    const opt = Buffer.alloc(11);
    opt[0] = 0; // root owner
    opt.writeUInt16BE(41, 1);
    opt.writeUInt16BE(m.edns.udpSize, 3);
    opt[5] = (rcode >> 4) & 0xff; // extended RCODE
    opt[6] = m.edns.version ?? 0;
    opt.writeUInt16BE(m.edns.do ? 0x8000 : 0, 7);
    opt.writeUInt16BE(rdata.length, 9);
    parts.push(opt, rdata);
  }
  const out = Buffer.concat(parts);
  if (out.length > 0xffff) throw new NetlabError('INTERNAL', 'DNS message over 65535 bytes');
  return out;
}

// --- TCP framing (RFC 1035 4.2.2) -----------------------------------------------

/** Prefix a message with its 2-byte length (TCP framing). Throws INTERNAL for a message over 65535 bytes. */
export function frame(message: Uint8Array): Buffer {
  if (message.length > 0xffff) throw new NetlabError('INTERNAL', 'DNS message over 65535 bytes');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(message.length, 0);
  return Buffer.concat([len, message]);
}

/** No bytes pending (never written to). */
const NOTHING = Buffer.alloc(0);

/**
 * Incremental reader of length-prefixed messages. Unlike dns-packet's streamDecode it never
 * reads past a frame and keeps partial data until the rest arrives.
 */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);
  /** `maxPending`: bytes that may wait for a frame before the stream is refused. */
  constructor(private readonly maxPending = 70_000) {}

  /** Feed bytes; returns the complete frames now available. Throws MALFORMED_PACKET past maxPending. */
  push(chunk: Uint8Array): Buffer[] {
    const p = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    // frames by offset: one view per frame, and one for what is left
    let off = 0;
    while (p.length - off >= 2) {
      const len = (p[off]! << 8) | p[off + 1]!;
      if (p.length - off < 2 + len) break;
      frames.push(p.subarray(off + 2, off + 2 + len));
      off += 2 + len;
    }
    this.pending = off === 0 ? p : off === p.length ? NOTHING : p.subarray(off);
    if (this.pending.length > this.maxPending) throw malformed('TCP stream holds more than one message can');
    return frames;
  }

  /** Bytes waiting for the rest of their frame. */
  get buffered(): number {
    return this.pending.length;
  }
}

