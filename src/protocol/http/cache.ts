/** Cache evidence in response headers: what CDNs and caches say about how they served it. */
import { median, percentile } from '../../util/stats.js';

/** The headers that tell whether a cache served the response, in the order they are shown. */
export const CACHE_HEADERS = ['x-cache', 'cf-cache-status', 'cache-status', 'age', 'via', 'x-served-by', 'server-timing', 'x-cache-hits'] as const;

/** What a response's headers say about a cache: the headers themselves and a plain verdict. */
export interface CacheEvidence {
  /** Header name (lower case) -> value, for those present. */
  headers: Record<string, string>;
  /** HIT / MISS / ... when a header says so plainly; null when nothing does. */
  verdict: 'HIT' | 'MISS' | 'OTHER' | null;
}

/** Read the cache headers of a response. Pure. */
export function cacheEvidence(headers: Record<string, string>): CacheEvidence {
  const found: Record<string, string> = {};
  for (const h of CACHE_HEADERS) {
    const v = headers[h];
    if (v !== undefined && v !== '') found[h] = v;
  }
  const words = [found['x-cache'], found['cf-cache-status'], found['cache-status']].filter(Boolean).join(' ').toUpperCase();
  let verdict: CacheEvidence['verdict'] = null;
  if (/\bHIT\b|;\s*HIT|\bhit\b/i.test(words) || /;\s*hit/i.test(found['cache-status'] ?? '')) verdict = 'HIT';
  else if (/\bMISS\b|\bEXPIRED\b|\bBYPASS\b|\bDYNAMIC\b|fwd=miss/i.test(words)) verdict = 'MISS';
  else if (words) verdict = 'OTHER';
  else if (found.age !== undefined && Number(found.age) > 0) verdict = 'HIT';
  return { headers: found, verdict };
}

/**
 * Median and 95th percentile (nearest rank), minimum and maximum of some numbers; all 0 for none.
 * Kept for the library's users: it is src/util/stats.ts's median and percentile.
 * @deprecated use `median` and `percentile` (netlab's one copy of them).
 */
export function summarise(values: number[]): { median: number; p95: number; min: number; max: number } {
  if (values.length === 0) return { median: 0, p95: 0, min: 0, max: 0 };
  return { median: median(values), p95: percentile(values, 95), min: values.reduce((a, b) => Math.min(a, b)), max: values.reduce((a, b) => Math.max(a, b)) };
}
