/**
 * The lab's HTTP part: the course's "direct to a far origin, or through a near CDN edge"
 * comparison, with real servers on loopback.
 *
 *   client -> far  127.55.0.3 (relay, +70 ms RTT) -> origin 127.55.0.1
 *   client -> near 127.55.0.4 (relay, +20 ms RTT) -> edge   127.55.0.2 -> far relay -> origin
 *
 * The origin and the edge can also be reached directly (no added RTT). All four addresses
 * listen on the same two ports, HTTPS and HTTP, found free together (as the DNS lab does).
 * One certificate, from the lab PKI, names every host; the edge reaches the origin over
 * HTTPS through the far relay, so a MISS costs the far RTT and a HIT does not.
 */
import { DAY_MS, issueLeaf, type LabPki } from '../tls/ca.js';
import { retryWhilePortTaken } from '../common-port.js';
import { LabEdge } from './edge.js';
import type { LabTlsVersion } from './listen.js';
import { LAB_HTTP_ADDRESSES as A, LAB_HTTP_NAMES as N } from './names.js';
import { LabOrigin } from './origin.js';
import { LatencyRelay, RELAY_TCP_NOTE } from './relay.js';
import type { ModernHttp } from './modern.js';

export { LAB_HTTP_ADDRESSES, LAB_HTTP_NAMES, LAB_HTTP_A_RECORDS } from './names.js';
export { RELAY_TCP_NOTE, LatencyRelay, type RelayOptions } from './relay.js';
export { LabOrigin, MAX_BODY_BYTES, MAX_DELAY_MS, bytesBody, type OriginOptions } from './origin.js';
export { LabEdge, EDGE_VIA, type EdgeOptions, type EdgeUpstream } from './edge.js';
export type { LabTlsVersion } from './listen.js';

export const DEFAULT_FAR_RTT_MS = 70;
export const DEFAULT_NEAR_RTT_MS = 20;

export interface HttpLabOptions {
  /** The lab PKI (createLabPki); its intermediate issues the HTTP lab's certificate. */
  pki: LabPki;
  /** HTTPS port on every address; 0 (default): a free port common to all. */
  port?: number;
  /** HTTP port on every address; 0 (default): a free port common to all. */
  httpPort?: number;
  /** Round trip the far relay adds, ms. Default 70. */
  farRttMs?: number;
  /** Round trip the near relay adds, ms. Default 20. */
  nearRttMs?: number;
  /** Highest TLS version of the origin and the edge. Default TLSv1.2 (a full handshake: 2 RTT). */
  tlsMaxVersion?: LabTlsVersion;
  /** The edge keeps its upstream connections alive. Default true. */
  upstreamKeepAlive?: boolean;
}

export interface Endpoint {
  address: string;
  httpsPort: number;
  httpPort: number;
  description: string;
}

export interface HttpLab {
  origin: Endpoint;
  edge: Endpoint;
  far: Endpoint;
  near: Endpoint;
  httpsPort: number;
  httpPort: number;
  /** What a user timing requests through the lab should know (one sentence each). */
  notes: string[];
  /** issue 15: HTTP/2, TLS 1.2-only and 1.3-only listeners, session tickets, redirects, three edges of which one is slow, on 127.55.1.x (src/lab/http/modern.ts). */
  modern: ModernHttp;
  close(): Promise<void>;
}

interface Part {
  close(): Promise<void>;
}

/**
 * Start the origin, the edge and both relays. With a port of 0, retries until both ports are
 * free on all four addresses; throws the last listen error when that fails (at once when both
 * ports are fixed).
 */
