/**
 * issue 11: netlab's verdict on every lab TLS case agrees with
 * `openssl verify -purpose sslserver -verify_hostname www.example.test -CAfile LABROOT
 * -untrusted SENT LEAF` on the same chain and anchors. The cases are the lab's list
 * (LAB_TLS_CASES), so cases added later are compared too.
 *
 *   valid (openssl exit 0)  == netlab has no CRITICAL problem of the kinds openssl judges
 *                              (everything but the expiry thresholds, revocation, the order
 *                              of the chain, weak keys and signatures, which openssl verify
 *                              does not look at without -auth_level, and the leaf's lifetime)
 *
 * For the path cases (src/lab/tls/path-cases.ts) the first error openssl prints is the one the
 * case expects, and netlab names it by its own code (chainCodeFor below). netlab is asked in
 * process (checkCertificate against the live lab server, as `cert-check --ca` does).
 *
 * Needs `openssl` (Debian: openssl); skipped with that message when it is absent.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTlsLab, type TlsLab } from '../../src/lab/tls/index.js';
import { LAB_TLS_CASES } from '../../src/lab/tls/cases.js';
import { PATH_CASE_ROWS } from '../../src/lab/tls/path-cases.js';
import { checkCertificate, type CertCheckResult } from '../../src/protocol/tls/check.js';
import { run, which } from '../helpers/tools.js';

const OPENSSL = which('openssl');
const SKIP = OPENSSL ? false : 'openssl is not installed (apt-get install openssl)';
const HOST = 'www.example.test';
const PEM_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g;

/** Codes of checks `openssl verify` does not make (without -auth_level, -crl_check, a staple). */
const NOT_JUDGED_BY_OPENSSL = new Set(['EXPIRES_SOON', 'REVOKED', 'BAD_OCSP_STAPLE', 'WEAK_KEY', 'WEAK_SIGNATURE', 'CHAIN_ORDER', 'LONG_VALIDITY']);

/** netlab's code for an OpenSSL 3.0 verify error. */
function chainCodeFor(e: { code: number; depth: number }): string | undefined {
  switch (e.code) {
    case 9: return 'NOT_YET_VALID';
    case 10: return 'EXPIRED';
    case 18: return 'SELF_SIGNED'; // X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
    case 19: return 'UNTRUSTED_ROOT'; // X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN
    case 2:
    case 20: return e.depth === 0 ? 'MISSING_INTERMEDIATE' : 'UNTRUSTED_ROOT';
    case 7: return 'BAD_SIGNATURE';
    case 22: return 'CHAIN_TOO_LONG';
    case 24: case 79: // X509_V_ERR_INVALID_CA (79 in OpenSSL 3.0's numbering)
    case 25: // X509_V_ERR_PATH_LENGTH_EXCEEDED
    case 32: // X509_V_ERR_KEYUSAGE_NO_CERTSIGN
    case 47: case 48: case 49: // permitted / excluded subtree violation, min/max
      return 'CONSTRAINT_VIOLATION';
    case 26: return 'WRONG_PURPOSE'; // X509_V_ERR_INVALID_PURPOSE
    case 34: return 'UNKNOWN_CRITICAL_EXTENSION'; // X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION
    case 62: return 'HOSTNAME_MISMATCH';
    default: return undefined;
  }
}

let lab: TlsLab | undefined;
let dir = '';

before(async () => {
  if (!OPENSSL) return;
  lab = await startTlsLab({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'netlab-verify-'));
});

after(async () => {
  await lab?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Verdict {
  ok: boolean;
  errors: Array<{ code: number; depth: number; text: string }>;
  output: string;
}

async function opensslVerify(name: string): Promise<Verdict> {
  const sent = lab!.bundles[name as keyof TlsLab['bundles']].match(PEM_RE) ?? [];
  assert.ok(sent.length > 0, `${name}: empty bundle`);
  const leaf = join(dir, `${name}.leaf.pem`);
  writeFileSync(leaf, sent[0]!);
  const args = ['verify', '-purpose', 'sslserver', '-verify_hostname', HOST, '-CAfile', lab!.caFile];
  if (sent.length > 1) {
    const rest = join(dir, `${name}.untrusted.pem`);
    writeFileSync(rest, sent.slice(1).join(''));
    args.push('-untrusted', rest);
  }
  const r = await run(OPENSSL!, [...args, leaf], 15_000);
  const output = `${r.stdout}${r.stderr}`.trim();
  const errors = [...output.matchAll(/^error (\d+) at (\d+) depth lookup: (.*)$/gm)].map((m) => ({ code: Number(m[1]), depth: Number(m[2]), text: m[3]! }));
  const ok = r.code === 0 && r.stdout.includes(`${leaf}: OK`);
  assert.ok(ok || errors.length > 0, `openssl verify failed without an error line (exit ${r.code}): ${output}`);
  return { ok, errors, output };
}

async function netlab(name: string): Promise<CertCheckResult> {
  const c = lab!.cases.find((x) => x.name === name)!;
  return checkCertificate({ server: { host: c.servername, port: c.port }, connectTo: c.address, trust: { ca: [lab!.rootPem], systemRoots: false }, timeoutMs: 10_000 });
}

const netlabValid = (r: CertCheckResult) => !r.problems.some((p) => p.severity === 'CRITICAL' && !NOT_JUDGED_BY_OPENSSL.has(p.code));

test('every lab TLS case: netlab valid / not valid == openssl verify -purpose sslserver -verify_hostname', { skip: SKIP, timeout: 120_000 }, async () => {
  assert.equal(lab!.cases.length, LAB_TLS_CASES.length);
  const disagree: string[] = [];
  for (const c of lab!.cases) {
    const [r, v] = await Promise.all([netlab(c.name), opensslVerify(c.name)]);
    const mine = netlabValid(r);
    if (mine !== v.ok) disagree.push(`${c.name}: netlab ${mine ? 'valid' : 'not valid'} (${r.problems.map((p) => `${p.severity} ${p.code}`).join(', ') || 'no problem'}); openssl: ${v.output}`);
    else if (!v.ok) {
      // the first error openssl names is one netlab reports too, by its own name
      const code = chainCodeFor(v.errors[0]!);
      if (code === undefined || !r.problems.some((p) => p.code === code)) disagree.push(`${c.name}: openssl's first error ${v.errors[0]!.code} (${v.errors[0]!.text}) is ${code ?? 'not mapped'}; netlab: ${r.problems.map((p) => p.code).join(', ')}`);
    }
  }
  assert.deepEqual(disagree, []);
});

test('the path cases: openssl fails with exactly the expected first error, netlab with exactly the expected codes', { skip: SKIP, timeout: 120_000 }, async () => {
  assert.equal(PATH_CASE_ROWS.length, 15);
  for (const row of PATH_CASE_ROWS) {
    const [r, v] = await Promise.all([netlab(row.name), opensslVerify(row.name)]);
    assert.deepEqual(v.errors.map((e) => e.code).slice(0, 1), row.opensslErrors.slice(0, 1), `${row.name}: ${v.output}`);
    assert.deepEqual({ status: r.status, codes: r.problems.map((p) => p.code).sort() }, { status: row.expectedStatus, codes: [...row.expectedCodes].sort() }, row.name);
    if (row.opensslErrors.length > 0) assert.ok(r.problems.some((p) => p.code === chainCodeFor(v.errors[0]!)), row.name);
    assert.equal(r.trusted, row.opensslErrors.length === 0, `${row.name}: trusted`);
  }
});
