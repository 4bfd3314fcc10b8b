/** `netlab demo`: the lab, every subcommand against it, the results; exit 0 when each step gave what it should. */
import type { CommandDef } from '../command.js';
import { renderDemoStep, runDemo, type DemoResult } from './run.js';

export const command: CommandDef<{ json: boolean }, DemoResult> = {
  name: 'demo',
  options: [{ flags: '--json', description: 'the steps and their results as JSON' }],
  parse: (g) => ({ json: g.flag('json') }),
  // the steps stream as they finish; the run prints its own text
  async run(options, ctx) {
    if (!options.json) await ctx.io.out('netlab demo: the course on loopback, no network needed.\n\n');
    const result = await runDemo(ctx.version, options.json ? undefined : (step) => void ctx.io.out(renderDemoStep(step)), ctx.signal);
    if (options.json) await ctx.io.out(`${JSON.stringify(result, null, 2)}\n`);
    else if (result.interrupted) await ctx.io.out(`demo: interrupted after ${result.steps.length} steps.\n`);
    else await ctx.io.out(result.status === 'OK' ? 'demo: every step gave what it should.\n' : 'demo: some steps did not give what they should (marked !!).\n');
    return result;
  },
};
