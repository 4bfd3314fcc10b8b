/**
 * lb-probe against the lab's VIPs (src/lab/lb): one VIP per scheduler on 127.56.0.x, each an
 * L7 HTTP proxy, an L4 relay of HTTP and an L4 relay of a banner service, in front of
 * web1..web3. The case matrix runs in process against the library call, probeLoadBalancer; a
 * few runs of the real binary check what only it does (exit codes, stdout, stderr). Every
 * verdict here is deterministic: the schedulers are, and so are the probes' source addresses
 * (one probe at a time unless said).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { startLbLab, type LbLab } from '../../src/lab/lb/index.js';
import { LabVip } from '../../src/lab/lb/vip.js';
import { backendHttpServer, Tracked } from '../../src/lab/lb/servers.js';
import { runCli } from '../helpers/cli.js';
import { modes, startHostileServers, type HostileServers } from '../helpers/hostile-tcp.js';
import { renderLbProbeText } from '../../src/commands/lb-probe/render.js';
import { MAX_MARKER_CHARS, parseHostPort, parseSourceRange, pickSources, probeLoadBalancer, type HostPort, type LbProbeReport, type LbProbeSettings } from '../../src/protocol/lb/index.js';
import { AnswerLog } from '../../src/protocol/lb/tally.js';
import { methodsFor } from '../../src/protocol/lb/identify.js';
import { runProbes, type ProbeSettings } from '../../src/protocol/lb/probe.js';

let lab: LbLab;
before(async () => {
  lab = await startLbLab();
});
after(async () => {
  await lab.close();
});

const hp = (s: string): HostPort => parseHostPort(s, 'test');
type Service = 'httpPort' | 'tcpPort' | 'bannerPort';
/** The lab VIP `name` on one of its three listeners. */
const vipOf = (name: string, service: Service = 'httpPort'): HostPort => ({ address: lab.vip(name).address, port: lab.vip(name)[service] });
const backendsOf = (name: string, service: 'http' | 'banner' = 'http'): HostPort[] => lab.backendTargets(name, service).map(hp);
const backendArgs = (name: string): string[] => lab.backendTargets(name, 'http').flatMap((b) => ['--backend', b]);
/** Probe sources from a range, as --source-ips picks them for `requests`. */
const sourcesOf = (range: string, requests: number) => ({ sources: pickSources(parseSourceRange(range, 'test'), Math.max(2, Math.floor(requests / 2))), sourceRange: range, requests });
/** 100 sources over 100 /24s (nginx's ip_hash keys on three octets). */
const WIDE = sourcesOf('127.56.1.1-127.56.200.1', 200);

const codes = (r: LbProbeReport) => r.problems.map((p) => p.code).sort();
const noteCodes = (r: LbProbeReport) => r.notes.map((n) => n.code).sort();
const probe = (settings: LbProbeSettings) => probeLoadBalancer(settings);
/**
 * A run that several tests assert different things of, made once: the same settings against
 * a deterministic VIP give the same answers, and a run of 200 probes costs a second of CPU.
 * A test run alone (--test-name-pattern) makes it itself.
 */
const sharedRuns = new Map<string, Promise<LbProbeReport>>();
function probeShared(key: string, settings: LbProbeSettings): Promise<LbProbeReport> {
  let run = sharedRuns.get(key);
  if (!run) sharedRuns.set(key, (run = probe(settings)));
  return run;
}
/** Enough for the chi-square at 3:1:1 (25), and the exact split of a deterministic scheduler. */
const SPLIT_REQUESTS = 50;

// scheduler, its weights, what else the hash ones need, the hint expected with one probe at a time
const CASES: Array<{ vip: string; weights: number[]; extra: Partial<LbProbeSettings>; hint?: string }> = [
  { vip: 'rr', weights: [1, 1, 1], extra: {}, hint: 'round-robin' },
  { vip: 'wrr', weights: [3, 1, 1], extra: {}, hint: 'smooth-weighted-round-robin' },
  { vip: 'wrr-lvs', weights: [3, 1, 1], extra: {}, hint: 'weighted-round-robin-bursts' },
  { vip: 'lc', weights: [3, 1, 1], extra: {}, hint: 'smooth-weighted-round-robin' },
  { vip: 'sh', weights: [3, 1, 1], extra: WIDE },
  { vip: 'ch', weights: [3, 1, 1], extra: WIDE },
  { vip: 'iphash', weights: [3, 1, 1], extra: WIDE },
];

