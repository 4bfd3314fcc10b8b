/**
 * Probing a load balancer: N fresh connections through the VIP, each answer attributed to a
 * backend; every backend probed directly (health, latency, its own marker); the observed split
 * tested against the weights (chi-square); the order of answers read for a scheduler hint;
 * with several source addresses, stickiness per source. Returns plain data with a status and
 * the problems found; never prints, never exits.
 *
 * Memory is bounded whatever the servers send: each probe reads a bounded amount (probe.ts),
 * and of each answer only numbers and interned markers are kept (tally.ts). The run as a whole
 * can be bounded by a deadline, and stopped by the caller's signal: either way what was
 * measured is judged, and the report says what stopped it.
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Status } from '../../errors.js';
import { formatHostPort, sameSlash24, type HostPort } from './addresses.js';
import { chooseMethod, describeMethod, methodsFor, type IdentifySpec, type MarkerSummary, type MethodId } from './identify.js';
import { probeOnce, runProbes, sourceSchedule, type ProbeAnswer, type ProbeErrorCode, type ProbeSettings } from './probe.js';
import { schedulerHint, type SchedulerHint } from './scheduler-hint.js';
import { goodnessOfFit, median, MIN_EXPECTED } from './stats.js';
import { AnswerLog, MAX_DISTINCT_MARKERS, NO_MARKER, OTHER_MARKER } from './tally.js';

export { parseHostPort, parseSourceRange, pickSources, formatHostPort, type HostPort } from './addresses.js';
export { parseIdentify, printable, safeText, MAX_BODY_BYTES, MAX_MARKER_CHARS, type IdentifySpec } from './identify.js';
export { MAX_BANNER_BYTES, MAX_HEADER_BYTES } from './probe.js';
export { AnswerLog, MAX_DISTINCT_ERRORS, MAX_DISTINCT_MARKERS } from './tally.js';
export { MIN_EXPECTED } from './stats.js';

export interface LbProbeSettings {
  vip: HostPort;
  /** Backends as given (may be empty: then they are discovered from the answers). */
  backends: HostPort[];
  /** One per backend; null: equal. */
  weights: number[] | null;
  requests: number;
  concurrency: number;
  mode: 'http' | 'tcp';
  path: string;
  /** Host header of every HTTP probe (direct ones too). */
  host: string;
  identify: IdentifySpec;
  /** Source addresses to bind, round robin (empty: the system's choice). */
  sources: string[];
  /** Per probe, ms. */
  timeoutMs: number;
  /** Significance level of the chi-square test. */
  alpha: number;
  /**
   * The whole run (direct probes and probes through the VIP), ms; null or absent: none (the run
   * is then bounded by the probes times their timeout). When it passes, probes in flight are
   * stopped, none is started, and what was measured is judged.
   */
  deadlineMs?: number | null;
  /** Aborting it (Ctrl-C) stops the run as the deadline does; the report then has `interrupted: true` and status UNKNOWN. */
  signal?: AbortSignal;
}

export type LbEvent =
  | { phase: 'direct'; done: number; of: number }
  | { phase: 'vip'; done: number; of: number };

export type LbProblemCode =
  | 'VIP_UNREACHABLE'
  | 'VIP_NOT_HTTP'
  | 'VIP_ANSWER_TOO_LARGE'
  | 'NOT_MEASURED'
  | 'PROBES_FAILED'
  | 'SERVER_ERRORS'
  | 'BACKEND_DOWN'
  | 'DOWN_BUT_RECEIVING'
  | 'NEVER_THROUGH_VIP'
  | 'DISTRIBUTION_OFF'
  | 'TOO_FEW_TO_JUDGE'
  | 'NOT_IDENTIFIABLE'
  | 'AMBIGUOUS_IDENTITY'
  | 'UNKNOWN_BACKEND';

export interface LbProblem {
  code: LbProblemCode;
  severity: Exclude<Status, 'OK'>;
  message: string;
  /** The backend (ADDR:PORT) a problem is about, when it is about one. */
  backend?: string;
}

