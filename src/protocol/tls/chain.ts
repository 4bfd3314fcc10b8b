/**
 * Chain analysis: build the path from the leaf to a trust anchor ourselves and run every
 * check, reporting all problems at once. Node and OpenSSL stop at the first verify error
 * and skip the host check when the chain is bad; a person fixing a deployment wants the
 * whole list. Pure: certificates and a policy in, data out.
 */
import type { X509Certificate } from 'node:crypto';
import net from 'node:net';
import { statusOf, type Note, type Problem, type Severity, type Status } from '../../errors.js';
import { describeCert, issuedBy, weakSignature, type CertInfo } from './certs.js';
import { nameConstraintViolation, constraintsText, notACaReason, sslServerPurposeFailure } from './constraints.js';
import { MAX_CANDIDATES_TRIED, pathCert, searchPaths, type BuiltPath } from './path.js';
import { AnchorSet } from './trust.js';
import { UNDERSTOOD_CRITICAL } from './x509-ext.js';

/**
 * The codes of cert-check's problems (shared/CONTRACT.md, netlab cert-check, and netlab's
 * additions), each documented in netlab-cert-check(1).
 */
export type CertProblemCode =
  | 'EXPIRED' | 'NOT_YET_VALID' | 'EXPIRES_SOON' | 'HOSTNAME_MISMATCH' | 'SELF_SIGNED' | 'UNTRUSTED_ROOT'
  | 'MISSING_INTERMEDIATE' | 'CHAIN_ORDER' | 'WEAK_KEY' | 'WEAK_SIGNATURE' | 'BAD_SIGNATURE'
  | 'REVOKED' | 'BAD_OCSP_STAPLE' | 'UNREACHABLE' | 'HANDSHAKE_FAILED' | 'CHAIN_TOO_LONG' | 'UNVERIFIED_CHAIN'
  // issue 11: path validation (RFC 5280 6.1) as OpenSSL does it
  | 'CONSTRAINT_VIOLATION' | 'WRONG_PURPOSE' | 'UNKNOWN_CRITICAL_EXTENSION' | 'LONG_VALIDITY' | 'NAME_IN_CN_ONLY'
  // the connection (issue 11): connection-report.ts
  | 'OLD_TLS_VERSION' | 'STARTTLS_FAILED'
  // issue 11, revocation beyond the staple (revocation.ts)
  | 'BAD_OCSP_RESPONSE' | 'BAD_CRL';

/** The RFC 5280 constraint a CONSTRAINT_VIOLATION breaks. */
export type CertConstraint = 'basicConstraints' | 'pathLenConstraint' | 'keyUsage' | 'nameConstraints';

/**
 * What cert-check notes without judging it (the shared Note): a certificate sent but not on
 * the path chosen (UNUSED_CERTIFICATE), a leaf valid for longer than browsers accept from a
 * public CA when its CA is not one (LONG_VALIDITY), a path search cut at its bound
 * (PATH_SEARCH_BOUNDED); a server that asks for a client certificate (CLIENT_CERT_REQUIRED when it
 * ends the connection without one, CLIENT_CERT_REQUESTED when it carries on: connection-report.ts);
 * what --ocsp, --crl or --fetch-missing could not check (OCSP_NOT_ASKED, CRL_NOT_FETCHED,
 * ISSUER_NOT_FETCHED: revocation.ts).
 */
export type CertNoteCode =
  | 'UNUSED_CERTIFICATE' | 'LONG_VALIDITY' | 'PATH_SEARCH_BOUNDED'
  | 'CLIENT_CERT_REQUIRED' | 'CLIENT_CERT_REQUESTED'
  | 'OCSP_NOT_ASKED' | 'CRL_NOT_FETCHED' | 'ISSUER_NOT_FETCHED';
export type CertNote = Note<CertNoteCode>;

/**
 * A problem of a certificate check: the shared {@link Problem} with cert-check's codes, always
 * with its `fix` sentence, and `subject` (the certificate's subject, one line) when it is about
 * one certificate.
 */
export type CertProblem = Problem<CertProblemCode> & { fix: string; constraint?: CertConstraint };

