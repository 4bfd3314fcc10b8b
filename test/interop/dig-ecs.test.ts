/**
 * issue 14: EDNS Client Subnet and cookies against the real tools. kdig (knot-dnsutils) and
 * BIND dig with `+subnet=` against the lab's GSLB (127.53.3.1) get the same edge and the same
 * CLIENT-SUBNET (address/source/scope) as netlab dig; BIND dig `+cookie` and netlab dig against
 * BIND named both get a server cookie back, called good. named listens on 127.83.0.1 (aliased
 * on lo when this runs as root, else 127.0.0.1). unbound on 127.83.0.2, a resolver that forwards ECS
 * (subnetcache), is the LocalDNS of the HttpDNS lesson. Each part skips, saying why, when its tool is
 * absent. Also: `apt-get install -y knot-dnsutils unbound` (.ci/run does).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '../../src/lab/index.js';
import { GSLB_ADDRESS } from '../../src/lab/dns/gslb.js';
import { runCli } from '../helpers/cli.js';
import { run, which } from '../helpers/tools.js';
import { freeDnsPort, NAMED_ADDR, startNamed, type Named } from '../helpers/named.js';
import { spawn, type ChildProcess } from 'node:child_process';

const DIG = which('dig');
const KDIG = which('kdig');
const NAMED = which('named');
const UNBOUND = which('unbound');
const PEER_ADDR = '127.83.0.1';
/** unbound, a resolver that forwards ECS (its subnetcache module), as the LocalDNS of the HttpDNS lesson. */
const RESOLVER_ADDR = '127.83.0.2';

let lab: Lab | undefined;
let named: Named | undefined;
let namedAddr = NAMED_ADDR;
let namedFailure = '';
let dir = '';

let unbound: { child: ChildProcess; port: number; log: () => string } | undefined;
let unboundFailure = '';

