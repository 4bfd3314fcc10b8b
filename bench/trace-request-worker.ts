/**
 * Benchmark 6's netlab side: one long-lived Node process that runs netlab's timing engine
 * (timeRequest, the function `trace-request --samples N` calls once per sample, in one process)
 * for one sample per IPC message, so that the bench can interleave its samples with curl runs.
 * It answers each message with the sample and the CPU time (user + system) the sample took in
 * this process. Before its first sample it warms up as the CLI does (warmUp, one throwaway
 * request to its own loopback server). Forked by bench/trace-request.ts; exits when the parent
 * disconnects.
 */
import { readFileSync } from 'node:fs';
import { timeRequest, type Sample } from '../src/protocol/http/timing.js';
import { warmUp } from '../src/protocol/http/warm-up.js';

export interface WorkerRequest {
  url: string;
  pin: string;
  caFile: string;
}

export interface WorkerReply {
  sample: Sample;
  /** user + system CPU of this process during the sample, ms. */
  cpuMs: number;
}

const caCache = new Map<string, string>();
let warm: Promise<void> | undefined;

process.on('message', (m: WorkerRequest) => {
  void (async () => {
    // read once, as the CLI reads --ca once before its samples
    let ca = caCache.get(m.caFile);
    if (ca === undefined) {
      ca = readFileSync(m.caFile, 'utf8');
      caCache.set(m.caFile, ca);
    }
    // as the CLI: the samples use --ca, so the default roots need no warming
    await (warm ??= warmUp(true));
    const before = process.cpuUsage();
    const sample = await timeRequest(new URL(m.url), { pinAddress: m.pin, ca: [ca], timeoutMs: 10_000 });
    const cpu = process.cpuUsage(before);
    const reply: WorkerReply = { sample, cpuMs: (cpu.user + cpu.system) / 1000 };
    process.send!(reply);
  })();
});

process.on('disconnect', () => process.exit(0));
