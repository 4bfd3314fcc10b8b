/**
 * dig -f (batch) and dig's usage errors, against the lab's DNS servers (started once). The
 * matrix runs in this process (test/helpers/dig.ts); the binary is spawned for what a user
 * sees of it: a batch's stdout and exit 0, exit 3 with one line for a missing file and a
 * usage error, --help and --version.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDnsLab, type DnsLab } from '../../src/lab/dns/index.js';
import { runCli } from '../helpers/cli.js';
import { digHere } from '../helpers/dig.js';

let lab: DnsLab;
let ns: string[];
/** The same server for digHere, which takes the arguments after `dig`. */
let here: string[];
let dir: string;
before(async () => {
  lab = await startDnsLab({ port: 0 });
  here = [`@${lab.addresses.ns1Example}`, '-p', String(lab.port)];
  ns = ['dig', ...here];
  dir = mkdtempSync(join(tmpdir(), 'netlab-batch-'));
});
after(async () => {
  await lab.close();
  rmSync(dir, { recursive: true, force: true });
});

test('-f answers every line, printed in input order, concurrently', async () => {
  const names = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? `-x 192.0.2.${i % 2 ? 25 : 10}` : i % 3 === 1 ? 'example.test MX' : `n${i}.wild.example.test`));
  const file = join(dir, 'names.txt');
  writeFileSync(file, `# a comment\n\n; another\n${names.join('\n')}\n`);
  const r = await runCli([...ns, '-f', file, '+short', '--concurrency', '8']);
  assert.equal(r.code, 0, r.stderr);
  const expected = names.flatMap((n) =>
    n.startsWith('-x') ? [n.endsWith('25') ? 'mail.example.test.' : 'www.example.test.'] : n.includes('MX') ? ['10 mail.example.test.', '20 mail2.example.test.'] : ['192.0.2.99'],
  );
  assert.deepEqual(r.stdout.trim().split('\n'), expected);
});

test('-f full output streams in input order past the output buffer: one banner, every question once', async () => {
  // ~600 full dig answers are some 300 KB of text: printed as they complete, in several writes
  const names = Array.from({ length: 600 }, (_, i) => `n${i}.wild.example.test`);
  const file = join(dir, 'stream.txt');
  writeFileSync(file, `${names.join('\n')}\n`);
  const r = await digHere([...here, '-f', file, '--concurrency', '32']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.length > 3 * 65536, `${r.stdout.length} bytes`);
  assert.equal(r.stdout.match(/^; <<>> netlab dig /gm)?.length, 1);
  const questions = [...r.stdout.matchAll(/^;(\S+)\t+IN\tA$/gm)].map((m) => m[1]);
  assert.deepEqual(questions, names.map((n) => `${n}.`));
  assert.equal(r.stdout.match(/status: NOERROR/g)?.length, 600);
});

test('-f with +noall prints nothing for answers it hides, as BIND dig does', async () => {
  const file = join(dir, 'noall.txt');
  writeFileSync(file, 'www.example.test\nnope.example.test\nexample.test MX\n');
  const r = await digHere([...here, '-f', file, '+noall', '+answer']);
  assert.equal(r.code, 2, r.stderr); // the NXDOMAIN line
  assert.deepEqual(r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]), ['www.example.test.', 'example.test.', 'example.test.']);
  assert.ok(!r.stdout.startsWith('\n') && !r.stdout.includes('\n\n'), JSON.stringify(r.stdout));
  const none = await digHere([...here, 'nope.example.test', '+noall']);
  assert.equal(none.stdout, '');
});

