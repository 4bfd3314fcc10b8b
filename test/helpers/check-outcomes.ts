/**
 * Real check outcomes for the writers' tests (issue 12): each subcommand run through the same
 * path as the command line (the registry, parseArgv, the command's run) against the lab, its
 * JSON result wrapped in a CheckOutcome as the runner does. Passing and failing ones for every
 * subcommand, and a check "fanned out" to two addresses of which one is broken.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { statusOf, worstOf, type Note, type Problem, type Status } from '../../src/errors.js';
import type { Lab } from '../../src/lab/index.js';
import { parseArgv, type AnyCommand, type CommandIo } from '../../src/commands/command.js';
import { COMMANDS } from '../../src/commands/registry.js';
import { runDigStream } from '../../src/commands/dig/run.js';
import { parseDigArgs } from '../../src/commands/dig/options.js';
import type { CheckCommand, CheckOutcome, CheckRunResult } from '../../src/check/model.js';

/** One subcommand's JSON result (what its --json prints), by the command line's path. */
export async function runSubcommand(command: CheckCommand, argv: string[]): Promise<{ status: Status; problems: Array<Problem<string>>; notes?: Array<Note<string>> } & Record<string, unknown>> {
  if (command === 'dig') {
    const results: unknown[] = [];
    await runDigStream(parseDigArgs([...argv]), (r) => results.push(r));
    return JSON.parse(JSON.stringify(results[0]));
  }
  const def: AnyCommand = (await COMMANDS[command].load()).command;
  const options = await parseArgv(def, [...argv, '--json']);
  const io: CommandIo = { out: () => undefined, err: () => undefined, stdin: Readable.from([]) };
  const result = await def.run(options, { signal: new AbortController().signal, io, version: 'test', style: {} });
  return JSON.parse(JSON.stringify(result));
}

/** A subcommand's result as the runner wraps it: the check's name, the address it was pinned to, extra problems (a condition). */
export async function outcomeOf(name: string, command: CheckCommand, argv: string[], extra: { address?: string; problems?: Array<Problem<string>>; attempts?: number; passedOnRetry?: boolean } = {}): Promise<CheckOutcome> {
  const started = new Date();
  const t0 = performance.now();
  const result = await runSubcommand(command, argv);
  const durationMs = Math.round((performance.now() - t0) * 1000) / 1000;
  // hosts2zone --verify keeps the server's problems in `verify` (its own are the hosts files')
  const verify = (result as { verify?: { problems?: Array<Problem<string>>; notes?: Array<Note<string>> } | null }).verify;
  const problems = [...(result.problems ?? []), ...(verify?.problems ?? []), ...(extra.problems ?? [])];
  const status = worstOf([result.status, statusOf(extra.problems ?? [])]);
  return {
    name,
    command,
    address: extra.address ?? null,
    status,
    problems,
    notes: [...(result.notes ?? []), ...(verify?.notes ?? [])],
    startedAt: started.toISOString(),
    durationMs,
    attempts: extra.attempts ?? 1,
    passedOnRetry: extra.passedOnRetry ?? false,
    result,
    pos: { file: 'lab-checks.yml', line: 1, col: 3 },
  };
}

/** A run from outcomes: counts, the worst status. */
export function runOf(file: string, checks: CheckOutcome[]): CheckRunResult {
  const counts: Record<Status, number> = { OK: 0, WARNING: 0, CRITICAL: 0, UNKNOWN: 0 };
  for (const c of checks) counts[c.status]++;
  return {
    file,
    status: worstOf(checks.map((c) => c.status)),
    startedAt: checks[0]?.startedAt ?? new Date(0).toISOString(),
    durationMs: checks.reduce((n, c) => n + c.durationMs, 0),
    counts,
    checks,
  };
}

/** The real outcomes of a lab run, passing and failing, every subcommand. */
export interface LabOutcomes {
  passing: CheckOutcome[];
  failing: CheckOutcome[];
  /** Every one, the file's order: passing ones first. */
  all: CheckOutcome[];
  close(): void;
}

/** Run every subcommand against the lab: what `lab-checks.yml` would give (fan-out included: one good and one broken address). */
export async function labOutcomes(lab: Lab): Promise<LabOutcomes> {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-check-out-'));
  const ns = lab.dns.addresses.ns1Example;
  const p = String(lab.port);
  const tls = (n: string) => lab.tls.cases.find((c) => c.name === n)!;
  const good = tls('good');
  const expired = tls('expired');
  const hostsOk = join(dir, 'ok.hosts');
  writeFileSync(hostsOk, '192.0.2.10 www.example.test\n2001:db8::10 www.example.test\n');
  const hostsDrift = join(dir, 'drift.hosts');
  writeFileSync(hostsDrift, '192.0.2.99 www.example.test\n2001:db8::10 www.example.test\n');
  const wrr = lab.lb.vip('wrr');
  const dead = lab.lb.vip('dead');
  const lb = (v: typeof wrr, weights: string) => [`${v.address}:${v.httpPort}`, ...lab.lb.backendTargets(v.name, 'http').flatMap((b) => ['--backend', b]), '--weights', weights, '--requests', '50'];
  const url = `https://www.example.test:${lab.http.httpsPort}/`;
  const cert = (c: typeof good) => [`www.example.test:${c.port}`, '--connect-to', c.address, '--ca', lab.tls.caFile];
  const [passing, failing] = await Promise.all([
    Promise.all([
      outcomeOf('www answers', 'dig', [`@${ns}`, '-p', p, 'www.example.test', 'A']),
      outcomeOf('zone serial', 'dig', [`@${ns}`, '-p', p, 'example.test', 'SOA']),
      outcomeOf('www certificate', 'cert-check', cert(good), { address: good.address }),
      outcomeOf('www timing', 'trace-request', [url, '--origin', lab.http.origin.address, '--cdn', lab.http.edge.address, '--ca', lab.tls.caFile]),
      outcomeOf('vip split', 'lb-probe', lb(wrr, '3,1,1')),
      outcomeOf('zone matches hosts', 'hosts2zone', [hostsOk, '--origin', 'example.test', '--verify', `${ns}:${p}`]),
    ]),
    Promise.all([
      outcomeOf('missing name', 'dig', [`@${ns}`, '-p', p, 'nope.example.test', 'A']),
      outcomeOf('www certificate', 'cert-check', cert(expired), { address: expired.address }),
      outcomeOf('dead origin', 'trace-request', [url, '--origin', lab.dns.addresses.unbound, '--cdn', lab.http.edge.address, '--ca', lab.tls.caFile, '--timeout', '2']),
      outcomeOf('vip with a dead backend', 'lb-probe', lb(dead, '1,1,1')),
      outcomeOf('zone drifted', 'hosts2zone', [hostsDrift, '--origin', 'example.test', '--verify', `${ns}:${p}`]),
      outcomeOf('www answers fast', 'dig', [`@${ns}`, '-p', p, 'www.example.test', 'AAAA'], {
        problems: [{ code: 'EXPECTATION_FAILED', severity: 'WARNING', message: 'timeMs < 0ms does not hold: timeMs is 0.4 ms' }],
      }),
    ]),
  ]);
  // the fanned-out check: its good address first, the broken one among the failing
  return { passing, failing, all: [...passing, ...failing], close: () => rmSync(dir, { recursive: true, force: true }) };
}
