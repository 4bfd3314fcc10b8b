/**
 * issue 16: lb-probe against what real load balancers add, on the LB lab's second part
 * (src/lab/lb/course.ts, 127.58.0.x): HTTPS VIPs (a full handshake per probe, each backend's
 * certificate recorded, backends serving different certificates named), and the remapping
 * lesson (--save-map / --compare-map on the modulo-hash and consistent-hash VIPs, a backend
 * failed through the lab API and through the control endpoint).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLbLab, type LbLab } from '../../src/lab/lb/index.js';
import { createLabPki } from '../../src/lab/tls/ca.js';
import { startDnsLab, type DnsLab } from '../../src/lab/dns/index.js';
import { LB_COURSE_ADDRESSES, LB_NAME } from '../../src/lab/lb/names.js';
import { probeLoadBalancerAddresses, type LbNameReport } from '../../src/protocol/lb/by-name.js';
import { runCli } from '../helpers/cli.js';
import { parseArgv } from '../../src/commands/command.js';
import { command } from '../../src/commands/lb-probe/index.js';
import { runLbProbe } from '../../src/commands/lb-probe/run.js';
import { NetlabError } from '../../src/errors.js';
import { renderLbProbeText } from '../../src/commands/lb-probe/render.js';
import { parseHostPort, parseSourceRange, pickSources, probeLoadBalancer, type HostPort, type LbProbeReport } from '../../src/protocol/lb/index.js';
import { compareSourceMaps, sourceMapOf, SOURCE_MAP_FORMAT, type SourceMap } from '../../src/protocol/lb/remap.js';
import { testKeySource } from '../helpers/test-keys.js';

let lab: LbLab;
let dns: DnsLab;
let dir: string;
let caFile: string;
let ca: string[];
before(async () => {
  const pki = await createLabPki(new Date(), testKeySource());
  lab = await startLbLab({ pki });
  dns = await startDnsLab();
  dir = mkdtempSync(join(tmpdir(), 'netlab-lb-https-'));
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, pki.root.certPem);
  ca = [pki.root.certPem];
});
after(async () => {
  await Promise.all([lab.close(), dns.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const hp = (s: string): HostPort => parseHostPort(s, 'test');
const vipOf = (name: string): HostPort => ({ address: lab.vip(name).address, port: lab.httpPort });
const backendsOf = (name: string): HostPort[] => lab.backendTargets(name, 'http').map(hp);
const codes = (r: LbProbeReport) => r.problems.map((p) => p.code).sort();
const RANGE = '127.58.1.1-127.58.1.100';
const SOURCES = pickSources(parseSourceRange(RANGE, 'test'), 100);

test('an HTTPS VIP whose backends serve one good certificate: OK, the handshake in every probe, one certificate for both backends', async () => {
  const r = await probeLoadBalancer({ vip: vipOf('https'), mode: 'https', tls: { ca }, backends: backendsOf('https'), weights: [1, 1], requests: 40, concurrency: 4 });
  assert.equal(r.status, 'OK', JSON.stringify(r.problems));
  assert.equal(r.mode, 'https');
  assert.equal(r.answered, 40);
  assert.deepEqual(r.backends.map((b) => b.count), [20, 20]);
  assert.equal(r.tls!.servername, lab.vip('https').address, 'an address VIP: its IP SAN is checked');
  assert.equal(r.tls!.insecure, false);
  assert.equal(r.tls!.certificates.length, 1);
  const c = r.tls!.certificates[0]!;
  assert.equal(c.verified, true);
  assert.deepEqual(c.backends, lab.backendTargets('https', 'http'));
  assert.equal(c.throughVip, 40);
  assert.match(c.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.equal(r.backends[0]!.certificate!.fingerprint256, c.fingerprint256);
  // an untrusted root: every probe stops at the certificate, the VIP is named
  const untrusted = await probeLoadBalancer({ vip: vipOf('https'), mode: 'https', backends: backendsOf('https'), requests: 6 });
  assert.equal(untrusted.status, 'CRITICAL');
  assert.deepEqual(codes(untrusted), ['CERT_INVALID', 'VIP_UNREACHABLE']);
  assert.match(untrusted.problems.find((p) => p.code === 'CERT_INVALID')!.message, /does not verify \((UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\)/);
});

test('an HTTPS VIP whose backends serve three certificates (one expired, one for another name): CRITICAL, each backend named with its certificate', async () => {
  const targets = lab.backendTargets('https-mixed', 'http');
  const r = await probeLoadBalancer({ vip: vipOf('https-mixed'), mode: 'https', tls: { ca, servername: 'https.lb.example.test' }, backends: backendsOf('https-mixed'), requests: 30 });
  assert.equal(r.status, 'CRITICAL');
  assert.deepEqual(codes(r), ['CERT_INVALID', 'CERT_INVALID', 'CERT_MISMATCH', 'PROBES_FAILED']);
  const invalid = r.problems.filter((p) => p.code === 'CERT_INVALID');
  assert.deepEqual(invalid.map((p) => p.subject), [targets[1], targets[2]]);
  assert.match(invalid[0]!.message, /\(CERT_HAS_EXPIRED\).*10 probes through the VIP got it and were not sent$/);
  assert.match(invalid[1]!.message, /\(ERR_TLS_CERT_ALTNAME_INVALID\): CN=other\.example\.test/);
  const mismatch = r.problems.find((p) => p.code === 'CERT_MISMATCH')!;
  assert.equal(mismatch.severity, 'WARNING');
  assert.match(mismatch.message, new RegExp(`^3 different certificates behind one VIP: ${targets[0]}: CN=https\\.lb\\.example\\.test`));
  assert.equal(r.answered, 10);
  assert.equal(r.backends[0]!.count, 10);
  assert.deepEqual(r.tls!.certificates.map((c) => [c.backends, c.throughVip, c.verified]), [[[targets[0]], 10, true], [[targets[1]], 10, false], [[targets[2]], 10, false]]);
  // the text says which backend serves which certificate
  const text = renderLbProbeText(r);
  assert.match(text, /certificate CN=other\.example\.test, until \d{4}-\d\d-\d\d, sha256 [0-9A-F:]{23}\.\.\.: NOT VERIFIED \(ERR_TLS_CERT_ALTNAME_INVALID\); served by 127\.58\.0\.4:\d+; 10 probes through the VIP/);
  // --insecure: the requests go, the answers are attributed, and the certificates still compared
  const insecure = await probeLoadBalancer({ vip: vipOf('https-mixed'), mode: 'https', tls: { ca, servername: 'https.lb.example.test', insecure: true }, backends: backendsOf('https-mixed'), weights: [1, 1, 1], requests: 30 });
  assert.equal(insecure.status, 'WARNING');
  assert.deepEqual(codes(insecure), ['CERT_INVALID', 'CERT_INVALID', 'CERT_MISMATCH']);
  assert.deepEqual(insecure.backends.map((b) => b.count), [10, 10, 10]);
  assert.equal(insecure.tls!.insecure, true);
  assert.match(renderLbProbeText(insecure), /--insecure: certificates NOT verified/);
});

test('the remapping lesson: one backend out of a modulo-hash VIP moves most sources; out of a consistent-hash VIP only its own', async () => {
  const run = (name: string, compareMap?: SourceMap) => probeLoadBalancer({ vip: vipOf(name), sources: SOURCES, sourceRange: RANGE, requests: 200, concurrency: 8, ...(compareMap ? { compareMap } : {}) });
  const verdicts: Record<string, LbProbeReport['remap']> = {};
  for (const name of ['hash-mod', 'hash-consistent']) {
    const first = await run(name);
    assert.equal(first.status, 'OK', JSON.stringify(first.problems));
    assert.equal(first.stickiness!.verdict, 'sticky');
    const map = sourceMapOf(first);
    assert.equal(Object.keys(map.sources).length, 100);
    if (name === 'hash-mod') {
      // unchanged: nothing moved
      const again = await run(name, map);
      assert.equal(again.remap!.verdict, 'unchanged');
      assert.equal(again.remap!.moved, 0);
    }
    lab.setOutOfService(name, 'web3', true);
    try {
      verdicts[name] = (await run(name, map)).remap;
    } finally {
      lab.setOutOfService(name, 'web3', false);
    }
    const r = verdicts[name]!;
    assert.equal(r.compared, 100);
    assert.deepEqual(r.gone, ['web3']);
    // every source of web3 moved, whatever the hashing
    const onWeb3 = Object.values(map.sources).filter((b) => b === 'web3').length;
    assert.equal(r.flows.filter((f) => f.from === 'web3').reduce((s, f) => s + f.sources, 0), onWeb3);
    assert.equal(r.goneShare, onWeb3 / 100);
  }
  const mod = verdicts['hash-mod']!;
  const ch = verdicts['hash-consistent']!;
  assert.equal(mod.verdict, 'modulo');
  assert.ok(mod.needlessShare! >= 0.3, `modulo: ${mod.description}`);
  assert.ok(mod.movedShare! > 0.5, mod.description);
  assert.equal(ch.verdict, 'consistent');
  assert.equal(ch.needlessMoves, 0, ch.description);
  assert.equal(ch.moved, Math.round(ch.goneShare! * 100));
});

test('compareSourceMaps: not judged under 20 sources, unclear in between; a backend added counts as no needless move', () => {
  const map = (sources: Record<string, string>): SourceMap => ({ format: SOURCE_MAP_FORMAT, vip: 'v', savedAt: '2026-01-01T00:00:00.000Z', sources });
  const few = compareSourceMaps(map({ a: 'x' }), map({ a: 'y' }));
  assert.equal(few.verdict, 'not-judged');
  const before: Record<string, string> = {};
  const added: Record<string, string> = {};
  const half: Record<string, string> = {};
  for (let i = 0; i < 100; i++) {
    before[`s${i}`] = i % 2 === 0 ? 'x' : 'y';
    added[`s${i}`] = i % 4 === 0 ? 'z' : before[`s${i}`]!;
    half[`s${i}`] = i < 20 ? (before[`s${i}`] === 'x' ? 'y' : 'x') : before[`s${i}`]!;
  }
  const grown = compareSourceMaps(map(before), map(added));
  assert.deepEqual([grown.verdict, grown.moved, grown.needlessMoves, grown.added], ['consistent', 25, 0, ['z']]);
  const unclear = compareSourceMaps(map(before), map(half));
  assert.deepEqual([unclear.verdict, unclear.moved, unclear.needlessShare], ['unclear', 20, 0.2]);
});

test('CLI: --save-map then a backend failed through the control endpoint then --compare-map: modulo hashing said with the numbers; bad maps are exit 3', async () => {
  const vip = `${lab.vip('hash-mod').address}:${lab.httpPort}`;
  const file = join(dir, 'before.json');
  const save = await runCli(['lb-probe', vip, '--source-ips', RANGE, '--requests', '200', '--concurrency', '8', '--save-map', file]);
  assert.equal(save.code, 0, save.stderr);
  assert.match(save.stdout, new RegExp(`Map of 100 sources \\(which backend each reached\\) saved to ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  const saved = JSON.parse(readFileSync(file, 'utf8')) as SourceMap;
  assert.equal(saved.format, SOURCE_MAP_FORMAT);
  assert.equal(Object.keys(saved.sources).length, 100);
  const control = `http://${lab.control!.address}:${lab.control!.port}`;
  const failed = await fetch(`${control}/fail?backend=web3&vip=hash-mod`, { method: 'POST' });
  assert.equal(failed.status, 200);
  assert.deepEqual(((await failed.json()) as { outOfService: Record<string, string[]> }).outOfService['hash-mod'], ['web3']);
  try {
    const compare = await runCli(['lb-probe', vip, '--source-ips', RANGE, '--requests', '200', '--concurrency', '8', '--compare-map', file, '--json']);
    assert.equal(compare.code, 0, compare.stderr);
    const doc = JSON.parse(compare.stdout) as LbProbeReport;
    assert.equal(doc.remap!.verdict, 'modulo');
    assert.deepEqual(doc.remap!.gone, ['web3']);
  } finally {
    const restored = await fetch(`${control}/restore?backend=web3&vip=hash-mod`, { method: 'POST' });
    assert.equal(restored.status, 200);
  }
  assert.equal((await fetch(`${control}/fail?backend=web9`, { method: 'POST' })).status, 400);
  // bad input: refused before any probe (in process), one line and exit 3 (one spawn)
  writeFileSync(join(dir, 'bad.json'), '{"format":"something else"}');
  const signal = new AbortController().signal;
  for (const [args, message] of [
    [['--compare-map', join(dir, 'bad.json'), '--source-ips', RANGE], /--compare-map .*bad\.json: not a source map/],
    [['--compare-map', join(dir, 'missing.json'), '--source-ips', RANGE], /--compare-map .*missing\.json: no such file/],
    [['--save-map', file], /--save-map needs --source-ips/],
    [['--save-map', dir, '--source-ips', RANGE], /cannot write .*: a directory/],
  ] as Array<[string[], RegExp]>) {
    await assert.rejects(async () => runLbProbe(await parseArgv(command, [vip, ...args]), { signal }), (e: unknown) => e instanceof NetlabError && message.test(e.message), args.join(' '));
  }
  const r = await runCli(['lb-probe', vip, '--compare-map', join(dir, 'bad.json'), '--source-ips', RANGE]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /not a source map/);
  assert.equal(r.stdout, '');
});

test('CLI: https:// in the target, --ca, the expired and wrong-name backends named on the verdict line; --servername and --insecure checked', async () => {
  const v = lab.vip('https-mixed');
  const r = await runCli(['lb-probe', `https://${v.address}:${lab.httpPort}`, ...lab.backendTargets('https-mixed', 'http').flatMap((b) => ['--backend', b]), '--ca', caFile, '--requests', '15']);
  assert.equal(r.code, 2, r.stderr);
  const [tls1, tls3, tls4] = lab.backendTargets('https-mixed', 'http');
  assert.equal(r.stdout.split('\n')[0], `LB CRITICAL - ${v.address}:${lab.httpPort}: CERT_INVALID ${tls3}, CERT_INVALID ${tls4}, PROBES_FAILED, CERT_MISMATCH`);
  assert.match(r.stdout, new RegExp(`served by ${tls1!.replace(/\./g, '\\.')}; 5 probes through the VIP`));
  for (const [args, message] of [
    [['--mode', 'tcp'], /--mode tcp contradicts the https:\/\/ of the VIP/],
    [['--servername', 'bad name'], /--servername 'bad name' is not a host name/],
    [['--ca', join(dir, 'nothing.pem')], /--ca .*nothing\.pem: no such file/],
  ] as Array<[string[], RegExp]>) {
    await assert.rejects(async () => runLbProbe(await parseArgv(command, [`https://${v.address}:${lab.httpPort}`, ...args]), { signal: new AbortController().signal }), (e: unknown) => e instanceof NetlabError && message.test(e.message), args.join(' '));
  }
  await assert.rejects(parseArgv(command, [`${v.address}:${lab.httpPort}`, '--insecure']), /--insecure applies to HTTPS only/);
});

test('a name with three VIP addresses, one with a dead backend: each address its own VIP, the summary says which is off', async () => {
  const addresses = [LB_COURSE_ADDRESSES.name1, LB_COURSE_ADDRESSES.name2, LB_COURSE_ADDRESSES.name3];
  const r: LbNameReport = await probeLoadBalancerAddresses(LB_NAME, addresses, { vip: { address: LB_NAME, port: lab.httpPort }, mode: 'https', tls: { ca }, requests: 30 });
  assert.equal(r.status, 'WARNING');
  assert.equal(r.vip, `${LB_NAME}:${lab.httpPort}`);
  assert.deepEqual(r.addresses.map((a) => [a.address, a.status, a.report.answered]), [[addresses[0], 'OK', 30], [addresses[1], 'OK', 30], [addresses[2], 'WARNING', 20]]);
  assert.deepEqual(r.off, [addresses[2]]);
  assert.equal(r.summary, `3 addresses: ${addresses[0]} OK, ${addresses[1]} OK, ${addresses[2]} WARNING (PROBES_FAILED)`);
  assert.deepEqual(r.problems.map((p) => [p.code, p.subject]), [['PROBES_FAILED', addresses[2]]]);
  assert.match(r.problems[0]!.message, /^127\.58\.0\.32: 10 of 30 probes through the VIP failed: /);
  // the top level keeps a single VIP's fields: counts summed, backends merged, the split judged per address
  assert.deepEqual([r.requests, r.answered, r.failed, r.distribution], [90, 80, 10, null]);
  assert.deepEqual(r.backends.map((b) => [b.label, b.count]), [['tls1', 40], ['tls2', 40]]);
  assert.equal(r.tls!.servername, LB_NAME, 'the certificate is checked against the name');
  assert.equal(r.tls!.certificates.length, 1);
});

test('CLI: https://NAME with --resolver: every A record probed, the off address on the verdict line, exit 1', async () => {
  const r = await runCli(['lb-probe', `https://${LB_NAME}:${lab.httpPort}`, '--resolver', `${dns.addresses.ns1Example}:${dns.port}`, '--ca', caFile, '--requests', '15', '--json']);
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout) as LbNameReport;
  assert.equal(doc.name, LB_NAME);
  assert.deepEqual(doc.addresses.map((a) => a.address), [LB_COURSE_ADDRESSES.name1, LB_COURSE_ADDRESSES.name2, LB_COURSE_ADDRESSES.name3]);
  assert.deepEqual(doc.off, [LB_COURSE_ADDRESSES.name3]);
  const text = renderLbProbeText(doc);
  assert.equal(text.split('\n')[0], `LB WARNING - ${LB_NAME}:${lab.httpPort}: PROBES_FAILED ${LB_COURSE_ADDRESSES.name3}`);
  assert.match(text, /\nOff: 127\.58\.0\.32; 2 of 3 addresses are OK/);
  assert.match(text, /\n== 127\.58\.0\.30 ==\nLB OK - 127\.58\.0\.30:/);
  // a map is per VIP address
  await assert.rejects(async () => runLbProbe(await parseArgv(command, [`${LB_NAME}:${lab.httpPort}`, '--resolver', `${dns.addresses.ns1Example}:${dns.port}`, '--source-ips', RANGE, '--save-map', join(dir, 'x.json')]), { signal: new AbortController().signal }),
    /--save-map needs one VIP address; lb\.example\.test has 3/);
});

test('--resume: each worker resumes its previous TLS session (the certificate it was made with kept); without it every probe is a full handshake', async () => {
  const tls1 = { address: LB_COURSE_ADDRESSES.tls1, port: lab.httpPort };
  const resumed = await probeLoadBalancer({ vip: tls1, mode: 'https', tls: { ca, servername: 'https.lb.example.test', resume: true }, requests: 10 });
  assert.equal(resumed.status, 'OK', JSON.stringify(resumed.problems));
  assert.deepEqual([resumed.tls!.resume, resumed.tls!.resumed], [true, 9], 'every probe after the first');
  assert.deepEqual(resumed.tls!.certificates.map((c) => [c.verified, c.throughVip]), [[true, 10]]);
  assert.match(renderLbProbeText(resumed), /--resume: 9 of 10 probes resumed a session/);
  const full = await probeLoadBalancer({ vip: tls1, mode: 'https', tls: { ca, servername: 'https.lb.example.test' }, requests: 3 });
  assert.equal(full.tls!.resumed, undefined);
  await assert.rejects(parseArgv(command, [`${tls1.address}:${tls1.port}`, '--resume']), /--resume applies to HTTPS only/);
});

test('a complete answer is returned at once, and the socket is left for the server to close first (bounded: destroyed after LINGER_MS)', async () => {
  // issue 16: the client closing first left thousands of TIME_WAIT sockets on this host's
  // ephemeral ports to one VIP, and every connect() searched longer: the probe rate halved
  const { default: net } = await import('node:net');
  const { http1Get } = await import('../../src/protocol/lb/http1.js');
  let serverClosed = false;
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    s.once('data', () => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Backend: k\r\n\r\nok'));
    s.on('close', () => (serverClosed = true));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (server.address() as { port: number }).port;
    const r = await http1Get({ host: '127.0.0.1', port, path: '/', hostHeader: 'x', userAgent: 'ua', timeoutMs: 5000, maxBody: 100 });
    assert.equal(r.ok, true);
    assert.equal(serverClosed, false, 'answered before the socket is gone');
    for (let i = 0; i < 100 && !serverClosed; i++) await new Promise((res) => setTimeout(res, 50));
    assert.equal(serverClosed, true, 'a server that never closes: the client destroys the socket');
  } finally {
    server.close();
  }
});
