/**
 * traceRequest(): where the time of one request goes, per phase, on one or two paths (pinned
 * to the origin, pinned to the CDN edge, or as the URL resolves), sampled cold and interleaved,
 * with medians and p95 per phase, the cache evidence, and the RTT model that separates the
 * network's distance from the server's time. The job of `netlab trace-request` as a library
 * call: the command only reads its files and renders the result.
 */
import net from 'node:net';
import tls from 'node:tls';
import { NetlabError, statusOf, type Problem, type Progress, type Status } from '../../errors.js';
import { pause } from '../../util/pause.js';
import { roundMs } from '../../util/round.js';
import { median, percentile } from '../../util/stats.js';
import { pemCertificateCount } from './client-context.js';
import { cacheEvidence, type CacheEvidence } from './cache.js';
import { checkHeaders, checkMethod } from './headers.js';
import { HTTP_LIMITS, timeRequests, type Sample, type TimingOptions, type FailureKind, type Phase, type Phases, type SampleFailed, type SampleOk } from './timing.js';

/** Which path a result is about: pinned to the origin, pinned to the CDN, or the URL's own resolution. */
export type PathLabel = 'origin' | 'cdn' | 'resolved' | (string & {});

/** The codes of trace-request's problems: a phase that failed (on some sample of a path), or an HTTP error status. */
export type TraceProblemCode = 'DNS_FAILED' | 'TCP_FAILED' | 'TLS_FAILED' | 'TTFB_FAILED' | 'TRANSFER_FAILED' | 'HTTP_ERROR' | 'REDIRECT_FAILED';

/** What {@link traceRequest} does; only `url` is required. */
export interface TraceRequestOptions {
  /** An http: or https: URL. */
  url: URL | string;
  /** Pin one path to the origin's IP address (Host and SNI stay the URL's, as curl's --connect-to). */
  origin?: string;
  /** Pin one path to the CDN edge's IP address. */
  cdn?: string;
  /** Resolve with netlab's own DNS client against this server instead of the system resolver. */
  resolver?: { address: string; port: number };
  /** With `origin` or `cdn` alone: also time the URL's own resolution (true). Default false (issue 15: before, true): the pinned path only. */
  resolved?: boolean;
  /** Trust anchors for HTTPS, PEM texts; they replace Node's default roots (as curl's --cacert). */
  ca?: string[];
  /** Extra trust anchors for the origin path only, PEM texts, added to `ca` (or to Node's roots). */
  originCa?: string[];
  /** Do not verify the certificate (said in each path's `verificationOff`). Default false. */
  insecure?: boolean;
  /** HTTP method (letters; upper-cased). Default GET. */
  method?: string;
  /** Request header fields (an array sends the field once per value); checked by checkHeaders. */
  headers?: Record<string, string | string[]>;
  /** Deadline of each phase as a whole (transfer: the whole body), ms. Default 10 000. */
  timeoutMs?: number;
  /** Deadline of each request, ms. Default 3 x timeoutMs. */
  maxTimeMs?: number;
  /** Body bytes read per request at most; past them the sample fails in transfer. Default HTTP_LIMITS.maxBodyBytes (100 MiB). */
  maxBodyBytes?: number;
  /** Cold samples per path (a new connection, no TLS resumption each). Default 1. */
  samples?: number;
  /** Pause between rounds of samples, ms. Default 0. */
  intervalMs?: number;
  /** One throwaway request to a server of netlab's own on 127.0.0.1 first, so no sample pays Node's first-request cost. Default true. */
  warmUp?: boolean;
  /**
   * issue 15: the HTTP version offered over TLS: '2' offers h2 first by ALPN and takes
   * http/1.1 when the server does not offer h2 (curl's default over TLS); '1.1' offers
   * http/1.1 only. Default '2'. Plain http: always HTTP/1.1 (no h2c).
   */
  http?: '1.1' | '2';
  /** issue 15: requests per connection (keep-alive, or h2 streams): the first of each sample opens it, the others reuse it. Default 1. */
  reuse?: number;
  /** issue 15: the first sample of each path a full TLS handshake, every later one resuming the latest session the server gave (needs samples >= 2). Default false. */
  resume?: boolean;
  /** issue 15: resolve the URL's host (A and AAAA) and time each address as its own path, labelled by its address (not with origin or cdn). */
  everyAddress?: boolean;
  /** issue 15: follow up to this many redirects (3xx with Location), as curl -L --max-redirs; each hop timed. Default 0: not followed. */
  follow?: number;
  /** Aborting it stops the run: the samples done so far come back with `interrupted: true`. */
  signal?: AbortSignal;
  /** Called before each sample: `{ phase: 'sample', done: the round under way (1-based), total: samples, detail: the path's label }`. */
  onProgress?: (progress: Progress) => void;
}

