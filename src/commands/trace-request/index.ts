/**
 * `netlab trace-request`: its options (options.ts), its run (run.ts, loaded only when it runs:
 * undici comes with it) and its text (render.ts, loaded only without --json: cli-table3 comes
 * with it).
 */
import type { CommandDef } from '../command.js';
import type { TraceRequestResult } from '../../protocol/http/trace-request.js';
import { ARGS, OPTIONS, parseTraceRequestArgs, type TraceRequestCommandOptions } from './options.js';

/** The text renderer, once loaded (render is synchronous: run loads it when the text is wanted). */
let renderText: typeof import('./render.js').renderTraceRequestText | undefined;

export const command: CommandDef<TraceRequestCommandOptions, TraceRequestResult> = {
  name: 'trace-request',
  args: ARGS,
  options: OPTIONS,
  parse: parseTraceRequestArgs,
  async run(options, ctx) {
    const [{ runTraceRequest }, render] = await Promise.all([
      import('./run.js'),
      options.json ? undefined : import('./render.js'),
    ]);
    renderText ??= render?.renderTraceRequestText;
    return runTraceRequest(options, ctx);
  },
  render: (result, _options, style) => {
    if (!renderText) throw new Error('trace-request: the renderer was not loaded by the run');
    return renderText(result, style);
  },
  progress: 'sampling',
};
