/**
 * A real nginx for interop tests: run in the foreground as a child of the test (daemon off,
 * master_process off) from a temporary prefix that holds its configuration, pid, lock, logs
 * and temp paths. It never touches /etc/nginx, /var/log/nginx or port 80, listens only where
 * the caller's server blocks say (127.0.0.0/8), and every wait is bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { accepts, freePorts, run } from './tools.js';
import { createLabPki, DAY_MS, issueLeaf } from '../../src/lab/tls/ca.js';

/**
 * What an HTTPS nginx site needs, in `dir`: a fresh lab PKI's root (`rootFile`, for the
 * clients' --ca / --cacert), the leaf for `host` with its issuer (chain.pem, as a correctly
 * configured server sends it) and its key (key.pem), and html/file.bin of `fileBytes` bytes.
 */
export async function writeTlsSite(dir: string, host: string, fileBytes: number, rootName = 'root.pem'): Promise<{ rootFile: string }> {
  const pki = await createLabPki(new Date());
  const t = pki.issuedAt.getTime();
  const leaf = await issueLeaf(pki.intermediate, { dnsNames: [host], notBefore: new Date(t - DAY_MS), notAfter: new Date(t + 30 * DAY_MS) });
  const rootFile = join(dir, rootName);
  writeFileSync(rootFile, pki.root.certPem);
  writeFileSync(join(dir, 'chain.pem'), leaf.certPem + pki.intermediate.certPem);
  writeFileSync(join(dir, 'key.pem'), leaf.keyPem, { mode: 0o600 });
  mkdirSync(join(dir, 'html'));
  writeFileSync(join(dir, 'html', 'file.bin'), Buffer.alloc(fileBytes, 'netlab\n'));
  return { rootFile };
}

/** The *_temp_path directives of the modules this nginx was built with, all under `prefix`. */
async function tempPathDirectives(nginx: string, prefix: string): Promise<string[]> {
  const v = await run(nginx, ['-V'], 10_000);
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

export interface NginxOptions {
  /** The nginx binary. */
  nginx: string;
  /** A private directory: the prefix (configuration, pid, lock, logs, temp paths). */
  dir: string;
  /** How many ports to find free on `address`. */
  ports: number;
  address?: string;
  /** The `server { ... }` blocks of the http context, given the ports found. */
  servers: (ports: number[]) => string[];
  env?: NodeJS.ProcessEnv;
}

export interface RunningNginx {
  child: ChildProcess;
  ports: number[];
  /** The last lines of nginx's output and error log. */
  log(): string;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
}

async function startOnce(o: NginxOptions): Promise<RunningNginx> {
  const address = o.address ?? '127.0.0.1';
  const ports = await freePorts(o.ports, address);
  mkdirSync(join(o.dir, 'temp'), { recursive: true });
  mkdirSync(join(o.dir, 'logs'), { recursive: true });
  const errorLog = join(o.dir, 'logs', 'error.log');
  const conf = [
    'daemon off;',
    'master_process off;',
    'worker_processes 1;',
    ...(process.getuid?.() === 0 ? ['user root;'] : []),
    `error_log ${errorLog} info;`,
    `pid ${join(o.dir, 'nginx.pid')};`,
    `lock_file ${join(o.dir, 'nginx.lock')};`,
    'events { worker_connections 128; }',
    'http {',
    '  access_log off;',
    ...(await tempPathDirectives(o.nginx, o.dir)),
    ...o.servers(ports),
    '}',
    '',
  ].join('\n');
  const confFile = join(o.dir, 'nginx.conf');
  writeFileSync(confFile, conf);
  // -p: prefix, -e: the log used before the configuration is read (else /var/log/nginx/error.log)
  const child = spawn(o.nginx, ['-p', `${o.dir}/`, '-e', errorLog, '-c', confFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...o.env },
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
  let exited: number | null | undefined;
  const exitedP = new Promise<void>((resolve) => child.once('exit', (code) => {
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
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const stopped = await Promise.race([exitedP.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
    if (!stopped) {
      child.kill('SIGKILL');
      await exitedP;
    }
  };
  // bounded wait: every port accepts within 10 s, or nginx has exited
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited !== undefined) throw Object.assign(new Error(`nginx exited (${exited}) at start: ${log()}`), { stop });
    const up = await Promise.all(ports.map((p) => accepts(p, address)));
    if (up.every(Boolean)) return { child, ports, log, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not accept on every port within 10 s: ${log()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Start nginx with the given server blocks on free ports; a port taken between choosing it
 * and nginx's bind is retried with new ones (3 tries). Throws with nginx's last log lines.
 */
export async function startNginx(o: NginxOptions): Promise<RunningNginx> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(o);
    } catch (e) {
      await (e as { stop?: () => Promise<void> }).stop?.();
      if (attempt >= 3 || !/Address already in use/.test(String(e))) throw e;
    }
  }
}
