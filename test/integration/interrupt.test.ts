/**
 * Ctrl-C (SIGINT) on every subcommand: it stops promptly, prints what was measured so far
 * marked interrupted (one JSON document with --json), and exits 3 (shared/CONTRACT.md).
 * Each test signals only once netlab is provably under way (a hostile server saw its query),
 * so that the signal never races Node's start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, startCli, waitFor } from '../helpers/cli.js';
import { goodReply, startHostile } from '../helpers/hostile.js';
import { modes, startHostileServers, type Mode } from '../helpers/hostile-tcp.js';

/** A DNS server that answers names starting with `ok` and never answers the rest. */
async function halfSilent() {
  let silentQueries = 0;
  const server = await startHostile({
    udp: (q) => {
      const first = q.bytes.toString('latin1', 13, 13 + q.bytes[12]!);
      if (first.startsWith('ok')) return [{ bytes: goodReply(q) }];
      silentQueries++;
      return [];
    },
  });
  return { server, silent: () => silentQueries };
}

/**
 * `netlab dig @SERVER -p PORT ARGS...` against a server that never answers names not starting
 * with `ok`; Ctrl-C (`signals` times) once the silent query was sent. Returns the run.
 */
async function interruptDig(args: string[], signals = 1) {
  const { server, silent } = await halfSilent();
  try {
    const run = startCli(['dig', `@${server.address}`, '-p', String(server.port), ...args]);
    await waitFor(() => silent() > 0, 'the query to the silent name');
    for (let i = 0; i < signals; i++) run.child.kill('SIGINT');
    return await run.done;
  } finally {
    await server.close();
  }
}

// issue 9.14: SIGINT ended every subcommand within 0.02 s with nothing printed
test('dig -f: Ctrl-C prints the results so far, in-flight queries marked interrupted, exit 3', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-int-'));
  const batch = join(dir, 'batch');
  writeFileSync(batch, ['ok1.example.test', 'ok2.example.test', 'never.example.test', 'ok3.example.test'].join('\n'));
  const r = await interruptDig(['-f', batch, '+time=30', '+tries=1', '--json']);
  assert.equal(r.code, 3, r.stderr);
  const docs = JSON.parse(r.stdout) as Array<{ query: { name: string }; status: string; interrupted?: boolean; answer: unknown[] }>;
  // the two answers before the silent name, then the silent one marked; ok3 may or may not have been asked
  assert.equal(docs[0]!.query.name, 'ok1.example.test.');
  assert.equal(docs[0]!.answer.length, 1);
  assert.equal(docs[1]!.query.name, 'ok2.example.test.');
  assert.equal(docs[2]!.query.name, 'never.example.test.');
  assert.equal(docs[2]!.interrupted, true);
  assert.equal(docs[2]!.status, 'UNKNOWN');
  assert.match(r.stderr, /^netlab dig: interrupted: \d of 4 queries have a result/m);
  assert.ok(r.ms < 25_000, 'well before the 30 s timeout');
});

test('dig: Ctrl-C during one query prints it as interrupted (text), exit 3', async () => {
  const r = await interruptDig(['never.example.test', '+time=30', '+tries=1']);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stdout, /;; interrupted/);
  assert.equal(r.stderr, 'netlab dig: interrupted\n');
});

test('dig +trace: Ctrl-C keeps the hops so far and says interrupted', async () => {
  // the start server is asked for the root NS set and never answers it
  const r = await interruptDig(['+trace', 'www.example.test', '+time=30', '--json']);
  assert.equal(r.code, 3, r.stderr);
  const doc = JSON.parse(r.stdout) as { status: string; interrupted?: boolean; error?: string; hops: unknown[] };
  assert.equal(doc.status, 'UNKNOWN');
  assert.equal(doc.interrupted, true);
  assert.equal(doc.error, 'interrupted');
});

test('a second Ctrl-C ends the process at once, still exit 3', async () => {
  const r = await interruptDig(['never.example.test', '+time=30', '+tries=1'], 2);
  assert.equal(r.code, 3, r.stderr);
});

/** Start a hostile listener, run netlab against it, Ctrl-C once it has connected; returns the run. */
async function interruptWhenConnected(mode: Mode, args: (hostPort: string, port: number) => string[]) {
  const servers = await startHostileServers({ target: mode });
  try {
    const t = servers.of.target;
    const run = startCli(args(t.hostPort, t.port));
    await waitFor(() => t.tracker.connections > 0, 'a connection from netlab');
    run.child.kill('SIGINT');
    return await run.done;
  } finally {
    await servers.close();
  }
}

