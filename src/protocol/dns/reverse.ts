/** Reverse-lookup names: in-addr.arpa (RFC 1035 3.5) and nibble ip6.arpa (RFC 3596 2.5). */
import net from 'node:net';
import { NetlabError } from '../../errors.js';

/** Expand an IPv6 address (any valid text form, IPv4 tail included) to its 16 bytes. */
export function ipv6Bytes(address: string): Uint8Array {
  if (!net.isIPv6(address) || address.includes('%')) {
    throw new NetlabError('USAGE', `'${address}' is not an IPv6 address`);
  }
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const parts = v4[1]!.split('.').map(Number);
    text = `${text.slice(0, -v4[1]!.length)}${((parts[0]! << 8) | parts[1]!).toString(16)}:${((parts[2]! << 8) | parts[3]!).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

/**
 * The PTR owner name for an address: `1.2.0.192.in-addr.arpa.` or the 32-nibble ip6.arpa name.
 * Throws USAGE for anything that is not an IPv4 or IPv6 address.
 */
export function reverseName(address: string): string {
  if (net.isIPv4(address)) {
    return `${address.split('.').reverse().join('.')}.in-addr.arpa.`;
  }
  if (net.isIPv6(address) && !address.includes('%')) {
    const nibbles: string[] = [];
    for (const b of ipv6Bytes(address)) nibbles.push((b >> 4).toString(16), (b & 0xf).toString(16));
    return `${nibbles.reverse().join('.')}.ip6.arpa.`;
  }
  throw new NetlabError('USAGE', `'${address}' is not an IPv4 or IPv6 address`);
}
