/**
 * `--junit FILE` (issue 12): a run as JUnit XML that validates against the Jenkins junit-4
 * schema (test/fixtures/junit/jenkins-junit.xsd), the one CI servers read: one testsuite (the
 * checks file), one testcase per check and address, `<failure>` for WARNING and CRITICAL,
 * `<error>` for UNKNOWN, a few lines of the result in `<system-out>`. Pure.
 */
import type { Problem, Status } from '../errors.js';
import type { DigResult } from '../protocol/dns/lookup.js';
import type { TraceRequestResult } from '../protocol/http/trace-request.js';
import type { LbProbeReport } from '../protocol/lb/types.js';
import type { CertCheckResult } from '../protocol/tls/check.js';
import type { VerifyResult } from '../protocol/zone/verify.js';
import { wellFormed } from '../util/printable.js';
import type { CheckOutcome, CheckRunResult } from './model.js';

// XML 1.0 section 2.2: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
// eslint-disable-next-line no-control-regex
const NOT_XML_CHAR = /[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

/** Text as XML 1.0 may carry it: the characters it forbids (C0 controls, U+FFFE, U+FFFF, lone surrogates) removed. */
export function xmlChars(text: string): string {
  return wellFormed(text).replace(NOT_XML_CHAR, '');
}

/** Character data: `&`, `<`, `>` escaped (`>` too, so that `]]>` never appears), CR as a reference (a parser would drop it). */
export function xmlText(text: string): string {
  const map: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };
  return xmlChars(text).replace(/[&<>\r]/g, (c) => map[c]!);
}

