/**
 * Certification path building (RFC 5280 6, RFC 4158) as OpenSSL 3 does it, with backtracking.
 *
 * Candidate issuers of a certificate are found by name (its issuer is their subject, compared
 * as X509_NAME_cmp does) and key identifier (its authorityKeyIdentifier, when both sides
 * have one, is their subjectKeyIdentifier), with a signature algorithm that fits their key:
 * OpenSSL's ossl_x509_likely_issued. Neither keyUsage nor the signature decides who is a
 * candidate; they are judged on the path, so that the problem named is the real one.
 *
 * The order of the candidates is OpenSSL's (x509_vfy.c build_chain with the default
 * X509_V_FLAG_TRUSTED_FIRST, get0_best_issuer_sk): trust anchors first, then the certificates
 * sent; within each, those valid now first, in their order, then the others latest notAfter
 * first. The first path found in that order is the one OpenSSL builds. Unlike OpenSSL, the
 * search goes on when that path does not validate: a valid path, if any, wins (as browsers
 * and RFC 4158 builders do); otherwise the first path found is the one reported, so the
 * problems named are OpenSSL's. The search is bounded ({@link MAX_CANDIDATES_TRIED}).
 */
import type { X509Certificate } from 'node:crypto';
import { describeCert, type CertInfo } from './certs.js';
import type { AnchorSet } from './trust.js';
import { readCertFields, type CertFields } from './x509-ext.js';

/** The most issuer candidates one path search tries (edges of the search tree) before it settles for what it found. */
export const MAX_CANDIDATES_TRIED = 2000;

/** A certificate as the path builder sees it. */
export interface PathCert {
  cert: X509Certificate;
  info: CertInfo;
  fields: CertFields;
  /** Its index in the chain as sent, when it was sent (the first copy). */
  sentIndex: number | undefined;
  /** Whether it is a trust anchor (the same certificate, byte for byte). */
  anchor: boolean;
  /** Subject and issuer names are the same (RFC 5280 "self-issued"). */
  selfIssued: boolean;
  /** OpenSSL's EXFLAG_SS: self-issued, key identifiers consistent, signature algorithm fits its own key. */
  selfSigned: boolean;
}

/** How a path search ended. */
export type PathEnd =
  /** At a trust anchor. */
  | 'anchor'
  /** At a self-signed certificate that is not a trust anchor. */
  | 'self-signed'
  /** At a certificate whose issuer is neither sent nor an anchor. */
  | 'no-issuer'
  /** Past the depth bound (the path holds what was walked). */
  | 'too-long';

export interface BuiltPath {
  certs: PathCert[];
  end: PathEnd;
}

/** What the key type of a signature algorithm (OpenSSL's name) must be, for ossl_x509_likely_issued's check_sig_alg_match. */
function keyTypeOfSignature(alg: string): string | undefined {
  if (/^ecdsa/i.test(alg)) return 'EC';
  if (/RSA|rsassaPss/i.test(alg)) return 'RSA';
  if (/^dsa/i.test(alg)) return 'DSA';
  if (alg === 'ED25519' || alg === 'ED448') return alg;
  return undefined;
}

function sigFits(child: PathCert, issuer: PathCert): boolean {
  const want = keyTypeOfSignature(child.info.signatureAlgorithm);
  if (want === undefined) return true;
  const have = issuer.info.keyType === 'RSA-PSS' ? 'RSA' : issuer.info.keyType;
  return want === have;
}

/** ossl_x509_likely_issued(issuer, child): names, key identifiers and signature algorithm agree. */
export function likelyIssued(child: PathCert, issuer: PathCert): boolean {
  const { issuerKey } = child.fields;
  const { subjectKey } = issuer.fields;
  if (issuerKey === undefined || subjectKey === undefined) {
    if (child.cert.issuer !== issuer.cert.subject) return false;
  } else if (issuerKey !== subjectKey) return false;
  const aki = child.fields.authorityKeyId;
  const ski = issuer.fields.subjectKeyId;
  if (aki !== undefined && ski !== undefined && aki !== ski) return false;
  return sigFits(child, issuer);
}

/**
 * readCertFields of each certificate object, once: a probe of `netlab exporter` or a `netlab
 * check` run gets the same parsed certificates again (connect.ts keeps them by their DER), and
 * the fields are only read, never changed.
 */
const fieldsOf = new WeakMap<X509Certificate, CertFields>();

function certFields(cert: X509Certificate): CertFields {
  let fields = fieldsOf.get(cert);
  if (fields === undefined) {
    fields = readCertFields(cert.raw);
    fieldsOf.set(cert, fields);
  }
  return fields;
}

