/** cert-check's text: the verdict line first (as Nagios plugins print it), the chain, the problems. */
import type { RenderStyle } from '../command.js';
import type { CertProblemCode } from '../../protocol/tls/chain.js';
import type { CertCheckResult } from '../../protocol/tls/check.js';
import type { OcspStaple } from '../../protocol/tls/ocsp.js';
import type { SctCount } from '../../protocol/tls/connection-report.js';
import type { StartTlsInfo } from '../../protocol/tls/starttls.js';
import type { AiaCompletion, CrlCheck, OcspCheck } from '../../protocol/tls/revocation.js';
import { renderTable } from '../../output/table.js';

/** What the command line can do about a problem, added to its fix sentence (the library's sentences name no flag). */
const CLI_ADVICE: Partial<Record<CertProblemCode, string>> = {
  UNTRUSTED_ROOT: '--ca FILE to check against it',
};

/** A problem's fix sentence, with the command line's advice for its code: `... this root (--ca FILE to check against it).` */
export function fixText(code: CertProblemCode, fix: string): string {
  const advice = CLI_ADVICE[code];
  return advice ? `${fix.replace(/\.$/, '')} (${advice}).` : fix;
}

function subjectCN(dn: string): string {
  const cn = /(?:^|, )CN=([^,]+)/.exec(dn);
  return cn ? cn[1]! : dn;
}

/** `CERT OK - www.example.test expires in 89 days` or `CERT CRITICAL - www.example.test: EXPIRED, ...`. */
export function verdictLine(r: CertCheckResult): string {
  const name = r.host ?? r.target;
  if (r.interrupted && r.interruptedDuring === 'fetch') {
    // issue 11: the chain was read and judged; a fetch asked for (OCSP, CRL, caIssuers) was stopped
    return `CERT UNKNOWN - ${name}: interrupted while fetching (OCSP, CRL or a missing issuer), after the chain was read`;
  }
  if (r.interrupted) {
    const where = r.interruptedDuring === 'handshake' ? `during the TLS handshake with ${r.connectedTo}`
      : r.interruptedDuring === 'starttls' ? `during the STARTTLS dialogue with ${r.connectedTo}` : `while connecting to ${r.connectedTo}`;
    return `CERT UNKNOWN - ${name}: interrupted ${where}, before any certificate was read`;
  }
  if (r.problems.length === 0) {
    return `CERT OK - ${name} expires in ${r.daysLeft} day${r.daysLeft === 1 ? '' : 's'}`;
  }
  const codes = [...new Set(r.problems.map((p) => p.code))].join(', ');
  // issue 11: the days are the result's daysLeft, the number every other line shows; expired is what the problems say
  const leafSubject = r.chain[r.path[0]?.index ?? 0]?.subject;
  const expired = r.problems.some((p) => p.code === 'EXPIRED' && p.subject === leafSubject) || (r.daysLeft !== null && r.daysLeft < 0);
  const dayWord = (n: number) => `${n} day${n === 1 ? '' : 's'}`;
  const days = r.daysLeft === null ? '' : expired ? ` (expired ${dayWord(-r.daysLeft)} ago)` : ` (expires in ${dayWord(r.daysLeft)})`;
  return `CERT ${r.status} - ${name}: ${codes}${days}`;
}

/** The width a table of these rows takes unwrapped: each column's longest cell, its padding and the borders. */
function naturalWidth(rows: string[][]): number {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => [...(row[i] ?? '')].length)));
  return widths.reduce((sum, w) => sum + w + 3, 1);
}

