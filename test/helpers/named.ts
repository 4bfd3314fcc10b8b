/**
 * A real BIND named for interop tests: run in the foreground (-g) as a child of the test from
 * a private directory, on 127.0.0.1 and a port that is free for both UDP and TCP and lies
 * below the kernel's ephemeral range (so no client socket of the test run can hold it), with
 * its log captured for failure messages. Every wait is bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

export const NAMED_ADDR = '127.0.0.1';

export interface Named {
  port: number;
  /** What named has logged so far (its stderr under -g), capped. */
  log(): string;
  stop(): Promise<void>;
}

export interface NamedOptions {
  named: string;
  /** A private directory for named.conf, the pid file and the session key. */
  dir: string;
  /** Extra statements for the options block. */
  options?: string;
  /** zone statements, given the chosen port (e.g. for forwarders). */
  zones: (port: number) => string;
  /** Free ports to keep out of the choice (e.g. a dead forwarder's port). */
  avoid?: number[];
  /** The address to listen on (default NAMED_ADDR, 127.0.0.1). */
  address?: string;
}

/** The first port of the kernel's ephemeral range (32768 when it cannot be read). */
function ephemeralStart(): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > 2000 ? first : 32768;
  } catch {
    return 32768;
  }
}

/** A random port in [20000, ephemeral start) that is free for TCP and UDP on `address`. */
export async function freeDnsPort(address = NAMED_ADDR, avoid: number[] = []): Promise<number> {
  const hi = ephemeralStart();
  const lo = Math.min(20000, hi - 2000);
  for (let i = 0; i < 50; i++) {
    const port = lo + Math.floor(Math.random() * (hi - lo));
    if (avoid.includes(port)) continue;
    if (await bindsTcp(port, address) && await bindsUdp(port, address)) return port;
  }
  throw new Error(`no free port for named in ${lo}-${hi - 1} after 50 tries`);
}

function bindsTcp(port: number, address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, address, () => s.close(() => resolve(true)));
  });
}

function bindsUdp(port: number, address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, address, () => s.close(() => resolve(true)));
  });
}

/**
 * Starts named and waits (10 s at most per attempt) until it logs that it is running with
 * every zone loaded; tries up to three ports. When named never came up, returns its last log
 * as `failure`.
 */
export async function startNamed(opts: NamedOptions): Promise<Named | { failure: string }> {
  let lastLog = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const address = opts.address ?? NAMED_ADDR;
    const port = await freeDnsPort(address, opts.avoid);
    const conf = join(opts.dir, 'named.conf');
    writeFileSync(conf, `options {
  directory "${opts.dir}"; listen-on port ${port} { ${address}; }; listen-on-v6 { none; };
  pid-file "${opts.dir}/named.pid"; session-keyfile "${opts.dir}/session.key"; dnssec-validation no;
  // the listeners stay as they are for the whole test: no rescans when interfaces change
  automatic-interface-scan no; interface-interval 0;
${opts.options ?? '  recursion no;'}
};
controls { };
${opts.zones(port)}
`);
    const child: ChildProcess = spawn(opts.named, ['-g', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const keep = (d: string) => {
      if (log.length < 200_000) log += d;
    };
    child.stdout?.setEncoding('utf8').on('data', keep);
    child.stderr?.setEncoding('utf8').on('data', keep);
    let exited = false;
    child.on('exit', () => (exited = true));
    for (let i = 0; i < 100 && !exited; i++) {
      if (/all zones loaded/.test(log) && /running/.test(log)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!exited && /all zones loaded/.test(log)) {
      return {
        port,
        log: () => log,
        stop: async () => {
          if (exited) return;
          const gone = new Promise((r) => child.on('exit', r));
          child.kill('SIGTERM');
          await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
          if (!exited) child.kill('SIGKILL');
        },
      };
    }
    lastLog = log;
    child.kill('SIGKILL');
  }
  return { failure: lastLog.slice(-3000) };
}
