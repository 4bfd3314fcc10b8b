/** Cache evidence in response headers: what CDNs and caches say about how they served it. */

/** The headers that tell whether a cache served the response, in the order they are shown. */
export const CACHE_HEADERS = ['x-cache', 'cf-cache-status', 'cache-status', 'age', 'via', 'x-served-by', 'server-timing', 'x-cache-hits'] as const;

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

/** Median and 95th percentile (nearest rank) of some numbers. */
export function summarise(values: number[]): { median: number; p95: number; min: number; max: number } {
  if (values.length === 0) return { median: 0, p95: 0, min: 0, max: 0 };
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  const p95 = v[Math.min(v.length - 1, Math.ceil(0.95 * v.length) - 1)]!;
  return { median, p95, min: v[0]!, max: v[v.length - 1]! };
}
