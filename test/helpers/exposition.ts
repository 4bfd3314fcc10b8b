/**
 * Reading a Prometheus text exposition back (the interop tests of `netlab exporter`, issue 13),
 * and running the real blackbox_exporter 0.23 on loopback with a config the test writes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts, which } from './tools.js';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a text exposition (0.0.4 or OpenMetrics); comments skipped. */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    for (let l = re.exec(m[2] ?? ''); l; l = re.exec(m[2] ?? '')) labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    const v = m[3]!;
    out.push({ name: m[1]!, labels, value: v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v) });
  }
  return out;
}

export const BLACKBOX = which('prometheus-blackbox-exporter');
export const BLACKBOX_MISSING = 'blackbox_exporter is not installed (apt-get install prometheus-blackbox-exporter; .ci/run installs it when root)';

/** A daemon started by {@link startDaemon}: where it answers, its pid, and how to stop it. */
export interface Daemon {
  base: string;
  pid: number;
  close(): Promise<void>;
}

/**
 * Start a daemon (no shell) and wait, bounded (10 s), until `base + ready` answers 2xx. The
 * exporter tests and bench/exporter.ts start netlab's exporter and blackbox_exporter with it.
 * Its stderr's tail is in the error when it exits or never answers; close() sends SIGTERM,
 * then SIGKILL after 5 s.
 */
export async function startDaemon(cmd: string, args: string[], base: string, ready: string): Promise<Daemon> {
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${cmd} exited ${child.exitCode}: ${stderr}`);
    try {
      if ((await fetch(`${base}${ready}`, { signal: AbortSignal.timeout(500) })).ok) return { base, pid: child.pid!, close };
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await close();
  throw new Error(`${cmd} did not answer ${ready} within 10 s: ${stderr}`);
}

/** Start blackbox_exporter on 127.0.0.1 (a free port) with `config` (YAML) written to `dir`; waits (bounded) for /-/healthy. */
export async function startBlackbox(dir: string, config: string): Promise<Daemon> {
  if (!BLACKBOX) throw new Error(BLACKBOX_MISSING);
  const file = join(dir, 'blackbox.yml');
  writeFileSync(file, config);
  const [port] = await freePorts(1);
  return startDaemon(BLACKBOX, [`--config.file=${file}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], `http://127.0.0.1:${port}`, '/-/healthy');
}

/** GET a probe of an exporter (netlab's or blackbox's): the samples. */
export async function scrape(base: string, module: string, target: string, timeoutS = 5): Promise<{ status: number; body: string; samples: Sample[] }> {
  const r = await fetch(`${base}/probe?module=${encodeURIComponent(module)}&target=${encodeURIComponent(target)}`, {
    headers: { 'X-Prometheus-Scrape-Timeout-Seconds': String(timeoutS) },
    signal: AbortSignal.timeout((timeoutS + 5) * 1000),
  });
  const body = await r.text();
  return { status: r.status, body, samples: r.status === 200 ? parseExposition(body) : [] };
}
