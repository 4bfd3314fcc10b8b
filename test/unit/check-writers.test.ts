/**
 * The writers of `netlab check` (issue 12) on small fixtures: JUnit XML, the Prometheus text
 * format and OpenMetrics, GitHub annotations and step summary, the push URL, and the output
 * paths checked before anything runs. Real subcommand results: test/integration/check-outputs;
 * the real tools (xmllint, promtool, a Pushgateway): test/interop/check-outputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetlabError } from '../../src/errors.js';
import { junitXml, xmlAttr, xmlText } from '../../src/check/junit.js';
import { escapeHelp, escapeLabelValue, exposition, formatValue, metricFamilies, METRIC_DEFS, type MetricFamily } from '../../src/check/metrics.js';
import { ipProtocol, tlsVersionName } from '../../src/check/metrics-commands.js';
import { annotations, escapeData, escapeProperty, markdownCell, stepSummary, SUMMARY_MAX_BYTES } from '../../src/check/github.js';
import { pushUrl, redact } from '../../src/check/push.js';
import { checkOutputPaths } from '../../src/check/outputs.js';
import { edgeRun, HOSTILE, outcome, run } from '../helpers/check-fixtures.js';

// ---- JUnit ----

test('junit: one testcase per outcome, failure for WARNING and CRITICAL, error for UNKNOWN, counts on both levels', () => {
  const xml = junitXml(edgeRun());
  assert.equal((xml.match(/<testcase /g) ?? []).length, 6);
  assert.equal((xml.match(/<failure /g) ?? []).length, 2);
  assert.equal((xml.match(/<error /g) ?? []).length, 2);
  assert.match(xml, /<testsuites name="netlab check" tests="6" failures="2" errors="2" time="1\.235">/);
  assert.match(xml, /<testsuite name="dir\/[^"]*\.yml" tests="6" failures="2" errors="2" skipped="0" time="1\.235" timestamp="2026-01-01T00:00:00\.000Z">/);
  assert.match(xml, /<testcase classname="netlab\.check\.dig" name="slow" time="0\.013">\n {6}<failure message="EXPECTATION_FAILED: timeMs &lt; 200ms does not hold: timeMs is 312\.5 ms" type="EXPECTATION_FAILED">WARNING EXPECTATION_FAILED: /);
  assert.match(xml, /<error message="CHECK_TIMEOUT: no result in 10 s" type="TIMEOUT">TIMEOUT: the check did not finish in 10 s\nCRITICAL CHECK_TIMEOUT: no result in 10 s<\/error>/);
  assert.match(xml, /name="interrupted" time="0\.013">\n {6}<error message="could not be judged" type="UNKNOWN">/);
  assert.match(xml, /name="retried"[^\n]*\n {6}<system-out>status: OK\ncommand: dig\nstarted: [^\n]*attempts: 2 \(passed on retry\)/);
});

test('junit: every text escaped, and the characters XML 1.0 forbids removed (NUL, ESC, U+FFFE, a lone surrogate)', () => {
  const xml = junitXml(edgeRun());
  assert.doesNotMatch(xml, /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/);
  assert.doesNotMatch(xml, /[\ud800-\udfff]/);
  // the hostile name: once as an attribute (the testcase), never raw
  // (the lone surrogate is U+FFFD, which XML allows; NUL, ESC and U+FFFE are gone)
  assert.ok(xml.includes('name="a&lt;b&gt;&amp;&quot;c&apos;|d,e:f%g\\h&#10;::error::x&#13;&#9;yz[31m\ufffd*_`#[l](u) [2001:db8::1]"'), xml);
  assert.ok(!xml.includes('<b>'));
  assert.equal(xmlText(']]>'), ']]&gt;');
  assert.equal(xmlAttr('a\tb\nc'), 'a&#9;b&#10;c');
});

test('junit: a name that reads like another check at an address still gets its own test case', () => {
  const xml = junitXml(run([outcome({ name: 'www', status: 'OK', address: '127.0.0.1' }), outcome({ name: 'www [127.0.0.1]', status: 'OK' })]));
  assert.match(xml, /name="www \[127\.0\.0\.1\]" /);
  assert.match(xml, /name="www \[127\.0\.0\.1\] \(2\)" /);
});

test('junit: an empty run is a valid empty suite', () => {
  const xml = junitXml(run([]));
  assert.match(xml, /<testsuite name="checks\.yml" tests="0" failures="0" errors="0" skipped="0"/);
  assert.match(xml, /<property name="netlab\.status" value="OK"\/>/);
});

// ---- metrics ----

test('metrics: label values and HELP escaped as each format asks; values NaN, +Inf, -Inf', () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  assert.equal(escapeLabelValue('x\ud800y'), 'x\ufffdy');
  assert.equal(escapeLabelValue('plain value'), 'plain value');
  assert.equal(escapeLabelValue('a pair \ud83d\ude00 stays'), 'a pair \ud83d\ude00 stays');
  assert.equal(escapeHelp('a\\b"c\nd', 'prometheus'), 'a\\\\b"c\\nd');
  assert.equal(escapeHelp('a\\b"c\nd', 'openmetrics'), 'a\\\\b\\"c\\nd');
  assert.deepEqual([NaN, Infinity, -Infinity, 0.25, 1e21, -0].map(formatValue), ['NaN', '+Inf', '-Inf', '0.25', '1e+21', '0']);
});

test('metrics: the hostile check name is one escaped label value on one line', () => {
  const text = exposition(metricFamilies(edgeRun().checks), 'prometheus');
  const line = text.split('\n').find((l) => l.startsWith('probe_success{check="a<b>'));
  assert.ok(line, text);
  assert.equal(line, `probe_success{check="a<b>&\\"c'|d,e:f%g\\\\h\\n::error::x\r\ty\u0000z\u001b[31m\ufffd\ufffe*_\`#[l](u)",address="2001:db8::1"} 0`);
});

test('metrics: every outcome has probe_success, probe_duration_seconds, netlab_check_status, attempts, problems by code and severity', () => {
  const fams = metricFamilies(edgeRun().checks);
  const get = (name: string) => fams.find((f) => f.name === name)!;
  assert.deepEqual(get('probe_success').samples.map((s) => s.value), [1, 1, 1, 0, 0, 0]);
  assert.deepEqual(get('netlab_check_status').samples.map((s) => s.value), [0, 0, 1, 2, 3, 3]);
  assert.deepEqual(get('probe_duration_seconds').samples.map((s) => s.value), [0.0125, 0.0125, 0.0125, 0.0125, 0.0125, 0.0125]);
  assert.deepEqual(get('netlab_check_passed_on_retry').samples.map((s) => s.value), [0, 1, 0, 0, 0, 0]);
  assert.deepEqual(get('netlab_check_problems').samples.map((s) => [s.labels.check === HOSTILE ? 'H' : s.labels.check, s.labels.code, s.labels.severity, s.value]), [
    ['slow', 'EXPECTATION_FAILED', 'WARNING', 1],
    ['H', 'EXPIRED', 'CRITICAL', 1],
    ['H', 'EXPIRES_SOON', 'WARNING', 1],
    ['could not run', 'CHECK_TIMEOUT', 'CRITICAL', 1],
  ]);
  assert.deepEqual(get('netlab_check_notes').samples.map((s) => [s.labels.code, s.value]), [['UNUSED_CERTIFICATE', 1]]);
  // nothing from a result that is null
  assert.equal(fams.some((f) => f.name.startsWith('probe_dns') || f.name.startsWith('netlab_lb')), false);
});

test('metrics: labels that do not tell outcomes apart are an error; one probe without labels is fine (the exporter)', () => {
  const two = [outcome({ name: 'a', status: 'OK' }), outcome({ name: 'b', status: 'OK' })];
  assert.throws(() => metricFamilies(two, { labels: () => ({}) }), (e: unknown) => e instanceof NetlabError && e.code === 'INTERNAL' && /probe_success has two samples/.test(e.message));
  const one = exposition(metricFamilies([two[0]!], { labels: () => ({}) }), 'prometheus');
  assert.match(one, /^probe_success 1$/m);
  assert.match(one, /^probe_duration_seconds 0\.0125$/m);
});

test('metrics: the two formats: 0.0.4 (counter named _total, info as a gauge _info) and OpenMetrics (UNIT, _total samples, info type, # EOF)', () => {
  const fams: MetricFamily[] = [
    { name: 'netlab_probes', help: 'Probes "sent".', type: 'counter', samples: [{ labels: { check: 'a' }, value: 3 }] },
    { name: 'netlab_wait_seconds', help: 'Wait.', type: 'gauge', unit: 'seconds', samples: [{ labels: {}, value: 0.5 }] },
    { name: 'netlab_build', help: 'Build.', type: 'info', samples: [{ labels: { version: '1' }, value: 1 }] },
  ];
  assert.equal(exposition(fams, 'prometheus'), [
    '# HELP netlab_probes_total Probes "sent".', '# TYPE netlab_probes_total counter', 'netlab_probes_total{check="a"} 3',
    '# HELP netlab_wait_seconds Wait.', '# TYPE netlab_wait_seconds gauge', 'netlab_wait_seconds 0.5',
    '# HELP netlab_build_info Build.', '# TYPE netlab_build_info gauge', 'netlab_build_info{version="1"} 1', '',
  ].join('\n'));
  assert.equal(exposition(fams, 'openmetrics'), [
    '# HELP netlab_probes Probes \\"sent\\".', '# TYPE netlab_probes counter', 'netlab_probes_total{check="a"} 3',
    '# HELP netlab_wait_seconds Wait.', '# TYPE netlab_wait_seconds gauge', '# UNIT netlab_wait_seconds seconds', 'netlab_wait_seconds 0.5',
    '# HELP netlab_build Build.', '# TYPE netlab_build info', 'netlab_build_info{version="1"} 1', '# EOF', '',
  ].join('\n'));
  assert.equal(exposition([], 'openmetrics'), '# EOF\n');
  assert.equal(exposition([], 'prometheus'), '');
  // the HELP and TYPE lines written once are kept by family name: a family of that name with
  // another help, type or unit gets its own
  const again = (f: Partial<MetricFamily>) => exposition([{ ...fams[1]!, ...f }], 'openmetrics').split('\n').slice(0, 3);
  assert.deepEqual(again({}), ['# HELP netlab_wait_seconds Wait.', '# TYPE netlab_wait_seconds gauge', '# UNIT netlab_wait_seconds seconds']);
  assert.deepEqual(again({ help: 'Other.' }), ['# HELP netlab_wait_seconds Other.', '# TYPE netlab_wait_seconds gauge', '# UNIT netlab_wait_seconds seconds']);
  assert.deepEqual(again({ type: 'counter' }), ['# HELP netlab_wait_seconds Wait.', '# TYPE netlab_wait_seconds counter', '# UNIT netlab_wait_seconds seconds']);
  assert.deepEqual(again({ unit: undefined }), ['# HELP netlab_wait_seconds Wait.', '# TYPE netlab_wait_seconds gauge', 'netlab_wait_seconds 0.5']);
  assert.throws(() => exposition([{ ...fams[1]!, unit: 'bytes' }], 'openmetrics'), /does not end with its unit bytes/);
  for (const bad of [
    { name: 'x_total', help: '', type: 'counter', samples: [] },
    { name: '1x', help: '', type: 'gauge', samples: [] },
    { name: 'x_ms', help: '', type: 'gauge', unit: 'seconds', samples: [] },
    { name: 'x', help: '', type: 'gauge', samples: [{ labels: { ok: '1' }, value: 1 }, { labels: { 'a-b': '1' }, value: 1 }] },
    { name: 'x', help: '', type: 'gauge', samples: [{ labels: { __name__: '1' }, value: 1 }] },
  ] as MetricFamily[]) {
    assert.throws(() => exposition([bad], 'prometheus'), (e: unknown) => e instanceof NetlabError && e.code === 'INTERNAL', bad.name);
  }
});

test('metrics: the address family and the TLS version as blackbox_exporter names them', () => {
  assert.deepEqual(['127.0.0.1', '127.0.0.1:443', '[::1]:443', '::1', '127.53.0.3#5300', 'www.example.test:443', '', null].map(ipProtocol), [4, 4, 6, 6, 4, undefined, undefined, undefined]);
  assert.deepEqual(['TLSv1.3', 'TLSv1.2', 'TLSv1', 'SSLv3', null].map(tlsVersionName), ['TLS 1.3', 'TLS 1.2', 'TLS 1.0', 'unknown', undefined]);
});

test('every metric family is documented in netlab-check(1), METRICS', () => {
  const man = readFileSync(new URL('../../../man/netlab-check.1', import.meta.url), 'utf8');
  const metrics = man.slice(man.indexOf('.SH METRICS'));
  assert.ok(metrics.length > 100, 'netlab-check(1) has a METRICS section');
  const missing = Object.keys(METRIC_DEFS).filter((name) => !metrics.includes(name.replace(/_/g, '\\_')) && !metrics.includes(name));
  assert.deepEqual(missing, []);
});

// ---- GitHub ----

test("github: workflow commands escaped as the Actions toolkit does: %, CR, LF in data; also : and , in properties", () => {
  assert.equal(escapeData('50% a\r\nb:c,d'), '50%25 a%0D%0Ab:c,d');
  assert.equal(escapeProperty('50% a\r\nb:c,d'), '50%25 a%0D%0Ab%3Ac%2Cd');
});

test('github: an annotation per failing outcome (error for CRITICAL and UNKNOWN, warning for WARNING), a notice for a pass on retry, each one line', () => {
  const lines = annotations(edgeRun());
  assert.equal(lines.length, 5);
  assert.deepEqual(lines.map((l) => l.slice(0, l.indexOf(' '))), ['::notice', '::warning', '::error', '::error', '::error']);
  for (const l of lines) assert.doesNotMatch(l, /[\r\n]/);
  assert.equal(lines[0], '::notice file=dir/a<b>&"c\'|d%2Ce%3Af%25g\\h%0A%3A%3Aerror%3A%3Ax%0D\ty\u0000z\u001b[31m\ufffd\ufffe*_`#[l](u).yml,title=netlab check%3A retried::passed on retry: attempt 2 passed after 1 failed');
  // the hostile check: its name escaped in the title; the message's lines percent-encoded
  assert.ok(lines[2]!.includes('title=netlab check%3A a<b>&"c\'|d%2Ce%3Af%25g\\h%0A%3A%3Aerror%3A%3Ax%0D'), lines[2]);
  assert.ok(lines[2]!.includes('::CRITICAL: EXPIRED: the leaf a<b>&"c\'|d,e:f%25g\\h%0A::error::x%0D'), lines[2]);
  assert.ok(lines[2]!.endsWith('%0AWARNING EXPIRES_SOON: second problem'), lines[2]);
  assert.match(lines[3]!, /^::error file=[^:]*,title=netlab check%3A could not run::UNKNOWN: CHECK_TIMEOUT: no result in 10 s$/);
  // with the check's position: line and col
  const at = annotations(run([outcome({ name: 'x', status: 'CRITICAL', pos: { file: 'ci/checks.yml', line: 7, col: 5 } })]));
  assert.deepEqual(at, ['::error file=ci/checks.yml,line=7,col=5,title=netlab check%3A x::CRITICAL: CRITICAL']);
});

test('github: the step summary table: one row per outcome, pipes and Markdown escaped, one line per cell', () => {
  const md = stepSummary(edgeRun());
  const rows = md.split('\n').filter((l) => l.startsWith('| '));
  assert.equal(rows.length, 2 + 6);
  assert.equal(markdownCell('a|b\nc<d>&*_`[x](y)\\'), 'a\\|b c\\<d\\>&amp;\\*\\_\\`\\[x\\](y)\\\\');
  // every row has exactly 5 cells: no pipe from the data survived unescaped
  for (const r of rows) assert.equal(r.split(/(?<!\\)\|/).length, 7, r);
  assert.match(md, /^### ❔ netlab check: UNKNOWN, dir\/a\\<b\\>&amp;/);
  assert.match(md, /6 result\(s\): 2 OK, 1 WARNING, 1 CRITICAL, 2 UNKNOWN in 1\.23 s/);
  assert.match(md, /\| ✅ OK \(passed on retry\) \| retried \|/);
  assert.match(md, /\| ⚠️ WARNING \| slow \|  \| 12\.5 ms \| EXPECTATION\\_FAILED: timeMs \\< 200ms does not hold: timeMs is 312\.5 ms \|/);
});

test('github: a huge run keeps the step summary under its bound, the failing rows first', () => {
  const checks = Array.from({ length: 12000 }, (_, i) => outcome({ name: `check number ${i} with a long name to fill the table`, status: i % 1000 === 999 ? 'CRITICAL' : 'OK' }));
  const md = stepSummary(run(checks));
  assert.ok(Buffer.byteLength(md) <= SUMMARY_MAX_BYTES, `${Buffer.byteLength(md)}`);
  const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Status') && !l.startsWith('| ---'));
  assert.deepEqual(rows.slice(0, 12).map((r) => r.includes('CRITICAL')), Array(12).fill(true));
  assert.match(md, new RegExp(`\\n${12000 - rows.length} more result\\(s\\) not listed`));
});

// ---- push URL ----

test('push: the group is job/netlab/instance@base64/<file>; a URL naming a group is kept; credentials never shown', () => {
  assert.equal(pushUrl('http://127.0.0.1:9091', 'ci/checks.yml').href, `http://127.0.0.1:9091/metrics/job/netlab/instance@base64/${Buffer.from('ci/checks.yml').toString('base64url')}`);
  assert.equal(pushUrl('http://127.0.0.1:9091/prefix/', 'a').pathname, '/prefix/metrics/job/netlab/instance@base64/YQ');
  assert.equal(pushUrl('https://127.0.0.1/metrics/job/ci/branch/main', 'a').pathname, '/metrics/job/ci/branch/main');
  assert.equal(redact(new URL('http://user:secret@127.0.0.1:9091/')), 'http://127.0.0.1:9091/');
  for (const [bad, why] of [['127.0.0.1:9091', /is not a URL/], ['localhost:9091', /^the Pushgateway URL 'localhost:9091' is not http:\/\/ or https:\/\/$/], ['ftp://127.0.0.1/', /is not http/], ['not a url', /is not a URL/], ['http://127.0.0.1/?a=1', /has a query or a fragment/], ['http://u:pw@127.0.0.1/#x', /^the Pushgateway URL 'http:\/\/127\.0\.0\.1\/#x' has a query/]] as const) {
    assert.throws(() => pushUrl(bad, 'f'), (e: unknown) => e instanceof NetlabError && e.code === 'USAGE' && why.test(e.message), bad);
  }
});

// ---- output paths, before anything runs ----

test('output paths: a missing directory, a directory as the file, the same file twice, a bad push URL: one line each, before anything runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-check-paths-'));
  try {
    const missing = join(dir, 'no', 'such', 'junit.xml');
    assert.throws(() => checkOutputPaths({ junit: missing }), (e: unknown) => e instanceof NetlabError && e.code === 'INPUT' && e.message === `cannot write '${missing}': no such directory '${join(dir, 'no', 'such')}'`);
    mkdirSync(join(dir, 'sub'));
    assert.throws(() => checkOutputPaths({ metrics: join(dir, 'sub') }), (e: unknown) => e instanceof NetlabError && e.code === 'INPUT' && /^cannot write '.*sub': a directory, not a regular file \(refused: a metrics file is written over a regular file only\)$/.test(e.message));
    const file = join(dir, 'under-a-file');
    writeFileSync(file, '');
    assert.throws(() => checkOutputPaths({ junit: join(file, 'x.xml') }), (e: unknown) => e instanceof NetlabError && e.code === 'INPUT' && /not a directory/.test(e.message));
    const same = join(dir, 'out.txt');
    assert.throws(() => checkOutputPaths({ junit: same, metrics: same }), (e: unknown) => e instanceof NetlabError && e.code === 'INPUT' && /the JUnit report and the metrics go to the same file/.test(e.message));
    assert.throws(() => checkOutputPaths({ push: 'localhost:9091' }), (e: unknown) => e instanceof NetlabError && e.code === 'USAGE');
    // writable: nothing thrown, nothing created
    checkOutputPaths({ junit: join(dir, 'junit.xml'), metrics: join(dir, 'metrics.prom'), push: 'http://127.0.0.1:9091' });
    assert.throws(() => readFileSync(join(dir, 'junit.xml')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