test('-f lines carry their own @server, -p and +options, over the command line', async () => {
  const file = join(dir, 'per-line.txt');
  // line 2 asks another lab server (the TLD) without recursion; line 3 wants TCP
  writeFileSync(file, `www.example.test\nexample.test NS @${lab.addresses.tld} +norec\nexample.test MX +tcp\n`);
  const r = await digHere([...here, '-f', file, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const docs = JSON.parse(r.stdout);
  assert.equal(docs[0].query.server, lab.addresses.ns1Example);
  assert.equal(docs[1].query.server, lab.addresses.tld);
  assert.ok(!docs[1].flags.includes('aa'), 'the TLD refers, it is not authoritative for example.test');
  assert.ok(!docs[1].flags.includes('rd'));
  assert.equal(docs[2].query.transport, 'tcp');
  assert.equal(docs[0].query.transport, 'udp');
});

test('-f: a line can give back what the command line took away (+recurse over +norecurse, +notcp over +tcp)', async () => {
  const file = join(dir, 'give-back.txt');
  writeFileSync(file, 'www.example.test\nwww.example.test +recurse +notcp\nwww.example.test -t AAAA\n');
  const r = await digHere([...here, '+norecurse', '+tcp', '-f', file, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const docs = JSON.parse(r.stdout);
  assert.deepEqual(docs.map((d: { flags: string[]; query: { transport: string; type: string } }) => [d.flags.includes('rd'), d.query.transport, d.query.type]), [
    [false, 'tcp', 'A'], [true, 'udp', 'A'], [false, 'tcp', 'AAAA'],
  ]);
});

test('-f --json is an array of documents in input order', async () => {
  const file = join(dir, 'json.txt');
  writeFileSync(file, 'www.example.test\nnope.example.test\nexample.test TXT\n');
  const r = await digHere([...here, '-f', file, '--json']);
  assert.equal(r.code, 2, 'one NXDOMAIN makes the batch exit 2');
  const docs = JSON.parse(r.stdout);
  assert.deepEqual(docs.map((d: { query: { name: string }; rcode: string }) => [d.query.name, d.rcode]), [
    ['www.example.test.', 'NOERROR'], ['nope.example.test.', 'NXDOMAIN'], ['example.test.', 'NOERROR'],
  ]);
  // streamed, it is laid out exactly as JSON.stringify(_, null, 2) lays out the whole array
  assert.equal(r.stdout, `${JSON.stringify(docs, null, 2)}\n`);
});

test('--json streams a large batch as one valid array; several names on the command line give an array, one name an object', async () => {
  const file = join(dir, 'json-big.txt');
  writeFileSync(file, `${Array.from({ length: 300 }, (_, i) => `n${i}.wild.example.test`).join('\n')}\n`);
  const big = await digHere([...here, '-f', file, '--json', '--concurrency', '32']);
  assert.equal(big.code, 0, big.stderr);
  assert.ok(big.stdout.length > 65536, `${big.stdout.length} bytes: more than one write`);
  const docs = JSON.parse(big.stdout);
  assert.deepEqual(docs.map((d: { query: { name: string } }) => d.query.name), Array.from({ length: 300 }, (_, i) => `n${i}.wild.example.test.`));
  assert.equal(big.stdout, `${JSON.stringify(docs, null, 2)}\n`);
  const two = await digHere([...here, 'www.example.test', 'example.test', 'MX', '--json']);
  assert.deepEqual(JSON.parse(two.stdout).map((d: { query: { type: string } }) => d.query.type), ['A', 'MX']);
  const one = await digHere([...here, 'www.example.test', '--json']);
  const doc = JSON.parse(one.stdout);
  assert.ok(!Array.isArray(doc) && doc.query.name === 'www.example.test.');
  assert.equal(one.stdout, `${JSON.stringify(doc, null, 2)}\n`);
});

test('-f with a missing file is exit 3 with one line', async () => {
  const r = await runCli([...ns, '-f', join(dir, 'missing.txt')]);
  assert.equal(r.code, 3);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^netlab dig: couldn't open batch file '.*missing\.txt': no such file\n$/);
});

test('-f naming a directory is exit 3 (unreadable as a file)', async () => {
  const r = await digHere([...here, '-f', dir]);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /couldn't open batch file '.*': is a directory/);
});

test('-f with a bad line names FILE:LINE and exits 3 before querying', async () => {
  const file = join(dir, 'bad.txt');
  writeFileSync(file, 'www.example.test\nexample.test +bogus\n');
  const r = await digHere([...here, '-f', file]);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /bad\.txt:2: unknown option '\+bogus'/);
});

test('usage errors are one line on stderr and exit 3, never a stack trace', async () => {
  const spawned = await runCli(['dig', '+bogus']);
  assert.equal(spawned.code, 3);
  assert.equal(spawned.stdout, '');
  assert.match(spawned.stderr, /^netlab dig: unknown option '\+bogus' \(see 'netlab dig --help'\)\n$/);
  for (const args of [['-t', 'NOPE', 'x.test'], ['-x', 'not-an-ip'], ['-p', '99999', 'x.test']]) {
    const r = await digHere(args);
    assert.equal(r.code, 3, args.join(' '));
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^netlab dig: .*\(see 'netlab dig --help'\)\n$/);
  }
});

test('netlab with an unknown subcommand or option exits 3', async () => {
  const a = await runCli(['nosuch']);
  assert.equal(a.code, 3);
  const b = await runCli(['lab', '--bogus']);
  assert.equal(b.code, 3);
  assert.match(b.stderr, /unknown option '--bogus'/);
});

test('--help and --version exit 0', async () => {
  assert.equal((await runCli(['--help'])).code, 0);
  const v = await runCli(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
  const d = await runCli(['dig', '--help']);
  assert.equal(d.code, 0);
  assert.match(d.stdout, /Usage: netlab dig/);
});

// issue 9.3: a lone CR did not end a line (old Mac files); the line numbers of errors were wrong
test('-f: a lone CR ends a line, and an error names the right line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-cr-'));
  const file = join(dir, 'batch');
  writeFileSync(file, 'www.example.test\rmail.example.test\r-t BOGUS x\r');
  try {
    const r = await digHere(['-f', file]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, new RegExp(`^netlab dig: ${file.replace(/[/.]/g, '\\$&')}:3: unknown type 'BOGUS'`, 'm'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// a line of 200,000 names overflowed the stack (internal error) when spread into push()
test('-f: a line with 200,000 names is read (each a query), not an internal error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-many-'));
  const file = join(dir, 'batch');
  writeFileSync(file, `${Array.from({ length: 200_000 }, (_, i) => `h${i}.example.test`).join(' ')} -t BOGUS\n`);
  try {
    const r = await digHere(['-f', file]);
    // the bad type at the end is refused before anything is sent: the names were all parsed
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /:1: unknown type 'BOGUS'/);
    assert.doesNotMatch(r.stderr, /internal error/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// issue 9.13: a 50 MB bad token was echoed whole on stderr
test('-f: an error about a huge token is one clipped line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-long-'));
  const file = join(dir, 'batch');
  writeFileSync(file, `+${'x'.repeat(5_000_000)}\n`);
  try {
    const r = await runCli(['dig', '-f', file]);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stderr.split('\n').length, 2, 'one line');
    assert.ok(r.stderr.length < 1200, `stderr is ${r.stderr.length} characters`);
    assert.match(r.stderr, /more characters\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// every query of a batch listened on the one Ctrl-C signal: past 10, Node printed a MaxListenersExceededWarning on stderr
test('-f with 32 queries in flight prints no MaxListenersExceededWarning', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  try {
    const file = join(dir, 'listeners.txt');
    writeFileSync(file, `${Array.from({ length: 64 }, (_, i) => `l${i}.wild.example.test`).join('\n')}\n`);
    const r = await digHere([...here, '-f', file, '+short', '--concurrency', '32']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split('\n').filter(Boolean).length, 64);
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  assert.deepEqual(warnings.filter((w) => w === 'MaxListenersExceededWarning'), []);
});

// a batch piped to a slow reader printed "MaxListenersExceededWarning: 11 drain listeners added":
// every 64 KiB written while stdout was full added one more wait for 'drain'
test('-f to a full stdout waits for one drain at a time, and prints the same bytes', async () => {
  const file = join(dir, 'slow-reader.txt');
  const names = Array.from({ length: 400 }, (_, i) => `s${i}.wild.example.test`);
  writeFileSync(file, `${names.join('\n')}\n`);
  const { parseArgv } = await import('../../src/commands/command.js');
  const { command } = await import('../../src/commands/dig/index.js');
  const { Readable } = await import('node:stream');
  let written = '';
  let writes = 0;
  let outstanding = 0;
  let mostOutstanding = 0;
  // each write leaves stdout "full" for 20 ms (as a slow reader would), while answers keep coming
  const result = await command.run(await parseArgv(command, [...here, '-f', file, '--json', '--concurrency', '16']), {
    signal: new AbortController().signal,
    io: {
      out: (chunk) => {
        written += String(chunk);
        writes++;
        outstanding++;
        mostOutstanding = Math.max(mostOutstanding, outstanding);
        return new Promise<void>((resolve) => setTimeout(() => {
          outstanding--;
          resolve();
        }, 20));
      },
      err: () => undefined,
      stdin: Readable.from([]),
    },
    version: '0.0.0-test',
    style: {},
  });
  assert.equal(result.status, 'OK');
  assert.ok(writes > 1, `${writes} writes`);
  assert.equal(mostOutstanding, 1, 'a write while the one before had not drained');
  const docs = JSON.parse(written) as Array<{ query: { name: string } }>;
  assert.deepEqual(docs.map((d) => d.query.name), names.map((n) => `${n}.`));
});
