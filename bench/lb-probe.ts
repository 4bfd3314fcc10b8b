/**
 * lb-probe's benchmark: fresh-connection probes per second through HAProxy on loopback,
 * netlab against ApacheBench (`ab -n 2000 -c 8`, no -k: a new connection per request) on the
 * same frontend. HAProxy (our own process, a config in a temporary directory, 127.0.0.1 and
 * free ports; a system haproxy is not touched) balances roundrobin 3:1:1 over three of its own
 * `http-request return` listeners, so that no Node server shares the CPU with the clients.
 *
 * Both figures exclude process startup: ab reports its own "Requests per second", netlab its
 * `probesPerSecond` (first probe through the VIP to the last answer). Every run is checked
 * before it counts: netlab exits 0 with all 2000 answered and attributed, ab completes 2000
 * with none failed, and HAProxy's own counters show 2000 new sessions and 2000 requests for
 * each run: one request per connection, no keep-alive on either side.
 */
import { readHaproxyStats } from '../test/helpers/haproxy.js';
import { freePorts } from '../test/helpers/tools.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, NETLAB, NODE, ROOT, timed, which } from './tools.js';
import { fmt, type Row, type Section } from './report.js';

const REQUESTS = 2000;
const CONCURRENCY = 8;
const RUNS = 5;
const GOAL = { kind: 'ratioMin', value: 0.5 } as const;
const ADDR = '127.0.0.1';

export interface LbProbeBenchOptions {
  /** Section title, numbered as run.ts orders the sections. */
  title?: string;
  /** Section 1's row (`netlab --version` vs `node -e 0`), for the note on startup. */
  startup?: Row;
}

type Row4 = Record<string, string>;

/** HAProxy's counters: "proxy/server" -> columns. */
async function readStats(socketPath: string): Promise<Map<string, Row4>> {
  return new Map((await readHaproxyStats(socketPath)).map((row) => [`${row.pxname}/${row.svname}`, row]));
}

interface Haproxy {
  port: number;
  backends: string[];
  stats(): Promise<{ sessions: number; requests: number }>;
  close(): Promise<void>;
}

