/**
 * issue 14: netlab dig's DoT and DoH against BIND 9.18 named serving nl.test over Do53, DoT,
 * DoH (HTTP/2 over TLS) and DoH over h2c (RECIPES.md section 1), on its own loopback address
 * 127.81.0.1 (named listens only on addresses of an interface: the test adds the alias, as
 * root, and removes it). The certificate comes from a lab CA made here. The same queries
 * through netlab +tls, +https, +https-get, +http-plain(-get), BIND dig +tls/+https and kdig
 * +tls/+https must give the same answer records; a wrong CA or name is exit 2 in one line; a
 * -f batch over DoT uses one connection (named's statistics channel counts TLS accepts).
 * Needs named, dig, kdig (Debian: bind9, bind9-dnsutils, knot-dnsutils), ip, and root.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLabPki, DAY_MS, issueLeaf } from '../../src/lab/tls/ca.js';
import { runCli } from '../helpers/cli.js';
import { run, which } from '../helpers/tools.js';

const ADDR = '127.81.0.1';
const NAMED = which('named');
const DIG = which('dig');
const KDIG = which('kdig');
const IP = which('ip');
const missing = [['named', NAMED], ['dig', DIG], ['kdig', KDIG], ['ip', IP]].filter(([, p]) => !p).map(([n]) => n);
const skip = missing.length > 0
  ? `needs ${missing.join(', ')} (Debian: bind9, bind9-dnsutils, knot-dnsutils, iproute2)`
  : process.getuid?.() !== 0 ? 'needs root: named listens only on an interface address, and the test adds 127.81.0.1 to lo' : false;

const PORTS = { do53: 53, dot: 853, doh: 443, h2c: 8053, stats: 8081 };
let dir = '';
let named: ChildProcess | undefined;
let namedLog = '';
let addedAlias = false;
let failure = '';

const ZONE = `$TTL 300
@       IN SOA  ns1.nl.test. hostmaster.nl.test. ( 2024010101 3600 600 86400 300 )
        IN NS   ns1.nl.test.
ns1     IN A    ${ADDR}
www     IN A    192.0.2.10
www     IN AAAA 2001:db8::10
api     IN CNAME www
@       IN TXT  "netlab test zone"
@       IN MX   10 mail.nl.test.
mail    IN A    192.0.2.25
`;

before(async () => {
  if (skip) return;
  const lo = await run(IP!, ['-4', 'addr', 'show', 'dev', 'lo']);
  if (!lo.stdout.includes(`inet ${ADDR}/`)) {
    const r = await run(IP!, ['addr', 'add', `${ADDR}/32`, 'dev', 'lo']);
    if (r.code !== 0) {
      failure = `ip addr add ${ADDR}/32 dev lo failed: ${r.stderr}`;
      return;
    }
    addedAlias = true;
  }
  dir = mkdtempSync(join(tmpdir(), 'netlab-named-dot-'));
  const pki = await createLabPki(new Date());
  const t = Date.now();
  const leaf = await issueLeaf(pki.intermediate, { dnsNames: ['dns.nl.test'], ipAddresses: [ADDR], notBefore: new Date(t - DAY_MS), notAfter: new Date(t + 30 * DAY_MS) });
  writeFileSync(join(dir, 'server.crt'), leaf.certPem + pki.intermediate.certPem);
  writeFileSync(join(dir, 'server.key'), leaf.keyPem);
  writeFileSync(join(dir, 'ca.crt'), pki.root.certPem);
  writeFileSync(join(dir, 'other-ca.crt'), pki.untrustedRoot.certPem);
  writeFileSync(join(dir, 'nl.test.db'), ZONE);
  writeFileSync(join(dir, 'names.txt'), Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? 'www.nl.test' : i % 3 === 1 ? 'api.nl.test' : `n${i}.nl.test`)).join('\n'));
  writeFileSync(join(dir, 'named.conf'), `options {
  directory "${dir}"; pid-file "${dir}/named.pid"; session-keyfile "${dir}/session.key";
  listen-on port ${PORTS.do53} { ${ADDR}; };
  listen-on port ${PORTS.dot} tls local-tls { ${ADDR}; };
  listen-on port ${PORTS.doh} tls local-tls http local-http { ${ADDR}; };
  listen-on port ${PORTS.h2c} tls none http local-http { ${ADDR}; };
  listen-on-v6 { none; };
  recursion no; allow-query { any; }; dnssec-validation no;
  automatic-interface-scan no; interface-interval 0;
};
controls { };
statistics-channels { inet ${ADDR} port ${PORTS.stats} allow { 127.0.0.0/8; }; };
tls local-tls { key-file "${dir}/server.key"; cert-file "${dir}/server.crt"; };
http local-http { endpoints { "/dns-query"; }; };
zone "nl.test" { type primary; file "${dir}/nl.test.db"; };
`);
  named = spawn(NAMED!, ['-g', '-4', '-c', join(dir, 'named.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let exited = false;
  named.on('exit', () => (exited = true));
  const keep = (d: string) => {
    if (namedLog.length < 200_000) namedLog += d;
  };
  named.stdout?.setEncoding('utf8').on('data', keep);
  named.stderr?.setEncoding('utf8').on('data', keep);
  for (let i = 0; i < 100 && !exited && !(/all zones loaded/.test(namedLog) && /running/.test(namedLog)); i++) await new Promise((r) => setTimeout(r, 100));
  if (exited || !/running/.test(namedLog)) failure = `named did not start:\n${namedLog.slice(-3000)}`;
});

after(async () => {
  if (named && named.exitCode === null) {
    const gone = new Promise((r) => named!.on('exit', r));
    named.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
    if (named.exitCode === null) named.kill('SIGKILL');
  }
  if (addedAlias) await run(IP!, ['addr', 'del', `${ADDR}/32`, 'dev', 'lo']);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ca = () => join(dir, 'ca.crt');

/** The answer section's records of dig-style text (netlab, BIND dig, kdig), as `name ttl class type data`, whitespace collapsed. */
function answers(text: string): string[] {
  const out: string[] = [];
  let inAnswer = false;
  for (const line of text.split('\n')) {
    if (/^;; ANSWER SECTION:/.test(line)) inAnswer = true;
    else if (inAnswer && (line.trim() === '' || line.startsWith(';;'))) inAnswer = false;
    else if (inAnswer) out.push(line.trim().split(/\s+/).join(' '));
  }
  return out;
}

