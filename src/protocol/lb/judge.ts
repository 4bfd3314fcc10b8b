/**
 * Steps 5 and 6 of a probe of a load balancer: what the probes through the VIP say about the VIP
 * (unreachable, not HTTP, failures, server errors), and what the direct probes and the counts say
 * about each backend (down, down but receiving, never reached, unknown ones answering). Pure.
 */
import type { Attribution } from './attribution.js';
import { NO_MARKER_KEY } from './attribution.js';
import { clip } from '../../util/printable.js';
import { describeMethod } from './identify.js';
import type { ProbeErrorCode } from './probe.js';
import type { AnswerLog } from './tally.js';
import type { LbNote, LbProbeReport, LbProblem } from './types.js';

/** `1.5 s`: a duration for a sentence. */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/** What stopped the run, in words: `the deadline of 1 s stopped the run`, `the run was interrupted`. */
export function stoppedText(stoppedBy: 'deadline' | 'interrupt', deadlineMs: number | null): string {
  return stoppedBy === 'deadline' ? `the deadline of ${seconds(deadlineMs ?? 0)} stopped the run` : 'the run was interrupted';
}

/** What the probes through the VIP say about it. */
export interface VipVerdict {
  failed: number;
  statusCodes: Record<string, number>;
  errors: Array<{ message: string; count: number }>;
  problems: LbProblem[];
  notes: LbNote[];
}

/**
 * Step 5: failures, status codes, and the VIP's own problems. An answer that is not HTTP is an
 * answer: such a VIP is reachable, and broken.
 */
export function judgeVip(vip: string, requests: number, log: AnswerLog, order: readonly number[], stop: { by: LbProbeReport['stoppedBy']; deadlineMs: number | null }): VipVerdict {
  const problems: LbProblem[] = [];
  const notes: LbNote[] = [];
  const sent = order.length;
  const statusCodes: Record<string, number> = {};
  const fiveXx = new Map<string, number>();
  const errorCounts = new Map<number, number>();
  let answered = 0;
  for (const i of order) {
    const code = log.status(i);
    if (log.ok(i)) {
      answered++;
      if (code !== null) statusCodes[String(code)] = (statusCodes[String(code)] ?? 0) + 1;
      if (code !== null && code >= 500) fiveXx.set(String(code), (fiveXx.get(String(code)) ?? 0) + 1);
      continue;
    }
    errorCounts.set(log.errorId[i]!, (errorCounts.get(log.errorId[i]!) ?? 0) + 1);
  }
  const kinds = new Map<ProbeErrorCode, { count: number; message: string }>(log.errorKinds);
  const errors = [...errorCounts].sort((x, y) => y[1] - x[1]).map(([id, count]) => ({ message: log.errorMessages[id] ?? 'failed', count }));
  const failed = sent - answered;
  const stopped = stop.by ? stoppedText(stop.by, stop.deadlineMs) : '';
  if (sent === 0) {
    if (stop.by) notes.push({ code: 'NOT_MEASURED', message: `${stopped} before any probe through the VIP ${vip} ended: nothing was measured through it`, counts: { sent: 0, requests } });
  } else if (answered === 0) {
    const notSent = requests - sent;
    const rest = notSent > 0 ? `; the other ${notSent} ${stop.by ? `were not done: ${stopped}` : 'were not sent'}` : '';
    const counts = { failed, sent, requests };
    const notHttp = kinds.get('NOT_HTTP');
    const tooLarge = kinds.get('TOO_LARGE');
    if (notHttp) {
      problems.push({ code: 'VIP_NOT_HTTP', severity: 'CRITICAL', message: `the VIP ${notHttp.message} (${notHttp.count} of ${failed} probes; none got an HTTP answer${rest})`, counts });
    } else if (tooLarge) {
      problems.push({ code: 'VIP_ANSWER_TOO_LARGE', severity: 'CRITICAL', message: `the VIP ${tooLarge.message} (${tooLarge.count} of ${failed} probes; none could be read${rest})`, counts });
    } else {
      const why = errors[0]?.message ?? 'no probe was sent';
      problems.push({ code: 'VIP_UNREACHABLE', severity: 'CRITICAL', message: `VIP ${vip} is unreachable: ${why} (${failed} of ${failed} probes failed${rest})`, counts });
    }
  } else if (failed > 0) {
    problems.push({ code: 'PROBES_FAILED', severity: 'WARNING', message: `${failed} of ${sent} probes through the VIP failed: ${errors.map((e) => `${e.message} (${e.count})`).join('; ')}`, counts: { failed, sent } });
  }
  if (fiveXx.size > 0) {
    const n = [...fiveXx.values()].reduce((a, b) => a + b, 0);
    const codes = [...fiveXx].map(([c, k]) => `${c} x${k}`).join(', ');
    problems.push({ code: 'SERVER_ERRORS', severity: 'WARNING', message: `${n} of ${answered} answers through the VIP were server errors (${codes})`, counts: { errors: n, answered } });
  }
  if (stop.by && sent > 0) notes.push({ code: 'STOPPED', message: `${stopped} after ${sent} of ${requests} probes through the VIP: what was measured is judged`, counts: { sent, requests } });
  return { failed, statusCodes, errors, problems, notes };
}