/** The course's model of one path at its round-trip time; every time in ms. */
export interface RttModel {
  /** Estimated round-trip time, ms. */
  rttMs: number;
  /** What it was estimated from. */
  source: 'tcp' | 'tls';
  /** Round trips the TLS handshake takes: 2 for TLS 1.2, 1 for TLS 1.3, 0 without TLS. */
  tlsRoundTrips: number;
  /** What the protocol alone costs at that RTT: TCP 1, TLS n, request 1 RTT (plus the dns measured). */
  protocolMs: { tcpMs: number; tlsMs: number; requestMs: number; totalMs: number };
  /** Median ttfb minus one RTT: roughly the server's own time. */
  serverMs: number;
  /** issue 15: the measured median total minus protocolMs.totalMs, never negative (see `overestimateMs`). */
  serverAndOtherMs?: number;
  /** issue 15: by how much the protocol total exceeded the measured total (then serverAndOtherMs is 0), with `note` saying why. */
  overestimateMs?: number;
  /** issue 15: why the model exceeded the measurement (clock granularity, or an RTT estimate above the measured handshake). */
  note?: string;
  /** issue 15: what the same request would cost at this RTT over other protocols (the dns measured plus the round trips). */
  scenarios?: RttScenario[];
}

/** issue 15: one protocol's cost at the path's RTT, computed from the round trips it needs. */
export interface RttScenario {
  /** `h1-tls12`, `h1-tls13`, `h1-resumed`, `reused`, `h3`, `h3-resumed`. */
  name: 'h1-tls12' | 'h1-tls13' | 'h1-resumed' | 'reused' | 'h3' | 'h3-resumed';
  /** In words (HTTP/1.1 and h2 cost the same round trips). */
  description: string;
  /** The round trips, counted: `tcp 1 + tls 2 + req 1`. */
  breakdown: string;
  /** Round trips before the first response byte. */
  roundTrips: number;
  /** dns (as measured; 0 on a reused connection) + roundTrips x RTT, ms. */
  ms: number;
  /** false: Node cannot measure it (QUIC): a model only. */
  measurable: boolean;
}

/** A failed sample: the phase that failed, why, and the phases measured before it. */
export interface SampleError {
  /** Which sample of the path (1-based). */
  sample: number;
  /** issue 15: with `reuse`, which request on the sample's connection (1-based). */
  request?: number;
  phase: Phase;
  kind: FailureKind;
  /** What happened, in words (no command-line advice). */
  error: string;
  /** The phases measured before the one that failed, ms. */
  partial: Partial<Phases>;
  /** Body bytes read, for a failure in transfer. */
  bodyBytes?: number;
}

