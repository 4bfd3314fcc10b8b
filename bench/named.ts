/**
 * BIND named as the reference server of the batch benchmark: one primary zone on 127.0.0.1
 * (named binds only addresses configured on an interface, and lo has 127.0.0.1, not the rest
 * of 127/8), everything in a temporary directory; started by test/helpers/named.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNamed as startNamedDaemon, NAMED_ADDR } from '../test/helpers/named.js';
import { sleep, timed } from './tools.js';

export const NAMED_ADDRESS = NAMED_ADDR;

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

/**
 * Start `named -g` serving `origin` from `zoneText`, through the interop suite's helper (a port
 * free for UDP and TCP below the ephemeral range, ready once every zone is loaded); then, with
 * `dig`, wait (bounded) until it answers the SOA query.
 */
export async function startNamed(named: string, dig: string | undefined, origin: string, zoneText: string): Promise<NamedServer> {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-named-'));
  writeFileSync(join(dir, 'db.zone'), zoneText);
  const started = await startNamedDaemon({ named, dir, zones: () => `zone "${origin}" { type primary; file "${dir}/db.zone"; };` });
  if ('failure' in started) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`named did not start: ${started.failure.trim().split('\n').slice(-3).join(' | ')}`);
  }
  const stop = async () => {
    await started.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; dig && i < 50; i++) {
    const r = await timed(dig, [`@${NAMED_ADDRESS}`, '-p', String(started.port), origin, 'SOA', '+short', '+time=1', '+tries=1'], { capture: true, timeoutMs: 5000 });
    if (r.stdout.includes('hostmaster')) return { address: NAMED_ADDRESS, port: started.port, dir, stop };
    await sleep(100);
  }
  if (!dig) return { address: NAMED_ADDRESS, port: started.port, dir, stop };
  await stop();
  throw new Error(`named started but did not answer the ${origin} SOA query`);
}
