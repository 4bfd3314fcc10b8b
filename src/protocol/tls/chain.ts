/**
 * Chain analysis: build the path from the leaf to a trust anchor ourselves and run every
 * check, reporting all problems at once. Node and OpenSSL stop at the first verify error
 * and skip the host check when the chain is bad; a person fixing a deployment wants the
 * whole list. Pure: certificates and a policy in, data out.
 */
import type { X509Certificate } from 'node:crypto';
import net from 'node:net';
import type { Status } from '../../errors.js';
import { describeCert, issuedBy, weakSignature, type CertInfo } from './certs.js';
import { AnchorSet } from './trust.js';

export type ProblemCode =
  | 'EXPIRED' | 'NOT_YET_VALID' | 'EXPIRES_SOON' | 'HOSTNAME_MISMATCH' | 'SELF_SIGNED' | 'UNTRUSTED_ROOT'
  | 'MISSING_INTERMEDIATE' | 'CHAIN_ORDER' | 'WEAK_KEY' | 'WEAK_SIGNATURE' | 'BAD_SIGNATURE'
  | 'REVOKED' | 'BAD_OCSP_STAPLE' | 'UNREACHABLE' | 'HANDSHAKE_FAILED';

export type Severity = 'WARNING' | 'CRITICAL';

export interface Problem {
  code: ProblemCode;
  severity: Severity;
  message: string;
  /** One sentence on how to fix it. */
  fix: string;
}

export interface ChainPolicy {
  now: Date;
  /** Name (or IP address) the certificate must be valid for; undefined skips the check. */
  host?: string;
  warnDays: number;
  critDays: number;
  /** Percent of the leaf's lifetime left under which to warn / go critical. */
  warnPercent?: number;
  critPercent?: number;
}

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

