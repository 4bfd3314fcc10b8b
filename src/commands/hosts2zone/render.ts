/** hosts2zone's text: the zones written (a table fitted to the terminal) or the verification, then a verdict line. */
import type { RenderStyle } from '../command.js';
import type { Hosts2zoneOptions } from './options.js';
import type { Hosts2zoneResult } from './run.js';
import { isProblem, isRejection, type HostsIssue, type HostsRemedy } from '../../protocol/zone/hosts.js';
import type { OmittedIssues } from '../../protocol/zone/hosts-to-zone.js';
import type { Mismatch } from '../../protocol/zone/verify.js';
import { renderTable } from '../../output/table.js';
// the messages already escape what they quote from the input; this guards the rest (a file name)
import { escapeControl } from '../../util/printable.js';

/** The command-line advice for a remedy the library names. */
const ADVICE: Record<HostsRemedy, string> = {
  allowUnderscore: ' (--allow-underscore writes it)',
  aliasesCname: ' (--aliases cname would write it as a CNAME)',
  formatRpz: '; --format rpz writes it as a Response Policy Zone',
};

/**
 * `FILE:LINE: WORD: message` (`FILE: ...` for what is about a whole file): WORD is `error` for a
 * line or name rejected, `warning` for the other problems (both of severity WARNING), `note`.
 */
export function formatIssue(i: HostsIssue): string {
  const word = !isProblem(i) ? 'note' : isRejection(i.code) ? 'error' : 'warning';
  return escapeControl(`${i.subject}: ${word}: ${i.message}${i.remedy ? ADVICE[i.remedy] : ''}`);
}

/** The line after the problems listed: `... and 12,345 more problems not shown (12,000 errors, 345 warnings): only the first 1,000 are listed`. */
export function formatOmitted(o: OmittedIssues): string {
  const parts = [o.errors ? plural(o.errors, 'error') : '', o.warnings ? plural(o.warnings, 'warning') : '', o.notes ? plural(o.notes, 'note') : ''].filter(Boolean);
  return `... and ${plural(o.problems, 'more problem', 'more problems')} not shown (${parts.join(', ')}): only the first ${thousands(o.listed)} are listed`;
}

/** One mismatch of --verify: `www.corp.test. A: server has 192.0.2.9, expected 192.0.2.10 (office.hosts:4)`. */
export function formatMismatch(m: Mismatch): string {
  return `${m.message}${m.where ? ` (${m.where})` : ''}`;
}