/** Make the builder's view of a certificate. */
export function pathCert(cert: X509Certificate, sentIndex: number | undefined, anchor: boolean, info: CertInfo = describeCert(cert)): PathCert {
  const fields = certFields(cert);
  const selfIssued = fields.issuerKey !== undefined ? fields.issuerKey === fields.subjectKey : cert.issuer === cert.subject;
  const pc: PathCert = { cert, info, fields, sentIndex, anchor, selfIssued, selfSigned: false };
  pc.selfSigned = selfIssued && likelyIssued(pc, pc);
  return pc;
}

/** Whether a certificate is within its validity period at `now`. */
export function validAt(c: PathCert, now: number): boolean {
  return c.info.notBefore.getTime() <= now && now <= c.info.notAfter.getTime();
}

/** get0_best_issuer_sk's preference: valid now first (in order), then latest notAfter first. */
function ordered(list: PathCert[], now: number): PathCert[] {
  const valid = list.filter((c) => validAt(c, now));
  const other = list.filter((c) => !validAt(c, now)).sort((a, b) => b.info.notAfter.getTime() - a.info.notAfter.getTime());
  return [...valid, ...other];
}

export interface SearchOptions {
  now: Date;
  /** Intermediates allowed between the leaf and the anchor (neither counts). */
  maxIntermediates: number;
  /** Decides whether a complete path is acceptable; the search stops at the first that is. */
  accept(path: BuiltPath): boolean;
}

export interface SearchResult {
  /** The path chosen: the first accepted one, else the first complete one, else the first dead end. */
  chosen: BuiltPath;
  /** Every path found, in search order (complete ones and dead ends), at most a few hundred. */
  found: BuiltPath[];
  /** The bound on candidates was reached before the search was done. */
  bounded: boolean;
}

const MAX_PATHS_KEPT = 200;

/**
 * Search for paths from `leaf` to a trust anchor over the certificates sent and the anchors,
 * in OpenSSL's order, backtracking until a path is accepted or every candidate was tried (or
 * {@link MAX_CANDIDATES_TRIED} were). Never throws.
 */
export function searchPaths(leaf: PathCert, sent: PathCert[], anchors: AnchorSet, options: SearchOptions): SearchResult {
  const now = options.now.getTime();
  const anchorCache = new Map<string, PathCert>();
  const anchorOf = (c: X509Certificate): PathCert => {
    const known = anchorCache.get(c.fingerprint256);
    if (known) return known;
    // an anchor that was also sent keeps its place in the chain as sent
    const sentCopy = sent.find((s) => s.cert.fingerprint256 === c.fingerprint256);
    const pc = sentCopy ? { ...sentCopy, anchor: true } : pathCert(c, undefined, true);
    anchorCache.set(c.fingerprint256, pc);
    return pc;
  };
  // one entry per distinct certificate sent (a certificate sent twice is one candidate)
  const distinct: PathCert[] = [];
  for (const s of sent) if (!distinct.some((d) => d.cert.fingerprint256 === s.cert.fingerprint256)) distinct.push(s);

  const found: BuiltPath[] = [];
  let chosen: BuiltPath | undefined;
  let tried = 0;
  let bounded = false;
  const record = (p: BuiltPath): void => {
    if (found.length < MAX_PATHS_KEPT) found.push(p);
    if (p.end === 'anchor' && options.accept(p)) chosen = p;
  };

  const start = leaf.anchor ? leaf : anchors.has(leaf.cert) ? anchorOf(leaf.cert) : leaf;
  const walk = (path: PathCert[]): void => {
    if (chosen || bounded) return;
    const last = path[path.length - 1]!;
    if (last.anchor) {
      record({ certs: [...path], end: 'anchor' });
      return;
    }
    const onPath = (c: PathCert) => path.some((p) => p.cert.fingerprint256 === c.cert.fingerprint256);
    const trusted = ordered(anchors.issuersOf(last.cert).map(anchorOf).filter((a) => !onPath(a) && likelyIssued(last, a)), now);
    // a self-signed certificate ends the search among the certificates sent (OpenSSL stops there too)
    const untrusted = last.selfSigned ? [] : ordered(distinct.filter((c) => !onPath(c) && !anchors.has(c.cert) && likelyIssued(last, c)), now);
    const candidates = [...trusted, ...untrusted];
    if (candidates.length === 0) {
      record({ certs: [...path], end: last.selfSigned ? 'self-signed' : 'no-issuer' });
      return;
    }
    for (const c of candidates) {
      if (chosen || bounded) return;
      if (++tried > MAX_CANDIDATES_TRIED) {
        bounded = true;
        return;
      }
      // the leaf and the anchor do not count against the depth
      if (path.length - 1 >= options.maxIntermediates && !c.anchor) {
        record({ certs: [...path, c], end: 'too-long' });
        continue;
      }
      path.push(c);
      walk(path);
      path.pop();
    }
  };
  walk([start]);
  const result = chosen ?? found.find((p) => p.end === 'anchor') ?? found[0] ?? { certs: [start], end: 'no-issuer' as const };
  return { chosen: result, found, bounded };
}
