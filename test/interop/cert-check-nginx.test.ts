/**
 * netlab cert-check against nginx: every lab TLS case (src/lab/tls/cases.ts) served by a real
 * nginx, one `server` per case on its own port of 127.0.0.1, with the case's chain as its
 * ssl_certificate file (nginx sends the extra certificates in file order, as the lab does).
 * netlab must give each case the status, exit code and exactly the problem codes the lab
 * says a correct checker gives.
 *
 * The lab does not export the leaves' private keys, so this file issues its own PKI with the
 * lab's functions (createLabPki, and each case's issue()): the same cases, fresh keys.
 *
 * nginx runs in the foreground as a child of the test (daemon off, master_process off) from a
 * temporary prefix that holds its configuration, pid, lock, logs and temp paths; it never
 * touches /etc/nginx, /var/log/nginx or port 80. The chains with an RSA 1024 key or a SHA-1
 * signature do not load at OpenSSL 3's default security level ("ee key too small", "ca md
 * too weak"), so nginx gets an OPENSSL_CONF of its own that sets SECLEVEL=0, as netlab's lab
 * server does with its ciphers option.
 *
 * Needs `nginx` (Debian: nginx); skipped with the reason when it is not installed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLabPki } from '../../src/lab/tls/ca.js';
import { LAB_TLS_CASES, LAB_TLS_SERVERNAME, type TlsCaseName } from '../../src/lab/tls/cases.js';
import { runCli } from '../helpers/cli.js';
import { run, which } from '../helpers/tools.js';

const NGINX = which('nginx');
const SKIP = NGINX ? false : 'nginx is not installed (apt-get install nginx)';
const ADDR = '127.0.0.1';
const EXIT = { OK: 0, WARNING: 1, CRITICAL: 2 } as const;
const PEM_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

let dir = '';
let nginx: ChildProcess | undefined;
let nginxExited: Promise<void> | undefined;
let rootFile = '';
const ports = new Map<TlsCaseName, number>();
const bundles = new Map<TlsCaseName, string>();

/** Free TCP ports on 127.0.0.1, chosen by the kernel (ephemeral range, so high). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<net.Server>((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, ADDR, () => resolve(s));
  })));
  const out = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return out;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: ADDR, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** The *_temp_path directives of the modules this nginx was built with. */
async function tempPathDirectives(prefix: string): Promise<string[]> {
  const v = await run(NGINX!, ['-V'], 10_000);
  const built = `${v.stdout}${v.stderr}`;
  return [
    ['client_body_temp_path', undefined],
    ['proxy_temp_path', 'http_proxy'],
    ['fastcgi_temp_path', 'http_fastcgi'],
    ['uwsgi_temp_path', 'http_uwsgi'],
    ['scgi_temp_path', 'http_scgi'],
  ].filter(([, mod]) => !mod || !built.includes(`--without-${mod}_module`))
    .map(([directive]) => `  ${directive} ${join(prefix, 'temp', directive!.replace(/_temp_path$/, ''))};`);
}

function serverBlock(name: TlsCaseName, port: number): string {
  return `  server {
    listen ${ADDR}:${port} ssl;
    server_name ${LAB_TLS_SERVERNAME};
    ssl_certificate ${join(dir, `${name}.chain.pem`)};
    ssl_certificate_key ${join(dir, `${name}.key.pem`)};
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { return 200 "nginx: lab case ${name}\\n"; }
  }`;
}

