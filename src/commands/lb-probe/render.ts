/**
 * lb-probe's text: the verdict line first (as Nagios plugins print it), a table of the backends
 * fitted to the terminal, the verdicts. The command-line advice ("use --requests 60 or more")
 * is added here, from the numbers the problems and notes carry.
 */
import type { RenderStyle } from '../command.js';
import type { LbProbeResult } from './run.js';
import type { LbNameReport } from '../../protocol/lb/by-name.js';
import type { LbNote, LbProblem } from '../../protocol/lb/types.js';
import { MAX_HEADER_BYTES } from '../../protocol/lb/probe.js';
import { formatP, MIN_EXPECTED } from '../../protocol/lb/stats.js';
import { renderTable } from '../../output/table.js';
import { escapeControl } from '../../util/printable.js';

/** Unattributed markers listed in the text; the rest are counted. */
const MAX_MARKERS_SHOWN = 10;

const BAR_CELLS = 20;

/** Notes said on the distribution and stickiness lines, not among the others. */
const SAID_ELSEWHERE = new Set<LbNote['code']>(['NO_WEIGHTS', 'TOO_FEW_TO_JUDGE', 'STICKINESS_NOT_JUDGED']);

function pct(x: number | null): string {
  return x === null ? '-' : `${(100 * x).toFixed(1)}%`;
}

function ms(x: number | null): string {
  return x === null ? '-' : x < 10 ? `${x.toFixed(2)} ms` : `${x.toFixed(1)} ms`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
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
  return escapeControl(text.length > max ? `${text.slice(0, max - 3)}...` : text);
}

/** Were the backends given (probed directly), or found through the VIP? */
function backendsGiven(r: LbProbeResult): boolean {
  return r.backends.some((b) => b.address !== null);
}

/** What to do about a problem on the command line, from its data ('' when nothing to add). */
function problemAdvice(p: LbProblem): string {
  const c = p.counts ?? {};
  if (p.code === 'DISTRIBUTION_OFF' && c.backendsAnswering === 1 && (c.sources ?? 0) <= 1) {
    return ': if the balancer hashes the source address, probe from many with --source-ips (e.g. 127.56.1.1-127.56.1.200)';
  }
  if (p.code === 'UNKNOWN_BACKEND') return '; give each backend with --backend ADDR:PORT';
  return '';
}

/** What to do about a part that was not judged, on the command line ('' when nothing to add). */
function noteAdvice(n: LbNote, r: LbProbeResult): string {
  const c = n.counts ?? {};
  switch (n.code) {
    case 'TOO_FEW_TO_JUDGE':
      // cut by the deadline or Ctrl-C: enough was asked for
      if (r.stoppedBy) return '';
      return c.sourcesNeeded !== undefined
        ? `; give --source-ips a range of at least ${c.sourcesNeeded} addresses and --requests ${c.requestsNeeded} or more`
        : `; use --requests ${c.requestsNeeded} or more`;
    case 'NOT_IDENTIFIABLE':
      return `; pass --identify header:NAME, body or banner${backendsGiven(r) ? '' : ', and --backend ADDR:PORT for each backend'}`;
    case 'AMBIGUOUS_IDENTITY':
      return '; pass --identify header:NAME with a header that differs';
    case 'NO_WEIGHTS':
      return backendsGiven(r) ? '; give one weight per --backend with --weights W,W,... to judge it' : '; give --backend ADDR:PORT for each backend and --weights W,W,... to judge it';
    case 'STICKINESS_NOT_JUDGED':
      return `; use --requests ${2 * (c.sources ?? 2)} or more`;
    default:
      return '';
  }
}

function problemTag(p: LbProblem, r: LbProbeResult): string {
  if (p.subject) return `${p.code} ${p.subject}`;
  if (p.code === 'VIP_UNREACHABLE') return `${p.code} (${r.errors[0]?.message ?? 'no answer'})`;
  if (p.code === 'VIP_NOT_HTTP') return `${p.code} (answered, but not with HTTP)`;
  if (p.code === 'VIP_ANSWER_TOO_LARGE') return `${p.code} (answered with a header block over ${MAX_HEADER_BYTES / 1024} KiB, the most read)`;
  return p.code;
}

