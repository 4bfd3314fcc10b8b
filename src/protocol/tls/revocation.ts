/**
 * What cert-check does beyond the chain sent, each part only when asked (no network beyond the
 * TLS server otherwise): ask the leaf's OCSP responder (RFC 6960, POST with a nonce), fetch the
 * leaf's CRL (RFC 5280), and fetch a missing issuer from the AIA caIssuers URL as browsers do.
 * Every fetch is plain HTTP, bounded in bytes (fetch.ts FETCH_LIMITS) and by the check's
 * timeout, and stops at once on the run's signal.
 *
 * Verdicts have the staple's shape (ocsp.ts OcspStaple) and are reported as a staple is:
 * REVOKED (CRITICAL) from an answer that verifies; BAD_OCSP_RESPONSE / BAD_CRL (WARNING) for an
 * answer that cannot be relied on or does not come; a note for what could not be asked (no
 * URL, not http:, no issuer known).
 */
import { randomBytes, type X509Certificate } from 'node:crypto';
import type { Note } from '../../errors.js';
import { analyseChain, problem, verdict, type CertProblem, type CertNoteCode, type CertProblemCode, type ChainAnalysis, type ChainPolicy, type PathEntry } from './chain.js';
import { describeCert, issuedBy } from './certs.js';
import type { AnchorSet } from './trust.js';
import { fetchCaIssuers, MAX_AIA_FETCHES, ocspUrlsOf } from './aia.js';
import { FETCH_LIMITS, FetchFailed, httpFetch, unfetchableReason } from './fetch.js';
import { buildOcspRequest, NONCE_BYTES, readOcspResponse, type OcspStaple } from './ocsp.js';
import type { CrlVerdict } from './crl.js';

/** What the OCSP responder named in the leaf's AIA said (RFC 6960), checked as a staple is. */
export interface OcspCheck extends OcspStaple {
  /** The responder asked (the first http: OCSP URL of the leaf), or null when it names none. */
  url: string | null;
  /** Whether the responder echoed the request's nonce; absent when no answer was read. */
  nonce?: 'echoed' | 'absent';
  /** Why the responder was not asked (then certStatus is null and no problem is reported: a note says it). */
  skipped?: string;
}

/** What the CRL from the leaf's distribution point says, checked as a staple is. */
export interface CrlCheck extends CrlVerdict {
  /** The CRL fetched (the first http: distribution point), or null when the leaf names none. */
  url: string | null;
  /** Its size in bytes, when fetched. */
  bytes?: number;
  /** Why it was not fetched (certStatus null, a note, no problem). */
  skipped?: string;
}

/** Revocation beyond the staple: each part null when it was not asked for. */
export interface RevocationChecks {
  ocsp: OcspCheck | null;
  crl: CrlCheck | null;
}

/** One certificate fetched from a caIssuers URL. */
export interface FetchedIssuer {
  /** Where it came from. */
  url: string;
  subject: string;
  issuer: string;
  notAfter: string;
  fingerprint256: string;
}

/** What --fetch-missing found (null when no intermediate was missing, or it was not asked). */
export interface AiaCompletion {
  /** Each caIssuers fetch, in order: the URL and, when it gave nothing usable, why. */
  attempts: Array<{ url: string | null; error?: string }>;
  /** The certificates fetched, in order. */
  fetched: FetchedIssuer[];
  /** With the fetched certificates, the path reaches a trust anchor (a browser would accept the chain, as far as the path goes). */
  completesPath: boolean;
  /** The problem codes of the chain if the fetched certificates had been sent (CHAIN_ORDER aside). */
  codesWithFetched: CertProblemCode[];
}

/** The codes of what could not be checked (notes; the status never depends on them). */
export type BeyondChainNoteCode = Extract<CertNoteCode, 'OCSP_NOT_ASKED' | 'CRL_NOT_FETCHED' | 'ISSUER_NOT_FETCHED'>;

