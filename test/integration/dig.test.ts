import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, type Lab } from '../../src/lab/index.js';
import { runCli } from '../helpers/cli.js';

let lab: Lab;
let ns: string[];
before(async () => {
  lab = await startLab({ port: 0 });
  ns = ['dig', `@${lab.dns.addresses.ns1Example}`, '-p', String(lab.port)];
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
  const r = await runCli([...ns, 'huge.example.test', 'AAAA']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /;; Truncated, retrying in TCP mode\./);
  assert.match(r.stdout, /ANSWER: 80,/);
  assert.match(r.stdout, /\(TCP\)/);
});
