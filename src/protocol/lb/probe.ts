/**
 * One probe = one fresh connection: L4 balancers choose a backend per connection, so a reused
 * connection would measure the client's pool, not the balancer. HTTP probes go through undici
 * with `Connection: close` on every request (no keep-alive: a new socket per probe); TCP probes
 * read the banner the server sends first (SMTP 220, SSH-2.0, ...). Both bound every wait by `timeoutMs` and never throw: a
 * failure is an answer with `ok: false` and the reason.
 */
import { mulberry32 } from '../../util/prng.js';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { Client } from 'undici';
import { formatHostPort, type HostPort } from './addresses.js';
import { firstLine, httpMarkers, MAX_BODY_BYTES, type MethodId } from './identify.js';

export type ProbeErrorCode = 'REFUSED' | 'TIMEOUT' | 'RESET' | 'NO_SOURCE' | 'HTTP_ERROR' | 'OTHER';

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
}

export interface ProbeSettings {
  mode: 'http' | 'tcp';
  /** HTTP: request path. */
  path: string;
  /** HTTP: Host header. */
  host: string;
  timeoutMs: number;
}

const USER_AGENT = 'netlab-lb-probe';

function failed(source: string | null, startedAt: number, errorCode: ProbeErrorCode, error: string): ProbeAnswer {
  return { ok: false, source, latencyMs: performance.now() - startedAt, statusCode: null, markers: {}, snippet: '', errorCode, error };
}

/** An error from node:net or undici -> our code and a short sentence. */
export function describeProbeError(e: unknown, target: string, timeoutMs: number): { code: ProbeErrorCode; message: string } {
  const err = e as NodeJS.ErrnoException & { name?: string };
  const code = err?.code ?? '';
  if (code === 'ECONNREFUSED') return { code: 'REFUSED', message: `connection to ${target} refused` };
  if (code === 'EADDRNOTAVAIL') return { code: 'NO_SOURCE', message: `cannot bind the source address: ${err.message}` };
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET') return { code: 'RESET', message: `connection to ${target} closed before an answer` };
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT'
    || err?.name === 'TimeoutError' || err?.name === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') {
    return { code: 'TIMEOUT', message: `no answer from ${target} within ${timeoutMs} ms` };
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return { code: 'REFUSED', message: `${target} unreachable` };
  return { code: 'OTHER', message: `${target}: ${err?.message ?? String(e)}` };
}

/**
 * HTTP probes of one worker: one undici Client, but never one connection for two probes. Every
 * request carries `Connection: close` (undici's `reset`), so undici closes the socket after the
 * answer and opens a new one for the next request, through our connector, which binds the
 * probe's source address. A Client per worker rather than per probe: its construction, not the
 * connection, was a third of a probe's CPU time. After a failure the Client is dropped.
 */
export class HttpProber {
  private client?: Client;
  private source: string | null = null;

  constructor(private readonly target: HostPort, private readonly settings: ProbeSettings) {}

  /** One GET on a new connection from `source`. Never throws. */
  probe(source: string | null): Promise<ProbeAnswer> {
    const where = formatHostPort(this.target);
    const { timeoutMs } = this.settings;
    const startedAt = performance.now();
    this.source = source;
    const client = this.client ?? (this.client = this.newClient());
    return new Promise((resolve) => {
      let settled = false;
      let statusCode = 0;
      let headers: Record<string, string | string[] | undefined> = {};
      const chunks: Buffer[] = [];
      let bytes = 0;
      const finish = (answer: ProbeAnswer, broken: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (broken) this.drop(client);
        resolve(answer);
      };
      const fail = (e: unknown): void => {
        const d = describeProbeError(e, where, timeoutMs);
        finish(failed(source, startedAt, d.code, d.message), true);
      };
      const done = (): void => {
        const body = Buffer.concat(chunks);
        finish({ ok: true, source, latencyMs: performance.now() - startedAt, statusCode, markers: httpMarkers(headers, body), snippet: firstLine(body) }, false);
      };
      // one bound for the whole probe: connect, request, headers and body
      const timer = setTimeout(() => fail(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), timeoutMs);
      try {
        client.dispatch({
          origin: `http://${where}`,
          path: this.settings.path,
          method: 'GET',
          headers: { host: this.settings.host, 'user-agent': USER_AGENT, accept: '*/*' },
          reset: true,
        }, {
          // undici takes a handler for its new API when it has onRequestStart
          onRequestStart: () => undefined,
          onResponseStart: (_controller, code, h) => {
            statusCode = code;
            headers = h;
          },
          onResponseData: (controller, chunk) => {
            if (bytes < MAX_BODY_BYTES) chunks.push(chunk.subarray(0, MAX_BODY_BYTES - bytes));
            bytes += chunk.length;
            // enough to identify the backend: stop reading, and answer with what came
            if (bytes >= MAX_BODY_BYTES && !settled) {
              done();
              controller.abort(new Error('enough of the body'));
              this.drop(client);
            }
          },
          onResponseEnd: () => done(),
          onResponseError: (_controller, e) => fail(e),
        });
      } catch (e) {
        fail(e);
      }
    });
  }

