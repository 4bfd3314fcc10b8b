/**
 * `netlab trace-request`: where the time of one request goes, per phase, on one or two
 * paths (direct to the origin, through the CDN), sampled cold and interleaved.
 */
import { FILE_LIMITS, readFileBounded } from '../../util/read-bounded.js';
import { pause } from '../../util/pause.js';
import net from 'node:net';
import tls from 'node:tls';
import { fileErrorReason, NetlabError, type Status } from '../../errors.js';
import { parseDnsServer, parseSeconds } from '../args.js';
import { HTTP_LIMITS, timeRequest, type FailureKind, type Phase, type Phases, type SampleFailed, type SampleOk } from '../../protocol/http/timing.js';
import { parsePemBundle } from '../../protocol/tls/certs.js';
import { cacheEvidence, summarise, type CacheEvidence } from '../../protocol/http/cache.js';

export interface TraceRequestOptions {
  url: URL;
  samples: number;
  intervalMs: number;
  origin?: string;
  cdn?: string;
  resolver?: { address: string; port: number };
  ca?: string[];
  originCa?: string[];
  insecure: boolean;
  method: string;
  /** Validated request header fields, names in lower case; repeated names keep every value. */
  headers: Record<string, string | string[]>;
  /** Deadline of each phase as a whole (transfer: the whole body), ms. */
  timeoutMs: number;
  /** Deadline of each request, ms (default 3 x timeoutMs). */
  maxTimeMs: number;
  /** Body bytes read per request at most (default HTTP_LIMITS.maxBodyBytes, 100 MiB). */
  maxBodyBytes: number;
  /** Aborting it stops the run: the samples done so far come back with `interrupted: true`. */
  signal?: AbortSignal;
  /** One throwaway request to ourselves first, so no sample pays Node's first-request cost. */
  warmUp: boolean;
  json: boolean;
}

export interface RawTraceRequestArgs {
  url?: string;
  samples?: string;
  interval?: string;
  origin?: string;
  cdn?: string;
  resolver?: string;
  ca?: string[];
  originCa?: string[];
  insecure?: boolean;
  method?: string;
  header?: string[];
  timeout?: string;
  maxTime?: string;
  maxBody?: string;
  /** commander's --no-warm-up gives warmUp: false */
  warmUp?: boolean;
  json?: boolean;
}

export type LegLabel = 'origin' | 'cdn' | 'resolved';

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
}

export interface PathResult {
  label: LegLabel;
  /** Where the requests went (pinned, or as resolved). */
  address: string;
  port: number;
  samples: number;
  succeeded: number;
  status: number | null;
  httpVersion: string | null;
  tlsVersion: string | null;
  /** Medians over the successful samples. */
  phases: Phases | null;
  p95: Phases | null;
  first: Phases | null;
  /** The first (coldest) sample is more than 25% and 2 ms off the median of the rest. */
  firstDiffers: boolean | null;
  cache: CacheEvidence | null;
  /** The cache verdict of each sample, in order (MISS then HIT shows the cache filling). */
  cacheBySample: Array<CacheEvidence['verdict']>;
  rtt: RttModel | null;
  /** Failed samples: the phase that failed, why, the phases measured before it (and the body bytes read, in transfer). */
  errors: Array<{ sample: number; phase: Phase; kind: FailureKind; error: string; partial: Partial<Phases>; bodyBytes?: number }>;
  verificationOff: boolean;
}

export interface TraceRequestResult {
  url: string;
  status: Status;
  /** Samples asked for per path (each path's `samples` is how many ran). */
  samplesRequested: number;
  /** Stopped by the caller's signal (Ctrl-C): the samples done so far, the one under way dropped; status UNKNOWN. */
  interrupted?: true;
  paths: PathResult[];
  /** Per phase, second path minus first (ms, medians), when there are two. */
  difference: Phases | null;
  problems: Array<{ code: string; severity: 'WARNING' | 'CRITICAL'; message: string }>;
}

function usage(message: string): NetlabError {
  return new NetlabError('USAGE', message);
}

function readCa(files: string[] | undefined, option: string): string[] | undefined {
  if (!files || files.length === 0) return undefined;
  return files.map((f) => {
    let text: string;
    try {
      text = readFileBounded(f, FILE_LIMITS.pem).toString('utf8');
    } catch (e) {
      throw new NetlabError('INPUT', `${option} ${f}: ${fileErrorReason(e)}`, { cause: e });
    }
    // checked now, not at the first handshake: a file of no certificate would fail every
    // request as if the server's certificate were wrong
    if (parsePemBundle(text, `${option} ${f}`).length === 0) {
      throw new NetlabError('INPUT', `${option} ${f}: no certificate in it (expected PEM -----BEGIN CERTIFICATE----- blocks)`);
    }
    return text;
  });
}

