/**
 * One adapter per subcommand a check can run (issue 12): its arguments (as loaded, parsed again
 * by the subcommand's own parser) -> the library call -> its JSON result, the same document the
 * subcommand's --json prints. dig runs ONE query through the library (runDigQuery), not its
 * streaming command. What is expensive and safe to share is shared across the checks of a run
 * (RunShared): the trust stores of cert-check (the system bundle parsed once per set of CA
 * files), the resolved @servers of dig, and one pool of UDP sockets for every dig check.
 */
import type { Status } from '../errors.js';
import type { CheckCommand } from './model.js';
import { parseArgvOnce } from './parse-cache.js';

/** What one run of a subcommand gave: its result (JSON-able) and its status. */
export interface SubcommandResult {
  status: Status;
  result: unknown;
  interrupted: boolean;
}

/** What the checks of one run share. `close()` when the run is over. */
export class RunShared {
  private readonly trust = new Map<string, unknown>();
  private readonly servers = new Map<string, Promise<unknown>>();
  private udp?: { close(): Promise<void> };

  /** cert-check's trust store for a set of CA files, loaded once (INPUT errors are thrown again to each check). */
  trustFor<T>(key: string, load: () => T): T {
    if (!this.trust.has(key)) {
      try {
        this.trust.set(key, { ok: load() });
      } catch (e) {
        this.trust.set(key, { error: e });
      }
    }
    const got = this.trust.get(key) as { ok?: T; error?: unknown };
    if ('error' in got) throw got.error;
    return got.ok as T;
  }

  /** dig's @server, resolved once per name. */
  serverFor<T>(key: string, resolve: () => Promise<T>): Promise<T> {
    let s = this.servers.get(key);
    if (!s) {
      s = resolve();
      // a failure is the check's, and the next check may try again
      s.catch(() => this.servers.delete(key));
      this.servers.set(key, s);
    }
    return s as Promise<T>;
  }

  /** The UDP socket pool every dig check of the run shares. */
  async udpPool<T extends { close(): Promise<void> }>(make: () => T): Promise<T> {
    this.udp ??= make();
    return this.udp as T;
  }

  async close(): Promise<void> {
    await this.udp?.close();
  }
}

type Adapter = (argv: readonly string[], how: { signal: AbortSignal; shared: RunShared }) => Promise<SubcommandResult>;

const ADAPTERS: Record<CheckCommand, Adapter> = {
  async dig(argv, { signal, shared }) {
    const [{ parseDigArgs }, { runDigQuery, readTsigKeyFile }, { resolveServer }, { UdpPool }] = await Promise.all([
      import('../commands/dig/options.js'),
      import('../commands/dig/run.js'),
      import('../protocol/dns/lookup.js'),
      import('../protocol/dns/transport.js'),
    ]);
    const options = { ...parseDigArgs([...argv]), signal };
    // issue 14: -k FILE, read as the command reads it
    if (options.tsigKeyFile && !options.tsigKey) options.tsigKey = await readTsigKeyFile(options.tsigKeyFile);
    const server = await shared.serverFor(`${options.server ?? ''}/${options.ipv6Only}`, () => resolveServer(options.server, { ipv6: options.ipv6Only }));
    const pool = await shared.udpPool(() => new UdpPool(8));
    const result = await runDigQuery(options.queries[0]!, server, options, pool);
    return { status: result.status, result, interrupted: result.interrupted === true };
  },
  async 'cert-check'(argv, { signal, shared }) {
    const [{ command }, { runCertCheck }, { loadTrustStore }] = await Promise.all([
      import('../commands/cert-check/index.js'),
      import('../commands/cert-check/run.js'),
      import('../protocol/tls/trust.js'),
    ]);
    const options = await parseArgvOnce(command, argv);
    const trust = shared.trustFor(`${options.systemRoots}\n${options.caFiles.join('\n')}`, () => loadTrustStore({ caFiles: options.caFiles, systemRoots: options.systemRoots }));
    const result = await runCertCheck(options, { signal, trust });
    return { status: result.status, result, interrupted: result.interrupted === true };
  },
  async 'trace-request'(argv, { signal }) {
    const [{ command }, { runTraceRequest }] = await Promise.all([
      import('../commands/trace-request/index.js'),
      import('../commands/trace-request/run.js'),
    ]);
    const result = await runTraceRequest(await parseArgvOnce(command, argv), { signal });
    return { status: result.status, result, interrupted: result.interrupted === true };
  },
  async 'lb-probe'(argv, { signal }) {
    const [{ command }, { runLbProbe }] = await Promise.all([
      import('../commands/lb-probe/index.js'),
      import('../commands/lb-probe/run.js'),
    ]);
    const result = await runLbProbe(await parseArgvOnce(command, argv), { signal });
    return { status: result.status, result, interrupted: result.interrupted === true };
  },
  async hosts2zone(argv, { signal }) {
    const [{ command }, { runHosts2zone }] = await Promise.all([
      import('../commands/hosts2zone/index.js'),
      import('../commands/hosts2zone/run.js'),
    ]);
    // json: nothing streams to stdout; the issues and mismatches are in the result
    const options = { ...(await parseArgvOnce(command, argv)), json: true };
    const result = await runHosts2zone(options, { signal });
    return { status: result.status, result, interrupted: result.interrupted === true };
  },
};

/**
 * Run `command` with `argv` (its arguments, as loaded) through the library. Throws what the
 * subcommand throws for bad input (NetlabError INPUT/USAGE: an unreadable CA or hosts file).
 */
export function runSubcommand(command: CheckCommand, argv: readonly string[], how: { signal: AbortSignal; shared: RunShared }): Promise<SubcommandResult> {
  return ADAPTERS[command](argv, how);
}