/** 1234567 -> `1,234,567` (without toLocaleString: ICU's first call costs ~10 ms). */
function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${thousands(n)} ${n === 1 ? one : many}`;
}

function problemsText(r: Hosts2zoneResult): string {
  const parts: string[] = [];
  if (r.counts.errors) parts.push(plural(r.counts.errors, 'bad line'));
  if (r.counts.warnings) parts.push(plural(r.counts.warnings, 'warning'));
  if (r.counts.notes) parts.push(plural(r.counts.notes, 'note'));
  return parts.length ? `${parts.join(', ')} (on stderr)` : 'no problems';
}

function inputsText(r: Hosts2zoneResult): string {
  const lines = r.inputs.reduce((a, i) => a + i.lines, 0);
  const entries = r.inputs.reduce((a, i) => a + i.entries, 0);
  return `${plural(r.inputs.length, 'file')}, ${plural(lines, 'line')}, ${plural(entries, 'entry', 'entries')}: ${plural(r.names, 'name')}, ${plural(r.addresses, 'address', 'addresses')}`;
}

/** What an interrupted run did: `interrupted while reading (12,345 lines of 1 file): nothing written`. */
function interruptedText(r: Hosts2zoneResult): string {
  const lines = r.inputs.reduce((a, i) => a + i.lines, 0);
  if (r.interruptedWhile === 'verifying' && r.verify) {
    const v = r.verify;
    return `interrupted after ${plural(v.queries, 'query', 'queries')} to ${v.server} (${plural(v.names, 'name')}${v.addresses ? `, ${plural(v.addresses, 'PTR')}` : ''}): ${plural(v.mismatchCount, 'mismatch', 'mismatches')} so far`;
  }
  if (r.interruptedWhile === 'writing') {
    return r.outDir === null ? 'interrupted while writing the zone to stdout: what went there is incomplete' : `interrupted while writing: nothing written, the files in ${r.outDir} are untouched`;
  }
  return `interrupted while reading (${plural(lines, 'line')} of ${plural(r.inputs.length, 'file')} read): nothing written`;
}

/** The verdict line, Nagios style: `HOSTS2ZONE OK - corp.test.: 3 zones written, no problems`. */
export function verdictLine(r: Hosts2zoneResult): string {
  if (r.interrupted) return `HOSTS2ZONE ${r.status} - ${r.origin}: ${interruptedText(r)}; ${problemsText(r)}`;
  if (r.action === 'verify' && r.verify) {
    const v = r.verify;
    const differ = [v.mismatchedNames ? plural(v.mismatchedNames, 'name') : '', v.mismatchedAddresses ? plural(v.mismatchedAddresses, 'PTR') : ''].filter(Boolean).join(' and ');
    const what = v.aborted ? v.aborted : v.mismatchCount === 0 ? `${v.server} answers what the hosts files say` : `${differ} differ${v.mismatchedNames + v.mismatchedAddresses === 1 ? 's' : ''} on ${v.server}`;
    return `HOSTS2ZONE ${r.status} - ${r.origin}: ${what}; ${problemsText(r)}`;
  }
  const zones = r.zones.length === 1 && r.zones[0]!.file === null ? 'zone written to stdout' : `${plural(r.zones.length, 'zone')} written`;
  return `HOSTS2ZONE ${r.status} - ${r.origin}: ${zones}, ${problemsText(r)}`;
}

/** The full text (--out or --verify): a table of the zones written, or the mismatches of --verify; the verdict first. */
export function renderHosts2zoneText(r: Hosts2zoneResult, style: RenderStyle = {}): string {
  const out: string[] = [verdictLine(r), ''];
  if (r.action === 'verify' && r.verify) {
    const v = r.verify;
    out.push(`Checked ${plural(v.names, 'name')}${r.format === 'rpz' ? ' (RPZ policy records)' : ''}${v.addresses ? ` and the PTR of ${plural(v.addresses, 'address', 'addresses')}` : ''} against ${v.server}: ${plural(v.queries, 'query', 'queries')} in ${Math.round(v.timeMs)} ms${v.authoritative === false ? ' (the server is not authoritative for the zone)' : ''}.`);
    if (v.mismatches.length > 0) {
      out.push('', 'Mismatches:');
      for (const m of v.mismatches) out.push(`  ${formatMismatch(m)}`);
      if (v.mismatchCount > v.mismatches.length) out.push(`  ... and ${v.mismatchCount - v.mismatches.length} more (every one was printed on stderr)`);
    }
    out.push('', `${plural(v.mismatchCount, 'mismatch', 'mismatches')}: ${plural(v.mismatchedNames, 'name')}, ${plural(v.mismatchedAddresses, 'PTR')}; ${plural(v.failures, 'query', 'queries')} without an answer.`);
  } else if (!r.interrupted) {
    const rows = r.zones.map((z) => [z.zone, z.file ?? '(stdout)', thousands(z.records), String(z.serial)]);
    out.push(renderTable(['Zone', 'File', 'Records', 'Serial'], rows, { columns: style.columns }));
  }
  out.push(`${inputsText(r)}; ${problemsText(r)}.`);
  if (r.blocklist && r.format === 'zone') out.push('This looks like a blocklist: --format rpz writes it as a Response Policy Zone.');
  out.push('');
  return out.join('\n');
}

/** What goes to stderr when the zone itself went to stdout: the verdict and the counts. */
export function renderHosts2zoneSummary(r: Hosts2zoneResult): string {
  return `${verdictLine(r)}\n${inputsText(r)}; ${thousands(r.zones[0]?.records ?? 0)} records, serial ${r.serial}.\n`;
}

/**
 * The command's text for stdout once the run is done: with --out or --verify the full text
 * ({@link renderHosts2zoneText}); without them the zone itself went to stdout and the summary to
 * stderr as the run ended, so nothing more.
 */
export function renderHosts2zone(r: Hosts2zoneResult, options: Hosts2zoneOptions, style: RenderStyle): string {
  return options.outDir !== undefined || options.verify ? renderHosts2zoneText(r, style) : '';
}
