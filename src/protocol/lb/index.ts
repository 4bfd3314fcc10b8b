/**
 * Probing a load balancer: N fresh connections through the VIP, each answer attributed to a
 * backend; every backend probed directly (health, latency, its own marker); the observed split
 * tested against the weights (chi-square); the order of answers read for a scheduler hint;
 * with several source addresses, stickiness per source. Returns plain data with a status and
 * the problems found; never prints, never exits.
 */
import { performance } from 'node:perf_hooks';
import type { Status } from '../../errors.js';
import { formatHostPort, sameSlash24, type HostPort } from './addresses.js';
import { chooseMethod, describeMethod, methodsFor, type IdentifySpec, type MethodId } from './identify.js';
import { probeOnce, runProbes, sourceSchedule, type ProbeAnswer, type ProbeSettings } from './probe.js';
import { schedulerHint, type SchedulerHint } from './scheduler-hint.js';
import { goodnessOfFit, median, MIN_EXPECTED } from './stats.js';

export { parseHostPort, parseSourceRange, pickSources, formatHostPort, type HostPort } from './addresses.js';
export { parseIdentify, type IdentifySpec } from './identify.js';
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
}

export type LbEvent =
  | { phase: 'direct'; done: number; of: number }
  | { phase: 'vip'; done: number; of: number };

export type LbProblemCode =
  | 'VIP_UNREACHABLE'
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
  /** Probes sent (fewer when the VIP answered none of the first ones). */
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
  status: Status;
  problems: LbProblem[];
}

/** Direct probes per backend; it is healthy when most of them answer. */
const DIRECT_PROBES = 3;

interface Direct {
  answers: ProbeAnswer[];
  healthy: boolean;
  latencyMs: number | null;
  /** Markers every successful direct answer agreed on. */
  markers: Record<MethodId, string>;
}

function answerIsUp(a: ProbeAnswer): boolean {
  return a.ok && (a.statusCode === null || a.statusCode < 500);
}

async function probeDirect(target: HostPort, settings: ProbeSettings): Promise<Direct> {
  const answers: ProbeAnswer[] = [];
  // stop once the majority is decided: 2 up or 2 down
  while (answers.length < DIRECT_PROBES) {
    answers.push(await probeOnce(target, settings, null));
    // all three when up (the median drops a cold first one); stop once down is decided
    const down = answers.filter((a) => !answerIsUp(a)).length;
    if (down * 2 > DIRECT_PROBES) break;
  }
  const ups = answers.filter(answerIsUp);
  const markers: Record<MethodId, string> = {};
  if (ups.length > 0) {
    for (const [k, v] of Object.entries(ups[0]!.markers)) if (ups.every((a) => a.markers[k] === v)) markers[k] = v;
  }
  return {
    answers,
    healthy: ups.length * 2 > answers.length,
    latencyMs: ups.length > 0 ? median(ups.map((a) => a.latencyMs)) : null,
    markers,
  };
}

function tally<T>(items: T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const it of items) m.set(key(it), (m.get(key(it)) ?? 0) + 1);
  return m;
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

