/** Option values shared by several subcommands. Pure; throws NetlabError USAGE. */
import net from 'node:net';
import { NetlabError } from '../errors.js';
import { clip, escapeControl } from '../util/printable.js';
import { splitHostPort } from '../util/host-port.js';
import type { Server } from '../protocol/dns/transport.js';

/**
 * A DNS server given as `ADDRESS`, `ADDRESS:PORT`, `[V6]:PORT` or a bare IPv6 address; port 53
 * by default. Only addresses: a name would need a resolver to find the resolver.
 */
export function parseDnsServer(value: string, option: string): Server {
  const hp = splitHostPort(value, 53);
  if ('error' in hp || !net.isIP(hp.host) || hp.host.includes('%')) {
    const port = /:(\d+)$/.exec(value);
    if ('error' in hp && port && /out of range|not a number/.test(hp.error)) throw new NetlabError('USAGE', `${option} port ${port[1]} is out of range`);
    throw new NetlabError('USAGE', `${option} needs ADDR[:PORT], an IP address with an optional port (no name: it would need a resolver), got '${escapeControl(clip(value, 60))}'`);
  }
  return { address: hp.host, port: hp.port };
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

/**
 * `--set NAME=VALUE` (repeatable; the last of a name wins) -> the values of a checks file's
 * `{{name}}` placeholders; undefined when none was given. Throws NetlabError USAGE.
 */
export function parseVarSettings(values: readonly string[]): Record<string, string> | undefined {
  let vars: Record<string, string> | undefined;
  for (const set of values) {
    const m = /^([a-z][a-z0-9-]*)=(.*)$/s.exec(set);
    if (!m) throw new NetlabError('USAGE', `--set needs NAME=VALUE (a lower-case name: letters, digits, -), got '${set}'`);
    (vars ??= {})[m[1]!] = m[2]!;
  }
  return vars;
}
