/**
 * `netlab trace-request`: its options (options.ts), its run (run.ts, loaded only when it runs:
 * the HTTP engine comes with it) and its text (render.ts, loaded only without --json: cli-table3 comes
 * with it).
 */
import type { CommandDef } from '../command.js';
import type { TraceRequestResult } from '../../protocol/http/trace-request.js';
import { ARGS, OPTIONS, parseTraceRequestArgs, type TraceRequestCommandOptions } from './options.js';

export const command: CommandDef<TraceRequestCommandOptions, TraceRequestResult> = {
  name: 'trace-request',
  args: ARGS,
  options: OPTIONS,
  parse: parseTraceRequestArgs,
  async run(options, ctx) {
    const { runTraceRequest } = await import('./run.js');
    return runTraceRequest(options, ctx);
  },
  async render(result, _options, style) {
    return (await import('./render.js')).renderTraceRequestText(result, style);
  },
  progress: 'sampling',
};
