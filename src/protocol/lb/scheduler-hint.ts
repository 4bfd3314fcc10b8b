/**
 * What the balancer's scheduler looks like, from the order in which backends answered: a
 * hint, never a proof (other clients share the balancer, concurrent probes reorder, and least
 * connections with one probe at a time looks like weighted round robin).
 *
 *   round-robin                    a cycle with every backend once (LVS rr, nginx with equal weights)
 *   smooth-weighted-round-robin    a cycle with the heavy backends interleaved (nginx's smooth
 *                                  WRR, ngx_http_upstream_round_robin.c get_peer; HAProxy roundrobin)
 *   weighted-round-robin-bursts    a cycle with a heavy backend's turns in a row (LVS ip_vs_wrr.c)
 *   random                         no cycle, and as many repeats as independent draws give
 *   interleaved / bursty           no cycle; fewer (more) repeats than random draws
 *   single-backend                 every answer from one backend (a hash of one source, or one left)
 */

/** What the scheduler looks like from the order of answers (see the module comment). */
export type SchedulerKind =
  | 'round-robin'
  | 'smooth-weighted-round-robin'
  | 'weighted-round-robin-bursts'
  | 'random'
  | 'interleaved'
  | 'bursty'
  | 'single-backend'
  | 'too-few';

/** The scheduler hint: its kind, a sentence, and the cycle or repeats it was read from. */
export interface SchedulerHint {
  kind: SchedulerKind;
  /** One sentence for people. */
  description: string;
  /** Length of the repeating cycle, when there is one. */
  period: number | null;
  /** One turn of the cycle, as backend labels, starting where the probes started. */
  cycle: string[] | null;
  /** Turns per backend in one cycle (the weights the balancer seems to use). */
  cycleCounts: Record<string, number> | null;
  /** Consecutive answers from the same backend, and how many independent draws would give. */
  repeats: { observed: number; expectedIfRandom: number; z: number } | null;
  /** Answers the hint was made from. */
  answers: number;
}

/** Fewer answers than this give no hint. */
export const MIN_ANSWERS_FOR_HINT = 10;
/**
 * A cycle may disagree with this share of the comparisons (other traffic, reordering): one
 * stray answer costs two (with the turn before and the turn after).
 */
const CYCLE_TOLERANCE = 0.05;
const MAX_PERIOD = 2048;

