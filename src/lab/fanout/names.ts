/**
 * issue 12: the lab's fan-out cases, names with several addresses of which one is broken
 * (`netlab check`'s `every-address`), and a zone whose authoritative servers disagree
 * (`every-server`). Kept apart from the servers so that the DNS data can import it without
 * loading node:tls or the lab CA. Every address is on loopback; the 192.0.2.0/24 and
 * 2001:db8::/32 ones are zone data only, never connected to.
 */

/** The zone of the every-address names, served by ns1 and ns2.example.test (127.53.0.3, .4). */
export const FANOUT_ZONE = 'fanout.test.';

/** Loopback addresses behind the fan-out names: one good and one broken of each kind. */
export const FANOUT_ADDRESSES = {
  /** A TLS server for tls.fanout.test with a good chain (the lab CA). */
  tlsGood: '127.54.3.1',
  /** The same name's other server: its leaf expired 10 days ago (EXPIRED). */
  tlsExpired: '127.54.3.2',
  /** The HTTP lab's origin (127.55.0.1), which answers for www.fanout.test. */
  httpGood: '127.55.0.1',
  /** Nothing listens here: the origin's second address, refused at once (TCP_FAILED). */
  httpDead: '127.55.0.99',
  /** The lab's rr VIP (127.56.0.10), three live backends. */
  vipGood: '127.56.0.10',
  /** Nothing listens here: a VIP gone dead (lb-probe: VIP unreachable). */
  vipDead: '127.56.0.99',
} as const;

/** The every-address names (fanout.test.) and the every-server one (split.test.). */
export const FANOUT_NAMES = {
  /** A: tlsGood, tlsExpired. The certificate name and SNI of both servers. */
  tls: 'tls.fanout.test',
  /** A: httpGood, httpDead. On the HTTP lab's certificate. */
  http: 'www.fanout.test',
  /** A: vipGood, vipDead. */
  vip: 'vip.fanout.test',
  /** Two A and two AAAA of documentation addresses, listed out of order: the order of a fan-out. Never connected to. */
  mixed: 'mixed.fanout.test',
  /** A TXT record and no address: a name that resolves to nothing. */
  noAddress: 'none.fanout.test',
  /** www.split.test: ns3 gives another A record (and an older serial). */
  splitAnswer: 'www.split.test',
  /** same.split.test: the same A record everywhere; ns3's serial is older. */
  splitSerial: 'same.split.test',
} as const;

/** The zone whose servers disagree, and its three servers (on the lab's DNS port). */
export const SPLIT_ZONE = 'split.test.';
export const SPLIT_SERVERS = {
  ns1: '127.53.0.11',
  ns2: '127.53.0.12',
  /** Stale: an older SOA serial, and www.split.test's A record from before a change. */
  ns3: '127.53.0.13',
} as const;

/** The SOA serials: ns1 and ns2 serve the current one, ns3 the one before. */
export const SPLIT_SERIALS = { current: 2026120302, stale: 2026120301 } as const;