/** How a chain is judged: the clock, the name to check, and the expiry thresholds. */
export interface ChainPolicy {
  /** The time to judge the dates at. */
  now: Date;
  /** Name (or IP address) the certificate must be valid for; undefined skips the check. */
  host?: string;
  /** WARNING when a certificate on the path has fewer whole days left. */
  warnDays: number;
  /** CRITICAL when a certificate on the path has fewer whole days left. */
  critDays: number;
  /** Percent (0-100) of the leaf's lifetime left under which to warn. */
  warnPercent?: number;
  /** Percent (0-100) of the leaf's lifetime left under which the check is CRITICAL. */
  critPercent?: number;
}

/** One certificate as cert-check reports it (a chain entry of the result, JSON-able). */
export interface ChainCert {
  subject: string;
  issuer: string;
  san: string[];
  notBefore: string;
  notAfter: string;
  daysLeft: number;
  keyType: string;
  keyBits: number;
  signatureAlgorithm: string;
  fingerprint256: string;
  isCA: boolean;
}

/** One certificate of the path chosen, leaf first. */
export interface PathEntry {
  /** Its index in `chain` (the certificates as sent), or null when it came from the trust store only. */
  index: number | null;
  subject: string;
  fingerprint256: string;
  /** `leaf`, `intermediate`, or `anchor` (the trust anchor the path ends at); `end` when the path ends untrusted at it. */
  role: 'leaf' | 'intermediate' | 'anchor' | 'end';
}

/** What {@link analyseChain} finds: the verdict, the problems, the path and the certificates as sent. */
export interface ChainAnalysis {
  status: Status;
  problems: CertProblem[];
  /** What was seen and not judged: certificates sent but not on the path, a long-lived leaf of a private CA, a bounded search. */
  notes: CertNote[];
  trusted: boolean;
  /** null when no host was given. */
  hostnameMatch: boolean | null;
  /** The certificates as sent (or as in the file), in that order. */
  chain: ChainCert[];
  /** The path chosen, from the leaf up to the anchor (or to where it ends untrusted). */
  path: PathEntry[];
  /** Whether the certificates sent on the path are not all those sent, in the order sent (an anchor added from the store is no difference). */
  pathDiffers: boolean;
  anchor?: ChainCert;
  leafIndex: number;
}

const DAY_MS = 86_400_000;

/**
 * Whole days from `now` to `notAfter`: the days left, floored; once expired, minus the whole
 * days since (expired 10.4 days ago is -10). The one computation behind every "days" netlab
 * shows (issue 11: the verdict said -11 and the problem 10 for the same certificate).
 */
export function wholeDaysLeft(notAfter: Date, now: Date): number {
  const ms = notAfter.getTime() - now.getTime();
  const days = ms >= 0 ? Math.floor(ms / DAY_MS) : -Math.floor(-ms / DAY_MS);
  return days === 0 ? 0 : days; // never -0
}

function toChainCert(c: CertInfo, now: Date): ChainCert {
  return {
    subject: c.subject,
    issuer: c.issuer,
    san: c.san,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    daysLeft: wholeDaysLeft(c.notAfter, now),
    keyType: c.keyType,
    keyBits: c.keyBits,
    signatureAlgorithm: c.signatureAlgorithm,
    fingerprint256: c.fingerprint256,
    isCA: c.isCA,
  };
}

