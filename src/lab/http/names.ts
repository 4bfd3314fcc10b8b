/**
 * Where the lab's HTTP part lives: its loopback addresses and the names that point at them
 * (example.test A records, src/lab/dns/zones.ts). Kept apart from the servers so that the
 * DNS data can import it without loading node:https or the lab CA.
 */

/** Loopback addresses of the HTTP lab; all four listen on the same HTTPS and HTTP ports. */
export const LAB_HTTP_ADDRESSES = {
  /** The origin server. */
  origin: '127.55.0.1',
  /** The caching CDN edge; its misses go to the origin through the far relay. */
  edge: '127.55.0.2',
  /** Latency relay to the origin: a far origin. */
  far: '127.55.0.3',
  /** Latency relay to the edge: a near edge. */
  near: '127.55.0.4',
} as const;

/** Names in example.test. and what they point at; all are on the lab certificate. */
export const LAB_HTTP_NAMES = {
  origin: 'origin.example.test',
  cdn: 'cdn.example.test',
  far: 'far.example.test',
  near: 'near.example.test',
  /** On the certificate only: www.example.test has the documentation address 192.0.2.10. */
  www: 'www.example.test',
  /** The origin again, in slowdns.test., whose server answers late (src/lab/dns/index.ts). */
  slowDns: 'www.slowdns.test',
  /** issue 12: the origin and an address where nothing listens, in fanout.test. (every-address). */
  fanout: 'www.fanout.test',
} as const;

/** Name -> address, as the lab's example.test zone has them. */
export const LAB_HTTP_A_RECORDS: ReadonlyArray<readonly [name: string, address: string]> = [
  [LAB_HTTP_NAMES.origin, LAB_HTTP_ADDRESSES.origin],
  [LAB_HTTP_NAMES.cdn, LAB_HTTP_ADDRESSES.edge],
  [LAB_HTTP_NAMES.far, LAB_HTTP_ADDRESSES.far],
  [LAB_HTTP_NAMES.near, LAB_HTTP_ADDRESSES.near],
];