// one test per scheduler, so that a failure names it
for (const c of CASES) {
  test(`lab scheduler ${c.vip}, as an L7 proxy and as an L4 relay: the configured weights match, OK`, async () => {
    for (const service of ['httpPort', 'tcpPort'] as const) {
      const what = `${c.vip} on ${service === 'httpPort' ? 'L7' : 'L4'}`;
      const settings = { vip: vipOf(c.vip, service), backends: backendsOf(c.vip), weights: c.weights, requests: SPLIT_REQUESTS, ...c.extra };
      // the hash schedulers' L7 runs are also the stickiness test's (below)
      const r = c.extra.sources ? await probeShared(`${c.vip} ${service} wide 3:1:1`, settings) : await probe(settings);
      assert.equal(r.unattributed, 0, what);
      assert.deepEqual(r.backends.map((b) => b.marker), ['web1', 'web2', 'web3'], what);
      assert.ok(r.backends.every((b) => b.healthy === true && typeof b.latencyMs === 'number' && b.count > 0), what);
      // Least connections through the L4 relay counts the previous connection until the
      // backend's close reaches the relay, which races the next probe (an L4 relay cannot
      // know the HTTP answer is complete): there it spreads between 3:1:1 and round robin,
      // by the machine's timing, as LVS lc does with lingering connections. The L7 proxy
      // releases when the answer ends, before the client can ask again: exact.
      if (c.vip === 'lc' && service === 'tcpPort') continue;
      assert.equal(r.status, 'OK', `${what}: ${JSON.stringify(r.problems)}`);
      assert.deepEqual(r.notes, [], what);
      assert.equal(r.distribution?.judged, true, what);
      assert.equal(r.distribution?.matches, true, what);
      if (c.hint) assert.equal(r.scheduler.kind, c.hint, what);
      if (c.extra.sources === undefined && c.weights[0] === 3) assert.deepEqual(r.backends.map((b) => b.count), [30, 10, 10], what);
    }
  });
}

test('wrong weights are WARNING with DISTRIBUTION_OFF', async () => {
  for (const [vip, weights] of [['wrr', [1, 1, 1]], ['rr', [3, 1, 1]], ['lc', [1, 3, 1]], ['wrr-lvs', [1, 1, 3]]] as const) {
    const r = await probe({ vip: vipOf(vip), backends: backendsOf(vip), weights: [...weights], requests: SPLIT_REQUESTS });
    assert.equal(r.status, 'WARNING', vip);
    assert.deepEqual(codes(r), ['DISTRIBUTION_OFF'], vip);
    assert.equal(r.distribution?.matches, false);
    assert.ok(r.distribution!.pValue! < 0.01);
    assert.equal(r.problems[0]!.counts!.pValue, r.distribution!.pValue, 'the numbers are in the problem');
  }
});

test('without weights a 3:1:1 VIP is described, not judged against equal weights: OK, no DISTRIBUTION_OFF', async () => {
  // issue 10.2: a correctly configured 3:1:1 VIP got DISTRIBUTION_OFF without --weights
  const r = await probe({ vip: vipOf('wrr'), backends: backendsOf('wrr'), requests: SPLIT_REQUESTS });
  assert.equal(r.status, 'OK', JSON.stringify(r.problems));
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.backends.map((b) => b.count), [30, 10, 10], 'the shares are described');
  assert.deepEqual(r.backends.map((b) => [b.weight, b.expectedShare]), [[null, null], [null, null], [null, null]], 'nothing expected without weights');
  assert.equal(r.scheduler.kind, 'smooth-weighted-round-robin');
  assert.deepEqual(r.scheduler.cycleCounts, { web1: 3, web2: 1, web3: 1 }, 'the hint says what the weights look like');
  assert.deepEqual({ ...r.distribution }, { unit: 'request', observed: 50, judged: false, notJudged: 'no-weights', chiSquare: null, df: null, pValue: null, alpha: 0.01, matches: null, minExpected: null, needed: null });
  assert.deepEqual(noteCodes(r), ['NO_WEIGHTS']);
});

test('a source hash seen from one address sends everything to one backend: WARNING, and the hint says so', async () => {
  const r = await probe({ vip: vipOf('sh'), backends: backendsOf('sh'), weights: [3, 1, 1] });
  assert.equal(r.status, 'WARNING');
  assert.equal(r.scheduler.kind, 'single-backend');
  assert.deepEqual(codes(r), ['DISTRIBUTION_OFF', 'NEVER_THROUGH_VIP', 'NEVER_THROUGH_VIP']);
  const off = r.problems.find((p) => p.code === 'DISTRIBUTION_OFF')!;
  assert.match(off.message, /every answer came from one backend$/);
  assert.equal(off.counts!.backendsAnswering, 1, 'the renderer advises --source-ips from this');
  assert.match(renderLbProbeText(r), /every answer came from one backend: if the balancer hashes the source address, probe from many with --source-ips/);
  assert.deepEqual(r.problems.filter((p) => p.code === 'NEVER_THROUGH_VIP').map((p) => p.subject), lab.backendTargets('sh', 'http').filter((_b, i) => r.backends[i]!.count === 0));
});

test('source hash and consistent hash are sticky per source; weighted round robin is not', async () => {
  for (const vip of ['sh', 'ch', 'iphash']) {
    const r = await probeShared(`${vip} httpPort wide 3:1:1`, { vip: vipOf(vip), backends: backendsOf(vip), weights: [3, 1, 1], ...WIDE });
    assert.equal(r.status, 'OK', vip);
    const st = r.stickiness!;
    assert.equal(st.verdict, 'sticky', vip);
    assert.equal(st.sources, 100);
    assert.equal(st.sticky, st.judged);
    assert.ok(st.perSource.every((s) => s.sticky), vip);
    assert.equal(r.distribution?.unit, 'source', vip);
    assert.equal(r.backends.reduce((s, b) => s + (b.sources ?? 0), 0), 100, `${vip}: every source reached exactly one backend`);
    assert.equal(r.sourceRange, '127.56.1.1-127.56.200.1');
  }
  const r = await probe({ vip: vipOf('wrr'), backends: backendsOf('wrr'), weights: [3, 1, 1], ...WIDE });
  assert.equal(r.status, 'OK');
  assert.notEqual(r.stickiness!.verdict, 'sticky');
  assert.equal(r.distribution?.unit, 'request');
});

