/**
 * Two EDNS options a client sends and reads back: EDNS Client Subnet (RFC 7871, option 8) and
 * DNS Cookies (RFC 7873, option 10). Pure codecs and the text forms BIND's dig uses; the
 * query encoder (wire.ts encodeQuery) and the OPT decoder (wire.ts decodeOpt) call them.
 */
import { NetlabError } from '../../errors.js';
import { nodeCrypto } from '../../util/builtins.js';
import { ipv4FromBytes, ipv6FromBytes, parseIPv4, parseIPv6 } from '../../util/ip.js';

/** EDNS option codes (IANA "DNS EDNS0 Option Codes"). */
export const EDNS_CLIENT_SUBNET = 8;
export const EDNS_COOKIE = 10;

/**
 * An EDNS Client Subnet (RFC 7871 6): the address family (1 IPv4, 2 IPv6, as on the wire), the
 * address truncated to `sourcePrefix` bits, and the scope the answer is valid for (0 in a query).
 */
export interface ClientSubnet {
  family: 1 | 2;
  /** Presentation form, the bits beyond `sourcePrefix` zero. */
  address: string;
  /** Bits of the address the client disclosed. */
  sourcePrefix: number;
  /** Bits of the address the answer depends on (set by the server; 0 in a query). */
  scopePrefix: number;
}

/** A DNS cookie (RFC 7873 4): the client's 8 bytes and the server's 8 to 32, hex. */
export interface DnsCookie {
  /** 16 hex digits. */
  client: string;
  /** 16 to 64 hex digits; absent when only the client cookie was sent. */
  server?: string;
}

function invalid(message: string): NetlabError {
  return new NetlabError('USAGE', message);
}

/** Zero every bit of `bytes` beyond the first `prefix`. */
function truncate(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let bit = prefix; bit < out.length * 8; bit++) out[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return out;
}

function addressText(family: 1 | 2, bytes: Uint8Array): string {
  return family === 1 ? ipv4FromBytes(bytes) : ipv6FromBytes(bytes);
}

/**
 * `ADDR[/PREFIX]` as dig's `+subnet=` takes it: an IPv4 or IPv6 address, the prefix 32 or 128
 * when not given; `0` alone is 0.0.0.0/0 (the client asks that no subnet be used, RFC 7871
 * 7.1.2). Bits of the address beyond the prefix are dropped, as BIND's dig and kdig drop them
 * (RFC 7871 6: the ADDRESS is truncated to SOURCE PREFIX-LENGTH). Throws USAGE for anything
 * else: not an address, a prefix that is not a number or longer than the address.
 */
export function parseClientSubnet(text: string): ClientSubnet {
  if (text === '0') return { family: 1, address: '0.0.0.0', sourcePrefix: 0, scopePrefix: 0 };
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const v4 = parseIPv4(addr);
  let family: 1 | 2;
  let bytes: Uint8Array;
  if (v4 !== undefined) {
    family = 1;
    bytes = v4Bytes(v4);
  } else {
    const v6 = parseIPv6(addr);
    if (!v6) throw invalid(`invalid address '${addr}' in +subnet=${text}`);
    family = 2;
    bytes = v6;
  }
  const max = bytes.length * 8;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) throw invalid(`invalid prefix length in +subnet=${text}: not a number`);
    prefix = Number(p);
    if (prefix > max) throw invalid(`invalid prefix length in +subnet=${text}: over ${max} for an IPv${family === 1 ? 4 : 6} address`);
  }
  return { family, address: addressText(family, truncate(bytes, prefix)), sourcePrefix: prefix, scopePrefix: 0 };
}

function v4Bytes(v: number): Uint8Array {
  return new Uint8Array([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]);
}

/** The address of a subnet as its bytes (4 or 16). Throws USAGE for an address that is not of its family. */
export function subnetBytes(s: ClientSubnet): Uint8Array {
  const v4 = s.family === 1 ? parseIPv4(s.address) : undefined;
  const b = v4 !== undefined ? v4Bytes(v4) : s.family === 2 ? parseIPv6(s.address) : undefined;
  if (!b) throw invalid(`invalid client subnet address '${s.address}' for family ${s.family}`);
  return b;
}

/**
 * The option data of an ECS (RFC 7871 6): FAMILY, SOURCE and SCOPE PREFIX-LENGTH, the address
 * in as few bytes as the prefix needs, bits past the prefix zero. Throws USAGE for a prefix
 * longer than the address.
 */