/** `37 of 100 probes` and what stopped the run, when something did. */
function stopped(r: LbProbeResult): string | null {
  if (r.stoppedBy === 'interrupt') return `interrupted after ${r.sent} of ${r.requests} probes`;
  if (r.stoppedBy === 'deadline') return `the deadline of ${Number(((r.deadlineMs ?? 0) / 1000).toFixed(3))} s stopped the run after ${r.sent} of ${r.requests} probes`;
  return null;
}

/**
 * The first line: `LB OK - 127.56.0.11:8080: 100 answers from 3 backends match the weights 3:1:1
 * (p = 1.000)`, or the problems' codes, worst first; without weights the split is said, not judged.
 */
export function lbVerdictLine(r: LbProbeResult): string {
  return escapeControl(verdict(r));
}

function verdict(r: LbProbeResult): string {
  const order = ['CRITICAL', 'WARNING'];
  const cut = r.stoppedBy === 'deadline' ? `; ${stopped(r)}` : '';
  const tags = () => [...new Set([...r.problems].sort((a, b) => order.indexOf(a.severity) - order.indexOf(b.severity)).map((p) => problemTag(p, r)))].join(', ');
  if (r.interrupted) return `LB UNKNOWN - ${r.vip}: ${stopped(r)}${r.problems.length > 0 ? ` (${tags()})` : ''}`;
  if (r.problems.length > 0) return `LB ${r.status} - ${r.vip}: ${tags()}${cut}`;
  // nothing judged: what could not be, by its codes
  if (r.status !== 'OK') return `LB ${r.status} - ${r.vip}: ${[...new Set(r.notes.map((n) => n.code))].join(', ')}${cut}`;
  const d = r.distribution;
  if (!d) return `LB OK - ${r.vip}: ${plural(r.answered, 'answer')}${cut}`;
  const unit = d.unit === 'source' ? 'sources' : 'answers';
  if (d.judged) {
    const inService = r.backends.filter((b) => (b.expectedShare ?? 0) > 0);
    const weights = inService.map((b) => b.weight ?? 0).join(':');
    const p = d.pValue !== null ? ` (${formatP(d.pValue)})` : '';
    return `LB OK - ${r.vip}: ${d.observed} ${unit} from ${plural(inService.length, 'backend')} match the weights ${weights}${p}${cut}`;
  }
  const counts = r.backends.map((b) => (d.unit === 'source' ? b.sources ?? 0 : b.count)).filter((n) => n > 0);
  const why = d.notJudged === 'no-weights' ? 'the split is not judged without --weights'
    : d.notJudged === 'too-few' ? `too few to judge the split (${d.needed} needed)`
    : 'the split is not judged: two backends give the same marker';
  return `LB OK - ${r.vip}: ${d.observed} ${unit} from ${plural(counts.length, 'backend')} (${counts.join('/')}); ${why}${cut}`;
}

function widest(text: string): number {
  return Math.max(...text.split('\n').map((l) => [...l].length));
}

/** The backends' table, fitted to `columns`: the bars go first, then the latency, then the marker; what still does not fit wraps. */
function backendTable(r: LbProbeResult, columns: number | undefined): string {
  const head = ['Backend', 'Marker', 'Healthy', 'Latency', 'Count', 'Share', 'Expected', 'Share (▓ over, ░ short)'];
  const rows = r.backends.map((b) => [
    b.address ?? (b.snippet ? `via VIP: "${shown(b.snippet, 20)}"` : '(seen via VIP)'),
    `${b.marker === null ? '-' : shown(b.marker, 24)}${b.byElimination ? ' *' : ''}`,
    b.healthy === null ? '?' : b.healthy ? 'yes' : 'NO',
    ms(b.latencyMs),
    String(b.count),
    pct(b.share),
    b.healthy === false && b.expectedShare === 0 ? '- (down)' : pct(b.expectedShare),
    shareBar(b.share, b.expectedShare),
  ]);
  const keep = head.map((_h, i) => i);
  const table = (fit?: number) => renderTable(keep.map((i) => head[i]!), rows.map((row) => keep.map((i) => row[i]!)), { columns: fit, rules: 'bare' });
  for (const drop of [7, 3, 1]) {
    if (columns === undefined || widest(table()) <= columns) break;
    keep.splice(keep.indexOf(drop), 1);
  }
  return table(columns);
}

