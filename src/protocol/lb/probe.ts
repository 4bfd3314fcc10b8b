/**
 * One probe = one fresh connection: L4 balancers choose a backend per connection, so a reused
 * connection would measure the client's pool, not the balancer. HTTP and HTTPS probes go through
 * lb-probe's own client (http1.ts: `Connection: close`, a new socket per probe); TCP probes
 * read the banner the server sends first (SMTP 220, SSH-2.0, ...). Both bound every wait by `timeoutMs` and never throw: a
 * failure is an answer with `ok: false` and the reason.
 *
 * What one probe reads is bounded too: a header block of at most MAX_HEADER_BYTES (a longer one
 * fails the probe, saying so), a body of at most MAX_BODY_BYTES (hashed, then the connection is
 * closed), a banner of its first line, at most MAX_BANNER_BYTES. Only the markers of the
 * candidate methods leave the probe, never the other headers or the body.
 */
import { mulberry32 } from '../../util/prng.js';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { http1Get, loadTls, requestBytes, type Http1Tls, type PeerCertificate } from './http1.js';
import { socketErrorReason } from '../../util/net-errors.js';
import type { HostPort } from './addresses.js';
import { firstLine, httpMarkers, MAX_BODY_BYTES, MAX_MARKER_CHARS, type MethodId } from './identify.js';

/**
 * Why a probe failed. NOT_HTTP and TOO_LARGE: the server answered, but with bytes that are not
 * HTTP, or with a header block over MAX_HEADER_BYTES. CUT: the run was stopped (deadline,
 * interrupt) while the probe was in flight; such a probe is not counted.
 */
export type ProbeErrorCode = 'REFUSED' | 'TIMEOUT' | 'RESET' | 'NO_SOURCE' | 'HTTP_ERROR' | 'NOT_HTTP' | 'TOO_LARGE' | 'TLS' | 'CUT' | 'OTHER';

/** The largest HTTP header block read (status line and headers); a larger one fails the probe. */
export { MAX_HEADER_BYTES } from './http1.js';

/** What one probe found: an answer (its status, markers, first line, latency) or why there was none. */
export interface ProbeAnswer {
  /** Answered at all (an HTTP status of any kind, or a banner line). */
  ok: boolean;
  /** Local address the probe was bound to; null for the system's choice. */
  source: string | null;
  /** Connect to end of answer, ms. */
  latencyMs: number;
  /** HTTP status; null in TCP mode or on failure. */
  statusCode: number | null;
  /** Per identification method, what this answer says (empty on failure). */
  markers: Record<MethodId, string>;
  /** First line of the body or banner, for people. */
  snippet: string;
  errorCode?: ProbeErrorCode;
  error?: string;
  /** HTTPS: the certificate the server sent (null: none came); absent for plain HTTP and TCP. */
  certificate?: PeerCertificate | null;
  /** HTTPS with `resume`: whether the TLS session of an earlier probe was resumed. */
  resumed?: boolean;
}

/** How every probe of a run is made (mode, request, timeout, the markers kept) and what stops it. */
export interface ProbeSettings {
  mode: 'http' | 'tcp';
  /** HTTP: request path. */
  path: string;
  /** HTTP: Host header. */
  host: string;
  timeoutMs: number;
  /** The identification methods whose markers each answer gives (the others are not kept). */
  methods: readonly MethodId[];
  /** Stops every probe in flight (its answer: ok false, errorCode CUT) and every probe not yet started. */
  signal?: AbortSignal;
  /** HTTPS: the TLS of every HTTP probe (a target with its own scheme overrides it). */
  tls?: Http1Tls;
  /** HTTPS: resume each worker's last TLS session (default: a full handshake every probe). */
  resume?: boolean;
}

const USER_AGENT = 'netlab-lb-probe';

function failed(source: string | null, startedAt: number, errorCode: ProbeErrorCode, error: string): ProbeAnswer {
  return { ok: false, source, latencyMs: performance.now() - startedAt, statusCode: null, markers: {}, snippet: '', errorCode, error };
}

/** The answer of a probe the run's signal stopped: not counted, not a failure of the target. */
export function cut(source: string | null, startedAt: number): ProbeAnswer {
  return failed(source, startedAt, 'CUT', 'stopped before the answer');
}

