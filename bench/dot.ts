/**
 * issue 14: `netlab dig -f` of 10,000 names over DoT and over DoH (POST, HTTP/2 over TLS)
 * against `dnsperf -m dot` / `-m doh` on the same BIND named, which serves the batch zone on
 * 127.0.0.1 over DoT and DoH with a certificate from a lab CA made here. netlab verifies the
 * certificate (+tls-ca, the strict profile); dnsperf does not verify.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLabPki, DAY_MS, issueLeaf } from '../src/lab/tls/ca.js';
import { freeDnsPort, NAMED_ADDR, startNamed } from '../test/helpers/named.js';
import { median, NETLAB, NODE, timed, which } from './tools.js';
import { fmt, type Row, type Section } from './report.js';
import { batchZoneText } from './named.js';

export const DOT_TITLE = '12. dig -f over DoT and DoH, 10,000 names';
const SIZE = 10_000;
const ORIGIN = 'example.test';
const RUNS = 3;
const CONCURRENCY = [16, 64];

function countNoerror(file: string): number {
  return readFileSync(file, 'utf8').match(/status: NOERROR/g)?.length ?? 0;
}

export async function benchDot(log: (line: string) => void): Promise<Section> {
  const named = which('named');
  const dnsperf = which('dnsperf');
  if (!named) return { title: DOT_TITLE, method: 'Needs BIND named (apt-get install bind9).', rows: [] };
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-dot-'));
  try {
    const pki = await createLabPki(new Date());
    const t = Date.now();
    const leaf = await issueLeaf(pki.intermediate, { dnsNames: ['dns.example.test'], ipAddresses: [NAMED_ADDR], notBefore: new Date(t - DAY_MS), notAfter: new Date(t + DAY_MS) });
    writeFileSync(join(dir, 'server.crt'), leaf.certPem + pki.intermediate.certPem);
    writeFileSync(join(dir, 'server.key'), leaf.keyPem);
    writeFileSync(join(dir, 'ca.crt'), pki.root.certPem);
    writeFileSync(join(dir, 'db.zone'), batchZoneText(ORIGIN, SIZE));
    const dotPort = await freeDnsPort(NAMED_ADDR);
    const dohPort = await freeDnsPort(NAMED_ADDR, [dotPort]);
    const started = await startNamed({
      named, dir, avoid: [dotPort, dohPort],
      options: `  recursion no;
  listen-on port ${dotPort} tls local-tls { ${NAMED_ADDR}; };
  listen-on port ${dohPort} tls local-tls http local-http { ${NAMED_ADDR}; };`,
      zones: () => `tls local-tls { key-file "${dir}/server.key"; cert-file "${dir}/server.crt"; };
http local-http { endpoints { "/dns-query"; }; };
zone "${ORIGIN}" { type primary; file "${dir}/db.zone"; };`,
    });
    if ('failure' in started) throw new Error(`named did not start: ${started.failure.trim().split('\n').slice(-3).join(' | ')}`);
    try {
      const file = join(dir, 'batch.txt');
      writeFileSync(file, Array.from({ length: SIZE }, (_, i) => `h${i}.${ORIGIN} A\n`).join(''));
      const out = join(dir, 'batch.out');
      const qps = (wallMs: number) => SIZE / (wallMs / 1000);
      const rows: Row[] = [];
      for (const [mode, flag, port] of [['dot', '+tls', dotPort], ['doh', '+https', dohPort]] as const) {
        const walls = new Map<number, number>();
        for (const c of CONCURRENCY) {
          const runs: number[] = [];
          for (let i = 0; i < RUNS; i++) {
            const r = await timed(NODE, [NETLAB, 'dig', `@${NAMED_ADDR}`, '-p', String(port), flag, `+tls-ca=${join(dir, 'ca.crt')}`, '-f', file, '--concurrency', String(c)], { stdoutFile: out, timeoutMs: 180_000 });
            const ok = countNoerror(out);
            if (r.code !== 0 || ok !== SIZE) throw new Error(`netlab dig ${flag} -f --concurrency ${c}: exit ${r.code}, ${ok} NOERROR of ${SIZE}: ${r.stderr.trim().slice(0, 300)}`);
            runs.push(r.wallMs);
          }
          walls.set(c, median(runs));
          log(`dot: netlab ${flag} --concurrency ${c}: ${runs.map((x) => fmt(x, 'ms')).join(', ')}`);
        }
        let peer: number | undefined;
        let peerNote: string | undefined = dnsperf ? undefined : 'not installed';
        let detail = '';
        if (dnsperf) {
          const args = ['-m', mode, '-s', NAMED_ADDR, '-p', String(port), '-d', file, ...(mode === 'doh' ? ['-O', `doh-uri=https://${NAMED_ADDR}:${port}/dns-query`, '-O', 'doh-method=POST'] : [])];
          const runs: number[] = [];
          for (let i = 0; i < RUNS; i++) {
            const r = await timed(dnsperf, args, { capture: true, timeoutMs: 120_000 });
            const m = /Queries per second:\s+([\d.]+)/.exec(r.stdout);
            const done = /Queries completed:\s+(\d+)/.exec(r.stdout);
            if (!m || Number(done?.[1]) !== SIZE) {
              peerNote = `dnsperf -m ${mode} did not complete: ${(r.stdout + r.stderr).trim().split('\n').slice(-3).join(' | ').slice(0, 200)}`;
              break;
            }
            runs.push(Number(m[1]));
          }
          if (runs.length === RUNS) {
            peer = median(runs);
            detail = `dnsperf -m ${mode} (1 client, 100 outstanding, no certificate check; its q/s excludes its startup): ${runs.map((x) => Math.round(x).toLocaleString('en-US')).join(', ')} q/s`;
            log(`dot: ${detail}`);
          }
        }
        const [bestC, bestWall] = [...walls].sort((a, b) => a[1] - b[1])[0]!;
        const perC = [...walls].map(([c, w]) => `--concurrency ${c}: ${fmt(w, 'ms')} (${Math.round(qps(w)).toLocaleString('en-US')} q/s)`).join('; ');
        rows.push({ label: `netlab dig ${flag} -f, default (--concurrency 16) vs dnsperf -m ${mode}`, unit: 'q/s', netlab: qps(walls.get(16)!), peerName: `dnsperf -m ${mode}`, peer, peerNote, goal: { kind: 'ratioMin', value: 0.35 }, detail: detail || undefined });
        rows.push({ label: `netlab dig ${flag} -f, best (--concurrency ${bestC}) vs dnsperf -m ${mode}`, unit: 'q/s', netlab: qps(bestWall), peerName: `dnsperf -m ${mode}`, peer, peerNote, goal: { kind: 'ratioMin', value: 0.35 }, detail: `${perC}; every run exit 0 with ${SIZE} \`status: NOERROR\`` });
      }
      return {
        title: DOT_TITLE,
        method: `BIND named serves the batch zone of section 3 (${SIZE.toLocaleString('en-US')} names, one A each) on ${NAMED_ADDR} over DoT and DoH (HTTP/2 over TLS, /dns-query), with a certificate from a lab CA made for the run. \`netlab dig @${NAMED_ADDR} -p P +tls|+https +tls-ca=CA -f FILE\` (certificate verified; one TLS connection or HTTP/2 session for the batch, queries pipelined / multiplexed; text output to a file; wall time of the whole process, startup and handshake included) against \`dnsperf -m dot|doh -s ${NAMED_ADDR} -p P -d FILE\` (DoH: POST to the same URI). q/s = ${SIZE.toLocaleString('en-US')} / wall time (dnsperf reports its own). Median of ${RUNS} runs each. Measured while other work ran on the machine (noisy: re-run on a quiet machine).`,
        rows,
      };
    } finally {
      await started.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
