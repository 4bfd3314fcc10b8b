/**
 * Steps 3 and 4 of a probe of a load balancer: choose how answers are told apart, then attribute
 * each answer through the VIP to a backend: by the backends' own markers, by a marker naming a
 * backend's address, by elimination, or (no backends given) by discovering one backend per
 * marker. Answers that match no backend are counted as unattributed, never dropped. Pure.
 */
import { formatHostPort, type HostPort } from './addresses.js';
import { answerIsUp, type Direct } from './direct.js';
import { chooseMethod, describeMethod, type MarkerSummary, type MethodChoice, type MethodId } from './identify.js';
import { AnswerLog, MAX_DISTINCT_MARKERS, NO_MARKER, OTHER_MARKER } from './tally.js';
import type { LbBackend, LbNote } from './types.js';

/** Bucket of the answers whose marker was beyond the ones kept. */
const OTHER_MARKERS_KEY = `(more than ${MAX_DISTINCT_MARKERS} distinct markers)`;
/** Bucket of the answers without a marker under the method chosen. */
export const NO_MARKER_KEY = '(no marker)';

/** Who answered what: the backends with their counts, and the answers no backend claims. */
export interface Attribution {
  choice: MethodChoice;
  /** The backends given (in their order), or those found through the VIP. */
  backends: LbBackend[];
  /** No backends were given: they were found from the markers. */
  discovered: boolean;
  /** Indexes of the counted probes through the VIP, in the order they were started. */
  order: number[];
  /** Backend index of answer i; -1 when it failed or matches no backend. */
  backendOf(i: number): number;
  /** Answers attributed to a backend. */
  attributed: number;
  /** Answers (not failed) attributed to none. */
  unattributed: number;
  /** The unattributed answers by marker, with the first snippet and HTTP status seen with it. */
  unknownMarkers: Map<string, { count: number; snippet: string; statusCode: number | null }>;
  /** Markers two or more healthy backends share: their answers cannot be told apart. */
  ambiguous: Array<{ marker: string; backends: number[] }>;
  notes: LbNote[];
}

function shortLabel(marker: string | null, fallback: string): string {
  if (marker && marker.length <= 24 && !marker.startsWith('sha256:')) return marker;
  return fallback;
}

