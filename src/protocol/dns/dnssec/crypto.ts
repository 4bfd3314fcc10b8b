/**
 * DNSSEC's cryptography over node:crypto: key tags (RFC 4034 appendix B), DS digests (RFC 4034
 * 5.1.4, RFC 4509, RFC 6605), and RRSIG signature checks for RSA/SHA-1 (5, 7; RFC 3110),
 * RSA/SHA-256 and RSA/SHA-512 (8, 10; RFC 5702), ECDSA P-256 and P-384 (13, 14; RFC 6605)
 * and Ed25519 (15; RFC 8080). node:crypto is reached through util/builtins.ts.
 */
import { nodeCrypto } from '../../../util/builtins.js';
import { encodeRdata, type DnskeyData, type DsData } from '../rdata.js';
import { canonicalNameWire } from './canonical.js';

/** The algorithms whose signatures netlab checks (RFC 8624 3.1 "MUST" and "RECOMMENDED", and 5, 7 still met). */
export const SUPPORTED_ALGORITHMS: readonly number[] = [5, 7, 8, 10, 13, 14, 15];

/** The DS digest types netlab computes: SHA-1 (1), SHA-256 (2), SHA-384 (4). */
export const SUPPORTED_DIGESTS: readonly number[] = [1, 2, 4];

// the names alone are in algorithms.ts, which `netlab dig`'s renderer loads without this module
export { ALGORITHM_NAMES, algorithmName } from './algorithms.js';

/** The key tag of a DNSKEY (RFC 4034 appendix B; algorithm 1 by B.1). */
export function keyTag(key: DnskeyData): number {
  const rdata = encodeRdata(key);
  if (key.algorithm === 1) return rdata.length < 4 ? 0 : rdata.readUInt16BE(rdata.length - 3);
  let ac = 0;
  for (let i = 0; i < rdata.length; i++) ac += i & 1 ? rdata[i]! : rdata[i]! << 8;
  ac += (ac >> 16) & 0xffff;
  return ac & 0xffff;
}

const DIGESTS: Record<number, string> = { 1: 'sha1', 2: 'sha256', 4: 'sha384' };

/**
 * The DS digest of a DNSKEY at `owner` (RFC 4034 5.1.4: digest(owner in canonical form |
 * DNSKEY RDATA)), in hex, upper case; undefined for a digest type netlab does not compute.
 */
export function dsDigest(owner: string, key: DnskeyData, digestType: number): string | undefined {
  const algo = DIGESTS[digestType];
  if (!algo) return undefined;
  return nodeCrypto().createHash(algo).update(canonicalNameWire(owner)).update(encodeRdata(key)).digest('hex').toUpperCase();
}

/** The DS record of a DNSKEY (as dnssec-dsfromkey writes it); undefined for an unknown digest type. */
export function dsFromKey(owner: string, key: DnskeyData, digestType = 2): DsData | undefined {
  const digest = dsDigest(owner, key, digestType);
  return digest === undefined ? undefined : { type: 'DS', keyTag: keyTag(key), algorithm: key.algorithm, digestType, digest };
}

/** Whether a DS matches a DNSKEY at `owner`: tag, algorithm and digest. Undefined for an unknown digest type. */
export function dsMatches(owner: string, ds: DsData, key: DnskeyData): boolean | undefined {
  if (ds.algorithm !== key.algorithm || ds.keyTag !== keyTag(key)) return false;
  const digest = dsDigest(owner, key, ds.digestType);
  return digest === undefined ? undefined : digest === ds.digest.toUpperCase();
}

function b64url(b: Uint8Array): string {
  return Buffer.from(b).toString('base64url');
}

/** The node:crypto public key of a DNSKEY; undefined when the algorithm is not supported or the key is malformed. */
function publicKey(key: DnskeyData): import('node:crypto').KeyObject | undefined {
  const crypto = nodeCrypto();
  const k = Buffer.from(key.publicKey, 'base64');
  try {
    switch (key.algorithm) {
      case 5: case 7: case 8: case 10: {
        // RFC 3110 2: exponent length (1 byte, or 0 then 2 bytes), exponent, modulus
        let p = 1;
        let elen = k[0] ?? 0;
        if (elen === 0) {
          elen = k.length >= 3 ? k.readUInt16BE(1) : 0;
          p = 3;
        }
        if (elen === 0 || p + elen >= k.length) return undefined;
        return crypto.createPublicKey({ key: { kty: 'RSA', e: b64url(k.subarray(p, p + elen)), n: b64url(k.subarray(p + elen)) }, format: 'jwk' });
      }
      case 13: case 14: {
        // RFC 6605 4: Q = x | y, 32 or 48 bytes each
        const size = key.algorithm === 13 ? 32 : 48;
        if (k.length !== size * 2) return undefined;
        return crypto.createPublicKey({ key: { kty: 'EC', crv: size === 32 ? 'P-256' : 'P-384', x: b64url(k.subarray(0, size)), y: b64url(k.subarray(size)) }, format: 'jwk' });
      }
      case 15:
        if (k.length !== 32) return undefined;
        return crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(k) }, format: 'jwk' });
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/** What checking one signature gave. */
export type SignatureCheck = 'valid' | 'invalid' | 'unsupported';

/**
 * Check a signature made by `key` over `data` (the bytes of signedData). `unsupported` for an
 * algorithm netlab does not check, or a key node:crypto cannot read.
 */
export function verifySignature(key: DnskeyData, data: Uint8Array, signature: Uint8Array): SignatureCheck {
  const pub = publicKey(key);
  if (!pub) return 'unsupported';
  const crypto = nodeCrypto();
  try {
    switch (key.algorithm) {
      case 5: case 7: return crypto.verify('sha1', data, pub, signature) ? 'valid' : 'invalid';
      case 8: return crypto.verify('sha256', data, pub, signature) ? 'valid' : 'invalid';
      case 10: return crypto.verify('sha512', data, pub, signature) ? 'valid' : 'invalid';
      // RFC 6605 4: the signature is r | s, not DER
      case 13: return crypto.verify('sha256', data, { key: pub, dsaEncoding: 'ieee-p1363' }, signature) ? 'valid' : 'invalid';
      case 14: return crypto.verify('sha384', data, { key: pub, dsaEncoding: 'ieee-p1363' }, signature) ? 'valid' : 'invalid';
      case 15: return crypto.verify(null, data, pub, signature) ? 'valid' : 'invalid';
      default: return 'unsupported';
    }
  } catch {
    return 'invalid';
  }
}
