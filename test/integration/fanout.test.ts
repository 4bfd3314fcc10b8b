/**
 * issue 12, fan-out: expandTargets on checks built by hand against the lab's fan-out names
 * (src/lab/fanout), then each pinned run through its subcommand's own parser (parseArgv) and
 * library call, as its run.ts makes it: exactly the broken address fails. And every-server
 * against split.test., whose third server is stale: crossCheck flags exactly that one.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
// the lab's DNS, PKI, HTTP, LB and fanout parts, not its TLS cases (test/helpers/lab-parts.ts)
import { startLabParts, type LabParts } from '../helpers/lab-parts.js';
import { FANOUT_ADDRESSES as F, FANOUT_NAMES as N, SPLIT_SERIALS, SPLIT_SERVERS } from '../../src/lab/fanout/index.js';
import { crossCheck, expandTargets, fanoutRefusal, type PinnedRun } from '../../src/check/fanout.js';
import type { CheckCommand, CheckDef, CheckOutcome } from '../../src/check/model.js';
import { parseArgv } from '../../src/commands/command.js';
import { COMMANDS } from '../../src/commands/registry.js';
import { runCertCheck } from '../../src/commands/cert-check/run.js';
import { runTraceRequest } from '../../src/commands/trace-request/run.js';
import { runLbProbe } from '../../src/commands/lb-probe/run.js';
import { runDigStream } from '../../src/commands/dig/run.js';
import type { DigOptions } from '../../src/commands/dig/options.js';
import type { DigResult } from '../../src/protocol/dns/lookup.js';
import { NetlabError, type Status } from '../../src/errors.js';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

let lab: LabParts<true, true, true>;
before(async () => {
  lab = await startLabParts({ http: true, lb: true, fanout: true });
});
after(async () => {
  await lab.close();
});

/** The lab's example.test servers serve fanout.test.: a resolver for the fan-out. */
const resolver = () => ({ address: lab.dns.addresses.ns1Example, port: lab.port });

function check(command: CheckCommand, argv: string[], more: Partial<CheckDef> = {}): CheckDef {
  return { name: `${command} fan-out`, command, argv, expect: [], everyAddress: true, everyServer: false, retries: 0, timeoutMs: 10_000, pos: { file: 'test.yml', line: 1, col: 1 }, ...more };
}

/** One pinned run through its subcommand: parseArgv, then the library call its run.ts makes. */
async function runPinned(command: CheckCommand, run: PinnedRun): Promise<{ status: Status; codes: string[]; result: unknown }> {
  const def = (await COMMANDS[command].load()).command;
  const options = await parseArgv(def, run.argv);
  const signal = AbortSignal.timeout(20_000);
  let result: { status: Status; problems: Array<{ code: string }> };
  if (command === 'cert-check') result = await runCertCheck(options, { signal });
  else if (command === 'trace-request') result = await runTraceRequest(options, { signal });
  else if (command === 'lb-probe') result = await runLbProbe(options, { signal });
  else if (command === 'dig') {
    const results: DigResult[] = [];
    await runDigStream({ ...(options as DigOptions), signal }, (r) => results.push(r));
    assert.equal(results.length, 1);
    result = results[0]!;
  } else throw new Error(`no runner for ${command}`);
  return { status: result.status, codes: result.problems.map((p) => p.code).sort(), result };
}

test('cert-check every-address: tls.fanout.test pinned to each of its two servers, SNI and name kept: only the expired one fails', async () => {
  const port = lab.fanout.tlsPort;
  const runs = await expandTargets(check('cert-check', [`${N.tls}:${port}`, '--ca', lab.tls.caFile]), { timeoutMs: 5000, resolver: resolver() });
  assert.deepEqual(runs.map((r) => r.address), [F.tlsGood, F.tlsExpired]);
  assert.deepEqual(runs[1]!.argv, [`${N.tls}:${port}`, '--ca', lab.tls.caFile, '--connect-to', F.tlsExpired]);
  // the check's own --resolver gives the same runs (and stays in their argv: --connect-to wins)
  const own = await expandTargets(check('cert-check', [`${N.tls}:${port}`, '--resolver', `${resolver().address}:${lab.port}`]), { timeoutMs: 5000 });
  assert.deepEqual(own.map((r) => r.address), [F.tlsGood, F.tlsExpired]);
  const results = await Promise.all(runs.map((r) => runPinned('cert-check', r)));
  assert.deepEqual(results.map((r) => [r.status, r.codes]), [['OK', []], ['CRITICAL', ['EXPIRED']]]);
  // the certificate was checked for the name, not the address
  for (const r of results) assert.equal((r.result as { hostnameMatch: boolean }).hostnameMatch, true);
});

