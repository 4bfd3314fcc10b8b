/**
 * What `netlab check` writes besides its text (issue 12): `--junit FILE`, `--metrics FILE`,
 * `--push URL` (a Pushgateway), GitHub Actions annotations and step summary. SKELETON: the
 * helper who owns the writers replaces the bodies; the command calls these two functions with
 * these signatures.
 */
import type { CheckRunResult } from './model.js';

export interface OutputOptions {
  /** --junit FILE: JUnit XML (Jenkins junit-4 schema). */
  junit?: string;
  /** --metrics FILE: the Prometheus text format. */
  metrics?: string;
  /** --push URL: the Pushgateway's base URL. */
  push?: string;
  /** --github, or GITHUB_ACTIONS=true: annotations on stdout and a Markdown table in `stepSummary`. */
  github?: boolean;
  /** $GITHUB_STEP_SUMMARY: the file the Markdown table is appended to. */
  stepSummary?: string;
  signal?: AbortSignal;
}

/**
 * Before any check runs: throws NetlabError INPUT (one line naming the path) when a --junit or
 * --metrics file cannot be written.
 */
export function checkOutputPaths(options: OutputOptions): void {
  void options;
}

/**
 * After the run: write the files, push, and return the GitHub annotation lines for stdout and
 * one line per output that failed (a Pushgateway that refused or did not answer), for stderr.
 */
export async function writeOutputs(run: CheckRunResult, options: OutputOptions): Promise<{ annotations: string[]; failures: string[] }> {
  void run;
  void options;
  return { annotations: [], failures: [] };
}