/** One sentence per code on how to fix it: data, never command-line advice (renderers add that). */
export const FIX: Record<CertProblemCode, string> = {
  EXPIRED: 'Renew the certificate and deploy the new one (check that renewal automation runs and reloads the server).',
  NOT_YET_VALID: "Check the clock of the machine that issued it and of this one; deploy a certificate whose notBefore has passed.",
  EXPIRES_SOON: 'Renew it now; if renewal is automated, find out why it has not run.',
  HOSTNAME_MISMATCH: 'Issue a certificate whose subjectAltName lists this name (or serve the right one for this SNI name).',
  SELF_SIGNED: 'Use a certificate issued by a CA that clients trust (or distribute this one to clients as a trust anchor).',
  UNTRUSTED_ROOT: 'Chain to a root that clients trust, or give clients this root.',
  MISSING_INTERMEDIATE: 'Serve the intermediate certificate(s) after the leaf (configure the full chain, e.g. fullchain.pem).',
  CHAIN_ORDER: 'Send the leaf first, then each issuer in order; leave out certificates that are not part of the chain.',
  WEAK_KEY: 'Reissue with an RSA key of at least 2048 bits or an ECDSA P-256 key.',
  WEAK_SIGNATURE: 'Reissue with a SHA-256 (or stronger) signature: browsers reject SHA-1 and MD5 signatures.',
  BAD_SIGNATURE: 'The certificate was not signed by the key of the issuer it names: serve the issuer that really signed it.',
  REVOKED: 'Issue a new certificate (with a new key if the old one may be compromised) and deploy it: clients that check revocation refuse this one.',
  BAD_OCSP_STAPLE: "Fix the server's OCSP stapling (fetch a fresh response from the CA's responder, for this certificate); clients ignore or reject a bad staple.",
  UNREACHABLE: 'Check the address, the port and that the server is listening (and any firewall on the way).',
  HANDSHAKE_FAILED: 'Check that the port speaks TLS and that client and server share a protocol version and cipher.',
  CHAIN_TOO_LONG: 'Issue the leaf from a CA closer to the root: clients give up on paths with more than 100 intermediate certificates (OpenSSL\'s default verify depth).',
  CONSTRAINT_VIOLATION: 'Issue the certificate from a CA allowed to issue it (a CA certificate with CA:TRUE and keyCertSign, within its pathLenConstraint and name constraints), and serve that CA\'s chain.',
  WRONG_PURPOSE: 'Issue the server certificate with extendedKeyUsage serverAuth (and a keyUsage that allows digitalSignature or keyEncipherment), from CAs whose extendedKeyUsage, if any, includes serverAuth.',
  UNKNOWN_CRITICAL_EXTENSION: 'Reissue the certificate without marking that extension critical (or without it): clients refuse certificates with critical extensions they do not know.',
  NAME_IN_CN_ONLY: 'Reissue the certificate with the name in its subjectAltName: browsers ignore the subject CN (Chrome since 58, Firefox since 48; RFC 6125).',
  LONG_VALIDITY: 'Reissue the certificate with a validity of at most 398 days (public CAs can no longer issue longer ones; 90 days with automated renewal is best).',
  UNVERIFIED_CHAIN: 'This is a bug of netlab (a chain left unverified without a reason): please report it with the chain; meanwhile check the chain with openssl verify.',
  OLD_TLS_VERSION: 'Enable TLS 1.2 and 1.3 on the server (and turn TLS 1.0 and 1.1 off): browsers refuse TLS 1.0 and 1.1 (RFC 8996).',
  STARTTLS_FAILED: 'Check that the port speaks this protocol and that the server offers STARTTLS there (a TLS certificate and key configured for it).',
  BAD_OCSP_RESPONSE: "The CA's OCSP responder gave no usable answer about this certificate: clients that require one refuse it (others fail open); staple a good response on the server, and report a lasting fault to the CA.",
  BAD_CRL: "The CA's CRL for this certificate cannot be fetched or relied on: clients that require it refuse the certificate; report it to the CA (or check the distribution point in the certificate).",
};

/**
 * OpenSSL's default verify depth (X509_VERIFY_PARAM "default", depth 100): the most intermediate
 * CA certificates a path may have between the leaf and the trust anchor, neither of which
 * counts. One more is `openssl verify` error 22, "certificate chain too long".
 */
export const MAX_INTERMEDIATES = 100;

/** The codes that say why a chain was not verified to a trust anchor. */
const UNTRUSTED_BECAUSE: ReadonlySet<CertProblemCode> = new Set<CertProblemCode>([
  'SELF_SIGNED', 'UNTRUSTED_ROOT', 'MISSING_INTERMEDIATE', 'BAD_SIGNATURE', 'CHAIN_TOO_LONG', 'UNREACHABLE', 'HANDSHAKE_FAILED', 'UNVERIFIED_CHAIN',
  'CONSTRAINT_VIOLATION', 'WRONG_PURPOSE', 'UNKNOWN_CRITICAL_EXTENSION',
  'STARTTLS_FAILED',
]);

/** The codes that make a path to an anchor invalid whatever the clock says (openssl verify -no_check_time fails). */
const PATH_INVALID: ReadonlySet<CertProblemCode> = new Set<CertProblemCode>(['BAD_SIGNATURE', 'CONSTRAINT_VIOLATION', 'WRONG_PURPOSE', 'UNKNOWN_CRITICAL_EXTENSION']);

