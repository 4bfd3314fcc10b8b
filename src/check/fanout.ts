/**
 * Fan-out (issue 12): `every-address: true` runs a check once per address of its target's name
 * (A and AAAA), pinned to it with the URL's Host and SNI kept; `every-server: true` (dig) asks
 * every authoritative server of the zone. SKELETON: the helper who owns fan-out replaces the
 * bodies; the runner (run.ts) calls these two functions with these signatures.
 */
import type { Problem } from '../errors.js';
import type { CheckDef, CheckOutcome } from './model.js';

/** One run of a check: the address it is pinned to (null: not fanned out) and its subcommand's arguments. */
export interface PinnedRun {
  address: string | null;
  argv: string[];
}

/**
 * The runs of a check: one (address null, the check's own argv) unless it fans out. Throws
 * NetlabError when the target's name cannot be resolved (the runner makes that the check's
 * CRITICAL outcome).
 */
export async function expandTargets(check: CheckDef, how: { signal?: AbortSignal; timeoutMs: number }): Promise<PinnedRun[]> {
  void how;
  return [{ address: null, argv: check.argv }];
}

/**
 * The problems a fanned-out check finds across its outcomes (every-server: answers or SOA
 * serials that disagree), one list per outcome, in the outcomes' order.
 */
export function crossCheck(check: CheckDef, outcomes: readonly CheckOutcome[]): Array<Array<Problem<string>>> {
  void check;
  return outcomes.map(() => []);
}