async function startHaproxy(haproxy: string, dir: string): Promise<Haproxy> {
  const [port, ...web] = await freePorts(4, ADDR) as [number, number, number, number];
  const sock = join(dir, 'stats.sock');
  const listen = (name: string, p: number) =>
    `listen ${name}\n  bind ${ADDR}:${p}\n  http-request return status 200 content-type text/plain string "${name}\\n" hdr X-Backend ${name}\n`;
  writeFileSync(join(dir, 'haproxy.cfg'), `global
  stats socket ${sock} mode 600 level admin
  maxconn 4000
defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s
listen lb
  bind ${ADDR}:${port}
  balance roundrobin
  server web1 ${ADDR}:${web[0]} weight 3
  server web2 ${ADDR}:${web[1]} weight 1
  server web3 ${ADDR}:${web[2]} weight 1
${listen('web1', web[0]!)}${listen('web2', web[1]!)}${listen('web3', web[2]!)}`);
  const child: ChildProcess = spawn(haproxy, ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (log = (log + d).slice(-2000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async (): Promise<void> => {
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  const stats = async () => {
    const s = await readStats(sock);
    const fe = s.get('lb/FRONTEND');
    if (!fe) throw new Error('no lb/FRONTEND row in the HAProxy stats');
    return { sessions: Number(fe.stot), requests: Number(fe.req_tot) };
  };
  for (let i = 0; i < 50; i++) {
    if (await stats().then(() => true, () => false)) return { port, backends: web.map((p) => `${ADDR}:${p}`), stats, close };
    await new Promise((r) => setTimeout(r, 100));
  }
  await close();
  throw new Error(`haproxy did not start: ${log.trim().split('\n').slice(-2).join(' ')}`);
}

interface LbDoc {
  status: string;
  answered: number;
  unattributed: number;
  probesPerSecond: number;
  backends: Array<{ count: number }>;
}

/** A Node loop of bare sockets through the same frontend (request written, answer read, no parser): Node's own floor. */
const RAW_NODE = (port: number) => `import net from 'node:net';
const N = ${REQUESTS}, C = ${CONCURRENCY};
const one = () => new Promise((res, rej) => {
  const s = net.connect({ host: '${ADDR}', port: ${port}, noDelay: true });
  s.on('connect', () => s.write('GET / HTTP/1.1\\r\\nHost: ${ADDR}\\r\\nConnection: close\\r\\n\\r\\n'));
  s.on('data', () => undefined);
  s.on('end', () => { s.destroy(); res(); });
  s.on('error', rej);
});
let next = 0;
const t = performance.now();
await Promise.all(Array.from({ length: C }, async () => { while (next < N) { next++; await one(); } }));
process.stdout.write(String(N / ((performance.now() - t) / 1000)));`;

export async function benchLbProbe(options: LbProbeBenchOptions = {}): Promise<Section> {
  const title = options.title ?? 'lb-probe: fresh-connection probes through HAProxy';
  const haproxy = which('haproxy');
  const ab = which('ab');
  const label = `\`lb-probe --requests ${REQUESTS} --concurrency ${CONCURRENCY}\` vs \`ab -n ${REQUESTS} -c ${CONCURRENCY}\` (probes/s, new connection each)`;
  if (!haproxy) {
    return { title, method: 'Needs HAProxy to balance (apt-get install haproxy).', rows: [{ label, unit: 'q/s', netlabNote: 'not run', peerName: 'ab', peerNote: 'haproxy not installed', goal: GOAL }] };
  }
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-lb-'));
  let hp: Haproxy | undefined;
  try {
    hp = await startHaproxy(haproxy, dir);
    const vip = `${ADDR}:${hp.port}`;
    const netlabArgs = [NETLAB, 'lb-probe', vip, ...hp.backends.flatMap((b) => ['--backend', b]), '--weights', '3,1,1', '--requests', String(REQUESTS), '--concurrency', String(CONCURRENCY), '--json'];
    const abArgs = ['-n', String(REQUESTS), '-c', String(CONCURRENCY), `http://${vip}/`];

    const netlabRun = async (): Promise<{ rate: number; wallMs: number }> => {
      const before = await hp!.stats();
      const r = await timed(NODE, netlabArgs, { capture: true, timeoutMs: 120_000 });
      const after = await hp!.stats();
      let doc: LbDoc;
      try {
        doc = JSON.parse(r.stdout) as LbDoc;
      } catch {
        throw new Error(`netlab lb-probe printed no JSON (exit ${r.code}): ${r.stderr.trim().slice(0, 300)}`);
      }
      const attributed = doc.backends.reduce((s, b) => s + b.count, 0);
      if (r.code !== 0 || doc.answered !== REQUESTS || doc.unattributed !== 0 || attributed !== REQUESTS) {
        throw new Error(`netlab lb-probe: exit ${r.code}, status ${doc.status}, ${doc.answered} answered, ${attributed} attributed of ${REQUESTS}`);
      }
      // the direct probes go to the backends, not through lb: the frontend sees exactly the probes
      if (after.sessions - before.sessions !== REQUESTS || after.requests - before.requests !== REQUESTS) {
        throw new Error(`HAProxy counted ${after.sessions - before.sessions} sessions and ${after.requests - before.requests} requests for netlab's ${REQUESTS} probes`);
      }
      return { rate: doc.probesPerSecond, wallMs: r.wallMs };
    };
    let abExtra = 0;
    const abRun = async (): Promise<number> => {
      const before = await hp!.stats();
      const r = await timed(ab!, abArgs, { capture: true, timeoutMs: 120_000 });
      const after = await hp!.stats();
      const rps = /Requests per second:\s+([\d.]+)/.exec(r.stdout);
      const complete = /Complete requests:\s+(\d+)/.exec(r.stdout);
      const failed = /Failed requests:\s+(\d+)/.exec(r.stdout);
      if (r.code !== 0 || !rps || Number(complete?.[1]) !== REQUESTS || Number(failed?.[1]) !== 0 || /Non-2xx responses/.test(r.stdout)) {
        throw new Error(`ab ${abArgs.join(' ')}: exit ${r.code}: ${(r.stdout + r.stderr).trim().split('\n').slice(-3).join(' ')}`);
      }
      // ab keeps its C connections busy to the end and may start up to C - 1 requests past -n
      // (it reports only the -n it completed); still one request per connection
      const sessions = after.sessions - before.sessions;
      if (sessions < REQUESTS || sessions >= REQUESTS + CONCURRENCY || after.requests - before.requests !== sessions) {
        throw new Error(`HAProxy counted ${sessions} sessions and ${after.requests - before.requests} requests for ab's ${REQUESTS}`);
      }
      abExtra = Math.max(abExtra, sessions - REQUESTS);
      return Number(rps[1]);
    };

    // one warm-up each (page cache, HAProxy's first connections), then interleaved runs
    await netlabRun();
    if (ab) await abRun();
    const ours: Array<{ rate: number; wallMs: number }> = [];
    const theirs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      ours.push(await netlabRun());
      if (ab) theirs.push(await abRun());
    }
    const rawRuns: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = spawnSync(NODE, ['--input-type=module', '-e', RAW_NODE(hp.port)], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      if (r.status === 0 && Number.isFinite(Number(r.stdout))) rawRuns.push(Number(r.stdout));
    }

    const rate = median(ours.map((o) => o.rate));
    const wall = median(ours.map((o) => o.wallMs));
    const abRate = ab ? median(theirs) : undefined;
    const rawRate = rawRuns.length > 0 ? median(rawRuns) : undefined;
    const per = (xs: number[]) => xs.map((x) => Math.round(x).toLocaleString('en-US')).join(', ');
    const checks = `every run checked: netlab exit 0 with ${REQUESTS} answers attributed (60/20/20, as weighted), ab ${REQUESTS} complete and 0 failed, and for each run HAProxy's frontend counted as many new sessions as requests: ${REQUESTS} for netlab, ${REQUESTS} to ${REQUESTS + abExtra} for ab (it may start up to ${CONCURRENCY - 1} past -n)`;
    const rows: Row[] = [
      {
        label, unit: 'q/s', netlab: rate, peerName: 'ab', peer: abRate, peerNote: ab ? undefined : 'not installed (apt-get install apache2-utils)', goal: GOAL,
        detail: `${RUNS} runs each after a warm-up; netlab ${per(ours.map((o) => o.rate))} probes/s; ab ${ab ? `${per(theirs)} requests/s` : 'not run'}; ${checks}`,
      },
      {
        label: `netlab's whole process (startup, ${3 * 3} direct backend probes, ${REQUESTS} probes, analysis, JSON) vs ab (information)`, unit: 'q/s',
        netlab: (REQUESTS * 1000) / wall, peerName: 'ab', peer: abRate, peerNote: ab ? undefined : 'not installed', goal: { kind: 'none' },
        detail: `median wall ${fmt(wall, 'ms')}`,
      },
      {
        label: `Node's floor: bare sockets, ${CONCURRENCY} at a time, no HTTP parser (a loop in a fresh \`node\`) vs ab (information)`, unit: 'q/s',
        netlab: rawRate, netlabNote: rawRate === undefined ? 'failed' : undefined, peerName: 'ab', peer: abRate, peerNote: ab ? undefined : 'not installed', goal: { kind: 'none' },
        detail: rawRuns.length > 0 ? `${per(rawRuns)} connections/s` : undefined,
      },
    ];
    const notes: string[] = [];
    if (rawRate !== undefined && abRate !== undefined) {
      const floor = rawRate / abRate < GOAL.value ? `, under the ${GOAL.value}x goal before any HTTP is parsed` : '';
      notes.push(`Where the gap is: a bare Node socket loop (the third row) reaches ${(rawRate / abRate).toFixed(2)}x ab on this machine${floor}: Node's own per-connection cost (socket objects, connect, close, GC) against ab's C event loop. netlab's HTTP path (undici, one Client per worker, \`Connection: close\` on every request so each probe is a new socket) reaches ${(rate / rawRate).toFixed(2)}x of that floor. In a CPU profile taken when this benchmark was written (2,000 probes, --concurrency 8), the connect and close system calls take about a fifth, and undici's per-connection error objects (it closes a \`reset\` socket with an InformationalError and reports the close with a SocketError, each with a captured stack) about an eighth.`);
    }
    if (options.startup?.netlab !== undefined) notes.push(`Process startup (section 1: ${fmt(options.startup.netlab, 'ms')} for \`netlab --version\`) is in neither headline figure; the second row includes it.`);
    return {
      title,
      method: `HAProxy ${firstLineOf(haproxy)} (our own process on ${ADDR} and free ports, default threads) balances \`roundrobin\` 3:1:1 over three of its own \`http-request return\` listeners (X-Backend: web1..3). The same frontend gets \`node bin/netlab.js lb-probe ${ADDR}:PORT --backend ... --weights 3,1,1 --requests ${REQUESTS} --concurrency ${CONCURRENCY} --json\` and \`ab -n ${REQUESTS} -c ${CONCURRENCY} http://${ADDR}:PORT/\` (HTTP/1.0, no -k: one request per connection), interleaved, ${RUNS} runs each after one warm-up, median. netlab's figure is its own \`probesPerSecond\` (first probe through the VIP to the last answer), ab's its "Requests per second": neither includes process startup.`,
      rows,
      notes,
    };
  } finally {
    await hp?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function firstLineOf(haproxy: string): string {
  const r = spawnSync(haproxy, ['-v'], { encoding: 'utf8', timeout: 10_000 });
  return /version (\S+)/.exec(r.stdout ?? '')?.[1] ?? '';
}
