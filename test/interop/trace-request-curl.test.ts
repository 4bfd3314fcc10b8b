/**
 * netlab trace-request against `curl --http1.1 -w`: the same URL, pinned the same way
 * (netlab --origin ADDR, curl --connect-to ::ADDR:), 10 cold samples each, medians side by side.
 *
 * curl's -w timers are cumulative from the start; netlab's phases (src/protocol/http/timing.ts)
 * are their differences:
 *   dns = namelookup, tcp = connect - namelookup, tls = pretransfer - connect,
 *   ttfb = starttransfer - pretransfer, transfer = total - starttransfer.
 * Every curl run is cold (a new process, --no-sessionid), as every netlab sample is.
 *
 *  (a) The lab's far path: the far relay 127.55.0.3 adds 70 ms to every round trip to the
 *      origin, and /delay/50 holds the answer 50 ms. Only what those guarantee is asserted,
 *      for both tools: TLS 1.2 takes two round trips through the relay (tls >= 140 ms), and
 *      the request one round trip plus the delay (ttfb >= 120 ms). No upper bound: the
 *      medians and their differences go to the diagnostic output.
 *  (b) A real nginx serving a static file over HTTPS on 127.0.0.1 with a lab certificate:
 *      the same comparison, with sanity checks only (phases >= 0, netlab's phases of a
 *      sample add up to its total).
 *
 * Nothing here uses the system resolver: every netlab path is pinned (--origin/--cdn) or
 * resolved through the lab's DNS (--resolver), every curl run uses --connect-to, and every
 * address is in 127.0.0.0/8. Needs curl (and nginx for (b)); skipped with the reason otherwise.
 */
import { CURL_W, curlPhases, type CurlPhases as CurlSample } from '../helpers/curl.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '../../src/lab/index.js';
import { runCli } from '../helpers/cli.js';
import { run, which } from '../helpers/tools.js';
import { startNginx, writeTlsSite, type RunningNginx } from '../helpers/nginx.js';

const CURL = which('curl');
const NGINX = which('nginx');
const SKIP_CURL = CURL ? false : 'curl is not installed (apt-get install curl)';
const SKIP_NGINX = SKIP_CURL || (NGINX ? false : 'nginx is not installed (apt-get install nginx)');
const SAMPLES = 10;
/** Clock reads of two processes, rounding: the bounds below are exact, this is slack for reading them. */
const TOLERANCE_MS = 2;
const FAR_DELAY_MS = 50;
const HOST = 'www.example.test';
const FILE_BYTES = 100_000;

const PHASES = ['dnsMs', 'tcpMs', 'tlsMs', 'ttfbMs', 'transferMs', 'totalMs'] as const;
type PhaseKey = (typeof PHASES)[number];
type Phases = Record<PhaseKey, number>;


/** One cold curl transfer of `url`, connecting to `address` (Host and SNI stay the URL's). */
async function curlOnce(url: string, address: string, caFile: string): Promise<CurlSample> {
  const r = await run(CURL!, [
    '--http1.1', '--connect-to', `::${address}:`, '--cacert', caFile, '--no-sessionid',
    '--noproxy', '*', '--max-time', '20', '-sS', '-o', '/dev/null', '-w', CURL_W, url,
  ], 30_000);
  assert.equal(r.code, 0, `curl ${url} via ${address}: exit ${r.code}: ${r.stderr.trim()}`);
  return curlPhases(r.stdout);
}

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

/** The two tools' medians, one line per phase, for t.diagnostic (one call per line: TAP escapes newlines). */
function sideBySide(title: string, netlab: Phases, curl: Phases): string[] {
  const cell = (v: number) => `${v.toFixed(2)} ms`.padStart(11);
  const lines = [title, `  ${'phase'.padEnd(9)}${'netlab'.padStart(11)}${'curl'.padStart(11)}${'netlab-curl'.padStart(13)}`];
  for (const k of PHASES) {
    const d = netlab[k] - curl[k];
    lines.push(`  ${k.replace(/Ms$/, '').padEnd(9)}${cell(netlab[k])}${cell(curl[k])}${`${d >= 0 ? '+' : ''}${d.toFixed(2)} ms`.padStart(13)}`);
  }
  return lines;
}