async function startNginx(): Promise<void> {
  const cfgPorts = await freePorts(LAB_TLS_CASES.length);
  LAB_TLS_CASES.forEach((c, i) => ports.set(c.name, cfgPorts[i]!));
  mkdirSync(join(dir, 'temp'), { recursive: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const errorLog = join(dir, 'logs', 'error.log');
  const conf = [
    'daemon off;',
    'master_process off;',
    'worker_processes 1;',
    ...(process.getuid?.() === 0 ? ['user root;'] : []),
    `error_log ${errorLog} info;`,
    `pid ${join(dir, 'nginx.pid')};`,
    `lock_file ${join(dir, 'nginx.lock')};`,
    'events { worker_connections 128; }',
    'http {',
    '  access_log off;',
    ...(await tempPathDirectives(dir)),
    ...LAB_TLS_CASES.map((c) => serverBlock(c.name, ports.get(c.name)!)),
    '}',
    '',
  ].join('\n');
  const confFile = join(dir, 'nginx.conf');
  writeFileSync(confFile, conf);
  const opensslConf = join(dir, 'openssl.cnf');
  writeFileSync(opensslConf, [
    'openssl_conf = openssl_init',
    '[openssl_init]',
    'ssl_conf = ssl_sect',
    '[ssl_sect]',
    'system_default = system_default_sect',
    '[system_default_sect]',
    'CipherString = DEFAULT:@SECLEVEL=0',
    '',
  ].join('\n'));

  // -p: prefix, -e: the log used before the configuration is read (else /var/log/nginx/error.log)
  const child = spawn(NGINX!, ['-p', `${dir}/`, '-e', errorLog, '-c', confFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OPENSSL_CONF: opensslConf },
  });
  nginx = child;
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
  let exited: number | null | undefined;
  nginxExited = new Promise((resolve) => child.once('exit', (code) => {
    exited = code;
    resolve();
  }));
  const log = () => {
    let text = output;
    try {
      text += readFileSync(errorLog, 'utf8');
    } catch {
      // not written yet
    }
    return text.trim().split('\n').slice(-5).join('\n');
  };
  // bounded wait: every server accepts within 10 s, or nginx has exited
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`nginx exited (${exited}) at start: ${log()}`);
    const up = await Promise.all([...ports.values()].map(accepts));
    if (up.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`nginx did not accept on every port within 10 s: ${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopNginx(): Promise<void> {
  if (!nginx || nginx.exitCode !== null || nginx.signalCode !== null) return;
  nginx.kill('SIGTERM');
  const stopped = await Promise.race([nginxExited!.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
  if (!stopped) {
    nginx.kill('SIGKILL');
    await nginxExited;
  }
}

before(async () => {
  if (!NGINX) return;
  dir = mkdtempSync(join(tmpdir(), 'netlab-nginx-'));
  const pki = await createLabPki(new Date());
  rootFile = join(dir, 'lab-root.pem');
  writeFileSync(rootFile, pki.root.certPem);
  for (const c of LAB_TLS_CASES) {
    const served = await c.issue(pki);
    const chain = served.certs.map((x) => x.certPem).join('');
    bundles.set(c.name, chain);
    writeFileSync(join(dir, `${c.name}.chain.pem`), chain);
    writeFileSync(join(dir, `${c.name}.key.pem`), served.certs[0]!.keyPem, { mode: 0o600 });
  }
  // A port taken between freePorts() and nginx's bind: try again with new ones.
  for (let attempt = 1; ; attempt++) {
    try {
      await startNginx();
      return;
    } catch (e) {
      await stopNginx();
      if (attempt >= 3 || !/Address already in use/.test(String(e))) throw e;
    }
  }
});

after(async () => {
  await stopNginx();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

for (const spec of LAB_TLS_CASES) {
  test(`nginx serving ${spec.name}: ${spec.expectedStatus} with exactly ${spec.expectedCodes.join(', ') || 'no problem'}`, { skip: SKIP, timeout: 30_000 }, async () => {
    const port = ports.get(spec.name)!;
    const r = await runCli(['cert-check', `${LAB_TLS_SERVERNAME}:${port}`, '--connect-to', ADDR, '--ca', rootFile, '--json'], { timeoutMs: 20_000 });
    assert.ok(r.stdout.trim().startsWith('{'), `no JSON (exit ${r.code}): ${r.stderr}`);
    const doc = JSON.parse(r.stdout) as { status: string; problems: Array<{ code: string }>; chain: Array<{ fingerprint256: string }>; connectedTo: string; tls: { protocol: string } | null };
    const codes = doc.problems.map((p) => p.code).sort();
    assert.deepEqual(codes, [...spec.expectedCodes].sort(), JSON.stringify(doc.problems));
    assert.equal(doc.status, spec.expectedStatus);
    assert.equal(r.code, EXIT[spec.expectedStatus]);
    assert.equal(doc.connectedTo, `${ADDR}:${port}`);
    assert.match(doc.tls?.protocol ?? '', /^TLSv1\.[23]$/);
    // nginx sends the ssl_certificate file's certificates in file order, as the lab server does
    const sent = (bundles.get(spec.name)!.match(PEM_RE) ?? []).map((pem) => new X509Certificate(pem).fingerprint256);
    assert.deepEqual(doc.chain.map((c) => c.fingerprint256), sent, 'the chain as nginx sent it');
  });
}

test('the nginx process is ours and still running after every case', { skip: SKIP }, () => {
  assert.ok(nginx && nginx.exitCode === null && nginx.signalCode === null, 'nginx died during the run');
  const pid = Number(readFileSync(join(dir, 'nginx.pid'), 'utf8').trim());
  assert.equal(pid, nginx.pid);
});