  /** Close the Client (and with it any socket). */
  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await c?.destroy().catch(() => undefined);
  }

  private drop(client: Client): void {
    if (this.client === client) this.client = undefined;
    client.destroy().catch(() => undefined);
  }

  private newClient(): Client {
    const timeoutMs = this.settings.timeoutMs;
    return new Client(`http://${formatHostPort(this.target)}`, {
      pipelining: 1,
      keepAliveTimeout: 1,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      maxResponseSize: -1,
      // a plain socket from the probe's source; undici's own connector adds TCP keep-alive
      // probes and session caching that one short exchange has no use for
      connect: (_opts, callback) => {
        const socket = net.connect({
          host: this.target.address,
          port: this.target.port,
          noDelay: true,
          ...(this.source ? { localAddress: this.source } : {}),
        });
        const timer = setTimeout(() => socket.destroy(Object.assign(new Error('connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' })), timeoutMs);
        const onError = (e: Error): void => {
          clearTimeout(timer);
          callback(e, null);
        };
        socket.once('error', onError);
        socket.once('connect', () => {
          clearTimeout(timer);
          socket.removeListener('error', onError);
          callback(null, socket);
        });
        return socket;
      },
    });
  }
}

/** One HTTP GET on a new connection (a Client of its own). Never throws. */
export async function probeHttp(target: HostPort, settings: ProbeSettings, source: string | null): Promise<ProbeAnswer> {
  const prober = new HttpProber(target, settings);
  try {
    return await prober.probe(source);
  } finally {
    await prober.close();
  }
}

/** The longest banner line read. */
const MAX_BANNER_BYTES = 1024;

/** One TCP connection, reading the first line the server sends. Never throws. */
export function probeBanner(target: HostPort, settings: ProbeSettings, source: string | null): Promise<ProbeAnswer> {
  const where = formatHostPort(target);
  const startedAt = performance.now();
  return new Promise((resolve) => {
    let data = Buffer.alloc(0);
    let settled = false;
    let connected = false;
    const socket = net.connect({ host: target.address, port: target.port, ...(source ? { localAddress: source } : {}) });
    const finish = (answer: ProbeAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const fromBanner = (): void => {
      const line = data.toString('latin1').split(/\r?\n/)[0]!.trim();
      if (line === '') {
        finish(failed(source, startedAt, 'RESET', `${where} closed the connection without a banner`));
        return;
      }
      finish({ ok: true, source, latencyMs: performance.now() - startedAt, statusCode: null, markers: { banner: line }, snippet: firstLine(line) });
    };
    const timer = setTimeout(() => {
      if (data.length > 0) fromBanner();
      else finish(failed(source, startedAt, 'TIMEOUT', connected ? `${where} sent no banner within ${settings.timeoutMs} ms` : `no connection to ${where} within ${settings.timeoutMs} ms`));
    }, settings.timeoutMs);
    socket.on('connect', () => (connected = true));
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.includes(0x0a) || data.length >= MAX_BANNER_BYTES) fromBanner();
    });
    socket.on('end', () => fromBanner());
    socket.on('close', () => {
      if (!settled) fromBanner();
    });
    socket.on('error', (e) => {
      if (data.length > 0) return fromBanner();
      const d = describeProbeError(e, where, settings.timeoutMs);
      finish(failed(source, startedAt, d.code, d.message));
    });
  });
}

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

export interface ProbeRunOptions {
  count: number;
  concurrency: number;
  sources: Array<string | null>;
  /** Stop when this many probes in a row failed from the start, before any answered. */
  failFastAfter: number;
  onProgress?: (done: number, of: number) => void;
}

/**
 * Send `count` probes through `target`, at most `concurrency` at a time, each with its source
 * from `sources`. Answers come back in the order the probes were started (the order the
 * balancer saw them, exactly with concurrency 1). A VIP that answers none of the first
 * `failFastAfter` is not probed further: the rest are not sent.
 */
export async function runProbes(target: HostPort, settings: ProbeSettings, options: ProbeRunOptions): Promise<ProbeAnswer[]> {
  const answers: Array<ProbeAnswer | undefined> = new Array(options.count);
  let next = 0;
  let done = 0;
  let anyOk = false;
  let failuresFromStart = 0;
  let stop = false;
  const worker = async (): Promise<void> => {
    const http = settings.mode === 'http' ? new HttpProber(target, settings) : undefined;
    try {
      while (!stop && next < options.count) {
        const i = next++;
        const source = options.sources[i] ?? null;
        const a = http ? await http.probe(source) : await probeBanner(target, settings, source);
        answers[i] = a;
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
  return answers.filter((a): a is ProbeAnswer => a !== undefined);
}
