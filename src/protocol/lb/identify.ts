/**
 * Telling which backend answered. Every answer keeps a marker per method (the values of the
 * usual backend headers, a hash of the body, or a TCP banner); the method is chosen once all
 * answers are in: the one the user named, else the first of X-Backend, X-Served-By, X-Server,
 * Server, body hash that tells the backends apart.
 */
import { createHash } from 'node:crypto';
import { NetlabError } from '../../errors.js';

export type IdentifySpec =
  | { kind: 'auto' }
  | { kind: 'header'; name: string }
  | { kind: 'body' }
  | { kind: 'banner' };

/** The headers tried, in order, when no --identify is given (lower case, as Node gives them). */
export const AUTO_HEADERS = ['x-backend', 'x-served-by', 'x-server', 'server'] as const;

/** Method ids as they appear in markers and results: `header:x-backend`, `body`, `banner`. */
export type MethodId = string;

/** `header:NAME`, `body` or `banner` -> spec. Throws USAGE naming --identify. */
export function parseIdentify(value: string | undefined): IdentifySpec {
  if (value === undefined || value === 'auto') return { kind: 'auto' };
  if (value === 'body') return { kind: 'body' };
  if (value === 'banner') return { kind: 'banner' };
  const m = /^header:([!#$%&'*+.^_`|~0-9A-Za-z-]+)$/.exec(value);
  if (m) return { kind: 'header', name: m[1]!.toLowerCase() };
  throw new NetlabError('USAGE', `--identify '${value}' is not header:NAME, body or banner`);
}

/** The methods to look at for a spec, in the order they are tried. */
export function methodsFor(spec: IdentifySpec, mode: 'http' | 'tcp'): MethodId[] {
  switch (spec.kind) {
    case 'header': return [`header:${spec.name}`];
    case 'body': return ['body'];
    case 'banner': return ['banner'];
    default: return mode === 'tcp' ? ['banner'] : [...AUTO_HEADERS.map((h) => `header:${h}`), 'body'];
  }
}

/** How a method reads in a sentence. */
export function describeMethod(m: MethodId): string {
  if (m === 'body') return 'a hash of the body';
  if (m === 'banner') return 'the banner (first line)';
  const name = m.slice('header:'.length);
  return `header ${name.replace(/(^|-)([a-z])/g, (_s, dash: string, c: string) => dash + c.toUpperCase())}`;
}

/** The longest body read for hashing; a backend page beyond this is hashed on its first 64 KiB. */
export const MAX_BODY_BYTES = 64 * 1024;

/** A short, stable marker for a body: `sha256:` and 12 hex digits. */
export function bodyMarker(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex').slice(0, 12)}`;
}

/** The first line of a body or banner, trimmed and cut to 60 characters (for people, not matching). */
export function firstLine(data: Buffer | string): string {
  const text = typeof data === 'string' ? data : data.subarray(0, 512).toString('latin1');
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const t = line.trim();
  return t.length > 60 ? `${t.slice(0, 57)}...` : t;
}

/** Markers of one HTTP answer, per method. */
export function httpMarkers(headers: Record<string, string | string[] | undefined>, body: Buffer): Record<MethodId, string> {
  const out: Record<MethodId, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const value = Array.isArray(v) ? v.join(', ') : v;
    if (value.trim() !== '') out[`header:${k.toLowerCase()}`] = value.trim();
  }
  out.body = bodyMarker(body);
  return out;
}

export interface MethodChoice {
  method: MethodId | null;
  /** Every method looked at, in order. */
  tried: MethodId[];
  /** Why this one (or none). */
  reason: string;
}

/**
 * Choose the identification method. `direct` holds, per healthy backend given by the user, the
 * markers of its direct answers; `viaVip` the markers of each answer through the VIP.
 * With backends: the first method whose markers are present for every healthy backend and
 * different between them. Without: the first method present in at least half of the answers,
 * passing over one that gives a single value everywhere (a `Server: nginx` on every backend)
 * when a later one tells a few backends apart.
 */
export function chooseMethod(candidates: MethodId[], direct: Array<Record<MethodId, string>>, viaVip: Array<Record<MethodId, string>>): MethodChoice {
  const tried = candidates;
  if (candidates.length === 1) {
    const m = candidates[0]!;
    const seen = viaVip.some((x) => x[m] !== undefined) || direct.some((x) => x[m] !== undefined);
    const why = m === 'banner' ? 'the first line a TCP server sends' : 'as asked';
    return { method: m, tried, reason: seen ? why : `${why}, but no answer carried ${describeMethod(m)}` };
  }
  if (direct.length > 0) {
    for (const m of candidates) {
      const values = direct.map((d) => d[m]);
      if (values.every((v) => v !== undefined) && new Set(values).size === values.length) {
        return { method: m, tried, reason: direct.length > 1 ? `tells the ${direct.length} healthy backends apart` : 'present on the one healthy backend' };
      }
    }
  }
  const n = viaVip.length;
  const covering = candidates.filter((m) => n > 0 && viaVip.filter((x) => x[m] !== undefined).length * 2 >= n);
  const distinct = (m: MethodId) => new Set(viaVip.map((x) => x[m]).filter((v) => v !== undefined)).size;
  const informative = covering.find((m) => distinct(m) >= 2 && distinct(m) <= Math.max(2, Math.ceil(n / 4)));
  for (const m of covering) {
    if (distinct(m) === 1 && informative !== undefined) continue;
    if (distinct(m) > Math.max(2, Math.ceil(n / 4)) && m === 'body') continue; // a body that changes every time
    return { method: m, tried, reason: `present in ${viaVip.filter((x) => x[m] !== undefined).length} of ${n} answers through the VIP` };
  }
  return { method: null, tried, reason: 'no method gives a marker that tells backends apart' };
}
