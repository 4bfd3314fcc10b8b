/**
 * Benchmark 5: one certificate check against the lab's `good` TLS server (RSA 2048 leaf and
 * the lab intermediate, src/lab/tls), netlab cert-check side by side with
 * `openssl s_client -verify_return_error`, which also connects, handshakes and verifies the
 * chain against the lab root (and the system's default verify paths, as netlab adds --ca to
 * the system roots). openssl s_client reads stdin until EOF: hyperfine 1.15 gives every
 * command /dev/null as stdin (it has no --input option before 1.16), and timed() does too.
 */
import { spawnSync } from 'node:child_process';
import { startTlsLab, type TlsLab } from '../src/lab/tls/index.js';
import { compare, median, NETLAB, NODE, ROOT, timed } from './tools.js';
import { fmt, type Row, type Section } from './report.js';

const RUNS = 30;
const WARMUP = 3;
const GOAL = { kind: 'ratioMax', value: 2 } as const;

function ms(x: number): string {
  return fmt(x, 'ms');
}

/** Median over 5 fresh Node processes (ESM, cwd the repository) of the ms a script prints. */
function inFreshNode(script: string): number | undefined {
  const xs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = spawnSync(NODE, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
    const v = Number(r.stdout);
    if (r.status !== 0 || r.stdout === '' || !Number.isFinite(v)) return undefined;
    xs.push(v);
  }
  return median(xs);
}

/**
 * Importing the modules a check loads: the command (with node:tls, the chain analysis and the
 * trust store) and its text renderer (with cli-table3). cert-check no longer loads
 * @peculiar/x509 (certs.ts reads the signature algorithm from the DER itself).
 */
const MODULES_IMPORT = "const t = performance.now(); await import('./dist/src/commands/cert-check/run.js'); await import('./dist/src/commands/cert-check/render.js'); process.stdout.write(String(performance.now() - t));";
/** Reading and parsing the system roots, as cert-check does unless --no-system-ca (the module loaded first). */
const LOAD_ROOTS = "const { loadTrustStore } = await import('./dist/src/protocol/tls/trust.js'); const t = performance.now(); loadTrustStore(); process.stdout.write(String(performance.now() - t));";

export async function benchCertCheck(openssl: string | undefined, startup: Row | undefined): Promise<Section> {
  const title = '5. cert-check, one TLS server';
  let lab: TlsLab | undefined;
  try {
    lab = await startTlsLab({ port: 0 });
    const good = lab.cases.find((c) => c.name === 'good');
    if (!good) throw new Error('the TLS lab has no good case');
    const target = `${good.servername}:${good.port}`;
    const ours = ['cert-check', target, '--connect-to', good.address, '--ca', lab.caFile];
    const theirs = ['s_client', '-connect', `${good.address}:${good.port}`, '-servername', good.servername, '-CAfile', lab.caFile, '-verify_return_error'];

    // Check before timing: a broken setup must not be reported as a speed.
    const check = await timed(NODE, [NETLAB, ...ours], { capture: true, timeoutMs: 30_000 });
    if (check.code !== 0 || !check.stdout.startsWith('CERT OK')) throw new Error(`netlab ${ours.join(' ')}: exit ${check.code}: ${(check.stdout + check.stderr).trim().split('\n')[0]}`);
    const checks = ['netlab exited 0 with `CERT OK`'];
    const row: Row = { label: '`cert-check` vs `openssl s_client -verify_return_error` (lab `good` server)', unit: 'ms', peerName: 'openssl s_client', goal: GOAL };
    const commands = [[NODE, NETLAB, ...ours]];
    if (openssl) {
      const r = await timed(openssl, theirs, { capture: true, timeoutMs: 30_000 });
      if (r.code !== 0 || !r.stdout.includes('Verify return code: 0 (ok)')) {
        throw new Error(`openssl ${theirs.join(' ')}: exit ${r.code}: ${/Verify return code: .*/.exec(r.stdout)?.[0] ?? r.stderr.trim().split('\n').pop()}`);
      }
      checks.push('openssl exited 0 with `Verify return code: 0 (ok)`');
      commands.push([openssl, ...theirs]);
    }
    const [a, peer] = await compare(commands, RUNS, WARMUP);
    const method = a!.method === 'hyperfine' ? '`hyperfine -N`' : 'a loop of spawns (hyperfine is not installed)';
    row.netlab = a!.medianMs;
    if (peer) {
      row.peer = peer.medianMs;
      row.detail = `${a!.runs} runs each (${a!.method}); netlab min ${ms(a!.minMs)} max ${ms(a!.maxMs)}, openssl min ${ms(peer.minMs)} max ${ms(peer.maxMs)}; ${checks.join(', ')}`;
    } else {
      row.peerNote = 'not installed';
    }

    const notes: string[] = [];
    const importMs = inFreshNode(MODULES_IMPORT);
    const rootsMs = inFreshNode(LOAD_ROOTS);
    const parts: string[] = [];
    if (startup?.peer !== undefined) parts.push(`bare \`node -e 0\` (section 1) takes ${ms(startup.peer)}${peer ? `, ${(startup.peer / peer.medianMs).toFixed(1)}x openssl's whole check` : ''}`);
    if (importMs !== undefined) parts.push(`importing the modules a check loads (the command with node:tls, the chain checks and the trust store, and the text renderer with cli-table3) takes ${ms(importMs)} in a fresh process`);
    if (rootsMs !== undefined) parts.push(`reading and parsing the system roots (loadTrustStore) takes ${ms(rootsMs)}`);
    if (startup?.peer !== undefined && importMs !== undefined && rootsMs !== undefined) {
      parts.push(`what is left for everything else (the CLI and commander, the connection and handshake, the checks, the output) is about ${ms(a!.medianMs - startup.peer - importMs - rootsMs)}`);
    }
    if (peer) {
      const floor = startup?.peer !== undefined && 2 * peer.medianMs < startup.peer ? ', less than a bare Node process needs to start' : '';
      parts.push(`the <= 2x goal is ${ms(2 * peer.medianMs)}${floor}`);
    }
    notes.push(`Where netlab's time goes: ${parts.join('; ')}. netlab also does more than s_client does here (the name check, dates, order, key and signature strength, all problems listed rather than the first), which the comparison does not credit.`);
    return {
      title,
      method: `One check of the lab's \`good\` server (startTlsLab in the bench process, 127.54.0.1, RSA 2048 leaf sent with its intermediate): \`node bin/netlab.js cert-check www.example.test:PORT --connect-to 127.54.0.1 --ca ROOT\` against \`openssl s_client -connect 127.54.0.1:PORT -servername www.example.test -CAfile ROOT -verify_return_error\` with stdin at /dev/null (it sends nothing, closes on EOF, and exits non-zero when verification fails). Both trust the lab root plus the system's roots. Median wall time of ${RUNS} runs each after ${WARMUP} warm-ups, whole process including startup, measured with ${method}.`,
      rows: [row],
      notes,
    };
  } finally {
    await lab?.close();
  }
}
