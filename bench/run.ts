/**
 * netlab's benchmark suite: startup, one query, a 10,000-name batch, +trace through dead
 * servers, one certificate check and request timing (against curl -w), each side by side with the reference tool on this machine. Prints a table and
 * writes docs/benchmarks.md. A missing peer tool makes its row say 'not installed'.
 *
 *   npm run bench        (builds first; about two minutes, at most about five)
 *   node dist/bench/run.js --only check|startup|exporter|batch|axfr|lb-rate|trace-h2|dot [--cpu-prof]
 *                        section 9 (netlab check, bench/check.ts), 1 (startup), 10 (exporter), 3 (the dig batch), 11 (AXFR), 7 (lb-probe rate) 6b (trace-request h2) or 12 (dig -f over DoT/DoH) alone: prints it and merges it
 *                        into docs/benchmarks.md by its heading, leaving the other sections and
 *                        the Machine paragraph as the last full run wrote them; with check, --cpu-prof
 *                        also profiles one netlab check run and prints where its time goes
 *
 * Every server is on loopback. BIND dig +trace looks NS names up through the system
 * resolver (dighost.c followup_lookup -> getaddresses), so it runs in a private mount
 * namespace whose /etc/hosts maps the lab's NS names and whose resolv.conf names 127.0.0.1:
 * it never reaches the machine's real resolver.
 */
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startLab, type Lab } from '../src/lab/index.js';
import { batchZoneText, startNamed, type NamedServer } from './named.js';
import { DEAD_FIRST_HOSTS, startDeadFirst, type DeadFirstTopology } from './dead-first.js';
import { benchCertCheck } from './cert-check.js';
import { benchTraceRequest, TRACE_REQUEST_TITLE } from './trace-request.js';
import { benchTraceH2, TRACE_H2_TITLE } from './trace-h2.js';
import { benchLbProbe } from './lb-probe.js';
import { benchHosts2zone, HOSTS2ZONE_TITLE } from './hosts2zone.js';
import { benchCheck, CHECK_TITLE } from './check.js';
import { benchExporter, EXPORTER_TITLE } from './exporter.js';
import { AXFR_TITLE, benchAxfr } from './axfr.js';
import { benchDot, DOT_TITLE } from './dot.js';
import { compare, firstLine, median, NETLAB, NODE, ROOT, timed, which, type Timed } from './tools.js';
import { fmt, mergeSectionMarkdown, renderMarkdown, renderText, type Machine, type Row, type Section } from './report.js';

const BATCH_SIZE = 10_000;
const BATCH_ORIGIN = 'example.test';
const CONCURRENCIES = [16, 64, 256];
const DEFAULT_CONCURRENCY = 16;
const BATCH_RUNS = 3;
const TRACE_NETLAB_RUNS = 5;
const TRACE_DIG_DEFAULT_RUNS = 4;
const TRACE_DIG_FAST_RUNS = 9;

const tools = {
  hyperfine: which('hyperfine'),
  dig: which('dig'),
  named: which('named'),
  dnsperf: which('dnsperf'),
  unshare: which('unshare'),
  timeout: which('timeout'),
  openssl: which('openssl'),
  curl: which('curl'),
  haproxy: which('haproxy'),
  ab: which('ab'),
  namedCheckzone: which('named-checkzone'),
};

const NOT_INSTALLED = 'not installed';
const work = mkdtempSync(join(tmpdir(), 'netlab-bench-'));

function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

function netlab(...args: string[]): string[] {
  return [NODE, NETLAB, ...args];
}