/** One path's samples, summed up; every time in ms rounded to the microsecond. */
export interface PathResult {
  label: PathLabel;
  /** Where the requests went (pinned, or as resolved); '' when no sample got that far. */
  address: string;
  port: number;
  /** Samples run (those asked for, unless interrupted). */
  samples: number;
  succeeded: number;
  /** HTTP status of the last successful sample. */
  status: number | null;
  httpVersion: string | null;
  tlsVersion: string | null;
  /** Medians over the successful samples (the warm ones when `warmOnly`). */
  phases: Phases | null;
  /** 95th percentiles (nearest rank) over the successful samples (the warm ones when `warmOnly`). */
  p95: Phases | null;
  /** issue 15: `phases` and `p95` leave out the first sample, which differs (`first` has it). */
  warmOnly?: boolean;
  /** The first (coldest) successful sample. */
  first: Phases | null;
  /** The first sample is more than 25% and 2 ms off the median of the rest (null under 3 samples). */
  firstDiffers: boolean | null;
  cache: CacheEvidence | null;
  /** The cache verdict of each sample, in order (MISS then HIT shows the cache filling). */
  cacheBySample: Array<CacheEvidence['verdict']>;
  rtt: RttModel | null;
  /** issue 15: with `resume`: whether each successful sample resumed its TLS session, in order. */
  resumedBySample?: boolean[];
  /** issue 15: with `resume`: full handshakes against resumed ones (medians), and what resuming saved. */
  resumption?: Comparison;
  /** issue 15: with `reuse` over 1: the first request of each connection against the later ones (medians), and what reusing saved. */
  reuse?: Comparison & { requestsPerConnection: number };
  /** issue 15: with `follow`, each hop of the redirect chain (medians over the samples that reached it); the path's phases are then the chain's, summed per sample, as curl -L's. */
  hops?: HopResult[];
  /** Failed samples, in order. */
  errors: SampleError[];
  /** HTTPS with certificate verification off (`insecure`). */
  verificationOff: boolean;
}

/**
 * issue 15: two kinds of request of one path side by side: `base` (a full TLS handshake, or a
 * request opening its connection) and `other` (resumed, or on a reused connection); medians
 * over the successful requests of each kind, and base minus other per phase (null when a kind
 * has none).
 */
export interface Comparison {
  /** Successful requests of each kind. */
  baseCount: number;
  otherCount: number;
  base: Phases | null;
  other: Phases | null;
  /** 95th percentiles of `other`. */
  otherP95: Phases | null;
  /** base minus other, per phase (medians): what resuming or reusing saved. */
  savingMs: Phases | null;
}

/** issue 15: one hop of a redirect chain. */
export interface HopResult {
  url: string;
  /** The status of the hop's last successful sample. */
  status: number;
  /** How many samples reached it. */
  samples: number;
  /** Medians over them. */
  phases: Phases;
}

/** What {@link traceRequest} found: the same document as `netlab trace-request --json`. */
export interface TraceRequestResult {
  url: string;
  /** CRITICAL when a sample failed or a response had a status of 400 or more; UNKNOWN when interrupted. */
  status: Status;
  /** Samples asked for per path (each path's `samples` is how many ran). */
  samplesRequested: number;
  /** Stopped by the caller's signal: the samples done so far, the one under way dropped; status UNKNOWN. */
  interrupted?: true;
  paths: PathResult[];
  /** issue 15: with everyAddress, the addresses found (each a path). */
  addresses?: string[];
  /** Per phase, second path minus first (ms, medians), when there are two. */
  difference: Phases | null;
  /** One per failing path (its first failure, `counts: { failed, samples }`) and per path with an HTTP error (`counts: { httpStatus }`); `subject` is the path's label. */
  problems: Array<Problem<TraceProblemCode>>;
}

const PHASE_KEYS = ['dnsMs', 'tcpMs', 'tlsMs', 'ttfbMs', 'transferMs', 'totalMs'] as const;

/** Round every time of `p` to the microsecond. */
function rounded(p: Phases): Phases {
  const out = {} as Phases;
  for (const k of PHASE_KEYS) out[k] = roundMs(p[k]);
  return out;
}

function aggregate(samples: Phases[], pick: (xs: number[]) => number): Phases {
  const out = {} as Phases;
  for (const k of PHASE_KEYS) out[k] = pick(samples.map((s) => s[k]));
  return rounded(out);
}

/** Under this (ms) a model above the measurement is the clocks' granularity, not a wrong estimate. */
const GRANULARITY_MS = 0.05;

/**
 * The course's model at the path's RTT: TCP 1 RTT, TLS 1.2 2 RTT (1.3: 1), request 1 RTT, with
 * the RTT from the median TCP connect (from the TLS handshake when something nearby answered
 * the TCP handshake). `median` in ms; the result's times in ms, rounded to the microsecond. Pure.
 * "Server and other" (measured total minus the protocol's) is never negative: when the model
 * exceeds the measurement the excess is given apart, with the reason (issue 15).
 */
