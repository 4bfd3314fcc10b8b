/**
 * Benchmark 9: `netlab check`, 1,000 checks in one run (issue 12, "Measured"), side by side in
 * one run against the lab started in the bench process (startLab({ port: 0 }), loopback only):
 *
 *  - a generated checks file of 1,000 checks that all pass, in a fixed repeating mix of 10:
 *    4 dig (A/AAAA/MX to the lab's example.test servers), 3 cert-check (the TLS lab's `good`
 *    case, --connect-to, --ca), 3 trace-request (the HTTPS origin pinned with --origin ADDR
 *    --no-resolved --ca, --samples 1); `node bin/netlab.js check FILE --concurrency 8` as a
 *    child process under /usr/bin/time (wall time, peak RSS). Checked before any speed is
 *    reported: exit 0, the summary line and 1,000 OK lines;
 *  - the same checks as a bash script of the peers, one line per check (dig, openssl
 *    s_client -verify_return_error, curl --resolve --cacert -f), each counting failures
 *    (must be 0);
 *  - the same checks as one netlab process per check (dig | cert-check | trace-request), the
 *    first PER_PROCESS_N of the file (the same mix) at the same concurrency (8), scaled;
 *  - blackbox_exporter 0.23 over the same targets: a dns module per query, a tcp module with
 *    tls: true, an http module (Host and server_name kept, ca_file), 1,000 GET /probe at
 *    concurrency 8 from the bench process, every answer probe_success 1.
 *
 * Alone (for a quick look, or after a change to netlab check): `node dist/bench/run.js --only
 * check` runs this section only, prints it, and merges it into docs/benchmarks.md by its
 * heading (the other sections and the machine paragraph stay as the last full run left them;
 * the Summary's rows for this section are replaced). Add `--cpu-prof` to also write a V8 CPU
 * profile of one netlab check run and print where its time goes (self time per file).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { request, Agent } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Lab } from '../src/lab/index.js';
import { median, NETLAB, NODE, sleep, timed, which } from './tools.js';
import { fmt, type Row, type Section } from './report.js';

export const CHECK_TITLE = '9. netlab check: 1,000 checks in one run';

const N = 1000;
const CONCURRENCY = 8;
const PER_PROCESS_N = 200;
/** The repeating mix: 4 dig, 3 cert-check, 3 trace-request in every 10 checks. */
const MIX = ['dig', 'dig', 'dig', 'dig', 'cert', 'cert', 'cert', 'trace', 'trace', 'trace'] as const;
const QUERIES = [
  { name: 'www.example.test', type: 'A', module: 'dns_www_a' },
  { name: 'www.example.test', type: 'AAAA', module: 'dns_www_aaaa' },
  { name: 'example.test', type: 'MX', module: 'dns_mx' },
  { name: 'mail.example.test', type: 'A', module: 'dns_mail_a' },
] as const;

export interface Target {
  kind: (typeof MIX)[number];
  /** netlab's subcommand line (as in the checks file and on the command line). */
  argv: string[];
  /** The bash line of the peer (quoted; every value is ours: addresses, ports, the temp CA path). */
  shell: string;
  /** blackbox_exporter's module and target. */
  module: string;
  target: string;
}

function ms(x: number): string {
  return fmt(x, 'ms');
}