test('trace-request every-address: www.fanout.test pinned with --origin, Host and SNI kept: only the dead address fails (TCP)', async () => {
  const url = `https://${N.http}:${lab.http.httpsPort}/`;
  // trace-request's own --resolver is the one used (no resolver in `how`)
  const runs = await expandTargets(check('trace-request', [url, '--ca', lab.tls.caFile, '--resolver', `${resolver().address}:${lab.port}`, '--no-warm-up']), { timeoutMs: 5000 });
  assert.deepEqual(runs.map((r) => r.address), [F.httpGood, F.httpDead]);
  assert.deepEqual(runs[0]!.argv.slice(-3), ['--origin', F.httpGood, '--no-resolved']);
  const results = await Promise.all(runs.map((r) => runPinned('trace-request', r)));
  assert.deepEqual(results.map((r) => [r.status, r.codes]), [['OK', []], ['CRITICAL', ['TCP_FAILED']]]);
  // one path each, the pinned one
  for (const [i, r] of results.entries()) {
    const paths = (r.result as { paths: Array<{ label: string; address: string | null }> }).paths;
    assert.deepEqual(paths.map((p) => [p.label, p.address]), [['origin', runs[i]!.address]]);
  }
});

test('lb-probe every-address: vip.fanout.test, the VIP name replaced by each address, port and Host kept: only the dead VIP fails', async () => {
  const vip = `${N.vip}:${lab.lb.httpPort}`;
  const dns = `${resolver().address}:${lab.port}`;
  const runs = await expandTargets(check('lb-probe', ['--requests', '6', '--resolver', dns, vip]), { timeoutMs: 5000 });
  assert.deepEqual(runs.map((r) => r.address), [F.vipGood, F.vipDead]);
  assert.deepEqual(runs[1]!.argv, ['--requests', '6', '--resolver', dns, `${F.vipDead}:${lab.lb.httpPort}`, '--host', vip]);
  const results = await Promise.all(runs.map((r) => runPinned('lb-probe', r)));
  assert.equal(results[0]!.status, 'OK');
  assert.deepEqual(results[0]!.codes, []);
  assert.equal(results[1]!.status, 'CRITICAL');
  assert.deepEqual(results[1]!.codes, ['VIP_UNREACHABLE']);
});

test('cert-check and lb-probe --resolver, not fanned out: cert-check connects to the name\'s first address (IPv4 first), lb-probe probes every address (issue 16)', async () => {
  const dns = `${resolver().address}:${lab.port}`;
  const cert = await runPinned('cert-check', { address: null, argv: [`${N.tls}:${lab.fanout.tlsPort}`, '--resolver', dns, '--ca', lab.tls.caFile] });
  assert.deepEqual([cert.status, cert.codes], ['OK', []]);
  // issue 16: lb-probe probes every address of a name, each as its own VIP: the dead one is named
  const lb = await runPinned('lb-probe', { address: null, argv: [`${N.vip}:${lab.lb.httpPort}`, '--resolver', dns, '--requests', '3'] });
  assert.deepEqual([lb.status, lb.codes], ['CRITICAL', ['VIP_UNREACHABLE']]);
  await assert.rejects(runPinned('cert-check', { address: null, argv: [`${N.noAddress}:443`, '--resolver', dns] }), /none\.fanout\.test resolves to no address/);
});

test('every-address order: IPv4 then IPv6, each sorted, whatever the order of the records', async () => {
  const runs = await expandTargets(check('cert-check', [`${N.mixed}:443`]), { timeoutMs: 5000, resolver: resolver() });
  assert.deepEqual(runs.map((r) => r.address), ['192.0.2.20', '192.0.2.21', '2001:db8::20', '2001:db8::21']);
});