/** An attribute value (in double quotes): also `"`, `'`, and tab, CR and LF as references (a parser would turn them into spaces). */
export function xmlAttr(text: string): string {
  const map: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' };
  return xmlChars(text).replace(/[&<>"'\t\n\r]/g, (c) => map[c]!);
}

/** Seconds with the millisecond, as JUnit's `time` (`0.012`). */
function seconds(ms: number): string {
  // whole milliseconds first: toFixed on 1.2345 gives 1.234 (its double is just under)
  return Number.isFinite(ms) ? (Math.round(Math.max(0, ms)) / 1000).toFixed(3) : '0.000';
}

/** The testcase's name: the check's, and the address it was pinned to when it fanned out (`www [127.0.0.1]`). */
export function caseName(outcome: Pick<CheckOutcome, 'name' | 'address'>): string {
  return outcome.address === null ? outcome.name : `${outcome.name} [${outcome.address}]`;
}

/** One problem on one line: `CRITICAL EXPIRED: message (subject)`. */
export function problemLine(p: Problem<string>): string {
  return `${p.severity} ${p.code}: ${p.message}${p.subject && !p.message.includes(p.subject) ? ` (${p.subject})` : ''}`;
}

/** The first problem as the one-line reason (`EXPIRED: message`), or why it could not run, or the status. */
export function firstProblem(outcome: CheckOutcome): string {
  const p = outcome.problems[0];
  if (p) return `${p.code}: ${p.message}`;
  if (outcome.error) return `${outcome.error.code}: ${outcome.error.message}`;
  return outcome.status === 'UNKNOWN' ? 'could not be judged' : outcome.status;
}

function ms(v: unknown): string {
  return typeof v === 'number' && Number.isFinite(v) ? `${v} ms` : '-';
}

/** A few lines of the subcommand's result: what a reader of the CI report needs first. */
export function resultLines(outcome: CheckOutcome): string[] {
  const r = outcome.result;
  if (r === null || typeof r !== 'object') return [];
  const lines: string[] = [];
  switch (outcome.command) {
    case 'dig': {
      const d = r as Partial<DigResult>;
      const q = d.query;
      if (q) lines.push(`query: ${q.name} ${q.type} @${q.server}#${q.port} over ${q.transport}`);
      if (d.rcode) lines.push(`answer: ${d.rcode}, ${d.answer?.length ?? 0} record(s) in ${ms(d.timeMs)}`);
      else if (d.error) lines.push(`no answer: ${d.error}`);
      for (const rec of (d.answer ?? []).slice(0, 5)) lines.push(`  ${rec.name} ${rec.ttl} ${rec.class} ${rec.type} ${rec.data}`);
      if ((d.answer?.length ?? 0) > 5) lines.push(`  ... ${d.answer!.length - 5} more`);
      if (Array.isArray(d.hops)) lines.push(`trace: ${d.hops.length} hop(s)`);
      break;
    }
    case 'cert-check': {
      const c = r as Partial<CertCheckResult>;
      lines.push(`target: ${c.target}${c.connectedTo ? ` (connected to ${c.connectedTo})` : ''}`);
      if (c.tls) lines.push(`tls: ${c.tls.protocol} ${c.tls.cipher}`);
      lines.push(`trusted: ${c.trusted ? 'yes' : 'no'}; hostname match: ${c.hostnameMatch === null ? 'not checked' : c.hostnameMatch ? 'yes' : 'no'}; leaf days left: ${c.daysLeft ?? '-'}`);
      for (const [i, cert] of (c.chain ?? []).entries()) lines.push(`  ${i} ${cert.subject} (until ${cert.notAfter})`);
      break;
    }
    case 'trace-request': {
      const t = r as Partial<TraceRequestResult>;
      lines.push(`url: ${t.url}`);
      for (const p of t.paths ?? []) {
        const ph = p.phases;
        const phases = ph ? `total ${ph.totalMs} ms (dns ${ph.dnsMs}, tcp ${ph.tcpMs}, tls ${ph.tlsMs}, ttfb ${ph.ttfbMs}, transfer ${ph.transferMs})` : 'no successful sample';
        lines.push(`${p.label} ${p.address || '-'}: HTTP ${p.status ?? '-'}, ${p.succeeded}/${p.samples} sample(s), ${phases}`);
      }
      break;
    }
    case 'lb-probe': {
      const l = r as Partial<LbProbeReport>;
      lines.push(`vip: ${l.vip}; ${l.sent ?? 0} sent, ${l.answered ?? 0} answered, ${l.failed ?? 0} failed`);
      for (const b of l.backends ?? []) {
        const expected = b.expectedShare === null ? '' : ` (expected ${(b.expectedShare * 100).toFixed(1)}%)`;
        lines.push(`  ${b.address ?? b.label}: ${b.count} answer(s), ${(b.share * 100).toFixed(1)}%${expected}${b.healthy === false ? ', down' : ''}`);
      }
      const d = l.distribution;
      if (d?.judged) lines.push(`chi-square ${d.chiSquare}, p = ${d.pValue} (alpha ${d.alpha}): ${d.matches ? 'matches' : 'does not match'} the weights`);
      break;
    }
    case 'hosts2zone': {
      const v = (r as { verify?: VerifyResult | null }).verify;
      if (v) lines.push(`verify ${v.server}: ${v.names} name(s), ${v.addresses} address(es), ${v.queries} queries, ${v.mismatchCount} mismatch(es), ${v.failures} failure(s)`);
      for (const m of (v?.mismatches ?? []).slice(0, 5)) lines.push(`  ${m.message}`);
      break;
    }
  }
  return lines;
}

/** What `<system-out>` says about an outcome: status, attempts, problems, notes, then the result's lines. */
function systemOut(o: CheckOutcome): string {
  const lines = [`status: ${o.status}`, `command: ${o.command}`];
  if (o.address !== null) lines.push(`address: ${o.address}`);
  lines.push(`started: ${o.startedAt}; duration: ${o.durationMs} ms; attempts: ${o.attempts}${o.passedOnRetry ? ' (passed on retry)' : ''}`);
  if (o.error) lines.push(`error: ${o.error.code}: ${o.error.message}`);
  for (const p of o.problems) lines.push(`problem: ${problemLine(p)}`);
  for (const n of o.notes) lines.push(`note: ${n.code}: ${n.message}`);
  lines.push(...resultLines(o));
  return lines.join('\n');
}

const FAILED: ReadonlySet<Status> = new Set<Status>(['WARNING', 'CRITICAL']);

/**
 * The run as JUnit XML (Jenkins junit-4 schema): `<testsuites>` holding one `<testsuite>`
 * named after the checks file, one `<testcase>` per outcome (classname
 * `netlab.check.<command>`, name `<check> [address]`, time in seconds), with counts on both.
 */
export function junitXml(run: CheckRunResult): string {
  const tests = run.checks.length;
  const failures = run.checks.filter((o) => FAILED.has(o.status)).length;
  const errors = run.checks.filter((o) => o.status === 'UNKNOWN').length;
  const time = seconds(run.durationMs);
  const counts = `tests="${tests}" failures="${failures}" errors="${errors}"`;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="netlab check" ${counts} time="${time}">`);
  out.push(`  <testsuite name="${xmlAttr(run.file)}" ${counts} skipped="0" time="${time}" timestamp="${xmlAttr(run.startedAt)}">`);
  out.push('    <properties>');
  const props: Array<[string, string]> = [
    ['netlab.status', run.status],
    ...(run.interrupted ? ([['netlab.interrupted', 'true']] as Array<[string, string]>) : []),
    ...(run.deadlineHit ? ([['netlab.deadline-hit', 'true']] as Array<[string, string]>) : []),
  ];
  for (const [name, value] of props) out.push(`      <property name="${xmlAttr(name)}" value="${xmlAttr(value)}"/>`);
  out.push('    </properties>');
  // names are unique in a file and addresses in a check; a name that looks like another's
  // `name [address]` still gets its own test case: `(2)` added
  const used = new Set<string>();
  for (const o of run.checks) {
    let name = caseName(o);
    for (let i = 2; used.has(`${o.command} ${name}`); i++) name = `${caseName(o)} (${i})`;
    used.add(`${o.command} ${name}`);
    out.push(`    <testcase classname="netlab.check.${xmlAttr(o.command)}" name="${xmlAttr(name)}" time="${seconds(o.durationMs)}">`);
    // the schema's order: skipped, error, failure, system-out, system-err
    if (o.status === 'UNKNOWN') {
      const body = [o.error ? `${o.error.code}: ${o.error.message}` : 'could not be judged', ...o.problems.map(problemLine)].join('\n');
      out.push(`      <error message="${xmlAttr(firstProblem(o))}" type="${xmlAttr(o.error?.code ?? o.problems[0]?.code ?? 'UNKNOWN')}">${xmlText(body)}</error>`);
    } else if (FAILED.has(o.status)) {
      const body = o.problems.length ? o.problems.map(problemLine).join('\n') : o.status;
      out.push(`      <failure message="${xmlAttr(firstProblem(o))}" type="${xmlAttr(o.problems[0]?.code ?? o.status)}">${xmlText(body)}</failure>`);
    }
    out.push(`      <system-out>${xmlText(systemOut(o))}</system-out>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>');
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