/**
 * The verdict of a check: the worst severity among its problems, OK when there is none. A chain
 * that is not trusted is CRITICAL, whatever else was found: when no CRITICAL problem says why it
 * is not (a path code: SELF_SIGNED, UNTRUSTED_ROOT, ...), UNVERIFIED_CHAIN is added, so that
 * `trusted: false` with OK or WARNING cannot come out of netlab. The status is {@link statusOf}'s.
 * Returns a new list when it adds a problem; never changes `problems`.
 */
export function verdict(problems: CertProblem[], trusted: boolean): { status: Status; problems: CertProblem[] } {
  const explained = trusted || problems.some((p) => p.severity === 'CRITICAL' && UNTRUSTED_BECAUSE.has(p.code));
  const all = explained ? problems : [...problems, problem('UNVERIFIED_CHAIN', 'CRITICAL', 'the chain was not verified to a trust anchor, and no check said why')];
  return { status: statusOf(all), problems: all };
}

/** A problem with its code's fix sentence, and the subject of the certificate it is about (when it is about one). */
export function problem(code: CertProblemCode, severity: Severity, message: string, subject?: string): CertProblem {
  return subject === undefined ? { code, severity, message, fix: FIX[code] } : { code, severity, message, subject, fix: FIX[code] };
}

/** The index of a bundle's leaf: the first certificate that is not a CA; -1 when all are CAs. */
export function findLeaf(certs: CertInfo[]): number {
  return certs.findIndex((c) => !c.isCA);
}

