/**
 * Reverse-lookup names for dig's -x: in-addr.arpa (RFC 1035 3.5) and nibble ip6.arpa
 * (RFC 3596 2.5), over src/util/ip.ts, with a usage error for text that is not an address.
 */
import { NetlabError } from '../../errors.js';
import { parseIPv6, reverseName as ptrName } from '../../util/ip.js';

/**
 * The 16 bytes of an IPv6 address given in any valid text form (an IPv4 tail included).
 * Throws NetlabError USAGE for anything else (IPv4, a zone index, junk).
 */
export function ipv6Bytes(address: string): Uint8Array {
  const b = parseIPv6(address);
  if (!b) throw new NetlabError('USAGE', `'${address}' is not an IPv6 address`);
  return b;
}

/**
 * The PTR owner name for an address: `1.2.0.192.in-addr.arpa.` or the 32-nibble ip6.arpa name.
 * Throws NetlabError USAGE for anything that is not an IPv4 or IPv6 address.
 */
export function reverseName(address: string): string {
  const name = ptrName(address);
  if (name === undefined) throw new NetlabError('USAGE', `'${address}' is not an IPv4 or IPv6 address`);
  return name;
}
