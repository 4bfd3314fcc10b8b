/**
 * RDATA in presentation format (a master file's fields, RFC 1035 5.1) to typed values
 * (src/protocol/dns/rdata.ts): the inverse of present.ts, for A, AAAA, NS, CNAME, DNAME, PTR,
 * MX, TXT/SPF, SRV, SOA, HINFO, CAA, DS/CDS, DNSKEY/CDNSKEY, RRSIG, NSEC, SVCB/HTTPS
 * (RFC 9460 A), TLSA/SMIMEA and NAPTR, and RFC 3597 `\# LEN HEX` for any type. Names are
 * resolved by the reader (relative names, `@`), which gives a context.
 */
import { ipv4FromInt, ipv6FromBytes, parseIPv4, parseIPv6 } from '../../util/ip.js';
import { decodeRdata, encodeRdata, encodeTypeBitmap, svcKeyCode, svcKeyName, type RecordData, type SvcParam } from '../dns/rdata.js';
import { sigTimeSeconds } from '../dns/present.js';
import { bytesToText } from '../dns/text.js';
import { typeCode, typeName } from '../dns/types.js';

/** One field of a master-file entry. */
export interface RdataToken {
  text: string;
  /** Given in double quotes (escapes kept in `text`). */
  quoted: boolean;
  /** Starts right where the previous field ended, with no space between (`alpn="h2"`). */
  glued?: boolean;
}

/** What the reader lends the RDATA parser. */
export interface RdataContext {
  /** A domain-name field, resolved against the origin: fully qualified, presentation form. Throws the reader's error. */
  name(token: RdataToken | undefined, what: string): string;
  /** The reader's error (with FILE:LINE) for this entry. */
  fail(message: string): Error;
}

const MAX_TTL = 2147483647; // RFC 2181 8

/** TTL text: seconds, or BIND's units (`1w2d3h4m5s`, any case). Undefined when it is neither. */
export function parseTtl(text: string): number | undefined {
  let v: number;
  if (/^\d+$/.test(text)) v = Number(text);
  else {
    const m = text.match(/^(?:\d+[wdhms])+$/i);
    if (!m) return undefined;
    v = 0;
    for (const [, n, u] of text.matchAll(/(\d+)([wdhms])/gi)) {
      v += Number(n) * { w: 604800, d: 86400, h: 3600, m: 60, s: 1 }[u!.toLowerCase() as 'w' | 'd' | 'h' | 'm' | 's'];
    }
  }
  return v <= MAX_TTL ? v : undefined;
}

/** A character-string's bytes from its master-file text (`\X`, `\DDD`). Undefined on a bad escape. */
export function unescapeString(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'utf8');
  if (!bytes.includes(0x5c)) return bytes;
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c !== 0x5c) {
      out.push(c);
      continue;
    }
    const d = bytes.subarray(i + 1, i + 4).toString('latin1');
    if (/^\d{3}$/.test(d)) {
      const v = Number(d);
      if (v > 255) return undefined;
      out.push(v);
      i += 3;
    } else if (i + 1 < bytes.length) {
      out.push(bytes[i + 1]!);
      i++;
    } else return undefined;
  }
  return Buffer.from(out);
}

/** DNSSEC algorithm mnemonics BIND accepts in place of the number (RFC 8624 and the IANA registry). */
const SEC_ALGORITHMS: Record<string, number> = {
  RSAMD5: 1, DH: 2, DSA: 3, RSASHA1: 5, NSEC3DSA: 6, NSEC3RSASHA1: 7, RSASHA256: 8, RSASHA512: 10, ECCGOST: 12,
  ECDSAP256SHA256: 13, ECDSAP384SHA384: 14, ED25519: 15, ED448: 16, INDIRECT: 252, PRIVATEDNS: 253, PRIVATEOID: 254,
};

/** The parser of one entry's RDATA fields, failing through the reader's context. */
class Fields {
  constructor(private readonly t: RdataToken[], private readonly ctx: RdataContext, private readonly type: string) {}

