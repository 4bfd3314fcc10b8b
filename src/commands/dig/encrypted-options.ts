/**
 * dig's encrypted-transport +options (BIND 9.18 dig): `+tls`, `+https[=/path]`,
 * `+https-get[=/path]`, `+http-plain[=/path]`, `+http-plain-get[=/path]`, `+tls-ca[=FILE]`,
 * `+tls-hostname=NAME` and their `+no` forms. Pure: sets DigOptions or throws USAGE.
 */
import { NetlabError } from '../../errors.js';
import type { DigOptions } from './options.js';

/** How queries travel: Do53 (UDP, or TCP with +tcp), DoT, DoH over TLS, DoH over cleartext HTTP/2. */
export type DigTransportChoice = 'udp' | 'tls' | 'https' | 'http-plain';

const DOH: Record<string, { transport: DigTransportChoice; method: 'POST' | 'GET' }> = {
  https: { transport: 'https', method: 'POST' },
  'https-post': { transport: 'https', method: 'POST' },
  'https-get': { transport: 'https', method: 'GET' },
  'http-plain': { transport: 'http-plain', method: 'POST' },
  'http-plain-post': { transport: 'http-plain', method: 'POST' },
  'http-plain-get': { transport: 'http-plain', method: 'GET' },
};

/** The `(TLS)` of the footer's SERVER line, as BIND's dig prints it for each transport. */
export const TRANSPORT_LABEL: Record<string, string> = { udp: 'UDP', tcp: 'TCP', tls: 'TLS', https: 'HTTPS', 'http-plain': 'HTTP' };

/**
 * Apply one `+option` of the encrypted transports (`bare`: its name without `+` or `no`).
 * Returns false when it is none of them.
 */
export function applyTransportOption(o: DigOptions, bare: string, negated: boolean, value: string | undefined, tok: string): boolean {
  if (bare === 'tls') {
    if (value !== undefined) throw new NetlabError('USAGE', `${tok}: +tls takes no value`);
    if (!negated) o.transport = 'tls';
    else if (o.transport === 'tls') o.transport = 'udp';
    return true;
  }
  const doh = DOH[bare];
  if (doh) {
    if (negated) {
      if (o.transport === doh.transport) o.transport = 'udp';
      return true;
    }
    if (value !== undefined) {
      if (!value.startsWith('/') || /\s/.test(value)) throw new NetlabError('USAGE', `${tok}: the endpoint must be a path starting with '/', e.g. +${bare}=/dns-query`);
      o.dohPath = value;
    }
    o.transport = doh.transport;
    o.dohMethod = doh.method;
    return true;
  }
  if (bare === 'tls-ca') {
    if (negated) o.tlsCa = undefined;
    else if (value === '') throw new NetlabError('USAGE', `${tok}: give a file (+tls-ca=FILE), or +tls-ca alone for the system's roots`);
    else o.tlsCa = value ?? true;
    return true;
  }
  if (bare === 'tls-hostname') {
    if (negated) o.tlsHostname = undefined;
    else if (!value) throw new NetlabError('USAGE', `${tok}: give the name to verify, e.g. +tls-hostname=dns.example`);
    else o.tlsHostname = value;
    return true;
  }
  return false;
}

/**
 * After parsing: +tls-ca and +tls-hostname imply +tls (as in dig) unless DoH was chosen, and
 * without -p the transport's own port (853, 443, 80).
 */
export function settleTransport(o: DigOptions): void {
  if ((o.tlsCa !== undefined || o.tlsHostname !== undefined) && o.transport === 'udp') o.transport = 'tls';
  if (!o.portSet) o.port = o.transport === 'tls' ? 853 : o.transport === 'https' ? 443 : o.transport === 'http-plain' ? 80 : 53;
}
