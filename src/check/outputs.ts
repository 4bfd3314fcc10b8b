/**
 * What `netlab check` writes besides its text (issue 12): `--junit FILE`, `--metrics FILE`,
 * `--push URL` (a Pushgateway), GitHub Actions annotations and step summary. The command calls
 * {@link checkOutputPaths} before any check runs and {@link writeOutputs} after the run; the
 * writers themselves are pure (junit.ts, metrics.ts, github.ts) and push.ts does the push.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { NetlabError } from '../errors.js';
import { atomicWriteFile, checkWriteTarget, writeReason } from '../util/atomic-write.js';
import type { CheckRunResult } from './model.js';
import { pushMetrics, pushUrl } from './push.js';

export interface OutputOptions {
  /** --junit FILE: JUnit XML (Jenkins junit-4 schema). */
  junit?: string;
  /** --metrics FILE: the Prometheus text format. */
  metrics?: string;
  /** --push URL: the Pushgateway's base URL. */
  push?: string;
  /** The push's bound, ms (default PUSH_LIMITS.timeoutMs, 10 s). */
  pushTimeoutMs?: number;
  /** --github, or GITHUB_ACTIONS=true: annotations on stdout and a Markdown table in `stepSummary`. */
  github?: boolean;
  /** $GITHUB_STEP_SUMMARY: the file the Markdown table is appended to. */
  stepSummary?: string;
  signal?: AbortSignal;
}

/** One output file checked: it may be replaced (checkWriteTarget) and its directory exists and may be written in. */
function checkFile(path: string, what: string): string {
  const target = checkWriteTarget(path, what);
  const dir = dirname(target.real);
  try {
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    // W_OK: the file is replaced by a rename in its directory; X_OK: to reach it
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `no such directory '${dir}'` : code === 'ENOTDIR' ? `'${dir}' is not a directory` : `its directory '${dir}': ${writeReason(e)}`;
    throw new NetlabError('INPUT', `cannot write '${path}': ${why}`, { cause: e });
  }
  return resolve(target.real);
}

/**
 * Before any check runs: throws NetlabError INPUT (one line naming the path) when a --junit or
 * --metrics file cannot be written (its directory is missing or read-only, it is a directory
 * or a FIFO, both name the same file), and NetlabError USAGE when the push URL is not an http or
 * https URL.
 */
export function checkOutputPaths(options: OutputOptions): void {
  const junit = options.junit === undefined ? undefined : checkFile(options.junit, 'a JUnit report');
  const metrics = options.metrics === undefined ? undefined : checkFile(options.metrics, 'a metrics file');
  if (junit !== undefined && junit === metrics) throw new NetlabError('INPUT', `cannot write '${options.metrics}': the JUnit report and the metrics go to the same file`);
  // push.ts is pure until it pushes (node:http is loaded then)
  if (options.push !== undefined) pushUrl(options.push, 'x');
}

/**
 * After the run: write the files (each atomically: a reader never sees half a report), push,
 * and return the GitHub annotation lines for stdout and one line per output that failed (a
 * file that could not be written after all, a Pushgateway that refused or did not answer, a
 * step summary that could not be appended to), for stderr. Never throws for those: the run's
 * results are printed whatever happens here.
 */
export async function writeOutputs(run: CheckRunResult, options: OutputOptions): Promise<{ annotations: string[]; failures: string[] }> {
  const failures: string[] = [];
  const annotations: string[] = [];
  const fail = (e: unknown, what: string) => failures.push(e instanceof NetlabError ? e.message : `${what}: ${writeReason(e)}`);
  if (options.junit !== undefined) {
    const { junitXml } = await import('./junit.js');
    await atomicWriteFile(options.junit, junitXml(run), { what: 'a JUnit report' }).catch((e: unknown) => fail(e, `cannot write '${options.junit}'`));
  }
  if (options.metrics !== undefined || options.push !== undefined) {
    const { metricFamilies, exposition } = await import('./metrics.js');
    const text = exposition(metricFamilies(run.checks), 'prometheus');
    if (options.metrics !== undefined) {
      await atomicWriteFile(options.metrics, text, { what: 'a metrics file' }).catch((e: unknown) => fail(e, `cannot write '${options.metrics}'`));
    }
    if (options.push !== undefined) {
      try {
        const reason = await pushMetrics(pushUrl(options.push, run.file), text, { timeoutMs: options.pushTimeoutMs, signal: options.signal });
        if (reason) failures.push(reason);
      } catch (e) {
        fail(e, 'push');
      }
    }
  }
  if (options.github) {
    const github = await import('./github.js');
    annotations.push(...github.annotations(run));
    if (options.stepSummary) {
      await appendFile(options.stepSummary, github.stepSummary(run), 'utf8').catch((e: unknown) => fail(e, `cannot append to the step summary '${options.stepSummary}'`));
    }
  }
  return { annotations, failures };
}
