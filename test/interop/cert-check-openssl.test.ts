/**
 * netlab cert-check against OpenSSL, case by case over the TLS lab (src/lab/tls): the chain
 * each lab server sends is written to PEM files and judged by `openssl verify` and
 * `openssl x509 -checkhost`, and netlab's verdicts on the live server must agree.
 *
 *   trusted        == openssl verify -no_check_time -purpose sslserver (chain building alone;
 *                     `openssl verify` also fails on dates, which netlab reports separately)
 *   EXPIRED / NOT_YET_VALID
 *                  == openssl verify without -no_check_time fails with error 10 / 9
 *   hostnameMatch  == openssl x509 -noout -checkhost www.example.test
 *   WEAK_KEY / WEAK_SIGNATURE
 *                  == openssl verify -auth_level 2 fails with error 66 or 67 / 68
 *   chain as sent  == the certificates `openssl s_client -showcerts` prints, in that order
 *
 * `openssl verify` stops at the first error it does not tolerate (apps/verify.c cb: it goes
 * on after 10 and 18 only), so when the chain cannot be built (errors 19, 20) it never
 * reaches the date and key checks. For those cases the date and key comparisons run with
 * `-partial_chain` and every certificate sent added to -trusted: the path then ends at a
 * certificate of the chain as sent and its dates and keys are still judged.
 *
 * Needs `openssl` (Debian: openssl). Every command runs without a shell, with a bounded wait.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTlsLab, type TlsLab, type TlsLabCase } from '../../src/lab/tls/index.js';
import { LAB_TLS_CASES, type TlsCaseName } from '../../src/lab/tls/cases.js';
import { runCli } from '../helpers/cli.js';
import { run, which } from '../helpers/tools.js';

const OPENSSL = which('openssl');
const SKIP = OPENSSL ? false : 'openssl is not installed (apt-get install openssl)';
const HOST = 'www.example.test';
const PEM_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g;

let lab: TlsLab | undefined;
let dir = '';

interface CaseFiles {
  leaf: string;
  /** The certificates sent after the leaf, in order; undefined when the leaf was sent alone. */
  untrusted?: string;
  /** Every certificate sent, one file each (for -partial_chain -trusted). */
  each: string[];
  sent: string[];
}

const files = new Map<TlsCaseName, CaseFiles>();

interface NetlabDoc {
  status: string;
  trusted: boolean;
  hostnameMatch: boolean | null;
  problems: Array<{ code: string; message: string }>;
  chain: Array<{ fingerprint256: string; subject: string }>;
  tls: { ocsp: { certStatus: string | null; revocationReason?: string } | null } | null;
}

const netlabRuns = new Map<TlsCaseName, Promise<NetlabDoc>>();

/** netlab cert-check --json on the live lab server of a case, run once per case. */
function netlab(c: TlsLabCase): Promise<NetlabDoc> {
  let p = netlabRuns.get(c.name);
  if (!p) {
    p = runCli(['cert-check', `${c.servername}:${c.port}`, '--connect-to', c.address, '--ca', lab!.caFile, '--json'], { timeoutMs: 20_000 })
      .then((r) => {
        assert.ok(r.stdout.trim().startsWith('{'), `${c.name}: netlab printed no JSON (exit ${r.code}): ${r.stderr}`);
        return JSON.parse(r.stdout) as NetlabDoc;
      });
    netlabRuns.set(c.name, p);
  }
  return p;
}

const codesOf = (doc: NetlabDoc) => doc.problems.map((p) => p.code);

interface Verify {
  ok: boolean;
  /** Every `error N at D depth lookup: TEXT` line, in order. */
  errors: Array<{ code: number; depth: number; text: string }>;
  output: string;
}

/** openssl verify [args] -purpose sslserver -CAfile ROOT [-untrusted REST] LEAF */
async function verify(name: TlsCaseName, args: string[], partialChain = false): Promise<Verify> {
  const f = files.get(name)!;
  const trust = partialChain
    ? ['-partial_chain', '-trusted', lab!.caFile, ...f.each.flatMap((p) => ['-trusted', p])]
    : ['-CAfile', lab!.caFile, ...(f.untrusted ? ['-untrusted', f.untrusted] : [])];
  const r = await run(OPENSSL!, ['verify', ...args, '-purpose', 'sslserver', ...trust, f.leaf], 15_000);
  const output = `${r.stdout}${r.stderr}`;
  const errors = [...output.matchAll(/^error (\d+) at (\d+) depth lookup: (.*)$/gm)].map((m) => ({ code: Number(m[1]), depth: Number(m[2]), text: m[3]! }));
  const ok = r.code === 0 && r.stdout.includes(`${f.leaf}: OK`);
  assert.ok(ok || errors.length > 0, `openssl verify failed without an error line (exit ${r.code}): ${output}`);
  return { ok, errors, output: output.trim() };
}

