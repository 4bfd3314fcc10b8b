/**
 * Small CheckOutcome fixtures for the writers' edge cases (issue 12): every status, a check that
 * could not run, a pass on retry, and names and messages full of what XML, Markdown, workflow
 * commands and the Prometheus format must escape.
 */
import type { Status } from '../../src/errors.js';
import type { CheckOutcome, CheckRunResult } from '../../src/check/model.js';

/** A name with XML's, Markdown's, the Actions toolkit's and Prometheus' special characters, controls, a lone surrogate and U+FFFE. */
export const HOSTILE = 'a<b>&"c\'|d,e:f%g\\h\n::error::x\r\ty\u0000z\u001b[31m\ud800\ufffe*_`#[l](u)';

export function outcome(over: Partial<CheckOutcome> & Pick<CheckOutcome, 'name' | 'status'>): CheckOutcome {
  return {
    command: 'dig',
    address: null,
    problems: [],
    notes: [],
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 12.5,
    attempts: 1,
    passedOnRetry: false,
    result: null,
    ...over,
  };
}

export function run(checks: CheckOutcome[], file = 'checks.yml'): CheckRunResult {
  const counts: Record<Status, number> = { OK: 0, WARNING: 0, CRITICAL: 0, UNKNOWN: 0 };
  for (const c of checks) counts[c.status]++;
  const rank: Status[] = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'];
  const status = checks.reduce<Status>((w, c) => (rank.indexOf(c.status) > rank.indexOf(w) ? c.status : w), 'OK');
  return { file, status, startedAt: '2026-01-01T00:00:00.000Z', durationMs: 1234.5, counts, checks };
}

/** One of each status, a pass on retry, a check that could not run, and hostile text everywhere. */
export function edgeRun(): CheckRunResult {
  return run(
    [
      outcome({ name: 'ok', status: 'OK' }),
      outcome({ name: 'retried', status: 'OK', attempts: 2, passedOnRetry: true }),
      outcome({ name: 'slow', status: 'WARNING', problems: [{ code: 'EXPECTATION_FAILED', severity: 'WARNING', message: 'timeMs < 200ms does not hold: timeMs is 312.5 ms' }] }),
      outcome({
        name: HOSTILE,
        command: 'cert-check',
        address: '2001:db8::1',
        status: 'CRITICAL',
        problems: [
          { code: 'EXPIRED', severity: 'CRITICAL', message: `the leaf ${HOSTILE} expired`, subject: 'CN=x' },
          { code: 'EXPIRES_SOON', severity: 'WARNING', message: 'second problem' },
        ],
        notes: [{ code: 'UNUSED_CERTIFICATE', message: `note ${HOSTILE}` }],
      }),
      outcome({ name: 'could not run', status: 'UNKNOWN', command: 'lb-probe', problems: [{ code: 'CHECK_TIMEOUT', severity: 'CRITICAL', message: 'no result in 10 s' }], error: { code: 'TIMEOUT', message: 'the check did not finish in 10 s' } }),
      outcome({ name: 'interrupted', status: 'UNKNOWN', command: 'hosts2zone' }),
    ],
    `dir/${HOSTILE}.yml`,
  );
}
