/**
 * trace-request's text: the verdict line, a per-phase table, a waterfall per path, the RTT
 * model, then the warnings and the failed samples. Tables and bars fit `style.columns`. The
 * command-line advice ("use --ca FILE ...") is added here, from each failure's kind: the
 * library's messages name no option.
 */
import { formatHostPort } from '../../util/host-port.js';
import { renderTable } from '../../output/table.js';
import type { RenderStyle } from '../command.js';
import type { FailureKind, Phases } from '../../protocol/http/timing.js';
import type { PathResult, SampleError, TraceRequestResult } from '../../protocol/http/trace-request.js';

const ROWS: Array<[keyof Phases, string]> = [
  ['dnsMs', 'dns'], ['tcpMs', 'tcp'], ['tlsMs', 'tls'], ['ttfbMs', 'ttfb'], ['transferMs', 'transfer'], ['totalMs', 'total'],
];

/** The command line's advice for a failure, by kind. */
const ADVICE: Partial<Record<FailureKind, string>> = {
  certificate: '; use --ca FILE for a private CA, or --insecure',
  timeout: ' (--timeout, per phase)',
  'max-time': ' (--max-time)',
  'body-limit': '; --max-body raises the limit',
  redirect: ' (-L N: the redirects followed at most)',
};

/** A failed sample's words, with the option that changes the outcome when there is one. */
export function failureText(e: SampleError): string {
  return `${e.error}${ADVICE[e.kind] ?? ''}`;
}

/** `ttfb failed: why`, or for a redirect chain (issue 15) the chain's words alone. */
function failedText(e: SampleError): string {
  return e.kind === 'redirect' ? e.error : `${e.phase} failed: ${failureText(e)}`;
}

function ms(v: number | undefined | null): string {
  return v === undefined || v === null ? '-' : `${v.toFixed(1)} ms`;
}

/** `interrupted after 3 of 10 samples`, per path when the paths got different counts. */
function interruptedNote(r: TraceRequestResult): string {
  const counts = new Set(r.paths.map((p) => p.samples));
  const of = r.samplesRequested;
  const done = counts.size === 1
    ? `after ${r.paths[0]?.samples ?? 0} of ${of} samples`
    : `after ${r.paths.map((p) => `${p.samples} of ${of} samples on ${p.label}`).join(', ')}`;
  return `interrupted ${done} (the sample under way was dropped)`;
}

/** A problem as the command line says it: a failure with its advice before the count of failed samples. */
function problemText(problem: TraceRequestResult['problems'][number], r: TraceRequestResult): string {
  const e = problem.code === 'HTTP_ERROR' ? undefined : r.paths.find((p) => p.label === problem.subject)?.errors[0];
  if (!e) return problem.message;
  const failed = problem.counts?.failed ?? 1;
  const many = failed > 1 ? ` (${failed} of ${problem.counts?.samples ?? failed} samples failed)` : '';
  if (e.kind === 'redirect') return `${problem.subject}: ${e.error}${many}`;
  return `${problem.subject}: ${e.phase} failed: ${failureText(e)}${many}`;
}

/** `TRACE STATUS - URL: totals (who is faster); problems`. */
export function verdictLine(r: TraceRequestResult): string {
  const totals = r.paths.filter((p) => p.phases).map((p) => `${p.label} ${p.phases!.totalMs.toFixed(0)} ms`).join(', ');
  let cmp = '';
  if (r.difference && r.paths.length === 2) {
    const d = r.difference.totalMs;
    const [a, b] = r.paths as [PathResult, PathResult];
    cmp = d < 0 ? ` (${b.label} ${(-d).toFixed(0)} ms faster)` : d > 0 ? ` (${a.label} ${d.toFixed(0)} ms faster)` : '';
  }
  const parts = [r.interrupted ? interruptedNote(r) : '', totals ? `${totals}${cmp}` : '', ...r.problems.map((p) => problemText(p, r))].filter(Boolean);
  return `TRACE ${r.status} - ${r.url}: ${parts.join('; ')}`;
}

/** The bars' width: 60, or less so that a line fits `columns`. */
const BAR_WIDTH = 60;
const MIN_BAR_WIDTH = 10;

