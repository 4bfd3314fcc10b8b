/** `netlab lab`: start the lab, print its endpoints, run until Ctrl-C or SIGTERM. */
import { NetlabError } from '../../errors.js';
import type { CommandDef, CommandResult } from '../command.js';
import { labJson, renderLabText, runLab } from './run.js';

export interface LabOptions {
  port?: number;
  zoneFiles?: string[];
  json: boolean;
}

function parsePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new NetlabError('USAGE', `--port needs a number from 0 to 65535, got '${value}'`);
  return Number(value);
}

export const command: CommandDef<LabOptions, CommandResult> = {
  name: 'lab',
  options: [
    { flags: '-p, --port <port>', description: 'port for every lab server (default: 53 as root, else a free port)' },
    { flags: '--json', description: 'print the endpoints as JSON' },
    { flags: '--zone <file...>', description: 'also serve these master files (e.g. from hosts2zone) on the example.test servers' },
  ],
  parse: (g) => {
    const port = g.text('port');
    return { port: port === undefined ? undefined : parsePort(port), zoneFiles: g.has('zone') ? g.list('zone') : undefined, json: g.flag('json') };
  },
  untilStopped: true,
  async run(options, ctx) {
    const started = await runLab({ port: options.port, privileged: process.getuid?.() === 0, zoneFiles: options.zoneFiles });
    for (const n of started.notes) ctx.io.err(`netlab lab: ${n}`);
    await ctx.io.out(options.json ? `${JSON.stringify(labJson(started.lab), null, 2)}\n` : renderLabText(started.lab, ctx.style.columns));
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await started.lab.close();
    return { status: 'OK' };
  },
};
