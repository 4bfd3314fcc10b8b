/**
 * netlab dig against the lab's DNS servers (started once): the case matrix runs in this
 * process (test/helpers/dig.ts: parseArgv and the command's run, as src/cli.ts does); a few
 * tests spawn the binary for what a user sees of it: exit 0 and 2, the layout, --json, +short.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsLab, type DnsLab } from '../../src/lab/dns/index.js';
import { lookup } from '../../src/protocol/dns/lookup.js';
import { runCli } from '../helpers/cli.js';
import { digHere } from '../helpers/dig.js';

let lab: DnsLab;
let ns: string[];
/** The same server for digHere, which takes the arguments after `dig`. */
let here: string[];
before(async () => {
  lab = await startDnsLab({ port: 0 });
  here = [`@${lab.addresses.ns1Example}`, '-p', String(lab.port)];
  ns = ['dig', ...here];
});
after(async () => {
  await lab.close();
});

test('plain query prints the dig layout and exits 0', async () => {
  const r = await runCli([...ns, 'www.example.test']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: \d+/);
  assert.match(r.stdout, /;; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1/);
  assert.match(r.stdout, /;; OPT PSEUDOSECTION:\n; EDNS: version: 0, flags:; udp: 1232/);
  assert.match(r.stdout, /;; QUESTION SECTION:\n;www\.example\.test\.\t\tIN\tA\n/);
  assert.match(r.stdout, /;; ANSWER SECTION:\nwww\.example\.test\.\t300\tIN\tA\t192\.0\.2\.10\n/);
  assert.match(r.stdout, /;; SERVER: 127\.53\.0\.3#\d+\(127\.53\.0\.3\) \(UDP\)/);
  assert.match(r.stdout, /;; MSG SIZE {2}rcvd: \d+/);
});

test('NXDOMAIN exits 2 and shows the SOA in AUTHORITY', async () => {
  const r = await runCli([...ns, 'nope.example.test']);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /status: NXDOMAIN/);
  assert.match(r.stdout, /;; AUTHORITY SECTION:\nexample\.test\.\t\t3600\tIN\tSOA\tns1\.example\.test\. hostmaster\.example\.test\. 2026112301 3600 900 604800 300/);
});

test('a truncated UDP answer is retried over TCP', async () => {
  const r = await digHere([...here, 'huge.example.test', 'AAAA']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /;; Truncated, retrying in TCP mode\./);
  assert.match(r.stdout, /ANSWER: 80,/);
  assert.match(r.stdout, /\(TCP\)/);
});

test('every lab record type is printed in presentation format', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['www.example.test', 'AAAA'], /\tAAAA\t2001:db8::10$/m],
    [['example.test', 'MX'], /\tMX\t10 mail\.example\.test\.$/m],
    [['txt.example.test', 'TXT'], /\tTXT\t"hello world" "she said \\"hi\\"" "semi;colon and back\\\\slash" "tab\\009here"$/m],
    [['_sip._tcp.example.test', 'SRV'], /\tSRV\t10 60 5060 sip\.example\.test\.$/m],
    [['example.test', 'CAA'], /\tCAA\t0 issue "letsencrypt\.org"$/m],
    [['example.test', 'HTTPS'], /\tHTTPS\t1 \. alpn="h2,h3" ipv4hint=192\.0\.2\.10 ipv6hint=2001:db8::10$/m],
    [['_dns.example.test', 'SVCB'], /\tSVCB\t1 dns\.example\.test\. alpn="dot" port=853$/m],
    [['_http._tcp.example.test', 'URI'], /\tURI\t10 1 "https:\/\/www\.example\.test\/"$/m],
    [['unknown.example.test', 'TYPE65534'], /\tTYPE65534 \\# 4 0A000001$/m],
    [['host.example.test', 'HINFO'], /\tHINFO\t"x86-64" "Linux"$/m],
    [['example.test', 'SOA'], /\tSOA\tns1\.example\.test\. hostmaster\.example\.test\. 2026112301 3600 900 604800 300$/m],
    [['a.b.wild.example.test'], /^a\.b\.wild\.example\.test\.\t300\tIN\tA\t192\.0\.2\.99$/m],
  ];
  for (const [q, re] of cases) {
    const r = await digHere([...here, ...q, '+noall', '+answer']);
    assert.equal(r.code, 0, q.join(' '));
    assert.match(r.stdout, re, q.join(' '));
  }
});

test('+short prints each answer record data, CNAME targets included', async () => {
  const r = await runCli([...ns, 'alias.example.test', '+short']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, 'chain.example.test.\nwww.example.test.\n192.0.2.10\n');
});

test('+tcp asks over TCP from the start', async () => {
  const r = await digHere([...here, 'www.example.test', '+tcp']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /\(TCP\)/);
  assert.doesNotMatch(r.stdout, /Truncated/);
});

test('+noedns sends no OPT: 40 addresses do not fit 512 bytes and come over TCP', async () => {
  const r = await digHere([...here, 'big.example.test', '+noedns']);
  assert.equal(r.code, 0);
  assert.doesNotMatch(r.stdout, /OPT PSEUDOSECTION/);
  assert.match(r.stdout, /ANSWER: 40,/);
  assert.match(r.stdout, /Truncated, retrying in TCP mode/);
});

test('+ignore keeps the truncated UDP answer', async () => {
  const r = await digHere([...here, 'huge.example.test', 'AAAA', '+ignore']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /flags: qr aa tc rd;/);
  assert.match(r.stdout, /\(UDP\)/);
});

