/**
 * Output that cannot be written is an error, never a silent success; input files are read
 * with a bound; with --json every run, an error included, prints one JSON document.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { BIN, runCli } from '../helpers/cli.js';
import { goodReply, startHostile } from '../helpers/hostile.js';

/** Run the binary with stdout on /dev/full (ENOSPC on every write). */
function runToFull(args: string[], input = ''): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const full = openSync('/dev/full', 'w');
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['pipe', full, 'pipe'] });
    closeSync(full);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`netlab ${args.join(' ')} > /dev/full did not finish`));
    }, 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
    child.stdin!.end(input);
  });
}

const haveDevFull = existsSync('/dev/full');

// issue 9.5: `hosts2zone ... > /dev/full` exited 13 with no message, trace-request --json exited 0
test('a write error on stdout is one line on stderr and exit 3, for every subcommand', { skip: haveDevFull ? false : 'no /dev/full here' }, async () => {
  const server = await startHostile({ udp: (q) => [{ bytes: goodReply(q) }] });
  try {
    const runs: Array<[string, string[], string?]> = [
      ['dig', ['dig', `@${server.address}`, '-p', String(server.port), 'www.example.test']],
      ['dig --json', ['dig', `@${server.address}`, '-p', String(server.port), 'www.example.test', '--json']],
      ['hosts2zone', ['hosts2zone', '-', '--origin', 'example.test'], '192.0.2.1 www\n'],
      ['hosts2zone --json', ['hosts2zone', '-', '--origin', 'example.test', '--json'], '192.0.2.1 www\n'],
      ['cert-check (usage error, --json)', ['cert-check', '--json']],
      ['trace-request (usage error, --json)', ['trace-request', '--json']],
    ];
    // the runs are independent: at once (the suite's time is spawns)
    const results = await Promise.all(runs.map(([, args, input]) => runToFull(args, input)));
    for (const [i, [what]] of runs.entries()) {
      const r = results[i]!;
      assert.equal(r.code, 3, `${what}: ${r.stderr}`);
      assert.match(r.stderr, /cannot write the output: no space left on the device$/m, what);
      assert.doesNotMatch(r.stderr, /\n\s+at /, `${what}: no stack trace`);
    }
  } finally {
    await server.close();
  }
});

test('a reader that goes away (EPIPE) stays quiet', async () => {
  const server = await startHostile({ udp: (q) => [{ bytes: goodReply(q) }] });
  try {
    // asynchronously: a synchronous spawn blocked this process, and with it the server, so dig
    // waited out its three 5 s tries before it had an answer to write
    const { stdout } = await promisify(execFile)('sh', ['-c', `"${process.execPath}" "${BIN}" dig @${server.address} -p ${server.port} www.example.test | head -c 1 >/dev/null; echo "$?"`], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(stdout.trim(), '0');
    // a zone far larger than a pipe's buffer: the writes after head left do meet EPIPE
    const dir = mkdtempSync(join(tmpdir(), 'netlab-epipe-'));
    try {
      const hosts = join(dir, 'hosts');
      writeFileSync(hosts, Array.from({ length: 20_000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1 host${i}`).join('\n'));
      const zone = await promisify(execFile)('sh', ['-c', `"${process.execPath}" "${BIN}" hosts2zone "${hosts}" --origin example.test 2>"${dir}/err" | head -c 1 >/dev/null; echo "$?"; cat "${dir}/err"`], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(zone.stdout.split('\n')[0], '0', zone.stdout);
      assert.doesNotMatch(zone.stdout, /cannot write|EPIPE|internal error/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await server.close();
  }
});

// issue 9.8: `dig -f /dev/zero` stopped at 600 MB with "Invalid string length"; --ca /dev/zero grew to 16 GB
test('input files are read with a bound: /dev/zero is one line and exit 3', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['dig', '-f', '/dev/zero'], /^netlab dig: couldn't open batch file '\/dev\/zero': larger than 64 MiB \(netlab's limit for this file\)$/m],
    [['cert-check', '--file', '/dev/zero'], /^netlab cert-check: cannot read '\/dev\/zero': larger than 16 MiB/m],
    [['cert-check', '127.0.0.1:1', '--ca', '/dev/zero'], /^netlab cert-check: cannot read CA file '\/dev\/zero': larger than 16 MiB/m],
    [['trace-request', 'https://www.example.test/', '--ca', '/dev/zero'], /^netlab trace-request: --ca \/dev\/zero: larger than 16 MiB/m],
  ];
  const results = await Promise.all(cases.map(([args]) => runCli(args, { timeoutMs: 30_000 })));
  for (const [i, [args, message]] of cases.entries()) {
    const r = results[i]!;
    assert.equal(r.code, 3, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
});

test('a FIFO nobody writes to, given as an input file, does not hang', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-fifo-'));
  const fifo = join(dir, 'fifo');
  try {
    execFileSync('mkfifo', [fifo]);
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  try {
    const [dig, cert] = await Promise.all([runCli(['dig', '-f', fifo], { timeoutMs: 20_000 }), runCli(['cert-check', '--file', fifo], { timeoutMs: 20_000 })]);
    assert.equal(dig.code, 3, dig.stderr);
    assert.match(dig.stderr, /no queries/);
    assert.equal(cert.code, 3, cert.stderr);
    assert.match(cert.stderr, /holds no PEM certificate/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with --json a usage error is one JSON document on stdout too', async () => {
  const runs = [['cert-check', '--json'], ['cert-check', '--json', '--no-such-option'], ['dig', '--json', '+nosuchoption'], ['lb-probe', '--json']];
  const results = await Promise.all(runs.map((args) => runCli(args)));
  for (const [i, args] of runs.entries()) {
    const r = results[i]!;
    assert.equal(r.code, 3, `${args.join(' ')}: ${r.stderr}`);
    const doc = JSON.parse(r.stdout) as { status: string; error: { code: string; message: string } };
    assert.equal(doc.status, 'UNKNOWN');
    assert.equal(doc.error.code, 'USAGE');
    assert.ok(doc.error.message.length > 0);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});

// issue 9.11: `--timeout 0.0001` rounded to 0 ms (lb-probe, trace-request) or 0.1 ms (cert-check)
test('every subcommand refuses a timeout under 1 ms before doing anything', async () => {
  // the parse path of the command line, in process: nothing is connected to
  const { COMMANDS } = await import('../../src/commands/registry.js');
  const { parseArgv } = await import('../../src/commands/command.js');
  const { NetlabError } = await import('../../src/errors.js');
  for (const args of [
    ['cert-check', '127.0.0.1:1', '--timeout', '0.0001'],
    ['trace-request', 'http://127.0.0.1:1/', '--timeout', '0.0001'],
    ['lb-probe', '127.0.0.1:1', '--timeout', '0.0001'],
    ['hosts2zone', '-', '--origin', 'example.test', '--verify', '127.0.0.1:1', '--timeout', '0.0001'],
  ] as const) {
    const { command } = await COMMANDS[args[0]].load();
    await assert.rejects(parseArgv(command, args.slice(1)), (e: unknown) => e instanceof NetlabError && e.code === 'USAGE' && /--timeout 0\.0001 is under 1 ms/.test(e.message), args.join(' '));
  }
  // and once through the binary: exit 3, one line
  const r = await runCli(['lb-probe', '127.0.0.1:1', '--timeout', '0.0001']);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /^netlab lb-probe: --timeout 0\.0001 is under 1 ms/);
});