function q(a: string): string {
  return /^[\w@./:=+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export function targets(lab: Lab): Target[] {
  const good = lab.tls.cases.find((c) => c.name === 'good');
  if (!good) throw new Error('the TLS lab has no good case');
  const ca = lab.tls.caFile;
  const servers = [lab.dns.addresses.ns1Example, lab.dns.addresses.ns2Example];
  const https = lab.http.httpsPort;
  const origin = lab.http.origin.address;
  const host = 'www.example.test';
  const out: Target[] = [];
  let d = 0;
  for (let i = 0; i < N; i++) {
    const kind = MIX[i % MIX.length]!;
    if (kind === 'dig') {
      const query = QUERIES[d % QUERIES.length]!;
      const server = servers[Math.floor(d / QUERIES.length) % servers.length]!;
      d++;
      out.push({
        kind, argv: ['dig', `@${server}`, '-p', String(lab.port), query.name, query.type],
        shell: `dig @${server} -p ${lab.port} ${query.name} ${query.type} >/dev/null 2>&1 || f=$((f+1))`,
        module: query.module, target: `${server}:${lab.port}`,
      });
    } else if (kind === 'cert') {
      out.push({
        kind, argv: ['cert-check', `${good.servername}:${good.port}`, '--connect-to', good.address, '--ca', ca],
        shell: `openssl s_client -connect ${good.address}:${good.port} -servername ${good.servername} -CAfile ${q(ca)} -verify_return_error </dev/null >/dev/null 2>&1 || f=$((f+1))`,
        module: 'tls', target: `${good.address}:${good.port}`,
      });
    } else {
      out.push({
        kind, argv: ['trace-request', `https://${host}:${https}/`, '--origin', origin, '--no-resolved', '--ca', ca, '--samples', '1'],
        shell: `curl -s -f -o /dev/null --resolve ${host}:${https}:${origin} --cacert ${q(ca)} https://${host}:${https}/ || f=$((f+1))`,
        module: 'https', target: `https://${origin}:${https}/`,
      });
    }
  }
  return out;
}

export function checksFile(ts: Target[]): string {
  const lines = ['# generated by bench/check.ts: 1,000 checks that all pass against the lab', 'defaults:', '  timeout: 10s', 'checks:'];
  for (const [i, t] of ts.entries()) {
    lines.push(`  - name: ${t.argv[0]}-${String(i).padStart(4, '0')}`, `    ${t.argv[0]}: ${JSON.stringify(t.argv.slice(1).map(q).join(' '))}`);
  }
  return `${lines.join('\n')}\n`;
}

function blackboxConfig(lab: Lab): string {
  const good = lab.tls.cases.find((c) => c.name === 'good')!;
  const ca = JSON.stringify(lab.tls.caFile);
  const dns = QUERIES.map((x) => [
    `  ${x.module}:`, '    prober: dns', '    timeout: 10s', '    dns:', '      transport_protocol: udp', '      preferred_ip_protocol: ip4',
    `      query_name: ${x.name}`, `      query_type: ${x.type}`, '      valid_rcodes: [NOERROR]',
  ].join('\n'));
  return [
    'modules:',
    ...dns,
    '  tls:', '    prober: tcp', '    timeout: 10s', '    tcp:', '      preferred_ip_protocol: ip4', '      tls: true', '      tls_config:',
    `        server_name: ${good.servername}`, `        ca_file: ${ca}`,
    '  https:', '    prober: http', '    timeout: 10s', '    http:', '      preferred_ip_protocol: ip4', '      valid_status_codes: [200]',
    '      headers:', `        Host: www.example.test:${lab.http.httpsPort}`, '      tls_config:', '        server_name: www.example.test', `        ca_file: ${ca}`,
    '',
  ].join('\n');
}

/** Run `jobs` with at most `n` at a time; results in order. */
async function pool<T>(count: number, n: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      out[i] = await job(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, count) }, worker));
  return out;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function httpGet(agent: Agent, port: number, path: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

interface NetlabRun {
  wallMs: number;
  rssMb: number;
  ok: number;
  summary: string;
  /** user + system CPU of the run (GNU time), milliseconds. */
  cpuMs?: number;
}

async function runNetlabCheck(file: string, out: string, time: string | undefined, extra: string[] = []): Promise<NetlabRun> {
  const argv = [...extra, NETLAB, 'check', file, '--concurrency', String(CONCURRENCY)];
  const r = time ? await timed(time, ['-f', '%U %S %M', NODE, ...argv], { stdoutFile: out, timeoutMs: 300_000 })
    : await timed(NODE, argv, { stdoutFile: out, timeoutMs: 300_000 });
  const text = readFileSync(out, 'utf8');
  const lines = text.split('\n');
  const ok = lines.filter((l) => /^OK\s/.test(l)).length;
  const summary = lines[0] ?? '';
  if (r.code !== 0 || ok !== N || !summary.startsWith(`CHECK OK - ${N} checks passed`)) {
    throw new Error(`netlab check: exit ${r.code}, ${ok} OK of ${N}, '${summary}': ${lines.find((l) => /^(WARNING|CRITICAL|UNKNOWN)\s/.test(l)) ?? r.stderr.trim().slice(0, 300)}`);
  }
  const [user, sys, kb] = time ? r.stderr.trim().split('\n').pop()!.split(' ').map(Number) as [number, number, number] : [NaN, NaN, NaN];
  return { wallMs: r.wallMs, rssMb: kb / 1024, ok, summary, ...(time ? { cpuMs: (user + sys) * 1000 } : {}) };
}

/** Self time per source file (dist/... or node:...) of a .cpuprofile, the top `top`. */
function profileByFile(path: string, top: number): string[] {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as {
    nodes: Array<{ id: number; callFrame: { url: string; functionName: string } }>; samples: number[]; timeDeltas: number[];
  };
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  for (const [k, id] of doc.samples.entries()) {
    const dt = (doc.timeDeltas[k] ?? 0) / 1000;
    total += dt;
    const n = byId.get(id);
    let url = n?.callFrame.url ?? '';
    const fn = n?.callFrame.functionName ?? '';
    url = url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/');
    const key = url === '' ? `(${fn || 'program'})` : url;
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  return [`total sampled ${ms(total)}`, ...[...self].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => `${k} ${ms(v)} (${(100 * v / total).toFixed(1)} %)`)];
}

/** Functions whose inclusive time says where a check's time goes (a call counted once per sample). */
const INCLUSIVE = ['loadChecks', 'parseArgv', 'warmUp', 'timeRequest', 'readCa', 'checkServer', 'analyseChain', 'createSecureContext', 'getPeerCertificate'];

function profileInclusive(path: string): string[] {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as {
    nodes: Array<{ id: number; callFrame: { functionName: string }; children?: number[] }>; samples: number[]; timeDeltas: number[];
  };
  const parent = new Map<number, number>();
  const fn = new Map<number, string>();
  for (const n of doc.nodes) {
    fn.set(n.id, n.callFrame.functionName.replace(/^TLSSocket\./, ''));
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const incl = new Map<string, number>();
  for (const [k, id] of doc.samples.entries()) {
    const dt = (doc.timeDeltas[k] ?? 0) / 1000;
    const seen = new Set<string>();
    for (let cur: number | undefined = id, i = 0; cur !== undefined && i < 10_000; cur = parent.get(cur), i++) {
      const f = fn.get(cur) ?? '';
      if (INCLUSIVE.includes(f) && !seen.has(f)) {
        seen.add(f);
        incl.set(f, (incl.get(f) ?? 0) + dt);
      }
    }
  }
  return INCLUSIVE.filter((f) => incl.has(f)).map((f) => `${f} ${ms(incl.get(f)!)}`);
}

export interface CheckBenchOptions {
  lab: Lab;
  work: string;
  tools: { dig?: string; openssl?: string; curl?: string };
  /** Also profile one run (node --cpu-prof) and print where its time goes. */
  cpuProf?: boolean;
  log: (line: string) => void;
}

export async function benchCheck(o: CheckBenchOptions): Promise<Section> {
  const { lab, work, log } = o;
  const loadStart = loadavg()[0]!;
  const time = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
  const ts = targets(lab);
  const file = join(work, 'checks.yml');
  writeFileSync(file, checksFile(ts));
  const counts = { dig: ts.filter((t) => t.kind === 'dig').length, cert: ts.filter((t) => t.kind === 'cert').length, trace: ts.filter((t) => t.kind === 'trace').length };
  const mixText = `${counts.dig} dig, ${counts.cert} cert-check, ${counts.trace} trace-request`;
  const rows: Row[] = [];
  const notes: string[] = [];

  // 1. netlab check: a warm-up run (also the correctness check), then the measured run
  const out = join(work, 'check.out');
  await runNetlabCheck(file, out, undefined);
  const ours = await runNetlabCheck(file, out, time);
  log(`check netlab: ${ms(ours.wallMs)}, ${ours.rssMb.toFixed(1)} MB, ${ours.ok} OK`);
  const oursRate = N / (ours.wallMs / 1000);

  // 2. the shell loop of the peers
  const missing = (['dig', 'openssl', 'curl'] as const).filter((k) => !o.tools[k]);
  const loopRow: Row = { label: `1,000 checks: \`netlab check --concurrency ${CONCURRENCY}\` vs a bash loop of dig / openssl s_client / curl`, unit: 'ms', netlab: ours.wallMs, peerName: 'bash loop', goal: { kind: 'ratioMax', value: 0.1 } };
  let loop: { wallMs: number; rssMb: number } | undefined;
  const bash = which('bash');
  if (missing.length > 0 || !bash) {
    loopRow.peerNote = `not installed (${[...missing, ...(bash ? [] : ['bash'])].join(', ')})`;
  } else {
    const script = join(work, 'loop.sh');
    writeFileSync(script, ['f=0', ...ts.map((t) => t.shell), 'echo "$f"', ''].join('\n'));
    const r = time ? await timed(time, ['-f', '%M', bash, script], { capture: true, timeoutMs: 600_000 }) : await timed(bash, [script], { capture: true, timeoutMs: 600_000 });
    const failures = Number(r.stdout.trim());
    if (r.code !== 0 || failures !== 0) throw new Error(`the bash loop: exit ${r.code}, ${r.stdout.trim()} failures of ${N}`);
    loop = { wallMs: r.wallMs, rssMb: Number(r.stderr.trim().split('\n').pop()) / 1024 };
    loopRow.peer = loop.wallMs;
    loopRow.detail = `netlab: exit 0, \`${ours.summary}\`, ${ours.ok} OK lines (a warm-up run first, then the measured one); the loop: exit 0, 0 failures counted (dig's exit status, openssl's -verify_return_error, curl -f), ${(loop.wallMs / N).toFixed(1)} ms per check`;
    log(`check loop: ${ms(loop.wallMs)}`);
  }
  rows.push(loopRow);
  rows.push({
    label: 'peak RSS of `netlab check` (1,000 checks)', unit: 'MB', netlab: time ? ours.rssMb : undefined, netlabNote: time ? undefined : 'no /usr/bin/time',
    peerName: 'the loop\'s largest process', peer: loop?.rssMb, peerNote: loop ? undefined : loopRow.peerNote, goal: { kind: 'absMax', value: 200 },
    detail: 'maximum resident set size from GNU time (%M, the largest single process of the tree it waited for)',
  });

  // information: the same file with `trace-request: --no-warm-up` in defaults (each trace-request
  // check otherwise starts its own throwaway loopback HTTPS server and request first, warm-up.ts)
  const noWarmFile = join(work, 'checks-no-warm-up.yml');
  writeFileSync(noWarmFile, checksFile(ts).replace('  timeout: 10s\n', '  timeout: 10s\n  trace-request: --no-warm-up\n'));
  const noWarm = await runNetlabCheck(noWarmFile, out, undefined);
  log(`check netlab, trace-request --no-warm-up: ${ms(noWarm.wallMs)}`);
  rows.push({
    label: 'the same, with `trace-request: --no-warm-up` in defaults (information)', unit: 'ms', netlab: noWarm.wallMs, peerName: 'bash loop', peer: loop?.wallMs,
    peerNote: loop ? undefined : loopRow.peerNote, goal: { kind: 'none' },
    detail: `exit 0, \`${noWarm.summary}\`: each trace-request check otherwise first starts a throwaway loopback HTTPS server and makes one request to it (src/protocol/http/warm-up.ts), ${counts.trace} times in one process`,
  });

  // 3. one netlab process per check: the first PER_PROCESS_N checks (the same mix), 8 at a time
  const subset = ts.slice(0, PER_PROCESS_N);
  const t0 = performance.now();
  const each = await pool(subset.length, CONCURRENCY, async (i) => timed(NODE, [NETLAB, ...subset[i]!.argv], { timeoutMs: 60_000 }));
  const perWall = performance.now() - t0;
  const bad = each.findIndex((r) => r.code !== 0);
  if (bad >= 0) throw new Error(`netlab ${subset[bad]!.argv.join(' ')}: exit ${each[bad]!.code}: ${each[bad]!.stderr.trim().slice(0, 300)}`);
  const scaled = perWall * (N / PER_PROCESS_N);
  log(`check per-process: ${PER_PROCESS_N} in ${ms(perWall)}`);
  rows.push({
    label: `1,000 checks: one \`netlab check\` vs one netlab process per check (${CONCURRENCY} at a time)`, unit: 'ms', netlab: ours.wallMs,
    peerName: `per process (${PER_PROCESS_N} measured, x${N / PER_PROCESS_N})`, peer: scaled, goal: { kind: 'none' },
    detail: `measured on the first ${PER_PROCESS_N} checks of the file (the same mix: ${subset.filter((t) => t.kind === 'dig').length} dig, ${subset.filter((t) => t.kind === 'cert').length} cert-check, ${subset.filter((t) => t.kind === 'trace').length} trace-request), every process exited 0, in ${ms(perWall)} wall at ${CONCURRENCY} at a time, and scaled to ${N.toLocaleString('en-US')}; ${(perWall / PER_PROCESS_N).toFixed(1)} ms wall per check (median process ${ms(median(each.map((r) => r.wallMs)))}) against ${(ours.wallMs / N).toFixed(2)} ms per check in one process: the one-process gain is ${(scaled / ours.wallMs).toFixed(1)}x`,
  });

  // 4. blackbox_exporter over the same targets, the same concurrency
  const bbBin = which('prometheus-blackbox-exporter');
  const bbRow: Row = { label: `probes/s: \`netlab check\` vs blackbox_exporter (${CONCURRENCY} at a time)`, unit: 'probes/s', netlab: oursRate, peerName: 'blackbox_exporter', goal: { kind: 'ratioMin', value: 1 } };
  if (!bbBin) {
    bbRow.peerNote = 'not installed';
  } else {
    const cfg = join(work, 'blackbox.yml');
    writeFileSync(cfg, blackboxConfig(lab));
    const port = await freePort();
    const child = spawn(bbBin, [`--config.file=${cfg}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let bbErr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => { if (bbErr.length < 4000) bbErr += d; });
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    try {
      let ready = false;
      for (let i = 0; i < 100 && !ready && child.exitCode === null; i++) {
        ready = await httpGet(agent, port, '/-/healthy', 1000).then((r) => r.status === 200, () => false);
        if (!ready) await sleep(100);
      }
      if (!ready) throw new Error(`blackbox_exporter did not start: ${bbErr.trim().slice(0, 300)}`);
      const path = (t: Target) => `/probe?module=${t.module}&target=${encodeURIComponent(t.target)}`;
      // a warm-up round (one probe per module), then the measured 1,000
      for (const t of [...new Map(ts.map((t) => [t.module, t])).values()]) await httpGet(agent, port, path(t), 15_000);
      const b0 = performance.now();
      const answers = await pool(ts.length, CONCURRENCY, (i) => httpGet(agent, port, path(ts[i]!), 15_000));
      const bbWall = performance.now() - b0;
      const okCount = answers.filter((a) => a.status === 200 && /^probe_success 1$/m.test(a.body)).length;
      if (okCount !== N) {
        const first = answers.findIndex((a) => !/^probe_success 1$/m.test(a.body));
        throw new Error(`blackbox_exporter: ${okCount} of ${N} probes succeeded; first failure ${ts[first]!.module} ${ts[first]!.target} (HTTP ${answers[first]!.status})`);
      }
      bbRow.peer = N / (bbWall / 1000);
      bbRow.detail = `netlab: ${N.toLocaleString('en-US')} / its wall time (${ms(ours.wallMs)}, process startup and loading the file included; its own summary line: \`${ours.summary}\`); blackbox_exporter: ${N.toLocaleString('en-US')} \`GET /probe\` in ${ms(bbWall)} from the bench process, ${CONCURRENCY} at a time over keep-alive connections, after one warm-up probe per module; all ${okCount} answered \`probe_success 1\``;
      log(`check blackbox: ${ms(bbWall)}`);
    } finally {
      agent.destroy();
      child.kill('SIGTERM');
      await new Promise<void>((r) => { if (child.exitCode !== null) r(); else { const t = setTimeout(() => { child.kill('SIGKILL'); r(); }, 5000); child.once('exit', () => { clearTimeout(t); r(); }); } });
    }
  }
  rows.push(bbRow);

  // where netlab's time goes: one more run under --cpu-prof
  if (o.cpuProf) {
    const dir = join(work, 'prof');
    await runNetlabCheck(file, out, undefined, ['--cpu-prof', '--cpu-prof-dir', dir]);
    const prof = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (prof) {
      const lines = profileByFile(join(dir, prof), 15);
      const kept = join(tmpdir(), 'netlab-check-bench.cpuprofile');
      copyFileSync(join(dir, prof), kept);
      log(`cpu profile kept in ${kept} (open it in Chrome DevTools or speedscope)`);
      log(`cpu profile (self time per file):\n  ${lines.join('\n  ')}`);
      const inclusive = profileInclusive(join(dir, prof));
      log(`cpu profile (inclusive time of some functions): ${inclusive.join('; ')}`);
      notes.push(`Where netlab's time goes (one run under \`node --cpu-prof\`, self time per file): ${lines.join('; ')}. Inclusive time of some functions: ${inclusive.join('; ')}. \`(idle)\` is waiting for the lab, whose servers run in the bench process on the same 2 cores.`);
    }
  }

  notes.push(`The machine is shared (2 cores, other work running) and noisy: load average (1 min) ${loadStart.toFixed(1)} when this section started, ${loadavg()[0]!.toFixed(1)} at its end. The lab's servers run in the bench process and share its cores with whatever is measured, for every tool alike.`);
  if (ours.cpuMs !== undefined) notes.push(`CPU of the measured \`netlab check\` run (user+sys from GNU time, the whole process: start, loading the file, 1,000 checks): ${(ours.cpuMs / 1000).toFixed(2)} s, ${(ours.cpuMs / N).toFixed(2)} ms per check; steadier than wall time on a shared machine.`);
  return {
    title: CHECK_TITLE,
    method: `A generated checks file of ${N.toLocaleString('en-US')} checks that all pass, against the lab started in the bench process (\`startLab({ port: 0 })\`, loopback): ${mixText}, in a repeating mix of 10 (dig: A, AAAA and MX queries to ns1/ns2.example.test; cert-check: \`www.example.test:PORT --connect-to 127.54.0.1 --ca ROOT\`, the lab's \`good\` case; trace-request: \`https://www.example.test:PORT/ --origin 127.55.0.1 --no-resolved --ca ROOT --samples 1\`). \`node bin/netlab.js check FILE --concurrency ${CONCURRENCY}\` under \`/usr/bin/time -f '%U %S %M'\`: wall time, CPU and peak RSS, after one warm-up run; the run must exit 0 with ${N.toLocaleString('en-US')} OK lines. The peers: the same checks as a bash script, one line per check (\`dig @ADDR -p PORT NAME TYPE\`, \`openssl s_client -connect ADDR:PORT -servername NAME -CAfile ROOT -verify_return_error </dev/null\`, \`curl -s -f -o /dev/null --resolve NAME:PORT:ADDR --cacert ROOT https://NAME:PORT/\`), each counting failures (0 required); one netlab process per check on the first ${PER_PROCESS_N} (scaled); and blackbox_exporter 0.23 over the same targets (a dns module per query, a tcp module with \`tls: true\` and the same server_name and ca_file, an http module with the Host header and server_name kept) driven with ${N.toLocaleString('en-US')} \`GET /probe\` at ${CONCURRENCY} at a time. One run each.`,
    rows,
    notes,
  };
}
