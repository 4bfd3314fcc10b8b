/**
 * HTTPS VIPs: which certificate each backend serves (its direct probes) and which ones came
 * through the VIP, by SHA-256 fingerprint. A VIP whose backends serve different certificates
 * (one expired, one for another name) is the classic misconfiguration no load test shows: each
 * client gets one backend's certificate, so one connection in N fails. Pure.
 */
import type { Direct } from './direct.js';
import type { PeerCertificate } from './http1.js';
import type { AnswerLog } from './tally.js';
import type { LbCertificate, LbProblem } from './types.js';

/** What the certificates say: each one, each backend's, and the problems. */
export interface CertificateVerdict {
  certificates: LbCertificate[];
  /** Per backend given, in order: its certificate (null: none came). */
  perBackend: Array<LbCertificate | null>;
  problems: LbProblem[];
}

function describe(c: PeerCertificate): string {
  const names = c.names.length > 0 ? ` (${c.names.slice(0, 3).join(', ')}${c.names.length > 3 ? ', ...' : ''})` : '';
  return `CN=${c.subject}${names}, until ${c.notAfter.slice(0, 10)}, sha256 ${c.fingerprint256.slice(0, 23)}...`;
}

/** `vip`: ADDR:PORT; `backends`: ADDR:PORT of each backend given, in the order of `directs`. */
export function judgeCertificates(vip: string, backends: readonly string[], directs: readonly Direct[], log: AnswerLog, insecure: boolean): CertificateVerdict {
  const byPrint = new Map<string, LbCertificate>();
  const perBackend = directs.map((d, i) => {
    const c = d.answers.find((a) => a.certificate)?.certificate;
    if (!c) return null;
    const known = byPrint.get(c.fingerprint256) ?? { ...c, backends: [], throughVip: 0 };
    known.backends.push(backends[i]!);
    byPrint.set(c.fingerprint256, known);
    return known;
  });
  for (const [print, { certificate, count }] of log.certificates) {
    const known = byPrint.get(print) ?? { ...certificate, backends: [], throughVip: 0 };
    known.throughVip += count;
    byPrint.set(print, known);
  }
  const certificates = [...byPrint.values()];
  const problems: LbProblem[] = [];
  const who = (c: LbCertificate) => (c.backends.length > 0 ? c.backends.join(', ') : `the VIP ${vip}`);
  for (const c of certificates) {
    if (c.verified) continue;
    const via = c.throughVip > 0 ? `; ${c.throughVip} probes through the VIP got it${insecure ? '' : ' and were not sent'}` : '';
    problems.push({
      code: 'CERT_INVALID',
      severity: insecure ? 'WARNING' : 'CRITICAL',
      subject: who(c),
      message: `${who(c)} ${c.backends.length > 1 ? 'serve' : 'serves'} a certificate that does not verify (${c.verifyError}): ${describe(c)}${via}`,
    });
  }
  if (certificates.length > 1) {
    problems.push({
      code: 'CERT_MISMATCH',
      severity: 'WARNING',
      message: `${certificates.length} different certificates behind one VIP: ${certificates.map((c) => `${who(c)}: ${describe(c)}${c.verified ? '' : ` [${c.verifyError}]`}`).join('; ')}`,
      counts: { certificates: certificates.length },
    });
  }
  return { certificates, perBackend, problems };
}
