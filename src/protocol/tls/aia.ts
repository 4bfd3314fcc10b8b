/**
 * AIA caIssuers (RFC 5280 4.2.2.1): where a certificate says its issuer can be fetched. Browsers
 * fetch it when a server leaves an intermediate out; curl, openssl, Python, Go, Java and Node
 * clients do not, so a chain that only works that way works in a browser and fails everywhere
 * else. This module fetches it, opt-in (HTTP only, bounded): the object is one DER (or PEM)
 * certificate, or a PKCS#7 "certs-only" SignedData (RFC 5280: "application/pkcs7-mime").
 */
import { X509Certificate } from 'node:crypto';
import { pemBlocks, tlv } from './certs.js';
import { FETCH_LIMITS, FetchFailed, httpFetch, unfetchableReason } from './fetch.js';

/** How many caIssuers fetches one check may make (each one a level up the path). */
export const MAX_AIA_FETCHES = 4;

/** The caIssuers URLs of a certificate's AIA extension, in order (Node's infoAccess text). */
export function caIssuersUrlsOf(cert: X509Certificate): string[] {
  return [...(cert.infoAccess ?? '').matchAll(/CA Issuers - URI:(\S+)/g)].map((m) => m[1]!);
}

/** The OCSP responder URLs of a certificate's AIA extension, in order. */
export function ocspUrlsOf(cert: X509Certificate): string[] {
  return [...(cert.infoAccess ?? '').matchAll(/OCSP - URI:(\S+)/g)].map((m) => m[1]!);
}

/** 1.2.840.113549.1.7.2, id-signedData, as DER OID content bytes. */
const SIGNED_DATA = Buffer.from('2a864886f70d010702', 'hex');

/**
 * The certificates of a PKCS#7 / CMS ContentInfo holding SignedData (RFC 5652 5.1: SEQUENCE {
 * version, digestAlgorithms, encapContentInfo, certificates [0] IMPLICIT SET OF ... }), DER.
 * Undefined when the bytes are not shaped like that.
 */
function pkcs7Certificates(der: Buffer): Buffer[] | undefined {
  try {
    const info = tlv(der, 0);
    const oid = tlv(der, info.start);
    if (info.tag !== 0x30 || oid.tag !== 0x06 || !der.subarray(oid.start, oid.end).equals(SIGNED_DATA)) return undefined;
    const explicit = tlv(der, oid.end);
    const sd = tlv(der, explicit.start);
    const version = tlv(der, sd.start);
    const digests = tlv(der, version.end);
    const encap = tlv(der, digests.end);
    if (explicit.tag !== 0xa0 || sd.tag !== 0x30 || version.tag !== 0x02 || digests.tag !== 0x31 || encap.tag !== 0x30) return undefined;
    if (encap.end >= sd.end) return [];
    const set = tlv(der, encap.end);
    if (set.tag !== 0xa0) return [];
    const out: Buffer[] = [];
    for (let at = set.start; at < set.end;) {
      const c = tlv(der, at);
      if (c.tag === 0x30) out.push(der.subarray(at, c.end));
      at = c.end;
    }
    return out;
  } catch {
    return undefined;
  }
}

/**
 * The certificates in a caIssuers object: DER certificate, PEM certificate(s), or PKCS#7
 * certs-only (DER or PEM `PKCS7`). Throws an Error naming what it is not.
 */
export function readCaIssuersObject(body: Buffer): X509Certificate[] {
  let ders: Buffer[] | undefined;
  if (body[0] === 0x30) {
    ders = pkcs7Certificates(body) ?? [body];
  } else {
    const text = body.toString('latin1');
    const p7 = /-----BEGIN (?:PKCS7|CMS)-----([\s\S]*?)-----END (?:PKCS7|CMS)-----/.exec(text);
    ders = p7 ? pkcs7Certificates(Buffer.from(p7[1]!.replace(/\s+/g, ''), 'base64')) : pemBlocks(text);
  }
  const neither = 'neither a certificate nor a PKCS#7 bundle of certificates';
  if (!ders || ders.length === 0) throw new Error(neither);
  return ders.map((der) => {
    try {
      return new X509Certificate(der);
    } catch {
      throw new Error(neither);
    }
  });
}

/** What fetching one certificate's caIssuers gave. */
export interface CaIssuersFetch {
  /** The URL fetched (the first http: one), or null when the certificate names none. */
  url: string | null;
  certs: X509Certificate[];
  /** Why nothing usable came (no URL, not http:, unreachable, not a certificate...). */
  error?: string;
  /** The fetch was stopped by the signal. */
  interrupted?: true;
}

/**
 * The hook of --fetch-missing: fetch the caIssuers object of `cert` (the leaf, or the last
 * certificate of a path that stops) and return the certificates in it. Tries the http: URLs in
 * order; never throws.
 */
export async function fetchCaIssuers(cert: X509Certificate, how: { timeoutMs: number; signal?: AbortSignal }): Promise<CaIssuersFetch> {
  const urls = caIssuersUrlsOf(cert);
  if (urls.length === 0) return { url: null, certs: [], error: 'it names no caIssuers URL (no AIA extension)' };
  const http = urls.filter((u) => !unfetchableReason(u));
  if (http.length === 0) return { url: urls[0]!, certs: [], error: `${urls[0]}: ${unfetchableReason(urls[0]!)}` };
  let last: CaIssuersFetch = { url: http[0]!, certs: [] };
  for (const url of http) {
    try {
      const got = await httpFetch(url, { maxBytes: FETCH_LIMITS.caIssuers, timeoutMs: how.timeoutMs, signal: how.signal, accept: 'application/pkix-cert, application/pkcs7-mime, */*' });
      try {
        return { url, certs: readCaIssuersObject(got.body) };
      } catch (e) {
        last = { url, certs: [], error: `${url} sent ${(e as Error).message}` };
      }
    } catch (e) {
      if (!(e instanceof FetchFailed)) throw e;
      last = { url, certs: [], error: e.message, ...(e.reason === 'interrupted' ? { interrupted: true as const } : {}) };
      if (e.reason === 'interrupted') return last;
    }
  }
  return last;
}
