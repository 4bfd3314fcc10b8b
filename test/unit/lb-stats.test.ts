/**
 * lb-probe's pure parts: the chi-square p-value against values from scipy.stats.chi2.sf and
 * mpmath (30 digits), the refusal under 5 expected, the scheduler hint on synthetic orders, and
 * the parsing of ranges, endpoints, weights and options.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chiSquarePValue, gammaQ, goodnessOfFit, lnGamma } from '../../src/protocol/lb/stats.js';
import { lvsWrrOrder, schedulerHint, smoothWrrOrder } from '../../src/protocol/lb/scheduler-hint.js';
import { parseHostPort, parseSourceRange, pickSources, sameSlash24, slash24Of } from '../../src/protocol/lb/addresses.js';
import { bannerLine, MAX_BANNER_BYTES, mulberry32, sourceSchedule, type ProbeAnswer } from '../../src/protocol/lb/probe.js';
import { bodyMarker, boundMarker, chooseMethod, firstLine, httpMarkers, MAX_MARKER_CHARS, methodsFor, parseIdentify, printable, summarizeMarkers } from '../../src/protocol/lb/identify.js';
import { AnswerLog, MAX_DISTINCT_ERRORS, MAX_DISTINCT_MARKERS, OTHER_MARKER } from '../../src/protocol/lb/tally.js';
import { parseWeights } from '../../src/commands/lb-probe/options.js';
import { createScheduler } from '../../src/lab/lb/schedulers.js';
import { NetlabError } from '../../src/errors.js';
import { mentions } from '../../src/protocol/lb/attribution.js';

function close(actual: number, expected: number, rel: number, what: string): void {
  const err = expected === 0 ? Math.abs(actual) : Math.abs(actual - expected) / Math.abs(expected);
  assert.ok(err <= rel, `${what}: got ${actual}, expected ${expected} (relative error ${err})`);
}

test('lnGamma matches known values', () => {
  close(lnGamma(1), 0, 1e-15, 'lnGamma(1)');
  close(lnGamma(2), 0, 1e-15, 'lnGamma(2)');
  close(lnGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-14, 'lnGamma(0.5)');
  close(lnGamma(10), Math.log(362880), 1e-14, 'lnGamma(10)');
  close(lnGamma(100), 359.13420536957540, 1e-14, 'lnGamma(100)');
  close(lnGamma(0.1), 2.2527126517342059, 1e-13, 'lnGamma(0.1)');
  assert.throws(() => lnGamma(0), RangeError);
});

// [x, df, P(X >= x)] from scipy.stats.chi2.sf, confirmed with mpmath.gammainc(df/2, x/2, inf, regularized=True)
const CHI2_SF: Array<[number, number, number]> = [
  [3.841458820694124, 1, 0.050000000000000057],
  [5.991464547107979, 2, 0.050000000000000074],
  [9.21034037197618, 2, 0.010000000000000013],
  [11.070497693516351, 5, 0.050000000000000052],
  [0.5, 3, 0.91889141165467586],
  [2.0, 4, 0.73575888234288464],
  [20, 3, 0.00016974243555282643],
  [100, 10, 5.4497019829205293e-17],
  [0.001, 1, 0.97477287936996039],
  [37.5, 30, 0.16301345461145965],
  [250, 199, 0.0082301130447247595],
  [1000, 900, 0.010994608942135848],
  [0.2, 1, 0.65472084601857702],
];

test('the chi-square p-value equals scipy/mpmath to 1e-10 (relative)', () => {
  for (const [x, df, p] of CHI2_SF) close(chiSquarePValue(x, df), p, 1e-10, `chi2.sf(${x}, ${df})`);
});

test('with 2 degrees of freedom the p-value is exp(-x/2) exactly', () => {
  for (const x of [0.01, 0.5, 1, 2, 3, 5, 10, 30, 60]) close(chiSquarePValue(x, 2), Math.exp(-x / 2), 1e-12, `x=${x}`);
});

test('gammaQ: Q(a, 0) = 1, Q(1, x) = exp(-x), bad arguments throw', () => {
  assert.equal(gammaQ(3, 0), 1);
  for (const x of [0.1, 1, 4, 20]) close(gammaQ(1, x), Math.exp(-x), 1e-13, `Q(1, ${x})`);
  assert.equal(gammaQ(2, Infinity), 0);
  assert.throws(() => gammaQ(0, 1), RangeError);
  assert.throws(() => gammaQ(1, -1), RangeError);
});

test('goodness of fit: an exact split matches with chi-square 0 and p 1', () => {
  const f = goodnessOfFit([60, 20, 20], [3, 1, 1]);
  assert.equal(f.chiSquare, 0);
  assert.equal(f.pValue, 1);
  assert.equal(f.df, 2);
  assert.equal(f.matches, true);
  assert.equal(f.judged, true);
});

test("goodness of fit: the issue's 26/19/15 is consistent with 3:2:1, and 50/30/20 is not 1:1:1", () => {
  const a = goodnessOfFit([26, 19, 15], [3, 2, 1]);
  close(a.chiSquare!, 16 / 30 + 1 / 20 + 25 / 10, 1e-12, 'chi-square');
  close(a.pValue!, Math.exp(-a.chiSquare! / 2), 1e-12, 'p');
  assert.equal(a.matches, true);
  const b = goodnessOfFit([50, 30, 20], [1, 1, 1]);
  close(b.chiSquare!, 14, 1e-12, 'chi-square');
  close(b.pValue!, Math.exp(-7), 1e-12, 'p');
  assert.equal(b.matches, false);
  assert.equal(goodnessOfFit([50, 30, 20], [1, 1, 1], 0.0001).matches, true, 'a stricter alpha accepts');
});

test('goodness of fit refuses to judge when an expected count is under 5, and says how many are needed', () => {
  for (const [observed, shares, minExpected, needed] of [
    [[6, 2, 2], [3, 1, 1], 2, 25],
    [[4, 4, 4], [1, 1, 1], 4, 15],
    [[0, 0], [1, 1], 0, 10],
    [[30, 1], [99, 1], 0.31, 500],
  ] as Array<[number[], number[], number, number]>) {
    const f = goodnessOfFit(observed, shares);
    assert.equal(f.judged, false, JSON.stringify(observed));
    assert.equal(f.matches, null);
    assert.equal(f.pValue, null);
    assert.equal(f.needed, needed, JSON.stringify(observed));
    close(f.minExpected, minExpected, 1e-12, 'minExpected');
  }
  assert.equal(goodnessOfFit([15, 5, 5], [3, 1, 1]).judged, true, 'exactly 5 expected is enough');
});

test('goodness of fit: answers where the weight is 0 are a mismatch; shares of 0 are left out of df', () => {
  const f = goodnessOfFit([50, 50, 3], [1, 1, 0]);
  assert.equal(f.matches, false);
  assert.equal(f.pValue, 0);
  assert.equal(f.df, 1);
  assert.equal(goodnessOfFit([50, 50, 0], [1, 1, 0]).matches, true);
  assert.throws(() => goodnessOfFit([1, 2], [1]), RangeError);
  assert.throws(() => goodnessOfFit([1, 2], [0, 0]), RangeError);
});

const repeat = <T>(xs: T[], times: number): T[] => Array.from({ length: times }, () => xs).flat();
const names = (order: number[]) => order.map((i) => ['web1', 'web2', 'web3', 'web4'][i]!);

test('scheduler hint: a strict cycle is round robin, also started mid-cycle and with one stray answer', () => {
  const h = schedulerHint(repeat(['a', 'b', 'c'], 20));
  assert.equal(h.kind, 'round-robin');
  assert.equal(h.period, 3);
  assert.deepEqual(h.cycle, ['a', 'b', 'c']);
  assert.equal(schedulerHint(repeat(['b', 'c', 'a'], 20).slice(1)).kind, 'round-robin');
  const noisy = repeat(['a', 'b', 'c'], 33);
  noisy[50] = 'a';
  assert.equal(schedulerHint(noisy).kind, 'round-robin');
});

test("scheduler hint: nginx's smooth WRR order and HAProxy's roundrobin order are smooth; LVS wrr is bursts", () => {
  assert.deepEqual(smoothWrrOrder([3, 1, 1]), [0, 1, 0, 2, 0]);
  assert.deepEqual(lvsWrrOrder([3, 1, 1]), [0, 0, 0, 1, 2]);
  assert.deepEqual(lvsWrrOrder([3, 2, 1]), [0, 0, 1, 0, 1, 2]);
  const smooth = schedulerHint(names(repeat(smoothWrrOrder([3, 1, 1]), 20)));
  assert.equal(smooth.kind, 'smooth-weighted-round-robin');
  assert.deepEqual(smooth.cycleCounts, { web1: 3, web2: 1, web3: 1 });
  // what HAProxy 2.6 roundrobin gave for weights 3:1:1 in the interop test
  assert.equal(schedulerHint(repeat(['web1', 'web1', 'web2', 'web1', 'web3'], 20)).kind, 'smooth-weighted-round-robin');
  assert.equal(schedulerHint(names(repeat(smoothWrrOrder([5, 2, 1]), 10))).kind, 'smooth-weighted-round-robin');
  const bursts = schedulerHint(names(repeat(lvsWrrOrder([3, 1, 1]), 20)));
  assert.equal(bursts.kind, 'weighted-round-robin-bursts');
  assert.deepEqual(bursts.cycle, ['web1', 'web1', 'web1', 'web2', 'web3']);
  assert.equal(schedulerHint(names(repeat([0, 0, 0, 0, 1, 1, 2], 10))).kind, 'weighted-round-robin-bursts');
});

test('scheduler hint: seeded random draws look random; one backend, too few, interleaved and bursty are said', () => {
  const rnd = mulberry32(42);
  const draws = Array.from({ length: 300 }, () => {
    const r = rnd();
    return r < 0.6 ? 'web1' : r < 0.8 ? 'web2' : 'web3';
  });
  const h = schedulerHint(draws);
  assert.equal(h.kind, 'random');
  assert.ok(h.repeats && Math.abs(h.repeats.z) <= 3);
  assert.equal(schedulerHint(repeat(['x'], 50)).kind, 'single-backend');
  assert.equal(schedulerHint(['a', 'b', 'a']).kind, 'too-few');
  assert.equal(schedulerHint([null, null, ...repeat(['a', 'b'], 3)]).kind, 'too-few', 'unattributed answers are left out');
  // alternating without a fixed cycle: fewer repeats than random
  const alt: string[] = [];
  for (let i = 0; i < 200; i++) alt.push(i % 2 === 0 ? 'a' : rnd() < 0.5 ? 'b' : 'c');
  assert.equal(schedulerHint(alt).kind, 'interleaved');
  const runs: string[] = [];
  for (let i = 0; i < 40; i++) runs.push(...repeat([['a', 'b', 'c'][Math.floor(rnd() * 3)]!], 2 + Math.floor(rnd() * 8)));
  assert.equal(schedulerHint(runs).kind, 'bursty');
});

test('--source-ips ranges: valid ones parse, malformed ones are usage errors naming the option', () => {
  assert.deepEqual(parseSourceRange('127.56.1.1-127.56.1.50', '--source-ips'), { first: '127.56.1.1', last: '127.56.1.50', size: 50 });
  assert.deepEqual(parseSourceRange('127.56.1.7', '--source-ips'), { first: '127.56.1.7', last: '127.56.1.7', size: 1 });
  assert.deepEqual(parseSourceRange(' 127.56.0.255 - 127.56.1.1 ', '--source-ips'), { first: '127.56.0.255', last: '127.56.1.1', size: 3 });
  for (const [bad, why] of [
    ['127.56.1.9-127.56.1.1', /comes before/],
    ['10.0.0.1-10.0.0.5', /not in 127\.0\.0\.0\/8/],
    ['127.1.1.1-127.1', /not an IPv4 address/],
    ['127.1.1.1-', /not a range/],
    ['127.1.1.1-127.1.1.2-127.1.1.3', /not a range/],
    ['::1-::2', /not an IPv4 address/],
    ['127.0.0.0-127.0.0.5', /cannot be sources/],
    ['127.0.0.1-127.2.0.0', /at most 65536/],
    ['localhost', /not an IPv4 address/],
  ] as Array<[string, RegExp]>) {
    assert.throws(() => parseSourceRange(bad, '--source-ips'), (e: unknown) => e instanceof NetlabError && e.code === 'USAGE' && /--source-ips/.test(e.message) && why.test(e.message), bad);
  }
});

test('sources: a wide range is spread evenly; each source once per pass, later passes shuffled', () => {
  assert.deepEqual(pickSources({ first: '127.56.1.1', size: 3 }, 10), ['127.56.1.1', '127.56.1.2', '127.56.1.3']);
  const wide = pickSources({ first: '127.56.0.1', size: 2561 }, 5);
  assert.deepEqual(wide, ['127.56.0.1', '127.56.2.129', '127.56.5.1', '127.56.7.129', '127.56.10.1']);
  assert.equal(sameSlash24(wide), false);
  assert.equal(sameSlash24(['127.56.1.1', '127.56.1.200']), true);
  assert.equal(sameSlash24(['a.b.c.1', 'a.b.c.2']), false, 'names are not in a /24');
  assert.equal(slash24Of('127.56.1.200'), '127.56.1.0/24');
  const s = ['a', 'b', 'c', 'd'];
  const sched = sourceSchedule(s, 10);
  assert.deepEqual(sched.slice(0, 4), s);
  assert.deepEqual([...sched.slice(4, 8)].sort(), s);
  assert.deepEqual(sourceSchedule(s, 10), sched, 'deterministic');
  assert.deepEqual(sourceSchedule([], 3), [null, null, null]);
});

test('endpoints, weights and --identify parse; bad ones are usage errors', () => {
  assert.deepEqual(parseHostPort('127.56.0.10:8080', 'VIP'), { address: '127.56.0.10', port: 8080 });
  assert.deepEqual(parseHostPort('[::1]:80', 'VIP'), { address: '::1', port: 80 });
  for (const bad of ['127.56.0.10', '127.56.0.10:0', '127.56.0.10:70000', ':80', '[zz]:80', 'a b:80']) {
    assert.throws(() => parseHostPort(bad, '--backend'), NetlabError, bad);
  }
  assert.deepEqual(parseWeights('3,1,1'), [3, 1, 1]);
  assert.deepEqual(parseWeights('0.5, 1.5'), [0.5, 1.5]);
  for (const bad of ['3,x', '-1,2', '0,0', '', '3,,1']) assert.throws(() => parseWeights(bad), NetlabError, bad);
  assert.deepEqual(parseIdentify('header:X-Served-By', '--identify'), { kind: 'header', name: 'x-served-by' });
  assert.deepEqual(parseIdentify(undefined, '--identify'), { kind: 'auto' });
  assert.throws(() => parseIdentify('header:', '--identify'), NetlabError);
  assert.throws(() => parseIdentify('cookie', '--identify'), NetlabError);
});

test('identification: the first method that tells the healthy backends apart, else what the VIP answers carry', () => {
  const methods = ['header:x-backend', 'header:server', 'body'];
  const direct = [
    { 'header:server': 'nginx', body: 'sha256:1' },
    { 'header:server': 'nginx', body: 'sha256:2' },
  ];
  assert.equal(chooseMethod(methods, direct, []).method, 'body', 'Server: nginx everywhere does not tell them apart');
  const vip = [{ 'header:server': 'nginx', body: 'sha256:1' }, { 'header:server': 'nginx', body: 'sha256:2' }, { 'header:server': 'nginx', body: 'sha256:1' }, { 'header:server': 'nginx', body: 'sha256:2' }];
  assert.equal(chooseMethod(methods, [], vip).method, 'body');
  const changing = Array.from({ length: 20 }, (_, i) => ({ 'header:server': 'nginx', body: `sha256:${i}` }));
  assert.equal(chooseMethod(methods, [], changing).method, 'header:server', 'a body that changes every time is no marker');
  assert.equal(chooseMethod(methods, [], [{}, {}]).method, null);
});

test('lab schedulers: weighted ones give the weights over a turn; hashes stick per source', () => {
  const count = (name: Parameters<typeof createScheduler>[0], n: number, source: (i: number) => string) => {
    const s = createScheduler(name, [3, 1, 1]);
    const c = [0, 0, 0];
    for (let i = 0; i < n; i++) c[s.pick(source(i), new Set())!]!++;
    return c;
  };
  assert.deepEqual(count('wrr', 100, () => '127.0.0.1'), [60, 20, 20]);
  assert.deepEqual(count('wrr-lvs', 100, () => '127.0.0.1'), [60, 20, 20]);
  assert.deepEqual(count('lc', 100, () => '127.0.0.1'), [60, 20, 20]);
  assert.deepEqual(count('rr', 99, () => '127.0.0.1'), [33, 33, 33]);
  for (const name of ['sh', 'ch', 'iphash'] as const) {
    const s = createScheduler(name, [3, 1, 1]);
    const first = s.pick('127.56.1.7', new Set());
    for (let i = 0; i < 10; i++) assert.equal(s.pick('127.56.1.7', new Set()), first, name);
    assert.notEqual(s.pick('127.56.1.7', new Set([first!])), first, `${name} skips a dead backend`);
  }
  for (const name of ['sh', 'iphash'] as const) {
    const s = createScheduler(name, [3, 1, 1]);
    // a dual-stack socket reports an IPv4 peer IPv4-mapped: the same source to the hashes
    assert.equal(s.pick('::ffff:127.56.1.7', new Set()), s.pick('127.56.1.7', new Set()), name);
  }
  const iphash = createScheduler('iphash', [3, 1, 1]);
  const by24 = new Set(Array.from({ length: 50 }, (_, i) => iphash.pick(`127.56.1.${i + 1}`, new Set())));
  assert.equal(by24.size, 1, 'ip_hash keys on the first three octets');
  const wrr = createScheduler('wrr', [3, 1, 1]);
  const picks = Array.from({ length: 6 }, () => wrr.pick('x', new Set([0])));
  assert.deepEqual(picks, [1, 2, 1, 2, 1, 2], 'a dead heavy backend leaves the others in turn');
});

test('a marker names a backend only by its whole address (127.56.0.1 is not 127.56.0.10, :80 is not :8080)', () => {
  assert.equal(mentions('web1 127.56.0.1:80', '127.56.0.1:80'), true);
  assert.equal(mentions('127.56.0.1:8080', '127.56.0.1:80'), false);
  assert.equal(mentions('served by 127.56.0.10', '127.56.0.1'), false);
  assert.equal(mentions('at 127.56.0.1:5', '127.56.0.1'), true);
  assert.equal(mentions('[::1]:80', '[::1]:80'), true);
});

test('what a probe keeps is bounded: a banner\'s first line up to 1 KiB, header markers of the candidate methods only, each up to 1 KiB', () => {
  // issue 9.7: every answer kept every header and the whole first read of a banner
  assert.equal(MAX_BANNER_BYTES, 1024);
  assert.equal(bannerLine(Buffer.from('220 mx ESMTP\r\nmore\r\n')), '220 mx ESMTP');
  assert.equal(bannerLine(Buffer.from('no line end yet')), 'no line end yet');
  const long = Buffer.alloc(10 * 1024 * 1024, 0x7a);
  assert.equal(bannerLine(long).length, MAX_BANNER_BYTES);
  // the same banner however it was read: whole, or its first 1,100 bytes
  assert.equal(bannerLine(long.subarray(0, 1100)), bannerLine(long));
  const headers: Record<string, string> = { 'x-backend': 'web1', server: 'nginx' };
  for (let i = 0; i < 1000; i++) headers[`x-pad-${i}`] = 'v'.repeat(10);
  headers['x-served-by'] = 'w'.repeat(15_000);
  const methods = methodsFor({ kind: 'auto' }, 'http');
  const m = httpMarkers(headers, Buffer.from('hello'), methods);
  assert.deepEqual(Object.keys(m).sort(), ['body', 'header:server', 'header:x-backend', 'header:x-served-by']);
  assert.ok(m['header:x-served-by']!.length <= MAX_MARKER_CHARS);
  assert.notEqual(boundMarker('w'.repeat(15_000)), boundMarker(`${'w'.repeat(14_999)}x`), 'two long values still differ');
  assert.equal(boundMarker('web1'), 'web1');
  assert.deepEqual(Object.keys(httpMarkers(headers, Buffer.from('x'), ['header:x-backend'])), ['header:x-backend'], 'no body hash unless it is a candidate');
});

function answer(markers: Record<string, string>, over: Partial<ProbeAnswer> = {}): ProbeAnswer {
  return { ok: true, source: null, latencyMs: 1, statusCode: 200, markers, snippet: 'hello', ...over };
}

test('the answer log keeps at most MAX_DISTINCT_MARKERS markers per method and MAX_DISTINCT_ERRORS messages, and counts every answer', () => {
  // issue 9.7: 100,000 answers each kept its own markers (3.4 GB for 10 MB banners)
  const methods = ['banner'];
  const n = 2000;
  const log = new AnswerLog(n, methods);
  for (let i = 0; i < n; i++) {
    // every answer a different marker of 1 KiB, and a failure of its own kind every 10th
    if (i % 10 === 9) log.record(i, answer({}, { ok: false, statusCode: null, errorCode: 'OTHER', error: `failure #${i}` }));
    else log.record(i, answer({ banner: `${i} ${'z'.repeat(1000)}` }, { statusCode: null }));
  }
  assert.equal(log.recorded, n);
  assert.equal(log.tables.banner!.size, MAX_DISTINCT_MARKERS, 'markers beyond the cap are not kept');
  assert.ok(log.markersKept() <= MAX_DISTINCT_MARKERS);
  assert.ok(log.markerCharsKept() <= MAX_DISTINCT_MARKERS * 1024);
  assert.equal(log.markerIds.banner![n - 2], OTHER_MARKER, 'but the answer is counted');
  assert.equal(log.errorMessages.length, MAX_DISTINCT_ERRORS);
  assert.match(log.errorMessages.at(-1)!, /^other errors/);
  assert.equal(log.indexes().length, n);
  assert.equal(log.errorKinds.get('OTHER')!.count, n / 10);
  const same = new AnswerLog(n, methods);
  for (let i = 0; i < n; i++) same.record(i, answer({ banner: 'backend-1 ready' }, { statusCode: null }));
  assert.equal(same.markersKept(), 1, 'one marker for 2,000 answers that carry it');
  assert.equal(same.marker(1234, 'banner'), 'backend-1 ready');
});

test('identification from a summary: a method with more markers than were kept is no identity', () => {
  const methods = ['header:server', 'body'];
  assert.equal(chooseMethod(methods, [], { answers: 5000, present: { 'header:server': 5000, body: 5000 }, distinct: { 'header:server': 1, body: Infinity } }).method, 'header:server');
  assert.deepEqual(summarizeMarkers([{ body: 'a' }, { body: 'b' }, { body: 'a', 'header:server': 'x' }]), { answers: 3, present: { body: 3, 'header:server': 1 }, distinct: { body: 2, 'header:server': 1 } });
});

test('bytes a server sent that are no protocol are shown escaped, as printable ASCII', () => {
  // issue 9.12: a VIP that answers garbage; its bytes go into the message, escaped
  assert.equal(printable('\x00\xffgarbage\x07\r\n\x1b[31m'), '\\x00\\xffgarbage\\x07\\r\\n\\x1b[31m');
  assert.equal(printable('a"b\\c'), 'a\\"b\\\\c');
  assert.equal(printable('x'.repeat(50), 40), `${'x'.repeat(40)}...`);
});

test('firstLine: the first line that is not blank, trimmed (CR, tabs, spaces), cut to 60 characters; from a body only its first 512 bytes', () => {
  assert.equal(firstLine(Buffer.from('\r\n  \r\n\t web1 \r\nweb2\n')), 'web1');
  assert.equal(firstLine('no newline\r'), 'no newline');
  assert.equal(firstLine(Buffer.from(' \r\n\n\t\r\n')), '');
  assert.equal(firstLine(''), '');
  assert.equal(firstLine('a\rb\nc'), 'a\rb', 'a CR alone does not end a line');
  assert.equal(firstLine('x'.repeat(61)), `${'x'.repeat(57)}...`);
  assert.equal(firstLine(Buffer.concat([Buffer.from(`${' '.repeat(511)}\n`), Buffer.from('late')])), '', 'a line after byte 512 is not read');
  // header methods: the marker under each method's header name
  assert.deepEqual(httpMarkers({ 'x-backend': ' web1 ', server: ['a', 'b'] }, Buffer.from('hi'), ['header:x-backend', 'header:server', 'header:x-none', 'banner']), { 'header:x-backend': 'web1', 'header:server': 'a, b' });
});

test('bodyMarker: sha256 of the body, 12 hex digits, the same whether a small body was seen before or not', () => {
  const expect = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex').slice(0, 12)}`;
  const bodies = [Buffer.alloc(0), Buffer.from('web1\n'), Buffer.from([0xff, 0x00, 0x80]), Buffer.alloc(256, 0x61), Buffer.alloc(257, 0x61), Buffer.alloc(70_000, 0x62)];
  for (let round = 0; round < 2; round++) for (const b of bodies) assert.equal(bodyMarker(b), expect(b), `${b.length} bytes, round ${round}`);
  // more distinct small bodies than are remembered: each still gets its own hash
  for (let i = 0; i < 3000; i++) {
    const b = Buffer.from(`page ${i}`);
    assert.equal(bodyMarker(b), expect(b));
  }
  assert.equal(bodyMarker(Buffer.from('web1\n')), expect(Buffer.from('web1\n')));
});