test('cert-check: Ctrl-C during a stalled handshake is one JSON document marked interrupted, exit 3', async () => {
  const r = await interruptWhenConnected(modes.silent(), (hp) => ['cert-check', hp, '--servername', 'www.example.test', '--timeout', '30', '--json']);
  assert.equal(r.code, 3, r.stderr);
  const doc = JSON.parse(r.stdout) as { status: string; interrupted?: boolean; target?: string };
  assert.equal(doc.status, 'UNKNOWN');
  assert.equal(doc.interrupted, true);
  assert.ok(doc.target, 'the result of the run, not the bare document of a run that did not stop');
});

test('trace-request: Ctrl-C during a dripping body keeps what was measured, exit 3', async () => {
  const r = await interruptWhenConnected(modes.dripBody(200), (hp) => [`http://${hp}/`, '--timeout', '30', '--json'].flatMap((a, i) => (i === 0 ? ['trace-request', a] : [a])));
  assert.equal(r.code, 3, r.stderr);
  const doc = JSON.parse(r.stdout) as { status: string; interrupted?: boolean; url?: string };
  assert.equal(doc.interrupted, true);
  assert.equal(doc.status, 'UNKNOWN');
  assert.ok(doc.url, 'the result of the run, not the bare document of a run that did not stop');
});

test('lb-probe: Ctrl-C against a silent VIP says interrupted, exit 3', async () => {
  const r = await interruptWhenConnected(modes.silent(), (hp) => ['lb-probe', hp, '--requests', '50', '--timeout', '30']);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stdout, /interrupted/i);
  assert.doesNotMatch(r.stderr, /^netlab lb-probe: interrupted$/m, 'the engine stopped, not the grace timer');
});

test('hosts2zone --verify: Ctrl-C against a silent server says interrupted, exit 3, writes nothing', async () => {
  let asked = 0;
  const server = await startHostile({ udp: () => {
    asked++;
    return [];
  } });
  const dir = mkdtempSync(join(tmpdir(), 'netlab-int-'));
  const hosts = join(dir, 'hosts');
  writeFileSync(hosts, '192.0.2.1 www.example.test\n192.0.2.2 mail.example.test\n');
  try {
    const run = startCli(['hosts2zone', hosts, '--origin', 'example.test', '--verify', `${server.address}:${server.port}`, '--timeout', '30', '--json']);
    await waitFor(() => asked > 0, 'a query from netlab');
    run.child.kill('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 3, r.stderr);
    const doc = JSON.parse(r.stdout) as { status: string; interrupted?: boolean; origin?: string };
    assert.equal(doc.interrupted, true);
    assert.equal(doc.status, 'UNKNOWN');
    assert.equal(doc.origin, 'example.test.', 'the result of the run, not the bare document of a run that did not stop');
  } finally {
    await server.close();
  }
});

test('demo: Ctrl-C stops after the step under way, closes the lab, exit 3', async () => {
  const run = startCli(['demo'], { timeoutMs: 60_000 });
  await waitFor(() => run.out.stdout.includes('\n== '), 'the first step', 30_000);
  run.child.kill('SIGINT');
  const r = await run.done;
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stdout, /^demo: interrupted after \d+ steps\.$/m);
});

/** `script` gives the command a terminal (a pty), where a Ctrl-C typed is the tty's SIGINT. */
const script = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v script'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
})();

// issue 10.6: on a terminal Ctrl-C did nothing in lb-probe and trace-request: the spinner (ora's
// discardStdin) put the terminal in raw mode, so the typed ^C was a byte, not a signal
for (const [name, args] of [
  ['lb-probe', (hp: string) => ['lb-probe', hp, '--requests', '1000', '--timeout', '30']],
  ['trace-request', (hp: string) => ['trace-request', `http://${hp}/`, '--timeout', '30', '--samples', '50', '--no-warm-up']],
] as const) {
  test(`${name} on a terminal, with its spinner: a typed Ctrl-C stops it, exit 3`, { skip: script ? false : 'no script(1) here' }, async () => {
    const servers = await startHostileServers({ target: modes.silent() });
    try {
      const t = servers.of.target;
      const line = ['stty cols 80 rows 24;', 'exec', JSON.stringify(process.execPath), JSON.stringify(BIN), ...args(t.hostPort)].join(' ');
      const child = spawn(script!, ['-qefc', line, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: undefined, TERM: 'xterm' } });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      await waitFor(() => t.tracker.connections > 0, 'a connection from netlab');
      // the spinner is up (it starts before the first probe); ^C as the terminal's user types it
      await waitFor(() => /probing|sampling|backends|through the VIP|sample/.test(out), 'the spinner');
      child.stdin.write('\x03');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await done;
      clearTimeout(timer);
      assert.equal(code, 3, `the typed Ctrl-C did not stop ${name}: ${out.slice(-300)}`);
      assert.match(out, /interrupted/i);
    } finally {
      await servers.close();
    }
  });
}
