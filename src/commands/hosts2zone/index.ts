/**
 * `netlab hosts2zone`: its options (options.ts), its run (run.ts, loaded when it runs) and its
 * renderer (render.ts). The zone streams to stdout and the problems to stderr as they are
 * found, so the run prints those itself; the text after it (the table of --out, the result of
 * --verify) or the JSON is printed by the CLI from the result.
 */
import type { CommandDef } from '../command.js';
import { ARGS, HELP_AFTER, OPTIONS, parseHosts2zoneArgs, type Hosts2zoneOptions } from './options.js';
import type { Hosts2zoneResult } from './run.js';

/** The hosts2zone subcommand, for the registry (src/commands/registry.ts). */
export const command: CommandDef<Hosts2zoneOptions, Hosts2zoneResult> = {
  name: 'hosts2zone',
  args: ARGS,
  options: OPTIONS,
  helpAfter: HELP_AFTER,
  parse: parseHosts2zoneArgs,
  async run(options, ctx) {
    const [{ runHosts2zone }, render] = await Promise.all([import('./run.js'), import('./render.js')]);
    const { formatIssue, formatMismatch, formatOmitted, renderHosts2zoneSummary } = render;
    const result = await runHosts2zone(options, {
      stdin: ctx.io.stdin,
      signal: ctx.signal,
      ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
      writeZone: (chunk) => ctx.io.out(chunk),
      onIssue: (issue) => ctx.io.err(formatIssue(issue)),
      onIssuesOmitted: (o) => ctx.io.err(formatOmitted(o)),
      onMismatch: (m) => ctx.io.err(`mismatch: ${formatMismatch(m)}`),
    });
    // the zone went to stdout: the summary goes to stderr (render prints nothing more)
    if (!options.json && options.outDir === undefined && !options.verify) {
      for (const line of renderHosts2zoneSummary(result).replace(/\n$/, '').split('\n')) ctx.io.err(line);
    }
    return result;
  },
  async render(result, options, style) {
    return (await import('./render.js')).renderHosts2zone(result, options, style);
  },
};
