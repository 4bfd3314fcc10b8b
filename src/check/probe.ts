/**
 * One probe of `netlab exporter` (issue 13): a module (a check without its target) with the
 * probe's target added, run through netlab check's runner (the same adapters, fan-out,
 * conditions) within the probe's deadline, as CheckOutcomes; and the policy that decides which
 * targets may be probed at all (SSRF: the exporter is not an open prober). Library code: no
 * printing, no process state.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { NetlabError } from '../errors.js';
import { roundMs } from '../util/round.js';
import type { CheckOutcome, ModuleDef } from './model.js';
import { runChecks } from './run.js';
import { parseTarget, TargetError } from './target.js';
import type { RunShared } from './commands.js';

/** The bound of resolving a name target to judge its addresses (milliseconds). */
export const RESOLVE_BOUND_MS = 2000;

/** What `--allow` gives: CIDRs (an address is a /32 or /128) and name patterns (`*.example.com`, `www.example.com`). */
export interface AllowList {
  cidrs: string[];
  names: string[];
}

/** `--allow` values -> an AllowList. Throws NetlabError USAGE naming the bad value. */
export function parseAllow(values: readonly string[]): AllowList {
  const out: AllowList = { cidrs: [], names: [] };
  for (const raw of values) {
    const v = raw.trim().toLowerCase();
    const cidr = /^([^/]+)\/(\d{1,3})$/.exec(v);
    if (cidr) {
      const family = isIP(cidr[1]!);
      const bits = Number(cidr[2]);
      if (family === 0 || bits > (family === 4 ? 32 : 128)) throw new NetlabError('USAGE', `--allow '${raw}' is not a CIDR such as 10.0.0.0/8 or 2001:db8::/32`);
      out.cidrs.push(v);
    } else if (isIP(v)) out.cidrs.push(`${v}/${isIP(v) === 4 ? 32 : 128}`);
    else if (/^(\*\.)?([a-z0-9_]([a-z0-9_-]*[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?\.?$/.test(v)) out.names.push(v.replace(/\.$/, ''));
    else throw new NetlabError('USAGE', `--allow '${raw}' is neither a CIDR (10.0.0.0/8), an address, nor a name pattern (*.example.com)`);
  }
  return out;
}

/** Which targets may be probed: loopback, the config's targets of the module, and `--allow`. */
export class TargetPolicy {
  private readonly blocks = new BlockList();

  constructor(readonly allow: AllowList, private readonly resolve: (name: string) => Promise<string[]> = resolveAll) {
    this.blocks.addSubnet('127.0.0.0', 8, 'ipv4');
    this.blocks.addAddress('::1', 'ipv6');
    for (const c of allow.cidrs) {
      const [addr, bits] = c.split('/') as [string, string];
      this.blocks.addSubnet(addr, Number(bits), isIP(addr) === 6 ? 'ipv6' : 'ipv4');
    }
  }

  /** Whether an address is loopback or in an allowed CIDR (IPv4-mapped IPv6 judged as IPv4). */
  addressAllowed(address: string): boolean {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    const a = mapped ? mapped[1]! : address;
    const family = isIP(a);
    return family !== 0 && this.blocks.check(a, family === 6 ? 'ipv6' : 'ipv4');
  }

  /** Whether a name matches a name pattern of `--allow` (`*.example.com`: any name under it, not itself). */
  nameAllowed(name: string): boolean {
    const n = name.toLowerCase().replace(/\.$/, '');
    return this.allow.names.some((p) => (p.startsWith('*.') ? n.endsWith(p.slice(1)) && n.length > p.length - 1 : n === p));
  }

  /**
   * Null when `target` (as given, for `module`) may be probed, else the one-line reason. A name
   * is allowed by a name pattern, or when every address it resolves to is loopback or in an
   * allowed CIDR (judged before any probe: nothing is sent to a refused target).
   */
  async refusal(module: ModuleDef, target: string, host: string): Promise<string | null> {
    if (module.targets.includes(target.trim())) return null;
    const how = "(allowed: loopback, the module's targets: in the config, and --allow CIDR|NAME-PATTERN)";
    if (isIP(host)) return this.addressAllowed(host) ? null : `target ${host} is not allowed ${how}`;
    if (this.nameAllowed(host)) return null;
    let addresses: string[];
    try {
      addresses = await this.resolve(host);
    } catch (e) {
      return `target ${host} is not allowed and does not resolve to judge its addresses (${e instanceof Error ? e.message : String(e)}) ${how}`;
    }
    if (addresses.length === 0) return `target ${host} is not allowed and resolves to no address ${how}`;
    const out = addresses.filter((a) => !this.addressAllowed(a));
    return out.length === 0 ? null : `target ${host} resolves to ${out[0]}, which is not allowed ${how}`;
  }
}

/** Every address of a name (A and AAAA, the system's resolver), bounded. */
async function resolveAll(name: string): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${RESOLVE_BOUND_MS} ms`)), RESOLVE_BOUND_MS);
  });
  try {
    const got = await Promise.race([lookup(name, { all: true, verbatim: true }), bound]);
    return got.map((a) => a.address);
  } finally {
    clearTimeout(timer);
  }
}

export interface ProbeHow {
  /** The probe's deadline (milliseconds): the least of the module's timeout and the scrape's. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** What probes share (the exporter keeps one): trust stores parsed once, one UDP socket pool. */
  shared?: RunShared;
}

/** The module's arguments with the target added (the target parsed for the module's subcommand). Throws TargetError. */
export function probeArgv(module: ModuleDef, target: string): string[] {
  return [...module.argv, ...parseTarget(module.command, target).argv];
}

/**
 * Run one probe: `module` at `target`, within `how.timeoutMs`. Never throws for what the probe
 * finds: a failed or late probe is an outcome (CRITICAL, CHECK_TIMEOUT). A fan-out module gives
 * one outcome per address. Throws TargetError for a target the module cannot take.
 */
export async function probe(module: ModuleDef, target: string, how: ProbeHow): Promise<CheckOutcome[]> {
  const argv = probeArgv(module, target);
  const timeoutMs = Math.max(1, Math.min(module.timeoutMs, how.timeoutMs));
  const check = { ...module, argv, timeoutMs };
  const t0 = performance.now();
  const run = runChecks({ file: module.pos.file, checks: [check] }, { deadlineMs: timeoutMs + 50, concurrency: 8, ...(how.signal ? { signal: how.signal } : {}), ...(how.shared ? { shared: how.shared } : {}) });
  // the attempt's timeout fires first (CRITICAL, CHECK_TIMEOUT); the runner gives an engine a
  // grace after its deadline, the scrape does not wait for it
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), timeoutMs + 150);
  });
  try {
    const got = await Promise.race([run, late]);
    if (got !== 'late') return got.checks;
    void run.catch(() => undefined);
    return [{
      name: module.name, command: module.command, address: null, pos: module.pos, status: 'CRITICAL',
      problems: [{ code: 'CHECK_TIMEOUT', severity: 'CRITICAL', message: `did not finish within ${timeoutMs} ms` }],
      notes: [], startedAt: new Date(Date.now() - (performance.now() - t0)).toISOString(), durationMs: roundMs(performance.now() - t0),
      attempts: 1, passedOnRetry: false, result: null, error: { code: 'CHECK_TIMEOUT', message: `did not finish within ${timeoutMs} ms` },
    }];
  } finally {
    clearTimeout(timer);
  }
}

export { TargetError };