/** httpstat-style bars: each phase a run of its own letter, scaled to the slowest path, fitted to `columns`. */
function waterfall(paths: PathResult[], columns: number | undefined): string[] {
  const max = Math.max(...paths.map((p) => p.phases?.totalMs ?? 0), 0.001);
  const letters: Array<[keyof Phases, string]> = [['dnsMs', 'd'], ['tcpMs', 'c'], ['tlsMs', 's'], ['ttfbMs', 'w'], ['transferMs', 'x']];
  const out = ['Waterfall (d dns, c tcp, s tls, w waiting for the first byte, x transfer):'];
  const labelWidth = Math.max(...paths.map((p) => p.label.length));
  // "  LABEL |BAR| 1234.5 ms"
  const totalWidth = Math.max(...paths.map((p) => ms(p.phases?.totalMs).length));
  const width = columns === undefined ? BAR_WIDTH : Math.max(MIN_BAR_WIDTH, Math.min(BAR_WIDTH, columns - (2 + labelWidth + 2 + 2 + totalWidth)));
  for (const p of paths) {
    if (!p.phases) {
      out.push(`  ${p.label.padEnd(labelWidth)} |failed`);
      continue;
    }
    let bar = '';
    let acc = 0;
    for (const [k, ch] of letters) {
      acc += p.phases[k];
      const target = Math.round((acc / max) * width);
      bar += ch.repeat(Math.max(0, target - bar.length));
    }
    out.push(`  ${p.label.padEnd(labelWidth)} |${bar.slice(0, width).padEnd(width)}| ${ms(p.phases.totalMs)}`);
  }
  return out;
}

/** Width of a rendered table (its first line). */
function widthOf(table: string): number {
  return [...(table.split('\n')[0] ?? '')].length;
}

/** The RTT model's cells of one path: `narrow` puts each parenthesis on a line of its own. */
function rttCells(p: PathResult, narrow: boolean): string[] {
  const nl = narrow ? '\n' : ' ';
  const m = p.rtt!;
  return [
    p.label,
    `${m.rttMs.toFixed(1)} ms${nl}(from ${m.source})`,
    m.source === 'tls' ? `${ms(m.protocolMs.tcpMs)}${nl}(measured:${nl}answered nearby)` : ms(m.protocolMs.tcpMs),
    m.tlsRoundTrips === 0 ? 'no TLS' : `${ms(m.protocolMs.tlsMs)}${nl}(${m.tlsRoundTrips} RTT)`,
    ms(m.protocolMs.requestMs),
    ms(m.protocolMs.totalMs),
    ms(p.phases!.totalMs),
    serverAndOther(p),
  ];
}

/** "Server and other": never negative; an excess of the model is marked (*) and explained below the table. */
function serverAndOther(p: PathResult): string {
  const m = p.rtt!;
  const v = m.serverAndOtherMs ?? Math.max(0, p.phases!.totalMs - m.protocolMs.totalMs);
  return m.overestimateMs === undefined ? ms(v) : `${ms(v)} (*)`;
}

/** issue 15: the model's notes: why the model exceeds a measurement. */
function rttNotes(modelled: PathResult[]): string[] {
  return modelled.filter((p) => p.rtt!.note).map((p) => `(*) ${p.label}: the model is ${ms(p.rtt!.overestimateMs)} above the measured total: ${p.rtt!.note}`);
}

/** issue 15: the course's table generalised: each protocol's cost at each path's RTT. */
function scenarioTable(modelled: PathResult[], columns: number | undefined): string {
  const withScenarios = modelled.filter((p) => p.rtt!.scenarios);
  const rows = withScenarios[0]!.rtt!.scenarios!.map((sc, i) => [
    sc.description,
    `${sc.breakdown} = ${sc.roundTrips}`,
    ...withScenarios.map((p) => ms(p.rtt!.scenarios![i]!.ms)),
  ]);
  return renderTable(['to the first byte', 'round trips', ...withScenarios.map((p) => p.label)], rows, { columns });
}

/** issue 15: a first (cold) sample that differs, reported apart from the warm statistics. */
function coldLines(r: TraceRequestResult): string[] {
  return r.paths.filter((p) => p.warmOnly && p.first && p.phases).map((p) => {
    const f = p.first!;
    return `${p.label}: the first (cold) sample took ${ms(f.totalMs)} (dns ${ms(f.dnsMs)}, tcp ${ms(f.tcpMs)}, tls ${ms(f.tlsMs)}, ttfb ${ms(f.ttfbMs)}, transfer ${ms(f.transferMs)}), against a warm median of ${ms(p.phases!.totalMs)}: left out of the median and p95`;
  });
}

