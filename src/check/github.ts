/**
 * GitHub Actions (issue 12): an annotation per failing check and address (`::error` for
 * CRITICAL and UNKNOWN, `::warning` for WARNING, `::notice` for a pass on retry), and a Markdown
 * table for the step summary. Escaped as the Actions toolkit escapes workflow commands
 * (@actions/core, command.ts): `%`, CR and LF in the message; also `:` and `,` in properties.
 * Pure: the caller prints the lines and appends the table.
 */
import type { Status } from '../errors.js';
import { wellFormed } from '../util/printable.js';
import { caseName, firstProblem, problemLine } from './junit.js';
import type { CheckOutcome, CheckRunResult } from './model.js';

/** A workflow command's message: `%`, CR and LF percent-encoded, so that it stays one line and cannot start another command. */
export function escapeData(text: string): string {
  return wellFormed(text).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A workflow command's property value: as {@link escapeData}, and `:` and `,`, which end a property. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** The problems listed in one annotation at most (GitHub shows the message folded after a few lines anyway). */
const MAX_PROBLEMS_PER_ANNOTATION = 10;

/** `::error` for CRITICAL and UNKNOWN, `::warning` for WARNING, `::notice` for a pass on retry; null for a plain pass. */
function level(o: CheckOutcome): 'error' | 'warning' | 'notice' | null {
  if (o.status === 'CRITICAL' || o.status === 'UNKNOWN') return 'error';
  if (o.status === 'WARNING') return 'warning';
  return o.passedOnRetry ? 'notice' : null;
}

/**
 * One workflow command per outcome that failed or passed on retry, in the run's order:
 * `::error file=FILE,line=N,title=netlab check: NAME [ADDRESS]::STATUS: first problem` then
 * every other problem on its own (encoded) line. `line` when the outcome knows its check's position.
 */
export function annotations(run: CheckRunResult): string[] {
  const lines: string[] = [];
  for (const o of run.checks) {
    const kind = level(o);
    if (!kind) continue;
    const props = [`file=${escapeProperty(o.pos?.file ?? run.file)}`];
    if (o.pos) props.push(`line=${o.pos.line}`, `col=${o.pos.col}`);
    props.push(`title=${escapeProperty(`netlab check: ${caseName(o)}`)}`);
    const message = [kind === 'notice' ? `passed on retry: attempt ${o.attempts} passed after ${o.attempts - 1} failed` : `${o.status}: ${firstProblem(o)}`];
    const rest = o.problems.slice(1, MAX_PROBLEMS_PER_ANNOTATION).map(problemLine);
    message.push(...rest);
    if (o.problems.length > MAX_PROBLEMS_PER_ANNOTATION) message.push(`... ${o.problems.length - MAX_PROBLEMS_PER_ANNOTATION} more problem(s)`);
    lines.push(`::${kind} ${props.join(',')}::${escapeData(message.join('\n'))}`);
  }
  return lines;
}

/** Text for a Markdown table cell: one line, `&` as an entity, Markdown's active characters (the pipe too) backslash-escaped. */
export function markdownCell(text: string): string {
  return wellFormed(text)
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/[\\`*_[\]<>|~#!]/g, (c) => `\\${c}`);
}

const MARK: Record<Status, string> = { OK: '✅', WARNING: '⚠️', CRITICAL: '❌', UNKNOWN: '❔' };

function duration(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

/** The step summary's size bound: GitHub takes up to 1 MiB per step; netlab leaves room for the other steps' output. */
export const SUMMARY_MAX_BYTES = 512 * 1024;

/**
 * The Markdown appended to `$GITHUB_STEP_SUMMARY`: a heading with the run's status and file, the
 * counts, and a table (status, check, address, duration, first problem). Past
 * {@link SUMMARY_MAX_BYTES}, the failing rows are kept and the passing ones are counted.
 */
export function stepSummary(run: CheckRunResult): string {
  const c = run.counts;
  const head = [
    `### ${MARK[run.status]} netlab check: ${run.status}, ${markdownCell(run.file)}`,
    '',
    `${run.checks.length} result(s): ${c.OK} OK, ${c.WARNING} WARNING, ${c.CRITICAL} CRITICAL, ${c.UNKNOWN} UNKNOWN in ${duration(run.durationMs)}${run.deadlineHit ? '; the deadline passed' : ''}${run.interrupted ? '; interrupted' : ''}`,
    '',
    '| Status | Check | Address | Duration | First problem |',
    '| --- | --- | --- | ---: | --- |',
  ].join('\n');
  const row = (o: CheckOutcome) => {
    const status = `${MARK[o.status]} ${o.status}${o.passedOnRetry ? ' (passed on retry)' : ''}`;
    const problem = o.status === 'OK' ? '' : markdownCell(firstProblem(o));
    return `| ${status} | ${markdownCell(o.name)} | ${o.address === null ? '' : markdownCell(o.address)} | ${duration(o.durationMs)} | ${problem} |`;
  };
  const rows = run.checks.map(row);
  let size = Buffer.byteLength(head) + rows.reduce((n, r) => n + Buffer.byteLength(r) + 1, 0);
  if (size <= SUMMARY_MAX_BYTES) return `${head}\n${rows.join('\n')}\n\n`;
  // too many: every failing row (in order), then passing ones while they fit
  const kept: string[] = [];
  size = Buffer.byteLength(head) + 200;
  let left = 0;
  for (const pass of [false, true]) {
    for (const [i, o] of run.checks.entries()) {
      if ((o.status === 'OK') !== pass) continue;
      const r = rows[i]!;
      if (size + Buffer.byteLength(r) + 1 > SUMMARY_MAX_BYTES) {
        left++;
        continue;
      }
      kept.push(r);
      size += Buffer.byteLength(r) + 1;
    }
  }
  return `${head}\n${kept.join('\n')}\n\n${left} more result(s) not listed (the summary is bounded to ${SUMMARY_MAX_BYTES / 1024} KiB; failing ones first).\n\n`;
}
