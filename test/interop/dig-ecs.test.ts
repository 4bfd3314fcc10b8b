/**
 * issue 14: EDNS Client Subnet and cookies against the real tools. kdig (knot-dnsutils) and
 * BIND dig with `+subnet=` against the lab's GSLB (127.53.3.1) get the same edge and the same
 * CLIENT-SUBNET (address/source/scope) as netlab dig; BIND dig `+cookie` and netlab dig against
 * BIND named both get a server cookie back, called good. named listens on 127.83.0.1 (aliased
 * on lo when this runs as root, else 127.0.0.1). Each part skips, saying why, when its tool is absent.
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
import { NAMED_ADDR, startNamed, type Named } from '../helpers/named.js';

const DIG = which('dig');
const KDIG = which('kdig');
const NAMED = which('named');
const PEER_ADDR = '127.83.0.1';

let lab: Lab | undefined;
let named: Named | undefined;
let namedAddr = NAMED_ADDR;
let namedFailure = '';
let dir = '';

/** Put PEER_ADDR on lo (named binds only interface addresses); false when it cannot. */
function aliasPeer(): boolean {
  try {
    execFileSync(which('ip') ?? '/usr/sbin/ip', ['addr', 'replace', `${PEER_ADDR}/32`, 'dev', 'lo'], { stdio: 'ignore', timeout: 5000 });
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
});

after(async () => {
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