/** A chain-building verdict, and the verify to use for date and key checks of that case. */
async function chainVerdict(name: TlsCaseName): Promise<Verify> {
  return verify(name, ['-no_check_time']);
}

/** netlab's path code for an OpenSSL chain-building error. */
function chainCodeFor(e: { code: number; depth: number }): string | undefined {
  switch (e.code) {
    case 18: return 'SELF_SIGNED'; // X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
    case 19: return 'UNTRUSTED_ROOT'; // X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN
    case 2: // X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT
    case 20: // X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY: at depth 0 the leaf's issuer is missing
      return e.depth === 0 ? 'MISSING_INTERMEDIATE' : 'UNTRUSTED_ROOT';
    case 7: return 'BAD_SIGNATURE'; // X509_V_ERR_CERT_SIGNATURE_FAILURE
    case 22: return 'CHAIN_TOO_LONG'; // X509_V_ERR_CERT_CHAIN_TOO_LONG: past the verify depth (100 by default)
    // issue 11: path validation
    case 24: case 79: case 25: case 32: case 47: case 48: case 49: return 'CONSTRAINT_VIOLATION'; // invalid CA, path length, keyCertSign, name constraints
    case 26: return 'WRONG_PURPOSE'; // X509_V_ERR_INVALID_PURPOSE
    case 34: return 'UNKNOWN_CRITICAL_EXTENSION'; // X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION
    default: return undefined;
  }
}

before(async () => {
  if (!OPENSSL) return;
  lab = await startTlsLab({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'netlab-openssl-'));
  for (const c of lab.cases) {
    const sent = lab.bundles[c.name].match(PEM_RE) ?? [];
    assert.ok(sent.length > 0, `${c.name}: empty bundle`);
    const each = sent.map((pem, i) => {
      const p = join(dir, `${c.name}.${i}.pem`);
      writeFileSync(p, pem.endsWith('\n') ? pem : `${pem}\n`);
      return p;
    });
    const f: CaseFiles = { leaf: each[0]!, each, sent };
    if (sent.length > 1) {
      f.untrusted = join(dir, `${c.name}.untrusted.pem`);
      writeFileSync(f.untrusted, sent.slice(1).map((p) => (p.endsWith('\n') ? p : `${p}\n`)).join(''));
    }
    files.set(c.name, f);
  }
});

