/**
 * What `netlab check` writes, read by the real tools (issue 12), on real results from the lab:
 *  - the JUnit report validates with `xmllint --noout --schema` against the Jenkins junit-4
 *    schema (test/fixtures/junit/jenkins-junit.xsd), for a passing run, a failing run and a run
 *    full of characters to escape;
 *  - the metrics file passes `promtool check metrics` (the lint Prometheus ships), for the run
 *    of every subcommand and for each subcommand's outcomes alone;
 *  - a real Pushgateway (Debian prometheus-pushgateway) on 127.0.0.1 accepts the push, and its
 *    /metrics reads the samples back with job="netlab", instance=<the checks file>; a second
 *    push (PUT) replaces the group: a check gone from the run is gone from the Pushgateway.
 * Needs libxml2-utils, prometheus (promtool) and prometheus-pushgateway; each part is skipped
 * with the reason when its tool is absent (.ci/run installs them when root).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLab, type Lab } from '../../src/lab/index.js';
import { junitXml } from '../../src/check/junit.js';
import { exposition, metricFamilies } from '../../src/check/metrics.js';
import { writeOutputs } from '../../src/check/outputs.js';
import { CHECK_COMMANDS } from '../../src/check/model.js';
import { labOutcomes, runOf, type LabOutcomes } from '../helpers/check-outcomes.js';
import { edgeRun } from '../helpers/check-fixtures.js';
import { freePorts, run, which } from '../helpers/tools.js';

const XMLLINT = which('xmllint');
const PROMTOOL = which('promtool');
const PUSHGATEWAY = which('prometheus-pushgateway');
const XSD = fileURLToPath(new URL('../../../test/fixtures/junit/jenkins-junit.xsd', import.meta.url));

let lab: Lab;
let outcomes: LabOutcomes;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netlab-check-interop-'));
  if (!XMLLINT && !PROMTOOL && !PUSHGATEWAY) return;
  lab = await startLab();
  outcomes = await labOutcomes(lab);
});

after(async () => {
  outcomes?.close();
  await lab?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the JUnit report validates against the Jenkins junit-4 schema (xmllint): passing, failing, and escaped runs', { skip: XMLLINT ? false : 'xmllint is not installed (apt-get install libxml2-utils)' }, async () => {
  const runs = {
    passing: runOf('lab-checks.yml', outcomes.passing),
    failing: runOf('lab-checks.yml', outcomes.failing),
    all: runOf('lab-checks.yml', outcomes.all),
    escaped: edgeRun(),
  };
  for (const [name, r] of Object.entries(runs)) {
    const file = join(dir, `${name}.xml`);
    writeFileSync(file, junitXml(r));
    const { code, stderr } = await run(XMLLINT!, ['--noout', '--schema', XSD, file]);
    assert.equal(code, 0, `${name}: ${stderr}`);
    assert.match(stderr, /validates/);
  }
  // and the schema is a real gate: a report with its elements out of order fails
  const bad = join(dir, 'bad.xml');
  writeFileSync(bad, junitXml(runs.failing).replace(/(<failure [^]*?<\/failure>)(\s*)(<system-out>[^]*?<\/system-out>)/, '$3$2$1'));
  const { code } = await run(XMLLINT!, ['--noout', '--schema', XSD, bad]);
  assert.equal(code, 3);
});

test('the metrics file passes promtool check metrics: the whole run and each subcommand alone', { skip: PROMTOOL ? false : 'promtool is not installed (apt-get install prometheus)' }, async () => {
  const lint = async (text: string, name: string) => {
    const file = join(dir, `${name}.prom`);
    writeFileSync(file, text);
    // promtool reads the metrics on stdin: through a shell-free spawn with the file as stdin
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn(PROMTOOL!, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d));
      child.stderr.on('data', (d: Buffer) => (out += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('error', reject);
      child.on('close', (c) => {
        clearTimeout(timer);
        resolve({ code: c, out });
      });
      child.stdin.end(text);
    });
    assert.equal(code, 0, `${name}: ${out}`);
    assert.equal(out.trim(), '', name);
  };
  const all = exposition(metricFamilies(outcomes.all), 'prometheus');
  await lint(all, 'all');
  for (const command of CHECK_COMMANDS) {
    const some = outcomes.all.filter((o) => o.command === command);
    assert.ok(some.length >= 2, command);
    await lint(exposition(metricFamilies(some), 'prometheus'), command);
  }
  await lint(exposition(metricFamilies(edgeRun().checks), 'prometheus'), 'escaped');
  // every family of the five subcommands' results is in the file that was linted
  for (const name of ['probe_dns_answer_rrs', 'probe_ssl_earliest_cert_expiry', 'probe_http_duration_seconds', 'netlab_lb_chi_square_p_value', 'netlab_zone_verify_mismatches']) {
    assert.match(all, new RegExp(`^${name}\\{`, 'm'), name);
  }
});

/** Labels and value of each sample line of a /metrics page. */
function samples(text: string, name: string): Array<{ labels: Record<string, string>; value: number }> {
  const out: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}\\{(.*)\\} (\\S+)$`).exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of m[1]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ labels, value: Number(m[2]) });
  }
  return out;
}

test('a real Pushgateway accepts the push and serves the samples back; a second push replaces the group', { skip: PUSHGATEWAY ? false : 'prometheus-pushgateway is not installed (apt-get install prometheus-pushgateway)' }, async () => {
  const [port] = await freePorts(1);
  const base = `http://127.0.0.1:${port}`;
  const gw: ChildProcess = spawn(PUSHGATEWAY!, [`--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  gw.stderr!.on('data', (d: Buffer) => (log += d));
  try {
    // ready within 10 s (it took 14 ms in RECIPES.md)
    let ready = false;
    for (let i = 0; i < 100 && !ready && gw.exitCode === null; i++) {
      ready = await fetch(`${base}/-/ready`).then((r) => r.ok, () => false);
      if (!ready) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(ready, `the Pushgateway did not get ready: ${log}`);
    const all = runOf('lab-checks.yml', outcomes.all);
    const first = await writeOutputs(all, { push: base });
    assert.deepEqual(first.failures, []);
    const page = await (await fetch(`${base}/metrics`)).text();
    const success = samples(page, 'probe_success').filter((s) => s.labels.job === 'netlab');
    assert.equal(success.length, outcomes.all.length);
    for (const s of success) assert.equal(s.labels.instance, 'lab-checks.yml');
    const expired = lab.tls.cases.find((c) => c.name === 'expired')!.address;
    assert.deepEqual(success.filter((s) => s.value === 0).map((s) => `${s.labels.check}${s.labels.address ? ` [${s.labels.address}]` : ''}`).sort(), ['dead origin', 'missing name', 'zone drifted', `www certificate [${expired}]`].sort());
    assert.equal(samples(page, 'netlab_check_problems').find((s) => s.labels.check === 'www certificate' && s.labels.code === 'EXPIRED')?.value, 1);
    assert.equal(samples(page, 'probe_dns_serial').find((s) => s.labels.check === 'zone serial')?.value, 2026112301);
    assert.equal(samples(page, 'push_failure_time_seconds').find((s) => s.labels.job === 'netlab')?.value, 0);
    // PUT: the next run's metrics replace the group's, the checks that are gone do not linger
    const second = await writeOutputs(runOf('lab-checks.yml', outcomes.passing), { push: base });
    assert.deepEqual(second.failures, []);
    const page2 = await (await fetch(`${base}/metrics`)).text();
    const success2 = samples(page2, 'probe_success').filter((s) => s.labels.job === 'netlab');
    assert.deepEqual(success2.map((s) => s.value), outcomes.passing.map(() => 1));
    assert.equal(success2.some((s) => s.labels.check === 'missing name'), false);
  } finally {
    gw.kill('SIGTERM');
    await new Promise<void>((resolve) => {
      if (gw.exitCode !== null || gw.signalCode !== null) return resolve();
      const timer = setTimeout(() => {
        gw.kill('SIGKILL');
        resolve();
      }, 5000);
      gw.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
});