export function rttModel(median: Phases, tlsVersion: string | null): RttModel {
  const tlsRoundTrips = tlsVersion === null ? 0 : tlsVersion === 'TLSv1.3' ? 1 : 2;
  let rttMs = median.tcpMs;
  let source: RttModel['source'] = 'tcp';
  // A local relay or proxy answers the TCP handshake itself: then the TLS round trips say more.
  if (tlsRoundTrips > 0 && median.tlsMs / tlsRoundTrips > 2 * median.tcpMs + 1) {
    rttMs = median.tlsMs / tlsRoundTrips;
    source = 'tls';
  }
  // When the TCP handshake did not cost the RTT (answered nearby), count what it did cost.
  const tcpMs = source === 'tls' ? median.tcpMs : rttMs;
  const tlsMs = tlsRoundTrips * rttMs;
  const protocolTotal = median.dnsMs + tcpMs + tlsMs + rttMs;
  const rest = median.totalMs - protocolTotal;
  const model: RttModel = {
    rttMs: roundMs(rttMs),
    source,
    tlsRoundTrips,
    protocolMs: { tcpMs: roundMs(tcpMs), tlsMs: roundMs(tlsMs), requestMs: roundMs(rttMs), totalMs: roundMs(protocolTotal) },
    serverMs: roundMs(Math.max(0, median.ttfbMs - rttMs)),
    serverAndOtherMs: roundMs(Math.max(0, rest)),
  };
  if (rest < 0) {
    model.overestimateMs = roundMs(-rest);
    model.note = -rest <= GRANULARITY_MS
      ? 'the model and the measurement differ by less than the clocks\' granularity'
      : source === 'tls'
        ? 'the RTT estimated from the TLS handshake (which includes the server\'s key exchange and signing) is above what the request itself took: the model overestimates'
        : 'the RTT estimated from the TCP connect is above what the handshake and request took (a median of noisy loopback times): the model overestimates';
  }
  model.scenarios = rttScenarios(median.dnsMs, rttMs);
  return model;
}

/**
 * issue 15: the course's table generalised: what the request costs before its first byte, at
 * `rttMs`, over HTTP/1.1 with TLS 1.2, TLS 1.3, a resumed session, a reused connection, and
 * QUIC (HTTP/3, a model: Node cannot speak QUIC). Pure.
 */
export function rttScenarios(dnsMs: number, rttMs: number): RttScenario[] {
  const row = (name: RttScenario['name'], description: string, breakdown: string, roundTrips: number, dns: number, measurable = true): RttScenario => ({
    name, description, breakdown, roundTrips, ms: roundMs(dns + roundTrips * rttMs), measurable,
  });
  return [
    row('h1-tls12', 'TLS 1.2 full handshake', 'tcp 1 + tls 2 + req 1', 4, dnsMs),
    row('h1-tls13', 'TLS 1.3 full handshake', 'tcp 1 + tls 1 + req 1', 3, dnsMs),
    row('h1-resumed', 'TLS resumed (1.2 ticket, 1.3 PSK)', 'tcp 1 + tls 1 + req 1', 3, dnsMs),
    row('reused', 'reused connection', 'req 1', 1, 0),
    row('h3', 'QUIC, HTTP/3 (model)', 'quic+tls 1 + req 1', 2, dnsMs, false),
    row('h3-resumed', 'QUIC 0-RTT resumed (model)', 'req 1', 1, dnsMs, false),
  ];
}

function usage(message: string): NetlabError {
  return new NetlabError('USAGE', message);
}

/** The options checked, with their defaults: what the run uses. */
interface Plan {
  url: URL;
  /** Mutable for everyAddress: the addresses found become the paths. */
  paths: Array<{ label: PathLabel; pin?: string }>;
  samples: number;
  intervalMs: number;
  method: string;
  headers: Record<string, string | string[]>;
  timeoutMs: number;
  maxTimeMs: number;
  maxBodyBytes: number;
  http2: boolean;
  reuse: number;
  resume: boolean;
  everyAddress: boolean;
  follow: number;
}

