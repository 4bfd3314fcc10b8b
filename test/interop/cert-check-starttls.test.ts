/**
 * cert-check's connection side against real peers (issue 11):
 *
 * - `openssl s_client -starttls PROTO -showcerts` against each of the lab's STARTTLS servers
 *   (src/lab/starttls) receives the same chain, certificate for certificate, as
 *   `netlab cert-check --starttls PROTO`; the lab server that does not offer STARTTLS gives
 *   s_client no certificate and netlab STARTTLS_FAILED.
 * - A real PostgreSQL server (Debian: postgresql; initdb + postgres -D, ssl=on, on 127.0.0.1,
 *   as `nobody` when the test runs as root), serving a chain from the lab CA: netlab's
 *   `--starttls postgres` sees the chain s_client sees, and judges it OK.
 * - `openssl s_server` asking for a client certificate: with `-Verify 1` (required) it ends
 *   the handshake without one (TLS 1.2: alert 40; TLS 1.3: alert 116 after the handshake), and
 *   netlab judges the chain it sent and notes CLIENT_CERT_REQUIRED; with `-verify 1`
 *   (optional) it goes on, and netlab notes CLIENT_CERT_REQUESTED.
 *
 * Needs `openssl`; the PostgreSQL part needs /usr/lib/postgresql/N/bin/{initdb,postgres}
 * (.ci/run installs it when root). Each part is skipped with the reason when its tool is absent.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLabPki, DAY_MS, issueLeaf, type LabPki } from '../../src/lab/tls/ca.js';
import { startStartTlsLab, LAB_STARTTLS_NAME, type StartTlsLab } from '../../src/lab/starttls/index.js';
import { runCli } from '../helpers/cli.js';
import { accepts, freePorts, run, which } from '../helpers/tools.js';

const OPENSSL = which('openssl');
const SKIP = OPENSSL ? false : 'openssl is not installed (apt-get install openssl)';
const PEM_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g;

/** The newest PostgreSQL server binaries Debian installs (/usr/lib/postgresql/N/bin), or undefined. */
function postgresBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  const found = versions.map((v) => join(base, v, 'bin')).find((d) => existsSync(join(d, 'postgres')) && existsSync(join(d, 'initdb')));
  return found;
}
const PG_BIN = postgresBin();
const PG_SKIP = SKIP || (PG_BIN ? false : 'PostgreSQL is not installed (apt-get install postgresql: /usr/lib/postgresql/N/bin/postgres)');

let pki: LabPki;
let st: StartTlsLab;
let dir = '';
let caFile = '';

