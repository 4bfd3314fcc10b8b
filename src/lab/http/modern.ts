/**
 * issue 15: the lab's "today's web" servers, on 127.55.1.x, beside the course's HTTP/1.1 lab:
 * HTTP/2 (ALPN h2, HTTP/1.1 for clients that do not offer h2), session tickets (resumption),
 * a TLS 1.2-only and a TLS 1.3-only listener, redirects, and a name with three edge addresses
 * of which one is slow.
 *
 *   h2.example.test     127.55.1.1  TLS 1.2-1.3, h2 and http/1.1
 *   tls12.example.test  127.55.1.2  TLS 1.2 only, h2 and http/1.1
 *   tls13.example.test  127.55.1.3  TLS 1.3 only, h2 and http/1.1
 *   edges.example.test  127.55.1.4, 127.55.1.5 (as 127.55.1.1), 127.55.1.6 (a relay to
 *                       127.55.1.1 adding SLOW_EDGE_RTT_MS to every round trip)
 *
 * Every server has the origin's routes (src/lab/http/origin.ts) and: `/redirect/N` answers 302
 * to `/redirect/N-1`, `/redirect/0` 302 to `/`; `/loop/a` and `/loop/b` redirect to each other.
 * All listen on one HTTPS port, the HTTP lab's.
 */
import type http from 'node:http';
import http2 from 'node:http2';
import type net from 'node:net';
import { DAY_MS, issueLeaf, type LabPki } from '../tls/ca.js';
import { closeServer, listen, trackConnections } from './listen.js';
import { originHandler } from './origin.js';
import { LatencyRelay } from './relay.js';
import { MODERN_HTTP_ADDRESSES as A, MODERN_HTTP_NAMES as N } from './modern-names.js';

export { MODERN_HTTP_ADDRESSES, MODERN_HTTP_NAMES, MODERN_HTTP_A_RECORDS, SLOW_EDGE_RTT_MS } from './modern-names.js';
import { SLOW_EDGE_RTT_MS } from './modern-names.js';

/** Longest /redirect/N chain served: a larger N is cut to this. */
export const MAX_REDIRECTS = 20;

/** The origin's routes plus /redirect/N and /loop/a|b. */
export function modernHandler(): http.RequestListener {
  const origin = originHandler();
  return (req, res) => {
    const path = /^[^?#]*/.exec(req.url ?? '/')![0];
    const redirect = /^\/redirect\/(\d{1,3})$/.exec(path);
    const loop = /^\/loop\/(a|b)$/.exec(path);
    if (redirect || loop) {
      const n = redirect ? Math.min(Number(redirect[1]), MAX_REDIRECTS) : 0;
      const location = loop ? `/loop/${loop[1] === 'a' ? 'b' : 'a'}` : n === 0 ? '/' : `/redirect/${n - 1}`;
      res.writeHead(302, { 'Location': location, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': '0', 'Server': 'netlab-origin' });
      res.end();
      return;
    }
    origin(req, res);
  };
}

export interface ModernHttpOptions {
  pki: LabPki;
  /** The HTTPS port on every 127.55.1.x address (the HTTP lab's). */
  port: number;
  /** Round trip the slow edge's relay adds, ms. Default SLOW_EDGE_RTT_MS. */
  slowEdgeRttMs?: number;
}

export interface ModernHttp {
  port: number;
  /** The addresses of edges.example.test, the slow one last. */
  edges: string[];
  slowEdge: string;
  slowEdgeRttMs: number;
  close(): Promise<void>;
}

/** Start the servers and the slow edge's relay. Rejects with the first listen error, leaving nothing open. */
export async function startModernHttp(options: ModernHttpOptions): Promise<ModernHttp> {
  const { pki, port } = options;
  const slowEdgeRttMs = options.slowEdgeRttMs ?? SLOW_EDGE_RTT_MS;
  const t = pki.issuedAt.getTime();
  const leaf = await issueLeaf(pki.intermediate, {
    dnsNames: [N.h2, N.tls12, N.tls13, N.edges],
    notBefore: new Date(t - DAY_MS),
    notAfter: new Date(t + 90 * DAY_MS),
  });
  const cert = leaf.certPem + pki.intermediate.certPem;
  const handler = modernHandler();
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    await Promise.all(closers.splice(0).map((c) => c()));
  };
  const server = async (address: string, minVersion: 'TLSv1.2' | 'TLSv1.3', maxVersion: 'TLSv1.2' | 'TLSv1.3') => {
    const s = http2.createSecureServer({
      key: leaf.keyPem,
      cert,
      minVersion,
      maxVersion,
      // h2 first, HTTP/1.1 for the clients that do not offer h2 (Node picks the server's order)
      ALPNProtocols: ['h2', 'http/1.1'],
      allowHTTP1: true,
      // session tickets are on by default; said here because resumption is what they are for
      sessionTimeout: 300,
    }, handler as never);
    s.setTimeout(30_000);
    s.on('sessionError', () => undefined);
    s.on('tlsClientError', (_e, socket) => socket.destroy());
    const open = trackConnections(s as unknown as net.Server);
    closers.push(() => closeServer(s as unknown as net.Server, open));
    await listen(s as unknown as net.Server, port, address);
  };
  try {
    await server(A.h2, 'TLSv1.2', 'TLSv1.3');
    await server(A.tls12, 'TLSv1.2', 'TLSv1.2');
    await server(A.tls13, 'TLSv1.3', 'TLSv1.3');
    await server(A.edge1, 'TLSv1.2', 'TLSv1.3');
    await server(A.edge2, 'TLSv1.2', 'TLSv1.3');
    const relay = new LatencyRelay({ listenAddress: A.slowEdge, listenPort: port, targetAddress: A.h2, targetPort: port, rttMs: slowEdgeRttMs });
    await relay.start();
    closers.push(() => relay.close());
  } catch (e) {
    await close();
    throw e;
  }
  return { port, edges: [A.edge1, A.edge2, A.slowEdge], slowEdge: A.slowEdge, slowEdgeRttMs, close };
}
