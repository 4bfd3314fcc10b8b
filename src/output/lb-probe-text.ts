/** lb-probe's text: the verdict line first (as Nagios plugins print it), a table per backend, the verdicts. */
import Table from 'cli-table3';
import type { LbProbeResult } from '../commands/lb-probe.js';
import { formatP, MIN_EXPECTED, type LbProblem } from '../protocol/lb/index.js';

const BAR_CELLS = 20;

function pct(x: number | null): string {
  return x === null ? '-' : `${(100 * x).toFixed(1)}%`;
}

function ms(x: number | null): string {
  return x === null ? '-' : x < 10 ? `${x.toFixed(2)} ms` : `${x.toFixed(1)} ms`;
}

/** A share as a bar of BAR_CELLS cells: █ as expected, ▓ above the expected share, ░ missing up to it. */
export function shareBar(share: number, expected: number | null): string {
  const obs = Math.round(share * BAR_CELLS);
  const exp = expected === null ? obs : Math.round(expected * BAR_CELLS);
  let bar = '';
  for (let i = 0; i < BAR_CELLS; i++) bar += i < Math.min(obs, exp) ? '█' : i < obs ? '▓' : i < exp ? '░' : ' ';
  return bar.trimEnd();
}

function problemTag(p: LbProblem, r: LbProbeResult): string {
  if (p.backend) return `${p.code} ${p.backend}`;
  if (p.code === 'VIP_UNREACHABLE') return `${p.code} (${r.errors[0]?.message ?? 'no answer'})`;
  return p.code;
}

/** `LB OK - 127.56.0.11:8080: 100 answers from 3 backends match the weights 3:1:1 (p = 0.93)`, or the problem codes. */
export function lbVerdictLine(r: LbProbeResult): string {
  if (r.problems.length === 0) {
    const d = r.distribution;
    const inService = r.backends.filter((b) => (b.expectedShare ?? 0) > 0);
    const weights = inService.map((b) => b.weight ?? 1).join(':');
    const unit = d?.unit === 'source' ? 'sources' : 'answers';
    const p = d?.pValue !== null && d?.pValue !== undefined ? ` (${formatP(d.pValue)})` : '';
    return `LB OK - ${r.vip}: ${d?.observed ?? r.answered} ${unit} from ${inService.length} backend${inService.length === 1 ? '' : 's'} match the weights ${weights}${p}`;
  }
  const order = ['CRITICAL', 'WARNING', 'UNKNOWN'];
  const sorted = [...r.problems].sort((a, b) => order.indexOf(a.severity) - order.indexOf(b.severity));
  return `LB ${r.status} - ${r.vip}: ${[...new Set(sorted.map((p) => problemTag(p, r)))].join(', ')}`;
}

export function renderLbProbeText(r: LbProbeResult): string {
  const out: string[] = [lbVerdictLine(r), ''];
  const what = r.mode === 'http' ? `HTTP GET ${r.path}` : 'TCP, reading the banner';
  const timing = r.vipLatencyMs !== null ? `, median ${ms(r.vipLatencyMs)}` : '';
  out.push(`VIP ${r.vip}, ${what}: ${r.answered} of ${r.requests} probes answered (a fresh connection each, ${r.concurrency} at a time${timing})${r.sent < r.requests ? `; ${r.requests - r.sent} not sent after the first ones failed` : ''}`);
  if (r.identify.method) out.push(`Backends told apart by ${r.identify.description} (${r.identify.reason})`);
  else if (r.answered > 0) out.push(`Backends could not be told apart: ${r.identify.reason}`);
  if (r.backends.length > 0) {
    const table = new Table({
      head: ['Backend', 'Marker', 'Healthy', 'Latency', 'Count', 'Share', 'Expected', 'Share (▓ over, ░ short)'],
      style: { head: [], border: [] },
      chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    });
    for (const b of r.backends) {
      const marker = b.marker === null ? '-' : b.marker.length > 24 ? `${b.marker.slice(0, 21)}...` : b.marker;
      const healthy = b.healthy === null ? '?' : b.healthy ? 'yes' : `NO`;
      table.push([
        b.address ?? (b.snippet ? `via VIP: "${b.snippet.length > 20 ? `${b.snippet.slice(0, 17)}...` : b.snippet}"` : '(seen via VIP)'),
        `${marker}${b.byElimination ? ' *' : ''}`,
        healthy,
        ms(b.latencyMs),
        String(b.count),
        pct(b.share),
        b.healthy === false && b.expectedShare === 0 ? '- (down)' : pct(b.expectedShare),
        shareBar(b.share, b.expectedShare),
      ]);
    }
    out.push(table.toString());
    if (r.backends.some((b) => b.byElimination)) out.push('  * by elimination: the one backend without a marker of its own, the one marker no backend claimed');
  }
  const u = r.unattributed;
  out.push(`Unattributed: ${u} answer${u === 1 ? '' : 's'}${u > 0 ? ` (${r.unattributedMarkers.map((m) => `${m.marker.length > 40 ? `${m.marker.slice(0, 37)}...` : m.marker}${m.statusCode !== null ? ` HTTP ${m.statusCode}` : ''} x${m.count}`).join(', ')})` : ''}`);
  if (r.failed > 0) out.push(`Failed: ${r.failed} probe${r.failed === 1 ? '' : 's'} (${r.errors.map((e) => `${e.message} x${e.count}`).join('; ')})`);

  const d = r.distribution;
  if (d) {
    const unit = d.unit === 'source' ? 'sources (each sticks to one backend, so sources are what is spread)' : 'attributed answers';
    if (!d.judged) {
      out.push(`Distribution: not judged: the smallest expected count is ${d.minExpected.toFixed(1)}, under ${MIN_EXPECTED}; ${d.needed} ${d.unit === 'source' ? 'sources' : 'attributed answers'} are needed`);
    } else {
      const verdict = d.matches ? `p >= ${d.alpha}: the split matches the weights` : `p < ${d.alpha}: the split is OFF the weights`;
      out.push(`Distribution over ${d.observed} ${unit}: chi-square ${d.chiSquare!.toFixed(2)}, ${d.df} df, ${formatP(d.pValue!)}; ${verdict}`);
    }
  }
  const s = r.scheduler;
  const cycle = s.cycle ? `; cycle: ${s.cycle.join(' ')}` : '';
  out.push(`Scheduler (hint): ${s.description}${cycle}`);
  out.push(`  (${s.note})`);
  if (r.stickiness) {
    const st = r.stickiness;
    const verdict = {
      sticky: `sticky: each of the ${st.judged} sources reached one backend`,
      'partly-sticky': `partly sticky: ${st.sticky} of ${st.judged} sources reached one backend`,
      'not-sticky': `not sticky: ${st.sticky} of ${st.judged} sources reached only one backend`,
      'not-judged': 'not judged (no source had two attributed answers)',
    }[st.verdict];
    const spread = Object.entries(st.spread).map(([k, v]) => `${k} ${v}`).join(', ');
    out.push(`Stickiness (--source-ips ${r.sourceRange}, ${st.sources} sources): ${verdict}; sources per backend: ${spread || '-'}`);
    if (st.note) out.push(`  note: ${st.note}`);
  }
  if (r.problems.length > 0) {
    out.push('', 'Problems:');
    for (const p of r.problems) out.push(`  ${p.severity.padEnd(8)} ${p.code}: ${p.message}`);
  }
  out.push('');
  return out.join('\n');
}
