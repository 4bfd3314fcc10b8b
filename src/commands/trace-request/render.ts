/** trace-request's text: verdict line, a per-phase table, a waterfall per path, the RTT model. */
import { formatHostPort } from '../../util/host-port.js';
import Table from 'cli-table3';
import type { PathResult, TraceRequestResult } from './run.js';
import type { Phases } from '../../protocol/http/timing.js';

const ROWS: Array<[keyof Phases, string]> = [
  ['dnsMs', 'dns'], ['tcpMs', 'tcp'], ['tlsMs', 'tls'], ['ttfbMs', 'ttfb'], ['transferMs', 'transfer'], ['totalMs', 'total'],
];

function ms(v: number | undefined | null): string {
  return v === undefined || v === null ? '-' : `${v.toFixed(1)} ms`;
}

function where(p: PathResult): string {
  return `${p.label} ${p.address === '' ? `?:${p.port}` : formatHostPort(p)}`;
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

export function verdictLine(r: TraceRequestResult): string {
  const totals = r.paths.filter((p) => p.phases).map((p) => `${p.label} ${p.phases!.totalMs.toFixed(0)} ms`).join(', ');
  let cmp = '';
  if (r.difference && r.paths.length === 2) {
    const d = r.difference.totalMs;
    const [a, b] = r.paths as [PathResult, PathResult];
    cmp = d < 0 ? ` (${b.label} ${(-d).toFixed(0)} ms faster)` : d > 0 ? ` (${a.label} ${d.toFixed(0)} ms faster)` : '';
  }
  const parts = [r.interrupted ? interruptedNote(r) : '', totals ? `${totals}${cmp}` : '', ...r.problems.map((p) => p.message)].filter(Boolean);
  return `TRACE ${r.status} - ${r.url}: ${parts.join('; ')}`;
}

/** httpstat-style bars: each phase a run of its own letter, scaled to the slowest path. */
function waterfall(paths: PathResult[], width = 60): string[] {
  const max = Math.max(...paths.map((p) => p.phases?.totalMs ?? 0), 0.001);
  const letters: Array<[keyof Phases, string]> = [['dnsMs', 'd'], ['tcpMs', 'c'], ['tlsMs', 's'], ['ttfbMs', 'w'], ['transferMs', 'x']];
  const out = ['Waterfall (d dns, c tcp, s tls, w waiting for the first byte, x transfer):'];
  const labelWidth = Math.max(...paths.map((p) => p.label.length));
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
    out.push(`  ${p.label.padEnd(labelWidth)} |${bar.padEnd(width)}| ${p.phases.totalMs.toFixed(1)} ms`);
  }
  return out;
}

export function renderTraceRequestText(r: TraceRequestResult): string {
  const out: string[] = [verdictLine(r), ''];
  if (r.paths.every((p) => !p.phases)) {
    for (const p of r.paths) {
      for (const e of p.errors) {
        const done = Object.entries(e.partial).map(([k, v]) => `${k.replace(/Ms$/, '')} ${ms(v)}`).join(', ');
        out.push(`${p.label} sample ${e.sample}: ${e.phase} failed: ${e.error}${done ? ` (after ${done})` : ''}`);
      }
    }
    return `${out.join('\n')}\n`;
  }
  const two = r.paths.length === 2 && r.difference;
  const head = ['phase (median)', ...r.paths.map(where)];
  if (two) head.push(`${r.paths[1]!.label} - ${r.paths[0]!.label}`);
  const table = new Table({ head, style: { head: [], border: [] } });
  for (const [k, name] of ROWS) {
    const row = [name, ...r.paths.map((p) => (p.phases ? `${ms(p.phases[k])} (p95 ${ms(p.p95?.[k])})` : '-'))];
    if (two) row.push(`${r.difference![k] >= 0 ? '+' : ''}${r.difference![k].toFixed(1)} ms`);
    table.push(row);
  }
  const info = (f: (p: PathResult) => string) => r.paths.map(f);
  table.push(['response', ...info((p) => (p.status === null ? '-' : `${p.status} ${p.httpVersion}${p.tlsVersion ? ` ${p.tlsVersion}` : ''}`)), ...(two ? [''] : [])]);
  table.push(['samples', ...info((p) => `${p.succeeded}/${p.samples} ok${p.firstDiffers ? ', first differs' : ''}`), ...(two ? [''] : [])]);
  table.push(['cache', ...info((p) => {
    if (!p.cache || Object.keys(p.cache.headers).length === 0) return 'no cache headers';
    const seq = p.cacheBySample.filter(Boolean).join(' ');
    return `${Object.entries(p.cache.headers).map(([k, v]) => `${k}: ${v}`).join('\n')}${seq ? `\nby sample: ${seq}` : ''}`;
  }), ...(two ? [''] : [])]);
  out.push(table.toString(), '');
  out.push(...waterfall(r.paths), '');
  const modelled = r.paths.filter((p) => p.rtt);
  if (modelled.length > 0) {
    out.push('What the protocol alone costs at the estimated RTT (TCP 1 RTT, TLS 1.2 2 RTT or 1.3 1 RTT, request 1 RTT):');
    const t = new Table({ head: ['path', 'RTT', 'tcp', 'tls', 'request', 'protocol total', 'measured total', 'server and other'], style: { head: [], border: [] } });
    for (const p of modelled) {
      const m = p.rtt!;
      t.push([
        p.label,
        `${m.rttMs.toFixed(1)} ms (from ${m.source})`,
        m.source === 'tls' ? `${ms(m.protocolMs.tcpMs)} (measured: answered nearby)` : ms(m.protocolMs.tcpMs),
        m.tlsRoundTrips === 0 ? 'no TLS' : `${ms(m.protocolMs.tlsMs)} (${m.tlsRoundTrips} RTT)`,
        ms(m.protocolMs.requestMs),
        ms(m.protocolMs.totalMs),
        ms(p.phases!.totalMs),
        ms(p.phases!.totalMs - m.protocolMs.totalMs),
      ]);
    }
    out.push(t.toString(), '');
  }
  for (const p of r.paths) {
    if (p.verificationOff) out.push(`WARNING: ${p.label}: certificate verification is OFF (--insecure)`);
    for (const e of p.errors) out.push(`${p.label} sample ${e.sample}: ${e.phase} failed: ${e.error}`);
  }
  return `${out.join('\n')}\n`;
}
