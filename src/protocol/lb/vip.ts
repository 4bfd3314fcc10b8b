/**
 * Step 2 of a probe of a load balancer: the VIP, one fresh connection per probe, each answer kept
 * as numbers and interned markers (tally.ts), so that memory is bounded whatever the servers send.
 */
import { performance } from 'node:perf_hooks';
import type { HostPort } from './addresses.js';
import { answerIsUp, type Direct } from './direct.js';
import { runProbes, sourceSchedule, type ProbeSettings } from './probe.js';
import { AnswerLog, MAX_DISTINCT_MARKERS } from './tally.js';

/** What the probes through the VIP left. */
export interface VipProbes {
  log: AnswerLog;
  /** The source of each probe, by index (null: the system's choice). */
  sources: Array<string | null>;
  /** From the first probe to the last answer, ms. */
  elapsedMs: number;
}

/**
 * Send `requests` probes through `vip` (at most `concurrency` at a time, each bound to its source
 * from `sources`, round robin) and keep each answer in an AnswerLog. The backends' own markers go
 * in first, so that the cap on distinct markers never pushes them out. Never throws.
 */
export async function probeVip(
  vip: HostPort,
  settings: ProbeSettings,
  run: { requests: number; concurrency: number; sources: readonly string[]; directs: readonly Direct[]; onProgress?: (done: number, total: number) => void },
): Promise<VipProbes> {
  const log = new AnswerLog(run.requests, settings.methods, MAX_DISTINCT_MARKERS + run.directs.length);
  for (const d of run.directs) {
    const first = d.answers.find(answerIsUp);
    for (const [m, v] of Object.entries(d.markers)) log.tables[m]?.intern(v, first?.snippet ?? '', first?.statusCode ?? null);
  }
  const sources = sourceSchedule([...run.sources], run.requests);
  const startedAt = performance.now();
  await runProbes(vip, settings, {
    count: run.requests,
    concurrency: run.concurrency,
    sources,
    failFastAfter: Math.max(5, run.concurrency),
    onAnswer: (i, a) => log.record(i, a),
    onProgress: run.onProgress,
  });
  return { log, sources, elapsedMs: performance.now() - startedAt };
}
