/**
 * HOST[:PORT] text, the one parser and printer of it. Pure: a bad value is a reason in words;
 * the caller (a command) turns it into a usage error naming its option.
 */
import net from 'node:net';

export interface HostPort {
  /** An IP address or a host name, without brackets. */
  host: string;
  port: number;
}

/**
 * Split `HOST`, `HOST:PORT`, `[V6]`, `[V6]:PORT` or a bare IPv6 address (whose last group is
 * never taken for a port). The port is `defaultPort` when absent; without a default it is
 * required. Returns the parts, or `{ error }` saying what is wrong.
 */
export function splitHostPort(value: string, defaultPort?: number): HostPort | { error: string } {
  let host = value;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::([^:]*))?$/.exec(value);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
    if (!net.isIPv6(host)) return { error: `'${host}' in brackets is not an IPv6 address` };
  } else if (!net.isIPv6(value)) {
    const colon = value.lastIndexOf(':');
    if (colon >= 0) {
      host = value.slice(0, colon);
      portText = value.slice(colon + 1);
      if (host.includes(':')) return { error: 'an IPv6 address with a port goes in brackets: [ADDR]:PORT' };
    }
  }
  if (host === '') return { error: 'the host is empty' };
  if (portText === undefined) {
    if (defaultPort === undefined) return { error: 'the port is missing (ADDR:PORT)' };
    return { host, port: defaultPort };
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    return { error: `port '${portText}' is not a number from 1 to 65535` };
  }
  return { host, port: Number(portText) };
}

/** `ADDR:PORT`, with an IPv6 address in brackets (`[::1]:443`, RFC 3986 authority form). */
export function formatHostPort(hp: { address: string; port: number } | HostPort): string {
  const host = 'host' in hp ? hp.host : hp.address;
  return host.includes(':') ? `[${host}]:${hp.port}` : `${host}:${hp.port}`;
}