before(async () => {
  if (SKIP) return;
  pki = await createLabPki(new Date());
  st = await startStartTlsLab({ pki });
  dir = mkdtempSync(join(tmpdir(), 'netlab-starttls-'));
  caFile = join(dir, 'lab-root.pem');
  writeFileSync(caFile, pki.root.certPem);
});
after(async () => {
  await st?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const fps = (pems: string[]) => pems.map((p) => new X509Certificate(p).fingerprint256);

interface Doc {
  status: string;
  problems: Array<{ code: string; message: string }>;
  notes: Array<{ code: string; message: string }>;
  chain: Array<{ fingerprint256: string }>;
  starttls: { protocol: string } | null;
  tls: { protocol: string; clientCertificate: string } | null;
}

async function netlab(args: string[]): Promise<{ code: number | null; doc: Doc }> {
  const r = await runCli(['cert-check', ...args, '--ca', caFile, '--json'], { timeoutMs: 20_000 });
  assert.ok(r.stdout.trim().startsWith('{'), `netlab printed no JSON (exit ${r.code}): ${r.stderr}`);
  return { code: r.code, doc: JSON.parse(r.stdout) as Doc };
}

/** openssl s_client -starttls: the certificates it prints (-showcerts), stdin closed so that it quits. */
async function sClient(address: string, port: number, proto: string, name: string): Promise<{ certs: string[]; out: string }> {
  const args = ['s_client', '-connect', `${address}:${port}`, '-starttls', proto, '-showcerts', '-servername', name];
  if (proto === 'xmpp') args.push('-xmpphost', name);
  const r = await run(OPENSSL!, args, 15_000);
  return { certs: r.stdout.match(PEM_RE) ?? [], out: `${r.stdout}${r.stderr}` };
}

test('openssl s_client -starttls PROTO and netlab --starttls PROTO see the same chain from every lab STARTTLS server', { skip: SKIP, timeout: 60_000 }, async () => {
  const lab = fps(st.chainPem.match(PEM_RE)!);
  for (const s of st.servers.filter((x) => x.behaviour === 'good')) {
    const [client, mine] = await Promise.all([
      sClient(s.address, s.port, s.protocol, LAB_STARTTLS_NAME),
      netlab([`${LAB_STARTTLS_NAME}:${s.port}`, '--connect-to', s.address, '--starttls', s.protocol]),
    ]);
    assert.deepEqual(fps(client.certs), lab, `${s.protocol}: s_client received the lab chain: ${client.out.slice(-300)}`);
    assert.deepEqual(mine.doc.chain.map((c) => c.fingerprint256), fps(client.certs), `${s.protocol}: netlab sees what s_client sees`);
    assert.deepEqual({ code: mine.code, status: mine.doc.status, starttls: mine.doc.starttls?.protocol }, { code: 0, status: 'OK', starttls: s.protocol });
  }
});

test('a lab SMTP server without STARTTLS: s_client gets no certificate, netlab says STARTTLS_FAILED (exit 2)', { skip: SKIP, timeout: 30_000 }, async () => {
  const s = st.servers.find((x) => x.behaviour === 'no-starttls')!;
  const client = await sClient(s.address, s.port, 'smtp', LAB_STARTTLS_NAME);
  assert.equal(client.certs.length, 0);
  assert.match(client.out, /Didn't find STARTTLS in server response/);
  const mine = await netlab([`${LAB_STARTTLS_NAME}:${s.port}`, '--connect-to', s.address, '--starttls', 'smtp']);
  assert.deepEqual({ code: mine.code, codes: mine.doc.problems.map((p) => p.code) }, { code: 2, codes: ['STARTTLS_FAILED'] });
});

/** A leaf of the lab intermediate for `name` and the PEM files of its chain and key under dir. */
async function chainFiles(tag: string, name: string): Promise<{ chain: string; leaf: string; intermediate: string; key: string; pems: string[] }> {
  const now = Date.now();
  const leaf = await issueLeaf(pki.intermediate, { notBefore: new Date(now - DAY_MS), notAfter: new Date(now + 90 * DAY_MS), dnsNames: [name] });
  const chain = join(dir, `${tag}.chain.pem`);
  const key = join(dir, `${tag}.key.pem`);
  writeFileSync(chain, leaf.certPem + pki.intermediate.certPem);
  writeFileSync(key, leaf.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, `${tag}.leaf.pem`), leaf.certPem);
  writeFileSync(join(dir, `${tag}.intermediate.pem`), pki.intermediate.certPem);
  return { chain, leaf: join(dir, `${tag}.leaf.pem`), intermediate: join(dir, `${tag}.intermediate.pem`), key, pems: [leaf.certPem, pki.intermediate.certPem] };
}

/** Wait until `port` accepts connections or the process exits; bounded. */
async function waitListening(child: ChildProcess, port: number, ms: number): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 50) {
    if (child.exitCode !== null) return false;
    if (await accepts(port)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

test('a real PostgreSQL (ssl=on) serving a lab chain: netlab --starttls postgres sees the chain s_client sees, OK', { skip: PG_SKIP, timeout: 60_000 }, async () => {
  const pg = join(dir, 'pg');
  const files = await chainFiles('pg', 'db.example.test');
  const root = process.getuid?.() === 0;
  // PostgreSQL refuses to run as root: as root, the data directory and the key go to nobody
  const asUser = (cmd: string, args: string[]): [string, string[]] => (root ? ['runuser', ['-u', 'nobody', '--', cmd, ...args]] : [cmd, args]);
  if (root) {
    for (const p of [dir, files.chain, files.key]) chownSync(p, 65534, 65534);
  }
  const [initCmd, initArgs] = asUser(join(PG_BIN!, 'initdb'), ['-D', pg, '-A', 'trust', '-U', 'netlab', '--no-sync']);
  const init = await run(initCmd, initArgs, 30_000);
  assert.equal(init.code, 0, `initdb: ${init.stdout}${init.stderr}`);
  const [port] = await freePorts(1);
  const [cmd, args] = asUser(join(PG_BIN!, 'postgres'), ['-D', pg, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1',
    '-c', 'ssl=on', '-c', `ssl_cert_file=${files.chain}`, '-c', `ssl_key_file=${files.key}`, '-c', 'fsync=off']);
  const server = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  server.stdout!.on('data', (d: Buffer) => (log += d));
  server.stderr!.on('data', (d: Buffer) => (log += d));
  try {
    assert.ok(await waitListening(server, port!, 15_000), `postgres did not start: ${log.slice(-800)}`);
    const [client, mine] = await Promise.all([
      sClient('127.0.0.1', port!, 'postgres', 'db.example.test'),
      netlab([`db.example.test:${port}`, '--connect-to', '127.0.0.1', '--starttls', 'postgres']),
    ]);
    assert.deepEqual(fps(client.certs), fps(files.pems), `s_client: ${client.out.slice(-300)}`);
    assert.deepEqual(mine.doc.chain.map((c) => c.fingerprint256), fps(client.certs));
    assert.deepEqual({ code: mine.code, status: mine.doc.status, starttls: mine.doc.starttls?.protocol, problems: mine.doc.problems }, { code: 0, status: 'OK', starttls: 'postgres', problems: [] });
  } finally {
    server.kill('SIGTERM');
    await new Promise<void>((resolve) => {
      if (server.exitCode !== null) resolve();
      const t = setTimeout(() => {
        server.kill('SIGKILL');
        resolve();
      }, 10_000);
      server.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
});

/** openssl s_server with the lab chain and `verify` options, for one connection; killed after `work`. */
async function withSServer<T>(tag: string, extra: string[], work: (port: number) => Promise<T>): Promise<T> {
  const files = await chainFiles(tag, 'www.example.test');
  const [port] = await freePorts(1);
  const server = spawn(OPENSSL!, ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', files.leaf, '-cert_chain', files.intermediate, '-key', files.key, '-CAfile', caFile, '-naccept', '2', '-quiet', ...extra],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  let log = '';
  server.stdout!.on('data', (d: Buffer) => (log += d));
  server.stderr!.on('data', (d: Buffer) => (log += d));
  try {
    assert.ok(await waitListening(server, port!, 10_000), `s_server did not start: ${log}`);
    return await work(port!);
  } finally {
    server.kill('SIGKILL');
  }
}

test('openssl s_server -Verify 1 (a client certificate required): netlab judges the chain it sent and notes CLIENT_CERT_REQUIRED, TLS 1.2 and 1.3', { skip: SKIP, timeout: 60_000 }, async () => {
  // -naccept 2: one connection for waitListening's probe, one for netlab; each run gets its own server
  for (const [version, alert] of [['-tls1_2', /TLS alert: handshake failure/], ['-tls1_3', /TLS alert: certificate required/]] as const) {
    await withSServer(`required${version}`, [version, '-Verify', '1'], async (port) => {
      const mine = await netlab([`www.example.test:${port}`, '--connect-to', '127.0.0.1']);
      assert.deepEqual({ code: mine.code, status: mine.doc.status, problems: mine.doc.problems, notes: mine.doc.notes.map((n) => n.code), cc: mine.doc.tls?.clientCertificate },
        { code: 0, status: 'OK', problems: [], notes: ['CLIENT_CERT_REQUIRED'], cc: 'required' }, version);
      assert.match(mine.doc.notes[0]!.message, alert, version);
      assert.equal(mine.doc.chain.length, 2);
    });
  }
  await withSServer('optional', ['-verify', '1'], async (port) => {
    const mine = await netlab([`www.example.test:${port}`, '--connect-to', '127.0.0.1']);
    assert.deepEqual({ code: mine.code, notes: mine.doc.notes.map((n) => n.code), cc: mine.doc.tls?.clientCertificate }, { code: 0, notes: ['CLIENT_CERT_REQUESTED'], cc: 'requested' });
  });
});