test('a sticky source hash seen from 8 sources: healthy and sticky, too few sources to judge the split: OK with a note', async () => {
  // issue 10.2: a sticky `balance source` VIP with 8 sources exited 3 (TOO_FEW_TO_JUDGE overrode what was judged)
  const r = await probe({ vip: vipOf('sh'), backends: backendsOf('sh'), weights: [3, 1, 1], ...sourcesOf('127.56.1.1-127.56.8.1', 16) });
  assert.equal(r.stickiness?.verdict, 'sticky');
  assert.equal(r.stickiness?.sources, 8);
  assert.ok(r.backends.every((b) => b.healthy === true));
  assert.equal(r.status, 'OK', JSON.stringify(r.problems));
  assert.deepEqual(r.problems, []);
  assert.equal(r.distribution?.judged, false);
  assert.equal(r.distribution?.notJudged, 'too-few');
  assert.equal(r.distribution?.matches, null);
  assert.deepEqual(noteCodes(r), ['TOO_FEW_TO_JUDGE']);
  assert.deepEqual(r.notes[0]!.counts, { observed: 8, needed: 25, minExpected: 1.6, requestsNeeded: 50, sourcesNeeded: 25 });
  assert.doesNotMatch(r.notes[0]!.message, /--/, 'data, not flag advice');
  // 8 sources often miss a backend of weight 1 in 5 ((4/5)^8 = 17%): chance, not NEVER_THROUGH_VIP
  const missed = await probe({ vip: vipOf('sh'), backends: backendsOf('sh'), weights: [3, 1, 1], ...sourcesOf('127.56.1.1-127.56.20.1', 16) });
  assert.deepEqual(missed.backends.map((b) => b.sources), [5, 0, 3], 'the lab source hash leaves web2 out of these 8');
  assert.equal(missed.status, 'OK', JSON.stringify(missed.problems));
  assert.deepEqual(missed.problems, []);
});

test('too few answers for the chi-square: probed and judged on the rest, the split not judged (a note with the count needed)', async () => {
  // issue 10.2: --requests 10 was refused before a single probe
  const r = await probe({ vip: vipOf('wrr'), backends: backendsOf('wrr'), weights: [3, 1, 1], requests: 10 });
  assert.equal(r.sent, 10);
  assert.equal(r.status, 'OK', JSON.stringify(r.problems));
  assert.equal(r.distribution?.notJudged, 'too-few');
  assert.deepEqual(r.notes.map((n) => [n.code, n.counts?.needed, n.counts?.requestsNeeded]), [['TOO_FEW_TO_JUDGE', 25, 25]]);
  assert.match(renderLbProbeText(r), /use --requests 25 or more/);
  // and one a backend down is WARNING by what was judged, the split still a note
  await lab.setDown('web3', true);
  try {
    const down = await probe({ vip: vipOf('wrr'), backends: backendsOf('wrr'), weights: [3, 1, 1], requests: 10 });
    assert.equal(down.status, 'WARNING');
    assert.deepEqual(codes(down), ['BACKEND_DOWN']);
    assert.deepEqual(noteCodes(down), ['TOO_FEW_TO_JUDGE']);
  } finally {
    await lab.setDown('web3', false);
  }
});

test("nginx's ip_hash keys on three octets: sources in one /24 all land on one backend, and the note says why", async () => {
  const r = await probe({ vip: vipOf('iphash'), backends: backendsOf('iphash'), weights: [3, 1, 1], ...sourcesOf('127.56.1.1-127.56.1.50', 100) });
  assert.equal(r.status, 'WARNING');
  assert.equal(r.stickiness?.verdict, 'sticky');
  assert.match(r.stickiness!.note!, /first three octets/);
});

test('the VIP with a dead backend is WARNING naming it; the live ones still match their weights', async () => {
  const targets = lab.backendTargets('dead', 'http');
  const r = await probe({ vip: vipOf('dead'), backends: backendsOf('dead'), weights: [1, 1, 1] });
  assert.equal(r.status, 'WARNING');
  assert.deepEqual(codes(r), ['BACKEND_DOWN']);
  assert.equal(r.problems[0]!.subject, targets[2]);
  assert.equal(r.problems[0]!.message, `backend ${targets[2]} is down: connection refused`);
  assert.equal(r.backends[2]!.healthy, false);
  assert.equal(r.backends[2]!.count, 0);
  assert.equal(r.distribution?.matches, true);
});

test('taking a backend down with the lab switch: WARNING naming it, and back up: OK', async () => {
  const web3 = lab.backendTargets('wrr', 'http')[2]!;
  await lab.setDown('web3', true);
  try {
    const r = await probe({ vip: vipOf('wrr'), backends: backendsOf('wrr'), weights: [3, 1, 1] });
    assert.equal(r.status, 'WARNING');
    assert.deepEqual(codes(r), ['BACKEND_DOWN']);
    assert.equal(r.problems[0]!.subject, web3);
    assert.equal(r.backends[2]!.count, 0, 'the VIP skips the dead one');
    assert.equal(r.backends[0]!.count + r.backends[1]!.count, 100);
    assert.deepEqual(r.backends.map((b) => b.expectedShare), [0.75, 0.25, 0], 'the weights over the backends in service');
    assert.equal(r.distribution?.matches, true);
  } finally {
    await lab.setDown('web3', false);
  }
  const again = await probe({ vip: vipOf('wrr'), backends: backendsOf('wrr'), weights: [3, 1, 1] });
  assert.equal(again.status, 'OK', JSON.stringify(again.problems));
});