function distributionLine(r: LbProbeResult): string | null {
  const d = r.distribution;
  if (!d) return null;
  const unit = d.unit === 'source' ? 'sources (each sticks to one backend, so sources are what is spread)' : 'attributed answers';
  const head = `Distribution over ${d.observed} ${unit}`;
  if (d.judged) {
    const verdict = d.matches ? `p >= ${d.alpha}: the split matches the weights` : `p < ${d.alpha}: the split is OFF the weights`;
    return `${head}: chi-square ${d.chiSquare!.toFixed(2)}, ${d.df} df, ${formatP(d.pValue!)}; ${verdict}`;
  }
  const note = (code: LbNote['code']) => r.notes.find((n) => n.code === code);
  if (d.notJudged === 'no-weights') {
    const n = note('NO_WEIGHTS');
    return `${head}: described, not judged (no weights given${n ? noteAdvice(n, r) : ''})`;
  }
  if (d.notJudged === 'too-few') {
    const n = note('TOO_FEW_TO_JUDGE');
    const needed = `${d.needed} ${d.unit === 'source' ? 'sources' : 'attributed answers'} are needed`;
    return `${head}: not judged: the smallest expected count is ${(d.minExpected ?? 0).toFixed(1)}, under ${MIN_EXPECTED}; ${needed}${n ? noteAdvice(n, r) : ''}`;
  }
  return `${head}: not judged: two backends give the same marker, so their answers were not attributed`;
}

/** The whole text for stdout; `style.columns` fits the table to the terminal. */
export function renderLbProbeText(r: LbProbeResult, style: RenderStyle = {}): string {
  if ('addresses' in r) return renderNameText(r, style);
  const out: string[] = [lbVerdictLine(r), ''];
  const what = r.mode === 'http' ? `HTTP GET ${r.path}` : r.mode === 'https' ? `HTTPS GET ${r.path}` : 'TCP, reading the banner';
  const timing = r.vipLatencyMs !== null ? `, median ${ms(r.vipLatencyMs)}` : '';
  const short = !r.stoppedBy && r.sent < r.requests ? `; ${r.requests - r.sent} not sent after the first ones failed` : '';
  out.push(`VIP ${r.vip}, ${what}: ${r.answered} of ${r.requests} probes answered (a fresh connection each, ${r.concurrency} at a time${timing})${short}`);
  for (const n of r.notes) if (!SAID_ELSEWHERE.has(n.code)) out.push(`  note: ${n.message}${noteAdvice(n, r)}`);
  out.push(...tlsLines(r));
  if (r.identify.method) out.push(`Backends told apart by ${r.identify.description} (${r.identify.reason})`);
  else if (r.answered > 0) out.push(`Backends could not be told apart: ${r.identify.reason}`);
  if (r.backends.length > 0) {
    out.push(backendTable(r, style.columns));
    if (r.backends.some((b) => b.byElimination)) out.push('  * by elimination: the one backend without a marker of its own, the one marker no backend claimed');
  }
  const u = r.unattributed;
  const markers = r.unattributedMarkers.slice(0, MAX_MARKERS_SHOWN).map((m) => `${shown(m.marker, 40)}${m.statusCode !== null ? ` HTTP ${m.statusCode}` : ''} x${m.count}`);
  if (r.unattributedMarkers.length > MAX_MARKERS_SHOWN) markers.push(`and ${r.unattributedMarkers.length - MAX_MARKERS_SHOWN} more markers`);
  out.push(`Unattributed: ${plural(u, 'answer')}${u > 0 ? ` (${markers.join(', ')})` : ''}`);
  if (r.failed > 0) out.push(`Failed: ${plural(r.failed, 'probe')} (${r.errors.map((e) => `${e.message} x${e.count}`).join('; ')})`);
  const distribution = distributionLine(r);
  if (distribution) out.push(distribution);
  const s = r.scheduler;
  const cycle = s.cycle ? `; cycle: ${s.cycle.join(' ')}` : '';
  out.push(`Scheduler (hint): ${s.description}${cycle}`);
  out.push(`  (${s.note})`);
  if (r.stickiness) {
    const st = r.stickiness;
    const notJudged = r.notes.find((n) => n.code === 'STICKINESS_NOT_JUDGED');
    const verdict = {
      sticky: `sticky: each of the ${st.judged} sources reached one backend`,
      'partly-sticky': `partly sticky: ${st.sticky} of ${st.judged} sources reached one backend`,
      'not-sticky': `not sticky: ${st.sticky} of ${st.judged} sources reached only one backend`,
      'not-judged': `not judged (no source had two attributed answers${notJudged ? noteAdvice(notJudged, r) : ''})`,
    }[st.verdict];
    const spread = Object.entries(st.spread).map(([k, v]) => `${k} ${v}`).join(', ');
    out.push(`Stickiness (--source-ips ${r.sourceRange}, ${st.sources} sources): ${verdict}; sources per backend: ${spread || '-'}`);
    if (st.note) out.push(`  note: ${st.note}`);
  }
  out.push(...remapLines(r));
  if (r.savedMap) out.push(`Map of ${plural(r.savedMap.sources, 'source')} (which backend each reached) saved to ${r.savedMap.file}`);
  if (r.problems.length > 0) {
    out.push('', 'Problems:');
    for (const p of r.problems) out.push(`  ${p.severity.padEnd(8)} ${p.code}: ${p.message}${problemAdvice(p)}`);
  }
  out.push('');
  // whatever a server sent reaches the terminal with its control characters escaped
  return out.join('\n').split('\n').map(escapeControl).join('\n');
}

