/**
 * Statistics for lb-probe: the chi-square goodness-of-fit test of observed counts against the
 * shares the weights promise, with its p-value from the regularized upper incomplete gamma
 * function Q(a, x) (chi-square survival function: P[X >= x] = Q(df/2, x/2)).
 *
 * Written here rather than taken from npm: the well-kept implementation (@stdlib's gammainc)
 * comes with some hundred micro-packages and a native-addon manifest for one function; jstat
 * has no types and no release in years. The method is the textbook one (Numerical Recipes 3rd
 * ed. 6.2: series for x < a + 1, Lentz's continued fraction otherwise; Lanczos ln Gamma, g = 7),
 * checked against scipy/mpmath values in test/unit/lb-stats.test.ts.
 */

/** Lanczos coefficients for g = 7, n = 9 (Godfrey), good to about 1e-15 for real arguments. */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Gamma(z) for z > 0. Throws RangeError for z <= 0 or NaN. */
export function lnGamma(z: number): number {
  if (!(z > 0)) throw new RangeError(`lnGamma needs z > 0, got ${z}`);
  // reflection keeps the series accurate below 0.5: Gamma(z) Gamma(1 - z) = pi / sin(pi z)
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - lnGamma(1 - z);
  const x = z - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (x + i);
  const t = x + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(sum);
}

const EPS = 1e-15;
const TINY = 1e-300;
/** Both expansions converge in O(sqrt(a)) terms; this bound is far above what a <= 1e6 needs. */
const MAX_ITERATIONS = 100_000;

/** P(a, x) by its power series; converges fast for x < a + 1. */
function lowerSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < MAX_ITERATIONS; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPS) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - lnGamma(a));
}

/** Q(a, x) by its continued fraction (modified Lentz); converges fast for x >= a + 1. */
function upperFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return Math.exp(-x + a * Math.log(x) - lnGamma(a)) * h;
}

/** Regularized upper incomplete gamma Q(a, x) = Gamma(a, x) / Gamma(a), for a > 0, x >= 0. Throws RangeError otherwise. */
export function gammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) throw new RangeError(`gammaQ needs a > 0 and x >= 0, got a=${a}, x=${x}`);
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  if (x < a + 1) return Math.min(1, Math.max(0, 1 - lowerSeries(a, x)));
  return Math.min(1, Math.max(0, upperFraction(a, x)));
}

/** P[X >= x] for X chi-square distributed with df degrees of freedom (df > 0). */
export function chiSquarePValue(x: number, df: number): number {
  return gammaQ(df / 2, x / 2);
}

/** Below this expected count the chi-square approximation is not trusted (Cochran's rule). */
export const MIN_EXPECTED = 5;

/** The result of {@link goodnessOfFit}. */
export interface GoodnessOfFit {
  /** Sum over categories of (observed - expected)^2 / expected; null when not judged. */
  chiSquare: number | null;
  /** Categories with an expected share above 0, minus one. */
  df: number;
  pValue: number | null;
  /** p >= alpha; null when not judged. */
  matches: boolean | null;
  /** The smallest expected count among the categories with a share above 0. */
  minExpected: number;
  /** How many observations would make every expected count at least MIN_EXPECTED. */
  needed: number;
  /** False when an expected count is under MIN_EXPECTED, or nothing was observed. */
  judged: boolean;
  /** Categories with an expected share of 0 that were observed anyway (an instant mismatch). */
  unexpected: number[];
}

/**
 * Chi-square goodness of fit of `observed` counts against `shares` (any non-negative numbers,
 * normalised here), at significance `alpha`. Refuses to judge (judged: false, matches: null)
 * when an expected count is under 5. Throws RangeError when the lengths differ or no share is
 * above 0.
 */
export function goodnessOfFit(observed: number[], shares: number[], alpha = 0.01): GoodnessOfFit {
  if (observed.length !== shares.length) throw new RangeError(`${observed.length} counts against ${shares.length} shares`);
  const total = shares.reduce((a, b) => a + b, 0);
  if (!(total > 0) || shares.some((s) => s < 0 || !Number.isFinite(s))) throw new RangeError('the shares must be >= 0 with at least one above 0');
  const n = observed.reduce((a, b) => a + b, 0);
  const positive = shares.map((s, i) => ({ p: s / total, o: observed[i]!, i })).filter((c) => c.p > 0);
  const unexpected = shares.flatMap((s, i) => (s === 0 && observed[i]! > 0 ? [i] : []));
  const minShare = Math.min(...positive.map((c) => c.p));
  const minExpected = n * minShare;
  const needed = Math.ceil(MIN_EXPECTED / minShare - 1e-9);
  const df = positive.length - 1;
  if (n === 0 || minExpected < MIN_EXPECTED - 1e-9) {
    return { chiSquare: null, df, pValue: null, matches: null, minExpected, needed, judged: false, unexpected };
  }
  // counts where the share is 0 are impossible under the weights: p = 0 whatever the rest says
  const m = positive.reduce((a, c) => a + c.o, 0);
  let chiSquare = 0;
  for (const c of positive) {
    const e = m * c.p;
    if (e > 0) chiSquare += ((c.o - e) * (c.o - e)) / e;
  }
  const pValue = unexpected.length > 0 ? 0 : df === 0 ? 1 : chiSquarePValue(chiSquare, df);
  return { chiSquare, df, pValue, matches: pValue >= alpha, minExpected, needed, judged: true, unexpected };
}

/** A p-value for people, with its sign: `p = 0.930`, `p = 3.2e-4`, `p < 1e-12`. */
export function formatP(p: number): string {
  if (p < 1e-12) return 'p < 1e-12';
  if (p < 0.001) return `p = ${p.toExponential(1)}`;
  return `p = ${p.toFixed(3)}`;
}