  count(n: number): void {
    if (this.t.length !== n) throw this.ctx.fail(`${this.type} takes ${n} field${n === 1 ? '' : 's'}, got ${this.t.length}`);
  }

  atLeast(n: number): void {
    if (this.t.length < n) throw this.ctx.fail(`${this.type} takes at least ${n} fields, got ${this.t.length}`);
  }

  u(i: number, bits: 8 | 16 | 32, what: string): number {
    const t = this.t[i];
    if (!t || !/^\d+$/.test(t.text)) throw this.ctx.fail(`bad ${what} '${t?.text ?? ''}'`);
    const v = Number(t.text);
    if (v >= 2 ** bits) throw this.ctx.fail(`${what} ${v} is out of range`);
    return v;
  }

  ttl(i: number, what: string): number {
    const text = this.t[i]?.text ?? '';
    const v = parseTtl(text);
    if (v === undefined) throw this.ctx.fail(`bad ${what} '${text}'`);
    return v;
  }

  algorithm(i: number): number {
    const known = SEC_ALGORITHMS[(this.t[i]?.text ?? '').toUpperCase()];
    return known ?? this.u(i, 8, 'algorithm');
  }

  name(i: number, what: string): string {
    return this.ctx.name(this.t[i], what);
  }

  bytes(i: number, what: string): Buffer {
    const t = this.t[i];
    if (!t) throw this.ctx.fail(`missing ${what}`);
    const b = unescapeString(t.text);
    if (b === undefined) throw this.ctx.fail(`bad escape in '${t.text}'`);
    if (b.length > 255) throw this.ctx.fail(`${what} is longer than 255 bytes`);
    return b;
  }

  text(i: number, what: string): string {
    return bytesToText(this.bytes(i, what));
  }

  /** The fields from `i` on, joined: hex or base64 may be split by spaces. */
  rest(i: number): string {
    return this.t.slice(i).map((x) => x.text).join('');
  }

  hex(i: number, what: string): string {
    const h = this.rest(i);
    if (h === '' || !/^(?:[0-9a-fA-F]{2})+$/.test(h)) throw this.ctx.fail(`bad ${what}: not hex`);
    return h.toUpperCase();
  }

  base64(i: number, what: string): string {
    const b = this.rest(i);
    if (b === '' || !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b)) throw this.ctx.fail(`bad ${what}: not base64`);
    return b;
  }

  /** An RRSIG time: YYYYMMDDHHmmSS (UTC), or a 32-bit number of seconds (RFC 4034 3.2). */
  sigTime(i: number, what: string): number {
    const text = this.t[i]?.text ?? '';
    const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
    if (m) {
      const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
      const ms = Date.UTC(y, mo - 1, d, h, mi, s);
      const back = new Date(ms);
      if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
        throw this.ctx.fail(`bad ${what} '${text}'`);
      }
      return ms / 1000;
    }
    if (/^\d{1,10}$/.test(text) && Number(text) <= 0xffffffff) return sigTimeSeconds(Number(text));
    throw this.ctx.fail(`bad ${what} '${text}'`);
  }
}

/** RFC 9460 A.1: a value-list, `,` separated, `\` escaping the next byte (after character-string unescaping). */
function valueList(b: Uint8Array): Buffer[] {
  const items: Buffer[] = [];
  let cur: number[] = [];
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0x5c && i + 1 < b.length) cur.push(b[++i]!);
    else if (c === 0x2c) {
      items.push(Buffer.from(cur));
      cur = [];
    } else cur.push(c);
  }
  items.push(Buffer.from(cur));
  return items;
}

