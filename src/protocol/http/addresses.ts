/**
 * issue 15: every address of a name (A and AAAA), for trace-request's every-address: the
 * system resolver (getaddrinfo, all of them) or netlab's DNS client against a server. Bounded:
 * at most MAX_ADDRESSES, each query 2 s and 2 tries.
 */
import net from 'node:net';
import { lookup } from 'node:dns/promises';
import { query, type Server } from '../dns/transport.js';
import { socketErrorReason } from '../../util/net-errors.js';

/** Addresses timed at most: a name with more is cut (said by the caller). */
export const MAX_ADDRESSES = 16;

/** The name's addresses, IPv4 first, no duplicates; an IP address is its own. Throws Error with the reason when none. */
export async function resolveAll(host: string, resolver: Server | undefined, signal?: AbortSignal): Promise<string[]> {
  if (net.isIP(host)) return [host];
  const found: string[] = [];
  if (!resolver) {
    try {
      for (const a of await lookup(host, { all: true, verbatim: true })) found.push(a.address);
    } catch (e) {
      throw new Error(`cannot resolve ${host}: ${socketErrorReason(e)}`);
    }
  } else {
    for (const type of [1, 28]) {
      const ex = await query(resolver, { name: host, type }, { timeoutMs: 2000, tries: 2, ...(signal ? { signal } : {}) });
      if (ex.message.rcode !== 'NOERROR') throw new Error(`cannot resolve ${host}: ${ex.message.rcode} from ${resolver.address}#${resolver.port}`);
      for (const a of ex.message.answers) if (a.typeCode === type) found.push(String(a.data));
    }
  }
  const unique = [...new Set(found)].sort((a, b) => net.isIP(a) - net.isIP(b));
  if (unique.length === 0) throw new Error(`cannot resolve ${host}: no A or AAAA record`);
  return unique;
}