test('DoT and DoH: netlab gives the answer records of BIND dig and kdig; the SERVER line names the transport as dig does', { skip }, async () => {
  assert.equal(failure, '', failure);
  const queries: Array<[string, string]> = [['www.nl.test', 'A'], ['www.nl.test', 'AAAA'], ['api.nl.test', 'A'], ['nl.test', 'MX'], ['nl.test', 'TXT']];
  const verify = [`+tls-ca=${ca()}`, '+tls-hostname=dns.nl.test'];
  for (const [name, type] of queries) {
    const bindTls = await run(DIG!, [`@${ADDR}`, '+tls', ...verify, name, type]);
    const bindHttps = await run(DIG!, [`@${ADDR}`, '+https', ...verify, name, type]);
    const kdigTls = await run(KDIG!, [`@${ADDR}`, '+tls', ...verify, name, type]);
    const kdigHttps = await run(KDIG!, [`@${ADDR}`, '+https', ...verify, name, type]);
    const want = answers(bindTls.stdout);
    assert.ok(want.length > 0, `BIND dig +tls ${name} ${type}: ${bindTls.stdout}${bindTls.stderr}`);
    assert.deepEqual(answers(bindHttps.stdout), want, `BIND dig +https ${name} ${type}`);
    assert.deepEqual(answers(kdigTls.stdout), want, `kdig +tls ${name} ${type}: ${kdigTls.stdout}`);
    assert.deepEqual(answers(kdigHttps.stdout), want, `kdig +https ${name} ${type}`);
    for (const flags of [['+tls', ...verify], ['+https', ...verify], ['+https-get', ...verify], ['+tls'], ['+https'], ['-p', String(PORTS.h2c), '+http-plain'], ['-p', String(PORTS.h2c), '+http-plain-get']]) {
      const ours = await runCli(['dig', `@${ADDR}`, ...flags, name, type]);
      assert.equal(ours.code, 0, `netlab dig ${flags.join(' ')} ${name} ${type}: ${ours.stdout}${ours.stderr}`);
      assert.deepEqual(answers(ours.stdout), want, `netlab dig ${flags.join(' ')} ${name} ${type}`);
    }
  }
  // the footer: BIND dig's own wording for each transport
  const serverLine = (text: string) => /^;; SERVER: .*$/m.exec(text)?.[0];
  for (const [flags, port] of [[['+tls'], PORTS.dot], [['+https'], PORTS.doh], [['+http-plain'], PORTS.h2c]] as const) {
    const extra = port === PORTS.h2c ? ['-p', String(port)] : [];
    const bind = serverLine((await run(DIG!, [`@${ADDR}`, ...extra, ...flags, 'www.nl.test'])).stdout);
    const ours = serverLine((await runCli(['dig', `@${ADDR}`, ...extra, ...flags, 'www.nl.test'])).stdout);
    assert.ok(bind, `BIND dig ${flags.join(' ')} printed no SERVER line`);
    assert.equal(ours, bind);
  }
});

