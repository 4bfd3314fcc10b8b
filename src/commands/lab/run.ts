/** `netlab lab`: start the loopback lab and describe it. Printing and waiting are cli.ts's. */
import { NetlabError } from '../../errors.js';
import { startLab, type Lab } from '../../lab/index.js';
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

export function renderLabText(lab: Lab): string {
  const lines = [`netlab lab: the course's network on loopback, DNS on port ${lab.port}, TLS on port ${lab.tls.port}. Ctrl-C stops it.`, '', 'DNS servers'];
  for (const e of lab.endpoints.filter((x) => x.protocol === 'dns')) {
    lines.push(`  ${e.role.padEnd(24)} ${`${e.address}#${e.port}`.padEnd(20)} ${e.description}`);
  }
  lines.push('', `TLS servers (SNI www.example.test; lab root CA: ${lab.tls.caFile})`);
  for (const e of lab.endpoints.filter((x) => x.protocol === 'tls')) {
    lines.push(`  ${e.role.padEnd(24)} ${`${e.address}:${e.port}`.padEnd(20)} ${e.description}`);
  }
  lines.push('', 'HTTP(S) origin and CDN edge (names in example.test; same lab root CA)');
  for (const e of lab.endpoints.filter((x) => x.protocol === 'http')) {
    lines.push(`  ${e.role.padEnd(24)} ${`${e.address}:${e.port}`.padEnd(20)} ${e.description}`);
  }
  for (const n of lab.http.notes) lines.push(`  note: ${n}`);
  lines.push('', `Load balancing: backends and VIPs (HTTP ${lab.lb.httpPort}; L4 relay of HTTP ${lab.lb.tcpPort}; banner service ${lab.lb.bannerPort})`);
  for (const e of lab.endpoints.filter((x) => x.protocol === 'lb')) {
    lines.push(`  ${e.role.padEnd(24)} ${`${e.address}:${e.port}`.padEnd(20)} ${e.description}`);
  }
  lines.push('', 'Try', ...lab.examples.map((x) => `  ${x}`), '');
  return lines.join('\n');
}

export function labJson(lab: Lab): object {
  return { port: lab.port, tlsPort: lab.tls.port, httpsPort: lab.http.httpsPort, httpPort: lab.http.httpPort, caFile: lab.tls.caFile, endpoints: lab.endpoints, examples: lab.examples, notes: lab.http.notes };
}
