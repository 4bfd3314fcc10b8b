/**
 * `netlab cert-check`: its flow (parse, run, render). The options are declared in options.ts;
 * run.ts (node:tls, the trust store) and render.ts (cli-table3) load only when a check runs, so
 * that `netlab cert-check --help` loads neither.
 */
import type { CommandDef } from '../command.js';
import { CERT_CHECK_ARGS, CERT_CHECK_HELP_AFTER, CERT_CHECK_OPTIONS, parseCertCheckArgs, type CertCheckOptions } from './options.js';
import type { CertCheckResult } from './run.js';

export const command: CommandDef<CertCheckOptions, CertCheckResult> = {
  name: 'cert-check',
  args: CERT_CHECK_ARGS,
  options: CERT_CHECK_OPTIONS,
  helpAfter: CERT_CHECK_HELP_AFTER,
  parse: parseCertCheckArgs,
  async run(options, ctx) {
    const { runCertCheck } = await import('./run.js');
    return runCertCheck(options, { signal: ctx.signal, ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}) });
  },
  async render(result, _options, style) {
    return (await import('./render.js')).renderCertText(result, style);
  },
};