/** A socket error of a TCP probe -> our code and a few words without the target (the report says which VIP or backend). */
export function describeProbeError(e: unknown, timeoutMs: number): { code: ProbeErrorCode; message: string } {
  const code = (e as NodeJS.ErrnoException)?.code ?? '';
  if (code === 'ETIMEDOUT') return { code: 'TIMEOUT', message: `no answer within ${timeoutMs} ms` };
  const reason = socketErrorReason(e);
  if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return { code: 'REFUSED', message: reason };
  if (code === 'EADDRNOTAVAIL') return { code: 'NO_SOURCE', message: `cannot bind the source address: ${reason}` };
  if (code === 'ECONNRESET' || code === 'EPIPE') return { code: 'RESET', message: `${reason} before an answer` };
  return { code: 'OTHER', message: reason };
}

/** What one HTTP probe sends and keeps, the same for every probe of a run (its bytes built once). */
export class HttpProber {
  private readonly bytes: Buffer;
  /** HTTPS with `resume`: the last session this worker got, and its certificate. */
  private session?: { session: Buffer; certificate: PeerCertificate };

  constructor(private readonly target: HostPort, private readonly settings: ProbeSettings) {
    this.bytes = requestBytes({ path: settings.path, hostHeader: settings.host, userAgent: USER_AGENT });
  }

  /** One GET on a new connection from `source` (TLS when the settings say so). Never throws. */
  async probe(source: string | null): Promise<ProbeAnswer> {
    const startedAt = performance.now();
    const { signal, timeoutMs } = this.settings;
    if (signal?.aborted) return cut(source, startedAt);
    const tlsSettings = this.target.scheme === 'http' ? undefined : this.target.scheme === 'https' ? this.settings.tls ?? { servername: this.target.address, insecure: false } : this.settings.tls;
    const tlsLib = tlsSettings ? await loadTls() : undefined;
    const resume = tlsSettings && this.settings.resume && this.session ? { ...tlsSettings, resume: this.session } : tlsSettings;
    const r = await http1Get({
      host: this.target.address,
      port: this.target.port,
      localAddress: source,
      path: this.settings.path,
      hostHeader: this.settings.host,
      userAgent: USER_AGENT,
      timeoutMs,
      maxBody: this.settings.methods.includes('body') ? MAX_BODY_BYTES : 512,
      tls: resume,
      signal,
    }, tlsLib, this.bytes);
    const certificate = r.certificate;
    if (this.settings.resume && r.session && certificate) this.session = { session: r.session, certificate };
    if (!r.ok) {
      if (r.code === 'CUT') return cut(source, startedAt);
      const answer = failed(source, startedAt, r.code, r.message);
      return tlsSettings ? { ...answer, ...this.tlsExtra(certificate, r.resumed) } : answer;
    }
    const answer: ProbeAnswer = {
      ok: true,
      source,
      latencyMs: performance.now() - startedAt,
      statusCode: r.statusCode,
      markers: httpMarkers(r.headers, r.body, this.settings.methods),
      snippet: firstLine(r.body),
    };
    // plain HTTP: no TLS fields to spread (this runs for every probe)
    return tlsSettings ? { ...answer, ...this.tlsExtra(certificate, r.resumed) } : answer;
  }

  /** HTTPS: the fields a TLS probe's answer adds. */
  private tlsExtra(certificate: PeerCertificate | null, resumed: boolean | undefined): Pick<ProbeAnswer, 'certificate' | 'resumed'> {
    return { certificate, ...(this.settings.resume ? { resumed: resumed === true } : {}) };
  }

  /** Nothing to close: every probe's socket is gone when it answers. */
  async close(): Promise<void> {}
}

/** One HTTP GET on a new connection. Never throws. */
export function probeHttp(target: HostPort, settings: ProbeSettings, source: string | null): Promise<ProbeAnswer> {
  return new HttpProber(target, settings).probe(source);
}

/**
 * The most of a banner read: its first line, cut to this many bytes. The marker is then the
 * same however TCP splits the banner into segments (one read of 64 KiB or 1 byte at a time).
 */
export const MAX_BANNER_BYTES = MAX_MARKER_CHARS;

/** The first line of `data` (up to LF, without CR, trimmed), at most MAX_BANNER_BYTES of it. */
export function bannerLine(data: Buffer): string {
  const lf = data.indexOf(0x0a);
  return data.subarray(0, Math.min(lf < 0 ? data.length : lf, MAX_BANNER_BYTES)).toString('latin1').trim();
}