/** issue 16: HTTPS: the name checked, whether verification was skipped, each certificate seen and who served it. */
function tlsLines(r: LbProbeResult): string[] {
  if (!r.tls) return [];
  const t = r.tls;
  const out = [t.insecure
    ? `TLS: server name ${t.servername ?? '-'}; --insecure: certificates NOT verified before the requests (still recorded and compared)`
    : `TLS: server name ${t.servername ?? '-'}; ${t.resume ? `--resume: ${t.resumed ?? 0} of ${r.sent} probes resumed a session` : 'a full handshake per probe, no session resumed'}; every certificate verified`];
  for (const c of t.certificates) {
    const who = c.backends.length > 0 ? c.backends.join(', ') : 'no backend given';
    const check = c.verified ? 'verified' : `NOT VERIFIED (${c.verifyError})`;
    out.push(`  certificate CN=${c.subject}, until ${c.notAfter.slice(0, 10)}, sha256 ${c.fingerprint256.slice(0, 23)}...: ${check}; served by ${who}; ${plural(c.throughVip, 'probe')} through the VIP`);
  }
  return out;
}

/** issue 16: --compare-map: what moved since the saved map, the largest flows first. */
function remapLines(r: LbProbeResult): string[] {
  const m = r.remap;
  if (!m) return [];
  const out = [`Remapping since the map of ${m.savedAt} (${m.vip}): ${m.description}`];
  for (const f of m.flows.slice(0, 6)) out.push(`  ${f.from} -> ${f.to}: ${plural(f.sources, 'source')}`);
  if (m.flows.length > 6) out.push(`  and ${m.flows.length - 6} more flows`);
  return out;
}

/** issue 16: a name of several VIP addresses: the verdict, which address is off, then each address's own text. */
function renderNameText(r: LbNameReport, style: RenderStyle): string {
  const out = [lbVerdictLine(r), '', `${r.name}: ${r.summary}`];
  out.push(r.off.length === 0 ? `Every address of ${r.name} is OK.` : `Off: ${r.off.join(', ')}; ${r.addresses.length - r.off.length} of ${r.addresses.length} addresses are OK (each address is its own VIP below)`);
  for (const a of r.addresses) {
    out.push('', `== ${a.address} ==`, renderLbProbeText(a.report, style).trimEnd());
  }
  out.push('');
  return out.join('\n').split('\n').map(escapeControl).join('\n');
}
