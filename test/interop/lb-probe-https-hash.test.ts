/**
 * issue 16: netlab lb-probe against HAProxy for what real load balancers add, HAProxy's own
 * counters (its stats socket) being the reference:
 * - an HTTPS VIP: `mode http` with `bind ... ssl crt` (a lab-PKI certificate), plain backends
 *   given as http://: every probe a full handshake, the answers attributed and equal to lbtot;
 * - remapping: `balance source` with `hash-type map-based` and with `hash-type consistent`, one
 *   server disabled through the stats socket (`disable server`): netlab's moved share against
 *   the share HAProxy's counters imply (the disabled server's share of the requests before).
 * Our own haproxy on 127.87.0.1 with free ports and a config in a temporary directory.
 * Skipped without haproxy (Debian: apt-get install haproxy).
 */
import { readHaproxyStats } from '../helpers/haproxy.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { createLabPki, DAY_MS, issueLeaf } from '../../src/lab/tls/ca.js';
import { runCli } from '../helpers/cli.js';
import { freePorts, startDaemon, which } from '../helpers/tools.js';
import type { LbProbeReport } from '../../src/protocol/lb/index.js';

const HAPROXY = which('haproxy');
const SKIP = HAPROXY ? false : 'haproxy is not installed (apt-get install haproxy)';
const ADDR = '127.87.0.1';
/** 100 sources, two probes each. */
const RANGE = '127.87.1.1-127.87.1.100';

let dir = '';
let haproxy: ChildProcess | undefined;
let haproxyLog = '';
let caFile = '';
const port: Record<string, number> = {};
const SERVERS = ['web1', 'web2', 'web3'];

/** One command on the stats socket (`disable server map/web3`); its answer. Bounded: 5 s. */
function haproxyCommand(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(join(dir, 'stats.sock'));
    let text = '';
    const timer = setTimeout(() => sock.destroy(new Error(`the stats socket did not answer '${command}' in 5 s`)), 5000);
    sock.on('connect', () => sock.write(`${command}\n`));
    sock.setEncoding('utf8').on('data', (d: string) => (text += d));
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(text.trim());
    });
  });
}

/** lbtot of each server of a proxy. */
async function lbtot(proxy: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const row of await readHaproxyStats(join(dir, 'stats.sock'))) if (row.pxname === proxy && SERVERS.includes(row.svname!)) out[row.svname!] = Number(row.lbtot);
  return out;
}

const http = (name: string) =>
  `listen ${name}\n  bind ${ADDR}:${port[name]}\n  http-request return status 200 content-type text/plain string "${name}\\n" hdr X-Backend ${name}\n`;
const servers = (weights = [1, 1, 1]) => SERVERS.map((s, i) => `  server ${s} ${ADDR}:${port[s]} weight ${weights[i]}\n`).join('');