/** What to do beyond the chain, and the bounds. */
export interface BeyondChainOptions {
  ocsp?: boolean;
  crl?: boolean;
  fetchMissing?: boolean;
  /** Milliseconds for each fetch (redirects included). */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** What {@link checkBeyondChain} adds to a check. */
export interface BeyondChain {
  revocation: RevocationChecks | null;
  aia: AiaCompletion | null;
  notes: Array<Note<BeyondChainNoteCode>>;
  /** The signal stopped a fetch. */
  interrupted: boolean;
}

function firstHttp(urls: string[]): { url: string | null; skipped?: string } {
  if (urls.length === 0) return { url: null };
  const http = urls.find((u) => !unfetchableReason(u));
  return http ? { url: http } : { url: urls[0]!, skipped: `${urls[0]}: ${unfetchableReason(urls[0]!)}` };
}

/** Ask the leaf's OCSP responder (POST, RFC 6960 A.1.1) about it, with a fresh nonce. Never throws. */
export async function askOcsp(leaf: X509Certificate, issuer: X509Certificate | undefined, how: { timeoutMs: number; signal?: AbortSignal; now: Date }): Promise<OcspCheck & { interrupted?: true }> {
  const { url, skipped } = firstHttp(ocspUrlsOf(leaf));
  if (url === null) return { url, certStatus: null, skipped: 'the leaf names no OCSP responder (no AIA OCSP URL)' };
  if (skipped) return { url, certStatus: null, skipped };
  if (!issuer) return { url, certStatus: null, skipped: "the leaf's issuer is not known (not sent, not a trust anchor), and a request names it" };
  const nonce = randomBytes(NONCE_BYTES);
  let body: Buffer;
  try {
    const got = await httpFetch(url, {
      method: 'POST',
      body: buildOcspRequest(leaf, issuer, nonce),
      contentType: 'application/ocsp-request',
      accept: 'application/ocsp-response',
      maxBytes: FETCH_LIMITS.ocsp,
      timeoutMs: how.timeoutMs,
      signal: how.signal,
    });
    body = got.body;
  } catch (e) {
    if (!(e instanceof FetchFailed)) throw e;
    if (e.reason === 'interrupted') return { url, certStatus: null, skipped: e.message, interrupted: true };
    return { url, certStatus: null, invalid: e.message };
  }
  return { url, ...readOcspResponse(body, leaf, issuer, how.now, nonce) };
}

/** Fetch the leaf's CRL (the first http: distribution point) and look the leaf up in it. Never throws. */
export async function fetchCrl(leaf: X509Certificate, issuer: X509Certificate | undefined, how: { timeoutMs: number; signal?: AbortSignal; now: Date }): Promise<CrlCheck & { interrupted?: true }> {
  const { crlUrlsOf, readCrl } = await import('./crl.js');
  const { url, skipped } = firstHttp(crlUrlsOf(leaf));
  if (url === null) return { url, certStatus: null, skipped: 'the leaf names no CRL distribution point' };
  if (skipped) return { url, certStatus: null, skipped };
  if (!issuer) return { url, certStatus: null, skipped: "the leaf's issuer is not known (not sent, not a trust anchor), and its key must have signed the CRL" };
  let body: Buffer;
  try {
    body = (await httpFetch(url, { maxBytes: FETCH_LIMITS.crl, timeoutMs: how.timeoutMs, signal: how.signal, accept: 'application/pkix-crl, */*' })).body;
  } catch (e) {
    if (!(e instanceof FetchFailed)) throw e;
    if (e.reason === 'interrupted') return { url, certStatus: null, skipped: e.message, interrupted: true };
    return { url, certStatus: null, invalid: e.message };
  }
  return { url, bytes: body.length, ...readCrl(body, leaf, issuer, how.now) };
}

/** The problems an OCSP answer gives, as for a staple (check.ts judgeStaple). */
function ocspProblems(o: OcspCheck, subject: string): CertProblem[] {
  const who = `the OCSP responder at ${o.url}`;
  if (o.certStatus === 'revoked') {
    const reason = o.revocationReason ? `, reason ${o.revocationReason}` : '';
    return [problem('REVOKED', 'CRITICAL', `${who}, signed by ${o.signedBy}, says the certificate was revoked on ${o.revokedAt!.slice(0, 10)}${reason}`, subject)];
  }
  if (o.certStatus === 'unknown') return [problem('BAD_OCSP_RESPONSE', 'WARNING', `${who} does not know this certificate (status unknown)`, subject)];
  if (o.certStatus === null && o.invalid) return [problem('BAD_OCSP_RESPONSE', 'WARNING', `${who} gave no answer that can be relied on: ${o.invalid}`, subject)];
  return [];
}

function crlProblems(c: CrlCheck, subject: string): CertProblem[] {
  const which = `the CRL at ${c.url}`;
  if (c.certStatus === 'revoked') {
    const reason = c.revocationReason ? `, reason ${c.revocationReason}` : '';
    return [problem('REVOKED', 'CRITICAL', `${which}, signed by ${c.signedBy} (thisUpdate ${c.thisUpdate}), lists the certificate as revoked on ${c.revokedAt!.slice(0, 10)}${reason}`, subject)];
  }
  if (c.certStatus === null && c.invalid) return [problem('BAD_CRL', 'WARNING', `${which} cannot be relied on: ${c.invalid}`, subject)];
  return [];
}

/**
 * The hook of check.ts: after the chain is analysed, fetch what was asked for and add its
 * problems to `a` (its status recomputed by {@link verdict}). `sent` are the certificates as
 * sent (or in the bundle), `leafIndex` the leaf's index. Never throws for what a server or a
 * URL does; a fetch stopped by the signal sets `interrupted`.
 */
export async function checkBeyondChain(sent: X509Certificate[], leafIndex: number, anchors: AnchorSet, a: ChainAnalysis, policy: ChainPolicy, how: BeyondChainOptions): Promise<BeyondChain> {
  const out: BeyondChain = { revocation: null, aia: null, notes: [], interrupted: false };
  const leaf = sent[leafIndex]!;
  const subject = a.chain[leafIndex]!.subject;
  let fetched: X509Certificate[] = [];

  // 1. AIA: only when the issuer of the path's last certificate is missing
  const missing = a.problems.find((p) => p.code === 'MISSING_INTERMEDIATE');
  if (how.fetchMissing && missing) {
    const aia: AiaCompletion = { attempts: [], fetched: [], completesPath: false, codesWithFetched: [] };
    let cur = sent[lastSent(a.path)]!;
    // each turn fetches one level up, at most MAX_AIA_FETCHES
    for (let turn = 0; turn < MAX_AIA_FETCHES; turn++) {
      const f = await fetchCaIssuers(cur, how);
      aia.attempts.push({ url: f.url, ...(f.error ? { error: f.error } : {}) });
      if (f.interrupted) out.interrupted = true;
      const known = new Set([...sent, ...fetched].map((c) => c.fingerprint256));
      const fresh = f.certs.filter((c) => !known.has(c.fingerprint256));
      if (fresh.length === 0) break;
      fetched = [...fetched, ...fresh];
      aia.fetched.push(...fresh.map((c) => {
        const d = describeCert(c);
        return { url: f.url!, subject: d.subject, issuer: d.issuer, notAfter: d.notAfter.toISOString(), fingerprint256: c.fingerprint256 };
      }));
      const again = analyseChain([...sent, ...fetched], anchors, policy, leafIndex);
      aia.completesPath = again.trusted;
      aia.codesWithFetched = [...new Set(again.problems.map((p) => p.code).filter((c) => c !== 'CHAIN_ORDER'))];
      const last = lastSent(again.path);
      // go on only from a fetched certificate whose own issuer is still missing
      if (again.trusted || last < sent.length) break;
      cur = fetched[last - sent.length]!;
    }
    const lastError = aia.attempts.at(-1)?.error;
    const tail = aia.completesPath
      ? `; fetched from its AIA caIssuers URL, it completes the path to a trust anchor: browsers will load it, API clients (curl, openssl, most libraries) will not`
      : aia.fetched.length > 0
        ? `; what its AIA caIssuers URL serves does not complete the path${lastError ? ` (${lastError})` : ''}: browsers fail too`
        : `; fetching it from the AIA caIssuers URL gave nothing usable (${lastError ?? 'no URL'}): browsers fail too`;
    missing.message += tail;
    out.aia = aia;
    if (out.interrupted) out.notes.push({ code: 'ISSUER_NOT_FETCHED', message: `the fetch of the missing issuer was interrupted (${aia.attempts.at(-1)?.error ?? ''})`, subject });
  }

  // 2. revocation of the leaf, both sources at once
  if ((how.ocsp || how.crl) && !out.interrupted) {
    const others = sent.filter((_, i) => i !== leafIndex);
    const issuer = [...others, ...fetched, ...anchors.issuersOf(leaf)].find((c) => issuedBy(leaf, c) === 'yes');
    const ask = { timeoutMs: how.timeoutMs, signal: how.signal, now: policy.now };
    const [ocsp, crl] = await Promise.all([how.ocsp ? askOcsp(leaf, issuer, ask) : null, how.crl ? fetchCrl(leaf, issuer, ask) : null]);
    for (const x of [ocsp, crl]) {
      if (x?.interrupted) {
        out.interrupted = true;
        delete x.interrupted;
      }
    }
    out.revocation = { ocsp, crl };
    if (ocsp) {
      a.problems.push(...ocspProblems(ocsp, subject));
      if (ocsp.skipped) out.notes.push({ code: 'OCSP_NOT_ASKED', message: `OCSP not asked: ${ocsp.skipped}`, subject });
    }
    if (crl) {
      a.problems.push(...crlProblems(crl, subject));
      if (crl.skipped) out.notes.push({ code: 'CRL_NOT_FETCHED', message: `CRL not fetched: ${crl.skipped}`, subject });
    }
  }
  Object.assign(a, verdict(a.problems, a.trusted));
  return out;
}

/** The index (into the certificates analysed) of the last certificate of a path that is not a store anchor. */
function lastSent(path: PathEntry[]): number {
  return path.filter((e) => e.index !== null).at(-1)!.index!;
}
