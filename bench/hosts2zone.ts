/**
 * Benchmark: `netlab hosts2zone` on a generated 1,000,000-line hosts file (IPv4 and IPv6
 * lines, a quarter of the hosts with an alias, a comment every 1000 lines: about 1.25 million
 * records), wall time and peak RSS, against the time `named-checkzone` takes to load the zone
 * it wrote. Goals (issue 6): ratio <= 0.25, peak RSS <= 250 MB. Writing a zone should cost
 * a fraction of loading it.
 *
 * Peak RSS is the kernel's: `/usr/bin/time -v` ("Maximum resident set size") when installed,
 * else VmHWM from /proc/PID/status, read every 20 ms while the process runs (a high-water
 * mark, so the last read is the peak up to that moment).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeGeneratedHosts } from '../test/helpers/hosts-gen.js';
import { median, NETLAB, NODE, timed } from './tools.js';
import { fmt, type Row, type Section } from './report.js';

export const HOSTS2ZONE_TITLE = 'hosts2zone, a 1,000,000-line hosts file';

const LINES = 1_000_000;
const ORIGIN = 'bench.test';
const RUNS = 3;
const RATIO_GOAL = 0.25;
const RSS_GOAL_MB = 250;

export interface Hosts2zoneBenchOptions {
  /** Path of named-checkzone, or undefined when it is not installed. */
  namedCheckzone?: string;
  /** Path of GNU time (`/usr/bin/time`), or undefined. */
  gnuTime?: string;
  /** Section title (the caller numbers the sections). */
  title?: string;
  lines?: number;
}

interface Measured {
  code: number | null;
  wallMs: number;
  /** Peak resident set size, bytes. */
  peakRss: number;
  stdout: string;
  stderr: string;
  method: string;
}

/** Run a command, measuring its wall time and its peak RSS (GNU time -v, else /proc/PID/status VmHWM). */
async function measure(cmd: string, args: string[], gnuTime: string | undefined, timeoutMs = 300_000): Promise<Measured> {
  if (gnuTime) {
    const r = await timed(gnuTime, ['-v', cmd, ...args], { capture: true, timeoutMs });
    const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
    if (!kb) throw new Error(`${gnuTime} -v gave no maximum resident set size: ${r.stderr.slice(-300)}`);
    // the time -v report comes last on stderr; what the command printed comes before it
    const own = r.stderr.slice(0, r.stderr.lastIndexOf('\tCommand being timed:'));
    return { code: r.code, wallMs: r.wallMs, peakRss: Number(kb[1]) * 1024, stdout: r.stdout, stderr: own, method: 'GNU time -v' };
  }
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    let peak = 0;
    let wallMs = 0;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 64_000) stderr += d;
    });
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]) * 1024);
      } catch {
        // gone already
      }
    }, 20);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', () => (wallMs = performance.now() - started));
    child.on('close', (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({ code, wallMs, peakRss: peak, stdout, stderr, method: 'VmHWM polled every 20 ms' });
    });
  });
}