test('TCP banner mode through the L4 relay: attributed by the banner, OK; wrong weights WARNING', async () => {
  const settings = { vip: vipOf('wrr', 'bannerPort'), mode: 'tcp' as const, backends: backendsOf('wrr', 'banner'), requests: SPLIT_REQUESTS };
  const r = await probe({ ...settings, weights: [3, 1, 1] });
  assert.equal(r.status, 'OK', JSON.stringify(r.problems));
  assert.equal(r.identify.method, 'banner');
  assert.equal(r.path, null);
  assert.deepEqual(r.backends.map((b) => b.count), [30, 10, 10]);
  assert.match(r.backends[0]!.marker!, /^220 web1\.lb\.example\.test /);
  const wrong = await probe({ ...settings, weights: [1, 1, 1] });
  assert.equal(wrong.status, 'WARNING');
});

test('answers from a backend not given are counted as unattributed, not dropped (WARNING, UNKNOWN_BACKEND)', async () => {
  const r = await probe({ vip: vipOf('rr'), backends: backendsOf('rr').slice(0, 2), requests: 99 });
  assert.equal(r.status, 'WARNING');
  assert.equal(r.unattributed, 33);
  assert.deepEqual(r.backends.map((b) => b.count), [33, 33]);
  assert.deepEqual(codes(r), ['UNKNOWN_BACKEND']);
  assert.equal(r.problems[0]!.message, "33 answers came from backends not among those given ('web3' x33)");
  assert.deepEqual(r.problems[0]!.counts, { answers: 33, markers: 1 });
});

test('no identification possible: UNKNOWN (nothing of the split judged), every answer unattributed, a note on what was tried', async () => {
  const r = await probe({ vip: vipOf('rr'), backends: backendsOf('rr'), identify: { kind: 'header', name: 'x-nope' } });
  assert.equal(r.status, 'UNKNOWN');
  assert.deepEqual(r.problems, []);
  assert.equal(r.unattributed, 100);
  assert.deepEqual(noteCodes(r), ['NOT_IDENTIFIABLE']);
  assert.equal(r.notes[0]!.message, 'no answer could be attributed to a backend (tried header X-Nope)');
  assert.match(renderLbProbeText(r), /pass --identify header:NAME, body or banner\n/);
});

test('two backends giving the same marker: a note, and no problem made up from their unattributed answers', async () => {
  // a VIP of its own over two backends that both say X-Backend: twin, and one that says solo
  const vip = new LabVip({ name: 'twins', address: '127.56.0.45', scheduler: 'rr', backends: [{ name: 'twin', address: '127.56.0.46' }, { name: 'twin', address: '127.56.0.47' }, { name: 'solo', address: '127.56.0.48' }], weights: [1, 1, 1] });
  const ports = await vip.start({ httpPort: 0, tcpPort: 0, bannerPort: 0 });
  const servers = ['127.56.0.46', '127.56.0.47', '127.56.0.48'].map((address, i) => new Tracked(backendHttpServer({ name: i < 2 ? 'twin' : 'solo', address }, () => ports.httpPort)));
  try {
    await Promise.all(servers.map((s, i) => s.listen(ports.httpPort, `127.56.0.${46 + i}`)));
    const r = await probe({ vip: { address: '127.56.0.45', port: ports.httpPort }, backends: [46, 47, 48].map((n) => ({ address: `127.56.0.${n}`, port: ports.httpPort })), weights: [1, 1, 1], requests: 99, identify: { kind: 'header', name: 'x-backend' } });
    assert.deepEqual(noteCodes(r), ['AMBIGUOUS_IDENTITY']);
    assert.deepEqual(r.problems, [], 'no UNKNOWN_BACKEND, NEVER_THROUGH_VIP or DISTRIBUTION_OFF from answers that could not be told apart');
    assert.equal(r.status, 'OK');
    assert.equal(r.unattributed, 66);
    assert.equal(r.backends[2]!.count, 33);
    assert.equal(r.distribution?.notJudged, 'ambiguous');
  } finally {
    await Promise.all([vip.close(), ...servers.map((s) => s.close())]);
  }
});

test('without backends they are found from the answers (header, or a body hash), and the split is described', async () => {
  for (const identify of [undefined, { kind: 'body' } as const]) {
    const r = await probe({ vip: vipOf('rr'), identify, requests: SPLIT_REQUESTS });
    assert.equal(r.status, 'OK', JSON.stringify(r.problems));
    assert.equal(r.backends.length, 3);
    assert.ok(r.backends.every((b) => b.address === null && b.healthy === null));
    assert.deepEqual(r.backends.map((b) => b.count).sort(), [16, 17, 17]);
    assert.deepEqual(noteCodes(r), ['NO_WEIGHTS']);
  }
});