export interface ChainAnalysis {
  status: Status;
  problems: Problem[];
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

const FIX: Record<ProblemCode, string> = {
  EXPIRED: 'Renew the certificate and deploy the new one (check that renewal automation runs and reloads the server).',
  NOT_YET_VALID: "Check the clock of the machine that issued it and of this one; deploy a certificate whose notBefore has passed.",
  EXPIRES_SOON: 'Renew it now; if renewal is automated, find out why it has not run.',
  HOSTNAME_MISMATCH: 'Issue a certificate whose subjectAltName lists this name (or serve the right one for this SNI name).',
  SELF_SIGNED: 'Use a certificate issued by a CA that clients trust (or distribute this one to clients as a trust anchor).',
  UNTRUSTED_ROOT: 'Chain to a root that clients trust, or give clients this root (--ca FILE to check against it).',
  MISSING_INTERMEDIATE: 'Serve the intermediate certificate(s) after the leaf (configure the full chain, e.g. fullchain.pem).',
  CHAIN_ORDER: 'Send the leaf first, then each issuer in order; leave out certificates that are not part of the chain.',
  WEAK_KEY: 'Reissue with an RSA key of at least 2048 bits or an ECDSA P-256 key.',
  WEAK_SIGNATURE: 'Reissue with a SHA-256 (or stronger) signature: browsers reject SHA-1 and MD5 signatures.',
  BAD_SIGNATURE: 'The certificate was not signed by the key of the issuer it names: serve the issuer that really signed it.',
  REVOKED: 'Issue a new certificate (with a new key if the old one may be compromised) and deploy it: clients that check revocation refuse this one.',
  BAD_OCSP_STAPLE: "Fix the server's OCSP stapling (fetch a fresh response from the CA's responder, for this certificate); clients ignore or reject a bad staple.",
  UNREACHABLE: 'Check the address, the port and that the server is listening (and any firewall on the way).',
  HANDSHAKE_FAILED: 'Check that the port speaks TLS and that client and server share a protocol version and cipher.',
};

/** The verdict of a list of problems: the worst severity, OK when there is none. */
export function statusOf(problems: Problem[]): Status {
  return problems.some((p) => p.severity === 'CRITICAL') ? 'CRITICAL' : problems.length > 0 ? 'WARNING' : 'OK';
}

/** A problem with its code's fix sentence. */
export function problem(code: ProblemCode, severity: Severity, message: string): Problem {
  return { code, severity, message, fix: FIX[code] };
}

/** Pick the leaf of a bundle: the first certificate that is not a CA. */
export function findLeaf(certs: CertInfo[]): number {
  return certs.findIndex((c) => !c.isCA);
}

/**
 * Analyse a chain. `sent[leafIndex]` is the leaf (0 for a TLS peer). Trust anchors are the
 * certificates a path may end at.
 */
export function analyseChain(sent: X509Certificate[], trust: X509Certificate[] | AnchorSet, policy: ChainPolicy, leafIndex = 0): ChainAnalysis {
  const anchors = Array.isArray(trust) ? AnchorSet.of(trust) : trust;
  const infos = sent.map(describeCert);
  const problems: Problem[] = [];
  const leaf = infos[leafIndex]!;
  const isAnchor = (c: X509Certificate) => anchors.has(c);

  // 1. Build the path leaf -> ... -> anchor, from the sent certificates and the anchors.
  const path: number[] = [leafIndex];
  let anchor: CertInfo | undefined;
  let trusted = false;
  let cur = sent[leafIndex]!;
  for (let depth = 0; depth < 10; depth++) {
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
        problems.push(problem('SELF_SIGNED', 'CRITICAL', `the leaf "${c.subject}" is self-signed and not a trust anchor`));
      } else {
        problems.push(problem('UNTRUSTED_ROOT', 'CRITICAL', `the chain ends at "${c.subject}", a root that is not trusted`));
      }
      break;
    }
    const next = sent.findIndex((c, i) => !path.includes(i) && issuedBy(cur, c) === 'yes');
    if (next >= 0) {
      path.push(next);
      cur = sent[next]!;
      continue;
    }
    const forged = [...sent, ...anchors.issuersOf(cur)].find((c) => c !== cur && issuedBy(cur, c) === 'bad-signature');
    const curInfo = infos[path[path.length - 1]!]!;
    if (forged) {
      problems.push(problem('BAD_SIGNATURE', 'CRITICAL', `"${curInfo.subject}" names "${curInfo.issuer}" as issuer but its signature does not verify with that certificate's key`));
    } else if (curInfo.isCA && path.length > 1) {
      // The chain sent reaches a CA whose issuer nobody has: usually a root the client lacks
      // (servers need not send roots), as OpenSSL's "unable to get local issuer certificate".
      problems.push(problem('UNTRUSTED_ROOT', 'CRITICAL', `the chain ends at "${curInfo.subject}", issued by "${curInfo.issuer}", which is not a trust anchor (if that is an intermediate, it is missing too)`));
    } else {
      const aia = curInfo.aiaIssuerUrl ? ` (its AIA points to ${curInfo.aiaIssuerUrl})` : '';
      problems.push(problem('MISSING_INTERMEDIATE', 'CRITICAL', `the issuer of "${curInfo.subject}", "${curInfo.issuer}", was not sent and is not a trust anchor${aia}`));
    }
    break;
  }

  // 2. Order: the path's certificates should be the first ones sent, in order; anything else is extra.
  const expected = path.map((_, i) => leafIndex + i);
  const inOrder = leafIndex === 0 && path.every((p, i) => p === expected[i]);
  const extras = infos.map((_, i) => i).filter((i) => !path.includes(i));
  // A root sent at the end, the anchor of the path or the issuer of its last certificate, is harmless.
  const harmless = (i: number) => i === sent.length - 1 && (isAnchor(sent[i]!) || issuedBy(sent[path[path.length - 1]!]!, sent[i]!) === 'yes');
  const badExtras = extras.filter((i) => !harmless(i));
  if (!inOrder || badExtras.length > 0) {
    const order = infos.map((c, i) => `${i}:${c.subject}`).join('; ');
    const why = !inOrder ? 'certificates are not in leaf-to-root order' : `certificate ${badExtras.join(', ')} is not part of the chain`;
    problems.push(problem('CHAIN_ORDER', 'WARNING', `${why} (sent: ${order})`));
  }

  // 3. Dates, key and signature of every certificate on the path (and of the anchor's dates).
  const now = policy.now.getTime();
  const onPath = path.map((i) => infos[i]!);
  const checkDates = (c: CertInfo, role: string) => {
    if (now > c.notAfter.getTime()) {
      const ago = Math.floor((now - c.notAfter.getTime()) / DAY_MS);
      problems.push(problem('EXPIRED', 'CRITICAL', `${role} "${c.subject}" expired ${ago} day${ago === 1 ? '' : 's'} ago (${c.notAfter.toISOString()})`));
      return;
    }
    if (now < c.notBefore.getTime()) {
      const days = Math.ceil((c.notBefore.getTime() - now) / DAY_MS);
      problems.push(problem('NOT_YET_VALID', 'CRITICAL', `${role} "${c.subject}" is not valid before ${c.notBefore.toISOString()} (in ${days} day${days === 1 ? '' : 's'})`));
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
      problems.push(problem('EXPIRES_SOON', crit ? 'CRITICAL' : 'WARNING', `${role} "${c.subject}" expires in ${daysLeft} day${daysLeft === 1 ? '' : 's'} (${c.notAfter.toISOString()}, ${percentLeft.toFixed(0)}% of its lifetime left)`));
    }
  };
  onPath.forEach((c, i) => checkDates(c, i === 0 ? 'the leaf' : 'the intermediate'));
  if (anchor) checkDates(anchor, 'the root');
  for (const [i, c] of onPath.entries()) {
    const role = i === 0 ? 'the leaf' : 'the intermediate';
    if ((c.keyType === 'RSA' || c.keyType === 'DSA') && c.keyBits < 2048) {
      problems.push(problem('WEAK_KEY', 'WARNING', `${role} "${c.subject}" has a ${c.keyBits}-bit ${c.keyType} key (under 2048)`));
    } else if (c.keyType === 'EC' && c.keyBits < 256) {
      problems.push(problem('WEAK_KEY', 'WARNING', `${role} "${c.subject}" has a ${c.keyBits}-bit EC key (under 256)`));
    }
    // A self-signed root's own signature is not checked by anyone: skip it.
    const selfSignedRoot = c.selfIssued && i === onPath.length - 1 && i > 0;
    if (!selfSignedRoot && weakSignature(c.signatureAlgorithm)) {
      problems.push(problem('WEAK_SIGNATURE', 'WARNING', `${role} "${c.subject}" is signed with ${c.signatureAlgorithm}`));
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
      problems.push(problem('HOSTNAME_MISMATCH', 'CRITICAL', `the leaf is not valid for ${host} (it lists ${names})`));
    }
  }

  const status = statusOf(problems);
  const result: ChainAnalysis = {
    status,
    problems,
    trusted: trusted && !problems.some((p) => p.code === 'BAD_SIGNATURE'),
    hostnameMatch,
    chain: infos.map((c) => toChainCert(c, policy.now)),
    path,
    leafIndex,
  };
  if (anchor) result.anchor = toChainCert(anchor, policy.now);
  return result;
}
