/**
 * `netlab check`: a whole service's checks from one file, run in one process (src/check), with
 * the text, JSON and reports a CI reads. The run prints its own output (text or JSON, then the
 * annotations), so there is no render step.
 */
import type { CommandDef } from '../command.js';
import { CHECK_ARGS, CHECK_HELP_AFTER, CHECK_OPTIONS, parseCheckArgs, type CheckOptions } from './options.js';
import type { CheckCommandResult } from './run.js';

export const command: CommandDef<CheckOptions, CheckCommandResult> = {
  name: 'check',
  args: CHECK_ARGS,
  options: CHECK_OPTIONS,
  helpAfter: CHECK_HELP_AFTER,
  parse: parseCheckArgs,
  async run(options, ctx) {
    const { runCheckCommand } = await import('./run.js');
    // the environment is read here, never in src/check: GitHub Actions sets these
    const { GITHUB_ACTIONS, GITHUB_STEP_SUMMARY } = process.env;
    const result = await runCheckCommand(options, ctx, { ...(GITHUB_ACTIONS !== undefined ? { GITHUB_ACTIONS } : {}), ...(GITHUB_STEP_SUMMARY !== undefined ? { GITHUB_STEP_SUMMARY } : {}) });
    // the CLI needs only the status; the run stays out of the process's memory after printing
    return { status: result.status, ...(result.interrupted ? { interrupted: true } : {}) };
  },
  progress: 'running checks',
};