/** Control characters shown, not sent to the terminal: `\r`, `\n`, `\x00`. */
function shown(s: string): string {
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => (c === '\r' ? '\\r' : c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

// RFC 9110 5.1: a field name is a token (tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" /
// "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA).
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 5.5: a field value is visible characters, obs-text (0x80-0xFF) and SP/HTAB
// between them; CR, LF and NUL never (a CR LF would start a header of its own).
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/**
 * Header fields netlab refuses, and why. undici refuses Transfer-Encoding, Keep-Alive, Upgrade
 * and Expect itself (lib/core/request.js processHeader), and would fail a Content-Length that
 * no body matches; caught here, they are usage errors before any connection.
 */
const REFUSED_FIELDS: Record<string, string> = {
  'transfer-encoding': 'netlab sends no request body, and the framing of the message is the HTTP client\'s to write',
  'content-length': 'netlab sends no request body, and the framing of the message is the HTTP client\'s to write',
  connection: 'it governs the connection itself (hop by hop, RFC 9110 7.6.1), and netlab opens a new one for each sample and closes it',
  'keep-alive': 'it governs the connection itself (hop by hop, RFC 9110 7.6.1), and netlab opens a new one for each sample and closes it',
  upgrade: 'it asks to switch protocols (RFC 9110 7.8), which a request timing does not follow',
  expect: 'a 100-continue expectation waits to send a request body, and netlab sends none',
};

/** `--header` values -> validated fields, before any connection. Throws USAGE. */
export function parseHeaderFields(raw: string[]): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const h of raw) {
    const i = h.indexOf(':');
    if (i <= 0) throw usage(`--header needs 'Name: value', got '${shown(h)}'`);
    const name = h.slice(0, i);
    if (!FIELD_NAME.test(name)) {
      throw usage(`--header '${shown(h)}': '${shown(name)}' is not a header name (RFC 9110: letters, digits and !#$%&'*+-.^_\`|~, no spaces, nothing before it)`);
    }
    const value = h.slice(i + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!FIELD_VALUE.test(value)) {
      throw usage(`--header '${shown(h)}': the value holds a control character (CR, LF, NUL...) or a character beyond Latin-1, which a header cannot carry`);
    }
    const key = name.toLowerCase();
    const refused = REFUSED_FIELDS[key];
    if (refused) throw usage(`--header '${shown(name)}' is not allowed: ${refused}`);
    const before = headers[key];
    if (before === undefined) headers[key] = value;
    else if (key === 'host') throw usage(`--header 'Host' given twice: a request has one Host`);
    else headers[key] = [...(Array.isArray(before) ? before : [before]), value];
  }
  return headers;
}


const BYTE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Bytes (`1000000`, `100M`, `1GiB`; K, M, G are 1024-based, as curl's) -> a count. Throws USAGE. */
function bytesOption(v: string | undefined, name: string, max: number): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)(?:([kKmMgG])(?:i?B)?)?$/.exec(v);
  const n = m ? Number(m[1]) * BYTE_UNITS[(m[2] ?? '').toLowerCase()]! : NaN;
  if (!m || n < 1 || n > max) throw usage(`${name} needs a size from 1 byte to 1 TiB such as 1000000, 100M or 1G, got '${shown(v)}'`);
  return n;
}

