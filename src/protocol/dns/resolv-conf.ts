/** The system's nameserver, as dig picks it: the first `nameserver` line of resolv.conf. */
import { nodeFs } from '../../util/builtins.js';
import { ipFamily } from '../../util/ip.js';

/** First usable nameserver address in the file, or undefined when there is none or it is unreadable. */
export function systemNameserver(path = '/etc/resolv.conf'): string | undefined {
  let text: string;
  try {
    text = nodeFs().readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m && ipFamily(m[1]!) !== 0) return m[1]!;
  }
  return undefined;
}
