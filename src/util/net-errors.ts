/**
 * The one translation of socket errors to words (node:net, node:dgram, node:tls, node:http, node:http2), so
 * that every subcommand says the same thing for the same failure. Pure.
 */

const WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed by the peer',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  ENOTFOUND: 'name not found',
  EAI_AGAIN: 'name lookup failed (temporary failure)',
};

/** A socket error in a few words ('connection refused'), else the first line of its message. */
export function socketErrorReason(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown } | null | undefined;
  const code = typeof err?.code === 'string' ? err.code : '';
  if (code && WORDS[code]) return WORDS[code]!;
  const message = typeof err?.message === 'string' ? err.message : String(e);
  return message.split('\n')[0]!.trim() || code || 'unknown error';
}
