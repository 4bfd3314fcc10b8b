/**
 * issue 15: where the lab's HTTP/2, TLS 1.2/1.3-only and multi-edge servers live (127.55.1.x)
 * and the example.test names that point at them (src/lab/http/modern.ts). Kept apart from the
 * servers so that the DNS data can import it without loading node:http2 or the lab CA.
 */

export const MODERN_HTTP_ADDRESSES = {
  /** h2 and http/1.1, TLS 1.2 to 1.3, session tickets. */
  h2: '127.55.1.1',
  /** TLS 1.2 only. */
  tls12: '127.55.1.2',
  /** TLS 1.3 only. */
  tls13: '127.55.1.3',
  /** edges.example.test's fast edges (servers as h2). */
  edge1: '127.55.1.4',
  edge2: '127.55.1.5',
  /** edges.example.test's slow edge: a relay to h2 adding SLOW_EDGE_RTT_MS. */
  slowEdge: '127.55.1.6',
} as const;

export const MODERN_HTTP_NAMES = {
  h2: 'h2.example.test',
  tls12: 'tls12.example.test',
  tls13: 'tls13.example.test',
  /** Three A records, one of them slow. */
  edges: 'edges.example.test',
} as const;

/** The slow edge's added round trip, ms. */
export const SLOW_EDGE_RTT_MS = 40;

/** Name -> address, as the lab's example.test zone has them (edges.example.test three times). */
export const MODERN_HTTP_A_RECORDS: ReadonlyArray<readonly [name: string, address: string]> = [
  [MODERN_HTTP_NAMES.h2, MODERN_HTTP_ADDRESSES.h2],
  [MODERN_HTTP_NAMES.tls12, MODERN_HTTP_ADDRESSES.tls12],
  [MODERN_HTTP_NAMES.tls13, MODERN_HTTP_ADDRESSES.tls13],
  [MODERN_HTTP_NAMES.edges, MODERN_HTTP_ADDRESSES.edge1],
  [MODERN_HTTP_NAMES.edges, MODERN_HTTP_ADDRESSES.edge2],
  [MODERN_HTTP_NAMES.edges, MODERN_HTTP_ADDRESSES.slowEdge],
];
