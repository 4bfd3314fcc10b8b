/**
 * Step 7 of a probe of a load balancer: the split through the VIP against the weights, with a
 * chi-square goodness-of-fit test. Without weights the split is described, not judged (a note);
 * with too few answers for the test, or backends that cannot be told apart, it is not judged
 * either (a note), and what else was judged keeps its own status. Pure.
 */
import type { Attribution } from './attribution.js';
import { stoppedText } from './judge.js';
import { formatP, goodnessOfFit, MIN_EXPECTED } from './stats.js';
import type { StickinessVerdict } from './stickiness.js';
import type { LbDistribution, LbNote, LbProbeReport, LbProblem } from './types.js';

/** What {@link judgeDistribution} needs besides the attribution. */
export interface SplitContext {
  /** Weights were given. */
  weighted: boolean;
  inService: readonly boolean[];
  alpha: number;
  requests: number;
  /** Probes done through the VIP. */
  sent: number;
  /** Source addresses the probes were bound to (0 or 1: no stickiness). */
  sources: number;
  stickiness: StickinessVerdict | null;
  /** Every source sticks to one backend: sources are counted, not answers. */
  bySource: boolean;
  stop: { by: LbProbeReport['stoppedBy']; deadlineMs: number | null };
}

/** The distribution (null when no answer was attributed), and the problem or note it gives. */
export function judgeDistribution(a: Attribution, c: SplitContext): { distribution: LbDistribution | null; problems: LbProblem[]; notes: LbNote[] } {
  const { backends } = a;
  const problems: LbProblem[] = [];
  const notes: LbNote[] = [];
  if (a.attributed === 0) return { distribution: null, problems, notes };
  const bySource = c.bySource;
  const observed = bySource
    ? backends.map((_b, i) => c.stickiness!.stickyBackendOfSource.filter((x) => x === i).length)
    : backends.map((b) => b.count);
  const total = observed.reduce((x, y) => x + y, 0);
  const unit = bySource ? 'sources' : 'attributed answers';
  // the fields in the order of the type, for people reading the JSON
  const make = (judged: LbDistribution['notJudged'], fit: { chiSquare: number | null; df: number | null; pValue: number | null; matches: boolean | null; minExpected: number | null; needed: number | null }): LbDistribution => ({
    unit: bySource ? 'source' : 'request',
    observed: total,
    judged: judged === null,
    notJudged: judged,
    chiSquare: fit.chiSquare,
    df: fit.df,
    pValue: fit.pValue,
    alpha: c.alpha,
    matches: fit.matches,
    minExpected: fit.minExpected,
    needed: fit.needed,
  });
  const untested = { chiSquare: null, pValue: null, matches: null };
  const shares = backends.map((b) => b.expectedShare ?? 0);
  // weights that expect nothing of any backend in service: no test is possible (nor needed: nothing to say)
  if (c.weighted && !shares.some((s) => s > 0)) return { distribution: null, problems, notes };
  if (!c.weighted) {
    notes.push({ code: 'NO_WEIGHTS', message: `no weights given: the split over ${total} ${unit} is described, not judged`, counts: { observed: total } });
    return { distribution: make('no-weights', { ...untested, df: null, minExpected: null, needed: null }), problems, notes };
  }
  const fit = goodnessOfFit(observed, shares, c.alpha);
  if (a.ambiguous.length > 0) {
    // the AMBIGUOUS_IDENTITY note says why: those backends' answers went unattributed
    return { distribution: make('ambiguous', { ...fit, ...untested }), problems, notes };
  }
  if (!fit.judged) {
    const stopped = c.stop.by ? `; ${stoppedText(c.stop.by, c.stop.deadlineMs)} after ${c.sent} of the ${c.requests} probes asked for` : '';
    const requestsNeeded = bySource ? 2 * fit.needed : Math.ceil(fit.needed * (c.sent / Math.max(1, a.attributed)));
    notes.push({
      code: 'TOO_FEW_TO_JUDGE',
      message: `too few ${unit} to judge the split: the smallest expected count is ${fit.minExpected.toFixed(1)}, under ${MIN_EXPECTED} (${fit.needed} ${unit} needed)${stopped}`,
      counts: { observed: total, needed: fit.needed, minExpected: fit.minExpected, requestsNeeded, ...(bySource ? { sourcesNeeded: fit.needed } : {}) },
    });
    return { distribution: make('too-few', { ...fit, ...untested }), problems, notes };
  }
  if (fit.matches === false) {
    const observedText = observed.filter((o, i) => c.inService[i] || o > 0).join('/');
    const weights = backends.filter((_b, i) => c.inService[i]).map((b) => b.weight ?? 0).join(':');
    const answering = backends.filter((b) => b.count > 0).length;
    const one = c.sources <= 1 && answering === 1 ? '; every answer came from one backend' : '';
    problems.push({
      code: 'DISTRIBUTION_OFF',
      severity: 'WARNING',
      message: `the split ${observedText} (${unit}) is off the weights ${weights}: chi-square ${fit.chiSquare!.toFixed(2)}, ${fit.df} df, ${formatP(fit.pValue!)}, below the ${c.alpha} level${one}`,
      counts: { chiSquare: fit.chiSquare!, df: fit.df, pValue: fit.pValue!, alpha: c.alpha, backendsAnswering: answering, sources: c.sources },
    });
  }
  return { distribution: make(null, fit), problems, notes };
}
