/**
 * What every benchmark needs: finding the peer tools, spawning a command with its wall time
 * measured from spawn to exit, medians, and hyperfine (with a plain loop when it is absent).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs as dist/bench/tools.js). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const NETLAB = join(ROOT, 'bin/netlab.js');
export const NODE = process.execPath;

import { which } from '../test/helpers/tools.js';

export { which };

/** First line of a command's output (for version strings); '' when it fails. */
export function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}

export interface Timed {
  code: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  /** Captured only when asked for; else stdout went to a file or /dev/null. */
  stdout: string;
  stderr: string;
}

export interface TimedOptions {
  /** Write stdout to this file instead of capturing it (big outputs stay off the bench's heap). */
  stdoutFile?: string;
  /** Keep stdout in memory (small outputs). Default: discard it. */
  capture?: boolean;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Spawn without a shell; wall time from spawn to exit. Never rejects: a timeout kills and reports. */
export function timed(cmd: string, args: string[], options: TimedOptions = {}): Promise<Timed> {
  return new Promise((resolve) => {
    const fd = options.stdoutFile ? openSync(options.stdoutFile, 'w') : options.capture ? 'pipe' : 'ignore';
    const started = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', fd, 'pipe'], env: { ...process.env, NO_COLOR: '1', ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 64_000) stderr += d;
    });
    let wallMs = 0;
    child.on('exit', () => (wallMs = performance.now() - started));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (typeof fd === 'number') closeSync(fd);
      resolve({ code, signal, wallMs: wallMs || performance.now() - started, stdout, stderr });
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      if (typeof fd === 'number') closeSync(fd);
      resolve({ code: null, signal: null, wallMs: performance.now() - started, stdout, stderr: String(e) });
    });
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface CommandTiming {
  command: string;
  medianMs: number;
  runs: number;
  minMs: number;
  maxMs: number;
  /** 'hyperfine' or 'loop'. */
  method: string;
}

/**
 * Median wall time of each command (argv arrays, no shell), interleaved fairly: hyperfine -N
 * when installed (it runs each command `runs` times after `warmup`), else a loop of our own.
 * Throws when a command exits non-zero, so a broken setup is not reported as a speed.
 */
export async function compare(commands: string[][], runs: number, warmup: number, options: { interleaved?: boolean } = {}): Promise<CommandTiming[]> {
  // interleaved: A, B, A, B... in one loop rather than hyperfine's block per command, so that a
  // drift of a shared machine's load falls on every command alike (for differences of a few ms)
  const hf = options.interleaved ? undefined : which('hyperfine');
  const quote = (a: string) => (/^[\w@./:=+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  if (hf) {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-hf-'));
    try {
      const out = join(dir, 'hf.json');
      const r = await timed(hf, ['-N', '--style', 'none', '--warmup', String(warmup), '--runs', String(runs), '--export-json', out,
        ...commands.map((c) => c.map(quote).join(' '))], { capture: true, timeoutMs: 240_000 });
      if (r.code !== 0) throw new Error(`hyperfine failed (${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
      const doc = JSON.parse(readFileSync(out, 'utf8')) as { results: Array<{ command: string; median: number; min: number; max: number; times: number[] }> };
      return doc.results.map((x) => ({ command: x.command, medianMs: x.median * 1000, minMs: x.min * 1000, maxMs: x.max * 1000, runs: x.times.length, method: 'hyperfine' }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const times: number[][] = commands.map(() => []);
  for (let i = 0; i < warmup + runs; i++) {
    for (const [k, c] of commands.entries()) {
      const r = await timed(c[0]!, c.slice(1), { timeoutMs: 30_000 });
      if (r.code !== 0) throw new Error(`${c.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
      if (i >= warmup) times[k]!.push(r.wallMs);
    }
  }
  return commands.map((c, k) => ({
    command: c.map(quote).join(' '), medianMs: median(times[k]!), minMs: Math.min(...times[k]!), maxMs: Math.max(...times[k]!), runs, method: 'loop',
  }));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
