/**
 * Ctrl-C (SIGINT) on every subcommand: it stops promptly, prints what was measured so far
 * marked interrupted (one JSON document with --json), and exits 3 (shared/CONTRACT.md).
 * Each test signals only once netlab is provably under way (a hostile server saw its query),
 * so that the signal never races Node's start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCli, waitFor } from '../helpers/cli.js';
import { goodReply, startHostile } from '../helpers/hostile.js';

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

// issue 9.14: SIGINT ended every subcommand within 0.02 s with nothing printed
test('dig -f: Ctrl-C prints the results so far, in-flight queries marked interrupted, exit 3', async () => {
  const { server, silent } = await halfSilent();
  const dir = mkdtempSync(join(tmpdir(), 'netlab-int-'));
  const batch = join(dir, 'batch');
  writeFileSync(batch, ['ok1.example.test', 'ok2.example.test', 'never.example.test', 'ok3.example.test'].join('\n'));
  try {
    const run = startCli(['dig', `@${server.address}`, '-p', String(server.port), '-f', batch, '+time=30', '+tries=1', '--json']);
    await waitFor(() => silent() > 0, 'the query to the silent name');
    run.child.kill('SIGINT');
    const r = await run.done;
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
  } finally {
    await server.close();
  }
});

test('dig: Ctrl-C during one query prints it as interrupted (text), exit 3', async () => {
  const { server, silent } = await halfSilent();
  try {
    const run = startCli(['dig', `@${server.address}`, '-p', String(server.port), 'never.example.test', '+time=30', '+tries=1']);
    await waitFor(() => silent() > 0, 'the query');
    run.child.kill('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /;; interrupted/);
    assert.equal(r.stderr, 'netlab dig: interrupted\n');
  } finally {
    await server.close();
  }
});

test('dig +trace: Ctrl-C keeps the hops so far and says interrupted', async () => {
  const { server, silent } = await halfSilent();
  try {
    // the start server is asked for the root NS set and never answers it
    const run = startCli(['dig', `@${server.address}`, '-p', String(server.port), '+trace', 'www.example.test', '+time=30', '--json']);
    await waitFor(() => silent() > 0, 'the priming query');
    run.child.kill('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 3, r.stderr);
    const doc = JSON.parse(r.stdout) as { status: string; interrupted?: boolean; error?: string; hops: unknown[] };
    assert.equal(doc.status, 'UNKNOWN');
    assert.equal(doc.interrupted, true);
    assert.equal(doc.error, 'interrupted');
  } finally {
    await server.close();
  }
});

test('a second Ctrl-C ends the process at once, still exit 3', async () => {
  const { server, silent } = await halfSilent();
  try {
    const run = startCli(['dig', `@${server.address}`, '-p', String(server.port), 'never.example.test', '+time=30', '+tries=1']);
    await waitFor(() => silent() > 0, 'the query');
    run.child.kill('SIGINT');
    run.child.kill('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 3, r.stderr);
  } finally {
    await server.close();
  }
});
