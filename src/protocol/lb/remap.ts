/**
 * The remapping lesson: which backend each source address reached (a map saved from one run),
 * and after a change (a backend failed, drained or added) which sources moved where. With a
 * hash of the source modulo the number of backends, one backend fewer moves most sources;
 * with consistent hashing only the sources of the backend that went (about its share). Pure:
 * the map comes from a report and is plain JSON; reading and writing the file is the caller's.
 */
import type { LbProbeReport } from './types.js';

/** The format of a saved map (its `format` field). */
export const SOURCE_MAP_FORMAT = 'netlab-lb-source-map/1';
/** The most sources a map may hold (the most --source-ips can give). */
export const MAX_MAP_SOURCES = 65_536;
/** Fewer sources compared than this: the verdict is not judged. */
export const MIN_REMAP_SOURCES = 20;
/** Of the sources whose backend stayed, at most this share moved: consistent hashing. */
export const CONSISTENT_AT_MOST = 0.1;
/** Of the sources whose backend stayed, at least this share moved: modulo hashing. */
export const MODULO_AT_LEAST = 0.3;

/** Which backend each source address reached: its ADDR:PORT when given, else its label (the marker). */
export interface SourceMap {
  format: typeof SOURCE_MAP_FORMAT;
  vip: string;
  /** ISO 8601. */
  savedAt: string;
  /** source address -> backend (the one most of its answers came from). */
  sources: Record<string, string>;
}

/** What moved between a saved map and this run. */
export interface LbRemap {
  /** The saved map's VIP and time. */
  vip: string;
  savedAt: string;
  /** Sources in both maps. */
  compared: number;
  moved: number;
  /** moved / compared; null when none was compared. */
  movedShare: number | null;
  /** Who moved where, the largest flows first. */
  flows: Array<{ from: string; to: string; sources: number }>;
  /** Backends that had sources before and have none now (failed, drained). */
  gone: string[];
  /** Backends that have sources now and had none before (added, restored). */
  added: string[];
  /** Share of the compared sources that were on a backend now gone: what consistent hashing moves. */
  goneShare: number | null;
  /** Sources that moved although their backend stayed (and not to a backend added): what consistent hashing would not move. */
  needlessMoves: number;
  /** needlessMoves / the compared sources whose backend stayed; null when none stayed. */
  needlessShare: number | null;
  verdict: 'unchanged' | 'consistent' | 'modulo' | 'unclear' | 'not-judged';
  /** One sentence with the numbers. */
  description: string;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/**
 * The map of a report: each source with attributed answers, to the backend most of them came
 * from (ties: the first backend in the report's order). Needs a run with several sources
 * (stickiness); empty without.
 */
export function sourceMapOf(report: LbProbeReport, savedAt = new Date()): SourceMap {
  const keyOf = new Map(report.backends.map((b) => [b.label, b.address ?? b.label]));
  const order = report.backends.map((b) => b.label);
  const sources: Record<string, string> = {};
  for (const s of report.stickiness?.perSource ?? []) {
    let best: string | null = null;
    for (const label of order) {
      const n = s.backends[label] ?? 0;
      if (n > 0 && (best === null || n > (s.backends[best] ?? 0))) best = label;
    }
    if (best !== null) sources[s.address] = keyOf.get(best) ?? best;
  }
  return { format: SOURCE_MAP_FORMAT, vip: report.vip, savedAt: savedAt.toISOString(), sources };
}

/**
 * A saved map read back (JSON.parse'd): checked field by field. Returns the map, or a few words
 * on what is wrong (the caller names the file).
 */
export function checkSourceMap(data: unknown): SourceMap | string {
  const o = data as Partial<SourceMap> | null;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return 'not a JSON object';
  if (o.format !== SOURCE_MAP_FORMAT) return `not a source map (its "format" is not "${SOURCE_MAP_FORMAT}")`;
  if (typeof o.vip !== 'string' || typeof o.savedAt !== 'string') return 'no "vip" or "savedAt" string';
  if (typeof o.sources !== 'object' || o.sources === null || Array.isArray(o.sources)) return 'no "sources" object';
  const entries = Object.entries(o.sources);
  if (entries.length > MAX_MAP_SOURCES) return `more than ${MAX_MAP_SOURCES} sources`;
  for (const [k, v] of entries) if (typeof v !== 'string' || k === '' || v === '') return `source '${k.slice(0, 40)}' has no backend string`;
  return { format: SOURCE_MAP_FORMAT, vip: o.vip, savedAt: o.savedAt, sources: { ...o.sources } };
}

/** What moved from `before` to `after` (two maps of the same sources, before and after a change). */
export function compareSourceMaps(before: SourceMap, after: SourceMap): LbRemap {
  const beforeBackends = new Set(Object.values(before.sources));
  const afterBackends = new Set(Object.values(after.sources));
  const gone = [...beforeBackends].filter((b) => !afterBackends.has(b)).sort();
  const added = [...afterBackends].filter((b) => !beforeBackends.has(b)).sort();
  const flows = new Map<string, { from: string; to: string; sources: number }>();
  let compared = 0;
  let moved = 0;
  let onGone = 0;
  let needless = 0;
  for (const [source, was] of Object.entries(before.sources)) {
    const now = after.sources[source];
    if (now === undefined) continue;
    compared++;
    const wasGone = !afterBackends.has(was);
    if (wasGone) onGone++;
    if (now === was) continue;
    moved++;
    if (!wasGone && beforeBackends.has(now)) needless++;
    const key = `${was}\n${now}`;
    const f = flows.get(key);
    if (f) f.sources++;
    else flows.set(key, { from: was, to: now, sources: 1 });
  }
  const stayed = compared - onGone;
  const needlessShare = stayed > 0 ? needless / stayed : null;
  const movedShare = compared > 0 ? moved / compared : null;
  const goneShare = compared > 0 ? onGone / compared : null;
  let verdict: LbRemap['verdict'];
  let description: string;
  const went = gone.length > 0 ? `${gone.join(', ')} had ${pct(goneShare ?? 0)} of them` : 'no backend went away';
  if (compared < MIN_REMAP_SOURCES) {
    verdict = 'not-judged';
    description = `${compared} sources in both maps, fewer than the ${MIN_REMAP_SOURCES} a verdict needs`;
  } else if (moved === 0) {
    verdict = 'unchanged';
    description = `no source of ${compared} moved`;
  } else {
    const head = `${moved} of ${compared} sources (${pct(movedShare!)}) moved; ${went}`;
    const tail = needlessShare === null ? '' : `; ${needless} of the ${stayed} sources whose backend stayed moved (${pct(needlessShare)})`;
    if (needlessShare !== null && needlessShare <= CONSISTENT_AT_MOST) {
      verdict = 'consistent';
      description = `${head}${tail}: looks like consistent hashing (only the sources of the backend that changed moved)`;
    } else if (needlessShare !== null && needlessShare >= MODULO_AT_LEAST) {
      verdict = 'modulo';
      description = `${head}${tail}: looks like modulo hashing (a change of the backend count remaps most sources)`;
    } else {
      verdict = 'unclear';
      description = `${head}${tail}: neither modulo nor consistent hashing clearly`;
    }
  }
  return {
    vip: before.vip,
    savedAt: before.savedAt,
    compared,
    moved,
    movedShare,
    flows: [...flows.values()].sort((a, b) => b.sources - a.sources || a.from.localeCompare(b.from) || a.to.localeCompare(b.to)),
    gone,
    added,
    goneShare,
    needlessMoves: needless,
    needlessShare,
    verdict,
    description,
  };
}
