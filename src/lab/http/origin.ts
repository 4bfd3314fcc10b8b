/**
 * The lab's origin server: one handler on HTTPS and HTTP with routes that make each phase of
 * a request visible. `/delay/MS` holds the whole response (status line included) for MS ms,
 * so the wait lands in ttfb; `/bytes/N` sends N bytes with a Content-Length, so it lands in
 * transfer. Every route but the 404 is cacheable (`public, max-age=60`), so the edge can
 * serve it from cache.
 */
import type http from 'node:http';
import { afterAtLeast } from './clock.js';
import { startHttpPair, type HttpPair, type LabTlsVersion } from './listen.js';

/** Longest /delay, ms: a longer ask is cut to this. */
export const MAX_DELAY_MS = 10_000;
/** Largest /bytes body: a larger ask is cut to this. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
export const ORIGIN_CACHE_CONTROL = 'public, max-age=60';

export interface OriginOptions {
  address: string;
  /** 0: a free port. */
  httpsPort: number;
  /** 0: a free port. */
  httpPort: number;
  /** Leaf then intermediate, PEM. */
  certChainPem: string;
  keyPem: string;
  /** Default TLSv1.2: a full handshake costs 2 RTT, as in the course's example. */
  tlsMaxVersion?: LabTlsVersion;
  /** Idle keep-alive connections close after this long. Default 15000. */
  keepAliveTimeoutMs?: number;
}

/** 64 KiB of printable bytes that /bytes/N repeats; N bytes are the first N of the repetition. */
const PATTERN = Buffer.alloc(64 * 1024, 'abcdefghijklmnopqrstuvwxyz0123456789\n');

/** The body of /bytes/N, for tests to compare with. */
export function bytesBody(n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i += PATTERN.length) PATTERN.copy(out, i, 0, Math.min(PATTERN.length, n - i));
  return out;
}

const INDEX = `<!doctype html>
<html><head><title>netlab origin</title></head>
<body><h1>netlab lab origin</h1>
<p>Routes: <code>/delay/MS</code> (answer after MS ms, up to ${MAX_DELAY_MS}),
<code>/bytes/N</code> (N bytes, up to ${MAX_BODY_BYTES}).</p></body></html>
`;

function baseHeaders(): Record<string, string> {
  return { 'Server': 'netlab-origin', 'X-Served-By': 'origin' };
}

function send(res: http.ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer): void {
  res.writeHead(status, { ...baseHeaders(), ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/** The request handler, shared by the HTTPS and HTTP servers. */
export function originHandler(): http.RequestListener {
  return (req, res) => {
    let path: string;
    try {
      // Origin-form ("/x") or absolute-form ("http://host/x"): only the path matters.
      path = new URL(req.url ?? '/', 'http://origin.invalid').pathname;
    } catch {
      send(res, 400, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }, 'bad request target\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, { 'Allow': 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }, 'method not allowed\n');
      return;
    }
    // Node's ServerResponse drops the body of a HEAD answer itself and keeps Content-Length.
    const delay = /^\/delay\/(\d{1,9})$/.exec(path);
    if (delay) {
      const ms = Math.min(Number(delay[1]), MAX_DELAY_MS);
      // Nothing is written (not even the status line) until the wait is over, so the first
      // byte cannot leave early; a client that gives up stops the wait.
      const cancel = afterAtLeast(ms, () => {
        if (res.destroyed) return;
        send(res, 200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': ORIGIN_CACHE_CONTROL }, `delayed ${ms} ms\n`);
      });
      res.on('close', cancel);
      return;
    }
    const bytes = /^\/bytes\/(\d{1,12})$/.exec(path);
    if (bytes) {
      const n = Math.min(Number(bytes[1]), MAX_BODY_BYTES);
      res.writeHead(200, {
        ...baseHeaders(),
        'Content-Type': 'application/octet-stream',
        'Cache-Control': ORIGIN_CACHE_CONTROL,
        'Content-Length': String(n),
      });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      // Written with backpressure: 10 MB to a slow client stays 64 KiB at a time in memory.
      let left = n;
      const pump = (): void => {
        while (left > 0 && !res.destroyed) {
          const k = Math.min(left, PATTERN.length);
          left -= k;
          if (!res.write(k === PATTERN.length ? PATTERN : PATTERN.subarray(0, k))) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
      return;
    }
    if (path === '/' || path === '/index.html') {
      send(res, 200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': ORIGIN_CACHE_CONTROL }, INDEX);
      return;
    }
    send(res, 404, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }, 'not found\n');
  };
}

/** The origin on HTTPS and HTTP. */
export class LabOrigin {
  private pair?: HttpPair;

  constructor(private readonly options: OriginOptions) {}

  get address(): string {
    return this.options.address;
  }

  /** Valid after start(). */
  get httpsPort(): number {
    return this.pair?.httpsPort ?? this.options.httpsPort;
  }

  /** Valid after start(). */
  get httpPort(): number {
    return this.pair?.httpPort ?? this.options.httpPort;
  }

  /** Listen on both ports. Rejects with the listen error (EADDRINUSE, EADDRNOTAVAIL), leaving nothing open. */
  async start(): Promise<void> {
    this.pair = await startHttpPair({
      address: this.options.address,
      httpsPort: this.options.httpsPort,
      httpPort: this.options.httpPort,
      certChainPem: this.options.certChainPem,
      keyPem: this.options.keyPem,
      tlsMaxVersion: this.options.tlsMaxVersion ?? 'TLSv1.2',
      handler: originHandler(),
      keepAliveTimeoutMs: this.options.keepAliveTimeoutMs ?? 15_000,
    });
  }

  async close(): Promise<void> {
    const pair = this.pair;
    this.pair = undefined;
    await pair?.close();
  }
}