before(async () => {
  if (!HAPROXY) return;
  dir = mkdtempSync(join(tmpdir(), 'netlab-haproxy-https-'));
  const pki = await createLabPki(new Date());
  const leaf = await issueLeaf(pki.intermediate, { dnsNames: ['lb.example.test'], ipAddresses: [ADDR], notBefore: new Date(Date.now() - DAY_MS), notAfter: new Date(Date.now() + 30 * DAY_MS) });
  writeFileSync(join(dir, 'lb.pem'), leaf.certPem + pki.intermediate.certPem + leaf.keyPem);
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, pki.root.certPem);
  const names = ['https', 'map', 'cons', ...SERVERS];
  (await freePorts(names.length, ADDR)).forEach((p, i) => (port[names[i]!] = p));
  writeFileSync(join(dir, 'haproxy.cfg'), `global
  stats socket ${join(dir, 'stats.sock')} mode 600 level admin
  maxconn 2000
defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s
listen https
  bind ${ADDR}:${port.https} ssl crt ${join(dir, 'lb.pem')}
  balance roundrobin
${servers([3, 1, 1])}listen map
  bind ${ADDR}:${port.map}
  balance source
  hash-type map-based
${servers()}listen cons
  bind ${ADDR}:${port.cons}
  balance source
  hash-type consistent
${servers()}${SERVERS.map(http).join('')}`);
  haproxy = startDaemon(HAPROXY, ['-db', '-f', join(dir, 'haproxy.cfg')]);
  haproxy.stderr?.setEncoding('utf8').on('data', (d: string) => (haproxyLog = (haproxyLog + d).slice(-4000)));
  haproxy.stdout?.resume();
  for (let i = 0; i < 60; i++) {
    if (await lbtot('cons').then((t) => Object.keys(t).length === 3, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`haproxy did not come up: ${haproxyLog}`);
});

after(async () => {
  haproxy?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const backendArgs = (scheme = '') => SERVERS.flatMap((s) => ['--backend', `${scheme}${ADDR}:${port[s]}`]);
const delta = (a: Record<string, number>, b: Record<string, number>) => SERVERS.map((s) => b[s]! - a[s]!);

test('HAProxy mode http with ssl crt: an HTTPS VIP, a handshake per probe, the certificate verified, the counts equal lbtot deltas', { skip: SKIP }, async () => {
  const before = await lbtot('https');
  const r = await runCli(['lb-probe', `https://${ADDR}:${port.https}`, ...backendArgs('http://'), '--weights', '3,1,1', '--ca', caFile, '--json'], { timeoutMs: 60_000 });
  const after = await lbtot('https');
  assert.equal(r.code, 0, r.stderr || r.stdout);
  const doc = JSON.parse(r.stdout) as LbProbeReport;
  assert.deepEqual(doc.backends.map((b) => b.count), [60, 20, 20]);
  assert.deepEqual(doc.backends.map((b) => b.count), delta(before, after));
  assert.equal(doc.mode, 'https');
  assert.equal(doc.tls!.certificates.length, 1, 'HAProxy terminates TLS: one certificate, no backend serves one');
  assert.deepEqual([doc.tls!.certificates[0]!.verified, doc.tls!.certificates[0]!.throughVip, doc.tls!.certificates[0]!.backends], [true, 100, []]);
  // without the lab root: every probe stops at the certificate, and HAProxy saw no request
  const again = await lbtot('https');
  const untrusted = await runCli(['lb-probe', `https://${ADDR}:${port.https}`, ...backendArgs('http://'), '--requests', '5', '--json'], { timeoutMs: 60_000 });
  assert.equal(untrusted.code, 2);
  assert.deepEqual((JSON.parse(untrusted.stdout) as LbProbeReport).problems.map((p) => p.code).sort(), ['CERT_INVALID', 'VIP_UNREACHABLE']);
  assert.deepEqual(delta(again, await lbtot('https')), [0, 0, 0]);
});

test('balance source, map-based and consistent, a server disabled through the stats socket: netlab moved share against the share HAProxy counters imply', { skip: SKIP }, async () => {
  const remaps: Record<string, NonNullable<LbProbeReport['remap']>> = {};
  for (const proxy of ['map', 'cons']) {
    const file = join(dir, `${proxy}.json`);
    const args = ['lb-probe', `${ADDR}:${port[proxy]}`, ...backendArgs(), '--source-ips', RANGE, '--requests', '200', '--concurrency', '4', '--json'];
    const t0 = await lbtot(proxy);
    const first = await runCli([...args, '--save-map', file], { timeoutMs: 60_000 });
    const t1 = await lbtot(proxy);
    assert.equal(first.code, 0, first.stderr || first.stdout);
    const d1 = delta(t0, t1);
    assert.deepEqual((JSON.parse(first.stdout) as LbProbeReport).backends.map((b) => b.count), d1);
    assert.equal(await haproxyCommand(`disable server ${proxy}/web3`), '');
    let second;
    let t2: Record<string, number>;
    try {
      second = await runCli([...args, '--compare-map', file], { timeoutMs: 60_000 });
      t2 = await lbtot(proxy);
    } finally {
      await haproxyCommand(`enable server ${proxy}/web3`);
    }
    const d2 = delta(t1, t2);
    const doc = JSON.parse(second.stdout) as LbProbeReport;
    assert.deepEqual(doc.backends.map((b) => b.count), d2, 'the counts after equal lbtot deltas');
    assert.equal(d2[2], 0, 'the disabled server got nothing');
    const remap = doc.remap!;
    assert.equal(remap.compared, 100);
    assert.deepEqual(remap.gone, [`${ADDR}:${port.web3}`]);
    // HAProxy's counters: web3's share of the requests before is the share of sources it had
    // (two probes per source, each source sticky), the least that must move
    const implied = d1[2]! / 200;
    assert.equal(remap.goneShare, implied);
    // and the net change per server bounds the moves from below
    const netMoves = SERVERS.reduce((s, _n, i) => s + Math.max(0, d1[i]! - d2[i]!), 0) / 200;
    assert.ok(remap.movedShare! >= netMoves, `${remap.movedShare} >= ${netMoves}`);
    remaps[proxy] = remap;
  }
  // consistent hashing moves exactly what the counters imply: web3's sources, nothing else
  assert.equal(remaps.cons!.verdict, 'consistent', remaps.cons!.description);
  assert.equal(remaps.cons!.movedShare, remaps.cons!.goneShare);
  assert.equal(remaps.cons!.needlessMoves, 0);
  // map-based moves far more than web3's share
  assert.equal(remaps.map!.verdict, 'modulo', remaps.map!.description);
  assert.ok(remaps.map!.movedShare! > remaps.map!.goneShare! + 0.2, remaps.map!.description);
});