function whole(v: number | undefined, name: string, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v < min) throw usage(`${name} must be a whole number of at least ${min}, got ${v}`);
  return v;
}

function address(v: string | undefined, name: string): string | undefined {
  if (v === undefined) return undefined;
  if (!net.isIP(v)) throw usage(`${name} must be an IP address, got '${v}'`);
  return v;
}

function resumeOption(o: TraceRequestOptions, url: URL): boolean {
  if (o.http !== undefined && o.http !== '1.1' && o.http !== '2') throw usage(`http must be '1.1' or '2', got '${String(o.http)}'`);
  if (!o.resume) return false;
  if (url.protocol !== 'https:') throw usage('resume needs an https URL: there is no TLS session to resume over http');
  if ((o.samples ?? 1) < 2) throw usage('resume needs samples of 2 or more: the first is the full handshake, the others resume it');
  return true;
}

function everyAddressOption(o: TraceRequestOptions, origin: string | undefined, cdn: string | undefined): boolean {
  if (!o.everyAddress) return false;
  if (origin || cdn) throw usage('everyAddress pins each address itself: leave out origin and cdn');
  if (o.resolved !== undefined) throw usage('everyAddress times every address of the name: resolved does not apply');
  if ((o.reuse ?? 1) > 1 && o.follow) throw usage('reuse and follow do not go together');
  return true;
}