test('every-address: an IP address target fans out to itself, its argv untouched', async () => {
  const argv = [`${F.tlsGood}:${lab.fanout.tlsPort}`, '--host', N.tls, '--ca', lab.tls.caFile];
  const runs = await expandTargets(check('cert-check', argv), { timeoutMs: 5000 });
  assert.deepEqual(runs, [{ address: F.tlsGood, argv }]);
  const lb = await expandTargets(check('lb-probe', [`[::1]:${lab.lb.httpPort}`]), { timeoutMs: 5000 });
  assert.deepEqual(lb.map((r) => r.address), ['::1']);
});

test('every-address: a name with no address (and one that does not exist) is an UNREACHABLE NetlabError, CRITICAL', async () => {
  for (const name of [N.noAddress, 'nowhere.fanout.test']) {
    await assert.rejects(expandTargets(check('cert-check', [`${name}:443`]), { timeoutMs: 5000, resolver: resolver() }), (e: unknown) => {
      assert.ok(e instanceof NetlabError);
      assert.equal(e.code, 'UNREACHABLE');
      assert.equal(e.status, 'CRITICAL');
      assert.match(e.message, new RegExp(`^${name.replace(/\./g, '\\.')} resolves to no address \\(A or AAAA\\): `));
      assert.match(e.message, name === N.noAddress ? /no A or AAAA record from 127\.53\.0\.3#/ : /NXDOMAIN from 127\.53\.0\.3#/);
      return true;
    });
  }
});

test('every-address is bounded: a resolver that never answers gives TIMEOUT (CRITICAL) at the timeout, an aborted signal TIMEOUT (UNKNOWN)', async () => {
  const silent = { address: lab.dns.addresses.silent, port: lab.port };
  await assert.rejects(expandTargets(check('cert-check', [`${N.tls}:443`]), { timeoutMs: 300, resolver: silent }), (e: unknown) => {
    assert.ok(e instanceof NetlabError);
    assert.equal(e.code, 'TIMEOUT');
    assert.equal(e.status, 'CRITICAL');
    assert.match(e.message, /not done within the check's 300 ms/);
    return true;
  });
  const ctl = new AbortController();
  setTimeout(() => ctl.abort(), 50);
  await assert.rejects(expandTargets(check('cert-check', [`${N.tls}:443`]), { timeoutMs: 10_000, resolver: silent, signal: ctl.signal }), (e: unknown) => {
    assert.ok(e instanceof NetlabError);
    assert.equal(e.status, 'UNKNOWN');
    assert.match(e.message, /interrupted/);
    return true;
  });
});

test('every-address refuses what would pin twice: cert-check --connect-to, trace-request --origin', async () => {
  await assert.rejects(expandTargets(check('cert-check', [`${N.tls}:443`, '--connect-to', F.tlsGood]), { timeoutMs: 1000 }), /leave out --connect-to/);
  await assert.rejects(expandTargets(check('trace-request', [`https://${N.http}/`, '--origin', F.httpGood]), { timeoutMs: 1000 }), /leave out --origin and --cdn/);
  assert.match(fanoutRefusal({ command: 'dig', everyAddress: true, everyServer: false })!, /use every-server/);
  assert.match(fanoutRefusal({ command: 'hosts2zone', everyAddress: true, everyServer: false })!, /does not apply to hosts2zone/);
  assert.match(fanoutRefusal({ command: 'cert-check', everyAddress: false, everyServer: true })!, /dig checks only/);
  assert.equal(fanoutRefusal({ command: 'lb-probe', everyAddress: true, everyServer: false }), null);
});

/** Outcomes as the runner would make them from the pinned runs' results. */
async function everyServerOutcomes(argv: string[]): Promise<{ runs: PinnedRun[]; outcomes: CheckOutcome[]; def: CheckDef }> {
  const def = check('dig', argv, { everyAddress: false, everyServer: true });
  const runs = await expandTargets(def, { timeoutMs: 5000 });
  const outcomes = await Promise.all(runs.map(async (run): Promise<CheckOutcome> => {
    const r = await runPinned('dig', run);
    return { name: def.name, command: 'dig', address: run.address, status: r.status, problems: [], notes: [], startedAt: new Date().toISOString(), durationMs: 0, attempts: 1, passedOnRetry: false, result: r.result };
  }));
  return { runs, outcomes, def };
}

test('every-server: the zone cut found from the zone\'s own server, from the TLD (a referral) and from the root; one run per server address, @ADDR +norecurse', async () => {
  const p = String(lab.port);
  for (const from of [SPLIT_SERVERS.ns2, lab.dns.addresses.tld, lab.dns.addresses.root]) {
    const runs = await expandTargets(check('dig', [`@${from}`, '-p', p, N.splitAnswer, 'A'], { everyAddress: false, everyServer: true }), { timeoutMs: 5000 });
    assert.deepEqual(runs.map((r) => r.address), [SPLIT_SERVERS.ns1, SPLIT_SERVERS.ns2, SPLIT_SERVERS.ns3], `from ${from}`);
    assert.deepEqual(runs[2]!.argv, ['-p', p, N.splitAnswer, 'A', `@${SPLIT_SERVERS.ns3}`, '+norecurse']);
    assert.deepEqual(runs.map((r) => r.server), [
      { names: ['ns1.split.test'], serial: SPLIT_SERIALS.current },
      { names: ['ns2.split.test'], serial: SPLIT_SERIALS.current },
      { names: ['ns3.split.test'], serial: SPLIT_SERIALS.stale },
    ]);
  }
  // example.test: two servers, ns1 and ns2 (glue), asked from ns1 itself
  const ex = await expandTargets(check('dig', [`@${lab.dns.addresses.ns1Example}`, '-p', p, 'www.example.test'], { everyAddress: false, everyServer: true }), { timeoutMs: 5000 });
  assert.deepEqual(ex.map((r) => r.address), [lab.dns.addresses.ns1Example, lab.dns.addresses.ns2Example]);
});

test('every-server: the stale server of split.test is flagged, CRITICAL for its answer and WARNING for its serial, naming the others', async () => {
  const { runs, outcomes, def } = await everyServerOutcomes([`@${SPLIT_SERVERS.ns1}`, '-p', String(lab.port), N.splitAnswer]);
  assert.deepEqual(outcomes.map((o) => o.status), ['OK', 'OK', 'OK']);
  const problems = crossCheck(def, outcomes, runs);
  assert.deepEqual(problems.map((ps) => ps.map((p) => [p.code, p.severity])), [[], [], [['SERVERS_DISAGREE', 'CRITICAL'], ['SERVERS_DISAGREE', 'WARNING']]]);
  assert.equal(problems[2]![0]!.message, `ns3.split.test (${SPLIT_SERVERS.ns3}) answers A 192.0.2.81 where ns1.split.test (${SPLIT_SERVERS.ns1}), ns2.split.test (${SPLIT_SERVERS.ns2}) answer A 192.0.2.80`);
  assert.equal(problems[2]![1]!.message, `ns3.split.test (${SPLIT_SERVERS.ns3}) serves SOA serial ${SPLIT_SERIALS.stale} where ns1.split.test (${SPLIT_SERVERS.ns1}), ns2.split.test (${SPLIT_SERVERS.ns2}) have ${SPLIT_SERIALS.current}`);
});

test('every-server: same answer everywhere, an older serial on one server: a WARNING on that one only', async () => {
  const { runs, outcomes, def } = await everyServerOutcomes([`@${SPLIT_SERVERS.ns1}`, '-p', String(lab.port), N.splitSerial]);
  const problems = crossCheck(def, outcomes, runs);
  assert.deepEqual(problems.map((ps) => ps.map((p) => p.severity)), [[], [], ['WARNING']]);
});

test('every-server: servers that agree (example.test) give no problem; every-address outcomes are never cross-checked', async () => {
  const { runs, outcomes, def } = await everyServerOutcomes([`@${lab.dns.addresses.ns1Example}`, '-p', String(lab.port), 'www.example.test', 'AAAA']);
  assert.equal(outcomes.length, 2);
  assert.deepEqual(crossCheck(def, outcomes, runs), [[], []]);
  const differing = outcomes.map((o, i) => ({ ...o, result: { ...(o.result as DigResult), answer: i ? [] : (o.result as DigResult).answer } }));
  assert.deepEqual(crossCheck({ ...def, everyServer: false, everyAddress: true }, differing), [[], []]);
});

test('every-server: a two-server tie flags both; a server with no reply is left out of the comparison', async () => {
  const { runs, outcomes, def } = await everyServerOutcomes([`@${lab.dns.addresses.ns1Example}`, '-p', String(lab.port), 'www.example.test', 'AAAA']);
  const tie = outcomes.map((o, i) => ({ ...o, result: { ...(o.result as DigResult), answer: i ? [] : (o.result as DigResult).answer } }));
  assert.deepEqual(crossCheck(def, tie, runs).map((ps) => ps.map((p) => p.severity)), [['CRITICAL'], ['CRITICAL']]);
  const silent = outcomes.map((o, i) => ({ ...o, result: i ? { ...(o.result as DigResult), rcode: null, answer: [] } : o.result }));
  assert.deepEqual(crossCheck(def, silent, runs), [[], []]);
});

test('every-server refuses +trace, several queries and -f', async () => {
  const ev = { everyAddress: false, everyServer: true };
  await assert.rejects(expandTargets(check('dig', ['+trace', 'www.split.test'], ev), { timeoutMs: 1000 }), /leave out \+trace/);
  await assert.rejects(expandTargets(check('dig', ['a.split.test', 'b.split.test'], ev), { timeoutMs: 1000 }), /one query, got 2/);
});

test('examples/fanout-checks.yml, with this lab\'s ports: every check fans out, and exactly the broken addresses fail', async () => {
  // the file as a user runs it, its ports and CA file replaced by this lab's (netlab lab prints them)
  const text = readFileSync(new URL('../../../examples/fanout-checks.yml', import.meta.url), 'utf8')
    .replace(/:53\b/g, `:${lab.port}`).replace(/-p 53\b/g, `-p ${lab.port}`)
    .replace(/tls\.fanout\.test:443\b/g, `tls.fanout.test:${lab.fanout.tlsPort}`)
    .replace(/:8443\//g, `:${lab.http.httpsPort}/`).replace(/:8080\b/g, `:${lab.lb.httpPort}`)
    .replace(/\/tmp\/netlab-lab-root\.pem/g, lab.tls.caFile);
  const file = parseYaml(text) as { defaults: Record<string, string>; checks: Array<Record<string, unknown>> };
  const failing: string[] = [];
  for (const c of file.checks) {
    const command = (['cert-check', 'trace-request', 'lb-probe', 'dig'] as const).find((k) => k in c)!;
    const argv = [...(file.defaults[command]?.split(/\s+/) ?? []), ...String(c[command]).replace(/^"|"$/g, '').split(/\s+/)];
    const def = check(command, argv, { name: String(c.name), everyAddress: c['every-address'] === true, everyServer: c['every-server'] === true });
    assert.equal(fanoutRefusal(def), null, def.name);
    const runs = await expandTargets(def, { timeoutMs: 5000 });
    assert.equal(runs.length, command === 'dig' ? 3 : 2, def.name);
    const results = await Promise.all(runs.map((r) => runPinned(command, r)));
    const outcomes = results.map((r, i): CheckOutcome => ({ name: def.name, command, address: runs[i]!.address, status: r.status, problems: [], notes: [], startedAt: '', durationMs: 0, attempts: 1, passedOnRetry: false, result: r.result }));
    const extra = crossCheck(def, outcomes, runs);
    results.forEach((r, i) => {
      const codes = [...r.codes, ...extra[i]!.map((p) => `${p.code}:${p.severity}`)];
      if (codes.length) failing.push(`${def.name} @ ${runs[i]!.address}: ${codes.join(' ')}`);
    });
  }
  assert.deepEqual(failing, [
    `tls.fanout.test certificate @ ${F.tlsExpired}: EXPIRED`,
    `www.fanout.test answers @ ${F.httpDead}: TCP_FAILED`,
    `vip.fanout.test spreads @ ${F.vipDead}: VIP_UNREACHABLE`,
    `www.split.test agrees everywhere @ ${SPLIT_SERVERS.ns3}: SERVERS_DISAGREE:CRITICAL SERVERS_DISAGREE:WARNING`,
    `same.split.test serial @ ${SPLIT_SERVERS.ns3}: SERVERS_DISAGREE:WARNING`,
  ]);
});
