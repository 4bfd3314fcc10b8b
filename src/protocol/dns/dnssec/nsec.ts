/**
 * Denial of existence: NSEC (RFC 4034 4, RFC 4035 5.4) and NSEC3 (RFC 5155): the NSEC3 hash,
 * which name an NSEC or NSEC3 record covers or matches, and the closest encloser. Pure except
 * for the hash (node:crypto through util/builtins.ts).
 */
import { base32hex as base32hexText } from '../present.js';
import { nodeCrypto } from '../../../util/builtins.js';
import type { DnsRecord } from '../rdata.js';
import { readTypeBitmap } from '../present.js';
import { canonicalNameWire, compareNames, lastLabels, lowerName } from './canonical.js';
import { splitName } from '../names.js';

/** NSEC3 RDATA (RFC 5155 3.2) read from its bytes: the next hashed owner in base32hex, lower case. */
export interface Nsec3Fields {
  hashAlgorithm: number;
  /** Bit 0: opt-out (RFC 5155 3.1.2.1). */
  flags: number;
  iterations: number;
  /** Hex, lower case; empty for none. */
  salt: string;
  nextHashed: string;
  types: string[];
}

/** RFC 4648 7: base32hex, lower case, no padding (the NSEC3 owner label form). */
export function base32hex(b: Uint8Array): string {
  return base32hexText(b, true);
}

/** The fields of an NSEC3 or NSEC3PARAM record (typed as `OtherData`: its hex); undefined when it is neither or malformed. */
export function nsec3Fields(r: DnsRecord): Nsec3Fields | undefined {
  if (!('hex' in r.rdata) || (r.typeCode !== 50 && r.typeCode !== 51)) return undefined;
  const b = Buffer.from(r.rdata.hex, 'hex');
  if (b.length < 5) return undefined;
  const saltLen = b[4]!;
  const salt = b.subarray(5, 5 + saltLen).toString('hex');
  if (r.typeCode === 51) return { hashAlgorithm: b[0]!, flags: b[1]!, iterations: b.readUInt16BE(2), salt, nextHashed: '', types: [] };
  const hp = 5 + saltLen;
  const hashLen = b[hp];
  if (hashLen === undefined || hp + 1 + hashLen > b.length) return undefined;
  return {
    hashAlgorithm: b[0]!, flags: b[1]!, iterations: b.readUInt16BE(2), salt,
    nextHashed: base32hex(b.subarray(hp + 1, hp + 1 + hashLen)),
    types: readTypeBitmap(b.subarray(hp + 1 + hashLen), 'NSEC3'),
  };
}

/** Most NSEC3 iterations netlab computes (RFC 9276 3.2 lets validators stop far earlier: 150 at most in practice). */
export const MAX_NSEC3_ITERATIONS = 2500;

/**
 * The NSEC3 hash of a name (RFC 5155 5): SHA-1 over the canonical wire name and the salt,
 * iterated, in base32hex lower case. Undefined for a hash algorithm other than 1 or too many iterations.
 */
export function nsec3Hash(name: string, saltHex: string, iterations: number, hashAlgorithm = 1): string | undefined {
  if (hashAlgorithm !== 1 || iterations > MAX_NSEC3_ITERATIONS) return undefined;
  const crypto = nodeCrypto();
  const salt = Buffer.from(saltHex, 'hex');
  let h = crypto.createHash('sha1').update(canonicalNameWire(name)).update(salt).digest();
  for (let i = 0; i < iterations; i++) h = crypto.createHash('sha1').update(h).update(salt).digest();
  return base32hex(h);
}

/** Whether `name` falls strictly between an NSEC's owner and next name, in canonical order (the last NSEC wraps to the apex). */
export function nsecCovers(owner: string, next: string, name: string): boolean {
  const afterOwner = compareNames(owner, name) < 0;
  const beforeNext = compareNames(name, next) < 0;
  // the last NSEC of the zone points back at the apex: it covers everything after its owner
  return compareNames(owner, next) < 0 ? afterOwner && beforeNext : afterOwner || beforeNext;
}

/** Whether a hash falls strictly between an NSEC3 owner's hash and its next hash (the last wraps). */
export function nsec3Covers(ownerHash: string, nextHash: string, hash: string): boolean {
  const o = ownerHash.toLowerCase();
  const n = nextHash.toLowerCase();
  const h = hash.toLowerCase();
  return o < n ? o < h && h < n : o < h || h < n;
}

/** The hash label of an NSEC3 owner name (its first label), lower case. */
export function nsec3OwnerHash(owner: string): string {
  const first = splitName(owner)[0];
  return first ? first.toString('latin1').toLowerCase() : '';
}

/** Whether `name` is `ancestor` or below it. */
export function isSubdomain(name: string, ancestor: string): boolean {
  const n = lowerName(name);
  const a = lowerName(ancestor);
  return a === '.' || n === a || n.endsWith(`.${a}`);
}

/** The ancestors of a name from itself up to `top` (included), longest first. */
export function ancestors(name: string, top: string): string[] {
  const count = splitName(name).length;
  const topCount = splitName(top).length;
  const out: string[] = [];
  for (let i = count; i >= topCount; i--) out.push(lastLabels(name, i));
  return out;
}