after(async () => {
  await lab?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function labCase(name: TlsCaseName): TlsLabCase {
  const c = lab!.cases.find((x) => x.name === name);
  assert.ok(c, `no lab case ${name}`);
  return c;
}

test('openssl and the lab are usable: the good chain verifies, the self-signed one does not', { skip: SKIP, timeout: 30_000 }, async () => {
  assert.equal(lab!.cases.length, LAB_TLS_CASES.length);
  assert.equal((await chainVerdict('good')).ok, true, 'openssl verify rejects the good chain: is the lab root written?');
  const ss = await chainVerdict('self-signed');
  assert.equal(ss.ok, false);
  assert.equal(ss.errors[0]?.code, 18, ss.output);
});

for (const spec of LAB_TLS_CASES) {
  const name = spec.name;

  test(`${name}: trusted equals openssl verify -no_check_time, and the failing check is the same`, { skip: SKIP, timeout: 30_000 }, async () => {
    const [doc, v] = await Promise.all([netlab(labCase(name)), chainVerdict(name)]);
    assert.equal(doc.trusted, v.ok, `netlab trusted=${doc.trusted}, openssl: ${v.output}`);
    if (!v.ok) {
      // The first chain error openssl names is one netlab reports too (by its own name).
      const first = v.errors[0]!;
      const code = chainCodeFor(first);
      assert.ok(code, `openssl error ${first.code} (${first.text}) has no netlab equivalent listed here: ${v.output}`);
      assert.ok(codesOf(doc).includes(code), `openssl: error ${first.code} at depth ${first.depth} (${first.text}); netlab: ${codesOf(doc).join(', ')}`);
    } else {
      for (const code of ['SELF_SIGNED', 'UNTRUSTED_ROOT', 'MISSING_INTERMEDIATE', 'BAD_SIGNATURE', 'CONSTRAINT_VIOLATION', 'WRONG_PURPOSE', 'UNKNOWN_CRITICAL_EXTENSION']) {
        assert.ok(!codesOf(doc).includes(code), `openssl verifies the chain but netlab reports ${code}`);
      }
    }
  });

  test(`${name}: EXPIRED / NOT_YET_VALID exactly where openssl verify reports error 10 / 9`, { skip: SKIP, timeout: 30_000 }, async () => {
    const doc = await netlab(labCase(name));
    const built = (await chainVerdict(name)).ok;
    // Without a buildable chain openssl stops before its date checks: judge the sent path with -partial_chain.
    const v = await verify(name, [], !built);
    const opensslCodes = new Set(v.errors.map((e) => e.code));
    assert.equal(codesOf(doc).includes('EXPIRED'), opensslCodes.has(10), `EXPIRED: netlab ${codesOf(doc).join(', ') || '(none)'}; openssl${built ? '' : ' -partial_chain'}: ${v.output}`);
    assert.equal(codesOf(doc).includes('NOT_YET_VALID'), opensslCodes.has(9), `NOT_YET_VALID: netlab ${codesOf(doc).join(', ') || '(none)'}; openssl${built ? '' : ' -partial_chain'}: ${v.output}`);
    if (built) {
      // And the dates are the only thing standing between the two verdicts.
      const others = v.errors.filter((e) => e.code !== 9 && e.code !== 10);
      assert.deepEqual(others, [], v.output);
    }
  });

  test(`${name}: hostnameMatch equals openssl x509 -checkhost ${HOST}`, { skip: SKIP, timeout: 30_000 }, async () => {
    const doc = await netlab(labCase(name));
    const r = await run(OPENSSL!, ['x509', '-noout', '-checkhost', HOST, '-in', files.get(name)!.leaf], 15_000);
    // openssl x509 -checkhost exits 0 either way: the sentence is the verdict.
    const m = /Hostname \S+ does (NOT )?match certificate/.exec(r.stdout);
    assert.ok(m, `openssl x509 -checkhost printed no verdict (exit ${r.code}): ${r.stdout}${r.stderr}`);
    const opensslMatch = m[1] === undefined;
    assert.equal(doc.hostnameMatch, opensslMatch, `netlab ${doc.hostnameMatch}, openssl: ${r.stdout.trim()}`);
    assert.equal(codesOf(doc).includes('HOSTNAME_MISMATCH'), !opensslMatch);
  });

  test(`${name}: WEAK_KEY / WEAK_SIGNATURE exactly where openssl verify -auth_level 2 reports 66-67 / 68`, { skip: SKIP, timeout: 30_000 }, async () => {
    const doc = await netlab(labCase(name));
    const built = (await chainVerdict(name)).ok;
    const v = await verify(name, ['-auth_level', '2', '-no_check_time'], !built);
    const opensslCodes = new Set(v.errors.map((e) => e.code));
    // 66 X509_V_ERR_EE_KEY_TOO_SMALL, 67 X509_V_ERR_CA_KEY_TOO_SMALL, 68 X509_V_ERR_CA_MD_TOO_WEAK
    const opensslWeakKey = opensslCodes.has(66) || opensslCodes.has(67);
    const opensslWeakSig = opensslCodes.has(68);
    assert.equal(codesOf(doc).includes('WEAK_KEY'), opensslWeakKey, `WEAK_KEY: netlab ${codesOf(doc).join(', ') || '(none)'}; openssl -auth_level 2: ${v.output}`);
    assert.equal(codesOf(doc).includes('WEAK_SIGNATURE'), opensslWeakSig, `WEAK_SIGNATURE: netlab ${codesOf(doc).join(', ') || '(none)'}; openssl -auth_level 2: ${v.output}`);
    if (spec.weak) assert.ok(opensslWeakKey || opensslWeakSig, `the lab marks ${name} weak but openssl -auth_level 2 accepts it: ${v.output}`);
  });

  test(`${name}: the chain netlab reports is the chain openssl s_client -showcerts receives, in order`, { skip: SKIP, timeout: 30_000 }, async () => {
    const c = labCase(name);
    const doc = await netlab(c);
    // SECLEVEL=0 as netlab's own client: OpenSSL 3 refuses the RSA 1024 and SHA-1 chains otherwise.
    const r = await run(OPENSSL!, ['s_client', '-connect', `${c.address}:${c.port}`, '-servername', c.servername,
      '-showcerts', '-cipher', 'DEFAULT:@SECLEVEL=0'], 15_000);
    const received = (r.stdout.match(PEM_RE) ?? []).map((pem) => new X509Certificate(pem).fingerprint256);
    assert.ok(received.length > 0, `s_client received no certificate (exit ${r.code}): ${r.stderr.slice(-400)}`);
    const bundle = files.get(name)!.sent.map((pem) => new X509Certificate(pem).fingerprint256);
    assert.deepEqual(received, bundle, 'the lab server sends its bundle as it is');
    assert.deepEqual(doc.chain.map((x) => x.fingerprint256), received);
  });
}

test('the OCSP responses the lab staples: openssl ocsp verifies each against the lab root and reads the status netlab reads', { skip: SKIP, timeout: 60_000 }, async () => {
  const stapling = LAB_TLS_CASES.filter((c) => lab!.staples[c.name]);
  assert.deepEqual(stapling.map((c) => c.name), ['ocsp-good', 'ocsp-revoked']);
  const inter = join(dir, 'lab-intermediate.pem');
  writeFileSync(inter, lab!.intermediatePem);
  for (const spec of stapling) {
    const der = join(dir, `${spec.name}.ocsp.der`);
    writeFileSync(der, lab!.staples[spec.name]!);
    const f = files.get(spec.name)!;
    // -verify_other: the signer (the intermediate) chains to the lab root given as -CAfile
    const r = await run(OPENSSL!, ['ocsp', '-respin', der, '-issuer', inter, '-cert', f.leaf, '-CAfile', lab!.caFile, '-verify_other', inter, '-no_nonce'], 15_000);
    const out = `${r.stdout}${r.stderr}`;
    assert.match(out, /Response verify OK/, `${spec.name}: ${out}`);
    const status = new RegExp(`${f.leaf.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: (good|revoked|unknown)`).exec(out)?.[1];
    assert.ok(status, `${spec.name}: no status line in ${out}`);
    const doc = await netlab(labCase(spec.name));
    assert.equal(doc.tls?.ocsp?.certStatus, status, spec.name);
    if (status === 'revoked') {
      assert.match(out, /Reason: keyCompromise/);
      assert.equal(doc.tls?.ocsp?.revocationReason, 'keyCompromise');
    }
  }
});


// issue 9.2: cert-check built paths only 10 deep: untrusted chains of 11 and 12 certificates were CERT OK
test('long chains (20 certificates trusted and untrusted, 102 past the depth): netlab agrees with openssl verify', { skip: SKIP, timeout: 120_000 }, async () => {
  const { makeLadder } = await import('../helpers/long-chain.js');
  const { LabTlsServer } = await import('../../src/lab/tls/server.js');
  const ladder = await makeLadder(101);
  const root = join(dir, 'ladder-root.pem');
  const other = join(dir, 'ladder-other-root.pem');
  writeFileSync(root, ladder.rootPem);
  writeFileSync(other, ladder.otherRootPem);
  for (const [n, ca, expected] of [[20, root, 'trusted'], [20, other, 'untrusted'], [101, root, 'trusted'], [101, other, 'untrusted'], [102, root, 'too long']] as const) {
    const what = `${n} certificates, ${expected}`;
    const chain = await ladder.chain(n);
    const sent = chain.certChainPem.match(PEM_RE) ?? [];
    assert.equal(sent.length, n);
    const leaf = join(dir, `ladder-${n}.leaf.pem`);
    const rest = join(dir, `ladder-${n}.untrusted.pem`);
    writeFileSync(leaf, sent[0]!);
    writeFileSync(rest, sent.slice(1).join(''));
    const v = await run(OPENSSL!, ['verify', '-purpose', 'sslserver', '-CAfile', ca, '-untrusted', rest, leaf], 30_000);
    const out = `${v.stdout}${v.stderr}`;
    const errors = [...out.matchAll(/^error (\d+) at (\d+) depth lookup/gm)].map((m) => ({ code: Number(m[1]), depth: Number(m[2]) }));
    const opensslOk = v.code === 0 && v.stdout.includes(`${leaf}: OK`);
    assert.equal(opensslOk, expected === 'trusted', `${what}: openssl ${out}`);
    const server = new LabTlsServer({ address: '127.0.0.1', port: 0, certChainPem: chain.certChainPem, keyPem: chain.keyPem, body: what });
    await server.start();
    try {
      const r = await runCli(['cert-check', `${HOST}:${server.port}`, '--connect-to', '127.0.0.1', '--ca', ca, '--no-system-ca', '--json'], { timeoutMs: 30_000 });
      const doc = JSON.parse(r.stdout) as NetlabDoc;
      assert.equal(doc.chain.length, n, what);
      assert.equal(doc.trusted, opensslOk, `${what}: netlab ${JSON.stringify(doc.problems)}; openssl ${out}`);
      assert.equal(r.code, opensslOk ? 0 : 2, what);
      if (!opensslOk) {
        const code = chainCodeFor(errors[0]!);
        assert.ok(code, `openssl error ${errors[0]?.code} has no netlab equivalent: ${out}`);
        assert.deepEqual(codesOf(doc), [code], `${what}: openssl ${out}`);
      }
    } finally {
      await server.close();
    }
  }
});