/** Commander's raw values -> validated options. Throws USAGE / INPUT. */
export function parseTraceRequestArgs(raw: RawTraceRequestArgs): TraceRequestOptions {
  if (!raw.url) throw usage('missing URL');
  let url: URL;
  try {
    url = new URL(raw.url);
  } catch {
    throw usage(`'${raw.url}' is not a URL (try https://host/path)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usage(`unsupported scheme '${url.protocol.replace(/:$/, '')}': http and https only`);
  const int = (v: string | undefined, name: string, dflt: number, min: number, max: number) => {
    if (v === undefined) return dflt;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw usage(`${name} needs a whole number from ${min} to ${max}, got '${v}'`);
    return Number(v);
  };
  const address = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const bare = v.replace(/^\[(.*)\]$/, '$1');
    if (!net.isIP(bare)) throw usage(`${name} needs an IP address, got '${v}'`);
    return bare;
  };
  // an empty --resolver is a mistake (an unset variable), not "the system resolver"
  const resolver = raw.resolver !== undefined ? parseDnsServer(raw.resolver, '--resolver') : undefined;
  const headers = parseHeaderFields(raw.header ?? []);
  const timeoutMs = (raw.timeout === undefined ? 10_000 : parseSeconds(raw.timeout, '--timeout', 300));
  const method = (raw.method ?? 'GET').toUpperCase();
  if (!/^[A-Z]+$/.test(method)) throw usage(`--method '${raw.method}' is not an HTTP method`);
  const o: TraceRequestOptions = {
    url,
    samples: int(raw.samples, '--samples', 1, 1, 1000),
    intervalMs: int(raw.interval, '--interval', 0, 0, 60_000),
    insecure: Boolean(raw.insecure),
    method,
    headers,
    timeoutMs,
    maxTimeMs: (raw.maxTime === undefined ? 3 * timeoutMs : parseSeconds(raw.maxTime, '--max-time', 3600)),
    maxBodyBytes: bytesOption(raw.maxBody, '--max-body', 1024 ** 4) ?? HTTP_LIMITS.maxBodyBytes,
    warmUp: raw.warmUp !== false,
    json: Boolean(raw.json),
  };
  const origin = address(raw.origin, '--origin');
  const cdn = address(raw.cdn, '--cdn');
  if (origin) o.origin = origin;
  if (cdn) o.cdn = cdn;
  if (resolver) o.resolver = resolver;
  const ca = readCa(raw.ca, '--ca');
  const originCa = readCa(raw.originCa, '--origin-ca');
  if (ca) o.ca = ca;
  if (originCa) o.originCa = originCa;
  return o;
}

interface Leg {
  label: LegLabel;
  pin?: string;
}

function legsOf(o: TraceRequestOptions): Leg[] {
  if (o.origin && o.cdn) return [{ label: 'origin', pin: o.origin }, { label: 'cdn', pin: o.cdn }];
  if (o.origin) return [{ label: 'origin', pin: o.origin }, { label: 'resolved' }];
  if (o.cdn) return [{ label: 'resolved' }, { label: 'cdn', pin: o.cdn }];
  return [{ label: 'resolved' }];
}

const PHASE_KEYS = ['dnsMs', 'tcpMs', 'tlsMs', 'ttfbMs', 'transferMs', 'totalMs'] as const;

function aggregate(samples: Phases[], pick: 'median' | 'p95'): Phases {
  const out = {} as Phases;
  for (const k of PHASE_KEYS) out[k] = summarise(samples.map((s) => s[k]))[pick];
  return out;
}

/** The course's model: TCP 1 RTT, TLS 1.2 2 RTT (1.3: 1), request 1 RTT, with RTT from the TCP connect. */
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
  const protocolMs = {
    tcpMs: source === 'tls' ? median.tcpMs : rttMs,
    tlsMs: tlsRoundTrips * rttMs,
    requestMs: rttMs,
    totalMs: 0,
  };
  protocolMs.totalMs = median.dnsMs + protocolMs.tcpMs + protocolMs.tlsMs + protocolMs.requestMs;
  return { rttMs, source, tlsRoundTrips, protocolMs, serverMs: Math.max(0, median.ttfbMs - rttMs) };
}

export interface TraceRequestEvent {
  sample: number;
  of: number;
  leg: LegLabel;
}

/** The command line's advice for a failure, by kind (the protocol layer names no option). */
const ADVICE: Partial<Record<FailureKind, string>> = {
  certificate: '; use --ca FILE for a private CA, or --insecure',
  timeout: ' (--timeout, per phase)',
  'max-time': ' (--max-time)',
  'body-limit': '; --max-body raises the limit',
};


/**
 * Run the samples, legs interleaved. Network failures are results; throws only for bad input.
 * When `o.signal` aborts, the sample under way is dropped and the samples done so far come back
 * with `interrupted: true` and status UNKNOWN.
 */
export async function runTraceRequest(o: TraceRequestOptions, onEvent?: (e: TraceRequestEvent) => void): Promise<TraceRequestResult> {
  const legs = legsOf(o);
  const collected = legs.map(() => ({ ok: [] as SampleOk[], failed: [] as Array<{ sample: number; f: SampleFailed }> }));
  if (o.warmUp && !o.signal?.aborted) {
    const { warmUp } = await import('../../protocol/http/warm-up.js');
    await warmUp(o.url.protocol === 'https:', { defaultRoots: !o.ca, signal: o.signal });
  }
  let interrupted = false;
  sampling: for (let i = 0; i < o.samples; i++) {
    for (const [li, leg] of legs.entries()) {
      if (o.signal?.aborted) {
        interrupted = true;
        break sampling;
      }
      onEvent?.({ sample: i + 1, of: o.samples, leg: leg.label });
      // --origin-ca adds to the anchors in force: --ca if given, else Node's default roots
      const ca = leg.label === 'origin' && o.originCa ? [...o.originCa, ...(o.ca ?? tls.rootCertificates)] : o.ca;
      const s = await timeRequest(o.url, {
        pinAddress: leg.pin,
        resolver: o.resolver,
        method: o.method,
        headers: o.headers,
        ca,
        insecure: o.insecure,
        timeoutMs: o.timeoutMs,
        maxTimeMs: o.maxTimeMs,
        maxBodyBytes: o.maxBodyBytes,
        signal: o.signal,
      });
      if (!s.ok && s.kind === 'interrupted') {
        // the sample under way measured nothing whole: dropped, not counted as a failure
        interrupted = true;
        break sampling;
      }
      if (s.ok) collected[li]!.ok.push(s);
      else collected[li]!.failed.push({ sample: i + 1, f: s });
    }
    if (o.intervalMs > 0 && i < o.samples - 1) await pause(o.intervalMs, o.signal);
  }
  const problems: TraceRequestResult['problems'] = [];
  const paths: PathResult[] = legs.map((leg, li) => {
    const { ok, failed } = collected[li]!;
    const phases = ok.map((s) => s.phases);
    const median = phases.length ? aggregate(phases, 'median') : null;
    const last = ok[ok.length - 1];
    let firstDiffers: boolean | null = null;
    if (phases.length >= 3) {
      const rest = summarise(phases.slice(1).map((p) => p.totalMs)).median;
      const d = Math.abs(phases[0]!.totalMs - rest);
      firstDiffers = d > 2 && d > 0.25 * rest;
    }
    const port = Number(o.url.port || (o.url.protocol === 'https:' ? 443 : 80));
    const p: PathResult = {
      label: leg.label,
      address: leg.pin ?? last?.remoteAddress ?? '',
      port,
      samples: ok.length + failed.length,
      succeeded: ok.length,
      status: last?.status ?? null,
      httpVersion: last ? `HTTP/${last.httpVersion}` : null,
      tlsVersion: last?.tlsVersion ?? null,
      phases: median,
      p95: phases.length ? aggregate(phases, 'p95') : null,
      first: phases[0] ?? null,
      firstDiffers,
      cache: last ? cacheEvidence(last.headers) : null,
      cacheBySample: ok.map((s) => cacheEvidence(s.headers).verdict),
      rtt: median ? rttModel(median, last?.tlsVersion ?? null) : null,
      errors: failed.map(({ sample, f }) => ({
        sample,
        phase: f.phase,
        kind: f.kind,
        error: `${f.error}${ADVICE[f.kind] ?? ''}`,
        partial: f.partial,
        ...(f.bodyBytes === undefined ? {} : { bodyBytes: f.bodyBytes }),
      })),
      verificationOff: o.insecure && o.url.protocol === 'https:',
    };
    for (const e of p.errors.slice(0, 1)) {
      const many = p.errors.length > 1 ? ` (${p.errors.length} of ${p.samples} samples failed)` : '';
      problems.push({ code: `${e.phase.toUpperCase()}_FAILED`, severity: 'CRITICAL', message: `${leg.label}: ${e.phase} failed: ${e.error}${many}` });
    }
    const bad = ok.find((s) => s.status >= 400);
    if (bad) problems.push({ code: 'HTTP_ERROR', severity: 'CRITICAL', message: `${leg.label}: HTTP ${bad.status}` });
    return p;
  });
  let difference: Phases | null = null;
  if (paths.length === 2 && paths[0]!.phases && paths[1]!.phases) {
    difference = {} as Phases;
    for (const k of PHASE_KEYS) difference[k] = paths[1]!.phases[k] - paths[0]!.phases[k];
  }
  return {
    url: o.url.toString(),
    // interrupted, the samples asked for were not all taken: nothing is judged whole
    status: interrupted ? 'UNKNOWN' : problems.length > 0 ? 'CRITICAL' : 'OK',
    samplesRequested: o.samples,
    ...(interrupted ? { interrupted: true as const } : {}),
    paths,
    difference,
    problems,
  };
}