/** Does `text` name `address` as a whole (127.56.0.1 is not in 127.56.0.10, nor :80 in :8080)? */
export function mentions(text: string, address: string): boolean {
  const escaped = address.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\d.])${escaped}($|[^\\d])`).test(text);
}

/** What the answers through the VIP say about each candidate method (answers up only). */
function summarize(log: AnswerLog, order: readonly number[], isUp: (i: number) => boolean): MarkerSummary {
  const summary: MarkerSummary = { answers: 0, present: {}, distinct: {} };
  for (const m of log.methods) {
    const ids = log.markerIds[m]!;
    const seen = new Set<number>();
    let present = 0;
    for (const i of order) {
      if (!isUp(i) || ids[i] === NO_MARKER) continue;
      present++;
      seen.add(ids[i]!);
    }
    summary.present[m] = present;
    summary.distinct[m] = seen.has(OTHER_MARKER) ? Infinity : seen.size;
  }
  summary.answers = order.filter(isUp).length;
  return summary;
}

/** The backends given, from their direct probes, with their marker under `method`. */
function givenBackends(given: readonly HostPort[], directs: readonly Direct[], method: MethodId | null, weights: readonly number[] | null, notes: LbNote[]): LbBackend[] {
  return given.map((b, i) => {
    const address = formatHostPort(b);
    const d = directs[i]!;
    const marker = method ? d.markers[method] ?? null : null;
    const firstFail = d.answers.find((a) => !answerIsUp(a));
    const firstUp = d.answers.find(answerIsUp);
    if (d.healthy === null) notes.push({ code: 'HEALTH_NOT_KNOWN', subject: address, message: `backend ${address} was not probed directly before the run was stopped: its health is not known` });
    return {
      address,
      marker,
      label: shortLabel(marker, address),
      snippet: firstUp?.snippet ?? null,
      healthy: d.healthy,
      latencyMs: d.latencyMs,
      directStatus: (firstUp ?? firstFail)?.statusCode ?? null,
      directError: d.healthy !== false ? null : firstFail?.error ?? (firstFail?.statusCode ? `HTTP ${firstFail.statusCode}` : 'no answer'),
      weight: weights ? weights[i]! : null,
      count: 0,
      share: 0,
      expectedShare: null,
      sources: null,
      byElimination: false,
    };
  });
}

/**
 * Choose the method and attribute every answer in `log` to one of the backends `given` (probed
 * directly: `directs`, in the same order), or to backends found from the markers when none is
 * given. Pure.
 */
export function attribute(given: readonly HostPort[], weights: readonly number[] | null, directs: readonly Direct[], log: AnswerLog): Attribution {
  const notes: LbNote[] = [];
  const order = log.indexes();
  const isUp = (i: number) => log.ok(i) && (log.status(i) === null || log.status(i)! < 500);

  // 3. identification: the method that tells the healthy backends apart (or the answers)
  const healthyDirect = directs.filter((d) => d.healthy === true);
  const choice = chooseMethod([...log.methods], healthyDirect.map((d) => d.markers), summarize(log, order, isUp));
  const method = choice.method;
  const table = method ? log.tables[method]! : null;
  const ids = method ? log.markerIds[method]! : null;
  /** The marker id of answer i under the method chosen (NO_MARKER when failed or none). */
  const markerIdOf = (i: number): number => (ids && log.ok(i) ? ids[i]! : NO_MARKER);

  // the given backends, keyed by their marker; a marker shared by two is ambiguous
  const backends = givenBackends(given, directs, method, weights, notes);
  const byMarker = new Map<string, number[]>();
  backends.forEach((b, i) => {
    if (b.marker !== null && b.healthy) byMarker.set(b.marker, [...(byMarker.get(b.marker) ?? []), i]);
  });
  const ambiguous = [...byMarker].filter(([, idx]) => idx.length > 1).map(([marker, idx]) => ({ marker, backends: idx }));
  for (const a of ambiguous) {
    const names = a.backends.map((i) => backends[i]!.address).join(' and ');
    notes.push({ code: 'AMBIGUOUS_IDENTITY', message: `backends ${names} give the same marker '${a.marker}' (${describeMethod(method!)}): their answers cannot be told apart` });
  }
  const discovered = given.length === 0;

  // 4. attribution: once per distinct marker, then per answer by its marker's id
  const resolveMarker = (m: string): number | undefined => {
    const idx = byMarker.get(m);
    if (idx && idx.length === 1) return idx[0];
    if (idx && idx.length > 1) return undefined;
    // a marker naming the backend's address:port, or its address when that is unique
    const full = backends.findIndex((b) => b.address !== null && mentions(m, b.address));
    if (full >= 0) return full;
    const byAddr = backends.map((b, i) => ({ b, i })).filter(({ b }) => b.address !== null && mentions(m, b.address.replace(/:\d+$/, '')));
    if (byAddr.length === 1) return byAddr[0]!.i;
    return undefined;
  };
  if (discovered && table) {
    // every marker seen on a non-5xx answer is a backend
    const known = new Set<number>();
    for (const i of order) {
      const id = markerIdOf(i);
      if (id < 0 || !isUp(i) || known.has(id)) continue;
      known.add(id);
      const m = table.values[id]!;
      backends.push({
        address: null, marker: m, label: shortLabel(m, `#${backends.length + 1}`), snippet: table.snippets[id]!, healthy: null, latencyMs: null,
        directStatus: null, directError: null, weight: null, count: 0, share: 0, expectedShare: null, sources: null, byElimination: false,
      });
    }
    backends.forEach((b, i) => byMarker.set(b.marker!, [i]));
    // a body's first word names the backend often enough ("web1 ..."): use it when it is unique
    const words = backends.map((b) => /^[\w.-]{1,16}/.exec(b.snippet ?? '')?.[0]);
    if (words.every((w) => w !== undefined) && new Set(words).size === words.length) backends.forEach((b, i) => {
      if (b.label.startsWith('#')) b.label = words[i]!;
    });
  }
  /** Per marker id, the backend it is attributed to (-1: none). */
  const backendOfId = new Int32Array(table?.size ?? 0).fill(-1);
  if (table) for (let id = 0; id < table.size; id++) backendOfId[id] = resolveMarker(table.values[id]!) ?? -1;
  // by elimination: one given backend without a known marker, one marker nobody claims
  if (!discovered && table) {
    const unclaimed = new Set<number>();
    for (const i of order) {
      const id = markerIdOf(i);
      if (id >= 0 && backendOfId[id] === -1 && isUp(i) && !(byMarker.get(table.values[id]!)?.length ?? 0)) unclaimed.add(id);
    }
    const markerless = backends.map((b, i) => ({ b, i })).filter(({ b }) => b.marker === null);
    if (unclaimed.size === 1 && markerless.length === 1) {
      const id = [...unclaimed][0]!;
      const m = table.values[id]!;
      const target = markerless[0]!;
      target.b.marker = m;
      target.b.label = shortLabel(m, target.b.address!);
      target.b.byElimination = true;
      backendOfId[id] = target.i;
    }
  }
  const backendOf = (i: number): number => {
    const id = markerIdOf(i);
    return id >= 0 ? backendOfId[id]! : -1;
  };

  // count per backend; the rest by marker, with what came with it first
  const unknownMarkers = new Map<string, { count: number; snippet: string; statusCode: number | null }>();
  let answered = 0;
  for (const i of order) {
    if (!log.ok(i)) continue;
    answered++;
    const idx = backendOf(i);
    if (idx >= 0) {
      backends[idx]!.count++;
      continue;
    }
    const id = markerIdOf(i);
    const key = id >= 0 ? table!.values[id]! : id === OTHER_MARKER ? OTHER_MARKERS_KEY : NO_MARKER_KEY;
    let u = unknownMarkers.get(key);
    if (!u) {
      const first = id >= 0 ? { snippet: table!.snippets[id]!, statusCode: table!.statusCodes[id]! }
        : id === OTHER_MARKER ? { snippet: '', statusCode: log.status(i) }
        : method ? log.unmarked[method] ?? { snippet: '', statusCode: log.status(i) } : { snippet: log.firstSnippet?.snippet ?? '', statusCode: log.firstSnippet?.statusCode ?? null };
      u = { count: 0, ...first };
      unknownMarkers.set(key, u);
    }
    u.count++;
  }
  const attributed = backends.reduce((s, b) => s + b.count, 0);
  for (const b of backends) b.share = attributed > 0 ? b.count / attributed : 0;
  return { choice, backends, discovered, order, backendOf, attributed, unattributed: answered - attributed, unknownMarkers, ambiguous, notes };
}
