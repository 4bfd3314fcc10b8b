/**
 * Every address of a host name (A and AAAA), in a stable order: what `netlab check`'s
 * every-address fans out to, and what cert-check and lb-probe connect to with a resolver given.
 */
import { NetlabError } from '../../errors.js';
import { parseIPv4, parseIPv6 } from '../../util/ip.js';
import { query, type Exchange, type Server } from './transport.js';

/** IPv4 first, then IPv6, each in numeric order; duplicates dropped. */
export function sortAddresses(addresses: Iterable<string>): string[] {
  const key = (a: string): string => {
    const v4 = parseIPv4(a);
    if (v4 !== undefined) return `4${v4.toString(16).padStart(8, '0')}`;
    const v6 = parseIPv6(a);
    return v6 ? `6${Buffer.from(v6).toString('hex')}` : `9${a}`;
  };
  return [...new Set(addresses)].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
}

/**
 * Every address of a name (A and AAAA), sorted: through `resolver` with netlab's DNS client
 * (recursion desired, CNAMEs followed as the resolver gives them), else the system's. Throws
 * UNREACHABLE when there is none, with the reason.
 */
export async function resolveAddresses(name: string, resolver: Server | undefined, signal: AbortSignal): Promise<string[]> {
  let addresses: string[];
  let why: string;
  if (resolver) {
    const at = `${resolver.address}#${resolver.port}`;
    const [a, aaaa] = await Promise.all([1, 28].map((type) => query(resolver, { name, type }, { timeoutMs: 2000, tries: 2, signal }).catch((e: unknown) => e)));
    const replies = [a, aaaa].filter((r): r is Exchange => !(r instanceof Error));
    const failed = [a, aaaa].find((r): r is Error => r instanceof Error);
    if (replies.length === 0) throw failed!;
    addresses = replies.flatMap((r) => r.message.answers).flatMap((r) => (r.rdata.type === 'A' || r.rdata.type === 'AAAA' ? [r.rdata.address] : []));
    const rcodes = [...new Set(replies.map((r) => r.message.rcode))];
    why = `${rcodes.filter((c) => c !== 'NOERROR').join(', ') || 'no A or AAAA record'} from ${at}`;
  } else {
    const { lookup } = await import('node:dns/promises');
    try {
      const found = await abortable(lookup(name, { all: true, family: 0 }), signal);
      addresses = found.map((r) => r.address);
      why = 'no address';
    } catch (e) {
      if (signal.aborted) throw e;
      addresses = [];
      why = `${(e as NodeJS.ErrnoException).code ?? (e as Error).message} from the system resolver`;
    }
  }
  if (addresses.length === 0) throw new NetlabError('UNREACHABLE', `${name} resolves to no address (A or AAAA): ${why}`);
  return sortAddresses(addresses);
}

/** A promise that cannot be cancelled (getaddrinfo), given up when the signal aborts. */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
