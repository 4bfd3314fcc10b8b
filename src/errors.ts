/** Status of a check, after the Nagios plugin convention (shared/CONTRACT.md). */
export type Status = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

export const EXIT_CODES: Record<Status, number> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

export function exitCodeFor(status: Status): number {
  return EXIT_CODES[status];
}

export type NetlabErrorCode =
  | 'USAGE'
  | 'INPUT'
  | 'MALFORMED_PACKET'
  | 'TIMEOUT'
  | 'UNREACHABLE'
  | 'MISMATCH'
  | 'HANDSHAKE_FAILED'
  | 'INTERNAL';

const STATUS_FOR: Record<NetlabErrorCode, Status> = {
  USAGE: 'UNKNOWN',
  INPUT: 'UNKNOWN',
  INTERNAL: 'UNKNOWN',
  MALFORMED_PACKET: 'CRITICAL',
  TIMEOUT: 'CRITICAL',
  UNREACHABLE: 'CRITICAL',
  MISMATCH: 'CRITICAL',
  HANDSHAKE_FAILED: 'CRITICAL',
};

/** The one error type of netlab: a code from a closed list, a status and the original cause. */
export class NetlabError extends Error {
  readonly code: NetlabErrorCode;
  readonly status: Status;

  constructor(code: NetlabErrorCode, message: string, options?: { cause?: unknown; status?: Status }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NetlabError';
    this.code = code;
    this.status = options?.status ?? STATUS_FOR[code];
  }
}

/** Why a file could not be read, in a few words: no such file, is a directory, permission denied, or the errno code. */
export function fileErrorReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  // src/util/read-bounded.ts: past a size bound, or a source that gave nothing for too long
  const reason = (e as { reason?: unknown }).reason;
  if (typeof reason === 'string') return reason;
  const known: Record<string, string> = { ENOENT: 'no such file', EISDIR: 'is a directory', EACCES: 'permission denied', ENOTDIR: 'not a directory', ENOSPC: 'no space left on the device', EIO: 'input/output error', EROFS: 'read-only file system' };
  return (code && known[code]) ?? code ?? (e instanceof Error ? e.message : 'unreadable');
}

/** INPUT error for a file that cannot be read: `cannot read [WHAT ]'PATH': why`. */
export function cannotRead(path: string, e: unknown, what?: string): NetlabError {
  return new NetlabError('INPUT', `cannot read ${what ? `${what} ` : ''}'${path}': ${fileErrorReason(e)}`, { cause: e });
}
