/** lb-probe's text: the verdict line first (as Nagios plugins print it), a table per backend, the verdicts. */
import Table from 'cli-table3';
import type { LbProbeResult } from './run.js';
import { formatP, MIN_EXPECTED, safeText, type LbProblem } from '../../protocol/lb/index.js';

/** Unattributed markers listed in the text; the rest are counted. */
const MAX_MARKERS_SHOWN = 10;

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

/** A marker or snippet as the servers sent it, cut to `max` characters, control characters escaped. */
function shown(text: string, max: number): string {
  return safeText(text.length > max ? `${text.slice(0, max - 3)}...` : text);
}

function problemTag(p: LbProblem, r: LbProbeResult): string {
  if (p.backend) return `${p.code} ${p.backend}`;
  if (p.code === 'VIP_UNREACHABLE') return `${p.code} (${r.errors[0]?.message ?? 'no answer'})`;
  // 'the VIP answered, but not with HTTP (...): "..." (20 of 20 probes; ...)': the reason alone
  if (p.code === 'VIP_NOT_HTTP' || p.code === 'VIP_ANSWER_TOO_LARGE') return `${p.code} (${p.message.replace(/^the VIP /, '').replace(/ \(\d+ of \d+ probes[^)]*\)$/, '').replace(/^(answered, but not with HTTP) \([^)]*\)/, '$1')})`;
  return p.code;
}

/** `37 of 100 probes` and what stopped the run, when something did. */
function stopped(r: LbProbeResult): string | null {
  if (r.stoppedBy === 'interrupt') return `interrupted after ${r.sent} of ${r.requests} probes`;
  if (r.stoppedBy === 'deadline') return `the deadline of ${Number(((r.deadlineMs ?? 0) / 1000).toFixed(3))} s stopped the run after ${r.sent} of ${r.requests} probes`;
  return null;
}

/** `LB OK - 127.56.0.11:8080: 100 answers from 3 backends match the weights 3:1:1 (p = 0.93)`, or the problem codes. */
export function lbVerdictLine(r: LbProbeResult): string {
  return safeText(verdict(r));
}

function verdict(r: LbProbeResult): string {
  const order = ['CRITICAL', 'WARNING', 'UNKNOWN'];
  const cut = r.stoppedBy === 'deadline' ? `; ${stopped(r)}` : '';
  const tags = () => [...new Set([...r.problems].sort((a, b) => order.indexOf(a.severity) - order.indexOf(b.severity)).map((p) => problemTag(p, r)))].join(', ');
  if (r.interrupted) return `LB UNKNOWN - ${r.vip}: ${stopped(r)}${r.problems.length > 0 ? ` (${tags()})` : ''}`;
  if (r.problems.length === 0) {
    const d = r.distribution;
    const inService = r.backends.filter((b) => (b.expectedShare ?? 0) > 0);
    const weights = inService.map((b) => b.weight ?? 1).join(':');
    const unit = d?.unit === 'source' ? 'sources' : 'answers';
    const p = d?.pValue !== null && d?.pValue !== undefined ? ` (${formatP(d.pValue)})` : '';
    return `LB OK - ${r.vip}: ${d?.observed ?? r.answered} ${unit} from ${inService.length} backend${inService.length === 1 ? '' : 's'} match the weights ${weights}${p}${cut}`;
  }
  return `LB ${r.status} - ${r.vip}: ${tags()}${cut}`;
}

export function renderLbProbeText(r: LbProbeResult): string {
  const out: string[] = [lbVerdictLine(r), ''];
  const what = r.mode === 'http' ? `HTTP GET ${r.path}` : 'TCP, reading the banner';
  const timing = r.vipLatencyMs !== null ? `, median ${ms(r.vipLatencyMs)}` : '';
  const short = !r.stoppedBy && r.sent < r.requests ? `; ${r.requests - r.sent} not sent after the first ones failed` : '';
  out.push(`VIP ${r.vip}, ${what}: ${r.answered} of ${r.requests} probes answered (a fresh connection each, ${r.concurrency} at a time${timing})${short}`);
  for (const n of r.notes) out.push(`  note: ${n}`);
  if (r.identify.method) out.push(`Backends told apart by ${r.identify.description} (${r.identify.reason})`);
  else if (r.answered > 0) out.push(`Backends could not be told apart: ${r.identify.reason}`);
  if (r.backends.length > 0) {
    const table = new Table({
      head: ['Backend', 'Marker', 'Healthy', 'Latency', 'Count', 'Share', 'Expected', 'Share (▓ over, ░ short)'],
      style: { head: [], border: [] },
      chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    });
    for (const b of r.backends) {
      const marker = b.marker === null ? '-' : shown(b.marker, 24);
      const healthy = b.healthy === null ? '?' : b.healthy ? 'yes' : `NO`;
      table.push([
        b.address ?? (b.snippet ? `via VIP: "${shown(b.snippet, 20)}"` : '(seen via VIP)'),
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
  const markers = r.unattributedMarkers.slice(0, MAX_MARKERS_SHOWN).map((m) => `${shown(m.marker, 40)}${m.statusCode !== null ? ` HTTP ${m.statusCode}` : ''} x${m.count}`);
  if (r.unattributedMarkers.length > MAX_MARKERS_SHOWN) markers.push(`and ${r.unattributedMarkers.length - MAX_MARKERS_SHOWN} more markers`);
  out.push(`Unattributed: ${u} answer${u === 1 ? '' : 's'}${u > 0 ? ` (${markers.join(', ')})` : ''}`);
  if (r.failed > 0) out.push(`Failed: ${r.failed} probe${r.failed === 1 ? '' : 's'} (${r.errors.map((e) => `${safeText(e.message)} x${e.count}`).join('; ')})`);

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
    for (const p of r.problems) out.push(`  ${p.severity.padEnd(8)} ${p.code}: ${safeText(p.message)}`);
  }
  out.push('');
  // whatever a server sent reaches the terminal with its control characters escaped
  return out.join('\n').split('\n').map(safeText).join('\n');
}
