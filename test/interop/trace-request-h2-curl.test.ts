/**
 * issue 15: netlab trace-request against curl on a real nginx with `http2` and session tickets
 * (TLS 1.3), through a latency relay, all on 127.86.0.x:
 *
 *   nginx  127.86.0.1  listen ssl http2, ssl_session_tickets on, a static file
 *   relay  127.86.0.2  the lab's LatencyRelay to nginx, adding RTT_MS to every round trip
 *
 *  (a) h2: netlab (h2 by ALPN, its default) and `curl --http2 -w`, pinned the same way (netlab
 *      --origin, curl --connect-to), 10 cold samples each: both speak HTTP/2; only what the relay
 *      guarantees is asserted (TLS 1.3 handshake >= 1 RTT, ttfb >= 1 RTT), medians side by side
 *      in the diagnostics (the agreement per phase is measured in bench/, docs/benchmarks.md).
 *  (b) keep-alive: netlab --reuse 3 and `curl --http2 URL URL URL` (one connection): the later
 *      requests have no tcp and no handshake for both tools, and still pay the RTT in ttfb.
 *  (c) resumption: netlab --resume and `openssl s_client -sess_out` then `-sess_in` (and curl
 *      with two URLs over closed connections, reusing its session): the server resumes both.
 *
 * Nothing uses the system resolver. Needs curl, nginx and openssl; skipped with the reason otherwise.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LatencyRelay } from '../../src/lab/http/relay.js';
import { CURL_W, curlPhases } from '../helpers/curl.js';
import { runCli } from '../helpers/cli.js';
import { run, which } from '../helpers/tools.js';
import { startNginx, writeTlsSite, type RunningNginx } from '../helpers/nginx.js';

const CURL = which('curl');
const NGINX = which('nginx');
const OPENSSL = which('openssl');
const SKIP = !CURL ? 'curl is not installed (apt-get install curl)' : !NGINX ? 'nginx is not installed (apt-get install nginx)' : !OPENSSL ? 'openssl is not installed (apt-get install openssl)' : false;
const NGINX_ADDRESS = '127.86.0.1';
const RELAY_ADDRESS = '127.86.0.2';
const RTT_MS = 30;
const TOLERANCE_MS = 2;
const SAMPLES = 10;
const HOST = 'h2.example.test';
const FILE_BYTES = 50_000;
const PHASES = ['dnsMs', 'tcpMs', 'tlsMs', 'ttfbMs', 'transferMs', 'totalMs'] as const;
type Phases = Record<(typeof PHASES)[number], number>;

let dir = '';
let nginx: RunningNginx | undefined;
let relay: LatencyRelay | undefined;
let rootFile = '';
let port = 0;

before(async () => {
  if (SKIP) return;
  dir = mkdtempSync(join(tmpdir(), 'netlab-trace-h2-'));
  ({ rootFile } = await writeTlsSite(dir, HOST, FILE_BYTES, 'root.pem'));
  nginx = await startNginx({
    nginx: NGINX!,
    dir,
    ports: 1,
    address: NGINX_ADDRESS,
    servers: ([p]) => [`  server {
    listen ${NGINX_ADDRESS}:${p} ssl http2;
    server_name ${HOST};
    ssl_certificate ${join(dir, 'chain.pem')};
    ssl_certificate_key ${join(dir, 'key.pem')};
    ssl_protocols TLSv1.3;
    ssl_session_tickets on;
    ssl_session_cache shared:netlab:1m;
    keepalive_requests 1000;
    root ${join(dir, 'html')};
    location / { }
  }`],
  });
  port = nginx.ports[0]!;
  relay = new LatencyRelay({ listenAddress: RELAY_ADDRESS, listenPort: port, targetAddress: NGINX_ADDRESS, targetPort: port, rttMs: RTT_MS });
  await relay.start();
});

after(async () => {
  await relay?.close();
  await nginx?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function medians(samples: Phases[]): Phases {
  const out = {} as Phases;
  for (const k of PHASES) out[k] = median(samples.map((s) => s[k]));
  return out;
}

function sideBySide(t: { diagnostic(s: string): void }, title: string, n: Phases, c: Phases): void {
  t.diagnostic(title);
  for (const k of PHASES) t.diagnostic(`  ${k.replace(/Ms$/, '').padEnd(9)} netlab ${n[k].toFixed(2).padStart(8)} curl ${c[k].toFixed(2).padStart(8)} diff ${(n[k] - c[k]).toFixed(2).padStart(7)} ms`);
}

const url = () => `https://${HOST}:${port}/file.bin?${randomUUID()}`;

/** curl with -w per URL (one line each) and %{http_version}. */
async function curl(args: string[], urls: string[]): Promise<Array<{ phases: Phases; version: string; stderr: string }>> {
  const r = await run(CURL!, [...args, '--connect-to', `::${RELAY_ADDRESS}:`, '--cacert', rootFile, '--noproxy', '*', '--max-time', '20', '-sS', '-w', `${CURL_W} %{http_version}\\n`, ...urls.flatMap((u) => ['-o', '/dev/null', u])], 30_000);
  assert.equal(r.code, 0, `curl: exit ${r.code}: ${r.stderr.trim()}`);
  return r.stdout.trim().split('\n').map((line) => {
    const parts = line.trim().split(/\s+/);
    const version = parts.pop()!;
    const c = curlPhases(parts.join(' '));
    assert.equal(c.status, 200);
    return { phases: c.phases, version, stderr: r.stderr };
  });
}