/** The whole text of a check; the chain's table fitted to `style.columns` when stdout is a terminal. */
export function renderCertText(r: CertCheckResult, style: RenderStyle = {}): string {
  const out: string[] = [verdictLine(r), ''];
  if (r.chain.length > 0) {
    const source = r.mode === 'file'
      ? `Chain in ${r.target}`
      : `Chain as sent by ${r.connectedTo}${r.servername ? ` (SNI ${r.servername})` : ' (no SNI)'}${r.starttls ? ` after STARTTLS ${r.starttls.protocol}` : ''}`;
    out.push(`${source}:`);
    const head = ['#', 'Subject', 'Issuer', 'Not after', 'Days', 'Key', 'Signature'];
    let rows = r.chain.map((c, i) => {
      const mark = r.path.some((p) => p.index === i) ? '' : ' (extra)';
      return [`${i}${mark}`, subjectCN(c.subject), subjectCN(c.issuer), c.notAfter.slice(0, 10), String(c.daysLeft), `${c.keyType} ${c.keyBits}`, c.signatureAlgorithm];
    });
    // a terminal too narrow for the whole table: the issuer goes (each certificate's lines below name it)
    if (style.columns !== undefined && naturalWidth([head, ...rows]) > style.columns) {
      head.splice(2, 1);
      rows = rows.map((row) => row.filter((_, i) => i !== 2));
    }
    out.push(renderTable(head, rows, { columns: style.columns }));
    r.chain.forEach((c, i) => {
      out.push(`  ${i}: subject ${c.subject}`);
      out.push(`     issuer  ${c.issuer}`);
      if (c.san.length > 0) out.push(`     SAN     ${c.san.join(', ')}`);
      out.push(`     valid   ${c.notBefore} .. ${c.notAfter}`);
      out.push(`     SHA-256 ${c.fingerprint256}`);
    });
    out.push('');
  }
  if (r.starttls) out.push(starttlsText(r.starttls));
  if (r.tls) {
    out.push(`TLS: ${r.tls.protocol}, ${r.tls.cipher}, ${stapleText(r.tls.ocsp)}`);
  }
  if (r.path.length > 0) out.push(pathLine(r));
  if (r.scts) out.push(sctText(r.scts));
  out.push(...beyondChainLines(r));
  const anchor = r.anchor ? ` to "${r.anchor.subject}"` : '';
  out.push(`Trust: ${r.trusted ? `chain verified${anchor}` : 'not verified'}; anchors: ${r.trustStore.sources.join(', ') || 'none'} (${r.trustStore.anchors} certificates)`);
  if (r.hostnameMatch !== null) out.push(`Name: ${r.host} ${r.hostnameMatch ? 'matches' : 'does NOT match'} the leaf`);
  if (r.problems.length > 0) {
    out.push('', 'Problems:');
    for (const p of r.problems) {
      out.push(`  ${p.severity.padEnd(8)} ${p.code}: ${p.message}`);
      out.push(`           fix: ${fixText(p.code, p.fix)}`);
      // issue 11: what the command line can do about a missing intermediate that names its URL
      if (p.code === 'MISSING_INTERMEDIATE' && !r.aia && /AIA points to/.test(p.message)) out.push('           (--fetch-missing: fetch it from that URL, as browsers do, to see whether it completes the path)');
    }
  }
  if (r.notes.length > 0) {
    out.push('', 'Notes:');
    for (const n of r.notes) out.push(`  ${n.code}: ${n.message}`);
  }
  out.push('');
  return out.join('\n');
}

/**
 * The path chosen, leaf first (issue 11): `Path: 0 www.example.test > 1 netlab Lab Intermediate CA
 * > netlab Lab Root CA (trust store)`; said to differ from the chain as sent when it does.
 */
export function pathLine(r: CertCheckResult): string {
  const steps = r.path.map((p) => {
    const name = subjectCN(p.subject);
    if (p.index === null) return `${name} (trust store)`;
    return `${p.index} ${name}${p.role === 'anchor' ? ' (trust anchor)' : ''}`;
  });
  const last = r.path[r.path.length - 1]!;
  const end = last.role === 'end' ? ' (ends untrusted)' : '';
  return `${r.pathDiffers ? 'Path chosen (not the chain as sent)' : 'Path'}: ${steps.join(' > ')}${end}`;
}

