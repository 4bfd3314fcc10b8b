/**
 * One RRset's RRSIGs checked against a zone's keys (RFC 4035 5.3): the step of the chain of
 * trust that validate.ts repeats at every link, apart so that netlab/dns exports it without
 * loading the validator itself at import.
 */
import type { DnskeyData, DnsRecord, RrsigData } from '../rdata.js';
import type { DnssecProblemCode } from './validate.js';
import { labelCount, lowerName, signedData } from './canonical.js';
import { algorithmName, keyTag, SUPPORTED_ALGORITHMS, verifySignature } from './crypto.js';

/** What verifyRrset found: `ok`, or the most telling failure (`code`, `message`), and the key tags and algorithms of the RRSIGs looked at. */
export interface SigResult {
  ok: boolean;
  code?: DnssecProblemCode;
  message: string;
  tags: number[];
  algorithms: number[];
}

/**
 * Check an RRset's RRSIGs made by `signer` with `keys` (RFC 4035 5.3): one valid signature
 * is enough. On failure, the most telling reason: time, missing key, bad signature.
 */
export function verifyRrset(rrset: readonly DnsRecord[], sigs: readonly RrsigData[], signer: string, keys: readonly DnskeyData[], nowSeconds: number): SigResult {
  const first = rrset[0];
  const what = first ? `${first.name}/${first.type}` : 'the RRset';
  const mine = sigs.filter((s) => lowerName(s.signerName) === lowerName(signer));
  if (!first || mine.length === 0) {
    return { ok: false, code: 'NO_RRSIG', message: `${what} has no RRSIG by ${signer}`, tags: [], algorithms: [] };
  }
  const failures: Array<{ code: DnssecProblemCode; message: string }> = [];
  const order: DnssecProblemCode[] = ['BAD_SIGNATURE', 'RRSIG_EXPIRED', 'RRSIG_NOT_YET_VALID', 'DNSKEY_MISSING', 'UNSUPPORTED_ALGORITHM', 'NO_RRSIG'];
  for (const sig of mine) {
    const tag = `key ${sig.keyTag} (${algorithmName(sig.algorithm)})`;
    if (!SUPPORTED_ALGORITHMS.includes(sig.algorithm)) {
      failures.push({ code: 'UNSUPPORTED_ALGORITHM', message: `${what}: RRSIG by ${tag}: algorithm ${sig.algorithm} is not supported` });
      continue;
    }
    if (sig.labels > labelCount(first.name)) {
      failures.push({ code: 'BAD_SIGNATURE', message: `${what}: RRSIG by ${tag} has ${sig.labels} labels, more than the owner name` });
      continue;
    }
    if (nowSeconds > sig.expiration) {
      failures.push({ code: 'RRSIG_EXPIRED', message: `${what}: RRSIG by ${tag} expired ${new Date(sig.expiration * 1000).toISOString()}` });
      continue;
    }
    if (nowSeconds < sig.inception) {
      failures.push({ code: 'RRSIG_NOT_YET_VALID', message: `${what}: RRSIG by ${tag} is valid from ${new Date(sig.inception * 1000).toISOString()}` });
      continue;
    }
    // RFC 4034 2.1.1: only zone keys (flags bit 7) sign zone data
    const candidates = keys.filter((k) => k.algorithm === sig.algorithm && keyTag(k) === sig.keyTag && (k.flags & 0x0100) !== 0 && k.protocol === 3);
    if (candidates.length === 0) {
      failures.push({ code: 'DNSKEY_MISSING', message: `${what}: RRSIG by ${tag}, which is not in ${signer}'s DNSKEY set` });
      continue;
    }
    let data: Buffer;
    try {
      data = signedData(sig, rrset);
    } catch (e) {
      failures.push({ code: 'BAD_SIGNATURE', message: `${what}: cannot put it in canonical form: ${(e as Error).message}` });
      continue;
    }
    const signature = Buffer.from(sig.signature, 'base64');
    for (const k of candidates) {
      const check = verifySignature(k, data, signature);
      if (check === 'valid') return { ok: true, message: `${what} signed by ${tag}`, tags: [sig.keyTag], algorithms: [sig.algorithm] };
      failures.push(check === 'unsupported'
        ? { code: 'UNSUPPORTED_ALGORITHM', message: `${what}: ${tag} cannot be read` }
        : { code: 'BAD_SIGNATURE', message: `${what}: the signature by ${tag} does not verify` });
    }
  }
  failures.sort((a, b) => order.indexOf(a.code) - order.indexOf(b.code));
  const worst = failures[0]!;
  return { ok: false, code: worst.code, message: worst.message, tags: mine.map((s) => s.keyTag), algorithms: [...new Set(mine.map((s) => s.algorithm))] };
}
