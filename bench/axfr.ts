/**
 * issue 14: AXFR of a 100,000-record zone from BIND named, `netlab dig` against BIND's dig: the
 * whole process's wall time, the output to /dev/null, both checked once for the same XFR size
 * line. named runs from test/helpers/named.ts (on 127.0.0.1, as the other sections' named).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNamed, NAMED_ADDR } from '../test/helpers/named.js';
import { compare, NETLAB, NODE, timed } from './tools.js';
import { fmt, type Section } from './report.js';

export const AXFR_TITLE = '11. AXFR of a 100,000-record zone';
const RECORDS = 100_000;
const ORIGIN = 'axfr.bench.test';

function zoneText(): string {
  const lines = ['$TTL 300', `@ IN SOA ns1 hostmaster 2026120301 3600 900 604800 300`, '@ IN NS ns1', `ns1 IN A ${NAMED_ADDR}`];
  for (let i = 0; lines.length < RECORDS + 1; i++) lines.push(`h${i} IN A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  return `${lines.join('\n')}\n`;
}

/** The section, or throws when named or dig is missing or a tool's transfer is not the zone. */
export async function benchAxfr(named: string | undefined, dig: string | undefined): Promise<Section> {
  if (!named || !dig) {
    return { title: AXFR_TITLE, method: 'Needs BIND named and dig (apt-get install bind9 bind9-dnsutils).', rows: [{ label: 'AXFR', unit: 'ms', netlabNote: 'not run', peerName: 'BIND dig', peerNote: 'not installed', goal: { kind: 'ratioMax', value: 1.5 } }] };
  }
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-axfr-'));
  writeFileSync(join(dir, 'db.zone'), zoneText());
  const started = await startNamed({ named, dir, zones: () => `zone "${ORIGIN}" { type primary; file "${dir}/db.zone"; allow-transfer { 127.0.0.0/8; }; };` });
  if ('failure' in started) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`named did not start: ${started.failure.trim().split('\n').slice(-3).join(' | ')}`);
  }
  try {
    const args = [`@${NAMED_ADDR}`, '-p', String(started.port), ORIGIN, 'AXFR'];
    const size = (text: string) => /;; XFR size: .*/.exec(text)?.[0];
    const ours = await timed(NODE, [NETLAB, 'dig', ...args], { capture: true, timeoutMs: 120_000 });
    const theirs = await timed(dig, args, { capture: true, timeoutMs: 120_000 });
    const want = `;; XFR size: ${RECORDS + 1} records`;
    if (ours.code !== 0 || !size(ours.stdout)?.startsWith(want)) throw new Error(`netlab dig AXFR: exit ${ours.code}, ${size(ours.stdout) ?? 'no XFR size line'}: ${ours.stderr.trim().slice(0, 300)}`);
    if (size(ours.stdout) !== size(theirs.stdout)) throw new Error(`netlab's '${size(ours.stdout)}' differs from dig's '${size(theirs.stdout)}'`);
    const [a, b] = await compare([[NODE, NETLAB, 'dig', ...args], [dig, ...args]], 7, 1);
    return {
      title: AXFR_TITLE,
      method: `\`netlab dig @named ${ORIGIN} AXFR\` against BIND's \`dig\`, the same command line, from BIND named 9.18 serving a zone of ${RECORDS.toLocaleString('en-US')} records (${(RECORDS + 1).toLocaleString('en-US')} with the closing SOA), output to /dev/null: median wall time of the whole process, startup included, ${a!.runs} runs each after 1 warm-up (${a!.method === 'hyperfine' ? 'hyperfine -N' : 'a loop of spawns'}). Both printed the same line, \`${size(ours.stdout)}\`.`,
      rows: [{
        label: `AXFR, ${RECORDS.toLocaleString('en-US')} records from named`, unit: 'ms', netlab: a!.medianMs, peerName: 'BIND dig', peer: b!.medianMs,
        goal: { kind: 'ratioMax', value: 1.5 },
        detail: `netlab min ${fmt(a!.minMs, 'ms')} max ${fmt(a!.maxMs, 'ms')}; dig min ${fmt(b!.minMs, 'ms')} max ${fmt(b!.maxMs, 'ms')}`,
      }],
      notes: [`Load average ${loadavg()[0]!.toFixed(0)} on ${availableParallelism()} cores when measured: named's sending, not the clients, sets most of both times then, and the figures are noisy; re-run on a quiet machine.`],
    };
  } finally {
    await started.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
