/**
 * The lab's CDN edge: a caching reverse proxy on HTTPS and HTTP in front of the origin. A GET
 * is looked up by method, host and path; a fresh copy is served at once (`X-Cache: HIT`, `Age`),
 * otherwise the request goes upstream (`X-Cache: MISS`) and a cacheable answer is kept for
 * next time. HEAD and other methods go upstream and are never stored (`X-Cache: PASS`, as
 * Varnish and Fastly say). The upstream may be the far relay, so that a MISS pays the far RTT
 * and a HIT does not.
 *
 * Upstream connections are kept alive and their TLS sessions cached, as a CDN's are: only the
 * first MISS pays TLS to the origin, later ones about one upstream RTT.
 */
import http from 'node:http';
import https from 'node:https';
import { EdgeCache, cacheLifetimeS, currentAgeS, type CachedResponse, type CacheLimits } from './cache.js';
import { startHttpPair, type HttpPair, type LabTlsVersion } from './listen.js';

export interface EdgeUpstream {
  /** Where to connect: the origin, or a relay in front of it. */
  address: string;
  port: number;
  protocol: 'http' | 'https';
  /** SNI and the name checked on the upstream certificate (https). */
  servername?: string;
  /** Trust anchors for the upstream certificate, PEM (https): the lab root. */
  ca?: string;
}

export interface EdgeOptions {
  address: string;
  /** 0: a free port. */
  httpsPort: number;
  /** 0: a free port. */
  httpPort: number;
  certChainPem: string;
  keyPem: string;
  /** Default TLSv1.2, as the origin. */
  tlsMaxVersion?: LabTlsVersion;
  upstream: EdgeUpstream;
  /** An upstream answer that stalls this long (no byte in either direction) is a 504. Default 15000: above the origin's longest /delay. */
  upstreamTimeoutMs?: number;
  /** Keep upstream connections open between misses. Default true. */
  upstreamKeepAlive?: boolean;
  cache?: Partial<CacheLimits>;
}

export const EDGE_VIA = '1.1 netlab-edge';

/** How much of a cached body is written at a time. */
const HIT_SLICE_BYTES = 64 * 1024;

const DEFAULT_LIMITS: CacheLimits = { maxEntries: 512, maxBytes: 64 * 1024 * 1024, maxObjectBytes: 16 * 1024 * 1024 };

/** RFC 9110 7.6.1: connection-specific fields, never forwarded (plus the ones Connection names). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || named.has(k)) continue;
    out[k] = v;
  }
  return out;
}

function withVia(existing: http.OutgoingHttpHeaders[string]): string {
  const prior = Array.isArray(existing) ? existing.join(', ') : existing === undefined ? '' : String(existing);
  return prior ? `${prior}, ${EDGE_VIA}` : EDGE_VIA;
}

/** The cache key: method, host (lower case, port kept) and path with query. */
export function edgeCacheKey(method: string, host: string | undefined, path: string): string {
  return `${method} ${(host ?? '').toLowerCase()} ${path}`;
}

export class LabEdge {
  readonly cache: EdgeCache;
  private pair?: HttpPair;
  private readonly agent: http.Agent;
  private readonly upstreamRequests = new Set<http.ClientRequest>();

  constructor(private readonly options: EdgeOptions) {
    this.cache = new EdgeCache({ ...DEFAULT_LIMITS, ...options.cache });
    const keepAlive = options.upstreamKeepAlive ?? true;
    const agentOptions = {
      keepAlive,
      maxSockets: 64,
      maxFreeSockets: 16,
      // Reuse the most recent idle connection: the others are let to time out.
      scheduling: 'lifo' as const,
      // Idle upstream sockets close after this; Node also honours the origin's Keep-Alive
      // timeout hint minus a second, so the edge lets go before the origin does.
      timeout: 10_000,
    };
    this.agent = options.upstream.protocol === 'https' ? new https.Agent({ ...agentOptions, ca: options.upstream.ca }) : new http.Agent(agentOptions);
  }

  get address(): string {
    return this.options.address;
  }

  get httpsPort(): number {
    return this.pair?.httpsPort ?? this.options.httpsPort;
  }

  get httpPort(): number {
    return this.pair?.httpPort ?? this.options.httpPort;
  }

  /** Listen on both ports. Rejects with the listen error, leaving nothing open. */
  async start(): Promise<void> {
    this.pair = await startHttpPair({
      address: this.options.address,
      httpsPort: this.options.httpsPort,
      httpPort: this.options.httpPort,
      certChainPem: this.options.certChainPem,
      keyPem: this.options.keyPem,
      tlsMaxVersion: this.options.tlsMaxVersion ?? 'TLSv1.2',
      handler: (req, res) => this.handle(req, res),
      keepAliveTimeoutMs: 15_000,
    });
  }

