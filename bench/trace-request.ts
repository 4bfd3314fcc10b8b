/**
 * Benchmark 6: netlab trace-request's phases against `curl --http1.1 -w` on the same lab URL
 * through the far latency relay (127.55.0.3, +70 ms RTT, to the origin; /delay/50), pinned
 * the same way (netlab --origin, curl --connect-to ::ADDR:), every sample cold (new connection,
 * no TLS session reuse; curl: a new process and --no-sessionid). Goal: every phase median
 * within 1 ms or 3 % of curl's. Also netlab's CPU time per sample against curl's.
 *
 * curl's -w timers are cumulative; the phases are their differences, as src/protocol/http/timing.ts
 * defines them: dns = namelookup, tcp = connect - namelookup, tls = pretransfer - connect,
 * ttfb = starttransfer - pretransfer, transfer = total - starttransfer.
 *
 * Three ways of running netlab, because a Node process's first request is not its others:
 *  - interleaved (the goal rows): netlab's engine in one long-lived child process
 *    (trace-request-worker.ts, timeRequest as `--samples N` calls it, after the CLI's warm-up),
 *    one sample per round, alternating with one curl process per round;
 *  - the CLI as a user runs it, `trace-request --samples 20` (one process), for its medians
 *    and its CPU time per sample;
 *  - the CLI's default, `--samples 1`: a new process per request, with its warm-up (the
 *    throwaway loopback request before the first sample) and with `--no-warm-up`.
 * Nothing is resolved: the CLI runs pin both paths (--origin and --cdn) to the far relay.
 */
import { CURL_W, curlPhases } from '../test/helpers/curl.js';
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { startLab, type Lab } from '../src/lab/index.js';
import type { Phases, SampleOk } from '../src/protocol/http/timing.js';
import type { WorkerReply, WorkerRequest } from './trace-request-worker.js';
import { median, NETLAB, NODE, ROOT, timed, which } from './tools.js';
import { fmt, type Row, type Section } from './report.js';

export const TRACE_REQUEST_TITLE = '6. trace-request against curl, through the far latency relay';

const SAMPLES = 20;
const COLD_RUNS = 10;
const DELAY_MS = 50;
const GOAL = { kind: 'within', ms: 1, fraction: 0.03 } as const;
const KEYS = ['dnsMs', 'tcpMs', 'tlsMs', 'ttfbMs', 'transferMs', 'totalMs'] as const;
type Key = (typeof KEYS)[number];

function ms(x: number): string {
  return fmt(x, 'ms');
}

