/**
 * netlab lb-probe against HAProxy: HAProxy balances (roundrobin 3:1:1, `balance source`, a
 * backend failing its health check, and an L4 `mode tcp` frontend), and its own counters are the
 * reference: for every backend, the answers netlab attributes to it must equal the change in
 * HAProxy's `lbtot` (times the server was chosen) over the run, read via its stats socket.
 * The backends are HAProxy frontends answering with `http-request return` (X-Backend: NAME), and
 * for TCP the lab's banner services. Our own haproxy on 127.0.0.1 with free ports and a config in
 * a temporary directory; a system haproxy, if any, is not touched. Skipped without haproxy
 * (Debian: apt-get install haproxy).
 */
import { readHaproxyStats } from '../helpers/haproxy.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { startLbLab, type LbLab } from '../../src/lab/lb/index.js';
import { runCli } from '../helpers/cli.js';
import { freePorts, startDaemon, which } from '../helpers/tools.js';

const HAPROXY = which('haproxy');
const SKIP = HAPROXY ? false : 'haproxy is not installed (apt-get install haproxy)';
const ADDR = '127.0.0.1';

let dir = '';
let haproxy: ChildProcess | undefined;
let haproxyLog = '';
let lab: LbLab | undefined;
const port: Record<string, number> = {};

type Stats = Map<string, Map<string, Record<string, string>>>;

/** HAProxy's counters: proxy -> server -> column -> value. */
async function readStats(): Promise<Stats> {
  const out: Stats = new Map();
  for (const row of await readHaproxyStats(join(dir, 'stats.sock'))) {
    if (!out.has(row.pxname!)) out.set(row.pxname!, new Map());
    out.get(row.pxname!)!.set(row.svname!, row);
  }
  return out;
}

function lbtot(stats: Stats, proxy: string, server: string): number {
  const v = stats.get(proxy)?.get(server)?.lbtot;
  if (v === undefined) throw new Error(`no stats row for ${proxy}/${server}`);
  return Number(v);
}

const http = (name: string, status = 200) =>
  `listen ${name}\n  bind ${ADDR}:${port[name]}\n  http-request return status ${status} content-type text/plain string "${name}\\n" hdr X-Backend ${name}\n`;

before(async () => {
  if (!HAPROXY) return;
  dir = mkdtempSync(join(tmpdir(), 'netlab-haproxy-'));
  lab = await startLbLab();
  const names = ['rr', 'src', 'chk', 'l4', 'web1', 'web2', 'web3', 'sick'];
  (await freePorts(names.length, ADDR)).forEach((p, i) => (port[names[i]!] = p));
  const banner = lab.bannerPort;
  writeFileSync(join(dir, 'haproxy.cfg'), `global
  stats socket ${join(dir, 'stats.sock')} mode 600 level admin
  maxconn 2000
defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s
  default-server inter 300 fall 2 rise 1
listen rr
  bind ${ADDR}:${port.rr}
  balance roundrobin
  option httpchk GET /
  server web1 ${ADDR}:${port.web1} weight 3 check
  server web2 ${ADDR}:${port.web2} weight 1 check
  server web3 ${ADDR}:${port.web3} weight 1 check
listen src
  bind ${ADDR}:${port.src}
  balance source
  option httpchk GET /
  server web1 ${ADDR}:${port.web1} weight 3 check
  server web2 ${ADDR}:${port.web2} weight 1 check
  server web3 ${ADDR}:${port.web3} weight 1 check
listen chk
  bind ${ADDR}:${port.chk}
  balance roundrobin
  option httpchk GET /
  server web1 ${ADDR}:${port.web1} check
  server web2 ${ADDR}:${port.web2} check
  server sick ${ADDR}:${port.sick} check
listen l4
  mode tcp
  bind ${ADDR}:${port.l4}
  balance roundrobin
  server web1 127.56.0.1:${banner} weight 3 check
  server web2 127.56.0.2:${banner} weight 1 check
  server web3 127.56.0.3:${banner} weight 1 check
${http('web1')}${http('web2')}${http('web3')}${http('sick', 503)}`);
  haproxy = startDaemon(HAPROXY, ['-db', '-f', join(dir, 'haproxy.cfg')]);
  haproxy.stderr?.setEncoding('utf8').on('data', (d: string) => (haproxyLog = (haproxyLog + d).slice(-4000)));
  haproxy.stdout?.resume();
  // bounded wait: every server checked, the sick one DOWN
  for (let i = 0; i < 60; i++) {
    const stats = await readStats().catch(() => undefined);
    const status = (px: string, sv: string) => stats?.get(px)?.get(sv)?.status ?? '';
    if (stats && ['web1', 'web2', 'web3'].every((s) => status('rr', s) === 'UP' && status('src', s) === 'UP' && status('l4', s) === 'UP') && status('chk', 'sick') === 'DOWN') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`haproxy did not come up with its servers checked: ${haproxyLog}`);
});

