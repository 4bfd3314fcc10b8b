/**
 * issue 16: the demo's remapping lesson, self-contained: one backend fails behind the lab's
 * modulo-hash VIP and behind its consistent-hash VIP (the lab API takes it out of service, as a
 * health check would), lb-probe's --save-map / --compare-map measure what moved, and the step
 * shows the comparison in a few lines. Runs through the library in process.
 */
import type { Status } from '../../errors.js';
import type { Lab } from '../../lab/index.js';
import { parseSourceRange, pickSources } from '../../protocol/lb/addresses.js';
import { probeLoadBalancer } from '../../protocol/lb/engine.js';
import { sourceMapOf, type LbRemap } from '../../protocol/lb/remap.js';
import type { DemoStep } from './run.js';

const RANGE = '127.58.1.1-127.58.1.100';
const REQUESTS = 200;

function pct(x: number | null): string {
  return x === null ? '-' : `${(100 * x).toFixed(0)}%`;
}

/** The step: both VIPs, before and after web3 fails; OK when each hashing is recognised as what it is. */
export async function lbRemapStep(lab: Lab, signal?: AbortSignal): Promise<DemoStep> {
  const sources = pickSources(parseSourceRange(RANGE, 'the demo'), REQUESTS / 2);
  const remaps: Record<string, LbRemap> = {};
  for (const name of ['hash-mod', 'hash-consistent']) {
    const vip = { address: lab.lb.vip(name).address, port: lab.lb.httpPort };
    const settings = { vip, sources, sourceRange: RANGE, requests: REQUESTS, concurrency: 8, ...(signal ? { signal } : {}) };
    const before = sourceMapOf(await probeLoadBalancer(settings));
    lab.lb.setOutOfService(name, 'web3', true);
    try {
      remaps[name] = (await probeLoadBalancer({ ...settings, compareMap: before })).remap!;
    } finally {
      lab.lb.setOutOfService(name, 'web3', false);
    }
  }
  const mod = remaps['hash-mod']!;
  const ch = remaps['hash-consistent']!;
  const lines = [
    `hash-mod (source hash modulo the backends in service, as HAProxy map-based):`,
    `  ${mod.description}`,
    `hash-consistent (consistent hash, as HAProxy hash-type consistent):`,
    `  ${ch.description}`,
    `The lesson: web3 had ${pct(mod.goneShare)} / ${pct(ch.goneShare)} of the sources; modulo hashing moved ${pct(mod.movedShare)} of all sources, consistent hashing ${pct(ch.movedShare)}: only web3's.`,
  ];
  const status: Status = mod.verdict === 'modulo' && ch.verdict === 'consistent' ? 'OK' : 'WARNING';
  const v = lab.lb.vip('hash-mod');
  return {
    title: 'Load balancing: what one failed backend remaps, with modulo hashing and with consistent hashing (--save-map, then --compare-map)',
    command: `netlab lb-probe ${v.address}:${lab.lb.httpPort} --source-ips ${RANGE} --requests ${REQUESTS} --save-map before.json; web3 fails; ... --compare-map before.json (and the same on hash-consistent ${lab.lb.vip('hash-consistent').address})`,
    expected: 'OK',
    status,
    output: `${lines.join('\n')}\n`,
  };
}