test('an unreachable VIP is CRITICAL, quickly, and says why', async () => {
  const r = await probe({ vip: { address: '127.56.0.99', port: lab.httpPort }, backends: backendsOf('wrr') });
  assert.equal(r.status, 'CRITICAL');
  assert.deepEqual(codes(r), ['VIP_UNREACHABLE']);
  assert.match(r.problems[0]!.message, /^VIP 127\.56\.0\.99:\d+ is unreachable: connection refused \(5 of 5 probes failed; the other 95 were not sent\)$/);
  assert.deepEqual(r.problems[0]!.counts, { failed: 5, sent: 5, requests: 100 });
  assert.equal(r.sent, 5, 'the rest are not sent once the first ones failed');
});

test('a VIP that accepts but never answers is CRITICAL, every probe bounded by the timeout', async () => {
  const silent = net.createServer(() => undefined);
  const sockets = new Set<net.Socket>();
  silent.on('connection', (s) => sockets.add(s));
  await new Promise<void>((r) => silent.listen(0, '127.56.0.98', () => r()));
  try {
    const port = (silent.address() as net.AddressInfo).port;
    const r = await probe({ vip: { address: '127.56.0.98', port }, timeoutMs: 100, requests: 20 });
    assert.equal(r.status, 'CRITICAL');
    assert.match(r.problems[0]!.message, /: no answer within 100 ms \(5 of 5 probes failed/);
  } finally {
    for (const s of sockets) s.destroy();
    silent.close();
  }
});

test('the result holds times to the microsecond, and no flag advice in any message', async () => {
  // issue 10.6: JSON numbers carried float noise (2.481439000000009)
  const r = await probe({ vip: vipOf('sh'), backends: backendsOf('sh'), weights: [3, 1, 1], requests: 20 });
  const micro = (x: number | null) => x === null || Math.abs(x * 1000 - Math.round(x * 1000)) < 1e-6;
  assert.ok(r.backends.every((b) => micro(b.latencyMs)), JSON.stringify(r.backends.map((b) => b.latencyMs)));
  assert.ok(micro(r.vipLatencyMs) && micro(r.vipElapsedMs) && micro(r.probesPerSecond), `${r.vipLatencyMs} ${r.vipElapsedMs} ${r.probesPerSecond}`);
  assert.ok(r.problems.length > 0, 'some messages to look at');
  for (const m of [...r.problems, ...r.notes].map((x) => x.message)) assert.doesNotMatch(m, /--[a-z]/, m);
});

test('the L4 relay is FULLNAT-like: a backend sees the VIP as the client; the L7 proxy adds X-Forwarded-For', async () => {
  const v = lab.vip('wrr');
  const get = (port: number) => new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.get({ host: v.address, port, path: '/', agent: false, timeout: 5000 }, (res) => {
      res.resume();
      resolve(res);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
  const l4 = await get(v.tcpPort);
  assert.equal(l4.headers['x-client-address'], v.address);
  const l7 = await get(v.httpPort);
  assert.equal(l7.headers['x-client-address'], v.address);
  assert.equal(l7.headers['x-forwarded-for-seen'], '127.0.0.1');
  assert.equal(l4.headers['x-forwarded-for-seen'], undefined, 'L4 does not touch HTTP');
  assert.match(String(l7.headers.via), /netlab-lab-vip-wrr/);
});

test('a backend that refuses direct probes but answers through the VIP: DOWN_BUT_RECEIVING, WARNING', async () => {
  // a VIP of its own (127.56.0.41) over a normal backend (127.56.0.42) and a picky one
  // (127.56.0.40) that drops every client but the VIP, as a firewall that lets only the
  // balancer in would: netlab's direct probes (from 127.0.0.1) fail, the VIP's succeed
  const vip = new LabVip({ name: 'picky', address: '127.56.0.41', scheduler: 'rr', backends: [{ name: 'ok', address: '127.56.0.42' }, { name: 'picky', address: '127.56.0.40' }], weights: [1, 1] });
  const ports = await vip.start({ httpPort: 0, tcpPort: 0, bannerPort: 0 });
  const ok = new Tracked(backendHttpServer({ name: 'ok', address: '127.56.0.42' }, () => ports.httpPort));
  const picky = new Tracked(backendHttpServer({ name: 'picky', address: '127.56.0.40' }, () => ports.httpPort));
  picky.server.prependListener('connection', (s: net.Socket) => {
    if (s.remoteAddress !== '127.56.0.41') s.destroy();
  });
  try {
    await ok.listen(ports.httpPort, '127.56.0.42');
    await picky.listen(ports.httpPort, '127.56.0.40');
    const r = await probe({ vip: { address: '127.56.0.41', port: ports.httpPort }, backends: [{ address: '127.56.0.42', port: ports.httpPort }, { address: '127.56.0.40', port: ports.httpPort }], weights: [1, 1] });
    assert.equal(r.status, 'WARNING');
    assert.deepEqual(codes(r), ['BACKEND_DOWN', 'DOWN_BUT_RECEIVING']);
    assert.match(r.problems.find((p) => p.code === 'DOWN_BUT_RECEIVING')!.message, /127\.56\.0\.40:\d+ does not answer directly but answered 50 probes through the VIP/);
    assert.equal(r.backends[1]!.marker, 'picky', 'its marker came by elimination');
    assert.equal(r.unattributed, 0);
    assert.equal(r.distribution?.matches, true, 'still in service, so still expected');
  } finally {
    await Promise.all([vip.close(), ok.close(), picky.close()]);
  }
});

test('progress: each backend done, then each probe through the VIP, as the one Progress event', async () => {
  const seen: string[] = [];
  const r = await probe({ vip: vipOf('wrr'), backends: backendsOf('wrr'), weights: [3, 1, 1], requests: 25, onProgress: (p) => seen.push(`${p.phase} ${p.done}/${p.total}`) });
  assert.equal(r.status, 'OK');
  assert.deepEqual(seen.slice(0, 3), ['backends 1/3', 'backends 2/3', 'backends 3/3']);
  assert.deepEqual(seen.slice(3), Array.from({ length: 25 }, (_, i) => `vip ${i + 1}/25`));
});

// ---- the real binary: exit codes, stdout, stderr ----

test('CLI: text output, exit 0: the verdict line first, then a table per backend and the verdicts; nothing on stderr', async () => {
  const v = lab.vip('wrr');
  // 50 requests: the layout is the point here, and 50 are enough for the chi-square at 3:1:1
  const r = await runCli(['lb-probe', `${v.address}:${v.httpPort}`, ...backendArgs('wrr'), '--weights', '3,1,1', '--requests', '50']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^LB OK - 127\.56\.0\.11:\d+: 50 answers from 3 backends match the weights 3:1:1 \(p = 1\.000\)\n/);
  assert.match(r.stdout, /│ Backend +│ Marker +│ Healthy +│ Latency +│ Count +│ Share +│ Expected/);
  assert.match(r.stdout, /│ 127\.56\.0\.1:\d+ +│ web1 +│ yes +│ [\d.]+ ms +│ 30 +│ 60\.0% +│ 60\.0% +│ █{12} +│/);
  assert.match(r.stdout, /Scheduler \(hint\): smooth weighted round robin/);
  assert.equal(r.stderr, '', 'no spinner without a TTY');
});

test('CLI: a dead backend is exit 1, named on the verdict line', async () => {
  const v = lab.vip('dead');
  const r = await runCli(['lb-probe', `${v.address}:${v.httpPort}`, ...backendArgs('dead'), '--requests', '25']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout.split('\n')[0], `LB WARNING - ${v.address}:${v.httpPort}: BACKEND_DOWN ${lab.backendTargets('dead', 'http')[2]}`);
});

test('CLI: an unreachable VIP with --requests 10 is exit 2 (too few requests for the test is no longer a usage error)', async () => {
  // issue 10.2: `--requests 10` was refused before a single probe, so an unreachable VIP never got its exit 2
  const r = await runCli(['lb-probe', `127.56.0.99:${lab.httpPort}`, ...backendArgs('wrr'), '--weights', '3,1,1', '--requests', '10']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stdout, /^LB CRITICAL - 127\.56\.0\.99:\d+: VIP_UNREACHABLE \(connection refused\)\n/);
});

test('CLI: a sticky source hash from 8 sources exits 0 by what was judged; --json has the contract fields and the note', async () => {
  // issue 10.2: a sticky `balance source` VIP with 8 sources exited 3
  const v = lab.vip('sh');
  const r = await runCli(['lb-probe', `${v.address}:${v.httpPort}`, ...backendArgs('sh'), '--weights', '3,1,1', '--source-ips', '127.56.1.1-127.56.8.1', '--requests', '16', '--json']);
  assert.equal(r.code, 0, r.stdout);
  const doc = JSON.parse(r.stdout) as LbProbeReport;
  for (const k of ['vip', 'requests', 'backends', 'distribution', 'stickiness', 'unattributed', 'notes', 'status', 'problems']) assert.ok(k in doc, k);
  for (const b of doc.backends) for (const k of ['address', 'healthy', 'latencyMs', 'count', 'share', 'expectedShare']) assert.ok(k in b, k);
  for (const k of ['chiSquare', 'pValue', 'matches', 'judged', 'notJudged']) assert.ok(k in doc.distribution!, k);
  assert.equal(doc.status, 'OK');
  assert.equal(doc.stickiness?.verdict, 'sticky');
  assert.equal(doc.sourceRange, '127.56.1.1-127.56.8.1');
  assert.deepEqual(doc.notes.map((n) => n.code), ['TOO_FEW_TO_JUDGE']);
  assert.match(doc.scheduler.note, /hint/);
  assert.equal(r.stderr, '');
});

test('CLI: nothing attributed is exit 3 with the note in JSON; bad input is exit 3 with one line on stderr and nothing on stdout', async () => {
  const v = lab.vip('rr');
  const none = await runCli(['lb-probe', `${v.address}:${v.httpPort}`, ...backendArgs('rr'), '--identify', 'header:X-Nope', '--requests', '25', '--json']);
  assert.equal(none.code, 3);
  assert.deepEqual((JSON.parse(none.stdout) as LbProbeReport).notes.map((n) => n.code), ['NOT_IDENTIFIABLE']);
  // the parser's whole table is test/unit/lb-probe-args.test.ts; here, what the binary does with one
  const bad = await runCli(['lb-probe', `${v.address}:${v.httpPort}`, ...backendArgs('rr'), '--weights', '3,1']);
  assert.equal(bad.code, 3);
  assert.equal(bad.stderr, "netlab lb-probe: --weights has 2 values for 3 backends: give one weight per --backend (see 'netlab lb-probe --help')\n");
  assert.equal(bad.stdout, '');
});

// ---- hostile servers (issue 9): what a broken or malicious VIP must not do to lb-probe ----

const HOSTILE = {
  garbage: modes.garbage(),
  garbageBanner: modes.garbageBanner(),
  silent: modes.silent(),
  /** A banner whose first line is 1 MB long. */
  hugeBanner: modes.hugeBanner(1_000_002, 'b'.repeat(1_000_000)),
  manyHeaders: modes.hugeHeaders(1000, 10),
  longHeader: modes.hugeHeaders(1, 15_000),
  tooLarge: modes.hugeHeaders(100, 1024),
  pieces: modes.bannerInPieces('backend-2 ready', 2),
  split: modes.bannerSplitAlternately(),
  slow: modes.slowAnswer(100),
};
let hostile: HostileServers<keyof typeof HOSTILE>;
before(async () => {
  hostile = await startHostileServers(HOSTILE);
});
after(async () => {
  await hostile.close();
});

/** probeLoadBalancer on a hostile listener. */
function hostileRun(key: keyof typeof HOSTILE, settings: Partial<LbProbeSettings> = {}) {
  return probe({ vip: { address: hostile.of[key].address, port: hostile.of[key].port }, ...settings });
}

test('500 probes of 1 MB banners: one marker of at most 1 KiB is kept, not the banners', async () => {
  // issue 9.7: lb-probe aborted with a V8 out-of-memory crash at 100,000 probes of a 10 MB banner (every answer kept its markers)
  const r = await hostileRun('hugeBanner', { mode: 'tcp', requests: 500, concurrency: 8 });
  assert.equal(r.answered, 500);
  assert.equal(r.backends.length, 1, 'the same first line every time: one backend');
  assert.equal(r.backends[0]!.count, 500);
  const marker = r.backends[0]!.marker!;
  assert.equal(marker.length, MAX_MARKER_CHARS, 'the first line, cut at 1 KiB');
  assert.ok(/^b+$/.test(marker));
  assert.ok(JSON.stringify(r).length < 16 * 1024, 'the result holds counts, not answers');
});

test("300 answers of 1,000 headers each: only the candidate methods' markers are kept, once each", async () => {
  // issue 9.7: 100,000 valid answers with 1,000 small headers grew lb-probe to 3.9 GB (every header of every answer was kept)
  const methods = methodsFor({ kind: 'auto' }, 'http');
  const settings: ProbeSettings = { mode: 'http', path: '/', host: 'x', timeoutMs: 5000, methods };
  const log = new AnswerLog(300, methods);
  let most = 0;
  const done = await runProbes({ address: hostile.of.manyHeaders.address, port: hostile.of.manyHeaders.port }, settings, {
    count: 300, concurrency: 8, sources: [], failFastAfter: 8,
    onAnswer: (i, a) => {
      most = Math.max(most, Object.keys(a.markers).length);
      log.record(i, a);
    },
  });
  assert.equal(done, 300);
  assert.equal(log.recorded, 300);
  assert.ok(most <= methods.length, `an answer gave ${most} markers for ${methods.length} methods`);
  assert.deepEqual(Object.keys(log.tables).sort(), [...methods].sort(), 'tables for the candidate methods only');
  assert.equal(log.markersKept(), 2, 'X-Backend b1 and one body hash, each once');
  assert.equal(log.marker(299, 'header:x-backend'), 'b1');
  const r = await hostileRun('manyHeaders', { requests: 50, concurrency: 4 });
  assert.equal(r.status, 'OK', JSON.stringify(r.problems));
  assert.equal(r.backends[0]!.marker, 'b1');
  assert.equal(r.backends[0]!.count, 50);
});

test('a header over the cap: a 15 KB value is cut to a 1 KiB marker; a header block over 64 KiB fails the probe, saying so', async () => {
  // issue 9.7: a 15 KB header value made lb-probe peak at 1.9 GB; headers are read up to a documented size
  const long = await hostileRun('longHeader', { identify: { kind: 'header', name: 'x-pad-0' }, requests: 50 });
  assert.equal(long.status, 'OK', JSON.stringify(long.problems));
  assert.equal(long.backends.length, 1);
  assert.ok(long.backends[0]!.marker!.length <= MAX_MARKER_CHARS, `a marker of ${long.backends[0]!.marker!.length} characters`);
  assert.match(long.backends[0]!.marker!, /^v{1000}\.\.\. sha256:[0-9a-f]{12}$/);
  const big = await hostileRun('tooLarge', { requests: 20 });
  assert.equal(big.status, 'CRITICAL');
  assert.deepEqual(codes(big), ['VIP_ANSWER_TOO_LARGE']);
  assert.match(big.problems[0]!.message, /^the VIP answered with a header block over 64 KiB, the most read \(5 of 5 probes; none could be read; the other 15 were not sent\)$/);
  assert.match(renderLbProbeText(big).split('\n')[0]!, /VIP_ANSWER_TOO_LARGE \(answered with a header block over 64 KiB, the most read\)$/);
});

test('a banner is its first line whatever the TCP segments: split one byte at a time, or long and split differently, it is one backend', async () => {
  // issue 9.7: the TCP banner marker was the whole first read, so it changed with TCP segmentation
  const pieces = await hostileRun('pieces', { mode: 'tcp', requests: 5, backends: [{ address: hostile.of.pieces.address, port: hostile.of.pieces.port }] });
  assert.equal(pieces.backends[0]!.marker, 'backend-2 ready');
  assert.equal(pieces.backends[0]!.count, 5, 'every probe attributed to the one backend');
  assert.equal(pieces.unattributed, 0);
  const split = await hostileRun('split', { mode: 'tcp', requests: 20 });
  assert.equal(split.answered, 20);
  assert.equal(split.backends.length, 1, `markers seen: ${split.backends.map((b) => b.marker!.length).join(', ')} characters`);
  assert.equal(split.backends[0]!.marker!.length, MAX_MARKER_CHARS);
  assert.equal(split.backends[0]!.count, 20);
});

test('a deadline stops a slow run, judges what was measured and says the deadline cut it (a note, not a problem)', async () => {
  // issue 9.7: 100,000 requests against a 2-second server would run 52 minutes: no bound on the whole run
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  let r: LbProbeReport;
  const started = Date.now();
  try {
    r = await hostileRun('slow', { requests: 1000, concurrency: 32, deadlineMs: 500 });
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms with a deadline of 0.5 s`);
  assert.deepEqual(warnings, [], 'no warning (32 probes in flight each listen for the stop)');
  assert.equal(r.stoppedBy, 'deadline');
  assert.ok(r.sent > 0 && r.sent < 1000, `${r.sent} probes done`);
  assert.deepEqual(noteCodes(r).filter((c) => c === 'STOPPED'), ['STOPPED']);
  assert.match(r.notes.find((n) => n.code === 'STOPPED')!.message, /^the deadline of 0\.5 s stopped the run after \d+ of 1000 probes/);
  assert.ok(!codes(r).includes('PROBES_FAILED'), 'probes stopped by the deadline are not failures');
  assert.equal(r.backends[0]!.count, r.sent, 'every probe done was judged');
  assert.equal(r.status, 'OK', 'what was judged is fine');
  assert.match(renderLbProbeText(r).split('\n')[0]!, /^LB OK - 127\.0\.0\.1:\d+: .*; the deadline of 0\.5 s stopped the run after \d+ of 1000 probes$/);
  // nothing measured through the VIP before the deadline: UNKNOWN, not unreachable
  const silent = await hostileRun('silent', { timeoutMs: 30_000, deadlineMs: 300 });
  assert.equal(silent.status, 'UNKNOWN');
  assert.deepEqual(silent.problems, []);
  assert.deepEqual(noteCodes(silent), ['NOT_MEASURED']);
});

test('a VIP that answers garbage is broken, not unreachable: CRITICAL, VIP_NOT_HTTP with the bytes escaped', async () => {
  // issue 9.12: lb-probe called a VIP that answers garbage "unreachable"
  for (const key of ['garbage', 'garbageBanner'] as const) {
    const r = await hostileRun(key, { requests: 10 });
    assert.equal(r.status, 'CRITICAL', key);
    assert.deepEqual(codes(r), ['VIP_NOT_HTTP'], key);
    assert.match(r.problems[0]!.message, /^the VIP answered, but not with HTTP \(.*\): "\\x00\\xff/, key);
    const text = renderLbProbeText(r);
    assert.match(text.split('\n')[0]!, /^LB CRITICAL - 127\.0\.0\.1:\d+: VIP_NOT_HTTP \(answered, but not with HTTP\)$/);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(text, /[\x00\x07\x1b]/, 'no raw control characters on the terminal');
  }
  // what is really unreachable stays so: a silent server
  const silent = await hostileRun('silent', { requests: 5, timeoutMs: 100 });
  assert.equal(silent.status, 'CRITICAL');
  assert.deepEqual(codes(silent), ['VIP_UNREACHABLE']);
});

test('interrupted (the signal aborts): returns at once with the probes done so far, interrupted, UNKNOWN', async () => {
  // issue 9.14: SIGINT ended lb-probe with nothing printed
  const controller = new AbortController();
  let seen = 0;
  const started = Date.now();
  const r = await hostileRun('slow', {
    requests: 1000, timeoutMs: 30_000, signal: controller.signal,
    onProgress: (p) => {
      if (p.phase === 'vip' && ++seen === 5) controller.abort();
    },
  });
  assert.ok(Date.now() - started < 10_000, 'not the 1000 probes of 100 ms');
  assert.equal(r.interrupted, true);
  assert.equal(r.stoppedBy, 'interrupt');
  assert.equal(r.status, 'UNKNOWN');
  assert.ok(r.sent >= 5 && r.sent < 1000, `${r.sent} probes`);
  assert.equal(r.backends[0]!.count, r.sent, 'the probes done are attributed');
  assert.match(renderLbProbeText(r).split('\n')[0]!, new RegExp(`^LB UNKNOWN - 127\\.0\\.0\\.1:\\d+: interrupted after ${r.sent} of 1000 probes`));
  // in flight against a server that never answers: the probe is cut, not waited for (30 s timeout)
  const silent = new AbortController();
  const t0 = Date.now();
  setTimeout(() => silent.abort(), 300);
  const s = await hostileRun('silent', { timeoutMs: 30_000, signal: silent.signal });
  assert.ok(Date.now() - t0 < 5_000, `took ${Date.now() - t0} ms`);
  assert.equal(s.interrupted, true);
  assert.equal(s.sent, 0);
  assert.equal(s.status, 'UNKNOWN');
  assert.match(renderLbProbeText(s), /interrupted after 0 of 100 probes/);
});
