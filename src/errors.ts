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

/**
 * How bad a problem is. CRITICAL and WARNING decide the status; what could not be judged is a
 * {@link Note}, never a problem.
 */
export type Severity = 'WARNING' | 'CRITICAL';

/**
 * The one shape of a problem found in what was checked, for every subcommand. `C` is the
 * subcommand's literal union of codes. The message is a sentence about the target, never CLI
 * advice: renderers add that from the data (`subject`, `counts`).
 */
export interface Problem<C extends string = string> {
  code: C;
  severity: Severity;
  message: string;
  /** What it is about, when it is about one thing: a certificate's subject, a backend ADDR:PORT, FILE:LINE, a name. */
  subject?: string;
  /** Numbers a renderer needs to say more (e.g. `{ answers: 8, needed: 60 }`). */
  counts?: Record<string, number>;
  /** One sentence on how to fix it, when there is one. */
  fix?: string;
}

/** A part of the check that could not be judged, and why: reported, never folded into the status. */
export interface Note<C extends string = string> {
  code: C;
  message: string;
  subject?: string;
  counts?: Record<string, number>;
}

/**
 * The status of a check from its problems, the one rule of netlab (shared/CONTRACT.md): the worst
 * severity found; OK when nothing is wrong; UNKNOWN only when nothing could be judged
 * (`judged: false`) or the run was interrupted.
 */
export function statusOf(problems: readonly { severity: Severity }[], how: { judged?: boolean; interrupted?: boolean } = {}): Status {
  if (how.interrupted) return 'UNKNOWN';
  if (problems.some((p) => p.severity === 'CRITICAL')) return 'CRITICAL';
  if (problems.some((p) => p.severity === 'WARNING')) return 'WARNING';
  return how.judged === false ? 'UNKNOWN' : 'OK';
}

const STATUS_RANK: Record<Status, number> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

/** The worst of several statuses (of a batch, of paths, of checks), UNKNOWN ranking above CRITICAL as its exit code does. */
export function worstOf(statuses: Iterable<Status>): Status {
  let worst: Status = 'OK';
  for (const s of statuses) if (STATUS_RANK[s] > STATUS_RANK[worst]) worst = s;
  return worst;
}

/**
 * Progress of a long job, the one event type every engine emits (`onProgress` in its options):
 * `done` of `total` units of `phase` (e.g. `{ phase: 'vip', done: 37, total: 100 }`).
 */
export interface Progress {
  phase: string;
  done: number;
  total: number;
  /** A few words on the unit under way (a sample's path, a backend). */
  detail?: string;
}
