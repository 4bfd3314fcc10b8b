/**
 * An outside project's program: every netlab subcommand's job through the packed package, with
 * its own types, strict, no casts, against the lab on loopback. test/consumer/run.sh compiles
 * and runs it; any wrong result throws (exit 1).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { checkCertificate, hostsToZone, lookup, probeLoadBalancer, statusOf, traceRequest, type Problem, type Status } from 'netlab';
import { typeCode, trace, type DigResult, type RecordData } from 'netlab/dns';
import { type CertCheckResult } from 'netlab/tls';
import { type TraceRequestResult } from 'netlab/http';
import { type LbProbeReport } from 'netlab/lb';
import { readHostsZone, verifyZone, parseMasterText, type HostsToZoneResult } from 'netlab/zone';
import { startLab, type Lab } from 'netlab/lab';

// a known type name is a number, for a strict program (issue 10: `number | undefined` did not compile)
const mx: number = typeCode('MX');
assert.equal(mx, 15);

// the one status rule, for a program's own checks
const mine: Problem<'SLOW'>[] = [{ code: 'SLOW', severity: 'WARNING', message: 'slow' }];
const status: Status = statusOf(mine);
assert.equal(status, 'WARNING');

const lab: Lab = await startLab({ port: 0 });
try {
  const ns = lab.dns.addresses.ns1Example;

  // dig: one query, typed record data
  const answer: DigResult = await lookup({ name: 'www.example.test', type: 'A', server: ns, port: lab.port });
  assert.equal(answer.status, 'OK');
  const a: RecordData | undefined = answer.answer[0]?.rdata;
  assert.ok(a && a.type === 'A');
  assert.equal(a.address, '192.0.2.10');
  const mail = await lookup({ name: 'example.test', type: 'MX', server: ns, port: lab.port });
  const mxData = mail.answer.map((r) => r.rdata).find((r) => r.type === 'MX');
  assert.ok(mxData && mxData.type === 'MX' && mxData.exchange.endsWith('example.test.'));

  // dig +trace
  const hops = await trace('www.example.test', typeCode('A'), { start: { address: lab.dns.addresses.root, port: lab.port }, port: lab.port });
  assert.equal(hops.status, 'OK');

  // cert-check: a good chain and an expired one, with the lab's CA
  const ca = readFileSync(lab.tls.caFile, 'utf8');
  const caseOf = (name: string) => {
    const c = lab.tls.cases.find((x) => x.name === name);
    assert.ok(c, name);
    return c;
  };
  for (const [name, expected] of [['good', 'OK'], ['expired', 'CRITICAL']] as const) {
    const c = caseOf(name);
    const cert: CertCheckResult = await checkCertificate({ server: { host: c.servername, port: c.port }, connectTo: c.address, trust: { ca: [ca], systemRoots: false } });
    assert.equal(cert.status, expected, `${name}: ${JSON.stringify(cert.problems)}`);
    if (expected === 'CRITICAL') assert.ok(cert.problems.some((p) => p.code === 'EXPIRED'));
  }

  // trace-request: the far origin against the near edge
  const timing: TraceRequestResult = await traceRequest({
    url: `https://www.example.test:${lab.http.httpsPort}/`, origin: lab.http.far.address, cdn: lab.http.near.address, ca: [ca],
  });
  assert.equal(timing.status, 'OK', JSON.stringify(timing.problems));
  assert.equal(timing.paths.length, 2);
  for (const p of timing.paths) assert.equal(typeof p.phases?.totalMs, 'number');

  // lb-probe: a 3:1:1 VIP
  const vip = lab.lb.vip('wrr');
  const backends = lab.lb.backendTargets('wrr', 'http').map((t) => {
    const i = t.lastIndexOf(':');
    return { address: t.slice(0, i), port: Number(t.slice(i + 1)) };
  });
  const split: LbProbeReport = await probeLoadBalancer({ vip: { address: vip.address, port: vip.httpPort }, backends, weights: [3, 1, 1], requests: 100 });
  assert.equal(split.status, 'OK', JSON.stringify(split.problems));

  // hosts2zone: the zone text, nothing written; then the lab's server checked against hosts lines
  const hosts = '192.0.2.10 www.example.test\n2001:db8::10 www.example.test\n';
  const zone: HostsToZoneResult = await hostsToZone([{ name: 'hosts', chunks: Readable.from([hosts]) }], { origin: 'example.test' });
  const text = zone.zones[0]?.text;
  assert.ok(text);
  assert.ok(parseMasterText(text).records.some((r) => r.type === 'A' && r.data === '192.0.2.10'));
  const read = await readHostsZone([{ name: 'hosts', chunks: Readable.from([hosts]) }], { origin: 'example.test' });
  const verified = await verifyZone(read, { server: { address: ns, port: lab.port } });
  assert.equal(verified.status, 'OK', JSON.stringify(verified.problems));
} finally {
  await lab.close();
}
process.stdout.write('consumer example: every job done, every result as expected\n');
