/**
 * issue 15: trace-request's phases for today's web against curl, on the lab's h2 server
 * (127.55.1.1, TLS 1.3, h2, session tickets) through its slow-edge relay (127.55.1.6, +40 ms
 * RTT), pinned the same way (netlab's engine pinned, curl --connect-to ::ADDR:), interleaved
 * round by round:
 *  - h2, cold: netlab (h2 by ALPN) against `curl --http2 --no-sessionid -w`, both a new
 *    connection and no session each, both from a process that has made a TLS connection
 *    before (netlab's worker is long-lived; curl's sample is its second URL, named with a
 *    trailing dot so that it is a new connection, not the first one reused); curl's first
 *    connection of a fresh process is shown apart (information): OpenSSL 3's per-process set-up
 *    (SSL_CTX_new's first algorithm fetches, the config file) happens between curl's TCP
 *    connect and its ClientHello, inside its appconnect;
 *  - resumed: netlab resuming the session of a first full handshake (HTTP/1.1, a new
 *    connection each) against curl's second URL of `curl --http1.1 -H 'Connection: close' URL URL`
 *    (curl resumes within one invocation);
 *  - reused: netlab's second request on one h2 connection (`--reuse 2`) against curl's second
 *    URL of `curl --http2 URL URL` (one connection).
 * Goal: every phase median within 1 ms or 3 % of curl's. `node dist/bench/run.js --only trace-h2`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { CURL_W, curlPhases } from '../test/helpers/curl.js';
import { startLab } from '../src/lab/index.js';
import { MODERN_HTTP_ADDRESSES as M, MODERN_HTTP_NAMES as N, SLOW_EDGE_RTT_MS } from '../src/lab/http/modern-names.js';
import type { Phases, SampleOk } from '../src/protocol/http/timing.js';
import type { H2WorkerReply, H2WorkerRequest } from './trace-h2-worker.js';
import { median, ROOT, timed, which } from './tools.js';
import type { Row, Section } from './report.js';

export const TRACE_H2_TITLE = '6b. trace-request for today\'s web (h2, resumed TLS, reused connection) against curl';

const ROUNDS = 15;
const GOAL = { kind: 'within', ms: 1, fraction: 0.03 } as const;
const KEYS = ['dnsMs', 'tcpMs', 'tlsMs', 'ttfbMs', 'transferMs', 'totalMs'] as const;

const fmt = (ms: number): string => ms.toFixed(1);

function medians(samples: Phases[]): Phases {
  const out = {} as Phases;
  for (const k of KEYS) out[k] = median(samples.map((s) => s[k]));
  return out;
}

class Worker {
  private readonly child: ChildProcess;
  constructor() {
    this.child = fork(join(ROOT, 'dist/bench/trace-h2-worker.js'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  }
  call(req: H2WorkerRequest): Promise<H2WorkerReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from the netlab worker within 30 s (${req.url})`)), 30_000);
      this.child.once('message', (m: H2WorkerReply) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.child.send(req);
    });
  }
  close(): void {
    this.child.disconnect();
    setTimeout(() => this.child.kill('SIGKILL'), 5000).unref();
  }
}

function ok(s: H2WorkerReply['samples'][number] | undefined, what: string): Omit<SampleOk, 'tlsSession'> {
  if (!s) throw new Error(`netlab ${what}: no sample`);
  if (!s.ok) throw new Error(`netlab ${what}: ${s.phase} failed: ${s.error}`);
  return s;
}

/** curl with one -w line per URL: each URL's phases, HTTP version and new connections made for it. */
async function curl(bin: string, args: string[], urls: string[], caFile: string): Promise<Array<{ phases: Phases; version: string; connects: number }>> {
  const r = await timed(bin, [...args, '--connect-to', `::${M.slowEdge}:`, '--cacert', caFile, '--noproxy', '*', '--max-time', '20', '-sS',
    '-w', `${CURL_W} %{http_version} %{num_connects}\\n`, ...urls.flatMap((u) => ['-o', '/dev/null', u])], { capture: true, timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`curl: exit ${r.code}: ${r.stderr.trim()}`);
  return r.stdout.trim().split('\n').map((line) => {
    const parts = line.trim().split(/\s+/);
    const connects = Number(parts.pop());
    const version = parts.pop()!;
    const c = curlPhases(parts.join(' '));
    if (c.status !== 200) throw new Error(`curl: HTTP ${c.status}`);
    return { phases: c.phases, version, connects };
  });
}

export async function benchTraceH2(log: (s: string) => void = () => undefined): Promise<Section> {
  const curlBin = which('curl');
  const method = `The lab's h2 server (${N.h2}, ${M.h2}: TLS 1.3, h2 and HTTP/1.1 by ALPN, session tickets) through its slow-edge relay (${M.slowEdge}, +${SLOW_EDGE_RTT_MS} ms RTT), /bytes/20000 with a fresh query string, netlab's engine (timeRequests, as trace-request calls it) in a process of its own pinned to the relay, curl with --connect-to ::${M.slowEdge}:, ${ROUNDS} rounds interleaved: h2 cold (netlab h2 by ALPN, a new connection, against \`curl --http2 --no-sessionid -w URL URL.\`'s second URL, a new connection too, its name with a trailing dot so that curl does not reuse the first: both from a process past its first TLS connection; curl's first connection shown as information); resumed (netlab HTTP/1.1 resuming a first full handshake's session, against the second URL of \`curl --http1.1 -H 'Connection: close' URL URL\`); reused (netlab's second request on one h2 connection, as --reuse 2, against the second URL of \`curl --http2 URL URL\`).`;
  if (!curlBin) return { title: TRACE_H2_TITLE, method, rows: [{ label: 'every phase', unit: 'ms', netlabNote: 'not run', peerName: 'curl', peerNote: 'not installed', goal: GOAL }] };
  const lab = await startLab({ port: 0 });
  const worker = new Worker();
  try {
    const port = lab.http.httpsPort;
    const url = () => `https://${N.h2}:${port}/bytes/20000?${randomUUID()}`;
    // the same server by its fully qualified name: another key in curl's connection cache, so
    // a new connection (SNI and the certificate check are on the name without the dot)
    const urlDot = () => `https://${N.h2}.:${port}/bytes/20000?${randomUUID()}`;
    const caFile = lab.tls.caFile;
    const base = { pin: M.slowEdge, caFile };
    const n = { h2: [] as Phases[], resumed: [] as Phases[], reused: [] as Phases[] };
    const c = { h2: [] as Phases[], resumed: [] as Phases[], reused: [] as Phases[] };
    const curlFirst: Phases[] = [];
    // the session to resume: one full handshake first
    let session = (await worker.call({ ...base, url: url(), http2: false, requests: 1 })).session;
    let resumedCount = 0;
    for (let i = 0; i < ROUNDS; i++) {
      log(`trace-h2 round ${i + 1}/${ROUNDS}`);
      const h2 = await worker.call({ ...base, url: url(), http2: true, requests: 1 });
      const s = ok(h2.samples[0], 'h2');
      if (s.httpVersion !== '2') throw new Error(`netlab spoke HTTP/${s.httpVersion}, not h2`);
      n.h2.push(s.phases);
      const [first, ch2] = await curl(curlBin, ['--http2', '--no-sessionid'], [url(), urlDot()], caFile);
      for (const x of [first!, ch2!]) {
        if (x.version !== '2') throw new Error(`curl spoke HTTP/${x.version}, not h2`);
        if (x.connects !== 1) throw new Error(`curl made ${x.connects} connections for a URL, not 1`);
      }
      c.h2.push(ch2!.phases);
      curlFirst.push(first!.phases);

      const res = await worker.call({ ...base, url: url(), http2: false, requests: 1, ...(session ? { session } : {}) });
      const r = ok(res.samples[0], 'resumed');
      if (r.resumed) resumedCount++;
      n.resumed.push(r.phases);
      session = res.session ?? session;
      const cres = await curl(curlBin, ['--http1.1', '-H', 'Connection: close'], [url(), url()], caFile);
      c.resumed.push(cres[1]!.phases);

      const reu = await worker.call({ ...base, url: url(), http2: true, requests: 2 });
      n.reused.push(ok(reu.samples[1], 'reused').phases);
      const creu = await curl(curlBin, ['--http2'], [url(), url()], caFile);
      c.reused.push(creu[1]!.phases);
    }
    const rows: Row[] = [];
    for (const [kind, what] of [['h2', 'h2 cold'], ['resumed', 'TLS 1.3 resumed'], ['reused', 'reused h2 connection']] as const) {
      const nm = medians(n[kind]);
      const cm = medians(c[kind]);
      for (const k of KEYS) {
        rows.push({ label: `${what}: ${k.replace(/Ms$/, '')} median (${ROUNDS} interleaved each)`, unit: 'ms', netlab: nm[k], peerName: 'curl', peer: cm[k], goal: GOAL });
      }
    }
    const nh2 = medians(n.h2);
    const cfirst = medians(curlFirst);
    for (const k of ['tlsMs', 'totalMs'] as const) {
      rows.push({ label: `h2 cold: ${k.replace(/Ms$/, '')} median against curl's first connection of a fresh process (information)`, unit: 'ms', netlab: nh2[k], peerName: 'curl, first connection', peer: cfirst[k], goal: { kind: 'none' } });
    }
    return {
      title: TRACE_H2_TITLE,
      method,
      rows,
      notes: [
        `h2 cold: curl's tls on the first connection of its process was ${fmt(cfirst.tlsMs - medians(c.h2).tlsMs)} ms longer (median) than on its second, new connection: OpenSSL's per-process set-up runs after curl's TCP connect and before its ClientHello (\`curl -v --trace-time\` shows the gap between "Connected to" and "Client hello"). netlab's worker, like curl's second connection, has that behind it, so the goal rows compare those.`,
        `netlab resumed its session in ${resumedCount} of ${ROUNDS} resumed samples (tlsSocket.isSessionReused()).`,
        'On a reused connection curl -w reports connect and appconnect as 0, so its tcp difference (connect - namelookup) is slightly negative; netlab reports 0.',
      ],
    };
  } finally {
    worker.close();
    await lab.close();
  }
}