/** One TCP connection, reading the first line the server sends (at most MAX_BANNER_BYTES). Never throws. */
export function probeBanner(target: HostPort, settings: ProbeSettings, source: string | null): Promise<ProbeAnswer> {
  const startedAt = performance.now();
  const signal = settings.signal;
  if (signal?.aborted) return Promise.resolve(cut(source, startedAt));
  return new Promise((resolve) => {
    let data = Buffer.alloc(0);
    let settled = false;
    let connected = false;
    const socket = net.connect({ host: target.address, port: target.port, ...(source ? { localAddress: source } : {}) });
    const finish = (answer: ProbeAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(answer);
    };
    const onAbort = (): void => finish(cut(source, startedAt));
    signal?.addEventListener('abort', onAbort, { once: true });
    const fromBanner = (): void => {
      const line = bannerLine(data);
      if (line === '') {
        finish(failed(source, startedAt, 'RESET', 'closed the connection without a banner'));
        return;
      }
      finish({ ok: true, source, latencyMs: performance.now() - startedAt, statusCode: null, markers: { banner: line }, snippet: firstLine(line) });
    };
    const timer = setTimeout(() => {
      if (data.length > 0) fromBanner();
      else finish(failed(source, startedAt, 'TIMEOUT', connected ? `sent no banner within ${settings.timeoutMs} ms` : `no connection within ${settings.timeoutMs} ms`));
    }, settings.timeoutMs);
    socket.on('connect', () => (connected = true));
    socket.on('data', (chunk: Buffer) => {
      // keep no more than the first line can use: a 10 MB banner costs 1 KiB
      if (data.length < MAX_BANNER_BYTES) data = Buffer.concat([data, chunk.subarray(0, MAX_BANNER_BYTES - data.length)]);
      if (data.includes(0x0a) || data.length >= MAX_BANNER_BYTES) fromBanner();
    });
    socket.on('end', () => fromBanner());
    socket.on('close', () => {
      if (!settled) fromBanner();
    });
    socket.on('error', (e) => {
      if (data.length > 0) return fromBanner();
      const d = describeProbeError(e, settings.timeoutMs);
      finish(failed(source, startedAt, d.code, d.message));
    });
  });
}

/** One probe of `target` in the settings' mode, bound to `source` (null: the system's choice). Never throws. */
export function probeOnce(target: HostPort, settings: ProbeSettings, source: string | null): Promise<ProbeAnswer> {
  return settings.mode === 'tcp' ? probeBanner(target, settings, source) : probeHttp(target, settings, source);
}

/** Deterministic PRNG, so that a run's source order can be repeated. */
export { mulberry32 };

/**
 * The source of each of `count` probes: every source once per pass, the first pass in order,
 * later passes shuffled (seeded) so that a round-robin balancer cannot line up with the sources
 * and look sticky.
 */
export function sourceSchedule(sources: string[], count: number, seed = 1): Array<string | null> {
  if (sources.length === 0) return Array.from({ length: count }, () => null);
  const out: string[] = [];
  const rnd = mulberry32(seed);
  for (let pass = 0; out.length < count; pass++) {
    const order = [...sources];
    if (pass > 0) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    }
    out.push(...order.slice(0, count - out.length));
  }
  return out;
}

/** A run of probes through one target: how many, how many at a time, from which sources, and where the answers go. */
export interface ProbeRunOptions {
  count: number;
  concurrency: number;
  sources: Array<string | null>;
  /** Stop when this many probes in a row failed from the start, before any answered. */
  failFastAfter: number;
  /** Each answer as it comes, with the index of its probe (the order probes were started). Not called for a CUT probe. */
  onAnswer: (index: number, answer: ProbeAnswer) => void;
  onProgress?: (done: number, of: number) => void;
}

/**
 * Send `count` probes through `target`, at most `concurrency` at a time, each with its source
 * from `sources`, and hand each answer to `onAnswer` with its probe's index (the order the
 * balancer saw them, exactly with concurrency 1); nothing is kept here. A VIP that answers none
 * of the first `failFastAfter` is not probed further: the rest are not sent. When
 * `settings.signal` aborts, no probe is started and those in flight end at once, uncounted.
 * Returns how many probes were answered or failed (counted).
 */
export async function runProbes(target: HostPort, settings: ProbeSettings, options: ProbeRunOptions): Promise<number> {
  let next = 0;
  let done = 0;
  let anyOk = false;
  let failuresFromStart = 0;
  let stop = false;
  const worker = async (): Promise<void> => {
    const http = settings.mode === 'http' ? new HttpProber(target, settings) : undefined;
    try {
      while (!stop && !settings.signal?.aborted && next < options.count) {
        const i = next++;
        const source = options.sources[i] ?? null;
        const a = http ? await http.probe(source) : await probeBanner(target, settings, source);
        if (a.errorCode === 'CUT') break;
        options.onAnswer(i, a);
        done++;
        if (a.ok) anyOk = true;
        else if (!anyOk && ++failuresFromStart >= options.failFastAfter) stop = true;
        options.onProgress?.(done, options.count);
      }
    } finally {
      await http?.close();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, options.count)) }, () => worker()));
  return done;
}