function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(0)} MB`;
}

function ms(x: number): string {
  return fmt(x, 'ms');
}

/** The benchmark section (throws when the setup is broken, so a failure is not reported as a speed). */
export async function benchHosts2zone(options: Hosts2zoneBenchOptions = {}): Promise<Section> {
  const title = options.title ?? HOSTS2ZONE_TITLE;
  const lines = options.lines ?? LINES;
  const gnuTime = options.gnuTime ?? (existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined);
  const work = mkdtempSync(join(tmpdir(), 'netlab-bench-h2z-'));
  try {
    const hostsFile = join(work, 'big.hosts');
    const outDir = join(work, 'zones');
    const zoneFile = join(outDir, `db.${ORIGIN}`);
    writeGeneratedHosts(hostsFile, lines, ORIGIN);
    const inputMb = statSync(hostsFile).size / 1048576;

    const walls: number[] = [];
    const peaks: number[] = [];
    let records = 0;
    let names = 0;
    let method = '';
    for (let i = 0; i < RUNS; i++) {
      rmSync(outDir, { recursive: true, force: true });
      const r = await measure(NODE, [NETLAB, 'hosts2zone', hostsFile, '--origin', ORIGIN, '--out', outDir, '--json'], gnuTime);
      if (r.code !== 0) throw new Error(`netlab hosts2zone exited ${r.code}: ${r.stderr.trim().split('\n').slice(0, 3).join(' ')}`);
      const doc = JSON.parse(r.stdout) as { zones: Array<{ records: number }>; names: number; counts: { errors: number; warnings: number } };
      if (doc.counts.errors + doc.counts.warnings !== 0) throw new Error(`netlab hosts2zone reported ${doc.counts.errors} errors and ${doc.counts.warnings} warnings on the generated file`);
      records = doc.zones[0]!.records;
      names = doc.names;
      walls.push(r.wallMs);
      peaks.push(r.peakRss);
      method = r.method;
    }
    const ours = median(walls);
    const peak = Math.max(...peaks);
    const zoneMb = statSync(zoneFile).size / 1048576;

    const row: Row = {
      label: `\`hosts2zone\` ${lines.toLocaleString('en-US')} lines -> ${records.toLocaleString('en-US')} records vs \`named-checkzone\` loading that zone`,
      unit: 'ms',
      netlab: ours,
      peerName: 'named-checkzone',
      goal: { kind: 'ratioMax', value: RATIO_GOAL },
    };
    const notes: string[] = [];
    const rssMet = peak <= RSS_GOAL_MB * 1048576;
    notes.push(`Peak RSS of \`netlab hosts2zone\`: ${mb(peak)} (max of ${RUNS} runs: ${peaks.map(mb).join(', ')}; ${method}). Goal <= ${RSS_GOAL_MB} MB: ${rssMet ? 'met' : 'NOT met'}.`);
    if (!options.namedCheckzone) {
      return { title, method: methodText(lines, inputMb, zoneMb, method), rows: [{ ...row, peerNote: 'not installed' }], notes };
    }
    const checks: number[] = [];
    let checkPeak = 0;
    for (let i = 0; i < RUNS; i++) {
      const c = await measure(options.namedCheckzone, [ORIGIN, zoneFile], gnuTime);
      if (c.code !== 0 || !/\nOK\n?$/.test(c.stdout)) throw new Error(`named-checkzone did not load the zone hosts2zone wrote (exit ${c.code}): ${(c.stdout + c.stderr).trim().split('\n').slice(0, 3).join(' ')}`);
      checks.push(c.wallMs);
      checkPeak = Math.max(checkPeak, c.peakRss);
    }
    const theirs = median(checks);
    notes.push(`For scale: named-checkzone's own peak RSS loading the zone was ${mb(checkPeak)}.`);
    return {
      title,
      method: methodText(lines, inputMb, zoneMb, method),
      rows: [{
        ...row,
        peer: theirs,
        detail: `median of ${RUNS} runs each; hosts2zone ${walls.map(ms).join(', ')} (${names.toLocaleString('en-US')} names, no problem reported); named-checkzone ${checks.map(ms).join(', ')}, each ending with OK; hosts2zone peak RSS ${mb(peak)} (goal <= ${RSS_GOAL_MB} MB: ${rssMet ? 'met' : 'not met'})`,
      }],
      notes,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function methodText(lines: number, inputMb: number, zoneMb: number, method: string): string {
  return `A generated hosts file of ${lines.toLocaleString('en-US')} lines (${inputMb.toFixed(0)} MB: \`10.A.B.C hN.${ORIGIN} hN\`, one host in 4 with an alias, one line in 10 an IPv6 address, a comment every 1000 lines; test/helpers/hosts-gen.ts) goes through \`netlab hosts2zone FILE --origin ${ORIGIN} --out DIR --json\` (wall time of the whole process, startup included; peak RSS by ${method}); then \`named-checkzone ${ORIGIN} DIR/db.${ORIGIN}\` loads the ${zoneMb.toFixed(0)} MB zone it wrote. Median of ${RUNS} runs each, every run checked (exit 0, no problem reported; named-checkzone ends with OK). Goals: ratio <= ${RATIO_GOAL}, peak RSS <= ${RSS_GOAL_MB} MB.`;
}
