/**
 * The runner of `netlab check` (issue 12): every check of a loaded file, concurrently in one
 * process (at most `concurrency` subcommand runs at a time), each attempt within the check's
 * timeout, the whole run within `deadlineMs`, retries only when a check asks (a retried pass
 * is reported as such), Ctrl-C through `signal`. A check fans out through expandTargets
 * (fanout.ts) into pinned runs, each one outcome; crossCheck adds what they disagree on. Its
 * conditions (expect.ts) add EXPECTATION_FAILED problems at their severity.
 */
import { setMaxListeners } from 'node:events';
import { NetlabError, statusOf, worstOf, type Problem, type Status } from '../errors.js';
import { unwatchAbort, watchAbort } from '../util/abort-watch.js';
import { roundMs } from '../util/round.js';
import { compileCondition, evaluateCondition, type CompiledCondition } from './expect.js';
import { crossCheck, expandTargets, type PinnedRun } from './fanout.js';
import { RunShared, runSubcommand } from './commands.js';
import type { CheckDef, CheckOutcome, CheckRunResult, ChecksConfig } from './model.js';

/** Subcommand runs at a time by default. */
export const DEFAULT_CONCURRENCY = 8;
/** The most `concurrency` may be. */
export const MAX_CONCURRENCY = 256;
/** After its signal aborts, how long an attempt may take to return what it has before it is left behind. */
const ABORT_GRACE_MS = 1500;

export interface RunChecksOptions {
  /** Subcommand runs at a time (default 8, at most 256). */
  concurrency?: number;
  /** The whole run's bound, milliseconds: what has not finished is UNKNOWN (CHECK_TIMEOUT). */
  deadlineMs?: number;
  /** Ctrl-C: what ran is reported, the rest UNKNOWN, `interrupted`. */
  signal?: AbortSignal;
  /** Each outcome as it is final (for progress). */
  onOutcome?: (outcome: CheckOutcome, done: number) => void;
  /**
   * What the runs share (trust stores, resolved servers, the UDP socket pool), kept by the
   * caller over many runs (`netlab exporter`'s probes) and closed by it; default: one for this
   * run, closed at its end.
   */
  shared?: RunShared;
}

/** A bounded number of tasks at a time, in the order they asked. */
class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** Why an attempt's signal fired. */
type Stop = 'timeout' | 'deadline' | 'interrupt' | null;

function problem(code: string, severity: 'WARNING' | 'CRITICAL', message: string): Problem<string> {
  return { code, severity, message };
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** The subcommand's problems and notes, when its result has them (all of netlab's results do). */
function ownProblems(result: unknown): { problems: Array<Problem<string>>; notes: CheckOutcome['notes'] } {
  type Parts = { problems?: unknown; notes?: unknown };
  const r = result as (Parts & { verify?: Parts | null }) | null;
  const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
  // hosts2zone --verify: the server's comparison has its own problems (MISMATCH, NO_ANSWER)
  return {
    problems: [...list<Problem<string>>(r?.problems), ...list<Problem<string>>(r?.verify?.problems)],
    notes: [...list<CheckOutcome['notes'][number]>(r?.notes), ...list<CheckOutcome['notes'][number]>(r?.verify?.notes)],
  };
}

/**
 * Run every check of `config`. Never throws for what a check finds or cannot do: each outcome
 * says it (status, problems, error). The outcomes are in the file's order (fanned-out ones in
 * the order of their addresses).
 */