export interface LbBackend {
  /** ADDR:PORT as given with --backend; null for a backend seen only through the VIP. */
  address: string | null;
  /** Its marker under the identification method used; null when unknown. */
  marker: string | null;
  /** A short name for tables and cycles: the marker when short, else the address. */
  label: string;
  /** First line of its direct answer (body or banner). */
  snippet: string | null;
  /** Answered directly (2 of 3 probes, HTTP status under 500); null when not probed directly. */
  healthy: boolean | null;
  /** Median of its direct probes, ms; null when none answered. */
  latencyMs: number | null;
  directStatus: number | null;
  directError: string | null;
  weight: number | null;
  /** Answers through the VIP attributed to it. */
  count: number;
  /** count / attributed answers. */
  share: number;
  /** Its weight's share among the backends in service (healthy, or answering through the VIP). */
  expectedShare: number | null;
  /** With --source-ips: source addresses that reached it. */
  sources: number | null;
  /** Identified by elimination (the one backend without a known marker). */
  byElimination: boolean;
}

export interface LbDistribution {
  /** What was counted: answers, or (when every source sticks to one backend) sources. */
  unit: 'request' | 'source';
  observed: number;
  chiSquare: number | null;
  df: number;
  pValue: number | null;
  alpha: number;
  /** null: not judged. */
  matches: boolean | null;
  judged: boolean;
  minExpected: number;
  /** Requests (or sources) needed for every expected count to reach 5. */
  needed: number;
}

export interface LbStickiness {
  sources: number;
  /** Sources with two or more attributed answers. */
  judged: number;
  /** Of those, sources that always reached the same backend. */
  sticky: number;
  verdict: 'sticky' | 'partly-sticky' | 'not-sticky' | 'not-judged';
  perSource: Array<{ address: string; answers: number; backends: Record<string, number>; sticky: boolean }>;
  /** Per backend label, sources that reached it. */
  spread: Record<string, number>;
  note: string | null;
}

export interface LbProbeReport {
  vip: string;
  mode: 'http' | 'tcp';
  path: string | null;
  /** Probes asked for. */
  requests: number;
  /** Probes done, answered or failed (fewer than asked when the VIP answered none of the first ones, or the run was stopped). */
  sent: number;
  answered: number;
  failed: number;
  concurrency: number;
  identify: { method: MethodId | null; description: string | null; tried: MethodId[]; reason: string };
  backends: LbBackend[];
  distribution: LbDistribution | null;
  scheduler: SchedulerHint & { note: string };
  stickiness: LbStickiness | null;
  /** Answers not attributed to any backend (counted, never dropped). */
  unattributed: number;
  unattributedMarkers: Array<{ marker: string; count: number; snippet: string; statusCode: number | null }>;
  /** HTTP status codes of the answers through the VIP. */
  statusCodes: Record<string, number>;
  /** Median latency of the answers through the VIP, ms. */
  vipLatencyMs: number | null;
  /** From the first probe through the VIP to the last answer, ms. */
  vipElapsedMs: number;
  /** Probes sent through the VIP per second of vipElapsedMs. */
  probesPerSecond: number;
  errors: Array<{ message: string; count: number }>;
  /** The deadline of the run, ms; null without one. */
  deadlineMs: number | null;
  /** What stopped the run before every probe was done: the deadline, or the caller's signal; null when nothing did. */
  stoppedBy: 'deadline' | 'interrupt' | null;
  /** True when the caller's signal stopped the run (Ctrl-C): the status is then UNKNOWN. */
  interrupted?: boolean;
  /** What could not be judged and why (a note, never a problem). */
  notes: string[];
  status: Status;
  problems: LbProblem[];
}

/** Direct probes per backend; it is healthy when most of them answer. */
const DIRECT_PROBES = 3;

interface Direct {
  answers: ProbeAnswer[];
  /** null: stopped (deadline, interrupt) before any direct probe answered. */
  healthy: boolean | null;
  latencyMs: number | null;
  /** Markers every successful direct answer agreed on. */
  markers: Record<MethodId, string>;
  /** The run was stopped before its probes were done. */
  cut: boolean;
}

function answerIsUp(a: ProbeAnswer): boolean {
  return a.ok && (a.statusCode === null || a.statusCode < 500);
}