interface PathDoc {
  label: string;
  address: string;
  samples: number;
  succeeded: number;
  status: number | null;
  tlsVersion: string | null;
  phases: Phases;
  p95: Phases;
  first: Phases;
  errors: Array<{ phase: string; error: string }>;
}

async function netlabTrace(args: string[]): Promise<{ origin: PathDoc; other: PathDoc }> {
  const r = await runCli(['trace-request', ...args, '--samples', String(SAMPLES), '--json'], { timeoutMs: 90_000 });
  assert.equal(r.code, 0, `netlab trace-request ${args.join(' ')}: exit ${r.code}: ${r.stdout.slice(0, 400)} ${r.stderr.trim()}`);
  const doc = JSON.parse(r.stdout) as { paths: PathDoc[] };
  const origin = doc.paths.find((p) => p.label === 'origin');
  assert.ok(origin && doc.paths.length === 2, `paths: ${doc.paths.map((p) => p.label).join(', ')}`);
  assert.equal(origin.succeeded, SAMPLES, JSON.stringify(origin.errors));
  return { origin, other: doc.paths.find((p) => p !== origin)! };
}

function assertSane(who: string, p: Phases): void {
  for (const k of PHASES) assert.ok(Number.isFinite(p[k]) && p[k] >= 0, `${who}: ${k} = ${p[k]}`);
}

// (a) the lab's far path --------------------------------------------------------------------

let lab: Lab | undefined;

before(async () => {
  if (CURL) lab = await startLab({ port: 0 });
});

after(async () => {
  await lab?.close();
});

test(`lab far relay, /delay/${FAR_DELAY_MS}: netlab and curl both pay 2 RTT of TLS 1.2 and 1 RTT plus the delay before the first byte`, { skip: SKIP_CURL, timeout: 180_000 }, async (t) => {
  const l = lab!;
  const far = l.http.far.address;
  const rtt = 70; // DEFAULT_FAR_RTT_MS of src/lab/http/index.ts, which startLab uses
  const base = `https://origin.example.test:${l.http.httpsPort}/delay/${FAR_DELAY_MS}`;

  // netlab: the origin leg pinned to the far relay (as curl --connect-to); the other leg resolves
  // origin.example.test through the lab's DNS (the origin itself, 127.55.0.1, no relay).
  const { origin, other } = await netlabTrace([`${base}?${randomUUID()}`, '--origin', far,
    '--resolver', `${l.dns.addresses.ns1Example}:${l.port}`, '--ca', l.tls.caFile, '--compare-resolved']);
  assert.equal(origin.address, far);
  assert.equal(origin.status, 200);
  assert.equal(origin.tlsVersion, 'TLSv1.2', 'the lab speaks TLS 1.2: 2 RTT of handshake');
  assert.equal(other.address, l.http.origin.address);

  // curl: the same URL (a fresh query string each time, so no cache could answer), pinned the same way
  const curl: Phases[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const s = await curlOnce(`${base}?${randomUUID()}`, far, l.tls.caFile);
    assert.equal(s.status, 200);
    curl.push(s.phases);
  }
  const c = medians(curl);
  const n = origin.phases;

  for (const line of sideBySide(`far relay ${far} (+${rtt} ms RTT), /delay/${FAR_DELAY_MS}, medians of ${SAMPLES} cold samples each (TLS 1.2):`, n, c)) t.diagnostic(line);
  t.diagnostic(`netlab first sample: tcp ${origin.first.tcpMs.toFixed(2)} tls ${origin.first.tlsMs.toFixed(2)} ttfb ${origin.first.ttfbMs.toFixed(2)} transfer ${origin.first.transferMs.toFixed(2)} ms; the direct leg (127.55.0.1, no relay): tls ${other.phases.tlsMs.toFixed(2)} ttfb ${other.phases.ttfbMs.toFixed(2)} ms`);
  t.diagnostic(`JSON ${JSON.stringify({ case: 'lab-far', netlab: n, curl: c })}`);

  for (const [who, p] of [['netlab', n], ['curl', c]] as const) {
    assertSane(who, p);
    assert.ok(p.tlsMs >= 2 * rtt - TOLERANCE_MS, `${who}: tls ${p.tlsMs} ms < 2 x ${rtt} ms`);
    assert.ok(p.ttfbMs >= FAR_DELAY_MS + rtt - TOLERANCE_MS, `${who}: ttfb ${p.ttfbMs} ms < ${FAR_DELAY_MS} + ${rtt} ms`);
  }
  assert.equal(n.dnsMs, 0, 'pinned: no resolution');
});

