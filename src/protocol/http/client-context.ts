/**
 * What trace-request's TLS connections share (issues 12 and 13, speed): one client context
 * per set of trust anchors, and each PEM text's certificates counted once. Before, every
 * connection built its own context (OpenSSL parsing the CA PEM into a new store: about 1 ms
 * of CPU and native memory the garbage collector does not see, per probe of `netlab
 * exporter`), and each CA text was parsed twice more to check that it holds a certificate.
 *
 * A shared context resumes nothing by itself: Node's client session cache is off
 * (SSL_SESS_CACHE_NO_INTERNAL), a session is resumed only when one is passed to the
 * connection (trace-request's --resume), so every cold request still does a full handshake.
 * Both caches are keyed by the texts (their SHA-256 beyond 64 KiB), bounded at MAX_KEPT
 * entries each (the oldest goes first), and keep nothing that failed.
 */
import { createHash } from 'node:crypto';
import tls from 'node:tls';
import { parsePemBundle } from '../tls/certs.js';

/** Distinct CA sets (and PEM texts) kept at most. */
export const MAX_KEPT = 32;

const contexts = new Map<string, tls.SecureContext>();
const counts = new Map<string, number>();

/**
 * A text's key in the caches: a usual CA file (a few KiB) is its own key, cheaper to look up
 * than to hash (a probe of `netlab exporter` looked its CA text up three times); a larger one
 * is its SHA-256, so that the caches never hold more than MAX_KEPT small texts.
 */
function keyOf(text: string): string {
  return text.length <= 64 * 1024 ? `t:${text}` : `h:${createHash('sha256').update(text).digest('base64')}`;
}

function keep<V>(map: Map<string, V>, key: string, value: V): V {
  if (map.size >= MAX_KEPT) map.delete(map.keys().next().value!);
  map.set(key, value);
  return value;
}

/** How many certificates `text` holds (parsePemBundle's count), parsed once per distinct text. Throws what parsePemBundle throws, naming `source`. */
export function pemCertificateCount(text: string, source: string): number {
  const key = keyOf(text);
  return counts.get(key) ?? keep(counts, key, parsePemBundle(text, source).length);
}

/**
 * The client context for `ca` (PEM texts that replace Node's default roots, as curl's
 * --cacert), or for Node's default roots when `ca` is undefined: what tls.connect would build
 * from the same `ca` option, built once.
 */
export function clientContextFor(ca: readonly string[] | undefined): tls.SecureContext {
  // each text's key prefixed by its length: texts may hold commas, and two lists must never share a key
  const key = ca === undefined ? 'default' : `ca:${ca.map((t) => { const k = keyOf(t); return `${k.length}:${k}`; }).join('')}`;
  return contexts.get(key) ?? keep(contexts, key, tls.createSecureContext(ca === undefined ? {} : { ca: [...ca] }));
}
