/**
 * lb-probe's benchmark (`node dist/bench/run.js --only lb-rate`): fresh-connection probes per
 * second through HAProxy on loopback, netlab against a bare Node socket loop doing the same
 * requests (the runtime's own limit: the goal is 0.8 of it, issue 16) and against ApacheBench
 * (`ab -n 2000 -c 8`, no -k: a new connection per request) on the same frontend; then the same
 * over HTTPS (HAProxy `ssl crt` with a lab-PKI certificate: netlab, a bare node:tls loop, `ab -f
 * ALL`), a full handshake per probe, no session resumed. HAProxy (our own process, a config in a temporary directory, 127.0.0.1 and
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
/** issue 16: lb-probe against a bare Node loop doing the same requests. */
const GOAL = { kind: 'ratioMin', value: 0.8 } as const;
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
  /** The HTTPS frontend (ssl crt), same backends. */
  tlsPort: number;
  backends: string[];
  stats(frontend?: 'lb' | 'lbs'): Promise<{ sessions: number; requests: number }>;
  close(): Promise<void>;
}

async function startHaproxy(haproxy: string, dir: string, crtFile: string): Promise<Haproxy> {
  const [port, tlsPort, ...web] = await freePorts(5, ADDR) as [number, number, number, number, number];
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
listen lbs
  bind ${ADDR}:${tlsPort} ssl crt ${crtFile}
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
  const stats = async (frontend: 'lb' | 'lbs' = 'lb') => {
    const s = await readStats(sock);
    const fe = s.get(`${frontend}/FRONTEND`);
    if (!fe) throw new Error(`no ${frontend}/FRONTEND row in the HAProxy stats`);
    return { sessions: Number(fe.stot), requests: Number(fe.req_tot) };
  };
  for (let i = 0; i < 50; i++) {
    if (await stats().then(() => true, () => false)) return { port, tlsPort, backends: web.map((p) => `${ADDR}:${p}`), stats, close };
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

/**
 * A Node loop of bare sockets through the same frontend (request written, answer read, no
 * parser): Node's own floor. With `caFile`, node:tls with the certificate verified (as netlab).
 */
const RAW_NODE = (port: number, caFile?: string) => `import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
const N = ${REQUESTS}, C = ${CONCURRENCY};
const ca = ${caFile ? `readFileSync(${JSON.stringify(caFile)})` : 'undefined'};
const one = () => new Promise((res, rej) => {
  const s = ca ? tls.connect({ host: '${ADDR}', port: ${port}, ca }) : net.connect({ host: '${ADDR}', port: ${port}, noDelay: true });
  s.on(ca ? 'secureConnect' : 'connect', () => s.write('GET / HTTP/1.1\\r\\nHost: ${ADDR}\\r\\nConnection: close\\r\\n\\r\\n'));
  s.on('data', () => undefined);
  s.on('end', () => { s.destroy(); res(); });
  s.on('error', rej);
});
let next = 0;
const t = performance.now();
await Promise.all(Array.from({ length: C }, async () => { while (next < N) { next++; await one(); } }));
process.stdout.write(String(N / ((performance.now() - t) / 1000)));`;

/** What one kind of run (HTTP or HTTPS) measured. */
interface Measured {
  ours: Array<{ rate: number; wallMs: number }>;
  theirs: number[];
  raw: number[];
  abExtra: number;
}

export async function benchLbProbe(options: LbProbeBenchOptions = {}): Promise<Section> {
  const title = options.title ?? 'lb-probe: fresh-connection probes through HAProxy';
  const haproxy = which('haproxy');
  const ab = which('ab');
  const label = (scheme: string, peer: string) => `${scheme}: \`lb-probe --requests ${REQUESTS} --concurrency ${CONCURRENCY}\` vs ${peer} (probes/s, new connection each)`;
  if (!haproxy) {
    return { title, method: 'Needs HAProxy to balance (apt-get install haproxy).', rows: [{ label: label('HTTP', 'a bare node:net loop'), unit: 'q/s', netlabNote: 'not run', peerName: 'node:net', peerNote: 'haproxy not installed', goal: GOAL }] };
  }
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-lb-'));
  let hp: Haproxy | undefined;
  try {
    // issue 16: a certificate from the lab PKI for the HTTPS frontend (IP SAN 127.0.0.1), its root for the clients
    const { createLabPki, issueLeaf, DAY_MS } = await import('../src/lab/tls/ca.js');
    const pki = await createLabPki(new Date());
    const leaf = await issueLeaf(pki.intermediate, { dnsNames: ['lb.example.test'], ipAddresses: [ADDR], notBefore: new Date(Date.now() - DAY_MS), notAfter: new Date(Date.now() + 30 * DAY_MS) });
    const crtFile = join(dir, 'lb.pem');
    const caFile = join(dir, 'ca.pem');
    writeFileSync(crtFile, leaf.certPem + pki.intermediate.certPem + leaf.keyPem);
    writeFileSync(caFile, pki.root.certPem);
    hp = await startHaproxy(haproxy, dir, crtFile);
    const h = hp;

    const measure = async (tls: boolean): Promise<Measured> => {
      const frontend = tls ? 'lbs' : 'lb';
      const vip = `${ADDR}:${tls ? h.tlsPort : h.port}`;
      const netlabArgs = [NETLAB, 'lb-probe', tls ? `https://${vip}` : vip, ...h.backends.flatMap((b) => ['--backend', tls ? `http://${b}` : b]), '--weights', '3,1,1',
        '--requests', String(REQUESTS), '--concurrency', String(CONCURRENCY), ...(tls ? ['--ca', caFile] : []), '--json'];
      const abArgs = ['-n', String(REQUESTS), '-c', String(CONCURRENCY), ...(tls ? ['-f', 'ALL'] : []), `${tls ? 'https' : 'http'}://${vip}/`];
      const m: Measured = { ours: [], theirs: [], raw: [], abExtra: 0 };
      const netlabRun = async (): Promise<{ rate: number; wallMs: number }> => {
        const before = await h.stats(frontend);
        const r = await timed(NODE, netlabArgs, { capture: true, timeoutMs: 120_000 });
        const after = await h.stats(frontend);
        let doc: LbDoc;
        try {
          doc = JSON.parse(r.stdout) as LbDoc;
        } catch {
          throw new Error(`netlab lb-probe printed no JSON (exit ${r.code}): ${r.stderr.trim().slice(0, 300)}`);
        }
        const attributed = doc.backends.reduce((s, b) => s + b.count, 0);
        if (r.code !== 0 || doc.answered !== REQUESTS || doc.unattributed !== 0 || attributed !== REQUESTS) {
          throw new Error(`netlab lb-probe${tls ? ' (HTTPS)' : ''}: exit ${r.code}, status ${doc.status}, ${doc.answered} answered, ${attributed} attributed of ${REQUESTS}`);
        }
        // the direct probes go to the backends, not through lb: the frontend sees exactly the probes
        if (after.sessions - before.sessions !== REQUESTS || after.requests - before.requests !== REQUESTS) {
          throw new Error(`HAProxy counted ${after.sessions - before.sessions} sessions and ${after.requests - before.requests} requests for netlab's ${REQUESTS} probes`);
        }
        return { rate: doc.probesPerSecond, wallMs: r.wallMs };
      };
      const abRun = async (): Promise<number> => {
        const before = await h.stats(frontend);
        const r = await timed(ab!, abArgs, { capture: true, timeoutMs: 120_000 });
        const after = await h.stats(frontend);
        const rps = /Requests per second:\s+([\d.]+)/.exec(r.stdout);
        const complete = /Complete requests:\s+(\d+)/.exec(r.stdout);
        const failed = /Failed requests:\s+(\d+)/.exec(r.stdout);
        if (r.code !== 0 || !rps || Number(complete?.[1]) !== REQUESTS || Number(failed?.[1]) !== 0 || /Non-2xx responses/.test(r.stdout)) {
          throw new Error(`ab ${abArgs.join(' ')}: exit ${r.code}: ${(r.stdout + r.stderr).trim().split('\n').slice(-3).join(' ')}`);
        }
        // ab keeps its C connections busy to the end and may start up to C - 1 requests past -n
        // (it reports only the -n it completed); still one request per connection
        const sessions = after.sessions - before.sessions;
        // (a connection it opened past -n may close before its request: sessions, not requests)
        const requests = after.requests - before.requests;
        if (sessions < REQUESTS || sessions >= REQUESTS + CONCURRENCY || requests < REQUESTS || requests > sessions) {
          throw new Error(`HAProxy counted ${sessions} sessions and ${requests} requests for ab's ${REQUESTS}`);
        }
        m.abExtra = Math.max(m.abExtra, sessions - REQUESTS);
        return Number(rps[1]);
      };
      const rawRun = (): number | undefined => {
        const r = spawnSync(NODE, ['--input-type=module', '-e', RAW_NODE(tls ? h.tlsPort : h.port, tls ? caFile : undefined)], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
        return r.status === 0 && Number.isFinite(Number(r.stdout)) ? Number(r.stdout) : undefined;
      };
      // one warm-up each (page cache, HAProxy's first connections), then interleaved runs: the
      // goal's two sides side by side
      await netlabRun();
      rawRun();
      if (ab) await abRun();
      for (let i = 0; i < RUNS; i++) {
        m.ours.push(await netlabRun());
        const raw = rawRun();
        if (raw !== undefined) m.raw.push(raw);
        if (ab) m.theirs.push(await abRun());
      }
      return m;
    };

    const plain = await measure(false);
    const secure = await measure(true);
    const per = (xs: number[]) => xs.map((x) => Math.round(x).toLocaleString('en-US')).join(', ');
    const rows: Row[] = [];
    const notes: string[] = [];
    for (const [scheme, m] of [['HTTP', plain], ['HTTPS', secure]] as const) {
      const rate = median(m.ours.map((o) => o.rate));
      const raw = m.raw.length > 0 ? median(m.raw) : undefined;
      const abRate = ab ? median(m.theirs) : undefined;
      const runs = `${RUNS} runs each after a warm-up, interleaved; netlab ${per(m.ours.map((o) => o.rate))} probes/s`;
      rows.push({
        label: label(scheme, `a bare ${scheme === 'HTTP' ? 'node:net' : 'node:tls'} loop doing the same requests (the goal)`), unit: 'q/s', netlab: rate,
        peerName: scheme === 'HTTP' ? 'node:net loop' : 'node:tls loop', peer: raw, peerNote: raw === undefined ? 'failed' : undefined, goal: GOAL,
        detail: `${runs}; the loop ${per(m.raw)} connections/s (${CONCURRENCY} at a time, request written, answer read to the close, no parser${scheme === 'HTTPS' ? ', the certificate verified' : ''})`,
      });
      rows.push({
        label: label(scheme, `\`ab -n ${REQUESTS} -c ${CONCURRENCY}${scheme === 'HTTPS' ? ' -f ALL' : ''}\` (information)`), unit: 'q/s', netlab: rate,
        peerName: 'ab', peer: abRate, peerNote: ab ? undefined : 'not installed (apt-get install apache2-utils)', goal: { kind: 'none' },
        detail: `ab ${ab ? `${per(m.theirs)} requests/s` : 'not run'}; every run checked: netlab exit 0 with ${REQUESTS} answers attributed (60/20/20, as weighted), ab ${REQUESTS} complete and 0 failed, and for each run HAProxy's frontend counted as many new sessions as requests (ab may start up to ${CONCURRENCY - 1} past -n: ${m.abExtra} at most here)`,
      });
      if (scheme === 'HTTP') {
        const wall = median(m.ours.map((o) => o.wallMs));
        rows.push({
          label: `netlab's whole process (startup, ${3 * 3} direct backend probes, ${REQUESTS} probes, analysis, JSON) vs ab (information)`, unit: 'q/s',
          netlab: (REQUESTS * 1000) / wall, peerName: 'ab', peer: abRate, peerNote: ab ? undefined : 'not installed', goal: { kind: 'none' },
          detail: `median wall ${fmt(wall, 'ms')}`,
        });
      }
      if (raw !== undefined && abRate !== undefined) {
        notes.push(`${scheme}: netlab reaches ${(rate / raw).toFixed(2)}x the bare Node loop and ${(rate / abRate).toFixed(2)}x ab; the loop itself reaches ${(raw / abRate).toFixed(2)}x ab: Node's own per-connection cost (socket objects, connect, close, GC${scheme === 'HTTPS' ? ', the handshake through OpenSSL' : ''}) against ab's C event loop.`);
      }
    }
    notes.push("Since issue 16 the probes go through lb-probe's own HTTP/1.1 client (src/protocol/lb/http1.ts: the request's bytes built once per run, one strict parser per answer) instead of undici, whose Client per worker, `reset` sockets and per-connection error objects with stacks cost about as much as the connection; and once an answer is complete the socket waits (at most 1 s, off the probe's time) for the server to close first, as ab and the bare loop do. Closing first left a TIME_WAIT socket per probe among this host's ephemeral ports to the one VIP address and port, and every later connect() searched longer through them: in a CPU profile of 4,000 probes, connect() went from 1.6 s to 0.6 s and the rate doubled. Since then, per probe: a plain socket reads into one buffer shared by all probes (net's `onread`) and the parser copies only what it keeps; the end of the header block is found by one byte loop; a small body's hash is looked up, not computed again (CPU per 4,000 probes about 5-8 % lower in interleaved A/B runs).");
    if (options.startup?.netlab !== undefined) notes.push(`Process startup (section 1: ${fmt(options.startup.netlab, 'ms')} for \`netlab --version\`) is in none of the probe rates; the whole-process row includes it.`);
    return {
      title,
      method: `HAProxy ${firstLineOf(haproxy)} (our own process on ${ADDR} and free ports, default threads) balances \`roundrobin\` 3:1:1 over three of its own \`http-request return\` listeners (X-Backend: web1..3), on a plain frontend and on an HTTPS one (\`bind ... ssl crt\`, a lab-PKI certificate; every client verifies it against the lab root, a full handshake per connection, no session resumed). Each frontend gets \`node bin/netlab.js lb-probe [https://]${ADDR}:PORT --backend ... --weights 3,1,1 --requests ${REQUESTS} --concurrency ${CONCURRENCY} --json\`, a bare Node loop in a fresh \`node\` doing the same ${REQUESTS} requests ${CONCURRENCY} at a time, and \`ab -n ${REQUESTS} -c ${CONCURRENCY} [-f ALL]\` (HTTP/1.0, no -k: one request per connection), interleaved, ${RUNS} runs each after one warm-up, median. netlab's figure is its own \`probesPerSecond\` (first probe through the VIP to the last answer), the loop's its requests over its own elapsed time, ab's its "Requests per second": none includes process startup.`,
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
