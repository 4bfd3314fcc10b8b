/**
 * Addresses for lb-probe: ADDR:PORT endpoints and source-address ranges (A-B) for the
 * stickiness check. Pure; usage errors are NetlabError('USAGE') naming the option.
 */
import { formatHostPort } from '../../util/host-port.js';
import net from 'node:net';
import { NetlabError } from '../../errors.js';

export interface HostPort {
  address: string;
  port: number;
}

/** `127.0.0.1:8080` or `[::1]:8080` -> { address, port }. Throws USAGE naming `what`. */
export function parseHostPort(value: string, what: string): HostPort {
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(value);
  const v4 = /^([^:[\]]+):(\d+)$/.exec(value);
  const m = v6 ?? v4;
  if (!m) throw new NetlabError('USAGE', `${what} '${value}' is not ADDR:PORT`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new NetlabError('USAGE', `${what} '${value}': port ${m[2]} is out of range (1-65535)`);
  const address = m[1]!;
  if (v6 && !net.isIPv6(address)) throw new NetlabError('USAGE', `${what} '${value}': '${address}' is not an IPv6 address`);
  if (!v6 && !net.isIPv4(address) && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(address)) {
    throw new NetlabError('USAGE', `${what} '${value}': '${address}' is not an address or host name`);
  }
  return { address, port };
}

export { formatHostPort };

/** Dotted quad -> unsigned 32-bit integer. Throws RangeError for anything but an IPv4 address. */
export function ipv4ToInt(address: string): number {
  if (!net.isIPv4(address)) throw new RangeError(`'${address}' is not an IPv4 address`);
  return address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** The most addresses a --source-ips range may hold. */
export const MAX_SOURCE_RANGE = 65_536;

/**
 * Parse `A-B` (inclusive IPv4 range, both in 127.0.0.0/8, A <= B) or a single address. Only
 * loopback sources can be bound on any Linux host without configuring an interface (the whole
 * of 127/8 routes to lo). Throws USAGE naming --source-ips.
 */
export function parseSourceRange(value: string): { first: string; last: string; size: number } {
  const parts = value.split('-').map((s) => s.trim());
  if (parts.length > 2 || parts.some((p) => p === '')) throw new NetlabError('USAGE', `--source-ips '${value}' is not a range A-B (e.g. 127.56.1.1-127.56.1.50)`);
  for (const p of parts) {
    if (!net.isIPv4(p)) throw new NetlabError('USAGE', `--source-ips '${value}': '${p}' is not an IPv4 address`);
    if (!p.startsWith('127.')) throw new NetlabError('USAGE', `--source-ips '${value}': ${p} is not in 127.0.0.0/8 (only loopback sources can be bound without configuring them)`);
  }
  const a = ipv4ToInt(parts[0]!);
  const b = ipv4ToInt(parts[1] ?? parts[0]!);
  if (b < a) throw new NetlabError('USAGE', `--source-ips '${value}': ${parts[1]} comes before ${parts[0]}`);
  if (a === ipv4ToInt('127.0.0.0') || b === ipv4ToInt('127.255.255.255')) {
    throw new NetlabError('USAGE', `--source-ips '${value}': 127.0.0.0 and 127.255.255.255 cannot be sources`);
  }
  const size = b - a + 1;
  if (size > MAX_SOURCE_RANGE) throw new NetlabError('USAGE', `--source-ips '${value}' holds ${size} addresses; at most ${MAX_SOURCE_RANGE}`);
  return { first: intToIpv4(a), last: intToIpv4(b), size };
}

/**
 * The source addresses actually used: every address of the range when it has at most `count`,
 * else `count` addresses spread evenly over it (first and last included), so that a wide range
 * varies every octet it spans (nginx ip_hash keys on the first three).
 */
export function pickSources(range: { first: string; size: number }, count: number): string[] {
  const start = ipv4ToInt(range.first);
  const n = Math.max(1, Math.min(range.size, count));
  if (n === 1) return [intToIpv4(start)];
  const step = (range.size - 1) / (n - 1);
  return Array.from({ length: n }, (_, i) => intToIpv4(start + Math.round(i * step)));
}

/** True when every address shares its first three octets with the first one (one /24). */
export function sameSlash24(addresses: string[]): boolean {
  const prefix = (a: string) => a.split('.').slice(0, 3).join('.');
  return addresses.every((a) => prefix(a) === prefix(addresses[0]!));
}