function plan(o: TraceRequestOptions): Plan {
  if ((o.reuse ?? 1) > 1 && (o.follow ?? 0) > 0) throw usage('reuse and follow do not go together: a redirect may leave the connection');
  let url: URL;
  try {
    url = typeof o.url === 'string' ? new URL(o.url) : new URL(o.url.href);
  } catch {
    throw usage(`'${String(o.url)}' is not a URL (try https://host/path)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usage(`unsupported scheme '${url.protocol.replace(/:$/, '')}': http and https only`);
  const method = checkMethod((o.method ?? 'GET').toUpperCase());
  for (const [name, texts] of [['ca', o.ca], ['originCa', o.originCa]] as const) {
    // checked now, not at the first handshake: a text of no certificate would fail every
    // request as if the server's certificate were wrong
    texts?.forEach((text, i) => {
      if (pemCertificateCount(text, `${name}[${i}]`) === 0) throw new NetlabError('INPUT', `${name}[${i}]: no certificate in it (expected PEM certificate blocks)`);
    });
  }
  const timeoutMs = whole(o.timeoutMs, 'timeoutMs', 10_000, 1);
  const origin = address(o.origin, 'origin');
  const cdn = address(o.cdn, 'cdn');
  if (o.resolved === false && !origin && !cdn) throw usage('resolved: false needs a pinned path (origin or cdn)');
  // issue 15: one pinned path alone is timed alone; the URL's own resolution only when asked
  const resolved: Plan['paths'] = o.resolved === true ? [{ label: 'resolved' }] : [];
  const paths: Plan['paths'] = origin && cdn ? [{ label: 'origin', pin: origin }, { label: 'cdn', pin: cdn }]
    : origin ? [{ label: 'origin', pin: origin }, ...resolved]
    : cdn ? [...resolved, { label: 'cdn', pin: cdn }]
    : [{ label: 'resolved' }];
  if (o.intervalMs !== undefined && !(Number.isFinite(o.intervalMs) && o.intervalMs >= 0)) throw usage(`intervalMs must be 0 or more, got ${o.intervalMs}`);
  return {
    url,
    paths,
    samples: whole(o.samples, 'samples', 1, 1),
    intervalMs: o.intervalMs ?? 0,
    method,
    headers: checkHeaders(o.headers ?? {}),
    timeoutMs,
    maxTimeMs: whole(o.maxTimeMs, 'maxTimeMs', 3 * timeoutMs, 1),
    maxBodyBytes: whole(o.maxBodyBytes, 'maxBodyBytes', HTTP_LIMITS.maxBodyBytes, 1),
    http2: (o.http ?? '2') === '2',
    reuse: whole(o.reuse, 'reuse', 1, 1),
    resume: resumeOption(o, url),
    everyAddress: everyAddressOption(o, origin, cdn),
    follow: whole(o.follow, 'follow', 0, 0),
  };
}

/** issue 15: two kinds of request side by side (medians) and what the second saved. */
function compare(base: SampleOk[], other: SampleOk[]): Comparison {
  const b = base.length ? aggregate(base.map((s) => s.phases), median) : null;
  const o = other.length ? aggregate(other.map((s) => s.phases), median) : null;
  let savingMs: Phases | null = null;
  if (b && o) {
    savingMs = {} as Phases;
    for (const k of PHASE_KEYS) savingMs[k] = roundMs(b[k] - o[k]);
  }
  return {
    baseCount: base.length,
    otherCount: other.length,
    base: b,
    other: o,
    otherP95: other.length ? aggregate(other.map((s) => s.phases), (xs) => percentile(xs, 95)) : null,
    savingMs,
  };
}

/** One path's samples -> its result, and its problems. */
function summarisePath(label: PathLabel, pin: string | undefined, everyOk: SampleOk[], failed: Array<{ sample: number; request?: number; f: SampleFailed }>, o: TraceRequestOptions, url: URL, p: Plan): { path: PathResult; problems: Array<Problem<TraceProblemCode>> } {
  // the samples proper: each connection's first request; the later ones are the reuse's
  const ok = everyOk.filter((s) => !s.reusedConnection);
  const all = ok.map((s) => s.phases);
  const last = ok[ok.length - 1];
  let firstDiffers: boolean | null = null;
  if (all.length >= 3) {
    const rest = median(all.slice(1).map((p) => p.totalMs));
    const d = Math.abs(all[0]!.totalMs - rest);
    firstDiffers = d > 2 && d > 0.25 * rest;
  }
  // issue 15: a first (cold) sample that differs is reported apart, not in the warm statistics
  const phases = firstDiffers ? all.slice(1) : all;
  const mid = phases.length ? aggregate(phases, median) : null;
  const path: PathResult = {
    label,
    address: pin ?? last?.remoteAddress ?? '',
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    // a sample is a connection: a failure of a later request on it does not make it another
    samples: ok.length + failed.filter((f) => (f.request ?? 1) === 1).length,
    succeeded: ok.length,
    status: last?.status ?? null,
    httpVersion: last ? `HTTP/${last.httpVersion}` : null,
    tlsVersion: last?.tlsVersion ?? null,
    phases: mid,
    p95: phases.length ? aggregate(phases, (xs) => percentile(xs, 95)) : null,
    ...(firstDiffers ? { warmOnly: true } : {}),
    first: all[0] ? rounded(all[0]) : null,
    firstDiffers,
    cache: last ? cacheEvidence(last.headers) : null,
    cacheBySample: ok.map((s) => cacheEvidence(s.headers).verdict),
    rtt: mid ? rttModel(mid, last?.tlsVersion ?? null) : null,
    ...(p.resume ? { resumedBySample: ok.map((s) => s.resumed), resumption: compare(ok.filter((s) => !s.resumed), ok.filter((s) => s.resumed)) } : {}),
    ...(p.reuse > 1 ? { reuse: { requestsPerConnection: p.reuse, ...compare(ok, everyOk.filter((s) => s.reusedConnection)) } } : {}),
    errors: failed.map(({ sample, request, f }) => ({
      sample,
      ...(request === undefined ? {} : { request }),
      phase: f.phase,
      kind: f.kind,
      error: f.error,
      partial: f.partial,
      ...(f.bodyBytes === undefined ? {} : { bodyBytes: f.bodyBytes }),
    })),
    verificationOff: Boolean(o.insecure) && url.protocol === 'https:',
  };
  const problems: Array<Problem<TraceProblemCode>> = [];
  const e = path.errors[0];
  if (e) {
    const many = path.errors.length > 1 ? ` (${path.errors.length} of ${path.samples} samples failed)` : '';
    problems.push({
      code: e.kind === 'redirect' ? 'REDIRECT_FAILED' : `${e.phase.toUpperCase() as Uppercase<Phase>}_FAILED`,
      severity: 'CRITICAL',
      message: e.kind === 'redirect' ? `${label}: ${e.error}${many}` : `${label}: ${e.phase} failed: ${e.error}${many}`,
      subject: label,
      counts: { failed: path.errors.length, samples: path.samples },
    });
  }
  const bad = ok.find((s) => s.status >= 400);
  if (bad) problems.push({ code: 'HTTP_ERROR', severity: 'CRITICAL', message: `${label}: HTTP ${bad.status}`, subject: label, counts: { httpStatus: bad.status } });
  return { path, problems };
}

/** issue 15: one hop of a sample's redirect chain. */
interface Hop {
  url: string;
  status: number;
  phases: Phases;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * One sample of a path: `timeRequests` on the URL; with `follow`, each redirect followed
 * (a new connection each, as curl -L on another host; the pin kept for the URL's own host and
 * port), the hops pushed on `chain`, and one sample made of their sum (the final hop's status
 * and headers). A loop or more than `follow` redirects fails the sample, naming the chain.
 */
async function sampleOf(p: Plan, pin: string | undefined, chain: Hop[], o: Omit<TimingOptions, 'pinAddress' | 'http2' | 'requests'>): Promise<Sample[]> {
  const base = { ...o, http2: p.http2, requests: p.reuse };
  if (p.follow === 0) return timeRequests(p.url, { ...base, ...(pin ? { pinAddress: pin } : {}) });
  let url = p.url;
  const seen = [url.href];
  const oks: SampleOk[] = [];
  const sum = (last: SampleOk): SampleOk => {
    const phases = {} as Phases;
    for (const k of PHASE_KEYS) phases[k] = roundMs(oks.reduce((t, s) => t + s.phases[k], 0));
    return { ...last, phases };
  };
  const fail = (error: string): SampleFailed => ({ ok: false, phase: 'ttfb', kind: 'redirect', error, partial: oks.length ? sum(oks[oks.length - 1]!).phases : {} });
  for (;;) {
    const sameOrigin = url.host === p.url.host && url.protocol === p.url.protocol;
    const [s] = await timeRequests(url, { ...base, ...(pin && sameOrigin ? { pinAddress: pin } : {}), ...(oks.length > 0 ? { session: undefined } : {}) });
    if (!s || !s.ok) return [s ?? fail('no sample')];
    oks.push(s);
    chain.push({ url: url.href, status: s.status, phases: s.phases });
    const location = s.headers.location;
    if (!REDIRECTS.has(s.status) || !location) return [sum(s)];
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      return [fail(`bad Location '${location.slice(0, 200)}' in the ${s.status} of ${url.href}`)];
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') return [fail(`redirect to an unsupported scheme: ${next.href.slice(0, 200)}`)];
    if (seen.includes(next.href)) return [fail(`redirect loop: ${[...seen, next.href].join(' -> ')}`)];
    if (oks.length > p.follow) return [fail(`more than ${p.follow} redirects: ${[...seen, next.href].join(' -> ')}`)];
    seen.push(next.href);
    url = next;
  }
}

/** issue 15: the hops of every sample's chain -> each hop's medians (hop i over the samples that reached it). */
function hopResults(chains: Hop[][]): HopResult[] {
  const out: HopResult[] = [];
  const longest = Math.max(0, ...chains.map((c) => c.length));
  for (let i = 0; i < longest; i++) {
    const at = chains.map((c) => c[i]).filter((h): h is Hop => h !== undefined);
    const last = at[at.length - 1]!;
    out.push({ url: last.url, status: last.status, samples: at.length, phases: aggregate(at.map((h) => h.phases), median) });
  }
  return out;
}

/**
 * Time `options.url` phase by phase, `samples` cold samples per path, the paths interleaved
 * round by round. Failed samples, error statuses and unreachable servers are results (status
 * CRITICAL), never throws; an abort of `signal` drops the sample under way and returns the
 * samples done so far with `interrupted: true` and status UNKNOWN.
 * @throws NetlabError USAGE for a bad URL, scheme, method, header, pin or number; INPUT for a
 * `ca`/`originCa` text with no certificate. All before any connection.
 */
export async function traceRequest(options: TraceRequestOptions): Promise<TraceRequestResult> {
  const p = plan(options);
  const { signal } = options;
  let addresses: string[] | undefined;
  if (p.everyAddress) {
    // issue 15: each address its own path; a name that does not resolve is timed as it
    // resolves, so that the failure is the dns phase's, with its words
    const host = p.url.hostname.replace(/^\[(.*)\]$/, '$1');
    try {
      const { resolveAll, MAX_ADDRESSES } = await import('./addresses.js');
      addresses = (await resolveAll(host, options.resolver, signal)).slice(0, MAX_ADDRESSES);
      p.paths = addresses.map((a) => ({ label: a, pin: a }));
    } catch {
      p.paths = [{ label: 'resolved' }];
    }
  }
  const collected = p.paths.map(() => ({
    ok: [] as SampleOk[],
    failed: [] as Array<{ sample: number; request?: number; f: SampleFailed }>,
    session: undefined as Buffer | undefined,
    chains: [] as Hop[][],
  }));
  if (options.warmUp !== false && !signal?.aborted) {
    const { warmUp } = await import('./warm-up.js');
    await warmUp(p.url.protocol === 'https:', { defaultRoots: !options.ca, signal, http2: p.http2 });
  }
  let interrupted = false;
  sampling: for (let i = 0; i < p.samples; i++) {
    for (const [pi, path] of p.paths.entries()) {
      if (signal?.aborted) {
        interrupted = true;
        break sampling;
      }
      options.onProgress?.({ phase: 'sample', done: i + 1, total: p.samples, detail: path.label });
      // originCa adds to the anchors in force: ca if given, else Node's default roots
      const ca = path.label === 'origin' && options.originCa ? [...options.originCa, ...(options.ca ?? tls.rootCertificates)] : options.ca;
      const c = collected[pi]!;
      const chain: Hop[] = [];
      const got = await sampleOf(p, path.pin, chain, {
        // issue 15: the first sample a full handshake, the later ones resume the latest session
        ...(p.resume && i > 0 && c.session ? { session: c.session } : {}),
        resolver: options.resolver,
        method: p.method,
        headers: p.headers,
        ca,
        insecure: options.insecure,
        timeoutMs: p.timeoutMs,
        maxTimeMs: p.maxTimeMs,
        maxBodyBytes: p.maxBodyBytes,
        signal,
      });
      if (p.follow > 0 && chain.length > 0) c.chains.push(chain);
      for (const [ri, s] of got.entries()) {
        if (!s.ok && s.kind === 'interrupted') {
          // the sample under way measured nothing whole: dropped, not counted as a failure
          interrupted = true;
          break sampling;
        }
        if (s.ok) {
          c.ok.push(s);
          if (s.tlsSession) c.session = s.tlsSession;
        } else c.failed.push({ sample: i + 1, ...(p.reuse > 1 ? { request: ri + 1 } : {}), f: s });
      }
    }
    if (p.intervalMs > 0 && i < p.samples - 1) await pause(p.intervalMs, signal);
  }
  const problems: Array<Problem<TraceProblemCode>> = [];
  const paths = p.paths.map((path, pi) => {
    const r = summarisePath(path.label, path.pin, collected[pi]!.ok, collected[pi]!.failed, options, p.url, p);
    if (p.follow > 0) r.path.hops = hopResults(collected[pi]!.chains);
    problems.push(...r.problems);
    return r.path;
  });
  let difference: Phases | null = null;
  if (paths.length === 2 && paths[0]!.phases && paths[1]!.phases) {
    difference = {} as Phases;
    for (const k of PHASE_KEYS) difference[k] = roundMs(paths[1]!.phases[k] - paths[0]!.phases[k]);
  }
  return {
    url: p.url.toString(),
    // interrupted, the samples asked for were not all taken: nothing is judged whole
    status: statusOf(problems, { interrupted }),
    samplesRequested: p.samples,
    ...(interrupted ? { interrupted: true as const } : {}),
    ...(addresses ? { addresses } : {}),
    paths,
    difference,
    problems,
  };
}
