/**
 * `netlab check`'s data (issue 12): a checks file as loaded, and the results of a run. The
 * loader (load.ts), the conditions (expect.ts), the fan-out (fanout.ts), the runner (run.ts) and
 * the writers (junit.ts, metrics.ts, github.ts, push.ts, outputs.ts) all speak these types;
 * `netlab exporter` (issue 13) reuses them for its modules. Everything here is JSON-able.
 */
import type { Note, Problem, Severity, Status } from '../errors.js';

/** The subcommands a check may run. */
export const CHECK_COMMANDS = ['dig', 'cert-check', 'trace-request', 'lb-probe', 'hosts2zone'] as const;
export type CheckCommand = (typeof CHECK_COMMANDS)[number];

/** Where something is in the checks file: `FILE:LINE:COL` in every message about it (1-based). */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/** One `expect:` condition over the subcommand's JSON result, parsed and type-checked at load. */
export interface Condition {
  /** As written (`chain[0].daysLeft > 21d`). */
  text: string;
  /** The severity of the problem added when it does not hold (CRITICAL unless the check says). */
  severity: Severity;
  pos: SourcePos;
}

/** One check of the file, as loaded: its subcommand's arguments as on its command line. */
export interface CheckDef {
  /** Unique in the file. */
  name: string;
  command: CheckCommand;
  /** The subcommand's arguments (after its name), the file's `defaults:` for it first. */
  argv: string[];
  expect: Condition[];
  /** Run once per address of the target's name (A and AAAA), pinned, Host and SNI kept. */
  everyAddress: boolean;
  /** dig only: ask every authoritative server of the zone (every address) and compare. */
  everyServer: boolean;
  /** Attempts after a failed one (0: none, the default). */
  retries: number;
  /** The whole check's bound, each attempt (milliseconds); the subcommand's own timeouts still apply. */
  timeoutMs: number;
  pos: SourcePos;
}

/** A checks file, loaded and validated. */
export interface ChecksConfig {
  /** The file's name as given (for messages and reports). */
  file: string;
  checks: CheckDef[];
}

/**
 * One module of `netlab exporter` (issue 13): a check without its target (the probe's `target`
 * parameter adds it), loaded from the `modules:` list of the same format. `argv` holds the
 * module's arguments (defaults first) without the target.
 */
export interface ModuleDef extends CheckDef {
  /** Targets named for this module in the config (`targets:`): allowed without `--allow`, exactly as written. */
  targets: string[];
}

/** An exporter's config, loaded and validated. */
export interface ModulesConfig {
  file: string;
  modules: ModuleDef[];
}

/** The code of a problem the check adds to its subcommand's: a condition that does not hold, a check that could not run. */
export type CheckProblemCode = 'EXPECTATION_FAILED' | 'CHECK_ERROR' | 'CHECK_TIMEOUT' | 'SERVERS_DISAGREE';

/**
 * What one check gave, for one address when it fans out: the subcommand's own status and
 * result, and the check's additions (conditions, errors, retries).
 */
export interface CheckOutcome {
  name: string;
  command: CheckCommand;
  /** The address this run was pinned to (fan-out), else null. */
  address: string | null;
  /** The worst of the subcommand's status and the check's own problems (statusOf). */
  status: Status;
  /** The subcommand's problems, then the check's (EXPECTATION_FAILED, ...). */
  problems: Array<Problem<string>>;
  notes: Array<Note<string>>;
  /** When the last attempt started (ISO 8601). */
  startedAt: string;
  /** The last attempt's duration, milliseconds (rounded to the microsecond). */
  durationMs: number;
  /** 1 + the retries made. */
  attempts: number;
  /** An earlier attempt failed and a retry passed: reported, never hidden. */
  passedOnRetry: boolean;
  /** The subcommand's JSON result (what its --json prints); null when it could not run. */
  result: unknown;
  /** Why it could not run (its NetlabError code and one-line message), when it could not. */
  error?: { code: string; message: string };
  /** Where its check is in the checks file (the CheckDef's pos), for annotations that point at it. */
  pos?: SourcePos;
}

/** A whole run: every outcome in the file's order (fanned-out ones in address order). */
export interface CheckRunResult {
  /** The checks file. */
  file: string;
  status: Status;
  startedAt: string;
  durationMs: number;
  /** Outcomes per status. */
  counts: Record<Status, number>;
  checks: CheckOutcome[];
  /** Stopped by its signal (Ctrl-C): what ran is reported, the rest is UNKNOWN. */
  interrupted?: true;
  /** The run's deadline passed: the checks not finished are UNKNOWN (CHECK_TIMEOUT). */
  deadlineHit?: true;
}