export function encodeClientSubnet(s: ClientSubnet): Buffer {
  const bytes = subnetBytes(s);
  const max = bytes.length * 8;
  if (!(s.sourcePrefix >= 0 && s.sourcePrefix <= max && s.scopePrefix >= 0 && s.scopePrefix <= max)) {
    throw invalid(`client subnet prefix ${s.sourcePrefix}/${s.scopePrefix} does not fit an IPv${s.family === 1 ? 4 : 6} address`);
  }
  const n = Math.ceil(s.sourcePrefix / 8);
  const out = Buffer.alloc(4 + n);
  out.writeUInt16BE(s.family, 0);
  out[2] = s.sourcePrefix;
  out[3] = s.scopePrefix;
  out.set(truncate(bytes, s.sourcePrefix).subarray(0, n), 4);
  return out;
}

/**
 * An ECS option's data as a ClientSubnet; undefined when it is not a valid one (unknown
 * family, a prefix longer than the address, the wrong number of address bytes, or address
 * bits set beyond the source prefix: RFC 7871 6 and 7.1.2 make those a FORMERR).
 */
export function decodeClientSubnet(data: Uint8Array): ClientSubnet | undefined {
  if (data.length < 4) return undefined;
  const family = (data[0]! << 8) | data[1]!;
  if (family !== 1 && family !== 2) return undefined;
  const source = data[2]!;
  const scope = data[3]!;
  const size = family === 1 ? 4 : 16;
  if (source > size * 8 || scope > size * 8) return undefined;
  const n = Math.ceil(source / 8);
  if (data.length !== 4 + n) return undefined;
  const bytes = new Uint8Array(size);
  bytes.set(data.subarray(4));
  for (let bit = source; bit < n * 8; bit++) if (bytes[bit >> 3]! & (0x80 >> (bit & 7))) return undefined;
  return { family, address: addressText(family, bytes), sourcePrefix: source, scopePrefix: scope };
}

/** `198.51.100.0/24/0`: address / source prefix / scope prefix, as dig and kdig print CLIENT-SUBNET. */
export function clientSubnetText(s: ClientSubnet): string {
  return `${s.address}/${s.sourcePrefix}/${s.scopePrefix}`;
}

/** A cookie's option data: client then server cookie. */
export function encodeCookie(c: DnsCookie): Buffer {
  return Buffer.from(c.client + (c.server ?? ''), 'hex');
}

/** A COOKIE option's data (RFC 7873 4): 8 bytes, or 16 to 40; undefined for any other length. */
export function decodeCookie(data: Uint8Array): DnsCookie | undefined {
  const n = data.length;
  if (n !== 8 && (n < 16 || n > 40)) return undefined;
  const hex = Buffer.from(data.buffer, data.byteOffset, n).toString('hex');
  return n === 8 ? { client: hex } : { client: hex.slice(0, 16), server: hex.slice(16) };
}

/**
 * `+cookie=HEX`: a client cookie of 8 bytes, optionally followed by a server cookie of 8 to 32
 * (as dig takes it). Throws USAGE for anything else.
 */
export function parseCookie(text: string): DnsCookie {
  if (!/^[0-9a-fA-F]*$/.test(text) || text.length % 2 !== 0) throw invalid(`+cookie=${text}: not hex digits in pairs`);
  const c = decodeCookie(Buffer.from(text, 'hex'));
  if (!c) throw invalid(`+cookie=${text}: a cookie is 8 bytes (16 hex digits), or 16 to 40 with the server's`);
  return c;
}

/**
 * How a reply's cookie relates to the one sent, in dig's words (BIND message.c): `good` (our
 * client cookie came back with a server cookie), `echoed` (only ours came back), `bad` (not
 * ours, or too short).
 */
export type CookieVerdict = 'good' | 'echoed' | 'bad';

/** The verdict on a reply's COOKIE option (`hex`: its data) for the client cookie sent. */
export function cookieVerdict(sentClient: string, got: { hex: string; client?: string; server?: string }): CookieVerdict {
  // message.c: cc_ok when the first 8 bytes are ours; good with a server cookie, echoed without
  if (got.hex.length < 16 || got.hex.slice(0, 16) !== sentClient.toLowerCase()) return 'bad';
  return got.hex.length >= 32 ? 'good' : 'echoed';
}

const clientCookies = new Map<string, DnsCookie>();

/**
 * This process's client cookie (no server cookie) for a server address: 8 random bytes made
 * on the first query to that address and kept for the process (RFC 7873 4.1: a different
 * cookie per server, so that servers cannot track the client across them; BIND's dig uses one
 * per process). Random rather than RFC 7873's hash of a secret and the address: the same
 * property, without an HMAC whose first use costs ~50 ms of OpenSSL set-up.
 */
export function clientCookieFor(address: string): DnsCookie {
  let c = clientCookies.get(address);
  if (c) return c;
  // one object per address (frozen): the query encoder keeps its bytes for the next query
  c = Object.freeze({ client: nodeCrypto().randomBytes(8).toString('hex') });
  if (clientCookies.size > 10_000) clientCookies.clear();
  clientCookies.set(address, c);
  return c;
}
