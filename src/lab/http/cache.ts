/**
 * The edge's cache: what may be stored (RFC 9111 3, 4.2.1) and an in-memory store bounded in
 * entries and bytes, least recently used out first. Only what the lab needs: fresh responses
 * are served, stale ones are dropped and fetched again (no revalidation), and a response with
 * Vary is not stored, since the key does not hold the request headers it would vary on.
 */
import type http from 'node:http';

/** Cache-Control directives, names lower-cased; a directive without a value maps to ''. */
export function parseCacheControl(value: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!value) return out;
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (!name) continue;
    const raw = eq < 0 ? '' : part.slice(eq + 1).trim();
    out.set(name, raw.replace(/^"(.*)"$/, '$1'));
  }
  return out;
}

/** RFC 9110 15.1: status codes a cache may store without more ado. */
const CACHEABLE_STATUS = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]);

/**
 * How long a shared cache may serve this response, in seconds, or undefined when it must not
 * store it: it needs an explicit lifetime (s-maxage first, then max-age, RFC 9111 4.2.1),
 * and no no-store, private or no-cache.
 */
export function cacheLifetimeS(status: number, headers: http.IncomingHttpHeaders): number | undefined {
  if (!CACHEABLE_STATUS.has(status)) return undefined;
  if (headers.vary !== undefined) return undefined;
  const cc = parseCacheControl(headers['cache-control']);
  if (cc.has('no-store') || cc.has('private') || cc.has('no-cache')) return undefined;
  const raw = cc.get('s-maxage') ?? cc.get('max-age');
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  const s = Number(raw);
  return s > 0 ? s : undefined;
}

export interface CachedResponse {
  status: number;
  /** Response headers as stored (hop-by-hop ones already removed), lower-case names. */
  headers: http.OutgoingHttpHeaders;
  body: Buffer;
  /** Date.now() when stored. */
  storedAtMs: number;
  /** The Age it arrived with, seconds (RFC 9111 4.2.3). */
  initialAgeS: number;
  lifetimeS: number;
}

export interface CacheLimits {
  maxEntries: number;
  maxBytes: number;
  /** Larger bodies are passed on but not stored. */
  maxObjectBytes: number;
}

/** Current age of a stored response, whole seconds (RFC 9111 4.2.3, without the clock-skew terms). */
export function currentAgeS(entry: CachedResponse, nowMs: number): number {
  return entry.initialAgeS + Math.max(0, Math.floor((nowMs - entry.storedAtMs) / 1000));
}

export class EdgeCache {
  /** Map order is recency: get() moves an entry to the end, eviction takes from the front. */
  private readonly entries = new Map<string, CachedResponse>();
  private bytes = 0;

  constructor(readonly limits: CacheLimits) {}

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  /** A fresh entry for the key, or undefined (a stale one is removed). */
  get(key: string, nowMs: number): CachedResponse | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (currentAgeS(entry, nowMs) >= entry.lifetimeS) {
      this.bytes -= entry.body.length;
      return undefined;
    }
    this.entries.set(key, entry);
    return entry;
  }

  /** Store (replacing any entry for the key), then evict down to the limits. False when too large to store. */
  set(key: string, entry: CachedResponse): boolean {
    if (entry.body.length > this.limits.maxObjectBytes || entry.body.length > this.limits.maxBytes) return false;
    this.delete(key);
    this.entries.set(key, entry);
    this.bytes += entry.body.length;
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.limits.maxEntries && this.bytes <= this.limits.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= e.body.length;
    }
    return true;
  }

  delete(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.bytes -= old.body.length;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
