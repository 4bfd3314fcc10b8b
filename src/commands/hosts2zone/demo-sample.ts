/**
 * The hosts2zone part of `netlab demo`: migrate the sample office hosts file (before the lab
 * starts, so the lab can serve the zones), then verify the lab's server against it, and
 * against a copy changed after the migration.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Status } from '../../errors.js';
import { OFFICE_HOSTS } from '../../lab/office-hosts.js';
import { loadZoneFiles, type ZoneData } from '../../protocol/zone/master.js';
import type { HostsIssue } from '../../protocol/zone/hosts.js';
import { parseArgv } from '../command.js';
import { command } from './index.js';
import { runHosts2zone } from './run.js';
import { formatIssue, renderHosts2zoneText } from './render.js';

/** One step of the demo, as the demo shows it. */
export interface Hosts2zoneDemoStep {
  title: string;
  command: string;
  expected: Status;
  status: Status;
  output: string;
}

/** The demo's hosts2zone part: its zones for the lab, then its steps. */
export interface Hosts2zoneDemo {
  /** The zones written, to serve in the lab (startLab's extraZones). */
  zones: ZoneData[];
  /** The steps, once the lab serves the zones on `server` (ADDRESS:PORT). */
  steps(server: string): Promise<Hosts2zoneDemoStep[]>;
  close(): void;
}

const ZONE_ARGS = ['--origin', 'corp.test', '--ns', 'ns1', '--ns', 'ns2', '--reverse'];

/** One step: `args` through the command line's parser (parseArgv), then the run, its problems and its text as the CLI prints them. */
async function step(dir: string, title: string, args: string[], expected: Status, shown: string[], withIssues = true): Promise<Hosts2zoneDemoStep> {
  const issues: HostsIssue[] = [];
  const result = await runHosts2zone(await parseArgv(command, args), { onIssue: (i) => issues.push(i) });
  // the temporary directory is noise in the output: files are shown relative to it
  const rel = (p: string) => p.split(`${dir}/`).join('');
  for (const z of result.zones) z.file = z.file === null ? null : rel(z.file);
  for (const m of result.verify?.mismatches ?? []) m.where = rel(m.where);
  const problems = withIssues ? issues.map((i) => `${rel(formatIssue(i))}\n`).join('') : '';
  const output = `${problems}${renderHosts2zoneText(result)}`;
  return { title, command: `netlab hosts2zone ${shown.join(' ')}`, expected, status: result.status, output };
}

/** Migrate the sample file into a temporary directory and read the zones back for the lab. */
export async function prepareHosts2zoneDemo(): Promise<Hosts2zoneDemo> {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-demo-h2z-'));
  try {
    const hosts = join(dir, 'office.hosts');
    const zonesDir = join(dir, 'zones');
    writeFileSync(hosts, OFFICE_HOSTS);
    const migrate = await step(
      dir,
      "hosts2zone: migrate the office's /etc/hosts to corp.test and its reverse zones (bad lines reported as FILE:LINE, exit 1)",
      [hosts, ...ZONE_ARGS, '--out', zonesDir], 'WARNING', ['office.hosts', ...ZONE_ARGS, '--out', 'zones'],
    );
    const zones = await loadZoneFiles(['corp.test', '100.51.198.in-addr.arpa', '113.0.203.in-addr.arpa', '1.0.0.0.0.c.0.0.8.b.d.0.1.0.0.2.ip6.arpa'].map((z) => join(zonesDir, `db.${z}`)));
    return {
      zones,
      async steps(server: string) {
        const verify = await step(
          dir,
          'hosts2zone --verify: the lab now serves those zones; it answers what the file says (forward and PTR; exit 1 for the bad lines)',
          [hosts, ...ZONE_ARGS, '--verify', server], 'WARNING', ['office.hosts', ...ZONE_ARGS, '--verify', server], false,
        );
        const changed = join(dir, 'office-changed.hosts');
        writeFileSync(changed, `${OFFICE_HOSTS.replace('198.51.100.13\tprint.corp.test', '198.51.100.31\tprint.corp.test')}198.51.100.60\tnew-printer.corp.test\n`);
        const drift = await step(
          dir,
          'hosts2zone --verify after someone edited the hosts file: exactly the changed names differ, exit 2',
          [changed, ...ZONE_ARGS, '--verify', server], 'CRITICAL', ['office-changed.hosts', ...ZONE_ARGS, '--verify', server], false,
        );
        return [migrate, verify, drift];
      },
      close() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