/** issue 15: what keep-alive (--reuse) and TLS resumption (--resume) saved, per path, measured. */
function savingLines(r: TraceRequestResult): string[] {
  const out: string[] = [];
  for (const p of r.paths) {
    const u = p.reuse;
    if (u) {
      if (u.base && u.other && u.savingMs) {
        out.push(`${p.label}: ${u.requestsPerConnection} requests per connection: opening it ${ms(u.base.totalMs)} (dns ${ms(u.base.dnsMs)}, tcp ${ms(u.base.tcpMs)}, tls ${ms(u.base.tlsMs)}), each later request ${ms(u.other.totalMs)} (ttfb ${ms(u.other.ttfbMs)}, transfer ${ms(u.other.transferMs)}; p95 ${ms(u.otherP95?.totalMs)}): a reused connection saves ${ms(u.savingMs.totalMs)} a request (medians of ${u.baseCount} and ${u.otherCount})`);
      } else out.push(`${p.label}: ${u.requestsPerConnection} requests per connection asked, but no request on a reused connection succeeded`);
    }
    const z = p.resumption;
    if (z) {
      const n = z.baseCount + z.otherCount;
      if (z.base && z.other && z.savingMs) {
        out.push(`${p.label}: TLS session resumed in ${z.otherCount} of ${n} samples (${p.tlsVersion ?? 'TLS'}): full handshake tls ${ms(z.base.tlsMs)}, resumed tls ${ms(z.other.tlsMs)} (median; p95 ${ms(z.otherP95?.tlsMs)}): resuming saves ${ms(z.savingMs.tlsMs)} of tls, ${ms(z.savingMs.totalMs)} in total`);
      } else if (z.otherCount === 0) out.push(`${p.label}: no TLS session was resumed in ${n} samples (the server gave no ticket, or refused it): every handshake was full`);
    }
  }
  return out;
}

/** issue 15: every address side by side: the fastest and the slowest. */
function everyAddressLines(r: TraceRequestResult): string[] {
  if (!r.addresses) return [];
  const timed = r.paths.filter((p) => p.phases).sort((a, b) => a.phases!.totalMs - b.phases!.totalMs);
  const head = `every address of the name: ${r.addresses.length} (${r.addresses.join(', ')})`;
  if (timed.length < 2) return [head];
  const fast = timed[0]!;
  const slow = timed[timed.length - 1]!;
  return [`${head}: fastest ${fast.label} ${ms(fast.phases!.totalMs)}, slowest ${slow.label} ${ms(slow.phases!.totalMs)} (+${(slow.phases!.totalMs - fast.phases!.totalMs).toFixed(1)} ms)`];
}

/** issue 15: each hop of a followed redirect chain, with its own phases. */
function hopLines(r: TraceRequestResult): string[] {
  const out: string[] = [];
  for (const p of r.paths) {
    if (!p.hops || p.hops.length === 0) continue;
    out.push(`${p.label}: ${p.hops.length - 1} redirect${p.hops.length === 2 ? '' : 's'} followed (medians per hop; the path's phases are the chain's sums):`);
    p.hops.forEach((h, i) => {
      const f = h.phases;
      out.push(`  ${i + 1}. ${h.status} ${h.url}: ${ms(f.totalMs)} (dns ${ms(f.dnsMs)}, tcp ${ms(f.tcpMs)}, tls ${ms(f.tlsMs)}, ttfb ${ms(f.ttfbMs)}, transfer ${ms(f.transferMs)})`);
    });
  }
  return out;
}

/** The RTT model, a row per path; on a terminal too narrow for that, a column per path. */
function rttTable(modelled: PathResult[], columns: number | undefined): string {
  const head = ['path', 'RTT', 'tcp', 'tls', 'request', 'protocol total', 'measured total', 'server and other'];
  const wide = renderTable(head, modelled.map((p) => rttCells(p, false)));
  if (columns === undefined || widthOf(wide) <= columns) return wide;
  // transposed: the quantities down, the paths across
  const cells = modelled.map((p) => rttCells(p, true));
  return renderTable(['RTT model', ...cells.map((c) => c[0]!)], head.slice(1).map((name, i) => [name, ...cells.map((c) => c[i + 1]!)]), { columns });
}