/** nginx's smooth weighted round robin: `counts.reduce(+)` picks as indexes. */
export function smoothWrrOrder(weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const current = weights.map(() => 0);
  const out: number[] = [];
  for (let n = 0; n < total; n++) {
    let best = -1;
    for (let i = 0; i < weights.length; i++) {
      current[i]! += weights[i]!;
      if (best < 0 || current[i]! > current[best]!) best = i;
    }
    current[best]! -= total;
    out.push(best);
  }
  return out;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** LVS's classic weighted round robin (ip_vs_wrr.c): one full turn of the weights as indexes. */
export function lvsWrrOrder(weights: number[]): number[] {
  const g = weights.reduce(gcd, 0);
  const max = Math.max(...weights);
  const total = weights.reduce((a, b) => a + b, 0) / g;
  const out: number[] = [];
  let i = -1;
  let cw = 0;
  for (let guard = 0; out.length < total && guard < total * weights.length * (max / g + 1) + 10; guard++) {
    i = (i + 1) % weights.length;
    if (i === 0) {
      cw -= g;
      if (cw <= 0) cw = max;
    }
    if (weights[i]! >= cw) out.push(i);
  }
  return out;
}

/** Is `cycle` a rotation of `order` under some one-to-one renaming of labels? */
function sameShape(cycle: string[], order: number[]): boolean {
  if (cycle.length !== order.length) return false;
  const n = cycle.length;
  for (let r = 0; r < n; r++) {
    const toIndex = new Map<string, number>();
    const toLabel = new Map<number, string>();
    let ok = true;
    for (let j = 0; j < n && ok; j++) {
      const label = cycle[(j + r) % n]!;
      const idx = order[j]!;
      const a = toIndex.get(label);
      const b = toLabel.get(idx);
      if (a === undefined && b === undefined) {
        toIndex.set(label, idx);
        toLabel.set(idx, label);
      } else if (a !== idx || b !== label) {
        ok = false;
      }
    }
    if (ok) return true;
  }
  return false;
}

/** The smallest period with at most CYCLE_TOLERANCE mismatches and at least two full turns. */
function findPeriod(seq: string[]): number | null {
  const n = seq.length;
  for (let p = 1; p <= Math.min(MAX_PERIOD, Math.floor(n / 2)); p++) {
    let mismatches = 0;
    const allowed = Math.floor(CYCLE_TOLERANCE * (n - p));
    for (let i = p; i < n && mismatches <= allowed; i++) if (seq[i] !== seq[i - p]) mismatches++;
    if (mismatches <= allowed) return p;
  }
  return null;
}

/** Longest run of `label` in the cycle read circularly. */
function circularRun(cycle: string[], label: string): number {
  const n = cycle.length;
  if (cycle.every((c) => c === label)) return n;
  let best = 0;
  let run = 0;
  for (let j = 0; j < 2 * n; j++) {
    run = cycle[j % n] === label ? run + 1 : 0;
    best = Math.max(best, run);
  }
  return best;
}

/**
 * A hint from `sequence` (backend labels in the order the probes were sent; null for an answer
 * that could not be attributed, which is left out).
 */
export function schedulerHint(sequence: Array<string | null>): SchedulerHint {
  const seq = sequence.filter((s): s is string => s !== null);
  const n = seq.length;
  const base = { period: null, cycle: null, cycleCounts: null, repeats: null, answers: n };
  if (n < MIN_ANSWERS_FOR_HINT) {
    return { ...base, kind: 'too-few', description: `too few answers (${n}) to say how the balancer schedules; ${MIN_ANSWERS_FOR_HINT} or more are needed` };
  }
  const labels = [...new Set(seq)];
  if (labels.length === 1) {
    return { ...base, kind: 'single-backend', description: `every answer came from one backend (${labels[0]}): a hash of the source address, persistence, or only one backend in service` };
  }
  const p = findPeriod(seq);
  // the cycle is read at the end, after any start-up turns; it must contain every backend seen
  if (p !== null) {
    // majority label per position of the cycle, aligned with the first probe
    const cycle: string[] = [];
    for (let j = 0; j < p; j++) {
      const votes = new Map<string, number>();
      for (let i = j; i < n; i += p) votes.set(seq[i]!, (votes.get(seq[i]!) ?? 0) + 1);
      cycle.push([...votes].sort((a, b) => b[1] - a[1])[0]![0]);
    }
    const counts: Record<string, number> = {};
    for (const c of cycle) counts[c] = (counts[c] ?? 0) + 1;
    if (labels.every((l) => counts[l] !== undefined)) {
      const found = { ...base, period: p, cycle, cycleCounts: counts };
      const inCycle = Object.keys(counts);
      if (inCycle.every((l) => counts[l] === 1)) {
        return { ...found, kind: 'round-robin', description: `a strict round-robin cycle: each of the ${p} backends once per turn` };
      }
      const weights = (order: string[]) => order.map((l) => counts[l]!);
      const firstSeen = inCycle;
      const heavyFirst = [...inCycle].sort((a, b) => counts[b]! - counts[a]!);
      const ratio = inCycle.map((l) => counts[l]).join(':');
      if ([firstSeen, heavyFirst].some((o) => sameShape(cycle, smoothWrrOrder(weights(o))))) {
        return { ...found, kind: 'smooth-weighted-round-robin', description: `smooth weighted round robin (nginx's order; HAProxy's roundrobin is alike): a cycle of ${p} with the turns ${ratio} interleaved` };
      }
      if ([firstSeen, heavyFirst].some((o) => sameShape(cycle, lvsWrrOrder(weights(o))))) {
        return { ...found, kind: 'weighted-round-robin-bursts', description: `weighted round robin in bursts (LVS wrr's order): a cycle of ${p} with the turns ${ratio}, a heavy backend's turns in a row` };
      }
      // neither exact order: judge by how long a backend's turns run together
      const smooth = inCycle.every((l) => {
        const c = counts[l]!;
        const shortest = c > p - c ? Math.ceil(c / Math.max(1, p - c)) : 1;
        return circularRun(cycle, l) <= shortest;
      });
      return smooth
        ? { ...found, kind: 'smooth-weighted-round-robin', description: `weighted round robin, interleaved (as nginx's and HAProxy's): a cycle of ${p} with the turns ${ratio}` }
        : { ...found, kind: 'weighted-round-robin-bursts', description: `weighted round robin in bursts (as LVS wrr): a cycle of ${p} with the turns ${ratio}, a backend's turns together` };
    }
  }
  // no cycle: compare the repeats with independent draws at the observed shares
  const share = new Map<string, number>();
  for (const s of seq) share.set(s, (share.get(s) ?? 0) + 1 / n);
  const q2 = [...share.values()].reduce((a, x) => a + x * x, 0);
  const q3 = [...share.values()].reduce((a, x) => a + x * x * x, 0);
  let observed = 0;
  for (let i = 1; i < n; i++) if (seq[i] === seq[i - 1]) observed++;
  const expected = (n - 1) * q2;
  // repeat indicators are 1-dependent: Var = sum Var + 2 sum Cov(adjacent)
  const variance = (n - 1) * q2 * (1 - q2) + 2 * Math.max(0, n - 2) * (q3 - q2 * q2);
  const z = variance > 0 ? (observed - expected) / Math.sqrt(variance) : 0;
  const repeats = { observed, expectedIfRandom: expected, z };
  if (Math.abs(z) <= 3) {
    return { ...base, repeats, kind: 'random', description: `random: no cycle, and ${observed} repeats where independent draws give about ${expected.toFixed(1)}` };
  }
  if (z < 0) {
    return { ...base, repeats, kind: 'interleaved', description: `interleaved but not a fixed cycle (least connections, or round robin shared with other traffic): ${observed} repeats where random draws give about ${expected.toFixed(1)}` };
  }
  return { ...base, repeats, kind: 'bursty', description: `bursty: ${observed} repeats where random draws give about ${expected.toFixed(1)} (persistence, or connection reuse in front of the balancer)` };
}
