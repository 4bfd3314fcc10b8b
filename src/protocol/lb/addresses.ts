/**
 * Addresses for lb-probe: ADDR:PORT endpoints and source-address ranges (A-B) for the
 * stickiness check. Pure; a bad value is a NetlabError('USAGE') naming what it was given as
 * (`what`: the caller's name for it, such as an option).
 */
import net from 'node:net';
import { NetlabError } from '../../errors.js';
import { formatHostPort, splitHostPort } from '../../util/host-port.js';
import { ipv4FromInt, parseIPv4 } from '../../util/ip.js';

/** An endpoint: an IP address (or a host name) and a port. */
export interface HostPort {
  address: string;
  port: number;
  /** A backend's own scheme (`--backend http://...` behind a VIP that terminates TLS); absent: the run's. */
  scheme?: 'http' | 'https';
}

/**
 * `127.0.0.1:8080`, `[::1]:8080` or `host.example:8080` -> { address, port }, through the one
 * host:port parser (util/host-port.ts). The port is required. Throws NetlabError USAGE naming
 * `what` (`VIP`, or the option it came from).
 */
export function parseHostPort(value: string, what: string): HostPort {
  const usage = (why: string) => new NetlabError('USAGE', `${what} '${value}'${why}`);
  const split = splitHostPort(value);
  if ('error' in split) {
    const bracketed = /^\[([^\]]*)\](?::\d+)?$/.exec(value)?.[1];
    if (bracketed && !net.isIPv6(bracketed)) throw usage(`: '${bracketed}' is not an IPv6 address`);
    const port = /^(?:\[[^\]]*\]|[^:[\]]+):(\d+)$/.exec(value)?.[1];
    if (port !== undefined) throw usage(`: port ${port} is out of range (1-65535)`);
    throw usage(' is not ADDR:PORT');
  }
  const { host, port } = split;
  // splitHostPort takes an IPv6 address only in brackets when a port follows
  if (!net.isIPv6(host) && !net.isIPv4(host) && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host)) {
    throw usage(`: '${host}' is not an address or host name`);
  }
  return { address: host, port };
}

/** `ADDR:PORT`, an IPv6 address in brackets (util/host-port.ts). */
export { formatHostPort };

/** The most addresses a source range may hold. */
export const MAX_SOURCE_RANGE = 65_536;

/** 127.0.0.0 and 127.255.255.255, the network and broadcast addresses of 127/8. */
const LOOPBACK_FIRST = 0x7f000000;
const LOOPBACK_LAST = 0x7fffffff;

/**
 * Parse `A-B` (inclusive IPv4 range, both in 127.0.0.0/8, A <= B) or a single address. Only
 * loopback sources can be bound on any Linux host without configuring an interface (the whole
 * of 127/8 routes to lo). Throws NetlabError USAGE naming `what` (the option it came from).
 */
export function parseSourceRange(value: string, what: string): { first: string; last: string; size: number } {
  const usage = (why: string) => new NetlabError('USAGE', `${what} '${value}'${why}`);
  const parts = value.split('-').map((s) => s.trim());
  if (parts.length > 2 || parts.some((p) => p === '')) throw usage(' is not a range A-B (e.g. 127.56.1.1-127.56.1.50)');
  const ints = parts.map((p) => {
    const v = parseIPv4(p);
    if (v === undefined) throw usage(`: '${p}' is not an IPv4 address`);
    if (v >>> 24 !== 127) throw usage(`: ${p} is not in 127.0.0.0/8 (only loopback sources can be bound without configuring them)`);
    return v;
  });
  const a = ints[0]!;
  const b = ints[1] ?? a;
  if (b < a) throw usage(`: ${parts[1]} comes before ${parts[0]}`);
  if (a === LOOPBACK_FIRST || b === LOOPBACK_LAST) throw usage(': 127.0.0.0 and 127.255.255.255 cannot be sources');
  const size = b - a + 1;
  if (size > MAX_SOURCE_RANGE) throw usage(` holds ${size} addresses; at most ${MAX_SOURCE_RANGE}`);
  return { first: ipv4FromInt(a), last: ipv4FromInt(b), size };
}

/**
 * The source addresses actually used: every address of the range when it has at most `count`,
 * else `count` addresses spread evenly over it (first and last included), so that a wide range
 * varies every octet it spans (nginx ip_hash keys on the first three).
 */
export function pickSources(range: { first: string; size: number }, count: number): string[] {
  const start = parseIPv4(range.first);
  if (start === undefined) throw new RangeError(`'${range.first}' is not an IPv4 address`);
  const n = Math.max(1, Math.min(range.size, count));
  if (n === 1) return [ipv4FromInt(start)];
  const step = (range.size - 1) / (n - 1);
  return Array.from({ length: n }, (_, i) => ipv4FromInt(start + Math.round(i * step)));
}

/** The /24 an IPv4 address is in, as `192.0.2.0/24`; undefined for anything but an IPv4 address. */
export function slash24Of(address: string): string | undefined {
  const v = parseIPv4(address);
  return v === undefined ? undefined : `${ipv4FromInt((v & 0xffffff00) >>> 0)}/24`;
}

/** True when every address is IPv4 and shares its first three octets with the first one (one /24). */
export function sameSlash24(addresses: string[]): boolean {
  const first = slash24Of(addresses[0] ?? '');
  return first !== undefined && addresses.every((a) => slash24Of(a) === first);
}
