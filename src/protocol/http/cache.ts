/** Cache evidence in response headers: what CDNs and caches say about how they served it. */

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

