/**
 * Everything after the probes of a load balancer, in the order of its steps: attribution (3, 4),
 * the VIP and the backends (5, 6), stickiness and the split (7), the scheduler hint, then the
 * report with its one status. Pure: the same probes give the same report.
 */
import { statusOf } from '../../errors.js';
import { roundMs } from '../../util/round.js';
import { median } from '../../util/stats.js';
import { formatHostPort, type HostPort } from './addresses.js';
import { attribute } from './attribution.js';
import type { Direct } from './direct.js';
import { judgeDistribution } from './distribution.js';
import { describeMethod } from './identify.js';
import { expectShares, judgeBackends, judgeVip } from './judge.js';
import { schedulerHint } from './scheduler-hint.js';
import { judgeStickiness } from './stickiness.js';
import type { VipProbes } from './vip.js';
import type { LbProbeReport } from './types.js';
import type { Http1Tls } from './http1.js';
import { judgeCertificates } from './certificates.js';
import { compareSourceMaps, sourceMapOf, type SourceMap } from './remap.js';

/** The settings of a run with every default applied (engine.ts). */
export interface ResolvedSettings {
  vip: HostPort;
  backends: HostPort[];
  weights: number[] | null;
  requests: number;
  concurrency: number;
  mode: 'http' | 'https' | 'tcp';
  path: string;
  /** HTTPS: the TLS of every probe; null otherwise. */
  tls: Http1Tls | null;
  /** A saved map to compare with; null without. */
  compareMap: SourceMap | null;
  /** HTTPS: resume TLS sessions. */
  resume: boolean;
  sources: string[];
  sourceRange: string | null;
  alpha: number;
  deadlineMs: number | null;
}

/** The report of a run from what its probes found. `stoppedBy`: what cut the run, if anything. */
export function buildReport(s: ResolvedSettings, directs: readonly Direct[], probes: VipProbes, stoppedBy: LbProbeReport['stoppedBy']): LbProbeReport {
  const vip = formatHostPort(s.vip);
  const { log } = probes;
  const stop = { by: stoppedBy, deadlineMs: s.deadlineMs };

  // 3, 4: who answered what
  const a = attribute(s.backends, s.weights, directs, log);
  const sent = a.order.length;
  // 5: the VIP
  const v = judgeVip(vip, s.requests, log, a.order, stop);
  const answered = sent - v.failed;
  // stickiness: when every source sticks to one backend, what the balancer spreads is sources
  const st = s.sources.length > 1 ? judgeStickiness(s.sources, probes.sources, a) : null;
  const bySource = st?.stickiness.verdict === 'sticky' && st.stickiness.judged >= 2;
  const units = { bySource, observed: bySource ? st.stickyBackendOfSource.length : a.attributed, alpha: s.alpha };
  // 6: the backends
  const inService = expectShares(a, s.weights !== null);
  const b = judgeBackends(a, inService, answered, units);
  // 7: the split
  const d = judgeDistribution(a, { weighted: s.weights !== null, inService, alpha: s.alpha, requests: s.requests, sent, sources: s.sources.length, stickiness: st, bySource, stop });

  const hint = schedulerHint(a.order.map((i) => {
    const idx = a.backendOf(i);
    return idx >= 0 ? a.backends[idx]!.label : null;
  }));
  const note = s.concurrency > 1
    ? `a hint from the order of answers, not a proof; probes ran ${s.concurrency} at a time, so the order is approximate`
    : 'a hint from the order of answers, not a proof';
  const latencies = new Float64Array(answered);
  let k = 0;
  for (const i of a.order) if (log.ok(i)) latencies[k++] = log.latencyMs[i]!;
  const interrupted = stoppedBy === 'interrupt';
  // HTTPS: the certificates of the backends and of the answers through the VIP
  const certs = s.tls ? judgeCertificates(vip, s.backends.map(formatHostPort), directs, log, s.tls.insecure) : null;
  if (certs) {
    a.backends.forEach((backend) => {
      if (backend.address === null) return;
      const i = s.backends.findIndex((h) => formatHostPort(h) === backend.address);
      if (i >= 0) backend.certificate = certs.perBackend[i] ?? null;
    });
  }
  // a backend whose direct probes stopped at its certificate is not down: CERT_INVALID names it
  const certRefused = new Set(s.backends.map(formatHostPort).filter((_h, i) => {
    const answers = directs[i]?.answers ?? [];
    return answers.length > 0 && answers.every((x) => x.errorCode === 'TLS' && x.certificate);
  }));
  const backendProblems = b.problems.filter((p) => !(p.code === 'BACKEND_DOWN' && p.subject !== undefined && certRefused.has(p.subject)));
  const problems = [...v.problems, ...backendProblems, ...d.problems, ...(certs?.problems ?? [])];
  const notes = [...v.notes, ...a.notes, ...b.notes, ...(st?.notes ?? []), ...d.notes];
  const elapsedMs = roundMs(probes.elapsedMs);

  const report: LbProbeReport = {
    vip,
    mode: s.mode,
    ...(s.tls && certs ? { tls: { servername: s.tls.servername, insecure: s.tls.insecure, certificates: certs.certificates, ...(s.resume ? { resume: true, resumed: log.resumed } : {}) } } : {}),
    path: s.mode === 'tcp' ? null : s.path,
    requests: s.requests,
    sent,
    answered,
    failed: v.failed,
    concurrency: s.concurrency,
    identify: { method: a.choice.method, description: a.choice.method ? describeMethod(a.choice.method) : null, tried: a.choice.tried, reason: a.choice.reason },
    backends: a.backends,
    distribution: d.distribution,
    scheduler: { ...hint, note },
    stickiness: st?.stickiness ?? null,
    sourceRange: s.sourceRange,
    unattributed: a.unattributed,
    unattributedMarkers: [...a.unknownMarkers].map(([marker, u]) => ({ marker, ...u })),
    statusCodes: v.statusCodes,
    vipLatencyMs: answered > 0 ? roundMs(median(latencies)) : null,
    vipElapsedMs: elapsedMs,
    probesPerSecond: elapsedMs > 0 ? Math.round((sent * 1_000_000) / elapsedMs) / 1000 : 0,
    errors: v.errors,
    deadlineMs: s.deadlineMs,
    stoppedBy,
    ...(interrupted ? { interrupted: true } : {}),
    notes,
    // the one rule: the worst problem found in what was judged; UNKNOWN when nothing was (no
    // answer attributed to a backend, and nothing wrong found), or when interrupted
    status: statusOf(problems, { judged: a.attributed > 0 || (certs?.certificates.length ?? 0) > 0, interrupted }),
    problems,
  };
  // the remapping lesson: which sources moved since the saved map
  if (s.compareMap) report.remap = compareSourceMaps(s.compareMap, sourceMapOf(report));
  return report;
}
