/**
 * Milliseconds rounded to the microsecond: the precision of netlab's measured times, in results
 * as in the text (performance.now() differences carry float noise such as 2.481439000000009).
 */
export function roundMs(ms: number): number {
  return Number.isFinite(ms) ? Math.round(ms * 1000) / 1000 : ms;
}
