/** Spawn the real binary, as a user does, with a bounded wait. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../../bin/netlab.js', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runCli(args: string[], options: { timeoutMs?: number; input?: string | Buffer; env?: Record<string, string> } = {}): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`netlab ${args.join(' ')} did not finish in ${options.timeoutMs ?? 20000} ms`));
    }, options.timeoutMs ?? 20000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
    // a binary that exits before it reads stdin (a usage error, `lab --zone BAD`) closes the
    // pipe: EPIPE on it is no error of the test's (it failed `lab --zone with a bad file` once)
    child.stdin.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') reject(e);
    });
    child.stdin.end(options.input ?? '');
  });
}

export interface CliProcess {
  child: ReturnType<typeof spawn>;
  /** stdout and stderr so far. */
  out: { stdout: string; stderr: string };
  done: Promise<CliRun & { signal: NodeJS.Signals | null }>;
}

/** Spawn the binary and return at once, for tests that signal it mid-run; killed after `timeoutMs`. */
export function startCli(args: string[], options: { timeoutMs?: number; env?: Record<string, string> } = {}): CliProcess {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
  const done = new Promise<CliRun & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`netlab ${args.join(' ')} did not finish in ${options.timeoutMs ?? 20000} ms`));
    }, options.timeoutMs ?? 20000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: out.stdout, stderr: out.stderr, ms: Date.now() - started });
    });
  });
  return { child, out, done };
}

/** Wait until `ready()` holds, checking every 10 ms, at most `timeoutMs`. */
export async function waitFor(ready: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > until) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
