import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.js';
import { testKeySource } from '../helpers/test-keys.js';

// issue 10.7: the demo ran twice in the suite (text, then --json); once now, in process, through
// the same registry, parseArgv, run and output as the command line
test('netlab demo runs every part of the course on the lab: every step as expected, text and result', async () => {
  const { Readable } = await import('node:stream');
  const { COMMANDS } = await import('../../src/commands/registry.js');
  const { parseArgv } = await import('../../src/commands/command.js');
  const { command } = await COMMANDS.demo.load();
  const options = await parseArgv(command, []);
  let text = '';
  const result = await command.run(options, {
    signal: new AbortController().signal,
    io: { out: (c: string | Uint8Array) => void (text += String(c)), err: () => undefined, stdin: Readable.from([]) },
    version: '0.0.0-test',
    style: {},
  });
  assert.equal(result.status, 'OK', text);
  for (const part of [/== Ask the authoritative server/, /\+trace www\.example\.test/, /-x 2001:db8::10/, /;; Skipped ns1\.lame\.test\./, /demo: every step gave what it should\./, /^CHECK CRITICAL - 11 of 24 checks failed \(8 CRITICAL, 3 WARNING\)/m]) {
    assert.match(text, part);
  }
  assert.doesNotMatch(text, /^!! expected/m);
  // issue 14: the HttpDNS lesson: the default edge without the client's subnet, the north edge with it
  assert.match(text, /== HttpDNS, 1\/2.*\n\$ netlab dig @127\.53\.3\.1 .*\nwww\.gslb\.test\.\t\t60\tIN\tA\t127\.55\.0\.2\n/);
  assert.match(text, /== HttpDNS, 2\/2[^]*?; CLIENT-SUBNET: 198\.51\.100\.0\/24\/24\n[^]*?www\.gslb\.test\.\t\t60\tIN\tA\t127\.55\.0\.4\n/);
  // issue 16: the remapping lesson, both hashings recognised
  assert.match(text, /^hash-mod .*\n {2}\d+ of 100 sources .*: looks like modulo hashing/m);
  assert.match(text, /^hash-consistent .*\n {2}\d+ of 100 sources .*; 0 of the \d+ sources whose backend stayed moved \(0\.0%\): looks like consistent hashing/m);
  assert.ok(result.steps.length >= 8);
  // every part of the course has its steps, each as expected
  assert.deepEqual([...new Set(result.steps.map((s: { command: string }) => s.command.split(' ')[1]))].sort(), ['cert-check', 'check', 'dig', 'hosts2zone', 'lb-probe', 'trace-request']);
  for (const s of result.steps) assert.equal(s.status, s.expected, s.title);
});

// `netlab lab --json` (its endpoints, serving, SIGINT and exit 0) is spawned once in the suite,
// with --zone, in test/integration/hosts2zone.test.ts

// issue 10.6: `netlab lab -p PORT` on a taken port said "internal error: bind EADDRINUSE"
test('netlab lab on a taken port is one clear line and exit 3', async () => {
  const { startLab } = await import('../../src/lab/index.js');
  const lab = await startLab({ port: 0, keySource: testKeySource() });
  try {
    const r = await runCli(['lab', '-p', String(lab.port)]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, new RegExp(`^netlab lab: port ${lab.port} on 127\\.53\\.0\\.1 is already in use: choose another with --port`));
    assert.doesNotMatch(r.stderr, /internal error/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    // issue 10.6: the lab's listing was 223 columns wide whatever the terminal: it fits 60 now
    const { renderLabText } = await import('../../src/commands/lab/run.js');
    const listing = renderLabText(lab, 60).split('\n');
    const endpoints = listing.filter((l) => /^ {2}\S/.test(l) && !l.startsWith('  netlab ') && !l.startsWith('  note:'));
    assert.ok(endpoints.length > 20);
    for (const l of listing.filter((x) => !x.startsWith('  netlab ') && !x.startsWith('  note:') && !x.startsWith('netlab lab:') && !x.startsWith('TLS servers') && !x.startsWith('HTTP(S)') && !x.startsWith('Load balancing'))) {
      assert.ok(l.length <= 60, `wider than 60 columns: ${l}`);
    }
    assert.ok(renderLabText(lab).split('\n').some((l) => l.length > 100), 'without a width, one line per endpoint');
  } finally {
    await lab.close();
  }
});

// issue 9.8/9.10 (found after the merge): `lab --zone FIFO` hung forever opening the FIFO; /dev/zero grew without bound
test('netlab lab --zone /dev/zero is one line and exit 3, never a hang', async () => {
  const r = await runCli(['lab', '--port', '0', '--zone', '/dev/zero'], { timeoutMs: 30_000 });
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /^netlab lab: cannot read '\/dev\/zero': /);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});