/** What the stapled OCSP response says, in a few words. */
function stapleText(o: OcspStaple | null): string {
  if (!o) return 'no OCSP staple';
  const next = o.nextUpdate ? `, next update ${o.nextUpdate.slice(0, 10)}` : '';
  if (o.certStatus === 'revoked') return `OCSP staple: REVOKED on ${o.revokedAt!.slice(0, 10)}${o.revocationReason ? ` (${o.revocationReason})` : ''}, signed by ${o.signedBy}`;
  if (o.certStatus === null) return 'OCSP staple: not usable (see problems)';
  return `OCSP staple: ${o.certStatus} (signed by ${o.signedBy}${next})`;
}

/** `STARTTLS: smtp (greeting '220 ...'; STARTTLS listed in its EHLO reply)`. */
function starttlsText(st: StartTlsInfo): string {
  const listed = { smtp: 'its EHLO reply', imap: 'its CAPABILITY', xmpp: 'its stream features' } as Partial<Record<StartTlsInfo['protocol'], string>>;
  const parts: string[] = [];
  if (st.greeting !== null) parts.push(`greeting '${st.greeting}'`);
  if (st.advertised !== null && listed[st.protocol]) parts.push(`STARTTLS ${st.advertised ? '' : 'NOT '}listed in ${listed[st.protocol]}`);
  return `STARTTLS: ${st.protocol}${parts.length > 0 ? ` (${parts.join('; ')})` : ''}`;
}

/** `SCTs: 2 embedded in the leaf, 1 in the OCSP staple (counted, not verified)`. */
function sctText(c: SctCount): string {
  const staple = c.ocspStaple === null ? '' : `, ${c.ocspStaple} in the OCSP staple`;
  return `SCTs: ${c.embedded} embedded in the leaf${staple} (counted, not verified)`;
}

// issue 11: revocation beyond the staple, and AIA fetching

/** What the responder said, in a few words: `good from URL (signed by the issuer, nonce echoed, next update DAY)`. */
function ocspText(o: OcspCheck): string {
  if (o.skipped) return `not asked (${o.skipped})`;
  const from = `from ${o.url}`;
  if (o.certStatus === 'revoked') return `REVOKED on ${o.revokedAt!.slice(0, 10)}${o.revocationReason ? ` (${o.revocationReason})` : ''} ${from}, signed by ${o.signedBy}`;
  if (o.certStatus === null) return `no usable answer ${from} (see problems)`;
  const next = o.nextUpdate ? `, next update ${o.nextUpdate.slice(0, 10)}` : '';
  return `${o.certStatus} ${from} (signed by ${o.signedBy}, nonce ${o.nonce ?? 'not sent'}${next})`;
}

function crlText(c: CrlCheck): string {
  if (c.skipped) return `not fetched (${c.skipped})`;
  if (c.certStatus === null) return `${c.url} cannot be relied on (see problems)`;
  const about = `${c.url}, ${c.bytes} bytes, ${c.entries} revoked, signed by ${c.signedBy}${c.nextUpdate ? `, next update ${c.nextUpdate.slice(0, 10)}` : ''}`;
  if (c.certStatus === 'revoked') return `REVOKED on ${c.revokedAt!.slice(0, 10)}${c.revocationReason ? ` (${c.revocationReason})` : ''} (${about})`;
  return `not listed, good (${about})`;
}

function aiaText(a: AiaCompletion): string {
  if (a.fetched.length === 0) return `nothing usable fetched (${a.attempts.map((x) => x.error ?? x.url).join('; ')})`;
  const what = a.fetched.map((f) => `"${f.subject}" from ${f.url}`).join(', ');
  return a.completesPath
    ? `fetched ${what}: with it the path reaches a trust anchor (browsers complete the chain; API clients do not)`
    : `fetched ${what}: the path still does not reach a trust anchor`;
}

/** The lines of --ocsp, --crl and --fetch-missing (none when none was asked). */
function beyondChainLines(r: CertCheckResult): string[] {
  const lines: string[] = [];
  if (r.revocation?.ocsp) lines.push(`OCSP: ${ocspText(r.revocation.ocsp)}`);
  if (r.revocation?.crl) lines.push(`CRL: ${crlText(r.revocation.crl)}`);
  if (r.aia) lines.push(`AIA: ${aiaText(r.aia)}`);
  return lines;
}