test('+nsid shows the server NSID in the OPT pseudosection', async () => {
  const r = await digHere([...here, 'www.example.test', '+nsid']);
  assert.match(r.stdout, /; NSID: 6e 73 31 2e 65 78 61 6d 70 6c 65 2e 74 65 73 74 \("ns1\.example\.test"\)/);
});

test('+dnssec sets DO and the server echoes it', async () => {
  const r = await digHere([...here, 'www.example.test', '+dnssec']);
  assert.match(r.stdout, /; EDNS: version: 0, flags: do; udp: 1232/);
});

test('-x v4 and v6 ask PTR under in-addr.arpa and ip6.arpa', async () => {
  const v4 = await digHere([...here, '-x', '192.0.2.25']);
  assert.equal(v4.code, 0);
  assert.match(v4.stdout, /;25\.2\.0\.192\.in-addr\.arpa\.\tIN\tPTR/);
  assert.match(v4.stdout, /\tPTR\tmail\.example\.test\.$/m);
  const v6 = await digHere([...here, '-x', '2001:db8::10', '+short']);
  assert.equal(v6.code, 0);
  assert.equal(v6.stdout, 'www.example.test.\n');
});

test('--json gives one document with the contract fields and numbers', async () => {
  const r = await runCli([...ns, 'example.test', 'MX', '--json']);
  assert.equal(r.code, 0);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(doc.query).sort(), ['class', 'name', 'port', 'server', 'serverName', 'transport', 'type']);
  assert.equal(doc.query.name, 'example.test.');
  assert.equal(doc.rcode, 'NOERROR');
  assert.ok(doc.flags.includes('aa'));
  // data: the presentation text (the contract); rdata: the typed value (issue 10.3)
  assert.deepEqual(doc.answer[0], { name: 'example.test.', type: 'MX', class: 'IN', ttl: 300, data: '10 mail.example.test.', rdata: { type: 'MX', preference: 10, exchange: 'mail.example.test.' } });
  assert.equal(doc.status, 'OK');
  assert.deepEqual(doc.problems, []);
  assert.equal(typeof doc.timeMs, 'number');
  assert.equal(typeof doc.msgSize, 'number');
  assert.ok(Array.isArray(doc.authority) && Array.isArray(doc.additional));
  assert.equal(r.stderr, '');
});

test('+json on an unreachable server still prints one JSON document, exit 2, with the problem', async () => {
  const r = await digHere(['@127.53.0.9', '-p', String(lab.port), 'www.example.test', '+json', '+time=1', '+tries=1']);
  assert.equal(r.code, 2);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.rcode, null);
  assert.match(doc.error, /connection refused/);
  assert.deepEqual(doc.problems.map((p: { code: string; severity: string }) => [p.code, p.severity]), [['UNREACHABLE', 'CRITICAL']]);
});

test('lookup() is the library call behind dig: the same DigResult, with status and problems', async () => {
  const ok = await lookup({ name: 'example.test', type: 'MX', server: lab.addresses.ns1Example, port: lab.port });
  assert.equal(ok.status, 'OK');
  assert.deepEqual(ok.answer.map((a) => a.rdata), [
    { type: 'MX', preference: 10, exchange: 'mail.example.test.' }, { type: 'MX', preference: 20, exchange: 'mail2.example.test.' },
  ]);
  assert.deepEqual(ok.query, { name: 'example.test.', type: 'MX', class: 'IN', server: lab.addresses.ns1Example, serverName: lab.addresses.ns1Example, port: lab.port, transport: 'udp' });
  const nx = await lookup({ name: 'nope.example.test', server: lab.addresses.ns1Example, port: lab.port });
  assert.equal(nx.status, 'CRITICAL');
  assert.deepEqual(nx.problems, [{ code: 'NXDOMAIN', severity: 'CRITICAL', message: 'nope.example.test. does not exist (NXDOMAIN)', subject: 'nope.example.test.' }]);
  const refused = await lookup({ name: 'www.other.invalid', server: lab.addresses.ns1Example, port: lab.port });
  assert.deepEqual(refused.problems.map((p) => p.code), ['REFUSED']);
  const dead = await lookup({ name: 'www.example.test', server: lab.addresses.silent, port: lab.port, timeoutMs: 100, tries: 1 });
  assert.deepEqual([dead.status, dead.rcode, dead.problems.map((p) => p.code)], ['CRITICAL', null, ['TIMEOUT']]);
  assert.match(dead.error!, /^communications error to 127\.53\.0\.8#\d+: timed out$/);
  // times are rounded to the microsecond in the result
  assert.equal(ok.timeMs, Math.round(ok.timeMs! * 1000) / 1000);
  // an unknown type is the caller's mistake: USAGE, not a result
  await assert.rejects(lookup({ name: 'x.test', type: 'BOGUS', server: '127.0.0.1' }), /unknown type 'BOGUS'/);
});

test('lookup() stopped by its signal: status UNKNOWN, interrupted, no problem', async () => {
  const controller = new AbortController();
  const pending = lookup({ name: 'www.example.test', server: lab.addresses.silent, port: lab.port, timeoutMs: 5000, signal: controller.signal });
  setTimeout(() => controller.abort(), 20);
  const r = await pending;
  assert.deepEqual([r.status, r.interrupted, r.error, r.problems], ['UNKNOWN', true, 'interrupted', []]);
});