export async function startHttpLab(options: HttpLabOptions): Promise<HttpLab> {
  const { pki } = options;
  const farRttMs = options.farRttMs ?? DEFAULT_FAR_RTT_MS;
  const nearRttMs = options.nearRttMs ?? DEFAULT_NEAR_RTT_MS;
  const tlsMaxVersion = options.tlsMaxVersion ?? 'TLSv1.2';
  const t = pki.issuedAt.getTime();
  const leaf = await issueLeaf(pki.intermediate, {
    dnsNames: [N.origin, N.cdn, N.far, N.near, N.www, N.slowDns, N.fanout],
    notBefore: new Date(t - DAY_MS),
    notAfter: new Date(t + 90 * DAY_MS),
  });
  // Served with its issuer, as a correctly configured server does: the client holds only the root.
  const certChainPem = leaf.certPem + pki.intermediate.certPem;
  const tlsOptions = { certChainPem, keyPem: leaf.keyPem, tlsMaxVersion };

  const wantedHttps = options.port ?? 0;
  const wantedHttp = options.httpPort ?? 0;
  return retryWhilePortTaken(wantedHttps !== 0 && wantedHttp !== 0, async (track) => {
    const parts: Part[] = [];
    const keep = (p: Part) => {
      parts.push(p);
      track(p);
    };
    const origin = new LabOrigin({ address: A.origin, httpsPort: wantedHttps, httpPort: wantedHttp, ...tlsOptions });
    await origin.start();
    keep(origin);
    const httpsPort = origin.httpsPort;
    const httpPort = origin.httpPort;
    const relay = async (from: string, to: string, rttMs: number): Promise<void> => {
      for (const port of [httpsPort, httpPort]) {
        const r = new LatencyRelay({ listenAddress: from, listenPort: port, targetAddress: to, targetPort: port, rttMs });
        await r.start();
        keep(r);
      }
    };
    await relay(A.far, A.origin, farRttMs);
    const edge = new LabEdge({
      address: A.edge,
      httpsPort,
      httpPort,
      ...tlsOptions,
      upstream: { address: A.far, port: httpsPort, protocol: 'https', servername: N.origin, ca: pki.root.certPem },
      upstreamKeepAlive: options.upstreamKeepAlive,
    });
    await edge.start();
    keep(edge);
    await relay(A.near, A.edge, nearRttMs);
    // issue 15: today's web on 127.55.1.x, on the same HTTPS port
    const { startModernHttp } = await import('./modern.js');
    const modern = await startModernHttp({ pki, port: httpsPort });
    keep(modern);

    const tlsWord = tlsMaxVersion === 'TLSv1.2' ? 'TLS 1.2: a full handshake costs 2 RTT, a resumed one 1 RTT' : 'TLS 1.3: a handshake costs 1 RTT';
    const ep = (address: string, description: string): Endpoint => ({ address, httpsPort, httpPort, description });
    return {
      origin: ep(A.origin, `origin (${N.origin}): /, /delay/MS, /bytes/N; Cache-Control public, max-age=60`),
      edge: ep(A.edge, `caching CDN edge (${N.cdn}): X-Cache HIT/MISS, Age; misses go to the origin through the far relay`),
      far: ep(A.far, `far path (${N.far}): relay to the origin adding ${farRttMs} ms RTT`),
      near: ep(A.near, `near path (${N.near}): relay to the edge adding ${nearRttMs} ms RTT`),
      httpsPort,
      httpPort,
      modern,
      notes: [
        RELAY_TCP_NOTE,
        `origin and edge speak up to ${tlsWord}; clients that cache TLS sessions resume them`,
        options.upstreamKeepAlive === false
          ? `the edge opens an upstream connection per MISS through the far relay (${farRttMs} ms RTT), resuming its TLS session`
          : `the edge keeps its upstream connections alive: the first MISS pays TLS and the request over the far RTT (${farRttMs} ms), later ones about one far RTT`,
        'the edge caches GET answers with Cache-Control public/max-age (keyed by method, host and path); HEAD and other methods pass through (X-Cache: PASS)',
      ],
      close: async () => {
        await Promise.all(parts.map((p) => p.close()));
      },
    };
  });
}