after(async () => {
  haproxy?.kill('SIGTERM');
  await lab?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Doc {
  status: string;
  backends: Array<{ address: string; marker: string | null; healthy: boolean; count: number }>;
  distribution: { matches: boolean | null; unit: string; judged: boolean; notJudged: string | null } | null;
  stickiness: { verdict: string } | null;
  scheduler: { kind: string };
  unattributed: number;
  problems: Array<{ code: string; message: string }>;
  notes: Array<{ code: string; message: string; counts?: Record<string, number> }>;
}

/** Run netlab through a HAProxy frontend; return its JSON and HAProxy's lbtot deltas per server. */
async function probeAgainstStats(proxy: string, servers: Array<[name: string, address: string]>, args: string[]): Promise<{ code: number | null; doc: Doc; deltas: Record<string, number> }> {
  const before = await readStats();
  const r = await runCli(['lb-probe', `${ADDR}:${port[proxy]}`, ...servers.flatMap(([, a]) => ['--backend', a]), ...args, '--json'], { timeoutMs: 60_000 });
  const afterStats = await readStats();
  assert.ok(r.stdout.length > 0, r.stderr);
  const deltas: Record<string, number> = {};
  for (const [name] of servers) deltas[name] = lbtot(afterStats, proxy, name) - lbtot(before, proxy, name);
  return { code: r.code, doc: JSON.parse(r.stdout) as Doc, deltas };
}

const httpServers = (names: string[]): Array<[string, string]> => names.map((n) => [n, `${ADDR}:${port[n]}`]);

test('HAProxy roundrobin 3:1:1: netlab says it matches, and its counts equal HAProxy lbtot deltas', { skip: SKIP }, async () => {
  const servers = httpServers(['web1', 'web2', 'web3']);
  const r = await probeAgainstStats('rr', servers, ['--weights', '3,1,1']);
  assert.equal(r.code, 0, JSON.stringify(r.doc.problems));
  assert.equal(r.doc.distribution?.matches, true);
  assert.equal(r.doc.unattributed, 0);
  assert.deepEqual(r.doc.backends.map((b) => b.count), servers.map(([n]) => r.deltas[n]), JSON.stringify(r.deltas));
  assert.deepEqual(r.doc.backends.map((b) => b.count), [60, 20, 20]);
  assert.equal(r.doc.scheduler.kind, 'smooth-weighted-round-robin');
  const wrong = await probeAgainstStats('rr', servers, ['--weights', '1,1,1']);
  assert.equal(wrong.code, 1);
  assert.deepEqual(wrong.doc.backends.map((b) => b.count), servers.map(([n]) => wrong.deltas[n]));
});

test('HAProxy roundrobin 3:1:1 without --weights: the split is described, not judged against equal weights: exit 0', { skip: SKIP }, async () => {
  // issue 10.2: a correctly configured 3:1:1 VIP got DISTRIBUTION_OFF without --weights
  const servers = httpServers(['web1', 'web2', 'web3']);
  const r = await probeAgainstStats('rr', servers, []);
  assert.equal(r.code, 0, JSON.stringify(r.doc.problems));
  assert.deepEqual(r.doc.problems, []);
  assert.deepEqual(r.doc.backends.map((b) => b.count), [60, 20, 20]);
  assert.deepEqual(r.doc.backends.map((b) => b.count), servers.map(([n]) => r.deltas[n]), JSON.stringify(r.deltas));
  assert.equal(r.doc.distribution?.judged, false);
  assert.equal(r.doc.distribution?.notJudged, 'no-weights');
  assert.deepEqual(r.doc.notes.map((n) => n.code), ['NO_WEIGHTS']);
});

test('HAProxy roundrobin with 8 probes at a time: the counts still equal lbtot deltas', { skip: SKIP }, async () => {
  const servers = httpServers(['web1', 'web2', 'web3']);
  const r = await probeAgainstStats('rr', servers, ['--weights', '3,1,1', '--requests', '400', '--concurrency', '8']);
  assert.equal(r.code, 0, JSON.stringify(r.doc.problems));
  assert.deepEqual(r.doc.backends.map((b) => b.count), servers.map(([n]) => r.deltas[n]), JSON.stringify(r.deltas));
});

test('HAProxy balance source: every source sticks to one backend, and the counts equal lbtot deltas', { skip: SKIP }, async () => {
  const servers = httpServers(['web1', 'web2', 'web3']);
  const r = await probeAgainstStats('src', servers, ['--weights', '3,1,1', '--source-ips', '127.56.2.1-127.56.201.1', '--requests', '200']);
  assert.deepEqual(r.doc.backends.map((b) => b.count), servers.map(([n]) => r.deltas[n]), JSON.stringify(r.deltas));
  assert.equal(r.doc.stickiness?.verdict, 'sticky');
  assert.equal(r.doc.distribution?.unit, 'source');
  // HAProxy's map-based hash of these 100 sources gives 56/22/22: the weights 3:1:1
  assert.equal(r.code, 0, JSON.stringify(r.doc.problems));
  assert.equal(r.doc.distribution?.matches, true);
});

test('HAProxy balance source seen from 8 sources: sticky and healthy, exit 0; too few sources to judge the split is a note', { skip: SKIP }, async () => {
  // issue 10.2: a sticky `balance source` VIP with 8 sources exited 3 (too few to judge overrode what was judged)
  const servers = httpServers(['web1', 'web2', 'web3']);
  const r = await probeAgainstStats('src', servers, ['--weights', '3,1,1', '--source-ips', '127.56.2.1-127.56.9.1', '--requests', '16']);
  assert.deepEqual(r.doc.backends.map((b) => b.count), servers.map(([n]) => r.deltas[n]), JSON.stringify(r.deltas));
  assert.equal(r.doc.stickiness?.verdict, 'sticky');
  assert.ok(r.doc.backends.every((b) => b.healthy));
  assert.equal(r.code, 0, JSON.stringify(r.doc.problems));
  assert.equal(r.doc.status, 'OK');
  assert.equal(r.doc.distribution?.notJudged, 'too-few');
  assert.deepEqual(r.doc.notes.map((n) => n.code), ['TOO_FEW_TO_JUDGE']);
  assert.equal(r.doc.notes[0]!.counts?.sourcesNeeded, 25);
});

test('a backend failing its HAProxy health check: exit 1 naming it, no traffic to it, counts equal lbtot deltas', { skip: SKIP }, async () => {
  const servers = httpServers(['web1', 'web2', 'sick']);
  const r = await probeAgainstStats('chk', servers, ['--weights', '1,1,1']);
  assert.equal(r.code, 1);
  const down = r.doc.problems.filter((p) => p.code === 'BACKEND_DOWN');
  assert.equal(down.length, 1);
  assert.ok(down[0]!.message.includes(`${ADDR}:${port.sick}`), down[0]!.message);
  assert.match(down[0]!.message, /HTTP 503/);
  assert.equal(r.deltas.sick, 0);
  assert.deepEqual(r.doc.backends.map((b) => b.count), servers.map(([n]) => r.deltas[n]), JSON.stringify(r.deltas));
  assert.deepEqual(r.doc.backends.map((b) => b.count), [50, 50, 0]);
  assert.equal(r.doc.distribution?.matches, true, 'the two healthy ones share evenly');
});

test('HAProxy mode tcp over the lab banner services: banner mode counts equal lbtot deltas', { skip: SKIP }, async () => {
  const servers: Array<[string, string]> = ['web1', 'web2', 'web3'].map((n, i) => [n, `127.56.0.${i + 1}:${lab!.bannerPort}`]);
  const r = await probeAgainstStats('l4', servers, ['--mode', 'tcp', '--weights', '3,1,1']);
  assert.equal(r.code, 0, JSON.stringify(r.doc.problems));
  assert.deepEqual(r.doc.backends.map((b) => b.count), servers.map(([n]) => r.deltas[n]), JSON.stringify(r.deltas));
  assert.deepEqual(r.doc.backends.map((b) => b.count), [60, 20, 20]);
});