/** The role words of messages: the leaf, an intermediate, the root (a self-signed anchor), the trust anchor. */
function roleOf(p: BuiltPath, i: number): string {
  if (i === 0) return 'the leaf';
  const c = p.certs[i]!;
  if (i === p.certs.length - 1 && c.anchor) return c.selfSigned ? 'the root' : 'the trust anchor';
  return 'the intermediate';
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The dates of one certificate on the path: EXPIRED, NOT_YET_VALID or EXPIRES_SOON, as the policy says. */
function dateProblems(c: CertInfo, role: string, policy: ChainPolicy): CertProblem[] {
  const now = policy.now.getTime();
  if (now > c.notAfter.getTime()) {
    const ago = -wholeDaysLeft(c.notAfter, policy.now);
    return [problem('EXPIRED', 'CRITICAL', `${role} "${c.subject}" expired ${plural(ago, 'day')} ago (${c.notAfter.toISOString()})`, c.subject)];
  }
  if (now < c.notBefore.getTime()) {
    const days = Math.ceil((c.notBefore.getTime() - now) / DAY_MS);
    return [problem('NOT_YET_VALID', 'CRITICAL', `${role} "${c.subject}" is not valid before ${c.notBefore.toISOString()} (in ${plural(days, 'day')})`, c.subject)];
  }
  const daysLeft = wholeDaysLeft(c.notAfter, policy.now);
  const lifetime = c.notAfter.getTime() - c.notBefore.getTime();
  const percentLeft = lifetime > 0 ? ((c.notAfter.getTime() - now) / lifetime) * 100 : 0;
  // the percent thresholds are about the leaf's lifetime (short-lived leaves); CAs live years
  const leafOnly = role === 'the leaf';
  const crit = daysLeft < policy.critDays || (leafOnly && policy.critPercent !== undefined && percentLeft < policy.critPercent);
  const warn = daysLeft < policy.warnDays || (leafOnly && policy.warnPercent !== undefined && percentLeft < policy.warnPercent);
  if (!crit && !warn) return [];
  return [problem('EXPIRES_SOON', crit ? 'CRITICAL' : 'WARNING', `${role} "${c.subject}" expires in ${plural(daysLeft, 'day')} (${c.notAfter.toISOString()}, ${percentLeft.toFixed(0)}% of its lifetime left)`, c.subject)];
}

/** A CONSTRAINT_VIOLATION naming its constraint. */
function violation(constraint: CertConstraint, message: string, subject: string, counts?: Record<string, number>): CertProblem {
  const p: CertProblem = { ...problem('CONSTRAINT_VIOLATION', 'CRITICAL', `${constraint}: ${message}`, subject), constraint };
  if (counts) p.counts = counts;
  return p;
}

/**
 * Validate a path as OpenSSL's verify_chain does with `-purpose sslserver` (check_extensions,
 * internal_verify, check_name_constraints), every failure a problem: unknown critical
 * extensions, CA certificates that may not sign (basicConstraints, keyUsage), the purpose,
 * pathLenConstraint, signatures, name constraints, and every certificate's dates. Pure.
 */
export function validatePath(p: BuiltPath, policy: ChainPolicy): CertProblem[] {
  const out: CertProblem[] = [];
  const certs = p.certs;
  const n = certs.length;
  let belowNotSelfIssued = 0;
  for (let i = 0; i < n; i++) {
    const c = certs[i]!;
    const subject = c.info.subject;
    const role = roleOf(p, i);
    const unknown = c.fields.extensions.filter((e) => e.critical && !UNDERSTOOD_CRITICAL.has(e.oid)).map((e) => e.oid);
    if (unknown.length > 0) {
      out.push(problem('UNKNOWN_CRITICAL_EXTENSION', 'CRITICAL', `${role} "${subject}" has ${unknown.length === 1 ? 'an extension' : 'extensions'} marked critical that clients do not know: ${unknown.join(', ')}`, subject));
    }
    if (i > 0) {
      const notCa = notACaReason(c.fields, c.selfSigned, i === n - 1);
      if (notCa) {
        out.push(violation(notCa.constraint, `"${subject}" issued "${certs[i - 1]!.info.subject}" but may not issue certificates: ${notCa.why}`, subject));
      }
    }
    const purpose = sslServerPurposeFailure(c.fields, i > 0, c.selfSigned);
    if (purpose) out.push(problem('WRONG_PURPOSE', 'CRITICAL', `${role} "${subject}": ${purpose}`, subject));
    // x509_vfy.c check_extensions: self-issued intermediates do not count; the leaf never does
    const pathLen = c.fields.basicConstraints?.pathLen;
    if (i > 1 && pathLen !== undefined && belowNotSelfIssued > pathLen) {
      out.push(violation('pathLenConstraint', `"${subject}" allows ${plural(pathLen, 'CA certificate')} between it and the leaf (pathlen:${pathLen}), and the path has ${belowNotSelfIssued}`, subject, { pathLen, below: belowNotSelfIssued }));
    }
    if (i > 0 && !c.selfIssued) belowNotSelfIssued++;
  }
  // signatures: each certificate by the key of the next; a self-signed top is not checked (OpenSSL does not either)
  for (let i = 0; i + 1 < n; i++) {
    const child = certs[i]!;
    const parent = certs[i + 1]!;
    if (issuedBy(child.cert, parent.cert, true) !== 'yes') {
      out.push(problem('BAD_SIGNATURE', 'CRITICAL', `"${child.info.subject}" names "${child.info.issuer}" as issuer but its signature does not verify with that certificate's key`, child.info.subject));
    }
  }
  // name constraints of every CA above, on every certificate below (self-issued intermediates skipped)
  for (let i = n - 1; i >= 0; i--) {
    const c = certs[i]!;
    if (i !== 0 && c.selfIssued) continue;
    for (let j = n - 1; j > i; j--) {
      const nc = certs[j]!.fields.nameConstraints;
      if (!nc) continue;
      const v = nameConstraintViolation(c.fields, nc, i === 0);
      if (v) {
        const ca = certs[j]!.info.subject;
        const message = v.kind === 'minimum/maximum'
          ? `the name constraints of "${ca}" use a minimum or maximum, which clients refuse`
          : `${roleOf(p, i)} "${c.info.subject}" has ${v.name}, which the name constraints of "${ca}" do not allow (${v.kind}; the constraints: ${constraintsText(nc)})`;
        out.push(violation('nameConstraints', message, c.info.subject));
        break;
      }
    }
  }
  certs.forEach((c, i) => out.push(...dateProblems(c.info, roleOf(p, i), policy)));
  return out;
}

/** What ends an untrusted path: SELF_SIGNED, UNTRUSTED_ROOT, MISSING_INTERMEDIATE or CHAIN_TOO_LONG. */
function endProblem(p: BuiltPath): CertProblem | undefined {
  const last = p.certs[p.certs.length - 1]!.info;
  switch (p.end) {
    case 'anchor':
      return undefined;
    case 'self-signed':
      return p.certs.length === 1
        ? problem('SELF_SIGNED', 'CRITICAL', `the leaf "${last.subject}" is self-signed and not a trust anchor`, last.subject)
        : problem('UNTRUSTED_ROOT', 'CRITICAL', `the chain ends at "${last.subject}", a root that is not trusted`, last.subject);
    case 'too-long':
      return problem('CHAIN_TOO_LONG', 'CRITICAL', `the path from the leaf needs more than ${MAX_INTERMEDIATES} intermediate certificates before a trust anchor, more than clients follow (OpenSSL's default verify depth; openssl verify says "certificate chain too long")`);
    default:
      if (last.isCA && p.certs.length > 1) {
        // The chain sent reaches a CA whose issuer nobody has: usually a root the client lacks
        // (servers need not send roots), as OpenSSL's "unable to get local issuer certificate".
        return problem('UNTRUSTED_ROOT', 'CRITICAL', `the chain ends at "${last.subject}", issued by "${last.issuer}", which is not a trust anchor (if that is an intermediate, it is missing too)`, last.subject);
      }
      return problem('MISSING_INTERMEDIATE', 'CRITICAL', `the issuer of "${last.subject}", "${last.issuer}", was not sent and is not a trust anchor${last.aiaIssuerUrl ? ` (its AIA points to ${last.aiaIssuerUrl})` : ''}`, last.subject);
  }
}

/** A leaf valid longer than this is refused by browsers when a public CA issued it on or after 2020-09-01 (CA/Browser Forum BR 6.3.2, Apple, Chrome). */
const MAX_PUBLIC_LEAF_DAYS = 398;
const LONG_VALIDITY_SINCE = Date.UTC(2020, 8, 1);

/**
 * Analyse a chain: build the path from `sent[leafIndex]` (0 for a TLS peer) to a trust anchor
 * over the certificates sent and the anchors (./path.ts: OpenSSL's candidates and order, with
 * backtracking), validate it as OpenSSL does for a TLS server (constraints, purpose,
 * signatures, name constraints, dates), check the order, keys and the name of `policy.host`,
 * and report every problem found. Trust anchors are the certificates a path may end at. Pure;
 * never throws on a bad chain (the problems say what is wrong).
 */
export function analyseChain(sent: X509Certificate[], trust: X509Certificate[] | AnchorSet, policy: ChainPolicy, leafIndex = 0): ChainAnalysis {
  const anchors = Array.isArray(trust) ? AnchorSet.of(trust) : trust;
  const infos = sent.map(describeCert);
  const pcs = sent.map((c, i) => pathCert(c, i, anchors.has(c), infos[i]!));
  const leaf = infos[leafIndex]!;
  const judged = new Map<BuiltPath, CertProblem[]>();
  const judge = (p: BuiltPath) => {
    let found = judged.get(p);
    if (!found) judged.set(p, (found = validatePath(p, policy)));
    return found;
  };
  const search = searchPaths(pcs[leafIndex]!, pcs, anchors, {
    now: policy.now,
    maxIntermediates: MAX_INTERMEDIATES,
    accept: (p) => !judge(p).some((x) => x.severity === 'CRITICAL'),
  });
  const chosen = search.chosen;
  const problems: CertProblem[] = [];
  const notes: CertNote[] = [];
  const end = endProblem(chosen);
  if (end) problems.push(end);
  problems.push(...judge(chosen));
  if (search.bounded) {
    notes.push({ code: 'PATH_SEARCH_BOUNDED', message: `the path search stopped after trying ${MAX_CANDIDATES_TRIED} issuer candidates; the path shown is the best found`, counts: { tried: MAX_CANDIDATES_TRIED } });
  }

  // The sent indexes on the path; past the depth bound, the rest of the chain as sent (walked, not judged), so that the order check sees it whole.
  const onPath: number[] = [];
  for (const c of chosen.certs) if (c.sentIndex !== undefined) onPath.push(c.sentIndex);
  if (chosen.end === 'too-long') {
    for (let cur = chosen.certs[chosen.certs.length - 1]!; ;) {
      const next = pcs.find((c) => !onPath.includes(c.sentIndex!) && issuedBy(cur.cert, c.cert) === 'yes');
      if (!next) break;
      onPath.push(next.sentIndex!);
      cur = next;
    }
  }
  const top = chosen.certs[chosen.certs.length - 1]!;

  // Certificates sent but not on the path: a copy of one on it, another certificate for the same
  // CA (a cross-sign, a renewed intermediate: an issuer candidate the search did not take), the root
  // of the path, or unrelated.
  const pathFps = new Set(chosen.certs.map((c) => c.cert.fingerprint256));
  const extras = infos.map((_, i) => i).filter((i) => !onPath.includes(i));
  const isCopy = (i: number) => pathFps.has(infos[i]!.fingerprint256);
  const sameCa = (i: number) => chosen.certs.some((c) => c.fields.subjectKey !== undefined && c.fields.subjectKey === pcs[i]!.fields.subjectKey && c.cert.publicKey.equals(pcs[i]!.cert.publicKey));
  const issuerCandidate = (i: number) => chosen.certs.some((c) => c.cert.fingerprint256 !== infos[i]!.fingerprint256 && issuedBy(c.cert, sent[i]!) === 'yes');
  const alternate = (i: number) => !isCopy(i) && (sameCa(i) || issuerCandidate(i));
  // the root of the path (an anchor, or the issuer of its last certificate) at the end of what was sent is harmless
  const rootOfPath = (i: number) => !isCopy(i) && (anchors.has(sent[i]!) || issuedBy(top.cert, sent[i]!) === 'yes');
  const harmless = (i: number) => alternate(i) || (i === sent.length - 1 && rootOfPath(i));
  const trustedPath = chosen.end === 'anchor' && !problems.some((p) => PATH_INVALID.has(p.code));
  for (const i of extras.filter(alternate)) {
    const c = infos[i]!;
    const state = policy.now.getTime() > c.notAfter.getTime() ? `, expired ${plural(-wholeDaysLeft(c.notAfter, policy.now), 'day')} ago` : policy.now.getTime() < c.notBefore.getTime() ? ', not yet valid' : '';
    const why = trustedPath ? 'a valid path does not need it' : 'the path chosen does not use it';
    notes.push({ code: 'UNUSED_CERTIFICATE', message: `certificate ${i} ("${c.subject}", issued by "${c.issuer}"${state}) was sent but is not on the path: ${why}`, subject: c.subject, counts: { index: i } });
  }

  // Order: the path's certificates should be the first ones sent, in order, extras (other than harmless ones) none.
  const sentPath = onPath;
  const kept = infos.map((_, i) => i).filter((i) => !(extras.includes(i) && harmless(i)));
  const inOrder = leafIndex === 0 && sentPath.every((p, i) => p === kept[i]);
  const ascending = leafIndex === 0 && sentPath.every((p, i) => i === 0 || p > sentPath[i - 1]!);
  const badExtras = extras.filter((i) => !harmless(i));
  const unrelated = badExtras.filter((i) => !rootOfPath(i));
  if (!inOrder || badExtras.length > 0) {
    const shown = 20;
    const order = infos.slice(0, shown).map((c, i) => `${i}:${c.subject}`).join('; ') + (infos.length > shown ? `; ... ${infos.length - shown} more` : '');
    const why: string[] = [];
    if (!ascending || unrelated.length < badExtras.length || unrelated.length === 0) why.push('certificates are not in leaf-to-root order');
    if (unrelated.length > 0) {
      const named = unrelated.slice(0, shown).map((i) => {
        const copy = sentPath.find((p) => infos[p]!.fingerprint256 === infos[i]!.fingerprint256);
        return copy === undefined ? `${i}` : `${i} (a copy of certificate ${copy})`;
      }).join(', ') + (unrelated.length > shown ? `, ... ${unrelated.length - shown} more` : '');
      why.push(unrelated.length === 1 ? `certificate ${named} is not part of the chain` : `certificates ${named} are not part of the chain`);
    }
    problems.push(problem('CHAIN_ORDER', 'WARNING', `${why.join('; ')} (sent: ${order})`));
  }

  // Keys and signature algorithms of the certificates sent on the path (a self-signed root's own signature is checked by no one).
  chosen.certs.forEach((pc, i) => {
    if (pc.sentIndex === undefined) return;
    const c = pc.info;
    const role = i === 0 ? 'the leaf' : 'the intermediate';
    if ((c.keyType === 'RSA' || c.keyType === 'DSA') && c.keyBits < 2048) {
      problems.push(problem('WEAK_KEY', 'WARNING', `${role} "${c.subject}" has a ${c.keyBits}-bit ${c.keyType} key (under 2048)`, c.subject));
    } else if (c.keyType === 'EC' && c.keyBits < 256) {
      problems.push(problem('WEAK_KEY', 'WARNING', `${role} "${c.subject}" has a ${c.keyBits}-bit EC key (under 256)`, c.subject));
    }
    const selfSignedRoot = c.selfIssued && i === chosen.certs.length - 1 && i > 0;
    if (!selfSignedRoot && weakSignature(c.signatureAlgorithm)) {
      problems.push(problem('WEAK_SIGNATURE', 'WARNING', `${role} "${c.subject}" is signed with ${c.signatureAlgorithm}`, c.subject));
    }
  });

  // The leaf's lifetime: browsers refuse more than 398 days from a public CA; a private CA may issue what it likes.
  const lifetimeDays = Math.floor((leaf.notAfter.getTime() - leaf.notBefore.getTime()) / DAY_MS);
  if (lifetimeDays > MAX_PUBLIC_LEAF_DAYS && chosen.certs.length > 1) {
    const publicCa = chosen.end === 'anchor' && top.anchor && anchors.isSystem(top.cert) && leaf.notBefore.getTime() >= LONG_VALIDITY_SINCE;
    const message = `the leaf "${leaf.subject}" is valid for ${lifetimeDays} days (${leaf.notBefore.toISOString().slice(0, 10)} to ${leaf.notAfter.toISOString().slice(0, 10)}), more than the ${MAX_PUBLIC_LEAF_DAYS} days browsers accept from a public CA`;
    if (publicCa) problems.push({ ...problem('LONG_VALIDITY', 'WARNING', `${message}; it chains to a system root, so browsers refuse it`, leaf.subject), counts: { days: lifetimeDays, max: MAX_PUBLIC_LEAF_DAYS } });
    else notes.push({ code: 'LONG_VALIDITY', message: `${message}; its CA is not a system root, and browsers do not apply the limit to private CAs`, subject: leaf.subject, counts: { days: lifetimeDays, max: MAX_PUBLIC_LEAF_DAYS } });
  }

  // The name, against the SAN (RFC 6125 6.4.4: no fallback to the CN when a SAN exists). OpenSSL
  // (X509_check_host) still matches the subject CN when the leaf has no DNS name in its SAN, and
  // so does the verdict; browsers never fall back, so that match is a WARNING of its own.
  let hostnameMatch: boolean | null = null;
  if (policy.host !== undefined) {
    const host = policy.host.replace(/\.$/, '');
    const isIp = net.isIP(host) !== 0;
    const matched = isIp ? leaf.node.checkIP(host) : leaf.node.checkHost(host, { subject: 'never', partialWildcards: false, multiLabelWildcards: false });
    const inCn = !isIp && matched === undefined && leaf.node.checkHost(host, { subject: 'default', partialWildcards: false, multiLabelWildcards: false }) !== undefined;
    hostnameMatch = matched !== undefined || inCn;
    if (inCn) {
      problems.push(problem('NAME_IN_CN_ONLY', 'WARNING', `the leaf names ${host} only in its subject CN (it has no DNS name in a subjectAltName): OpenSSL-based clients accept it, browsers refuse it`, leaf.subject));
    } else if (!hostnameMatch) {
      const names = leaf.san.length > 0 ? leaf.san.join(', ') : 'no subjectAltName';
      problems.push(problem('HOSTNAME_MISMATCH', 'CRITICAL', `the leaf is not valid for ${host} (it lists ${names})`, leaf.subject));
    }
  }

  const verdictOf = verdict(problems, trustedPath);
  const path: PathEntry[] = chosen.certs.map((c, i) => ({
    index: c.sentIndex ?? null,
    subject: c.info.subject,
    fingerprint256: c.info.fingerprint256,
    role: i === 0 ? 'leaf' : i === chosen.certs.length - 1 ? (c.anchor ? 'anchor' : 'end') : 'intermediate',
  }));
  const result: ChainAnalysis = {
    status: verdictOf.status,
    problems: verdictOf.problems,
    notes,
    trusted: trustedPath,
    hostnameMatch,
    chain: infos.map((c) => toChainCert(c, policy.now)),
    path,
    // the path differs from what was sent when the certificates sent on it are not all of them, in order (an anchor from the store added is no difference)
    pathDiffers: sentPath.length !== infos.length || !sentPath.every((p, i) => p === i),
    leafIndex,
  };
  if (top.anchor && top.sentIndex === undefined) result.anchor = toChainCert(top.info, policy.now);
  return result;
}
