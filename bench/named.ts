/**
 * BIND named as the reference server of the batch benchmark: one primary zone on
 * 127.0.0.1 and a random high port (named binds only addresses configured on an interface,
 * and lo has 127.0.0.1, not the rest of 127/8), everything in a temporary directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep, timed } from './tools.js';

export const NAMED_ADDRESS = '127.0.0.1';

export interface NamedServer {
  address: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

/** The batch zone: `www` and `h0` .. `h<count-1>`, each with one A record from 10/8 (zone data only). */
export function batchZoneText(origin: string, count: number): string {
  const lines = [
    '$TTL 300',
    `@ IN SOA ns1.${origin}. hostmaster.${origin}. 2026112301 3600 900 604800 300`,
    `@ IN NS ns1.${origin}.`,
    `ns1 IN A ${NAMED_ADDRESS}`,
    'www IN A 192.0.2.80',
  ];
  for (let i = 0; i < count; i++) lines.push(`h${i} IN A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  return `${lines.join('\n')}\n`;
}

/** Start `named -g` serving `origin` from `zoneText`; resolves once it answers the SOA query. */
export async function startNamed(named: string, dig: string | undefined, origin: string, zoneText: string): Promise<NamedServer> {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-named-'));
  writeFileSync(join(dir, 'db.zone'), zoneText);
  let lastLog = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    writeFileSync(join(dir, 'named.conf'), `options {
  directory "${dir}";
  listen-on port ${port} { ${NAMED_ADDRESS}; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  pid-file "${dir}/named.pid";
  session-keyfile "${dir}/session.key";
};
controls { };
zone "${origin}" { type primary; file "${dir}/db.zone"; };
`);
    const child: ChildProcess = spawn(named, ['-g', '-c', join(dir, 'named.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (log.length < 20_000) log += d;
    });
    let exited = false;
    child.on('exit', () => (exited = true));
    const stop = async () => {
      if (!exited) {
        child.kill('SIGTERM');
        for (let i = 0; i < 50 && !exited; i++) await sleep(100);
        if (!exited) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    };
    // bounded wait: named loads 10,000 names in well under a second
    for (let i = 0; i < 50 && !exited; i++) {
      if (/all zones loaded|running/.test(log)) {
        if (!dig) return { address: NAMED_ADDRESS, port, dir, stop };
        const r = await timed(dig, [`@${NAMED_ADDRESS}`, '-p', String(port), origin, 'SOA', '+short', '+time=1', '+tries=1'], { capture: true, timeoutMs: 5000 });
        if (r.stdout.includes('hostmaster')) return { address: NAMED_ADDRESS, port, dir, stop };
      }
      await sleep(100);
    }
    lastLog = log;
    if (!exited) child.kill('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`named did not start: ${lastLog.trim().split('\n').slice(-3).join(' | ')}`);
}
