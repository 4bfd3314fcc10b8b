/** `netlab lab`: start the loopback lab and describe it. Printing and waiting are cli.ts's. */
import { startLab, type Lab } from '../lab/index.js';

export interface LabCommandOptions {
  port?: number;
  json: boolean;
  /** Running as root: try port 53 first. */
  privileged: boolean;
}

export interface LabStarted {
  lab: Lab;
  /** Said on stderr: why the port is not the one asked for. */
  notes: string[];
}

/** Start the lab: the given port, else 53 when privileged (falling back to a free port), else a free port. */
export async function runLab(options: LabCommandOptions): Promise<LabStarted> {
  const notes: string[] = [];
  if (options.port !== undefined) return { lab: await startLab({ port: options.port }), notes };
  if (options.privileged) {
    try {
      return { lab: await startLab({ port: 53 }), notes };
    } catch (e) {
      notes.push(`port 53 is not free on the lab addresses (${(e as Error).message}); using a free port`);
    }
  }
  return { lab: await startLab({ port: 0 }), notes };
}

export function renderLabText(lab: Lab): string {
  const lines = [`netlab lab: the course's network on loopback, DNS on port ${lab.port} of every address. Ctrl-C stops it.`, '', 'DNS servers'];
  for (const e of lab.endpoints) {
    lines.push(`  ${e.role.padEnd(18)} ${`${e.address}#${e.port}`.padEnd(20)} ${e.description}`);
  }
  lines.push('', 'Try', ...lab.examples.map((x) => `  ${x}`), '');
  return lines.join('\n');
}

export function labJson(lab: Lab): object {
  return { port: lab.port, endpoints: lab.endpoints, examples: lab.examples };
}