/**
 * The expected share of each backend: its weight over the weights of the backends in service
 * (healthy, not probed directly, or answering through the VIP). Without weights there is no
 * expectation (null). Returns which backends are in service.
 */
export function expectShares(a: Attribution, weighted: boolean): boolean[] {
  const inService = a.backends.map((b) => b.healthy === true || b.healthy === null || b.count > 0);
  const weightSum = a.backends.reduce((s, b, i) => s + (inService[i] ? b.weight ?? 0 : 0), 0);
  a.backends.forEach((b, i) => {
    b.expectedShare = weighted && weightSum > 0 ? (inService[i] ? (b.weight ?? 0) / weightSum : 0) : null;
  });
  return inService;
}

/** How the split is counted: per attributed answer, or per source when every source sticks to one backend. */
export interface Units {
  bySource: boolean;
  /** Answers attributed, or sources that stuck. */
  observed: number;
  alpha: number;
}

/**
 * Step 6: the backends: down, down but receiving, never through the VIP; answers that no backend
 * given claims; no answer attributed at all (a note: nothing of the split can be said).
 * A healthy backend that got none of the `units` is NEVER_THROUGH_VIP only when chance alone
 * would leave it out less often than `alpha` ((1 - share)^n < alpha, its share from the weights,
 * or an equal one without): a source hash seen from 8 sources may well miss a backend of weight 1
 * in 5.
 */
export function judgeBackends(a: Attribution, inService: readonly boolean[], answered: number, units: Units): { problems: LbProblem[]; notes: LbNote[] } {
  const problems: LbProblem[] = [];
  const notes: LbNote[] = [];
  const ambiguousBackends = new Set(a.ambiguous.flatMap((x) => x.backends));
  for (const b of a.backends) {
    if (b.healthy !== false || b.address === null) continue;
    problems.push({ code: 'BACKEND_DOWN', severity: 'WARNING', subject: b.address, message: `backend ${b.address} is down: ${b.directError}` });
    if (b.count > 0) problems.push({ code: 'DOWN_BUT_RECEIVING', severity: 'WARNING', subject: b.address, message: `backend ${b.address} does not answer directly but answered ${b.count} probes through the VIP`, counts: { answers: b.count } });
  }
  if (units.observed > 0) {
    const serving = a.backends.filter((b, i) => inService[i] && b.weight !== 0).length;
    const unit = units.bySource ? 'sources' : 'attributed answers';
    a.backends.forEach((b, i) => {
      // a weight of 0 expects nothing; an ambiguous backend's answers went unattributed
      if (b.healthy !== true || b.count > 0 || !inService[i] || b.weight === 0 || ambiguousBackends.has(i) || b.address === null) return;
      const share = b.expectedShare ?? 1 / serving;
      if ((1 - share) ** units.observed >= units.alpha) return;
      const expected = b.expectedShare !== null ? `; expected ${pct(b.expectedShare)}` : '';
      problems.push({ code: 'NEVER_THROUGH_VIP', severity: 'WARNING', subject: b.address, message: `backend ${b.address} answers directly but never through the VIP (0 of ${units.observed} ${unit}${expected})`, counts: { observed: units.observed } });
    });
  }
  if (answered > 0 && a.attributed === 0) {
    const tried = a.choice.tried.map(describeMethod).join(', ');
    notes.push({ code: 'NOT_IDENTIFIABLE', message: `no answer could be attributed to a backend (tried ${tried})`, counts: { answers: answered } });
  } else if (!a.discovered && a.unattributed > 0) {
    const ambiguousMarkers = new Set(a.ambiguous.map((x) => x.marker));
    const foreign = [...a.unknownMarkers].filter(([m, u]) => m !== NO_MARKER_KEY && !ambiguousMarkers.has(m) && (u.statusCode === null || u.statusCode < 500));
    const n = foreign.reduce((s, [, u]) => s + u.count, 0);
    if (n > 0) {
      const shown = foreign.slice(0, 10).map(([m, u]) => `'${clip(m, 40)}' x${u.count}`).join(', ');
      problems.push({ code: 'UNKNOWN_BACKEND', severity: 'WARNING', message: `${n} answers came from backends not among those given (${shown}${foreign.length > 10 ? `, and ${foreign.length - 10} more markers` : ''})`, counts: { answers: n, markers: foreign.length } });
    }
  }
  return { problems, notes };
}

