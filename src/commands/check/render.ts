/**
 * `netlab check`'s text: a summary line first (the Nagios convention: `CHECK CRITICAL - 2 of 9
 * checks failed (1 CRITICAL, 1 WARNING) in 1.8 s`), then one line per check and address:
 * status, name, address, duration, and the first problem (or why it did not run), fitted to the
 * terminal's width. Pure.
 */
import type { CheckOutcome, CheckRunResult } from '../../check/model.js';
import type { RenderStyle } from '../command.js';
import { escapeControl } from '../../util/printable.js';

/** `812 ms`, `1.8 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** The summary line. */
export function renderSummary(run: CheckRunResult): string {
  const total = run.checks.length;
  const failed = total - run.counts.OK;
  const parts = (['CRITICAL', 'WARNING', 'UNKNOWN'] as const).filter((s) => run.counts[s] > 0).map((s) => `${run.counts[s]} ${s}`);
  const noun = total === 1 ? 'check' : 'checks';
  const what = failed === 0 ? `${total} ${noun} passed` : `${failed} of ${total} ${noun} failed (${parts.join(', ')})`;
  const retried = run.checks.filter((o) => o.passedOnRetry).length;
  const extra = [
    ...(retried ? [`${retried} passed on retry`] : []),
    ...(run.interrupted ? ['interrupted'] : []),
    ...(run.deadlineHit ? ['the deadline passed'] : []),
  ];
  return `CHECK ${run.status} - ${what}${extra.length ? `; ${extra.join(', ')}` : ''} in ${formatDuration(run.durationMs)}`;
}

/** What the line says about an outcome: its first problem, or why it did not run, and a retried pass. */
export function firstProblem(o: CheckOutcome): string {
  const p = o.problems[0];
  let text = p ? `${p.code}: ${p.message}` : o.error ? `${o.error.code}: ${o.error.message}` : '';
  if (o.problems.length > 1) text += ` (+${o.problems.length - 1} more)`;
  if (o.passedOnRetry) text = `passed on attempt ${o.attempts} of ${o.attempts}${text ? `; ${text}` : ''}`;
  return text;
}

function clipTo(line: string, columns: number | undefined): string {
  if (columns === undefined || line.length <= columns) return line;
  return `${line.slice(0, Math.max(0, columns - 3))}...`;
}

/** The whole text: the summary, then the lines. */
export function renderCheckText(run: CheckRunResult, style: RenderStyle = {}): string {
  const rows = run.checks.map((o) => ({
    status: o.status,
    name: escapeControl(o.name),
    address: o.address ?? '-',
    duration: o.attempts === 0 ? '-' : formatDuration(o.durationMs),
    problem: escapeControl(firstProblem(o)),
  }));
  const nameWidth = Math.min(40, Math.max(4, ...rows.map((r) => r.name.length)));
  // the address column only when a check fanned out
  const addresses = run.checks.some((o) => o.address !== null);
  const addressWidth = Math.min(40, Math.max(1, ...rows.map((r) => r.address.length)));
  const lines = [renderSummary(run)];
  for (const r of rows) {
    const address = addresses ? `${r.address.padEnd(addressWidth)}  ` : '';
    const line = `${r.status.padEnd(8)}  ${r.name.padEnd(nameWidth)}  ${address}${r.duration.padStart(7)}  ${r.problem}`.trimEnd();
    lines.push(clipTo(line, style.columns));
  }
  return `${lines.join('\n')}\n`;
}