async function probeDirect(target: HostPort, settings: ProbeSettings): Promise<Direct> {
  const answers: ProbeAnswer[] = [];
  let cut = false;
  // stop once the majority is decided: 2 up or 2 down
  while (answers.length < DIRECT_PROBES) {
    const a = await probeOnce(target, settings, null);
    if (a.errorCode === 'CUT') {
      cut = true;
      break;
    }
    answers.push(a);
    // all three when up (the median drops a cold first one); stop once down is decided
    const down = answers.filter((x) => !answerIsUp(x)).length;
    if (down * 2 > DIRECT_PROBES) break;
  }
  const ups = answers.filter(answerIsUp);
  const markers: Record<MethodId, string> = {};
  if (ups.length > 0) {
    for (const [k, v] of Object.entries(ups[0]!.markers)) if (ups.every((a) => a.markers[k] === v)) markers[k] = v;
  }
  // stopped before the majority was decided: an answer is health enough, a failure alone is no verdict
  const healthy = cut ? (ups.length > 0 ? true : null) : ups.length * 2 > answers.length;
  return { answers, healthy, latencyMs: ups.length > 0 ? median(ups.map((a) => a.latencyMs)) : null, markers, cut };
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

const SEVERITY_RANK: Record<Status, number> = { OK: 0, UNKNOWN: 1, WARNING: 2, CRITICAL: 3 };

/** The worst severity among the problems: CRITICAL > WARNING > UNKNOWN (not judged) > OK. */
export function worstStatus(problems: LbProblem[]): Status {
  return problems.reduce<Status>((s, p) => (SEVERITY_RANK[p.severity] > SEVERITY_RANK[s] ? p.severity : s), 'OK');
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** The median of a list of numbers, sorted in place (NaN for none). */
function medianInPlace(xs: Float64Array): number {
  if (xs.length === 0) return NaN;
  xs.sort();
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
}

/** Bucket of the answers whose marker was beyond the ones kept. */
const OTHER_MARKERS_KEY = `(more than ${MAX_DISTINCT_MARKERS} distinct markers)`;

/** Probe the balancer as `settings` say. Never throws for a broken target: that is in the report. */
export async function probeLoadBalancer(settings: LbProbeSettings, onEvent?: (e: LbEvent) => void): Promise<LbProbeReport> {
  // one stop for the whole run: the deadline, or the caller's signal
  const stop = new AbortController();
  // every probe in flight listens to it: one per backend, then one per concurrent probe
  setMaxListeners(settings.backends.length + settings.concurrency + 1, stop.signal);
  let stoppedBy: LbProbeReport['stoppedBy'] = null;
  const halt = (by: 'deadline' | 'interrupt') => {
    stoppedBy ??= by;
    stop.abort();
  };
  const onInterrupt = () => halt('interrupt');
  if (settings.signal?.aborted) halt('interrupt');
  else settings.signal?.addEventListener('abort', onInterrupt, { once: true });
  const deadlineMs = settings.deadlineMs ?? null;
  const deadline = deadlineMs !== null ? setTimeout(() => halt('deadline'), deadlineMs) : undefined;
  try {
    const candidates = methodsFor(settings.identify, settings.mode);
    const probeSettings: ProbeSettings = { mode: settings.mode, path: settings.path, host: settings.host, timeoutMs: settings.timeoutMs, methods: candidates, signal: stop.signal };

    // 1. the backends, directly (all at once; each one's probes in sequence)
    let directDone = 0;
    const directs = await Promise.all(settings.backends.map(async (b) => {
      const d = await probeDirect(b, probeSettings);
      onEvent?.({ phase: 'direct', done: ++directDone, of: settings.backends.length });
      return d;
    }));

    // 2. the VIP, one fresh connection per probe; each answer kept as numbers and interned markers.
    // The backends' own markers go in first, so that the cap on distinct markers never pushes them out.
    const log = new AnswerLog(settings.requests, candidates, MAX_DISTINCT_MARKERS + settings.backends.length);
    for (const d of directs) {
      const first = d.answers.find(answerIsUp);
      for (const [m, v] of Object.entries(d.markers)) log.tables[m]?.intern(v, first?.snippet ?? '', first?.statusCode ?? null);
    }
    const sources = sourceSchedule(settings.sources, settings.requests);
    const vipStartedAt = performance.now();
    await runProbes(settings.vip, probeSettings, {
      count: settings.requests,
      concurrency: settings.concurrency,
      sources,
      failFastAfter: Math.max(5, settings.concurrency),
      onAnswer: (i, a) => log.record(i, a),
      onProgress: (done, of) => onEvent?.({ phase: 'vip', done, of }),
    });
    const vipElapsedMs = performance.now() - vipStartedAt;
    return judge(settings, directs, log, sources, vipElapsedMs, stoppedBy);
  } finally {
    clearTimeout(deadline);
    settings.signal?.removeEventListener('abort', onInterrupt);
  }
}

/** Everything after the probes: identification, attribution, the tests, the problems. Pure. */
function judge(settings: LbProbeSettings, directs: Direct[], log: AnswerLog, sources: Array<string | null>, vipElapsedMs: number, stoppedBy: LbProbeReport['stoppedBy']): LbProbeReport {
  const vip = formatHostPort(settings.vip);
  const deadlineMs = settings.deadlineMs ?? null;
  const problems: LbProblem[] = [];
  const notes: string[] = [];
  const order = log.indexes();
  const sent = order.length;
  const isUp = (i: number) => log.ok(i) && (log.status(i) === null || log.status(i)! < 500);
  const answered = order.filter((i) => log.ok(i)).length;

  // 3. identification
  const candidates = log.methods;
  const healthyDirect = directs.filter((d) => d.healthy === true);
  const summary: MarkerSummary = { answers: 0, present: {}, distinct: {} };
  for (const m of candidates) {
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
  const choice = chooseMethod([...candidates], healthyDirect.map((d) => d.markers), summary);
  const method = choice.method;
  const table = method ? log.tables[method]! : null;
  const ids = method ? log.markerIds[method]! : null;
  /** The marker id of answer i under the method chosen (NO_MARKER when failed or none). */
  const markerIdOf = (i: number): number => (ids && log.ok(i) ? ids[i]! : NO_MARKER);

  // backends: the given ones, keyed by their marker; markers shared by two are ambiguous
  const backends: LbBackend[] = settings.backends.map((b, i) => {
    const d = directs[i]!;
    const marker = method ? d.markers[method] ?? null : null;
    const firstFail = d.answers.find((a) => !answerIsUp(a));
    const firstUp = d.answers.find(answerIsUp);
    if (d.healthy === null) notes.push(`backend ${formatHostPort(b)} was not probed directly before the run was stopped: its health is not known`);
    return {
      address: formatHostPort(b),
      marker,
      label: shortLabel(marker, formatHostPort(b)),
      snippet: firstUp?.snippet ?? null,
      healthy: d.healthy,
      latencyMs: d.latencyMs,
      directStatus: (firstUp ?? firstFail)?.statusCode ?? null,
      directError: d.healthy !== false ? null : firstFail?.error ?? (firstFail?.statusCode ? `HTTP ${firstFail.statusCode}` : 'no answer'),
      weight: settings.weights ? settings.weights[i]! : 1,
      count: 0,
      share: 0,
      expectedShare: null,
      sources: null,
      byElimination: false,
    };
  });
  const byMarker = new Map<string, number[]>();
  backends.forEach((b, i) => {
    if (b.marker !== null && b.healthy) byMarker.set(b.marker, [...(byMarker.get(b.marker) ?? []), i]);
  });
  for (const [marker, idx] of byMarker) {
    if (idx.length > 1) {
      problems.push({ code: 'AMBIGUOUS_IDENTITY', severity: 'UNKNOWN', message: `backends ${idx.map((i) => backends[i]!.address).join(' and ')} give the same marker '${marker}' (${describeMethod(method!)}): their answers cannot be told apart; pass --identify header:NAME with a header that differs` });
    }
  }
  const discover = settings.backends.length === 0;

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
  if (discover && table) {
    // every marker seen on a non-5xx answer is a backend
    const known = new Set<number>();
    for (const i of order) {
      const id = markerIdOf(i);
      if (id < 0 || !isUp(i) || known.has(id)) continue;
      known.add(id);
      const m = table.values[id]!;
      backends.push({
        address: null, marker: m, label: shortLabel(m, `#${backends.length + 1}`), snippet: table.snippets[id]!, healthy: null, latencyMs: null,
        directStatus: null, directError: null, weight: 1, count: 0, share: 0, expectedShare: null, sources: null, byElimination: false,
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
  if (!discover && table) {
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
  /** Backend index of answer i (-1: failed or unattributed). */
  const backendOf = (i: number): number => {
    const id = markerIdOf(i);
    return id >= 0 ? backendOfId[id]! : -1;
  };
  const unknownMarkers = new Map<string, { count: number; snippet: string; statusCode: number | null }>();
  for (const i of order) {
    if (!log.ok(i)) continue;
    const idx = backendOf(i);
    if (idx >= 0) {
      backends[idx]!.count++;
      continue;
    }
    const id = markerIdOf(i);
    const key = id >= 0 ? table!.values[id]! : id === OTHER_MARKER ? OTHER_MARKERS_KEY : '(no marker)';
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
  const attributedCount = backends.reduce((s, b) => s + b.count, 0);
  const unattributed = answered - attributedCount;
  for (const b of backends) b.share = attributedCount > 0 ? b.count / attributedCount : 0;

  // 5. failures, status codes, latency
  const statusCodes: Record<string, number> = {};
  const fiveXx = new Map<string, number>();
  const errorCounts = new Map<number, number>();
  const kinds = new Map<ProbeErrorCode, { count: number; message: string }>();
  for (const i of order) {
    const code = log.status(i);
    if (log.ok(i)) {
      if (code !== null) statusCodes[String(code)] = (statusCodes[String(code)] ?? 0) + 1;
      if (code !== null && code >= 500) fiveXx.set(String(code), (fiveXx.get(String(code)) ?? 0) + 1);
      continue;
    }
    errorCounts.set(log.errorId[i]!, (errorCounts.get(log.errorId[i]!) ?? 0) + 1);
  }
  for (const [kind, k] of log.errorKinds) kinds.set(kind, k);
  const errors = [...errorCounts].sort((x, y) => y[1] - x[1]).map(([id, count]) => ({ message: log.errorMessages[id] ?? 'failed', count }));
  const failed = sent - answered;
  const stoppedText = stoppedBy === 'deadline' ? `the deadline of ${seconds(deadlineMs!)} stopped the run` : 'the run was interrupted';
  if (sent === 0) {
    if (stoppedBy) problems.push({ code: 'NOT_MEASURED', severity: 'UNKNOWN', message: `${stoppedText} before any probe through the VIP ${vip} ended: nothing was measured through it` });
  } else if (answered === 0) {
    const notSent = settings.requests - sent;
    const rest = notSent > 0 ? `; the other ${notSent} ${stoppedBy ? `were not done: ${stoppedText}` : 'were not sent'}` : '';
    const notHttp = kinds.get('NOT_HTTP');
    const tooLarge = kinds.get('TOO_LARGE');
    // an answer that is not HTTP is an answer: the VIP is reachable, and broken
    if (notHttp) {
      problems.push({ code: 'VIP_NOT_HTTP', severity: 'CRITICAL', message: `the VIP ${notHttp.message.replace(`${vip} `, '')} (${notHttp.count} of ${failed} probes; none got an HTTP answer${rest})` });
    } else if (tooLarge) {
      problems.push({ code: 'VIP_ANSWER_TOO_LARGE', severity: 'CRITICAL', message: `the VIP ${tooLarge.message.replace(`${vip} `, '')} (${tooLarge.count} of ${failed} probes; none could be read${rest})` });
    } else {
      const why = errors[0]?.message ?? 'no probe was sent';
      problems.push({ code: 'VIP_UNREACHABLE', severity: 'CRITICAL', message: `VIP ${vip} is unreachable: ${why} (${failed} of ${failed} probes failed${rest})` });
    }
  } else if (failed > 0) {
    problems.push({ code: 'PROBES_FAILED', severity: 'WARNING', message: `${failed} of ${sent} probes through the VIP failed: ${errors.map((e) => `${e.message} (${e.count})`).join('; ')}` });
  }
  if (fiveXx.size > 0) {
    const n = [...fiveXx.values()].reduce((a, b) => a + b, 0);
    const codes = [...fiveXx].map(([c, k]) => `${c} x${k}`).join(', ');
    problems.push({ code: 'SERVER_ERRORS', severity: 'WARNING', message: `${n} of ${answered} answers through the VIP were server errors (${codes})` });
  }
  if (stoppedBy && sent > 0) notes.push(`${stoppedText} after ${sent} of ${settings.requests} probes through the VIP: what was measured is judged`);

  // 6. backends: down, down but receiving, never through the VIP
  for (const b of backends) {
    if (b.healthy === false) {
      problems.push({ code: 'BACKEND_DOWN', severity: 'WARNING', ...(b.address ? { backend: b.address } : {}), message: `backend ${b.address} is down: ${b.directError}` });
      if (b.count > 0) problems.push({ code: 'DOWN_BUT_RECEIVING', severity: 'WARNING', ...(b.address ? { backend: b.address } : {}), message: `backend ${b.address} does not answer directly but answered ${b.count} probes through the VIP` });
    }
  }

  // 7. expected shares over the backends in service, and the chi-square test
  const inService = backends.map((b) => b.healthy === true || b.healthy === null || b.count > 0);
  const weightSum = backends.reduce((s, b, i) => s + (inService[i] ? b.weight ?? 1 : 0), 0);
  backends.forEach((b, i) => {
    b.expectedShare = weightSum > 0 ? (inService[i] ? (b.weight ?? 1) / weightSum : 0) : null;
  });
  if (answered > 0) {
    for (const b of backends) {
      if (b.healthy === true && b.count === 0 && (b.expectedShare ?? 0) > 0 && attributedCount > 0) {
        problems.push({ code: 'NEVER_THROUGH_VIP', severity: 'WARNING', ...(b.address ? { backend: b.address } : {}), message: `backend ${b.address} answers directly but never through the VIP (0 of ${attributedCount} attributed answers; expected ${pct(b.expectedShare!)})` });
      }
    }
  }

  // stickiness per source
  let stickiness: LbStickiness | null = null;
  /** For each source that stuck to one backend, that backend's index. */
  let stickyBackendOfSource: number[] = [];
  if (settings.sources.length > 1) {
    const per = new Map<string, Map<number, number>>();
    for (const s of settings.sources) per.set(s, new Map());
    for (const i of order) {
      const idx = backendOf(i);
      const source = sources[i] ?? null;
      if (idx < 0 || source === null) continue;
      const m = per.get(source)!;
      m.set(idx, (m.get(idx) ?? 0) + 1);
    }
    const perSource = [...per].map(([address, m]) => {
      const n = [...m.values()].reduce((x, y) => x + y, 0);
      const byLabel: Record<string, number> = {};
      for (const [idx, c] of m) byLabel[backends[idx]!.label] = c;
      return { address, answers: n, backends: byLabel, sticky: n >= 2 && m.size === 1, idx: [...m.keys()] };
    });
    const judged = perSource.filter((s) => s.answers >= 2);
    const sticky = judged.filter((s) => s.sticky).length;
    const verdict: LbStickiness['verdict'] = judged.length === 0 ? 'not-judged' : sticky === judged.length ? 'sticky' : sticky * 2 < judged.length ? 'not-sticky' : 'partly-sticky';
    for (const b of backends) b.sources = 0;
    for (const s of perSource) for (const idx of s.idx) backends[idx]!.sources! += 1;
    const spread: Record<string, number> = {};
    for (const b of backends) if (b.sources! > 0) spread[b.label] = b.sources!;
    const reached = Object.keys(spread).length;
    let note: string | null = null;
    if (verdict === 'sticky' && reached === 1 && sameSlash24(settings.sources)) {
      note = `all ${settings.sources.length} sources are in one /24 (${settings.sources[0]!.split('.').slice(0, 3).join('.')}.x): nginx's ip_hash keys on the first three octets of IPv4, so to it they are one client; give a range that varies the third octet (e.g. 127.56.1.1-127.56.40.1) to see a spread`;
    }
    stickyBackendOfSource = perSource.filter((s) => s.sticky).map((s) => s.idx[0]!);
    stickiness = { sources: settings.sources.length, judged: judged.length, sticky, verdict, perSource: perSource.map(({ idx: _idx, ...s }) => s), spread, note };
  }

  let distribution: LbDistribution | null = null;
  if (attributedCount > 0 && weightSum > 0) {
    const shares = backends.map((b) => b.expectedShare ?? 0);
    const bySource = stickiness?.verdict === 'sticky' && stickiness.judged >= 2;
    const observed = bySource
      ? backends.map((_b, i) => stickyBackendOfSource.filter((x) => x === i).length)
      : backends.map((b) => b.count);
    const fit = goodnessOfFit(observed, shares, settings.alpha);
    distribution = {
      unit: bySource ? 'source' : 'request',
      observed: observed.reduce((a, b) => a + b, 0),
      chiSquare: fit.chiSquare,
      df: fit.df,
      pValue: fit.pValue,
      alpha: settings.alpha,
      matches: fit.matches,
      judged: fit.judged,
      minExpected: fit.minExpected,
      needed: fit.needed,
    };
    const unit = bySource ? 'sources' : 'attributed answers';
    const weights = backends.filter((_b, i) => inService[i]).map((b) => b.weight ?? 1).join(':');
    if (!fit.judged) {
      const more = stoppedBy
        ? `${stoppedText} after ${sent} of the ${settings.requests} probes asked for`
        : bySource
          ? `give --source-ips a range of at least ${fit.needed} addresses and --requests ${2 * fit.needed} or more`
          : `use --requests ${Math.ceil(fit.needed * (sent / Math.max(1, attributedCount)))} or more`;
      problems.push({ code: 'TOO_FEW_TO_JUDGE', severity: 'UNKNOWN', message: `too few ${unit} to judge the split: the smallest expected count is ${fit.minExpected.toFixed(1)}, under ${MIN_EXPECTED} (${fit.needed} ${unit} needed); ${more}` });
    } else if (fit.matches === false) {
      const observedText = observed.filter((o, i) => inService[i] || o > 0).join('/');
      const oneSource = settings.sources.length <= 1 && backends.filter((b) => b.count > 0).length === 1
        ? '; every answer came from one backend: if the balancer hashes the source address, probe from many with --source-ips (e.g. 127.56.1.1-127.56.1.200)'
        : '';
      problems.push({ code: 'DISTRIBUTION_OFF', severity: 'WARNING', message: `the split ${observedText} (${unit}) is off the weights ${weights}: chi-square ${fit.chiSquare!.toFixed(2)}, ${fit.df} df, ${formatP(fit.pValue!)}, below the ${settings.alpha} level${oneSource}` });
    }
  }
  if (answered > 0 && attributedCount === 0) {
    const tried = choice.tried.map(describeMethod).join(', ');
    problems.push({ code: 'NOT_IDENTIFIABLE', severity: 'UNKNOWN', message: `no answer could be attributed to a backend (tried ${tried}); pass --identify header:NAME, body or banner${settings.backends.length === 0 ? ', and --backend ADDR:PORT for each backend' : ''}` });
  } else if (!discover && unattributed > 0) {
    const foreign = [...unknownMarkers].filter(([m, u]) => m !== '(no marker)' && (u.statusCode === null || u.statusCode < 500));
    const n = foreign.reduce((s, [, u]) => s + u.count, 0);
    if (n > 0) {
      const shown = foreign.slice(0, 10).map(([m, u]) => `'${m.length > 40 ? `${m.slice(0, 37)}...` : m}' x${u.count}`).join(', ');
      problems.push({ code: 'UNKNOWN_BACKEND', severity: 'WARNING', message: `${n} answers came from backends not given with --backend (${shown}${foreign.length > 10 ? `, and ${foreign.length - 10} more markers` : ''})` });
    }
  }

  const hint = schedulerHint(order.map((i) => {
    const idx = backendOf(i);
    return idx >= 0 ? backends[idx]!.label : null;
  }));
  const note = settings.concurrency > 1
    ? `a hint from the order of answers, not a proof; probes ran ${settings.concurrency} at a time, so the order is approximate`
    : 'a hint from the order of answers, not a proof';
  const latencies = new Float64Array(answered);
  let k = 0;
  for (const i of order) if (log.ok(i)) latencies[k++] = log.latencyMs[i]!;
  const interrupted = stoppedBy === 'interrupt';

  return {
    vip,
    mode: settings.mode,
    path: settings.mode === 'http' ? settings.path : null,
    requests: settings.requests,
    sent,
    answered,
    failed,
    concurrency: settings.concurrency,
    identify: { method, description: method ? describeMethod(method) : null, tried: choice.tried, reason: choice.reason },
    backends,
    distribution,
    scheduler: { ...hint, note },
    stickiness,
    unattributed,
    unattributedMarkers: [...unknownMarkers].map(([marker, u]) => ({ marker, ...u })),
    statusCodes,
    vipLatencyMs: answered > 0 ? medianInPlace(latencies) : null,
    vipElapsedMs,
    probesPerSecond: vipElapsedMs > 0 ? (sent * 1000) / vipElapsedMs : 0,
    errors,
    deadlineMs,
    stoppedBy,
    ...(interrupted ? { interrupted: true } : {}),
    notes,
    // interrupted: what was judged is in the problems, but the run is not a verdict
    status: interrupted ? 'UNKNOWN' : worstStatus(problems),
    problems,
  };
}

/** A p-value for people, with its sign: `p = 0.930`, `p = 3.2e-4`, `p < 1e-12`. */
export function formatP(p: number): string {
  if (p < 1e-12) return 'p < 1e-12';
  if (p < 0.001) return `p = ${p.toExponential(1)}`;
  return `p = ${p.toFixed(3)}`;
}