/** Put an address on lo (named and unbound bind only interface addresses); false when it cannot. */
function aliasPeer(address = PEER_ADDR): boolean {
  try {
    execFileSync(which('ip') ?? '/usr/sbin/ip', ['addr', 'replace', `${address}/32`, 'dev', 'lo'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

before(async () => {
  if (DIG || KDIG) lab = await startLab({ port: 0 });
  if (DIG && NAMED) {
    dir = mkdtempSync(join(tmpdir(), 'netlab-named-ecs-'));
    writeFileSync(join(dir, 'db.ecs.test'), '$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 900 604800 300\n@ IN NS ns1\nns1 IN A 127.83.0.1\nwww IN A 192.0.2.80\n');
    if (aliasPeer()) namedAddr = PEER_ADDR;
    const started = await startNamed({ named: NAMED, dir, address: namedAddr, zones: () => `zone "ecs.test" { type primary; file "${dir}/db.ecs.test"; };` });
    if ('failure' in started) namedFailure = started.failure;
    else named = started;
  }
  if (UNBOUND && lab) {
    if (!aliasPeer(RESOLVER_ADDR)) unboundFailure = `cannot put ${RESOLVER_ADDR} on lo (not root?)`;
    else unbound = await startUnbound(lab.port).catch((e: Error) => {
      unboundFailure = e.message;
      return undefined;
    });
  }
});

/** unbound in the foreground on RESOLVER_ADDR, stub for gslb.test. to the lab's GSLB, sending it ECS; ready when it answers (5 s at most). */
async function startUnbound(labPort: number): Promise<{ child: ChildProcess; port: number; log: () => string }> {
  const udir = mkdtempSync(join(tmpdir(), 'netlab-unbound-'));
  const port = await freeDnsPort(RESOLVER_ADDR);
  writeFileSync(join(udir, 'unbound.conf'), `server:
    interface: ${RESOLVER_ADDR}@${port}
    port: ${port}
    do-ip6: no
    username: ""
    chroot: ""
    directory: "${udir}"
    pidfile: "${udir}/unbound.pid"
    use-syslog: no
    logfile: ""
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: no
    # unbound answers test. itself (RFC 6761) unless told not to
    local-zone: "test." nodefault
    module-config: "subnetcache iterator"
    send-client-subnet: ${GSLB_ADDRESS}
    client-subnet-always-forward: yes
stub-zone:
    name: "gslb.test"
    stub-addr: ${GSLB_ADDRESS}@${labPort}
remote-control:
    control-enable: no
`);
  const child = spawn(UNBOUND!, ['-d', '-c', join(udir, 'unbound.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (log += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
  child.on('exit', () => rmSync(udir, { recursive: true, force: true }));
  for (let i = 0; i < 50; i++) {
    const r = await runCli(['dig', `@${RESOLVER_ADDR}`, '-p', String(port), 'gslb.test', 'SOA', '+short', '+time=1', '+tries=1']);
    if (r.code === 0 && r.stdout.includes('hostmaster')) return { child, port, log: () => log };
    if (child.exitCode !== null) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`unbound did not answer within 5 s:\n${log.slice(-1500)}`);
}

after(async () => {
  if (unbound && unbound.child.exitCode === null) {
    const gone = new Promise((r) => unbound!.child.once('exit', r));
    unbound.child.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
  }
  await named?.stop();
  await lab?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The A data and the CLIENT-SUBNET text of one answer, from dig's, kdig's or netlab's text. */
function parse(text: string): { edge: string[]; ecs: string[] } {
  return {
    edge: [...text.matchAll(/^www\.gslb\.test\.\s+\d+\s+IN\s+A\s+(\S+)$/gm)].map((m) => m[1]!),
    ecs: [...text.matchAll(/^;;? CLIENT-SUBNET: (\S+)$/gm)].map((m) => m[1]!),
  };
}

const normalise = (t: string) => t
  .replace(/^; <<>> .* <<>> /m, '; <<>> DIG <<>> ')
  .replace(/id: \d+/, 'id: ID')
  .replace(/; COOKIE: [0-9a-f]+/, '; COOKIE: HEX')
  .replace(/Query time: \d+ msec/, 'Query time: T msec')
  .replace(/WHEN: .*/, 'WHEN: DATE');

const SUBNETS = ['198.51.100.0/24', '198.51.100.77', '203.0.113.0/24', '2001:db8:100::/48', '2001:db8:113:7::/64', '192.0.2.0/24', '198.51.0.0/16', '0.0.0.0/0'];

async function compareWith(tool: string, extra: string[]): Promise<void> {
  const port = String(lab!.port);
  for (const subnet of SUBNETS) {
    const theirs = await run(tool, [`@${GSLB_ADDRESS}`, '-p', port, 'www.gslb.test', 'A', `+subnet=${subnet}`, ...extra]);
    const ours = await runCli(['dig', `@${GSLB_ADDRESS}`, '-p', port, 'www.gslb.test', 'A', `+subnet=${subnet}`]);
    assert.equal(ours.code, 0, ours.stderr);
    const a = parse(theirs.stdout);
    const b = parse(ours.stdout);
    assert.equal(a.edge.length, 1, `${tool} +subnet=${subnet}:\n${theirs.stdout}${theirs.stderr}`);
    assert.deepEqual(b, a, `+subnet=${subnet}`);
  }
}

test('kdig +subnet= against the lab GSLB: the same edge and the same CLIENT-SUBNET (scope included) as netlab dig', { skip: KDIG ? false : 'kdig is not installed (apt-get install knot-dnsutils)' }, async () => {
  await compareWith(KDIG!, []);
});

test('BIND dig +subnet= against the lab GSLB: the same edge and the same CLIENT-SUBNET as netlab dig', { skip: DIG ? false : 'dig is not installed (apt-get install bind9-dnsutils)' }, async () => {
  await compareWith(DIG!, []);
});

test('BIND dig and netlab dig against the lab GSLB: both send a cookie by default, both get a good server cookie, the same full layout', { skip: DIG ? false : 'dig is not installed' }, async () => {
  const port = String(lab!.port);
  const theirs = await run(DIG!, [`@${GSLB_ADDRESS}`, '-p', port, 'www.gslb.test']);
  const ours = await runCli(['dig', `@${GSLB_ADDRESS}`, '-p', port, 'www.gslb.test']);
  for (const text of [theirs.stdout, ours.stdout]) assert.match(text, /^; COOKIE: [0-9a-f]{48} \(good\)$/m);
  // and the whole layout with a client subnet is dig's (the cookie values, id, time and date aside)
  const args = [`@${GSLB_ADDRESS}`, '-p', port, 'www.gslb.test', '+subnet=203.0.113.0/24'];
  assert.equal(normalise((await runCli(['dig', ...args])).stdout), normalise((await run(DIG!, args)).stdout));
});

test('BIND dig +cookie and netlab dig against named: both get a server cookie, called good; +cookie=HEX is echoed; the same full layout with +subnet', { skip: DIG && NAMED ? false : 'dig or named is not installed (apt-get install bind9 bind9-dnsutils)' }, async () => {
  assert.ok(named, `named did not start:\n${namedFailure}`);
  const server = [`@${namedAddr}`, '-p', String(named.port), 'www.ecs.test'];
  const theirs = await run(DIG!, [...server, '+cookie']);
  const ours = await runCli(['dig', ...server, '+cookie']);
  assert.equal(ours.code, 0, ours.stderr);
  const cookie = /^; COOKIE: ([0-9a-f]{16})([0-9a-f]{16,64}) \(good\)$/m;
  assert.match(theirs.stdout, cookie, theirs.stdout);
  assert.match(ours.stdout, cookie, ours.stdout);
  // a given client cookie comes back at the head of named's answer, to both tools
  const given = '0102030405060708';
  for (const out of [(await run(DIG!, [...server, `+cookie=${given}`])).stdout, (await runCli(['dig', ...server, `+cookie=${given}`])).stdout]) {
    assert.match(out, new RegExp(`^; COOKIE: ${given}[0-9a-f]{32} \\(good\\)$`, 'm'));
  }
  // with the default cookie on both sides, the whole layout against named is dig's (cookie values aside)
  assert.equal(normalise((await runCli(['dig', ...server, '+subnet=198.51.100.7/24'])).stdout), normalise((await run(DIG!, [...server, '+subnet=198.51.100.7/24'])).stdout));
  // named's ECS echo (RFC 7871 as an authoritative that does not tailor): scope 0, to both
  const a = parse((await run(DIG!, [...server, '+subnet=198.51.100.7/24'])).stdout.replace(/^www\.ecs/m, 'www.gslb'));
  const b = parse((await runCli(['dig', ...server, '+subnet=198.51.100.7/24'])).stdout.replace(/^www\.ecs/m, 'www.gslb'));
  assert.deepEqual(b, a);
  assert.deepEqual(a.ecs, ['198.51.100.0/24/0']);
});

test('the HttpDNS lesson through a real LocalDNS: unbound forwards the client subnet to the GSLB (netlab and kdig agree), or its own view of the client', { skip: UNBOUND && (DIG || KDIG) ? false : 'unbound is not installed (apt-get install unbound)' }, async () => {
  assert.ok(unbound, `unbound did not start: ${unboundFailure}`);
  const at = [`@${RESOLVER_ADDR}`, '-p', String(unbound.port)];
  // with the client's subnet, as HttpDNS and DoH providers pass it: the client's own edge, with the GSLB's scope
  for (const [subnet, edge] of [['198.51.100.0/24', '127.55.0.4'], ['203.0.113.0/24', '127.55.0.3']] as const) {
    const ours = parse((await runCli(['dig', ...at, 'www.gslb.test', `+subnet=${subnet}`])).stdout);
    assert.deepEqual(ours, { edge: [edge], ecs: [`${subnet}/24`] }, `${subnet}${unbound.log().slice(-800)}`);
    if (KDIG) assert.deepEqual(parse((await run(KDIG, [...at, 'www.gslb.test', `+subnet=${subnet}`])).stdout), ours, `kdig ${subnet}`);
  }
  // without it, the resolver sends what it knows, the client's source /24 (RFC 7871 11.1): the default edge
  const plain = await runCli(['dig', ...at, 'where.gslb.test', 'TXT', '+short']);
  assert.equal(plain.stdout, `"default" "edge 127.55.0.2" "by client subnet ${RESOLVER_ADDR.replace(/\.\d+$/, '.0')}/24" "scope /1"\n`, unbound.log().slice(-800));
});
