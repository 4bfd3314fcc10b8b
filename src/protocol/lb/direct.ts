/**
 * Step 1 of a probe of a load balancer: every backend given, directly, for its health, its
 * latency and its own marker (so that the marker an answer through the VIP carries maps to an
 * address without being told).
 */
import { median } from '../../util/stats.js';
import { roundMs } from '../../util/round.js';
import type { HostPort } from './addresses.js';
import type { MethodId } from './identify.js';
import { probeOnce, type ProbeAnswer, type ProbeSettings } from './probe.js';

/** Direct probes per backend; it is healthy when most of them answer. */
export const DIRECT_PROBES = 3;

/** What the direct probes of one backend found. */
export interface Direct {
  answers: ProbeAnswer[];
  /** null: stopped (deadline, interrupt) before any direct probe answered. */
  healthy: boolean | null;
  /** Median latency of the answers that were up, ms; null when none was. */
  latencyMs: number | null;
  /** Markers every successful direct answer agreed on. */
  markers: Record<MethodId, string>;
  /** The run was stopped before its probes were done. */
  cut: boolean;
}

/** An answer that counts as up: answered, and not with an HTTP server error. */
export function answerIsUp(a: ProbeAnswer): boolean {
  return a.ok && (a.statusCode === null || a.statusCode < 500);
}

/** Probe one backend up to {@link DIRECT_PROBES} times, in sequence. Never throws. */
export async function probeDirect(target: HostPort, settings: ProbeSettings): Promise<Direct> {
  const answers: ProbeAnswer[] = [];
  let cut = false;
  while (answers.length < DIRECT_PROBES) {
    const a = await probeOnce(target, settings, null);
    if (a.errorCode === 'CUT') {
      cut = true;
      break;
    }
    answers.push(a);
    // all three when up (the median drops a cold first one); stop once down is decided
    const down = answers.filter((x) => !answerIsUp(x)).length;
    if (down * 2 > DIRECT_PROBES) break;
  }
  const ups = answers.filter(answerIsUp);
  const markers: Record<MethodId, string> = {};
  if (ups.length > 0) {
    for (const [k, v] of Object.entries(ups[0]!.markers)) if (ups.every((a) => a.markers[k] === v)) markers[k] = v;
  }
  // stopped before the majority was decided: an answer is health enough, a failure alone is no verdict
  const healthy = cut ? (ups.length > 0 ? true : null) : ups.length * 2 > answers.length;
  return { answers, healthy, latencyMs: ups.length > 0 ? roundMs(median(ups.map((a) => a.latencyMs))) : null, markers, cut };
}

/** Every backend at once (each one's probes in sequence), reporting each one done. Never throws. */
export async function probeBackends(backends: readonly HostPort[], settings: ProbeSettings, onDone?: (done: number, total: number) => void): Promise<Direct[]> {
  let done = 0;
  return Promise.all(backends.map(async (b) => {
    const d = await probeDirect(b, settings);
    onDone?.(++done, backends.length);
    return d;
  }));
}
