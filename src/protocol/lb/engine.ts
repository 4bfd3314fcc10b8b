/**
 * Probing a load balancer, the library call behind `netlab lb-probe`: every backend directly
 * (health, latency, its own marker), then N fresh connections through the VIP, each answer
 * attributed to a backend; the observed split tested against the weights (chi-square); the order
 * of answers read for a scheduler hint; with several source addresses, stickiness per source.
 * Returns plain data with a status, the problems found and notes on what could not be judged;
 * never prints, never exits.
 *
 * Memory is bounded whatever the servers send: each probe reads a bounded amount (probe.ts),
 * and of each answer only numbers and interned markers are kept (tally.ts). The run as a whole
 * can be bounded by a deadline, and stopped by the caller's signal: either way what was
 * measured is judged, and the report says what stopped it.
 */
import { setMaxListeners } from 'node:events';
import { NetlabError } from '../../errors.js';
import { formatHostPort } from './addresses.js';
import { probeBackends } from './direct.js';
import { methodsFor } from './identify.js';
import type { ProbeSettings } from './probe.js';
import { buildReport, type ResolvedSettings } from './report.js';
import { DEFAULT_ALPHA, DEFAULT_CONCURRENCY, DEFAULT_REQUESTS, DEFAULT_TIMEOUT_MS, type LbProbeReport, type LbProbeSettings } from './types.js';
import { probeVip } from './vip.js';
import type { Http1Tls } from './http1.js';

function invalid(message: string): NetlabError {
  return new NetlabError('USAGE', message);
}

function wholeAtLeast(value: number, min: number, what: string): number {
  if (!Number.isInteger(value) || value < min) throw invalid(`${what} must be a whole number of at least ${min}, got ${value}`);
  return value;
}

/** The settings with their defaults, checked. Throws NetlabError USAGE. */
function resolve(s: LbProbeSettings): ResolvedSettings & { host: string; timeoutMs: number; identify: NonNullable<LbProbeSettings['identify']>; tls: Http1Tls | null } {
  const backends = s.backends ?? [];
  const weights = s.weights ?? null;
  if (weights) {
    if (weights.length !== backends.length) throw invalid(`${weights.length} weights for ${backends.length} backends: give one weight per backend, in the same order`);
    if (weights.some((w) => !(w >= 0) || !Number.isFinite(w)) || !weights.some((w) => w > 0)) throw invalid('the weights must be numbers >= 0, at least one above 0');
  }
  const alpha = s.alpha ?? DEFAULT_ALPHA;
  if (!(alpha > 0 && alpha < 0.5)) throw invalid(`the significance level must be between 0 and 0.5, got ${alpha}`);
  return {
    vip: s.vip,
    backends,
    weights,
    requests: wholeAtLeast(s.requests ?? DEFAULT_REQUESTS, 1, 'the number of requests'),
    concurrency: wholeAtLeast(s.concurrency ?? DEFAULT_CONCURRENCY, 1, 'the concurrency'),
    mode: s.mode ?? 'http',
    path: s.path ?? '/',
    host: s.host ?? formatHostPort(s.vip),
    identify: s.identify ?? { kind: 'auto' },
    sources: s.sources ?? [],
    sourceRange: s.sourceRange ?? null,
    timeoutMs: wholeAtLeast(s.timeoutMs ?? DEFAULT_TIMEOUT_MS, 1, 'the timeout (ms)'),
    alpha,
    deadlineMs: s.deadlineMs ?? null,
    tls: (s.mode ?? 'http') === 'https' ? tlsOf(s) : null,
    compareMap: s.compareMap ?? null,
    resume: (s.mode ?? 'http') === 'https' && s.tls?.resume === true,
  };
}

/** HTTPS: the server name (the VIP's host name, else the Host header's name, else none: the address is checked), the trust anchors, insecure. */
function tlsOf(s: LbProbeSettings): Http1Tls {
  const hostName = (h: string | undefined) => (h === undefined ? undefined : /^\[?[0-9a-fA-F:.]+\]?(:\d+)?$/.test(h) ? undefined : h.replace(/:\d+$/, ''));
  const servername = s.tls?.servername ?? hostName(s.vip.address) ?? hostName(s.host) ?? s.vip.address;
  return { servername, insecure: s.tls?.insecure === true, ...(s.tls?.ca ? { ca: s.tls.ca } : {}) };
}

/**
 * Probe the load balancer at `settings.vip` and judge how it spreads traffic. Never throws for a
 * broken target (an unreachable VIP, a dead backend, garbage answers: that is in the report);
 * throws NetlabError USAGE for settings that make no sense (weights not one per backend,
 * requests under 1, ...). When `settings.signal` aborts, it returns at once with what was
 * measured, `interrupted: true` and status UNKNOWN.
 */
export async function probeLoadBalancer(settings: LbProbeSettings): Promise<LbProbeReport> {
  const s = resolve(settings);
  const onProgress = settings.onProgress;
  // one stop for the whole run: the deadline, or the caller's signal
  const stop = new AbortController();
  // every probe in flight listens to it: one per backend, then one per concurrent probe
  setMaxListeners(s.backends.length + s.concurrency + 1, stop.signal);
  let stoppedBy: LbProbeReport['stoppedBy'] = null;
  const halt = (by: 'deadline' | 'interrupt') => {
    stoppedBy ??= by;
    stop.abort();
  };
  const onInterrupt = () => halt('interrupt');
  if (settings.signal?.aborted) halt('interrupt');
  else settings.signal?.addEventListener('abort', onInterrupt, { once: true });
  const deadline = s.deadlineMs !== null ? setTimeout(() => halt('deadline'), s.deadlineMs) : undefined;
  try {
    const wire = s.mode === 'tcp' ? 'tcp' : 'http';
    const probeSettings: ProbeSettings = { mode: wire, path: s.path, host: s.host, timeoutMs: s.timeoutMs, methods: methodsFor(s.identify, wire), signal: stop.signal, ...(s.tls ? { tls: s.tls } : {}), ...(s.resume ? { resume: true } : {}) };
    // 1. the backends, directly (all at once; each one's probes in sequence)
    const directs = await probeBackends(s.backends, probeSettings, (done, total) => onProgress?.({ phase: 'backends', done, total }));
    // 2. the VIP, one fresh connection per probe
    const probes = await probeVip(s.vip, probeSettings, {
      requests: s.requests,
      concurrency: s.concurrency,
      sources: s.sources,
      directs,
      onProgress: (done, total) => onProgress?.({ phase: 'vip', done, total }),
    });
    // 3 to 7: attribution, the verdicts, the report
    return buildReport(s, directs, probes, stoppedBy);
  } finally {
    clearTimeout(deadline);
    settings.signal?.removeEventListener('abort', onInterrupt);
  }
}