/** SvcParams (RFC 9460 2.1): `key=value`, `key="value"`, or a bare `key`; checked, in key order. */
function svcParams(tokens: RdataToken[], ctx: RdataContext): SvcParam[] {
  const out: Array<{ code: number; param: SvcParam }> = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.quoted) throw ctx.fail(`a SvcParam value without its key: "${t.text}"`);
    const eq = t.text.indexOf('=');
    const keyName = eq < 0 ? t.text : t.text.slice(0, eq);
    let raw: string | undefined = eq < 0 ? undefined : t.text.slice(eq + 1);
    if (raw === '' && tokens[i + 1]?.quoted && tokens[i + 1]!.glued) raw = tokens[++i]!.text;
    const code = svcKeyCode(keyName);
    if (code === undefined) throw ctx.fail(`unknown SvcParam key '${keyName}'`);
    const name = svcKeyName(code);
    const value = raw === undefined ? undefined : unescapeString(raw);
    if (value === undefined && raw !== undefined) throw ctx.fail(`bad escape in the ${name} value`);
    const need = (): Buffer => {
      if (!value || value.length === 0) throw ctx.fail(`${name} needs a value`);
      return value;
    };
    let param: SvcParam;
    switch (code) {
      case 0: param = { key: 'mandatory', keys: valueList(need()).map((k) => {
        const c = svcKeyCode(k.toString('latin1'));
        if (c === undefined || c === 0) throw ctx.fail(`mandatory lists '${k.toString('latin1')}', which is not a key it can list`);
        return svcKeyName(c);
      }) }; break;
      case 1: {
        const ids = valueList(need());
        if (ids.some((id) => id.length === 0 || id.length > 255)) throw ctx.fail('an alpn id is empty or longer than 255 bytes');
        param = { key: 'alpn', ids: ids.map(bytesToText) };
        break;
      }
      case 2:
        if (value && value.length > 0) throw ctx.fail('no-default-alpn takes no value');
        param = { key: 'no-default-alpn' };
        break;
      case 3: {
        const text = need().toString('latin1');
        if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw ctx.fail(`bad port '${text}'`);
        param = { key: 'port', port: Number(text) };
        break;
      }
      case 4: param = { key: 'ipv4hint', addresses: valueList(need()).map((a) => {
        const v = parseIPv4(a.toString('latin1'));
        if (v === undefined) throw ctx.fail(`bad IPv4 address '${a.toString('latin1')}' in ipv4hint`);
        return ipv4FromInt(v);
      }) }; break;
      case 5: {
        const text = value ? value.toString('latin1') : '';
        if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) throw ctx.fail('bad ech value: not base64');
        param = { key: 'ech', config: text };
        break;
      }
      case 6: param = { key: 'ipv6hint', addresses: valueList(need()).map((a) => {
        const b = parseIPv6(a.toString('latin1'));
        if (!b) throw ctx.fail(`bad IPv6 address '${a.toString('latin1')}' in ipv6hint`);
        return ipv6FromBytes(b);
      }) }; break;
      default: param = { key: `key${code}`, value: value ? bytesToText(value) : '' };
    }
    if (out.some((p) => p.code === code)) throw ctx.fail(`SvcParam ${name} given twice`);
    out.push({ code, param });
  }
  out.sort((a, b) => a.code - b.code);
  // RFC 9460 8: every key that mandatory lists must be there
  const mandatory = out.find((p) => p.code === 0)?.param;
  if (mandatory?.key === 'mandatory') {
    for (const k of mandatory.keys) {
      if (!out.some((p) => svcKeyName(p.code) === k)) throw ctx.fail(`mandatory lists ${k}, which is not given`);
    }
  }
  return out.map((p) => p.param);
}

/**
 * The typed value of one entry's RDATA fields, for the record type `code`. Throws the error
 * of `ctx.fail` (the reader's INPUT error with FILE:LINE) for fields that do not form it.
 */