function failedSection(title: string, e: unknown): Section {
  const why = e instanceof Error ? e.message : String(e);
  return { title, method: `Not measured: ${why}`, rows: [] };
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function ms(x: number): string {
  return fmt(x, 'ms');
}

// 1. Startup ---------------------------------------------------------------------------

async function benchStartup(): Promise<Section> {
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const check = await timed(NODE, [NETLAB, '--version'], { capture: true });
  if (check.code !== 0 || check.stdout.trim() !== version) throw new Error(`netlab --version printed '${check.stdout.trim()}' (exit ${check.code})`);
  const entry = (path: string) => [NODE, '--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(join(ROOT, path)).href)})`];
  const [ours, bare, root, dns] = await compare([netlab('--version'), [NODE, '-e', '0'], entry('dist/lib/index.js'), entry('dist/lib/dns.js')], 40, 5, { interleaved: true });
  const importRow = (label: string, t: typeof root): Row => ({
    label, unit: 'ms', netlab: t!.medianMs, peerName: 'node -e 0', peer: bare!.medianMs,
    goal: { kind: 'addMaxMs', value: 15 },
    detail: `${label}: min ${ms(t!.minMs)} max ${ms(t!.maxMs)}; adds ${ms(t!.medianMs - bare!.medianMs)} to bare Node`,
  });
  const inProcess = await importTimes(['dist/lib/index.js', 'dist/lib/dns.js'], 40);
  const inProcessRow = (label: string, k: number): Row => ({
    label, unit: 'ms', netlab: median(inProcess.times[k]!), peerName: 'empty ESM module', peer: median(inProcess.empty),
    goal: { kind: 'addMaxMs', value: 15 },
    detail: `${label}: min ${ms(Math.min(...inProcess.times[k]!))}, empty module min ${ms(Math.min(...inProcess.empty))}; adds ${ms(median(inProcess.times[k]!) - median(inProcess.empty))} to the loader's floor`,
  });
  return {
    title: '1. Startup',
    method: `\`node bin/netlab.js --version\` against \`node -e 0\` (bare Node, the floor for any Node CLI), and a process that only imports the library (\`await import('netlab')\`, \`await import('netlab/dns')\`, by the files package.json exports them as: the bundles in dist/lib): median wall time of ${ours!.runs} runs each after 5 warm-ups, the commands interleaved (A, B, C, D, A, B...) so that a drift of the machine's load falls on all alike. In process: the \`await import()\` alone, timed with performance.now() inside ${inProcess.empty.length} fresh processes each (interleaved, after 3 warm-ups), against an empty ESM module file (the loader's floor).`,
    rows: [{
      label: '`netlab --version` vs `node -e 0`', unit: 'ms', netlab: ours!.medianMs, peerName: 'node -e 0', peer: bare!.medianMs,
      goal: { kind: 'ratioMax', value: 1.3 },
      detail: `netlab min ${ms(ours!.minMs)} max ${ms(ours!.maxMs)}; node -e 0 min ${ms(bare!.minMs)} max ${ms(bare!.maxMs)}; netlab adds ${ms(ours!.medianMs - bare!.medianMs)} to bare Node`,
    }, importRow("`import 'netlab'` vs `node -e 0`", root), importRow("`import 'netlab/dns'` vs `node -e 0`", dns),
    inProcessRow("in process: `await import('netlab')` vs an empty module", 0), inProcessRow("in process: `await import('netlab/dns')` vs an empty module", 1)],
  };
}

/**
 * The import alone, timed inside fresh processes (performance.now() around `await import()`):
 * an empty ESM module (the loader's floor) and each file, interleaved, `runs` processes each.
 */
async function importTimes(files: string[], runs: number): Promise<{ empty: number[]; times: number[][] }> {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-import-'));
  try {
    const empty = join(dir, 'empty.mjs');
    writeFileSync(empty, 'export {};\n');
    const once = async (file: string): Promise<number> => {
      const url = pathToFileURL(file).href;
      const r = await timed(NODE, ['--input-type=module', '-e', `const t = performance.now(); await import(${JSON.stringify(url)}); process.stdout.write(String(performance.now() - t));`], { capture: true });
      const t = Number(r.stdout);
      if (r.code !== 0 || !Number.isFinite(t)) throw new Error(`importing ${file} failed (exit ${r.code}): ${r.stderr.trim()}`);
      return t;
    };
    const out = { empty: [] as number[], times: files.map(() => [] as number[]) };
    for (let i = 0; i < runs + 3; i++) {
      const e = await once(empty);
      const ts: number[] = [];
      for (const f of files) ts.push(await once(join(ROOT, f)));
      if (i < 3) continue; // warm-ups
      out.empty.push(e);
      ts.forEach((t, k) => out.times[k]!.push(t));
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// 2. One query ---------------------------------------------------------------------------

async function oneQueryRow(label: string, address: string, port: number, qname: string, expect: string): Promise<Row> {
  const args = [`@${address}`, '-p', String(port), qname];
  const ours = await timed(NODE, [NETLAB, 'dig', ...args], { capture: true });
  if (ours.code !== 0 || !ours.stdout.includes('status: NOERROR') || !ours.stdout.includes(expect)) {
    throw new Error(`netlab dig ${args.join(' ')} did not answer NOERROR with ${expect} (exit ${ours.code}): ${ours.stderr.trim()}`);
  }
  const row: Row = { label, unit: 'ms', peerName: 'BIND dig', goal: { kind: 'ratioMax', value: 2.5 } };
  if (!tools.dig) {
    const [t] = await compare([netlab('dig', ...args)], 30, 3);
    return { ...row, netlab: t!.medianMs, peerNote: NOT_INSTALLED };
  }
  const theirs = await timed(tools.dig, args, { capture: true });
  if (!theirs.stdout.includes('status: NOERROR') || !theirs.stdout.includes(expect)) throw new Error(`BIND dig ${args.join(' ')} did not answer NOERROR`);
  const [a, b] = await compare([netlab('dig', ...args), [tools.dig, ...args]], 30, 3);
  return {
    ...row, netlab: a!.medianMs, peer: b!.medianMs,
    detail: `${a!.runs} runs each (${a!.method}); netlab min ${ms(a!.minMs)}, dig min ${ms(b!.minMs)}; both printed status: NOERROR and ${expect}`,
  };
}

async function benchOneQuery(lab: Lab, named: NamedServer | undefined, startup: Row | undefined): Promise<Section> {
  const rows: Row[] = [await oneQueryRow('`dig @ns1.example.test www.example.test` (lab server)', lab.dns.addresses.ns1Example, lab.port, 'www.example.test', '192.0.2.10')];
  if (named) rows.push(await oneQueryRow('`dig @127.0.0.1 www.example.test` (BIND named)', named.address, named.port, 'www.example.test', '192.0.2.80'));
  else rows.push({ label: '`dig @127.0.0.1 www.example.test` (BIND named)', unit: 'ms', netlabNote: 'not run', peerName: 'BIND dig', peerNote: 'named not installed', goal: { kind: 'ratioMax', value: 2.5 } });
  const notes: string[] = [];
  const digMs = rows[0]!.peer;
  if (startup?.netlab !== undefined && startup.peer !== undefined && digMs !== undefined) {
    notes.push(`For scale: bare \`node -e 0\` (section 1) takes ${ms(startup.peer)}, ${(startup.peer / digMs).toFixed(1)}x BIND dig's whole query, and \`netlab --version\` ${ms(startup.netlab)}, ${(startup.netlab / digMs).toFixed(1)}x. A Node process does not start as fast as a C binary: on this machine the <= 2.5x goal (${ms(2.5 * digMs)}) is below what Node needs to start at all, before any DNS work.`);
  }
  return {
    title: '2. One query',
    method: 'One A query, full dig output, to a server on loopback: the lab\'s LabDnsServer for example.test (started in the bench process with `startLab({ port: 0 })`) and BIND named (the batch zone, section 3). Median wall time of the whole process, including startup, with hyperfine -N.',
    rows,
    notes,
  };
}

// 3. Batch ---------------------------------------------------------------------------------

function countNoerror(file: string): number {
  const text = readFileSync(file, 'utf8');
  return text.match(/status: NOERROR/g)?.length ?? 0;
}

async function benchBatch(named: NamedServer | undefined, startup: Row | undefined): Promise<Section> {
  const title = `3. Batch of ${BATCH_SIZE.toLocaleString('en-US')} names`;
  const labelDnsperf = (what: string) => `netlab -f, ${what} vs dnsperf`;
  const labelDig = (what: string) => `netlab -f, ${what} vs dig -f`;
  if (!named) {
    const row = (label: string, peerName: string, value: number): Row => ({ label, unit: 'q/s', netlabNote: 'not run', peerName, peerNote: 'named not installed', goal: { kind: 'ratioMin', value } });
    return { title, method: 'Needs BIND named to serve the zone (apt-get install bind9).', rows: [row(labelDnsperf('default'), 'dnsperf', 0.35), row(labelDig('default'), 'dig -f', 2)] };
  }
  const file = join(work, 'batch.txt');
  writeFileSync(file, Array.from({ length: BATCH_SIZE }, (_, i) => `h${i}.${BATCH_ORIGIN} A\n`).join(''));
  const server = ['@' + named.address, '-p', String(named.port)];
  const out = join(work, 'batch.out');

  // netlab: text output (as dig -f prints it) to a file, whole process timed, every answer checked
  const perConcurrency = new Map<number, number>();
  const checks: string[] = [];
  for (const c of CONCURRENCIES) {
    const walls: number[] = [];
    for (let i = 0; i < BATCH_RUNS; i++) {
      const r = await timed(NODE, [NETLAB, 'dig', '-f', file, ...server, '--concurrency', String(c)], { stdoutFile: out, timeoutMs: 120_000 });
      const ok = countNoerror(out);
      if (r.code !== 0 || ok !== BATCH_SIZE) throw new Error(`netlab dig -f --concurrency ${c}: exit ${r.code}, ${ok} NOERROR of ${BATCH_SIZE}: ${r.stderr.trim().slice(0, 300)}`);
      walls.push(r.wallMs);
    }
    perConcurrency.set(c, median(walls));
    log(`batch netlab --concurrency ${c}: ${walls.map(ms).join(', ')}`);
  }
  checks.push(`every netlab run exited 0 with ${BATCH_SIZE} \`status: NOERROR\` headers`);

  // the --json document, counted record by record
  const jsonOut = join(work, 'batch.json');
  const j = await timed(NODE, [NETLAB, 'dig', '-f', file, ...server, '--json'], { stdoutFile: jsonOut, timeoutMs: 120_000 });
  const doc = JSON.parse(readFileSync(jsonOut, 'utf8')) as Array<{ rcode: string | null; answer: unknown[] }>;
  const jsonNoerror = doc.filter((d) => d.rcode === 'NOERROR' && d.answer.length === 1).length;
  if (j.code !== 0 || jsonNoerror !== BATCH_SIZE) throw new Error(`netlab dig -f --json: exit ${j.code}, ${jsonNoerror} NOERROR answers of ${BATCH_SIZE}`);
  checks.push(`the \`--json\` run: ${jsonNoerror} of ${doc.length} results NOERROR with one A record`);
  const jsonWallMs = j.wallMs;

  const qps = (wallMs: number) => BATCH_SIZE / (wallMs / 1000);
  const defaultQps = qps(perConcurrency.get(DEFAULT_CONCURRENCY)!);
  const [bestC, bestWall] = [...perConcurrency].sort((a, b) => a[1] - b[1])[0]!;
  const bestQps = qps(bestWall);
  const concurrencyDetail = [...perConcurrency].map(([c, w]) => `--concurrency ${c}: ${ms(w)} (${Math.round(qps(w)).toLocaleString('en-US')} q/s)`).join('; ');

  // dnsperf
  let dnsperfQps: number | undefined;
  let dnsperfNote = NOT_INSTALLED;
  let dnsperfDetail = '';
  if (tools.dnsperf) {
    const runs: number[] = [];
    for (let i = 0; i < BATCH_RUNS; i++) {
      const r = await timed(tools.dnsperf, ['-s', named.address, '-p', String(named.port), '-d', file], { capture: true, timeoutMs: 60_000 });
      const m = /Queries per second:\s+([\d.]+)/.exec(r.stdout);
      const done = /Queries completed:\s+(\d+)/.exec(r.stdout);
      const noerror = /NOERROR (\d+)/.exec(r.stdout);
      if (!m || Number(done?.[1]) !== BATCH_SIZE || Number(noerror?.[1]) !== BATCH_SIZE) throw new Error(`dnsperf did not complete ${BATCH_SIZE} NOERROR queries: ${r.stdout.slice(-400)}`);
      runs.push(Number(m[1]));
    }
    dnsperfQps = median(runs);
    dnsperfNote = '';
    dnsperfDetail = `dnsperf (defaults: 1 client, 100 outstanding; its q/s excludes its own startup): ${runs.map((x) => Math.round(x).toLocaleString('en-US')).join(', ')} q/s`;
    log(`batch dnsperf: ${dnsperfDetail}`);
  }

  // dig -f: sequential, text to a file
  let digQps: number | undefined;
  let digDetail = '';
  if (tools.dig) {
    const walls: number[] = [];
    for (let i = 0; i < BATCH_RUNS; i++) {
      const r = await timed(tools.dig, ['-f', file, ...server], { stdoutFile: out, timeoutMs: 120_000 });
      const ok = countNoerror(out);
      if (r.code !== 0 || ok !== BATCH_SIZE) throw new Error(`dig -f: exit ${r.code}, ${ok} NOERROR of ${BATCH_SIZE}`);
      walls.push(r.wallMs);
    }
    digQps = qps(median(walls));
    digDetail = `dig -f: ${walls.map(ms).join(', ')} wall, each with ${BATCH_SIZE} NOERROR`;
    log(`batch ${digDetail}`);
  }

  const rows: Row[] = [
    { label: labelDnsperf(`default (--concurrency ${DEFAULT_CONCURRENCY})`), unit: 'q/s', netlab: defaultQps, peerName: 'dnsperf', peer: dnsperfQps, peerNote: dnsperfNote || undefined, goal: { kind: 'ratioMin', value: 0.35 }, detail: dnsperfDetail || undefined },
    { label: labelDnsperf(`best (--concurrency ${bestC})`), unit: 'q/s', netlab: bestQps, peerName: 'dnsperf', peer: dnsperfQps, peerNote: dnsperfNote || undefined, goal: { kind: 'ratioMin', value: 0.35 } },
    { label: labelDig(`default (--concurrency ${DEFAULT_CONCURRENCY})`), unit: 'q/s', netlab: defaultQps, peerName: 'dig -f (sequential)', peer: digQps, peerNote: tools.dig ? undefined : NOT_INSTALLED, goal: { kind: 'ratioMin', value: 2 }, detail: digDetail || undefined },
    { label: labelDig(`best (--concurrency ${bestC})`), unit: 'q/s', netlab: bestQps, peerName: 'dig -f (sequential)', peer: digQps, peerNote: tools.dig ? undefined : NOT_INSTALLED, goal: { kind: 'ratioMin', value: 2 }, detail: `${concurrencyDetail}; ${checks.join('; ')}` },
    { label: `netlab -f --json, default (--concurrency ${DEFAULT_CONCURRENCY}) vs dig -f (information: no text rendering)`, unit: 'q/s', netlab: qps(jsonWallMs), peerName: 'dig -f (sequential)', peer: digQps, peerNote: tools.dig ? undefined : NOT_INSTALLED, goal: { kind: 'none' }, detail: `one run, ${ms(jsonWallMs)} wall` },
  ];
  const notes: string[] = [];
  if (startup?.netlab !== undefined) {
    const net = qps(bestWall - startup.netlab);
    notes.push(`netlab's figures include its process startup (about ${ms(startup.netlab)}, section 1); dnsperf's q/s does not include its own. Without the startup, netlab's best run would be about ${Math.round(net).toLocaleString('en-US')} q/s (${dnsperfQps ? `${(net / dnsperfQps).toFixed(2)}x dnsperf` : 'no dnsperf figure'}).`);
  }
  return {
    title,
    notes,
    method: `BIND named serves a zone of ${BATCH_SIZE.toLocaleString('en-US')} names (\`h0.${BATCH_ORIGIN}\` .. \`h${BATCH_SIZE - 1}.${BATCH_ORIGIN}\`, one A each) on 127.0.0.1 and a port free for UDP and TCP (test/helpers/named.ts). The same file of lines \`NAME A\` goes to \`netlab dig -f FILE @127.0.0.1 -p P\` (text output to a file, as dig prints it; wall time of the whole process, startup included; --concurrency ${CONCURRENCIES.join('/')}), to \`dig -f FILE\` (the same, sequential) and to \`dnsperf -s 127.0.0.1 -p P -d FILE\`. q/s = ${BATCH_SIZE.toLocaleString('en-US')} / wall time (dnsperf reports its own). Median of ${BATCH_RUNS} runs each. Every run is checked: exit 0 and ${BATCH_SIZE} NOERROR answers.`,
    rows,
  };
}

// 4. +trace through dead servers -------------------------------------------------------------

interface Isolation {
  /** argv prefix that runs a command with /etc/hosts and /etc/resolv.conf replaced. */
  prefix: string[];
}

/** A private mount namespace where NS names resolve from a hosts file and DNS goes to 127.0.0.1 only. */
function isolation(): Isolation | undefined {
  if (!tools.unshare || process.getuid?.() !== 0) return undefined;
  const hosts = join(work, 'hosts');
  const resolv = join(work, 'resolv.conf');
  writeFileSync(hosts, `127.0.0.1 localhost\n${DEAD_FIRST_HOSTS.map(([n, a]) => `${a} ${n}`).join('\n')}\n`);
  writeFileSync(resolv, 'nameserver 127.0.0.1\n');
  const prefix = [tools.unshare, '-m', '--propagation', 'private', 'sh', '-c',
    'mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/resolv.conf && shift 2 && exec "$@"', 'sh', hosts, resolv];
  const probe = spawnSync(prefix[0]!, [...prefix.slice(1), 'getent', 'hosts', 'b.root.bench'], { encoding: 'utf8', timeout: 10_000 });
  return probe.status === 0 && probe.stdout.includes('127.53.2.1') ? { prefix } : undefined;
}

async function isolated(iso: Isolation | undefined, argv: string[], timeoutMs: number): Promise<Timed> {
  const full = iso ? [...iso.prefix, ...argv] : argv;
  return timed(full[0]!, full.slice(1), { capture: true, timeoutMs });
}

async function benchTrace(topo: DeadFirstTopology): Promise<Section> {
  const iso = isolation();
  const args = ['+trace', `@${topo.root}`, '-p', String(topo.port), topo.qname];
  const answer = '192.0.2.80';
  const netlabWalls: number[] = [];
  let skippedLines = 0;
  for (let i = 0; i < TRACE_NETLAB_RUNS; i++) {
    // netlab never uses the system resolver here (glue everywhere); run it the same way as dig anyway
    const r = await isolated(iso, [NODE, NETLAB, 'dig', ...args], 30_000);
    if (r.code !== 0 || !r.stdout.includes(answer)) throw new Error(`netlab dig ${args.join(' ')}: exit ${r.code}, no ${answer}: ${r.stderr.trim()}`);
    netlabWalls.push(r.wallMs);
    skippedLines = r.stdout.match(/^;; Skipped/gm)?.length ?? 0;
  }
  const netlabMs = median(netlabWalls);
  log(`trace netlab: ${netlabWalls.map(ms).join(', ')}`);

  const rows: Row[] = [];
  const labelDefault = '`dig +trace` (defaults), BIND capped by `timeout 60`';
  const labelFast = '`dig +trace +time=1 +tries=1`';
  const goal = { kind: 'absMaxMs', value: 2000 } as const;
  const netlabDetail = `netlab ${TRACE_NETLAB_RUNS} runs: ${netlabWalls.map(ms).join(', ')} (always completes, exit 0; ${skippedLines} \`;; Skipped\` line(s) in the last run — a silent server is overtaken by the hedged query to the next one after 400 ms and is not listed)`;
  if (!tools.dig || !tools.timeout) {
    rows.push({ label: labelDefault, unit: 'ms', netlab: netlabMs, peerName: 'BIND dig', peerNote: NOT_INSTALLED, goal, detail: netlabDetail });
    rows.push({ label: labelFast, unit: 'ms', netlab: netlabMs, peerName: 'BIND dig', peerNote: NOT_INSTALLED, goal });
  } else if (!iso) {
    const note = 'not run: needs root and unshare to keep its NS lookups off the real resolver';
    rows.push({ label: labelDefault, unit: 'ms', netlab: netlabMs, peerName: 'BIND dig', peerNote: note, goal, detail: netlabDetail });
    rows.push({ label: labelFast, unit: 'ms', netlab: netlabMs, peerName: 'BIND dig', peerNote: note, goal });
  } else {
    const digRuns = async (extra: string[], runs: number) => {
      const out: Array<{ ms: number; capped: boolean; complete: boolean; timeouts: string[]; refused: number }> = [];
      for (let i = 0; i < runs; i++) {
        const r = await isolated(iso, [tools.timeout!, '60', tools.dig!, ...args, ...extra], 70_000);
        out.push({
          ms: r.wallMs,
          capped: r.code === 124,
          complete: r.stdout.includes(answer),
          timeouts: [...r.stdout.matchAll(/communications error to (\S+?)#\d+: timed out/g)].map((m) => m[1]!),
          refused: r.stdout.match(/connection refused/g)?.length ?? 0,
        });
      }
      return out;
    };
    const timeoutText = (addrs: string[]) => {
      if (addrs.length === 0) return 'no timeout';
      const counts = new Map<string, number>();
      for (const a of addrs) counts.set(a, (counts.get(a) ?? 0) + 1);
      return `timeouts: ${[...counts].map(([a, n]) => `${a} x${n}`).join(', ')}`;
    };
    const describe = (runs: Awaited<ReturnType<typeof digRuns>>) => runs.map((x) =>
      `${ms(x.ms)}${x.capped ? ' (hit the 60 s cap)' : ''}${x.complete ? '' : ' (no answer)'} [${timeoutText(x.timeouts)}, ${x.refused} refused]`).join('; ');
    const slow = await digRuns([], TRACE_DIG_DEFAULT_RUNS);
    log(`trace dig default: ${describe(slow)}`);
    const fast = await digRuns(['+time=1', '+tries=1'], TRACE_DIG_FAST_RUNS);
    log(`trace dig fast: ${describe(fast)}`);
    rows.push({
      label: labelDefault, unit: 'ms', netlab: netlabMs, peerName: `BIND dig (mean of ${slow.length})`, peer: mean(slow.map((x) => x.ms)), goal,
      detail: `${netlabDetail}. BIND dig, ${slow.length} runs: ${describe(slow)}`,
    });
    rows.push({
      label: labelFast, unit: 'ms', netlab: netlabMs, peerName: `BIND dig (mean of ${fast.length})`, peer: mean(fast.map((x) => x.ms)), goal,
      detail: `BIND dig, ${fast.length} runs: ${describe(fast)}`,
    });
  }
  return {
    title: '4. +trace with a dead server first at every level',
    method: 'A hierarchy built in the bench with LabDnsServer on 127.53.2.x, one port: the root NS set lists `a.root.bench` (bound, never answers) before the working `b.root.bench`; `bench.` lists `a.nic.bench` (nothing listens: ICMP port unreachable) before `b.nic.bench`; `example.bench.` lists `ns1.example.bench` (bound, never answers) before `ns2.example.bench`. Every NS name has glue. Command: `dig +trace @127.53.2.1 -p P www.example.bench`, whole process wall time: netlab the median of ' + String(TRACE_NETLAB_RUNS) + ' runs, BIND dig the mean of its runs (its server order is random, see below, so the mean estimates what a user waits on average). '
      + (iso ? 'Both tools run in a private mount namespace (`unshare -m`) whose /etc/hosts maps the NS names and whose resolv.conf names 127.0.0.1, because BIND dig resolves NS names through the system resolver and must not reach the real one.' : ''),
    rows,
    notes: [
      'BIND dig shuffles each NS set before asking it (dighost.c `followup_lookup`, "Randomize the order the nameserver will be tried"), so whether it meets a dead server first is chance, and its figure is a lottery: a run that happens to pick the working servers takes about 30 ms, and every time it does pick a silent one it waits a full `+time` (5 s by default, 1 s with `+time=1`) per try, up to `+tries` (default 3) — the details above list which silent address timed out how often in each run. The address with nothing listening costs neither tool anything (ICMP port unreachable). netlab keeps the NS order and, after 400 ms without an answer, asks the next server in parallel, so it always meets both silent servers and its time is deterministic: about 2 x 400 ms plus startup.',
    ],
  };
}

// the machine -------------------------------------------------------------------------------

function machine(): Machine {
  const free = spawnSync('free', ['-h'], { encoding: 'utf8' }).stdout ?? '';
  const memory = /^Mem:\s+(\S+)/m.exec(free)?.[1] ?? 'unknown';
  const nproc = spawnSync('nproc', [], { encoding: 'utf8' }).stdout?.trim() || String(availableParallelism());
  const version = (tool: string | undefined, args: string[], re?: RegExp): string => {
    if (!tool) return NOT_INSTALLED;
    let line = firstLine(tool, args);
    if (re) {
      const r = spawnSync(tool, args, { encoding: 'utf8', timeout: 10_000 });
      line = re.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`)?.[0] ?? '';
    }
    return line || 'unknown version';
  };
  return {
    cores: nproc,
    memory,
    node: process.version,
    kernel: `${firstLine('uname', ['-sr'])}`,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    tools: [
      ['hyperfine', version(tools.hyperfine, ['--version'])],
      ['BIND dig', version(tools.dig, ['-v'])],
      ['BIND named', version(tools.named, ['-v'])],
      ['dnsperf', version(tools.dnsperf, ['-h'], /Version \S+/)],
      ['OpenSSL', version(tools.openssl, ['version'])],
      ['curl', version(tools.curl, ['--version'])],
      ['HAProxy', version(tools.haproxy, ['-v'])],
      ['ab', version(tools.ab, ['-V'])],
      ['netlab', `${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version} (this checkout)`],
    ],
  };
}

// 9. netlab check ---------------------------------------------------------------------------

async function checkSection(cpuProf: boolean): Promise<Section> {
  const lab = await startLab({ port: 0 });
  try {
    return await benchCheck({ lab, work, tools: { dig: tools.dig, openssl: tools.openssl, curl: tools.curl }, cpuProf, log });
  } finally {
    await lab.close();
  }
}

/** The sections `--only NAME` runs alone: their title and how to run them. */
const ALONE: Record<string, { title: string; run: (cpuProf: boolean) => Promise<Section> }> = {
  startup: { title: '1. Startup', run: () => benchStartup() },
  // issue 14: section 11, AXFR of 100,000 records against BIND dig
  axfr: { title: AXFR_TITLE, run: () => benchAxfr(tools.named, tools.dig) },
  check: { title: CHECK_TITLE, run: (cpuProf) => checkSection(cpuProf) },
  // issue 14: the dig batch against dnsperf and dig -f, with its own named
  batch: {
    title: `3. Batch of ${BATCH_SIZE.toLocaleString('en-US')} names`,
    run: async () => {
      if (!tools.named) return benchBatch(undefined, undefined);
      const named = await startNamed(tools.named, tools.dig, BATCH_ORIGIN, batchZoneText(BATCH_ORIGIN, BATCH_SIZE));
      try {
        return await benchBatch(named, undefined);
      } finally {
        await named.stop();
      }
    },
  },
  // issue 16: lb-probe's probe rate (HTTP and HTTPS) against a bare Node loop and ab
  'lb-rate': { title: '7. lb-probe: fresh-connection probes through HAProxy', run: () => benchLbProbe({ title: '7. lb-probe: fresh-connection probes through HAProxy' }) },
  // issue 15: trace-request for today's web (h2, resumed, reused) against curl; alone only
  'trace-h2': {
    title: TRACE_H2_TITLE,
    run: () => benchTraceH2(log),
  },
  // issue 14: dig -f over DoT and DoH against dnsperf -m dot / -m doh
  dot: { title: DOT_TITLE, run: () => benchDot(log) },
  exporter: {
    title: EXPORTER_TITLE,
    run: async () => {
      const lab = await startLab({ port: 0 });
      try {
        return await benchExporter(lab, log);
      } finally {
        await lab.close();
      }
    },
  },
};

/** `--only NAME`: one section alone, printed and merged into docs/benchmarks.md by its heading. */
async function onlySection(name: string, cpuProf: boolean): Promise<void> {
  const t0 = performance.now();
  const which = ALONE[name]!;
  let section: Section;
  try {
    section = await which.run(cpuProf);
  } catch (e) {
    section = failedSection(which.title, e);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(renderText([section]));
  const file = join(ROOT, 'docs/benchmarks.md');
  const stamp = `(This section alone, \`node dist/bench/run.js --only ${name}\`, ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}, ${((performance.now() - t0) / 1000).toFixed(0)} s, on the machine above; the other sections are from the full run dated there.)`;
  writeFileSync(file, mergeSectionMarkdown(readFileSync(file, 'utf8'), section, stamp));
  log(`merged '${which.title}' into docs/benchmarks.md`);
}

// main ----------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const t0 = performance.now();
  const sections: Section[] = [];
  let lab: Lab | undefined;
  let named: NamedServer | undefined;
  let topo: DeadFirstTopology | undefined;
  try {
    log(`tools: ${Object.entries(tools).map(([k, v]) => `${k}=${v ?? 'missing'}`).join(' ')}`);
    let startupRow: Row | undefined;
    try {
      log('1/5 startup');
      const s = await benchStartup();
      startupRow = s.rows[0];
      sections.push(s);
    } catch (e) {
      sections.push(failedSection('1. Startup', e));
    }

    lab = await startLab({ port: 0 });
    if (tools.named) {
      try {
        named = await startNamed(tools.named, tools.dig, BATCH_ORIGIN, batchZoneText(BATCH_ORIGIN, BATCH_SIZE));
        log(`named on ${named.address}#${named.port}`);
      } catch (e) {
        log(String(e));
      }
    }
    try {
      log('2/5 one query');
      sections.push(await benchOneQuery(lab, named, startupRow));
    } catch (e) {
      sections.push(failedSection('2. One query', e));
    }
    try {
      log('3/5 batch');
      sections.push(await benchBatch(named, startupRow));
    } catch (e) {
      sections.push(failedSection(`3. Batch of ${BATCH_SIZE.toLocaleString('en-US')} names`, e));
    }
    await named?.stop();
    named = undefined;
    await lab.close();
    lab = undefined;

    try {
      log('4/5 +trace through dead servers');
      topo = await startDeadFirst();
      sections.push(await benchTrace(topo));
    } catch (e) {
      sections.push(failedSection('4. +trace with a dead server first at every level', e));
    }
    await topo?.close();
    topo = undefined;

    try {
      log('5/5 cert-check');
      sections.push(await benchCertCheck(tools.openssl, startupRow));
    } catch (e) {
      sections.push(failedSection('5. cert-check, one TLS server', e));
    }

    try {
      log('6 trace-request against curl');
      sections.push(await benchTraceRequest(tools.curl));
    } catch (e) {
      sections.push(failedSection(TRACE_REQUEST_TITLE, e));
    }

    try {
      log('7 lb-probe against ab through HAProxy');
      sections.push(await benchLbProbe({ title: '7. lb-probe: fresh-connection probes through HAProxy', startup: startupRow }));
    } catch (e) {
      sections.push(failedSection('7. lb-probe: fresh-connection probes through HAProxy', e));
    }

    try {
      log('8 hosts2zone, a 1,000,000-line hosts file');
      sections.push(await benchHosts2zone({ namedCheckzone: tools.namedCheckzone, title: `8. ${HOSTS2ZONE_TITLE}` }));
    } catch (e) {
      sections.push(failedSection(`8. ${HOSTS2ZONE_TITLE}`, e));
    }

    try {
      log('9 netlab check, 1,000 checks against a shell loop, one process per check and blackbox_exporter');
      sections.push(await checkSection(false));
    } catch (e) {
      sections.push(failedSection(CHECK_TITLE, e));
    }

    // 10. netlab exporter against blackbox_exporter (its own lab: the one above is closed)
    let exporterLab: Lab | undefined;
    try {
      log('10 netlab exporter against blackbox_exporter');
      exporterLab = await startLab({ port: 0 });
      sections.push(await benchExporter(exporterLab, log));
    } catch (e) {
      sections.push(failedSection(EXPORTER_TITLE, e));
    } finally {
      await exporterLab?.close();
    }

    try {
      log('11 AXFR of 100,000 records against BIND dig');
      sections.push(await benchAxfr(tools.named, tools.dig));
    } catch (e) {
      sections.push(failedSection(AXFR_TITLE, e));
    }
    // 12. dig -f over DoT and DoH against dnsperf -m dot / -m doh (issue 14)
    try {
      log('12 dig -f over DoT and DoH against dnsperf');
      sections.push(await benchDot(log));
    } catch (e) {
      sections.push(failedSection(DOT_TITLE, e));
    }
  } finally {
    await topo?.close();
    await named?.stop();
    await lab?.close();
    rmSync(work, { recursive: true, force: true });
  }
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(renderText(sections));
  process.stdout.write(`(suite took ${seconds.toFixed(0)} s)\n`);
  mkdirSync(join(ROOT, 'docs'), { recursive: true });
  writeFileSync(join(ROOT, 'docs/benchmarks.md'), renderMarkdown(machine(), sections, seconds));
  log('wrote docs/benchmarks.md');
}

const argv = process.argv.slice(2);
const only = argv.indexOf('--only');
if (only >= 0 && !Object.hasOwn(ALONE, argv[only + 1] ?? '')) {
  process.stderr.write(`bench: --only knows ${Object.keys(ALONE).join(' and ')} (got '${argv[only + 1] ?? ''}')\n`);
  process.exit(3);
}
if (only >= 0) await onlySection(argv[only + 1]!, argv.includes('--cpu-prof'));
else await main();