test('a certificate from another CA, or a wrong +tls-hostname: exit 2 and one line, where kdig fails too', { skip }, async () => {
  assert.equal(failure, '', failure);
  const kdig = await run(KDIG!, [`@${ADDR}`, `+tls-ca=${join(dir, 'other-ca.crt')}`, '+tls-hostname=dns.nl.test', 'www.nl.test']);
  assert.notEqual(kdig.code, 0, 'kdig should refuse the certificate');
  const otherCa = await runCli(['dig', `@${ADDR}`, `+tls-ca=${join(dir, 'other-ca.crt')}`, 'www.nl.test']);
  assert.equal(otherCa.code, 2);
  assert.match(otherCa.stdout, new RegExp(`\\n;; TLS certificate of ${ADDR.replace(/\./g, '\\.')}#853 not verified for ${ADDR.replace(/\./g, '\\.')}: [^\\n]+\\n$`));
  const wrongName = await runCli(['dig', `@${ADDR}`, '+https', `+tls-ca=${ca()}`, '+tls-hostname=wrong.example', 'www.nl.test']);
  assert.equal(wrongName.code, 2);
  assert.match(wrongName.stdout, /\n;; TLS certificate of 127\.81\.0\.1#443 not verified for wrong\.example: hostname mismatch \([^\n]+\)\n$/);
});

test('a -f batch over DoT uses one TLS connection (named\'s statistics)', { skip }, async () => {
  assert.equal(failure, '', failure);
  const accepts = async (): Promise<number> => {
    const r = await run(which('curl') ?? '/usr/bin/curl', ['-sS', `http://${ADDR}:${PORTS.stats}/json/v1/net`]);
    const json = JSON.parse(r.stdout) as { sockstats?: Record<string, number> };
    // named 9.18 counts TLS (DoT and DoH) connections among the TCP accepts of the listening socket
    return json.sockstats?.TCP4Accept ?? 0;
  };
  // each read of the statistics is an accepted TCP connection itself: measure what one read adds
  const first = await accepts();
  const before = await accepts();
  const readCost = before - first;
  assert.equal(readCost, 1, 'one accept per statistics read');
  const r = await runCli(['dig', `@${ADDR}`, '+tls', `+tls-ca=${ca()}`, '-f', join(dir, 'names.txt'), '+short']);
  assert.equal(r.code, 2, r.stderr); // the n*.nl.test names are NXDOMAIN
  assert.equal(r.stdout, '192.0.2.10\nwww.nl.test.\n192.0.2.10\n'.repeat(10));
  const after = await accepts();
  assert.equal(after - before - readCost, 1, 'one connection for the batch');
});