export function parseRdata(code: number, t: RdataToken[], ctx: RdataContext): RecordData {
  const type = typeName(code);
  const f = new Fields(t, ctx, type);
  if (t[0]?.text === '\\#' && !t[0].quoted) {
    // RFC 3597 5: \# LENGTH HEX...; read as the bytes on the wire would be, so checked the same way
    const len = f.u(1, 16, 'RDATA length');
    const hex = t.slice(2).map((x) => x.text).join('');
    if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length !== len * 2) throw ctx.fail(`the \\# data is not ${len} bytes of hex`);
    const bytes = Buffer.from(hex, 'hex');
    let rd: RecordData;
    try {
      rd = decodeRdata(code, bytes, 0, bytes.length);
    } catch (e) {
      throw ctx.fail(`the \\# data is not ${type} RDATA: ${(e as Error).message.replace(/^malformed DNS message: /, '')}`);
    }
    // a name in it cannot be compressed (RFC 3597 4), nor a field out of its order
    if (!encodeRdata(rd).equals(bytes)) throw ctx.fail(`the \\# data of ${type} is not in its canonical form (a compressed name?)`);
    return rd;
  }
  switch (type) {
    case 'A': {
      f.count(1);
      const v = parseIPv4(t[0]!.text);
      if (v === undefined) throw ctx.fail(`bad IPv4 address '${t[0]!.text}'`);
      return { type, address: ipv4FromInt(v) };
    }
    case 'AAAA': {
      f.count(1);
      const b = parseIPv6(t[0]!.text);
      if (!b) throw ctx.fail(`bad IPv6 address '${t[0]!.text}'`);
      return { type, address: ipv6FromBytes(b) };
    }
    case 'NS': case 'CNAME': case 'PTR': case 'DNAME':
      f.count(1);
      return { type, target: f.name(0, `${type} target`) };
    case 'MX':
      f.count(2);
      return { type, preference: f.u(0, 16, 'preference'), exchange: f.name(1, 'exchange') };
    case 'SRV':
      f.count(4);
      return { type, priority: f.u(0, 16, 'priority'), weight: f.u(1, 16, 'weight'), port: f.u(2, 16, 'port'), target: f.name(3, 'target') };
    case 'SOA':
      f.count(7);
      return {
        type, mname: f.name(0, 'SOA MNAME'), rname: f.name(1, 'SOA RNAME'), serial: f.u(2, 32, 'serial'),
        refresh: f.ttl(3, 'SOA timer'), retry: f.ttl(4, 'SOA timer'), expire: f.ttl(5, 'SOA timer'), minimum: f.ttl(6, 'SOA timer'),
      };
    case 'TXT': case 'SPF':
      if (t.length === 0) throw ctx.fail(`${type} needs at least one string`);
      return { type, strings: t.map((_, i) => f.text(i, 'a character-string')) };
    case 'HINFO': {
      f.count(2);
      const cpu = f.bytes(0, 'a character-string');
      const os = f.bytes(1, 'a character-string');
      const b = Buffer.concat([Buffer.from([cpu.length]), cpu, Buffer.from([os.length]), os]);
      return decodeRdata(code, b, 0, b.length);
    }
    case 'CAA': {
      f.count(3);
      const tag = t[1]!.text;
      if (!/^[a-zA-Z0-9]{1,15}$/.test(tag)) throw ctx.fail(`bad CAA tag '${tag}'`);
      return { type, flags: f.u(0, 8, 'CAA flags'), tag, value: bytesToText(unescapeString(t[2]!.text) ?? fail(`bad escape in '${t[2]!.text}'`)) };
    }
    case 'DS': case 'CDS':
      f.atLeast(4);
      return { type, keyTag: f.u(0, 16, 'key tag'), algorithm: f.algorithm(1), digestType: f.u(2, 8, 'digest type'), digest: f.hex(3, 'digest') };
    case 'DNSKEY': case 'CDNSKEY':
      f.atLeast(4);
      return { type, flags: f.u(0, 16, 'flags'), protocol: f.u(1, 8, 'protocol'), algorithm: f.algorithm(2), publicKey: f.base64(3, 'public key') };
    case 'TLSA': case 'SMIMEA':
      f.atLeast(4);
      return { type, usage: f.u(0, 8, 'usage'), selector: f.u(1, 8, 'selector'), matchingType: f.u(2, 8, 'matching type'), certificate: f.hex(3, 'certificate data') };
    case 'RRSIG': {
      f.atLeast(9);
      const covered = typeCode(t[0]!.text);
      if (covered === undefined) throw ctx.fail(`unknown type covered '${t[0]!.text}'`);
      return {
        type, typeCovered: typeName(covered), algorithm: f.algorithm(1), labels: f.u(2, 8, 'labels'), originalTtl: f.ttl(3, 'original TTL'),
        expiration: f.sigTime(4, 'expiration'), inception: f.sigTime(5, 'inception'), keyTag: f.u(6, 16, 'key tag'),
        signerName: f.name(7, 'signer name'), signature: f.base64(8, 'signature'),
      };
    }
    case 'NSEC': {
      f.atLeast(1);
      const codes = t.slice(1).map((x) => {
        const c = typeCode(x.text);
        if (c === undefined) throw ctx.fail(`unknown type '${x.text}' in the NSEC type list`);
        return c;
      });
      return { type, nextDomain: f.name(0, 'next domain'), types: [...new Set(codes)].sort((a, b) => a - b).map(typeName) };
    }
    case 'SVCB': case 'HTTPS':
      f.atLeast(2);
      return { type, priority: f.u(0, 16, 'SvcPriority'), target: f.name(1, 'TargetName'), params: svcParams(t.slice(2), ctx) };
    case 'NAPTR':
      f.count(6);
      return {
        type, order: f.u(0, 16, 'order'), preference: f.u(1, 16, 'preference'), flags: f.text(2, 'flags'),
        services: f.text(3, 'services'), regexp: f.text(4, 'regexp'), replacement: f.name(5, 'replacement'),
      };
    case 'NSEC3': case 'NSEC3PARAM':
      return nsec3Rdata(code, t, f, ctx);
    default:
      throw ctx.fail(`${type} records are not read here: write them in the RFC 3597 form (${type} \\# LENGTH HEX)`);
  }

  function fail(message: string): never {
    throw ctx.fail(message);
  }
}