// (b) a real nginx --------------------------------------------------------------------------

let dir = '';
let nginx: RunningNginx | undefined;
let rootFile = '';

before(async () => {
  if (SKIP_NGINX) return;
  dir = mkdtempSync(join(tmpdir(), 'netlab-trace-nginx-'));
  ({ rootFile } = await writeTlsSite(dir, HOST, FILE_BYTES, 'lab-root.pem'));
  nginx = await startNginx({
    nginx: NGINX!,
    dir,
    ports: 1,
    servers: ([port]) => [`  server {
    listen 127.0.0.1:${port} ssl;
    server_name ${HOST};
    ssl_certificate ${join(dir, 'chain.pem')};
    ssl_certificate_key ${join(dir, 'key.pem')};
    ssl_protocols TLSv1.2 TLSv1.3;
    root ${join(dir, 'html')};
    location / { }
  }`],
  });
});

after(async () => {
  await nginx?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('nginx static file over HTTPS on 127.0.0.1: netlab and curl phases side by side, sane, netlab sums to its total', { skip: SKIP_NGINX, timeout: 120_000 }, async (t) => {
  const port = nginx!.ports[0]!;
  const url = `https://${HOST}:${port}/file.bin`;
  // both legs pinned to nginx: nothing is resolved
  const { origin, other } = await netlabTrace([`${url}?${randomUUID()}`, '--origin', '127.0.0.1', '--cdn', '127.0.0.1', '--ca', rootFile]);
  assert.equal(origin.status, 200);
  const curl: Phases[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const s = await curlOnce(`${url}?${randomUUID()}`, '127.0.0.1', rootFile);
    assert.equal(s.status, 200);
    assert.equal(s.bytes, FILE_BYTES);
    curl.push(s.phases);
  }
  const c = medians(curl);
  const n = origin.phases;
  for (const line of sideBySide(`nginx 127.0.0.1:${port}, ${FILE_BYTES} bytes static, medians of ${SAMPLES} cold samples each (${origin.tlsVersion}):`, n, c)) t.diagnostic(line);
  t.diagnostic(`netlab second leg (same nginx): tcp ${other.phases.tcpMs.toFixed(2)} tls ${other.phases.tlsMs.toFixed(2)} ttfb ${other.phases.ttfbMs.toFixed(2)} transfer ${other.phases.transferMs.toFixed(2)} ms; netlab first sample: tls ${origin.first.tlsMs.toFixed(2)} transfer ${origin.first.transferMs.toFixed(2)} ms`);
  t.diagnostic(`JSON ${JSON.stringify({ case: 'nginx', netlab: n, curl: c })}`);

  for (const p of [origin, other]) {
    assertSane(`netlab ${p.label} median`, p.phases);
    assertSane(`netlab ${p.label} p95`, p.p95);
    // `first` is one real sample: its phases add up to its total (medians need not)
    const f = p.first;
    assertSane(`netlab ${p.label} first`, f);
    const sum = f.dnsMs + f.tcpMs + f.tlsMs + f.ttfbMs + f.transferMs;
    assert.ok(Math.abs(sum - f.totalMs) <= 0.05, `netlab ${p.label} first sample: phases sum to ${sum}, total ${f.totalMs}`);
  }
  curl.forEach((p, i) => assertSane(`curl sample ${i + 1}`, p));
  assert.equal(n.dnsMs, 0, 'pinned: no resolution');
});