  /** Stop listening, end every connection (client and upstream) and empty the cache. */
  async close(): Promise<void> {
    const pair = this.pair;
    this.pair = undefined;
    for (const r of this.upstreamRequests) r.destroy();
    this.upstreamRequests.clear();
    this.agent.destroy();
    this.cache.clear();
    await pair?.close();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const key = edgeCacheKey(method, req.headers.host, path);
    if (method === 'GET') {
      const hit = this.cache.get(key, Date.now());
      if (hit) {
        this.serveHit(res, hit);
        // The request of a GET has no body to wait for; drain anything sent anyway.
        req.resume();
        return;
      }
    }
    this.forward(req, res, method === 'GET' ? key : undefined);
  }

  private serveHit(res: http.ServerResponse, entry: CachedResponse): void {
    res.writeHead(entry.status, {
      ...entry.headers,
      'content-length': String(entry.body.length),
      'age': String(currentAgeS(entry, Date.now())),
      'via': withVia(entry.headers.via),
      'x-cache': 'HIT',
      'x-served-by': 'edge',
    });
    // In slices, with backpressure: one 10 MB write would encrypt it all in one go and hold
    // the event loop (and with it the relays' timers, in this same process) for milliseconds.
    let offset = 0;
    const pump = (): void => {
      while (offset < entry.body.length && !res.destroyed) {
        const slice = entry.body.subarray(offset, offset + HIT_SLICE_BYTES);
        offset += slice.length;
        if (!res.write(slice)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  }

  /** Send the request upstream; `key` set: a GET miss, to be stored if cacheable. */
  private forward(req: http.IncomingMessage, res: http.ServerResponse, key: string | undefined): void {
    const up = this.options.upstream;
    const mark = key ? 'MISS' : 'PASS';
    const headers = endToEnd(req.headers);
    headers['via'] = withVia(headers['via']);
    const client = req.socket.remoteAddress ?? '';
    headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${String(headers['x-forwarded-for'])}, ${client}` : client;
    headers['x-forwarded-proto'] = 'encrypted' in req.socket ? 'https' : 'http';
    const requestOptions: https.RequestOptions = {
      host: up.address,
      port: up.port,
      method: req.method,
      path: req.url,
      headers,
      agent: this.agent,
      timeout: this.options.upstreamTimeoutMs ?? 15_000,
    };
    // A fixed SNI, rather than Node's default of the Host header, so every host shares one
    // pool of upstream connections and one TLS session cache entry.
    if (up.protocol === 'https') requestOptions.servername = up.servername;
    const upstream = (up.protocol === 'https' ? https : http).request(requestOptions);
    this.upstreamRequests.add(upstream);
    upstream.on('close', () => this.upstreamRequests.delete(upstream));

    // Timeout, error and destroy can each report the same failure: answer it once.
    let failed = false;
    const fail = (status: number, message: string): void => {
      if (failed) return;
      failed = true;
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const body = `${message}\n`;
      res.writeHead(status, {
        'content-type': 'text/plain; charset=utf-8',
        'content-length': String(Buffer.byteLength(body)),
        'cache-control': 'no-store',
        'via': EDGE_VIA,
        'x-cache': mark,
        'x-served-by': 'edge',
      });
      res.end(body);
    };
    upstream.on('timeout', () => {
      fail(504, 'upstream timed out');
      upstream.destroy();
    });
    upstream.on('error', () => fail(502, 'upstream unreachable'));
    // The client went away before its answer was complete: stop fetching it.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });

    upstream.on('response', (ures) => {
      const status = ures.statusCode ?? 502;
      const lifetimeS = key ? cacheLifetimeS(status, ures.headers) : undefined;
      const stored = endToEnd(ures.headers);
      const out: http.OutgoingHttpHeaders = { ...stored, 'via': withVia(stored.via), 'x-cache': mark, 'x-served-by': 'edge' };
      res.writeHead(status, out);
      // Headers go to the client as soon as they come from upstream, so the edge adds no
      // time to ttfb even when the body follows later.
      res.flushHeaders();
      const chunks: Buffer[] = [];
      let size = 0;
      let storable = lifetimeS !== undefined;
      ures.on('data', (chunk: Buffer) => {
        // The client is gone (res 'close' has destroyed the upstream request too): drop the rest.
        if (res.destroyed) {
          storable = false;
          return;
        }
        if (storable) {
          size += chunk.length;
          if (size > this.cache.limits.maxObjectBytes) {
            storable = false;
            chunks.length = 0;
          } else {
            chunks.push(chunk);
          }
        }
        if (!res.write(chunk)) {
          ures.pause();
          res.once('drain', () => ures.resume());
        }
      });
      ures.on('end', () => {
        res.end();
        if (key && storable && lifetimeS !== undefined && ures.complete) {
          const age = Number(ures.headers.age);
          delete stored.age;
          this.cache.set(key, {
            status,
            headers: stored,
            body: Buffer.concat(chunks),
            storedAtMs: Date.now(),
            initialAgeS: Number.isInteger(age) && age > 0 ? age : 0,
            lifetimeS,
          });
        }
      });
      // The upstream answer broke off: the client's answer cannot be completed either.
      ures.on('aborted', () => res.destroy());
      ures.on('error', () => res.destroy());
    });

    req.pipe(upstream);
  }
}