/** RFC 5155 3.3 and 4.3: NSEC3 (alg flags iterations salt next-hash types...) and NSEC3PARAM (the first four). */
function nsec3Rdata(code: number, t: RdataToken[], f: Fields, ctx: RdataContext): RecordData {
  const param = code === 51;
  if (param) f.count(4);
  else f.atLeast(5);
  const salt = t[3]!.text === '-' ? Buffer.alloc(0) : Buffer.from(t[3]!.text, 'hex');
  if (t[3]!.text !== '-' && (!/^[0-9a-fA-F]+$/.test(t[3]!.text) || salt.length * 2 !== t[3]!.text.length || salt.length > 255)) throw ctx.fail(`bad NSEC3 salt '${t[3]!.text}'`);
  const head = Buffer.from([f.u(0, 8, 'hash algorithm'), f.u(1, 8, 'flags'), 0, 0, salt.length]);
  head.writeUInt16BE(f.u(2, 16, 'iterations'), 2);
  const parts: Buffer[] = [head, salt];
  if (!param) {
    const hash = fromBase32Hex(t[4]!.text);
    if (!hash || hash.length === 0 || hash.length > 255) throw ctx.fail(`bad NSEC3 next hashed owner '${t[4]!.text}'`);
    parts.push(Buffer.from([hash.length]), hash, encodeTypeBitmap(t.slice(5).map((x) => {
      if (typeCode(x.text) === undefined) throw ctx.fail(`unknown type '${x.text}' in the NSEC3 type list`);
      return x.text;
    })));
  }
  const bytes = Buffer.concat(parts);
  return decodeRdata(code, bytes, 0, bytes.length);
}

/** RFC 4648 7: base32 with the extended hex alphabet, no padding (as NSEC3 writes hashes). */
function fromBase32Hex(text: string): Buffer | undefined {
  const alphabet = '0123456789abcdefghijklmnopqrstuv';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const c of text.toLowerCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) return undefined;
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}
