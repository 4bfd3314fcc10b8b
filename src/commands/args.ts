/** Option values shared by several subcommands. Pure; throws NetlabError USAGE. */
import net from 'node:net';
import { NetlabError } from '../errors.js';
import { clip, escapeControl } from '../util/printable.js';
import type { Server } from '../protocol/dns/transport.js';

/**
 * A DNS server given as `ADDRESS`, `ADDRESS:PORT`, `[V6]:PORT` or a bare IPv6 address; port 53
 * by default. Only addresses: a name would need a resolver to find the resolver.
 */
export function parseDnsServer(value: string, option: string): Server {
  let address = value;
  let port = 53;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  const v4 = /^([^:]+):(\d+)$/.exec(value);
  if (v6) {
    address = v6[1]!;
    if (v6[2] !== undefined) port = Number(v6[2]);
  } else if (v4) {
    address = v4[1]!;
    port = Number(v4[2]);
  }
  if (!net.isIP(address) || address.includes('%')) {
    throw new NetlabError('USAGE', `${option} needs ADDR[:PORT], an IP address with an optional port (no name: it would need a resolver), got '${value}'`);
  }
  if (port < 1 || port > 65535) throw new NetlabError('USAGE', `${option} port ${port} is out of range`);
  return { address, port };
}

/**
 * Seconds as given to `option` (`10`, `0.5`) -> whole milliseconds, from 1 ms (a value that
 * rounds to 0 ms would make every wait fail at once) to `maxSeconds`. Throws USAGE.
 */
export function parseSeconds(value: string, option: string, maxSeconds: number): number {
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) > maxSeconds) {
    throw new NetlabError('USAGE', `${option} needs seconds from 0.001 to ${maxSeconds}, got '${escapeControl(clip(value, 40))}'`);
  }
  const ms = Math.round(1000 * Number(value));
  if (ms < 1) throw new NetlabError('USAGE', `${option} ${value} is under 1 ms: give at least 0.001 (seconds)`);
  return ms;
}
