/**
 * `netlab lb-probe`: its options (options.ts) and its flow. The run (undici) and the renderer
 * (cli-table3) load only when it runs, so `netlab lb-probe --help` loads neither.
 */
import type { CommandDef } from '../command.js';
import { LB_PROBE_ARGS, LB_PROBE_OPTIONS, parseLbProbeArgs, type LbProbeOptions } from './options.js';
import type { LbProbeResult } from './run.js';

export const command: CommandDef<LbProbeOptions, LbProbeResult> = {
  name: 'lb-probe',
  args: LB_PROBE_ARGS,
  options: LB_PROBE_OPTIONS,
  helpAfter: `
Each probe reads at most a 64 KiB header block (a larger one fails the probe, saying so), the
first 64 KiB of the body (hashed for --identify body) and, in TCP mode, the banner's first line
up to 1 KiB. Of each answer only its attribution, status and latency are kept; each distinct
marker once, at most 1,024 per method (answers beyond are counted, never attributed).`,
  parse: parseLbProbeArgs,
  async run(options, ctx) {
    const { runLbProbe } = await import('./run.js');
    return runLbProbe(options, ctx);
  },
  async render(result, _options, style) {
    return (await import('./render.js')).renderLbProbeText(result, style);
  },
  progress: 'probing the backends',
};