/** openssl s_client sending one HTTP/1.0 request (nginx answers and closes, after its tickets): bounded to 20 s. */
function sClient(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(OPENSSL!, [...args, '-ign_eof'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`openssl s_client did not finish in 20 s: ${stderr.slice(-300)}`));
    }, 20_000);
    child.on('close', () => {
      clearTimeout(timer);
      resolve({ stdout, stderr });
    });
    child.stdin.end(`GET /file.bin HTTP/1.0\r\nHost: ${HOST}\r\n\r\n`);
  });
}

interface PathDoc {
  httpVersion: string;
  tlsVersion: string;
  succeeded: number;
  phases: Phases;
  first: Phases;
  resumedBySample?: boolean[];
  resumption?: { other: Phases; base: Phases };
  reuse?: { other: Phases; base: Phases; otherCount: number };
}

async function netlab(args: string[]): Promise<PathDoc> {
  const r = await runCli(['trace-request', url(), '--origin', RELAY_ADDRESS, '--ca', rootFile, '--json', ...args], { timeoutMs: 90_000 });
  assert.equal(r.code, 0, `netlab: exit ${r.code}: ${r.stdout.slice(0, 300)} ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as { paths: PathDoc[] };
  assert.equal(doc.paths.length, 1);
  return doc.paths[0]!;
}

test(`(a) h2 through a ${RTT_MS} ms relay: netlab and curl --http2 both speak HTTP/2 over TLS 1.3 and pay 1 RTT of handshake and 1 of request`, { skip: SKIP, timeout: 120_000 }, async (t) => {
  const n = await netlab(['--samples', String(SAMPLES)]);
  assert.equal(n.httpVersion, 'HTTP/2');
  assert.equal(n.tlsVersion, 'TLSv1.3');
  assert.equal(n.succeeded, SAMPLES);
  const c: Phases[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const [s] = await curl(['--http2', '--no-sessionid'], [url()]);
    assert.equal(s!.version, '2');
    c.push(s!.phases);
  }
  const cm = medians(c);
  sideBySide(t, `h2, medians of ${SAMPLES} cold samples each:`, n.phases, cm);
  t.diagnostic(`JSON ${JSON.stringify({ case: 'h2', netlab: n.phases, curl: cm })}`);
  for (const [who, p] of [['netlab', n.phases], ['curl', cm]] as const) {
    assert.ok(p.tlsMs >= RTT_MS - TOLERANCE_MS, `${who}: tls ${p.tlsMs} < ${RTT_MS}`);
    assert.ok(p.ttfbMs >= RTT_MS - TOLERANCE_MS, `${who}: ttfb ${p.ttfbMs} < ${RTT_MS}`);
  }
  assert.equal(n.phases.dnsMs, 0);
});

test('(b) keep-alive: netlab --reuse 3 and curl --http2 URL URL URL: later requests without tcp or handshake, still 1 RTT of ttfb', { skip: SKIP, timeout: 120_000 }, async (t) => {
  const n = await netlab(['--reuse', '3', '--samples', '3']);
  assert.equal(n.reuse!.otherCount, 6);
  const c = await curl(['--http2'], [url(), url(), url()]);
  assert.equal(c.length, 3);
  sideBySide(t, 'reused connection, medians (netlab: 6 later requests; curl: requests 2 and 3 of one run):', n.reuse!.other, medians(c.slice(1).map((s) => s.phases)));
  assert.equal(n.reuse!.other.tcpMs, 0);
  for (const s of c.slice(1)) {
    // curl -w on a reused connection: connect and appconnect 0, so our tcp difference is <= 0
    assert.ok(s.phases.tcpMs <= 0, `curl reused: tcp ${s.phases.tcpMs}`);
    assert.ok(s.phases.ttfbMs >= RTT_MS - TOLERANCE_MS, `curl reused: ttfb ${s.phases.ttfbMs}`);
  }
  assert.ok(n.reuse!.other.ttfbMs >= RTT_MS - TOLERANCE_MS, `netlab reused: ttfb ${n.reuse!.other.ttfbMs}`);
});

test('(c) resumption: netlab --resume resumes nginx\'s TLS 1.3 ticket, as openssl s_client -sess_in and curl do', { skip: SKIP, timeout: 120_000 }, async (t) => {
  const n = await netlab(['--resume', '--samples', '4']);
  assert.deepEqual(n.resumedBySample, [false, true, true, true]);
  // openssl: a session saved, then offered
  const sess = join(dir, 'sess.pem');
  const common = ['s_client', '-connect', `${RELAY_ADDRESS}:${port}`, '-servername', HOST, '-CAfile', rootFile, '-tls1_3'];
  const first = await sClient([...common, '-sess_out', sess]);
  assert.match(first.stdout, /^New, TLSv1\.3/m, first.stderr);
  const second = await sClient([...common, '-sess_in', sess]);
  assert.match(second.stdout, /^Reused, TLSv1\.3/m, second.stderr);
  // curl: two URLs over two connections (Connection: close), the second resuming the first's session
  const c = await curl(['--http1.1', '-H', 'Connection: close', '-v'], [url(), url()]);
  assert.match(c[0]!.stderr, /SSL re-using session ID|Reusing session|session ID re-?used/i);
  sideBySide(t, 'resumed handshakes, medians (netlab: 3 resumed samples; curl: the second URL):', n.resumption!.other, c[1]!.phases);
  t.diagnostic(`netlab full handshake tls ${n.resumption!.base.tlsMs.toFixed(2)} ms, resumed ${n.resumption!.other.tlsMs.toFixed(2)} ms; curl ${c[0]!.phases.tlsMs.toFixed(2)} then ${c[1]!.phases.tlsMs.toFixed(2)} ms`);
});