/** Probe the balancer as `settings` say. Never throws for a broken target: that is in the report. */
export async function probeLoadBalancer(settings: LbProbeSettings, onEvent?: (e: LbEvent) => void): Promise<LbProbeReport> {
  const probeSettings: ProbeSettings = { mode: settings.mode, path: settings.path, host: settings.host, timeoutMs: settings.timeoutMs };
  const vip = formatHostPort(settings.vip);

  // 1. the backends, directly (all at once; each one's probes in sequence)
  let directDone = 0;
  const directs = await Promise.all(settings.backends.map(async (b) => {
    const d = await probeDirect(b, probeSettings);
    onEvent?.({ phase: 'direct', done: ++directDone, of: settings.backends.length });
    return d;
  }));

  // 2. the VIP, one fresh connection per probe
  const sources = sourceSchedule(settings.sources, settings.requests);
  const vipStartedAt = performance.now();
  const answers = await runProbes(settings.vip, probeSettings, {
    count: settings.requests,
    concurrency: settings.concurrency,
    sources,
    failFastAfter: Math.max(5, settings.concurrency),
    onProgress: (done, of) => onEvent?.({ phase: 'vip', done, of }),
  });
  const vipElapsedMs = performance.now() - vipStartedAt;
  const oks = answers.filter((a) => a.ok);
  const problems: LbProblem[] = [];

  // 3. identification
  const candidates = methodsFor(settings.identify, settings.mode);
  const healthyDirect = directs.filter((d) => d.healthy);
  const choice = chooseMethod(candidates, healthyDirect.map((d) => d.markers), oks.filter(answerIsUp).map((a) => a.markers));
  const method = choice.method;

  // backends: the given ones, keyed by their marker; markers shared by two are ambiguous
  const backends: LbBackend[] = settings.backends.map((b, i) => {
    const d = directs[i]!;
    const marker = method ? d.markers[method] ?? null : null;
    const firstFail = d.answers.find((a) => !answerIsUp(a));
    const firstUp = d.answers.find(answerIsUp);
    return {
      address: formatHostPort(b),
      marker,
      label: shortLabel(marker, formatHostPort(b)),
      snippet: firstUp?.snippet ?? null,
      healthy: d.healthy,
      latencyMs: d.latencyMs,
      directStatus: (firstUp ?? firstFail)?.statusCode ?? null,
      directError: d.healthy ? null : firstFail?.error ?? (firstFail?.statusCode ? `HTTP ${firstFail.statusCode}` : 'no answer'),
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

  // 4. attribution of each answer through the VIP
  const attributed: Array<number | null> = answers.map(() => null);
  const unknownMarkers = new Map<string, { count: number; snippet: string; statusCode: number | null }>();
  const markerOf = (a: ProbeAnswer): string | undefined => (method && a.ok ? a.markers[method] : undefined);
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
  if (discover) {
    // every marker seen on a non-5xx answer is a backend
    for (const a of answers) {
      const m = markerOf(a);
      if (m === undefined || !answerIsUp(a)) continue;
      if (!backends.some((b) => b.marker === m)) {
        backends.push({
          address: null, marker: m, label: shortLabel(m, `#${backends.length + 1}`), snippet: a.snippet, healthy: null, latencyMs: null,
          directStatus: null, directError: null, weight: 1, count: 0, share: 0, expectedShare: null, sources: null, byElimination: false,
        });
      }
    }
    backends.forEach((b, i) => byMarker.set(b.marker!, [i]));
    // a body's first word names the backend often enough ("web1 ..."): use it when it is unique
    const words = backends.map((b) => /^[\w.-]{1,16}/.exec(b.snippet ?? '')?.[0]);
    if (words.every((w) => w !== undefined) && new Set(words).size === words.length) backends.forEach((b, i) => {
      if (b.label.startsWith('#')) b.label = words[i]!;
    });
  }
  answers.forEach((a, i) => {
    const m = markerOf(a);
    if (m === undefined) return;
    const idx = resolveMarker(m);
    if (idx !== undefined) attributed[i] = idx;
  });
  // by elimination: one given backend without a known marker, one marker nobody claims
  if (!discover && method) {
    const unclaimed = new Set<string>();
    answers.forEach((a, i) => {
      const m = markerOf(a);
      if (m !== undefined && attributed[i] === null && answerIsUp(a) && !(byMarker.get(m)?.length ?? 0)) unclaimed.add(m);
    });
    const markerless = backends.map((b, i) => ({ b, i })).filter(({ b }) => b.marker === null);
    if (unclaimed.size === 1 && markerless.length === 1) {
      const m = [...unclaimed][0]!;
      const target = markerless[0]!;
      target.b.marker = m;
      target.b.label = shortLabel(m, target.b.address!);
      target.b.byElimination = true;
      answers.forEach((a, i) => {
        if (attributed[i] === null && markerOf(a) === m) attributed[i] = target.i;
      });
    }
  }
  answers.forEach((a, i) => {
    if (!a.ok) return;
    const idx = attributed[i];
    if (idx !== null && idx !== undefined) {
      backends[idx]!.count++;
      return;
    }
    const key = markerOf(a) ?? '(no marker)';
    const u = unknownMarkers.get(key) ?? { count: 0, snippet: a.snippet, statusCode: a.statusCode };
    u.count++;
    unknownMarkers.set(key, u);
  });
  const attributedCount = backends.reduce((s, b) => s + b.count, 0);
  const unattributed = oks.length - attributedCount;
  for (const b of backends) b.share = attributedCount > 0 ? b.count / attributedCount : 0;

  // 5. failures, status codes, latency
  const statusCodes: Record<string, number> = {};
  for (const a of oks) if (a.statusCode !== null) statusCodes[String(a.statusCode)] = (statusCodes[String(a.statusCode)] ?? 0) + 1;
  const errorTally = tally(answers.filter((a) => !a.ok), (a) => a.error ?? 'failed');
  const errors = [...errorTally].sort((x, y) => y[1] - x[1]).map(([message, count]) => ({ message, count }));
  const failed = answers.length - oks.length;
  if (oks.length === 0) {
    const why = errors[0]?.message ?? 'no probe was sent';
    problems.push({ code: 'VIP_UNREACHABLE', severity: 'CRITICAL', message: `VIP ${vip} is unreachable: ${why} (${failed} of ${failed} probes failed${answers.length < settings.requests ? `; the other ${settings.requests - answers.length} were not sent` : ''})` });
  } else if (failed > 0) {
    problems.push({ code: 'PROBES_FAILED', severity: 'WARNING', message: `${failed} of ${answers.length} probes through the VIP failed: ${errors.map((e) => `${e.message} (${e.count})`).join('; ')}` });
  }
  const fiveXx = oks.filter((a) => a.statusCode !== null && a.statusCode >= 500);
  if (fiveXx.length > 0) {
    const codes = [...tally(fiveXx, (a) => String(a.statusCode))].map(([c, n]) => `${c} x${n}`).join(', ');
    problems.push({ code: 'SERVER_ERRORS', severity: 'WARNING', message: `${fiveXx.length} of ${oks.length} answers through the VIP were server errors (${codes})` });
  }

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
  if (oks.length > 0) {
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
    answers.forEach((a, i) => {
      const idx = attributed[i];
      if (!a.ok || idx === null || idx === undefined || a.source === null) return;
      const m = per.get(a.source)!;
      m.set(idx, (m.get(idx) ?? 0) + 1);
    });
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
      const more = bySource
        ? `give --source-ips a range of at least ${fit.needed} addresses and --requests ${2 * fit.needed} or more`
        : `use --requests ${Math.ceil(fit.needed * (answers.length / Math.max(1, attributedCount)))} or more`;
      problems.push({ code: 'TOO_FEW_TO_JUDGE', severity: 'UNKNOWN', message: `too few ${unit} to judge the split: the smallest expected count is ${fit.minExpected.toFixed(1)}, under ${MIN_EXPECTED} (${fit.needed} ${unit} needed); ${more}` });
    } else if (fit.matches === false) {
      const observedText = observed.filter((o, i) => inService[i] || o > 0).join('/');
      const oneSource = settings.sources.length <= 1 && backends.filter((b) => b.count > 0).length === 1
        ? '; every answer came from one backend: if the balancer hashes the source address, probe from many with --source-ips (e.g. 127.56.1.1-127.56.1.200)'
        : '';
      problems.push({ code: 'DISTRIBUTION_OFF', severity: 'WARNING', message: `the split ${observedText} (${unit}) is off the weights ${weights}: chi-square ${fit.chiSquare!.toFixed(2)}, ${fit.df} df, ${formatP(fit.pValue!)}, below the ${settings.alpha} level${oneSource}` });
    }
  }
  if (oks.length > 0 && attributedCount === 0) {
    const tried = choice.tried.map(describeMethod).join(', ');
    problems.push({ code: 'NOT_IDENTIFIABLE', severity: 'UNKNOWN', message: `no answer could be attributed to a backend (tried ${tried}); pass --identify header:NAME, body or banner${settings.backends.length === 0 ? ', and --backend ADDR:PORT for each backend' : ''}` });
  } else if (!discover && unattributed > 0) {
    const foreign = [...unknownMarkers].filter(([m, u]) => m !== '(no marker)' && (u.statusCode === null || u.statusCode < 500));
    const n = foreign.reduce((s, [, u]) => s + u.count, 0);
    if (n > 0) {
      problems.push({ code: 'UNKNOWN_BACKEND', severity: 'WARNING', message: `${n} answers came from backends not given with --backend (${foreign.map(([m, u]) => `'${m.length > 40 ? `${m.slice(0, 37)}...` : m}' x${u.count}`).join(', ')})` });
    }
  }

  const hint = schedulerHint(attributed.map((idx, i) => (answers[i]!.ok && idx !== null ? backends[idx]!.label : null)));
  const note = settings.concurrency > 1
    ? `a hint from the order of answers, not a proof; probes ran ${settings.concurrency} at a time, so the order is approximate`
    : 'a hint from the order of answers, not a proof';

  return {
    vip,
    mode: settings.mode,
    path: settings.mode === 'http' ? settings.path : null,
    requests: settings.requests,
    sent: answers.length,
    answered: oks.length,
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
    vipLatencyMs: oks.length > 0 ? median(oks.map((a) => a.latencyMs)) : null,
    vipElapsedMs,
    probesPerSecond: vipElapsedMs > 0 ? (answers.length * 1000) / vipElapsedMs : 0,
    errors,
    status: worstStatus(problems),
    problems,
  };
}

/** A p-value for people, with its sign: `p = 0.930`, `p = 3.2e-4`, `p < 1e-12`. */
export function formatP(p: number): string {
  if (p < 1e-12) return 'p < 1e-12';
  if (p < 0.001) return `p = ${p.toExponential(1)}`;
  return `p = ${p.toFixed(3)}`;
}
