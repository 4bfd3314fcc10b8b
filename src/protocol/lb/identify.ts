/**
 * Telling which backend answered. Every answer gives a marker per candidate method (the values
 * of the usual backend headers, a hash of the body, or a TCP banner), never more: not the other
 * headers, not the body; the method is chosen once all answers are in: the one the user named,
 * else the first of X-Backend, X-Served-By, X-Server, Server, body hash that tells the backends
 * apart.
 */
import { createHash, hash } from 'node:crypto';
import { NetlabError } from '../../errors.js';

/** How answers are told apart: `auto` (the first method that tells the backends apart), a header, a body hash, a banner. */
export type IdentifySpec =
  | { kind: 'auto' }
  | { kind: 'header'; name: string }
  | { kind: 'body' }
  | { kind: 'banner' };

/** The headers tried, in order, when no method is named (lower case, as Node gives them). */
export const AUTO_HEADERS = ['x-backend', 'x-served-by', 'x-server', 'server'] as const;

/** Method ids as they appear in markers and results: `header:x-backend`, `body`, `banner`. */
export type MethodId = string;

/** `header:NAME`, `body`, `banner` or `auto` (or nothing) -> spec. Throws NetlabError USAGE naming `what`. */
export function parseIdentify(value: string | undefined, what: string): IdentifySpec {
  if (value === undefined || value === 'auto') return { kind: 'auto' };
  if (value === 'body') return { kind: 'body' };
  if (value === 'banner') return { kind: 'banner' };
  const m = /^header:([!#$%&'*+.^_`|~0-9A-Za-z-]+)$/.exec(value);
  if (m) return { kind: 'header', name: m[1]!.toLowerCase() };
  throw new NetlabError('USAGE', `${what} '${value}' is not header:NAME, body or banner`);
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

/** How a method reads in a sentence: `header X-Backend`, `a hash of the body`. */
export function describeMethod(m: MethodId): string {
  if (m === 'body') return 'a hash of the body';
  if (m === 'banner') return 'the banner (first line)';
  const name = m.slice('header:'.length);
  return `header ${name.replace(/(^|-)([a-z])/g, (_s, dash: string, c: string) => dash + c.toUpperCase())}`;
}

/** The longest body read for hashing; a backend page beyond this is hashed on its first 64 KiB. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Bodies up to this many bytes have their marker remembered (a backend's page comes again and again). */
const SMALL_BODY = 256;
/** Small body (latin1) -> its marker; at most MAX_REMEMBERED, then started afresh. */
const smallBodies = new Map<string, string>();
const MAX_REMEMBERED = 1024;

/** A short, stable marker for a body: `sha256:` and 12 hex digits. */
export function bodyMarker(body: Buffer): string {
  if (body.length > SMALL_BODY) return hashMarker(body);
  // a small body is looked up, not hashed again (this runs for every answer through the VIP)
  const key = body.toString('latin1');
  let marker = smallBodies.get(key);
  if (marker === undefined) {
    if (smallBodies.size >= MAX_REMEMBERED) smallBodies.clear();
    marker = hashMarker(body);
    smallBodies.set(key, marker);
  }
  return marker;
}

function hashMarker(body: Buffer): string {
  // the one-shot hash: no Hash object per probe
  return `sha256:${hash('sha256', body, 'hex').slice(0, 12)}`;
}

/**
 * The longest marker kept, in characters (a header value; a banner line is cut to this many
 * bytes as it is read). A longer header value is kept as its first 1,000 characters and a hash
 * of the whole, so that two long values still differ and no marker holds more than this.
 */
export const MAX_MARKER_CHARS = 1024;

/** `value` when it is at most MAX_MARKER_CHARS long, else its head and a hash of the whole. */
export function boundMarker(value: string): string {
  if (value.length <= MAX_MARKER_CHARS) return value;
  const hash = createHash('sha256').update(value).digest('hex').slice(0, 12);
  return `${value.slice(0, MAX_MARKER_CHARS - 24)}... sha256:${hash}`;
}

export { printable } from '../../util/printable.js';

/** The first line of a body or banner, trimmed and cut to 60 characters (for people, not matching). */
export function firstLine(data: Buffer | string): string {
  const text = typeof data === 'string' ? data : data.toString('latin1', 0, 512);
  // line by line without the list of lines (this runs for every answer); a CR before the LF
  // goes with the trimming
  let t = '';
  for (let from = 0; from <= text.length;) {
    const lf = text.indexOf('\n', from);
    const end = lf < 0 ? text.length : lf;
    t = text.slice(from, end).trim();
    if (t !== '' || lf < 0) break;
    from = lf + 1;
  }
  return t.length > 60 ? `${t.slice(0, 57)}...` : t;
}

/** `header:NAME` -> NAME (each method's once, not once per answer); undefined for another method. */
const headerNames = new Map<MethodId, string | undefined>();
function headerOf(m: MethodId): string | undefined {
  if (headerNames.has(m)) return headerNames.get(m);
  const name = m.startsWith('header:') ? m.slice('header:'.length) : undefined;
  if (headerNames.size < 64) headerNames.set(m, name);
  return name;
}

/**
 * Markers of one HTTP answer, for the candidate `methods` only (a thousand other headers are
 * not kept), each at most MAX_MARKER_CHARS long. `headers` has lower-case names, as the
 * parser (src/protocol/http/h1-parser.ts) gives them.
 */
export function httpMarkers(headers: Record<string, string | string[] | undefined>, body: Buffer, methods: readonly MethodId[]): Record<MethodId, string> {
  const out: Record<MethodId, string> = {};
  for (const m of methods) {
    if (m === 'body') {
      out.body = bodyMarker(body);
      continue;
    }
    const name = headerOf(m);
    if (name === undefined) continue;
    const v = headers[name];
    if (v === undefined) continue;
    const value = (Array.isArray(v) ? v.join(', ') : v).trim();
    if (value !== '') out[m] = boundMarker(value);
  }
  return out;
}

/**
 * What the answers through the VIP say about each method: how many carry a marker for it, and
 * how many different markers (Infinity: more than were kept). Answers counted are those that
 * are up (not failed, not 5xx).
 */
export interface MarkerSummary {
  answers: number;
  present: Record<MethodId, number>;
  distinct: Record<MethodId, number>;
}

/** The summary of a list of answers' markers (for the direct probes, and for tests). */
export function summarizeMarkers(list: Array<Record<MethodId, string>>): MarkerSummary {
  const present: Record<MethodId, number> = {};
  const values = new Map<MethodId, Set<string>>();
  for (const markers of list) {
    for (const [m, v] of Object.entries(markers)) {
      present[m] = (present[m] ?? 0) + 1;
      if (!values.has(m)) values.set(m, new Set());
      values.get(m)!.add(v);
    }
  }
  return { answers: list.length, present, distinct: Object.fromEntries([...values].map(([m, s]) => [m, s.size])) };
}

/** The method chosen (null: none tells the backends apart), every one looked at, and why. */
export interface MethodChoice {
  method: MethodId | null;
  /** Every method looked at, in order. */
  tried: MethodId[];
  /** Why this one (or none). */
  reason: string;
}

/**
 * Choose the identification method. `direct` holds, per healthy backend given by the user, the
 * markers of its direct answers; `viaVip` what the answers through the VIP carried (a list of
 * their markers, or its summary).
 * With backends: the first method whose markers are present for every healthy backend and
 * different between them. Without: the first method present in at least half of the answers,
 * passing over one that gives a single value everywhere (a `Server: nginx` on every backend)
 * when a later one tells a few backends apart.
 */
export function chooseMethod(candidates: MethodId[], direct: Array<Record<MethodId, string>>, viaVip: MarkerSummary | Array<Record<MethodId, string>>): MethodChoice {
  const tried = candidates;
  const vip = Array.isArray(viaVip) ? summarizeMarkers(viaVip) : viaVip;
  const present = (m: MethodId) => vip.present[m] ?? 0;
  if (candidates.length === 1) {
    const m = candidates[0]!;
    const seen = present(m) > 0 || direct.some((x) => x[m] !== undefined);
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
  const n = vip.answers;
  const covering = candidates.filter((m) => n > 0 && present(m) * 2 >= n);
  const distinct = (m: MethodId) => vip.distinct[m] ?? 0;
  const informative = covering.find((m) => distinct(m) >= 2 && distinct(m) <= Math.max(2, Math.ceil(n / 4)));
  for (const m of covering) {
    if (distinct(m) === 1 && informative !== undefined) continue;
    if (distinct(m) > Math.max(2, Math.ceil(n / 4)) && m === 'body') continue; // a body that changes every time
    return { method: m, tried, reason: `present in ${present(m)} of ${n} answers through the VIP` };
  }
  return { method: null, tried, reason: 'no method gives a marker that tells backends apart' };
}
