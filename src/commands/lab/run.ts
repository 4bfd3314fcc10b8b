/** `netlab lab`: start the loopback lab and describe it. Printing and waiting are cli.ts's. */
import { NetlabError } from '../../errors.js';
import type { Lab } from '../../lab/index.js';
import { loadExtraZones } from '../../lab/zone-files.js';

export interface LabCommandOptions {
  port?: number;
  /** Running as root: try port 53 first. */
  privileged: boolean;
  /** Master files to serve too (`--zone`), on the example.test servers. */
  zoneFiles?: string[];
}

export interface LabStarted {
  lab: Lab;
  /** Said on stderr: why the port is not the one asked for. */
  notes: string[];
}

/**
 * Start the lab: the given DNS port, else 53 (and 443 for TLS) when privileged, falling back
 * to free ports, else free ports.
 */
export async function runLab(options: LabCommandOptions): Promise<LabStarted> {
  const notes: string[] = [];
  const extraZones = options.zoneFiles?.length ? await loadExtraZones(options.zoneFiles) : undefined;
  // loaded once the arguments and zone files are known good: the lab (its certificate issuing
  // above all) is ~0.4 s of CPU to load, which `netlab lab --help` or a bad option need not pay
  const { startLab } = await import('../../lab/index.js');
  if (options.port !== undefined) {
    try {
      return { lab: await startLab({ port: options.port, extraZones }), notes };
    } catch (e) {
      throw portError(e, options.port);
    }
  }
  if (options.privileged) {
    try {
      return { lab: await startLab({ port: 53, tlsPort: 443, extraZones }), notes };
    } catch (e) {
      notes.push(`port 53 or 443 is not free on the lab addresses (${(e as Error).message}); using free ports`);
    }
  }
  return { lab: await startLab({ port: 0, extraZones }), notes };
}

/** A port the lab cannot listen on is the user's choice to change: one line, exit 3, not an internal error. */
function portError(e: unknown, port: number): unknown {
  const err = e as NodeJS.ErrnoException & { address?: string };
  const why: Record<string, string> = { EADDRINUSE: 'is already in use', EACCES: 'needs root (a port under 1024)', EADDRNOTAVAIL: 'is not available' };
  if (!err.code || !why[err.code]) return e;
  const where = err.address ? ` on ${err.address}` : '';
  return new NetlabError('USAGE', `port ${port}${where} ${why[err.code]}: choose another with --port, or --port 0 for a free one`, { cause: e });
}

/** `role  address  description`, the description wrapped under itself when `columns` is too narrow for it. */
function endpointLine(role: string, where: string, description: string, columns: number | undefined): string {
  const lead = `  ${role.padEnd(24)} ${where.padEnd(20)} `;
  if (columns === undefined || lead.length + description.length <= columns) return `${lead}${description}`;
  // narrow: the description wrapped under the role, indented, when beside it leaves under 30 columns
  const beside = columns - lead.length >= 30;
  const indent = beside ? lead.length : 4;
  const room = Math.max(10, columns - indent);
  const lines: string[] = [];
  let line = '';
  for (const word of description.split(' ')) {
    if (line && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  const first = beside ? [`${lead}${lines.shift() ?? ''}`] : [`  ${role} ${where}`];
  return [...first, ...lines.map((l) => `${' '.repeat(indent)}${l}`)].join('\n');
}

/** The lab's listing; `columns`: the terminal's width, to wrap the descriptions in (none: one line each). */
export function renderLabText(lab: Lab, columns?: number): string {
  const lines = [`netlab lab: the course's network on loopback, DNS on port ${lab.port}, TLS on port ${lab.tls.port}. Ctrl-C stops it.`, '', 'DNS servers'];
  for (const e of lab.endpoints.filter((x) => x.protocol === 'dns')) {
    lines.push(endpointLine(e.role, `${e.address}#${e.port}`, e.description, columns));
  }
  lines.push('', `TLS servers (SNI www.example.test; lab root CA: ${lab.tls.caFile})`);
  for (const e of lab.endpoints.filter((x) => x.protocol === 'tls')) {
    lines.push(endpointLine(e.role, `${e.address}:${e.port}`, e.description, columns));
  }
  lines.push('', 'HTTP(S) origin and CDN edge (names in example.test; same lab root CA)');
  for (const e of lab.endpoints.filter((x) => x.protocol === 'http')) {
    lines.push(endpointLine(e.role, `${e.address}:${e.port}`, e.description, columns));
  }
  for (const n of lab.http.notes) lines.push(`  note: ${n}`);
  lines.push('', `Load balancing: backends and VIPs (HTTP ${lab.lb.httpPort}; L4 relay of HTTP ${lab.lb.tcpPort}; banner service ${lab.lb.bannerPort})`);
  for (const e of lab.endpoints.filter((x) => x.protocol === 'lb')) {
    lines.push(endpointLine(e.role, `${e.address}:${e.port}`, e.description, columns));
  }
  lines.push('', `STARTTLS servers (port ${lab.starttls.port}; for mail.example.test)`);
  for (const e of lab.endpoints.filter((x) => x.protocol === 'starttls')) {
    lines.push(endpointLine(e.role, `${e.address}:${e.port}`, e.description, columns));
  }
  lines.push('', 'Try', ...lab.examples.map((x) => `  ${x}`), '');
  return lines.join('\n');
}

export function labJson(lab: Lab): object {
  return { port: lab.port, tlsPort: lab.tls.port, starttlsPort: lab.starttls.port, httpsPort: lab.http.httpsPort, httpPort: lab.http.httpPort, caFile: lab.tls.caFile, dnssecAnchorFile: lab.dnssec.anchorFile, endpoints: lab.endpoints, examples: lab.examples, notes: lab.http.notes };
}
