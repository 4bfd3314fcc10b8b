/**
 * Chain analysis: build the path from the leaf to a trust anchor ourselves and run every
 * check, reporting all problems at once. Node and OpenSSL stop at the first verify error
 * and skip the host check when the chain is bad; a person fixing a deployment wants the
 * whole list. Pure: certificates and a policy in, data out.
 */
import type { X509Certificate } from 'node:crypto';
import net from 'node:net';
import { statusOf, type Problem, type Severity, type Status } from '../../errors.js';
import { describeCert, issuedBy, weakSignature, type CertInfo } from './certs.js';
import { AnchorSet } from './trust.js';

/**
 * The codes of cert-check's problems (shared/CONTRACT.md, netlab cert-check, and netlab's
 * additions), each documented in netlab-cert-check(1).
 */
export type CertProblemCode =
  | 'EXPIRED' | 'NOT_YET_VALID' | 'EXPIRES_SOON' | 'HOSTNAME_MISMATCH' | 'SELF_SIGNED' | 'UNTRUSTED_ROOT'
  | 'MISSING_INTERMEDIATE' | 'CHAIN_ORDER' | 'WEAK_KEY' | 'WEAK_SIGNATURE' | 'BAD_SIGNATURE'
  | 'REVOKED' | 'BAD_OCSP_STAPLE' | 'UNREACHABLE' | 'HANDSHAKE_FAILED' | 'CHAIN_TOO_LONG' | 'UNVERIFIED_CHAIN'
  // issue 11, revocation beyond the staple (revocation.ts)
  | 'BAD_OCSP_RESPONSE' | 'BAD_CRL';

/**
 * A problem of a certificate check: the shared {@link Problem} with cert-check's codes, always
 * with its `fix` sentence, and `subject` (the certificate's subject, one line) when it is about
 * one certificate.
 */
export type CertProblem = Problem<CertProblemCode> & { fix: string };

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

/** What {@link analyseChain} finds: the verdict, the problems, the path and the certificates as sent. */
export interface ChainAnalysis {
  status: Status;
  problems: CertProblem[];
  trusted: boolean;
  /** null when no host was given. */
  hostnameMatch: boolean | null;
  /** The certificates as sent (or as in the file), in that order. */
  chain: ChainCert[];
  /** Indexes into `chain` of the path from the leaf up, then the anchor's subject when trusted. */
  path: number[];
  anchor?: ChainCert;
  leafIndex: number;
}

const DAY_MS = 86_400_000;

function toChainCert(c: CertInfo, now: Date): ChainCert {
  return {
    subject: c.subject,
    issuer: c.issuer,
    san: c.san,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    daysLeft: Math.floor((c.notAfter.getTime() - now.getTime()) / DAY_MS),
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
  UNVERIFIED_CHAIN: 'This is a bug of netlab (a chain left unverified without a reason): please report it with the chain; meanwhile check the chain with openssl verify.',
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
]);

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

/**
 * Analyse a chain: build the path from `sent[leafIndex]` (0 for a TLS peer) to a trust anchor,
 * and check its order, dates, keys, signatures and the name of `policy.host`, reporting every
 * problem found. Trust anchors are the certificates a path may end at. Pure; never throws on a
 * bad chain (the problems say what is wrong).
 */
