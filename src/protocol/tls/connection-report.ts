/**
 * What cert-check says about the connection itself, besides the chain: the TLS version (1.0
 * and 1.1 are a WARNING: browsers refuse them), a server that asks for a client certificate
 * (a note: it is the server's policy, not a fault of its certificate), a handshake that
 * failed after the chain arrived, and the SCTs given for the leaf. Pure.
 */
import type { X509Certificate } from 'node:crypto';
import { problem, type CertNote, type CertProblem } from './chain.js';
import type { PeerChain } from './connect.js';
import { countEmbeddedScts, countStapledScts } from './sct.js';

/** How many SCTs were given for the leaf, and where (not verified: see sct.ts). */
export interface SctCount {
  /** In the leaf's SCT list extension (1.3.6.1.4.1.11129.2.4.2). */
  embedded: number;
  /** In the stapled OCSP response (extension 1.3.6.1.4.1.11129.2.4.5); null when nothing was stapled. */
  ocspStaple: number | null;
}

/** The versions browsers no longer negotiate (RFC 8996 deprecates TLS 1.0 and 1.1; SSL 3 went before them). */
const OLD_VERSIONS = new Set(['SSLv3', 'TLSv1', 'TLSv1.1']);

/** The SCTs of a leaf and of the staple (null: no staple). */
export function countScts(leaf: X509Certificate | undefined, staple: Buffer | null): SctCount {
  return { embedded: leaf ? countEmbeddedScts(leaf.raw) : 0, ocspStaple: staple ? countStapledScts(staple) : null };
}

/**
 * The problems and notes of a handshake: OLD_TLS_VERSION (WARNING) for TLS 1.0 or 1.1,
 * HANDSHAKE_FAILED (CRITICAL) when it failed after the chain arrived, a CLIENT_CERT_* note
 * when the server asked for a client certificate.
 */
export function judgeConnection(peer: PeerChain, where: string): { problems: CertProblem[]; notes: CertNote[] } {
  const problems: CertProblem[] = [];
  const notes: CertNote[] = [];
  if (OLD_VERSIONS.has(peer.protocol)) {
    problems.push(problem('OLD_TLS_VERSION', 'WARNING', `the server negotiated ${peer.protocol}, its best version: browsers refuse TLS 1.0 and 1.1 (RFC 8996), and most clients will too`));
  }
  if (peer.handshakeFailure) problems.push(problem('HANDSHAKE_FAILED', 'CRITICAL', peer.handshakeFailure));
  if (peer.clientCertificate === 'required') {
    notes.push({
      code: 'CLIENT_CERT_REQUIRED',
      message: `${where} asks for a client certificate and ended the connection without one: ${peer.clientCertificateRefusal ?? 'no reason given'}; the chain it sent before that is judged`,
    });
  } else if (peer.clientCertificate === 'requested') {
    notes.push({ code: 'CLIENT_CERT_REQUESTED', message: `${where} asks for a client certificate, and completed the handshake without one` });
  }
  return { problems, notes };
}
