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
 * The cases that staple OCSP (ocsp-good, ocsp-revoked) get `ssl_stapling_file` with a
 * response made by `openssl ocsp` from an index of this PKI (signed by the intermediate), so
 * that the response netlab reads comes from a producer other than netlab's own lab.
 *
 * Needs `nginx` (Debian: nginx) and `openssl`; skipped with the reason when either is missing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLabPki } from '../../src/lab/tls/ca.js';
import { LAB_TLS_CASES, LAB_TLS_SERVERNAME, type TlsCaseName } from '../../src/lab/tls/cases.js';
import { runCli } from '../helpers/cli.js';
import { run, which } from '../helpers/tools.js';
import { startNginx, type RunningNginx } from '../helpers/nginx.js';

const NGINX = which('nginx');
const OPENSSL = which('openssl');
const SKIP = !NGINX ? 'nginx is not installed (apt-get install nginx)' : !OPENSSL ? 'openssl is not installed (apt-get install openssl)' : false;
const ADDR = '127.0.0.1';
const EXIT = { OK: 0, WARNING: 1, CRITICAL: 2 } as const;
const PEM_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

let dir = '';
let nginx: RunningNginx | undefined;
let rootFile = '';
const ports = new Map<TlsCaseName, number>();
const bundles = new Map<TlsCaseName, string>();
/** DER OCSP response files by case, made by openssl ocsp. */
const staples = new Map<TlsCaseName, string>();

/** X.509 GeneralizedTime's short form for an openssl ocsp index: YYMMDDHHMMSSZ. */
function indexTime(d: Date): string {
  return `${d.toISOString().replace(/[-:T]/g, '').slice(2, 14)}Z`;
}

/**
 * `openssl ocsp` as a one-shot responder: the status of `leafPem` from an index that lists it
 * valid or revoked (keyCompromise, 2 days ago), signed by the issuer, valid for 7 days.
 */
async function opensslStaple(name: string, leafPem: string, issuer: { certPem: string; keyPem: string }, status: 'good' | 'revoked'): Promise<string> {
  const leaf = new X509Certificate(leafPem);
  const p = (what: string) => join(dir, `${name}.${what}`);
  writeFileSync(p('leaf.pem'), leafPem);
  writeFileSync(p('issuer.pem'), issuer.certPem);
  writeFileSync(p('issuer.key'), issuer.keyPem, { mode: 0o600 });
  const expiry = indexTime(new Date(leaf.validTo));
  const line = status === 'good'
    ? `V\t${expiry}\t\t${leaf.serialNumber}\tunknown\t/CN=${LAB_TLS_SERVERNAME}\n`
    : `R\t${expiry}\t${indexTime(new Date(Date.now() - 2 * 86_400_000))},keyCompromise\t${leaf.serialNumber}\tunknown\t/CN=${LAB_TLS_SERVERNAME}\n`;
  writeFileSync(p('index.txt'), line);
  const r = await run(OPENSSL!, ['ocsp', '-index', p('index.txt'), '-rsigner', p('issuer.pem'), '-rkey', p('issuer.key'), '-CA', p('issuer.pem'),
    '-issuer', p('issuer.pem'), '-cert', p('leaf.pem'), '-respout', p('ocsp.der'), '-ndays', '7'], 15_000);
  assert.equal(r.code, 0, `openssl ocsp: ${r.stdout}${r.stderr}`);
  return p('ocsp.der');
}

/** nginx's ssl_protocols for a case: TLS 1.2 and 1.3, or the versions the case's server is limited to (issue 11). */
function protocolsOf(name: TlsCaseName): string[] {
  const all = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
  const s = LAB_TLS_CASES.find((c) => c.name === name)!.server ?? {};
  return all.slice(all.indexOf(s.minVersion ?? 'TLSv1.2'), all.indexOf(s.maxVersion ?? 'TLSv1.3') + 1);
}

function serverBlock(name: TlsCaseName, port: number): string {
  // issue 11: nginx's ssl_verify_client on asks for a client certificate but completes the
  // handshake without one (it answers HTTP 400): netlab notes CLIENT_CERT_REQUESTED there
  const clientCert = LAB_TLS_CASES.find((c) => c.name === name)!.server?.requireClientCert ? `
    ssl_verify_client on;
    ssl_client_certificate ${rootFile};` : '';
  return `  server {
    listen ${ADDR}:${port} ssl;
    server_name ${LAB_TLS_SERVERNAME};
    ssl_certificate ${join(dir, `${name}.chain.pem`)};
    ssl_certificate_key ${join(dir, `${name}.key.pem`)};
    ssl_protocols ${protocolsOf(name).join(' ')};${clientCert}${staples.has(name) ? `
    ssl_stapling on;
    ssl_stapling_file ${staples.get(name)};` : ''}
    location / { return 200 "nginx: lab case ${name}\\n"; }
  }`;
}

before(async () => {
  if (SKIP) return;
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
    if (served.ocspResponse) {
      staples.set(c.name, await opensslStaple(c.name, served.certs[0]!.certPem, pki.intermediate, c.expectedCodes.includes('REVOKED') ? 'revoked' : 'good'));
    }
  }
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
  nginx = await startNginx({
    nginx: NGINX!,
    dir,
    ports: LAB_TLS_CASES.length,
    address: ADDR,
    env: { OPENSSL_CONF: opensslConf },
    servers: (found) => {
      LAB_TLS_CASES.forEach((c, i) => ports.set(c.name, found[i]!));
      return LAB_TLS_CASES.map((c) => serverBlock(c.name, ports.get(c.name)!));
    },
  });
});

after(async () => {
  await nginx?.stop();
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
    assert.ok(protocolsOf(spec.name).includes(doc.tls?.protocol ?? ''), `negotiated ${doc.tls?.protocol}`);
    const notes = ((doc as { notes?: Array<{ code: string }> }).notes ?? []).map((n) => n.code);
    // the case's notes, but nginx asks for a client certificate and goes on without one (REQUESTED, not REQUIRED)
    const expectedNotes = (spec.expectedNotes ?? []).map((n) => (n === 'CLIENT_CERT_REQUIRED' ? 'CLIENT_CERT_REQUESTED' : n));
    assert.deepEqual(notes.sort(), [...expectedNotes].sort(), JSON.stringify(doc));
    // nginx sends the ssl_certificate file's certificates in file order, as the lab server does
    const sent = (bundles.get(spec.name)!.match(PEM_RE) ?? []).map((pem) => new X509Certificate(pem).fingerprint256);
    assert.deepEqual(doc.chain.map((c) => c.fingerprint256), sent, 'the chain as nginx sent it');
    // nginx staples the openssl-made response where configured, and nothing elsewhere
    const ocsp = (doc.tls as { ocsp?: { certStatus: string | null; signedBy?: string } | null } | null)?.ocsp ?? null;
    if (staples.has(spec.name)) {
      assert.equal(ocsp?.certStatus, spec.expectedCodes.includes('REVOKED') ? 'revoked' : 'good', JSON.stringify(ocsp));
      assert.equal(ocsp?.signedBy, 'the issuer');
    } else {
      assert.equal(ocsp, null);
    }
  });
}

test('the nginx process is ours and still running after every case', { skip: SKIP }, () => {
  const child = nginx?.child;
  assert.ok(child && child.exitCode === null && child.signalCode === null, 'nginx died during the run');
  const pid = Number(readFileSync(join(dir, 'nginx.pid'), 'utf8').trim());
  assert.equal(pid, child.pid);
});