export function analyseChain(sent: X509Certificate[], trust: X509Certificate[] | AnchorSet, policy: ChainPolicy, leafIndex = 0): ChainAnalysis {
  const anchors = Array.isArray(trust) ? AnchorSet.of(trust) : trust;
  const infos = sent.map(describeCert);
  const problems: CertProblem[] = [];
  const leaf = infos[leafIndex]!;
  const isAnchor = (c: X509Certificate) => anchors.has(c);

  // 1. Build the path leaf -> ... -> anchor, from the sent certificates and the anchors.
  const path: number[] = [leafIndex];
  let anchor: CertInfo | undefined;
  let trusted = false;
  let cur = sent[leafIndex]!;
  // Each turn adds a certificate not yet on the path, or ends: at most sent.length turns.
  for (;;) {
    if (isAnchor(cur)) {
      trusted = true;
      break;
    }
    const anchorIssuer = anchors.issuersOf(cur).find((a) => issuedBy(cur, a) === 'yes');
    if (anchorIssuer) {
      trusted = true;
      if (anchorIssuer.fingerprint256 !== cur.fingerprint256) anchor = describeCert(anchorIssuer);
      break;
    }
    const selfSigned = issuedBy(cur, cur) === 'yes';
    if (selfSigned) {
      const c = infos[path[path.length - 1]!]!;
      if (path.length === 1) {
        problems.push(problem('SELF_SIGNED', 'CRITICAL', `the leaf "${c.subject}" is self-signed and not a trust anchor`, c.subject));
      } else {
        problems.push(problem('UNTRUSTED_ROOT', 'CRITICAL', `the chain ends at "${c.subject}", a root that is not trusted`, c.subject));
      }
      break;
    }
    const next = sent.findIndex((c, i) => !path.includes(i) && issuedBy(cur, c) === 'yes');
    // the leaf and the anchor do not count against the depth (an anchor sent is recognised next turn)
    if (next >= 0 && path.length - 1 >= MAX_INTERMEDIATES && !isAnchor(sent[next]!)) {
      problems.push(problem('CHAIN_TOO_LONG', 'CRITICAL', `the path from the leaf needs more than ${MAX_INTERMEDIATES} intermediate certificates before a trust anchor, more than clients follow (OpenSSL's default verify depth; openssl verify says "certificate chain too long")`));
      // What follows is still the chain as sent: walk it, without judging trust, so that the
      // order check sees it whole. Each turn adds a certificate not yet on the path.
      for (let i = next; i >= 0;) {
        path.push(i);
        const issued = sent[i]!;
        i = sent.findIndex((c, j) => !path.includes(j) && issuedBy(issued, c) === 'yes');
      }
      break;
    }
    if (next >= 0) {
      path.push(next);
      cur = sent[next]!;
      continue;
    }
    const forged = [...sent, ...anchors.issuersOf(cur)].find((c) => c !== cur && issuedBy(cur, c) === 'bad-signature');
    const curInfo = infos[path[path.length - 1]!]!;
    if (forged) {
      problems.push(problem('BAD_SIGNATURE', 'CRITICAL', `"${curInfo.subject}" names "${curInfo.issuer}" as issuer but its signature does not verify with that certificate's key`, curInfo.subject));
    } else if (curInfo.isCA && path.length > 1) {
      // The chain sent reaches a CA whose issuer nobody has: usually a root the client lacks
      // (servers need not send roots), as OpenSSL's "unable to get local issuer certificate".
      problems.push(problem('UNTRUSTED_ROOT', 'CRITICAL', `the chain ends at "${curInfo.subject}", issued by "${curInfo.issuer}", which is not a trust anchor (if that is an intermediate, it is missing too)`, curInfo.subject));
    } else {
      const aia = curInfo.aiaIssuerUrl ? ` (its AIA points to ${curInfo.aiaIssuerUrl})` : '';
      problems.push(problem('MISSING_INTERMEDIATE', 'CRITICAL', `the issuer of "${curInfo.subject}", "${curInfo.issuer}", was not sent and is not a trust anchor${aia}`, curInfo.subject));
    }
    break;
  }

  // 2. Order: the path's certificates should be the first ones sent, in order; anything else is extra.
  const expected = path.map((_, i) => leafIndex + i);
  const inOrder = leafIndex === 0 && path.every((p, i) => p === expected[i]);
  // leaf first and each issuer after the certificate it issued, extras in between or not
  const ascending = leafIndex === 0 && path.every((p, i) => i === 0 || p > path[i - 1]!);
  const extras = infos.map((_, i) => i).filter((i) => !path.includes(i));
  // The root of the path (an anchor, or the issuer of its last certificate) belongs to it: at the end
  // it is harmless, elsewhere it is out of order; any other certificate is not part of the chain.
  const last = sent[path[path.length - 1]!]!;
  const rootOfPath = (i: number) => isAnchor(sent[i]!) || issuedBy(last, sent[i]!) === 'yes';
  const badExtras = extras.filter((i) => !(i === sent.length - 1 && rootOfPath(i)));
  const unrelated = badExtras.filter((i) => !rootOfPath(i));
  if (!inOrder || badExtras.length > 0) {
    const shown = 20;
    const order = infos.slice(0, shown).map((c, i) => `${i}:${c.subject}`).join('; ') + (infos.length > shown ? `; ... ${infos.length - shown} more` : '');
    const why: string[] = [];
    if (!ascending || unrelated.length < badExtras.length || unrelated.length === 0) why.push('certificates are not in leaf-to-root order');
    if (unrelated.length > 0) {
      const named = unrelated.slice(0, shown).map((i) => {
        const copy = path.find((p) => infos[p]!.fingerprint256 === infos[i]!.fingerprint256);
        return copy === undefined ? `${i}` : `${i} (a copy of certificate ${copy})`;
      }).join(', ') + (unrelated.length > shown ? `, ... ${unrelated.length - shown} more` : '');
      why.push(unrelated.length === 1 ? `certificate ${named} is not part of the chain` : `certificates ${named} are not part of the chain`);
    }
    problems.push(problem('CHAIN_ORDER', 'WARNING', `${why.join('; ')} (sent: ${order})`));
  }

  // 3. Dates, key and signature of every certificate on the path (and of the anchor's dates).
  const now = policy.now.getTime();
  const onPath = path.map((i) => infos[i]!);
  const checkDates = (c: CertInfo, role: string) => {
    if (now > c.notAfter.getTime()) {
      const ago = Math.floor((now - c.notAfter.getTime()) / DAY_MS);
      problems.push(problem('EXPIRED', 'CRITICAL', `${role} "${c.subject}" expired ${ago} day${ago === 1 ? '' : 's'} ago (${c.notAfter.toISOString()})`, c.subject));
      return;
    }
    if (now < c.notBefore.getTime()) {
      const days = Math.ceil((c.notBefore.getTime() - now) / DAY_MS);
      problems.push(problem('NOT_YET_VALID', 'CRITICAL', `${role} "${c.subject}" is not valid before ${c.notBefore.toISOString()} (in ${days} day${days === 1 ? '' : 's'})`, c.subject));
      return;
    }
    const daysLeft = Math.floor((c.notAfter.getTime() - now) / DAY_MS);
    const lifetime = c.notAfter.getTime() - c.notBefore.getTime();
    const percentLeft = lifetime > 0 ? ((c.notAfter.getTime() - now) / lifetime) * 100 : 0;
    // the percent thresholds are about the leaf's lifetime (short-lived leaves); CAs live years
    const leafOnly = role === 'the leaf';
    const crit = daysLeft < policy.critDays || (leafOnly && policy.critPercent !== undefined && percentLeft < policy.critPercent);
    const warn = daysLeft < policy.warnDays || (leafOnly && policy.warnPercent !== undefined && percentLeft < policy.warnPercent);
    if (crit || warn) {
      problems.push(problem('EXPIRES_SOON', crit ? 'CRITICAL' : 'WARNING', `${role} "${c.subject}" expires in ${daysLeft} day${daysLeft === 1 ? '' : 's'} (${c.notAfter.toISOString()}, ${percentLeft.toFixed(0)}% of its lifetime left)`, c.subject));
    }
  };
  onPath.forEach((c, i) => checkDates(c, i === 0 ? 'the leaf' : 'the intermediate'));
  if (anchor) checkDates(anchor, 'the root');
  for (const [i, c] of onPath.entries()) {
    const role = i === 0 ? 'the leaf' : 'the intermediate';
    if ((c.keyType === 'RSA' || c.keyType === 'DSA') && c.keyBits < 2048) {
      problems.push(problem('WEAK_KEY', 'WARNING', `${role} "${c.subject}" has a ${c.keyBits}-bit ${c.keyType} key (under 2048)`, c.subject));
    } else if (c.keyType === 'EC' && c.keyBits < 256) {
      problems.push(problem('WEAK_KEY', 'WARNING', `${role} "${c.subject}" has a ${c.keyBits}-bit EC key (under 256)`, c.subject));
    }
    // A self-signed root's own signature is not checked by anyone: skip it.
    const selfSignedRoot = c.selfIssued && i === onPath.length - 1 && i > 0;
    if (!selfSignedRoot && weakSignature(c.signatureAlgorithm)) {
      problems.push(problem('WEAK_SIGNATURE', 'WARNING', `${role} "${c.subject}" is signed with ${c.signatureAlgorithm}`, c.subject));
    }
  }

  // 4. The name, against the SAN only (RFC 6125 6.4.4: no fallback to the CN when a SAN exists; browsers never fall back).
  let hostnameMatch: boolean | null = null;
  if (policy.host !== undefined) {
    const host = policy.host.replace(/\.$/, '');
    const matched = net.isIP(host) ? leaf.node.checkIP(host) : leaf.node.checkHost(host, { subject: 'never', partialWildcards: false, multiLabelWildcards: false });
    hostnameMatch = matched !== undefined;
    if (!hostnameMatch) {
      const names = leaf.san.length > 0 ? leaf.san.join(', ') : 'no subjectAltName';
      problems.push(problem('HOSTNAME_MISMATCH', 'CRITICAL', `the leaf is not valid for ${host} (it lists ${names})`, leaf.subject));
    }
  }

  const isTrusted = trusted && !problems.some((p) => p.code === 'BAD_SIGNATURE');
  const judged = verdict(problems, isTrusted);
  const result: ChainAnalysis = {
    status: judged.status,
    problems: judged.problems,
    trusted: isTrusted,
    hostnameMatch,
    chain: infos.map((c) => toChainCert(c, policy.now)),
    path,
    leafIndex,
  };
  if (anchor) result.anchor = toChainCert(anchor, policy.now);
  return result;
}