export async function runChecks(config: ChecksConfig, options: RunChecksOptions = {}): Promise<CheckRunResult> {
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const concurrency = Math.max(1, Math.min(MAX_CONCURRENCY, Math.floor(options.concurrency ?? DEFAULT_CONCURRENCY)));
  const limiter = new Limiter(concurrency);
  const shared = options.shared ?? new RunShared();
  // the run's stop: Ctrl-C or the deadline, whichever first
  const stop = new AbortController();
  // every attempt in flight, and the engines under it, listen on it: no fixed bound to warn at
  setMaxListeners(0, stop.signal);
  let stopReason: Stop = null;
  const onInterrupt = () => {
    stopReason ??= 'interrupt';
    stop.abort();
  };
  // an exporter runs every probe under its one signal: one listener on it for them all
  if (options.signal?.aborted) onInterrupt();
  else if (options.signal) watchAbort(options.signal, onInterrupt);
  const deadline = options.deadlineMs === undefined ? undefined : setTimeout(() => {
    stopReason ??= 'deadline';
    stop.abort();
  }, options.deadlineMs);
  const compiled = new Map<string, CompiledCondition>();
  const conditionsOf = (check: CheckDef) => check.expect.map((c) => {
    const key = `${check.command}\n${c.text}`;
    let got = compiled.get(key);
    if (!got) compiled.set(key, (got = compileCondition(c.text, check.command)));
    return { condition: c, compiled: got };
  });
  let done = 0;
  const final = (o: CheckOutcome) => {
    done++;
    options.onOutcome?.(o, done);
    return o;
  };

  /** An outcome for a run that never started (or could not): status and why. */
  const notRun = (check: CheckDef, address: string | null, status: Status, error: { code: string; message: string }, problems: Array<Problem<string>> = []): CheckOutcome => ({
    name: check.name, command: check.command, address, pos: check.pos, status, problems, notes: [], startedAt: new Date().toISOString(),
    durationMs: 0, attempts: 0, passedOnRetry: false, result: null, error,
  });
  const stopped = (check: CheckDef, address: string | null): CheckOutcome => stopReason === 'deadline'
    ? notRun(check, address, 'UNKNOWN', { code: 'CHECK_TIMEOUT', message: `not finished when the run's deadline (${seconds(options.deadlineMs!)}) passed` })
    : notRun(check, address, 'UNKNOWN', { code: 'INTERRUPTED', message: 'not run: the run was interrupted' });

  /** One attempt of one pinned run: the subcommand, then the conditions. */
  const attempt = async (check: CheckDef, run: PinnedRun): Promise<CheckOutcome> => {
    const t0 = performance.now();
    const attemptStartedAt = new Date().toISOString();
    // the attempt's signal: the run's stop or the check's timeout, whichever first (one
    // controller and a shared watch of the run's signal: AbortSignal.any per attempt cost an
    // exporter more than its metrics, in weak references and listeners)
    const aborter = new AbortController();
    const signal = aborter.signal;
    setMaxListeners(0, signal);
    let why: Stop = null;
    const timer = setTimeout(() => {
      why = 'timeout';
      aborter.abort();
    }, check.timeoutMs);
    const onStop = (): void => aborter.abort();
    if (stop.signal.aborted) onStop();
    else watchAbort(stop.signal, onStop);
    const base = { name: check.name, command: check.command, address: run.address, pos: check.pos, startedAt: attemptStartedAt, attempts: 1, passedOnRetry: false };
    try {
      const work = runSubcommand(check.command, run.argv, { signal, shared });
      // an engine that does not return soon after its signal is left behind (its sockets close with it)
      const gaveUp = new Promise<'gave-up'>((resolve) => {
        let grace: NodeJS.Timeout | undefined;
        const arm = () => {
          grace = setTimeout(() => resolve('gave-up'), ABORT_GRACE_MS);
          grace.unref();
        };
        if (signal.aborted) arm();
        else signal.addEventListener('abort', arm, { once: true });
        // the listener removed when the work ends: Node keeps a signal of AbortSignal.any alive
        // while it has listeners and has not aborted (an exporter's probes grew the heap by it)
        void work.finally(() => {
          clearTimeout(grace);
          signal.removeEventListener('abort', arm);
        }).catch(() => undefined);
      });
      const got = await Promise.race([work, gaveUp]);
      why ??= stop.signal.aborted ? stopReason : null;
      const durationMs = roundMs(performance.now() - t0);
      if (got === 'gave-up') {
        return why === 'timeout'
          ? { ...base, status: 'CRITICAL', problems: [problem('CHECK_TIMEOUT', 'CRITICAL', `did not finish within ${seconds(check.timeoutMs)}`)], notes: [], durationMs, result: null }
          : { ...stopped(check, run.address), startedAt: attemptStartedAt, durationMs, attempts: 1 };
      }
      const { problems, notes } = ownProblems(got.result);
      const all = [...problems];
      if (why === 'timeout') all.push(problem('CHECK_TIMEOUT', 'CRITICAL', `did not finish within ${seconds(check.timeoutMs)}`));
      // conditions are judged on a finished result only
      const finished = !got.interrupted && why === null;
      if (finished) {
        for (const { condition, compiled: c } of conditionsOf(check)) {
          const { holds, actual } = evaluateCondition(c, got.result);
          if (!holds) all.push({ code: 'EXPECTATION_FAILED', severity: condition.severity, message: `expected ${condition.text}, got ${actual}`, subject: condition.text });
        }
      }
      const status = why === 'deadline' || why === 'interrupt' ? 'UNKNOWN' : why === 'timeout' ? 'CRITICAL' : worstOf([got.status, statusOf(all)]);
      const outcome: CheckOutcome = { ...base, status, problems: all, notes, durationMs, result: got.result };
      if (why === 'deadline') outcome.error = { code: 'CHECK_TIMEOUT', message: `not finished when the run's deadline (${seconds(options.deadlineMs!)}) passed` };
      if (why === 'interrupt') outcome.error = { code: 'INTERRUPTED', message: 'interrupted' };
      return outcome;
    } catch (e) {
      const durationMs = roundMs(performance.now() - t0);
      if (e instanceof NetlabError) {
        // bad input at run time (an unreadable CA file) is UNKNOWN; a failure of the target (a name that does not resolve) is CRITICAL
        const error = { code: e.code, message: e.message };
        if (e.status === 'UNKNOWN') return { ...base, status: 'UNKNOWN', problems: [], notes: [], durationMs, result: null, error };
        return { ...base, status: e.status, problems: [problem('CHECK_ERROR', e.status === 'WARNING' ? 'WARNING' : 'CRITICAL', e.message)], notes: [], durationMs, result: null, error };
      }
      const message = e instanceof Error ? e.message : String(e);
      return { ...base, status: 'UNKNOWN', problems: [], notes: [], durationMs, result: null, error: { code: 'INTERNAL', message: `internal error: ${message}` } };
    } finally {
      clearTimeout(timer);
      unwatchAbort(stop.signal, onStop);
    }
  };

  /** One pinned run with its retries. */
  const runPinned = async (check: CheckDef, run: PinnedRun): Promise<CheckOutcome> => {
    let outcome: CheckOutcome | undefined;
    let failedBefore = false;
    for (let n = 0; n <= check.retries; n++) {
      if (stop.signal.aborted) break;
      const next = await limiter.run(() => (stop.signal.aborted ? Promise.resolve(undefined) : attempt(check, run)));
      if (!next) break;
      outcome = { ...next, attempts: n + 1, passedOnRetry: failedBefore && next.status === 'OK' };
      // a retry only after a failure of the target, never after a stop
      if (outcome.status === 'OK' || outcome.error?.code === 'CHECK_TIMEOUT' || outcome.error?.code === 'INTERRUPTED' || stop.signal.aborted) break;
      failedBefore = true;
    }
    return outcome ?? stopped(check, run.address);
  };

  const runCheck = async (check: CheckDef): Promise<CheckOutcome[]> => {
    if (stop.signal.aborted) return [final(stopped(check, null))];
    let runs: PinnedRun[];
    try {
      runs = await expandTargets(check, { signal: stop.signal, timeoutMs: check.timeoutMs });
    } catch (e) {
      if (stop.signal.aborted) return [final(stopped(check, null))];
      const message = e instanceof Error ? e.message : String(e);
      const code = e instanceof NetlabError ? e.code : 'INTERNAL';
      return [final(notRun(check, null, 'CRITICAL', { code, message }, [problem('CHECK_ERROR', 'CRITICAL', message)]))];
    }
    const outcomes = await Promise.all(runs.map((r) => runPinned(check, r)));
    const extra = crossCheck(check, outcomes, runs);
    outcomes.forEach((o, i) => {
      const more = extra[i] ?? [];
      if (more.length === 0) return;
      o.problems.push(...more);
      if (o.status !== 'UNKNOWN') o.status = worstOf([o.status, statusOf(more)]);
    });
    for (const o of outcomes) final(o);
    return outcomes;
  };

  let perCheck: CheckOutcome[][];
  try {
    perCheck = await Promise.all(config.checks.map(runCheck));
  } finally {
    if (deadline) clearTimeout(deadline);
    if (options.signal) unwatchAbort(options.signal, onInterrupt);
    if (!options.shared) await shared.close();
  }
  const checks = perCheck.flat();
  const counts: Record<Status, number> = { OK: 0, WARNING: 0, CRITICAL: 0, UNKNOWN: 0 };
  for (const o of checks) counts[o.status]++;
  const run: CheckRunResult = {
    file: config.file,
    status: stopReason === 'interrupt' ? 'UNKNOWN' : worstOf(checks.map((o) => o.status)),
    startedAt,
    durationMs: roundMs(Date.now() - started),
    counts,
    checks,
  };
  if (stopReason === 'interrupt') run.interrupted = true;
  if (stopReason === 'deadline') run.deadlineHit = true;
  return run;
}
