/**
 * `netlab check`'s run: read and load the checks file (every error as FILE:LINE:COL on stderr,
 * exit 3, nothing run), check the output paths, run the checks (src/check), print the text or
 * the JSON, write the reports, and decide the exit status (--fail-on, a failed push).
 */
import { cannotRead, type Status } from '../../errors.js';
import { FILE_LIMITS, readFileBounded } from '../../util/read-bounded.js';
import type { RunContext } from '../command.js';
import type { CheckRunResult } from '../../check/model.js';
import type { CheckOptions } from './options.js';

/** What the command returns to the CLI: the status that makes the exit code. */
export interface CheckCommandResult {
  status: Status;
  interrupted?: boolean;
  /** The run, when checks ran (tests and the demo read it). */
  run?: CheckRunResult;
}

/** What the command reads from the environment (src/check never does): GitHub Actions. */
export interface CheckEnv {
  GITHUB_ACTIONS?: string;
  GITHUB_STEP_SUMMARY?: string;
}

/**
 * The exit status of a run: its worst status, WARNING passing with --fail-on critical; a
 * report that could not be written or pushed makes it UNKNOWN unless a check was CRITICAL
 * (the checks' own failure says more).
 */
export function exitStatus(status: Status, failOn: CheckOptions['failOn'], outputFailed: boolean): Status {
  const judged = failOn === 'critical' && status === 'WARNING' ? 'OK' : status;
  if (outputFailed && (judged === 'OK' || judged === 'WARNING')) return 'UNKNOWN';
  return judged;
}

export async function runCheckCommand(options: CheckOptions, ctx: Pick<RunContext, 'signal' | 'onProgress' | 'io' | 'style'>, env: CheckEnv = {}): Promise<CheckCommandResult> {
  let text: string;
  try {
    text = readFileBounded(options.file, FILE_LIMITS.pem).toString('utf8');
  } catch (e) {
    throw cannotRead(options.file, e, 'the checks file');
  }
  const [{ loadChecks, ChecksFileError }, outputs] = await Promise.all([import('../../check/load.js'), import('../../check/outputs.js')]);
  let config;
  try {
    config = await loadChecks(text, options.file, options.vars ? { vars: options.vars } : {});
  } catch (e) {
    if (!(e instanceof ChecksFileError)) throw e;
    for (const line of e.message.split('\n')) ctx.io.err(line);
    ctx.io.err(`netlab check: ${e.errors.length} error${e.errors.length === 1 ? '' : 's'} in ${options.file}: nothing was run`);
    if (options.json) await ctx.io.out(`${JSON.stringify({ status: 'UNKNOWN', error: { code: 'INPUT', message: `${e.errors.length} errors in ${options.file}`, errors: e.errors } }, null, 2)}\n`);
    return { status: 'UNKNOWN' };
  }
  if (options.validate) {
    const fanned = config.checks.filter((c) => c.everyAddress || c.everyServer).length;
    const what = `${config.checks.length} check${config.checks.length === 1 ? '' : 's'}${fanned ? ` (${fanned} fanned out)` : ''}`;
    if (options.json) await ctx.io.out(`${JSON.stringify({ status: 'OK', file: options.file, checks: config.checks }, null, 2)}\n`);
    else await ctx.io.out(`${options.file}: OK, ${what}\n`);
    return { status: 'OK' };
  }
  const github = options.github || env.GITHUB_ACTIONS === 'true';
  const outputOptions = {
    ...(options.junit !== undefined ? { junit: options.junit } : {}),
    ...(options.metrics !== undefined ? { metrics: options.metrics } : {}),
    ...(options.push !== undefined ? { push: options.push } : {}),
    github,
    ...(github && env.GITHUB_STEP_SUMMARY ? { stepSummary: env.GITHUB_STEP_SUMMARY } : {}),
    signal: ctx.signal,
  };
  // an unwritable report path: exit 3 before any check runs
  outputs.checkOutputPaths(outputOptions);
  const { runChecks } = await import('../../check/run.js');
  const total = config.checks.length;
  const run = await runChecks(config, {
    concurrency: options.concurrency,
    ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}),
    signal: ctx.signal,
    ...(ctx.onProgress ? { onOutcome: (o, done) => ctx.onProgress!({ phase: 'checks', done, total: Math.max(total, done), detail: o.name }) } : {}),
  });
  if (options.json) await ctx.io.out(`${JSON.stringify(run, null, 2)}\n`);
  else await ctx.io.out((await import('./render.js')).renderCheckText(run, ctx.style));
  // the reports are written even after Ctrl-C: what ran is reported
  const written = await outputs.writeOutputs(run, { ...outputOptions, signal: new AbortController().signal });
  if (written.annotations.length) await ctx.io.out(`${written.annotations.join('\n')}\n`);
  for (const f of written.failures) ctx.io.err(`netlab check: ${f}`);
  const result: CheckCommandResult = { status: exitStatus(run.status, options.failOn, written.failures.length > 0), run };
  if (run.interrupted) result.interrupted = true;
  return result;
}