/**
 * The phases of each path side by side (medians and p95), the difference, the response, the
 * samples and the cache headers. `narrow`: each path's address, p95 and TLS version on a line
 * of their own, for a terminal too narrow for the one-line cells, then fitted to `columns`.
 */
function phaseTable(r: TraceRequestResult, narrow: boolean, columns?: number): string {
  const nl = narrow ? '\n' : ' ';
  const two = r.paths.length === 2 && r.difference;
  const head = [`phase${nl}(median)`, ...r.paths.map((p) => `${p.label}${nl}${p.address === '' ? `?:${p.port}` : formatHostPort(p)}`)];
  if (two) head.push(`${r.paths[1]!.label} -${nl}${r.paths[0]!.label}`);
  const rows: string[][] = [];
  for (const [k, name] of ROWS) {
    const row = [name, ...r.paths.map((p) => (p.phases ? `${ms(p.phases[k])}${nl}(p95 ${ms(p.p95?.[k])})` : '-'))];
    if (two) row.push(`${r.difference![k] >= 0 ? '+' : ''}${r.difference![k].toFixed(1)} ms`);
    rows.push(row);
  }
  const info = (f: (p: PathResult) => string) => r.paths.map(f);
  rows.push(['response', ...info((p) => (p.status === null ? '-' : `${p.status} ${p.httpVersion}${p.tlsVersion ? `${nl}${p.tlsVersion}` : ''}`)), ...(two ? [''] : [])]);
  rows.push(['samples', ...info((p) => `${p.succeeded}/${p.samples} ok${p.warmOnly ? `,${nl}first (cold) apart` : p.firstDiffers ? ', first differs' : ''}`), ...(two ? [''] : [])]);
  rows.push(['cache', ...info((p) => {
    if (!p.cache || Object.keys(p.cache.headers).length === 0) return 'no cache headers';
    const seq = p.cacheBySample.filter(Boolean).join(' ');
    return `${Object.entries(p.cache.headers).map(([k, v]) => `${k}: ${v}`).join('\n')}${seq ? `\nby sample: ${seq}` : ''}`;
  }), ...(two ? [''] : [])]);
  return renderTable(head, rows, { columns });
}

/** The text of a trace, fitted to `style.columns` when it is set (a terminal). */
export function renderTraceRequestText(r: TraceRequestResult, style: RenderStyle = {}): string {
  const out: string[] = [verdictLine(r), ''];
  if (r.paths.every((p) => !p.phases)) {
    for (const p of r.paths) {
      for (const e of p.errors) {
        const done = Object.entries(e.partial).map(([k, v]) => `${k.replace(/Ms$/, '')} ${ms(v)}`).join(', ');
        out.push(`${p.label} sample ${e.sample}: ${failedText(e)}${done ? ` (after ${done})` : ''}`);
      }
    }
    return `${out.join('\n')}\n`;
  }
  const wide = phaseTable(r, false);
  out.push(style.columns === undefined || widthOf(wide) <= style.columns ? wide : phaseTable(r, true, style.columns), '');
  const saving = [...everyAddressLines(r), ...hopLines(r), ...savingLines(r)];
  if (saving.length) out.push(...saving, '');
  out.push(...waterfall(r.paths, style.columns), '');
  const modelled = r.paths.filter((p) => p.rtt);
  if (modelled.length > 0) {
    out.push('What the protocol alone costs at the estimated RTT (TCP 1 RTT, TLS 1.2 2 RTT or 1.3 1 RTT, request 1 RTT):');
    out.push(rttTable(modelled, style.columns));
    out.push(...rttNotes(modelled), '');
    if (modelled.some((p) => p.rtt!.scenarios)) {
      out.push('The same request at each path\'s RTT over other protocols (dns as measured; HTTP/1.1 and h2 alike; QUIC is a model: Node cannot speak it):');
      out.push(scenarioTable(modelled, style.columns), '');
    }
  }
  const cold = coldLines(r);
  if (cold.length) out.push(...cold, '');
  for (const p of r.paths) {
    if (p.verificationOff) out.push(`WARNING: ${p.label}: certificate verification is OFF (--insecure)`);
    for (const e of p.errors) out.push(`${p.label} sample ${e.sample}${e.request === undefined ? '' : ` request ${e.request}`}: ${failedText(e)}`);
  }
  return `${out.join('\n')}\n`;
}