function ms2(x: number): string {
  return `${x.toFixed(2)} ms`;
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : '-'}${Math.abs(x).toFixed(2)} ms`;
}

function name(k: Key): string {
  return k.replace(/Ms$/, '');
}

function medians(samples: Phases[]): Phases {
  const out = {} as Phases;
  for (const k of KEYS) out[k] = median(samples.map((s) => s[k]));
  return out;
}

/** A command's user + system CPU time, ms, from bash's `time` (TIMEFORMAT, millisecond resolution). */
interface CpuRun {
  code: number | null;
  stdout: string;
  stderr: string;
  cpuMs: number;
}

async function withCpu(bash: string, argv: string[], timeoutMs: number): Promise<CpuRun> {
  // `time` reports the pipeline's own rusage on bash's stderr, after the command's stderr
  const r = await timed(bash, ['-c', 'TIMEFORMAT="%3U %3S"; time "$@"', 'bash', ...argv], { capture: true, timeoutMs });
  const lines = r.stderr.trimEnd().split('\n');
  const m = /^(\d+\.\d+) (\d+\.\d+)$/.exec(lines[lines.length - 1] ?? '');
  if (!m) throw new Error(`no CPU time from bash for ${argv.slice(0, 3).join(' ')} (exit ${r.code}): ${r.stderr.trim().slice(-300)}`);
  return { code: r.code, stdout: r.stdout, stderr: lines.slice(0, -1).join('\n'), cpuMs: (Number(m[1]) + Number(m[2])) * 1000 };
}

interface CurlSample {
  phases: Phases;
  cpuMs: number;
}

async function curlSample(bash: string, curl: string, url: string, pin: string, caFile: string): Promise<CurlSample> {
  const r = await withCpu(bash, [curl, '--http1.1', '--connect-to', `::${pin}:`, '--cacert', caFile, '--no-sessionid', '--noproxy', '*', '--max-time', '20',
    '-sS', '-o', '/dev/null', '-w', CURL_W, url], 30_000);
  let parsed;
  try {
    parsed = curlPhases(r.stdout);
  } catch {
    parsed = undefined;
  }
  if (r.code !== 0 || !parsed || parsed.status !== 200) throw new Error(`curl ${url}: exit ${r.code}, -w '${r.stdout.trim()}': ${r.stderr.trim()}`);
  return {
    phases: parsed.phases,
    cpuMs: r.cpuMs,
  };
}

/** netlab's engine in a child process, one sample per call. */
class Engine {
  private readonly child: ChildProcess;
  private exited = false;

  constructor() {
    this.child = fork(join(ROOT, 'dist/bench/trace-request-worker.js'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.child.once('exit', () => (this.exited = true));
  }

  sample(req: WorkerRequest): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      if (this.exited) {
        reject(new Error('the netlab engine process has exited'));
        return;
      }
      const timer = setTimeout(() => {
        this.child.off('message', onMessage);
        reject(new Error(`no sample from the netlab engine within 30 s (${req.url})`));
      }, 30_000);
      const onMessage = (m: WorkerReply) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.child.once('message', onMessage);
      this.child.send(req);
    });
  }

  close(): void {
    if (!this.exited) {
      this.child.disconnect();
      // bounded: it exits on disconnect; make sure
      setTimeout(() => {
        if (!this.exited) this.child.kill('SIGKILL');
      }, 5000).unref();
    }
  }
}

interface PathDoc {
  label: string;
  succeeded: number;
  status: number | null;
  tlsVersion: string | null;
  phases: Phases;
  first: Phases;
}

async function cli(bash: string, url: string, pin: string, caFile: string, samples: number, warmUp = true): Promise<{ origin: PathDoc; cdn: PathDoc; cpuMs: number }> {
  const args = [NODE, NETLAB, 'trace-request', url, '--origin', pin, '--cdn', pin, '--ca', caFile, '--samples', String(samples), '--json', ...(warmUp ? [] : ['--no-warm-up'])];
  const r = await withCpu(bash, args, 120_000);
  if (r.code !== 0) throw new Error(`netlab trace-request --samples ${samples}: exit ${r.code}: ${r.stdout.slice(0, 300)} ${r.stderr.trim()}`);
  const doc = JSON.parse(r.stdout) as { paths: PathDoc[] };
  const [origin, cdn] = doc.paths;
  if (!origin || !cdn || origin.succeeded !== samples || cdn.succeeded !== samples) throw new Error(`netlab trace-request --samples ${samples}: not every sample succeeded`);
  return { origin, cdn, cpuMs: r.cpuMs };
}

export async function benchTraceRequest(curl: string | undefined): Promise<Section> {
  const bash = which('bash');
  if (!bash) throw new Error('bash is needed to measure CPU time (its `time` keyword)');
  const url = (lab: Lab) => `https://origin.example.test:${lab.http.httpsPort}/delay/${DELAY_MS}?${randomUUID()}`;
  let lab: Lab | undefined;
  let engine: Engine | undefined;
  try {
    lab = await startLab({ port: 0 });
    const far = lab.http.far.address;
    const caFile = lab.tls.caFile;
    const rows: Row[] = [];
    const notes: string[] = [];

    // 1. interleaved: the engine and curl, one sample each per round, the order alternating
    engine = new Engine();
    const ours: Array<{ phases: Phases; cpuMs: number }> = [];
    const theirs: CurlSample[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const steps = [
        async () => {
          const r = await engine!.sample({ url: url(lab!), pin: far, caFile });
          if (!r.sample.ok) throw new Error(`netlab engine sample ${i + 1}: ${r.sample.phase} failed: ${r.sample.error}`);
          const s = r.sample as SampleOk;
          if (s.status !== 200 || s.tlsVersion !== 'TLSv1.2') throw new Error(`netlab engine sample ${i + 1}: HTTP ${s.status}, ${s.tlsVersion}`);
          ours.push({ phases: s.phases, cpuMs: r.cpuMs });
        },
        async () => {
          if (curl) theirs.push(await curlSample(bash, curl, url(lab!), far, caFile));
        },
      ];
      if (i % 2 === 1) steps.reverse();
      for (const step of steps) await step();
    }
    engine.close();
    engine = undefined;

    // 2. the CLI, --samples 20 (both paths pinned to the far relay: 40 requests in one process)
    const many = await cli(bash, url(lab), far, caFile, SAMPLES);
    // 3. the CLI's default, --samples 1: a new process per request, with and without its warm-up
    const cold: Array<{ phases: Phases; cpuMs: number }> = [];
    const unwarmed: Phases[] = [];
    for (let i = 0; i < COLD_RUNS; i++) {
      const one = await cli(bash, url(lab), far, caFile, 1);
      cold.push({ phases: one.origin.phases, cpuMs: one.cpuMs });
      unwarmed.push((await cli(bash, url(lab), far, caFile, 1, false)).origin.phases);
    }

    const n = medians(ours.map((s) => s.phases));
    const c = theirs.length ? medians(theirs.map((s) => s.phases)) : undefined;
    const coldMedian = medians(cold.map((s) => s.phases));
    const unwarmedMedian = medians(unwarmed);
    const spread = (xs: number[]) => `${ms2(Math.min(...xs))}..${ms2(Math.max(...xs))}`;
    for (const k of KEYS) {
      const row: Row = { label: `${name(k)} median, netlab engine vs \`curl -w\` (${SAMPLES} interleaved samples each)`, unit: 'ms', netlab: n[k], peerName: 'curl', goal: GOAL };
      const parts = [`netlab ${ms2(n[k])} (range ${spread(ours.map((s) => s.phases[k]))})`];
      if (c) {
        row.peer = c[k];
        parts.push(`curl ${ms2(c[k])} (range ${spread(theirs.map((s) => s.phases[k]))})`, `difference ${signed(n[k] - c[k])}`);
        parts.push(`the CLI with --samples ${SAMPLES}: ${ms2(many.origin.phases[k])} (${signed(many.origin.phases[k] - c[k])} from curl)`);
        parts.push(`the CLI's default --samples 1, median of ${COLD_RUNS} new processes: ${ms2(coldMedian[k])} (${signed(coldMedian[k] - c[k])}); the same with --no-warm-up: ${ms2(unwarmedMedian[k])} (${signed(unwarmedMedian[k] - c[k])})`);
      } else {
        row.peerNote = 'not installed';
      }
      row.detail = parts.join('; ');
      rows.push(row);
    }

    // the CLI as most people run it: one sample in a new process
    const oneRow: Row = { label: `total median, the CLI's default \`--samples 1\` (a new process per request, ${COLD_RUNS} runs) vs \`curl -w\``, unit: 'ms', netlab: coldMedian.totalMs, peerName: 'curl', goal: GOAL };
    if (c) {
      oneRow.peer = c.totalMs;
      oneRow.detail = `per phase against curl: ${KEYS.map((k) => `${name(k)} ${signed(coldMedian[k] - c[k])}`).join(', ')}; with --no-warm-up (${COLD_RUNS} runs, interleaved with these): total ${ms2(unwarmedMedian.totalMs)} (${signed(unwarmedMedian.totalMs - c.totalMs)}), ${KEYS.filter((k) => k !== 'totalMs').map((k) => `${name(k)} ${signed(unwarmedMedian[k] - c[k])}`).join(', ')}`;
    } else {
      oneRow.peerNote = 'not installed';
    }
    rows.push(oneRow);

    // CPU per sample
    const perSample = many.cpuMs / (2 * SAMPLES);
    const coldCpu = median(cold.map((s) => s.cpuMs));
    const marginal = (many.cpuMs - coldCpu) / (2 * SAMPLES - 2);
    const engineCpu = median(ours.map((s) => s.cpuMs));
    const cpuRow: Row = {
      label: `CPU (user+sys) per sample: \`trace-request --samples ${SAMPLES}\` process / ${2 * SAMPLES} requests vs one \`curl\` process`,
      unit: 'ms', netlab: perSample, peerName: 'curl (median per process)', goal: { kind: 'none' },
    };
    const cpuParts = [
      `the --samples ${SAMPLES} process (both paths pinned: ${2 * SAMPLES} requests) used ${ms(many.cpuMs)}, startup included`,
      `a --samples 1 process (2 requests) ${ms(coldCpu)} (median of ${COLD_RUNS})`,
      `so one more request costs about ${ms2(marginal)} once the process runs`,
      `in the engine process, per sample (process.cpuUsage around timeRequest): median ${ms2(engineCpu)}, first ${ms2(ours[0]!.cpuMs)}`,
    ];
    if (theirs.length) {
      cpuRow.peer = median(theirs.map((s) => s.cpuMs));
      cpuParts.push(`curl per process (one request, startup included): median ${ms2(cpuRow.peer)}, range ${spread(theirs.map((s) => s.cpuMs))}`);
    } else {
      cpuRow.peerNote = 'not installed';
    }
    cpuRow.detail = `${cpuParts.join('; ')}. CPU from bash's \`time\` (TIMEFORMAT %3U %3S).`;
    rows.push(cpuRow);

    const first = ours[0]!.phases;
    const restMedian = medians(ours.slice(1).map((s) => s.phases));
    notes.push(`The first request of a Node process is slower than the next ones, for reasons that are not the network: the first \`net.connect\` and TLS handshake of the process, the exchange's connect, request, parser and body code running before V8 has compiled it. Without a warm-up a one-sample run pays it in its phases: with \`--no-warm-up\`, the CLI's \`--samples 1\` took tcp ${ms2(unwarmedMedian.tcpMs)}, tls ${ms2(unwarmedMedian.tlsMs)}, ttfb ${ms2(unwarmedMedian.ttfbMs)}, transfer ${ms2(unwarmedMedian.transferMs)} (total ${ms2(unwarmedMedian.totalMs)}${c ? ` against curl's ${ms2(c.totalMs)}` : ''}), and with its warm-up tcp ${ms2(coldMedian.tcpMs)}, tls ${ms2(coldMedian.tlsMs)}, ttfb ${ms2(coldMedian.ttfbMs)}, transfer ${ms2(coldMedian.transferMs)} (total ${ms2(coldMedian.totalMs)}). The warm-up (src/protocol/http/warm-up.ts) is one throwaway request through the same engine to a server of netlab's own on 127.0.0.1 before the first sample; it reaches nothing else and costs some tens of milliseconds of wall time that are in no phase. The engine rows warm up the same way; its first sample took tcp ${ms2(first.tcpMs)}, tls ${ms2(first.tlsMs)}, ttfb ${ms2(first.ttfbMs)}, transfer ${ms2(first.transferMs)} against the median of its other ${SAMPLES - 1}: tcp ${ms2(restMedian.tcpMs)}, tls ${ms2(restMedian.tlsMs)}, ttfb ${ms2(restMedian.ttfbMs)}, transfer ${ms2(restMedian.transferMs)}.`);
    notes.push(`Through the relay the tcp phase is about 0 for both tools: the kernel completes connect() to the relay at once (src/lab/http/relay.ts), so the 70 ms RTT shows in tls (2 round trips of TLS 1.2) and ttfb (1 round trip plus the ${DELAY_MS} ms delay).`);

    return {
      title: TRACE_REQUEST_TITLE,
      method: `The lab (startLab in the bench process): \`https://origin.example.test:PORT/delay/${DELAY_MS}?UNIQUE\` pinned to the far relay ${far} (+70 ms RTT to the origin, TLS 1.2), a fresh query string per request. netlab: its timing engine (timeRequest, what \`trace-request --samples N\` runs per sample) in one long-lived child process, one sample per round; curl: \`curl --http1.1 --connect-to ::${far}: --cacert CA --no-sessionid -w '%{time_namelookup} %{time_connect} %{time_appconnect} %{time_pretransfer} %{time_starttransfer} %{time_total}'\`, a new process per round. ${SAMPLES} rounds, the order alternating; the medians per phase, with curl's cumulative timers turned into netlab's phases (tls = pretransfer - connect, ttfb = starttransfer - pretransfer, ...). Then the CLI itself: one \`trace-request --origin ${far} --cdn ${far} --samples ${SAMPLES} --json\`, and ${COLD_RUNS} runs with \`--samples 1\` (each a new process, with its warm-up) interleaved with ${COLD_RUNS} with \`--samples 1 --no-warm-up\`. Goal: every phase within 1 ms or 3 % of curl.`,
      rows,
      notes,
    };
  } finally {
    engine?.close();
    await lab?.close();
  }
}
