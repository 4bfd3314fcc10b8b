/**
 * Benchmark rows and their two renderings: a plain table on stdout and docs/benchmarks.md.
 * A row holds numbers; the goal says which way the ratio (netlab / peer) has to go.
 */

export type Goal =
  /** netlab / peer must be at most this (times). */
  | { kind: 'ratioMax'; value: number }
  /** netlab / peer must be at least this (rates). */
  | { kind: 'ratioMin'; value: number }
  /** netlab's own figure must be at most this many ms, whatever the peer does. */
  | { kind: 'absMaxMs'; value: number }
  /** |netlab - peer| must be at most `ms`, or at most `fraction` of the peer (either will do). */
  | { kind: 'within'; ms: number; fraction: number }
  /** netlab - peer must be at most this many ms (what netlab adds to the peer). */
  | { kind: 'addMaxMs'; value: number }
  | { kind: 'none' };

export interface Row {
  /** What is compared, e.g. `--version` vs `node -e 0`. */
  label: string;
  unit: 'ms' | 'q/s' | 'MB';
  netlab?: number;
  /** Why there is no netlab figure. */
  netlabNote?: string;
  peerName: string;
  peer?: number;
  /** 'not installed', 'not run: ...' */
  peerNote?: string;
  goal: Goal;
  /** Extra facts (runs, spread, checks). */
  detail?: string;
}

export interface Section {
  title: string;
  /** How it was measured, one paragraph. */
  method: string;
  rows: Row[];
  notes?: string[];
}

export function ratioOf(r: Row): number | undefined {
  if (r.netlab === undefined || r.peer === undefined || r.peer === 0) return undefined;
  return r.netlab / r.peer;
}

/** 'yes', 'no' or 'n/a' (no figure to judge). */
export function metOf(r: Row): 'yes' | 'no' | 'n/a' {
  const ratio = ratioOf(r);
  switch (r.goal.kind) {
    case 'ratioMax': return ratio === undefined ? 'n/a' : ratio <= r.goal.value ? 'yes' : 'no';
    case 'ratioMin': return ratio === undefined ? 'n/a' : ratio >= r.goal.value ? 'yes' : 'no';
    case 'absMaxMs': return r.netlab === undefined ? 'n/a' : r.netlab <= r.goal.value ? 'yes' : 'no';
    case 'addMaxMs': return r.netlab === undefined || r.peer === undefined ? 'n/a' : r.netlab - r.peer <= r.goal.value ? 'yes' : 'no';
    case 'within': {
      if (r.netlab === undefined || r.peer === undefined) return 'n/a';
      const d = Math.abs(r.netlab - r.peer);
      return d <= r.goal.ms || d <= r.goal.fraction * Math.abs(r.peer) ? 'yes' : 'no';
    }
    default: return 'n/a';
  }
}

export function goalText(g: Goal): string {
  switch (g.kind) {
    case 'ratioMax': return `ratio <= ${g.value}`;
    case 'ratioMin': return `ratio >= ${g.value}`;
    case 'absMaxMs': return `netlab <= ${g.value >= 1000 ? `${g.value / 1000} s` : `${g.value} ms`}`;
    case 'within': return `difference within ${g.ms} ms or ${+(g.fraction * 100).toFixed(2)}%`;
    case 'addMaxMs': return `netlab - peer <= ${g.value} ms`;
    default: return '—';
  }
}

export function fmt(value: number | undefined, unit: Row['unit'], note?: string): string {
  if (value === undefined || Number.isNaN(value)) return note ?? '—';
  if (unit === 'q/s') return `${Math.round(value).toLocaleString('en-US')} q/s`;
  if (unit === 'MB') return `${value.toFixed(1)} MB`;
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  return `${value.toFixed(1)} ms`;
}

function ratioText(r: Row): string {
  const ratio = ratioOf(r);
  const text = ratio === undefined ? '—' : `${ratio.toFixed(ratio < 0.1 ? 3 : 2)}x`;
  // a 'within' goal is about the difference: show it next to the ratio
  if (r.goal.kind !== 'within' || r.netlab === undefined || r.peer === undefined) return text;
  const d = r.netlab - r.peer;
  return `${text} (${d >= 0 ? '+' : '-'}${Math.abs(d).toFixed(2)} ${r.unit})`;
}

function cells(r: Row): string[] {
  return [r.label, fmt(r.netlab, r.unit, r.netlabNote), `${r.peerName}: ${fmt(r.peer, r.unit, r.peerNote)}`, ratioText(r), goalText(r.goal), metOf(r)];
}

const HEAD = ['measure', 'netlab', 'peer', 'ratio (netlab/peer)', 'goal', 'met'];

/** Fixed-width table for the terminal. */
export function renderText(sections: Section[]): string {
  const out: string[] = [];
  for (const s of sections) {
    const rows = [HEAD, ...s.rows.map(cells)];
    const widths = HEAD.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    out.push(`== ${s.title}`);
    for (const [k, r] of rows.entries()) {
      out.push(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
      if (k === 0) out.push(widths.map((w) => '-'.repeat(w)).join('  '));
    }
    for (const r of s.rows) if (r.detail) out.push(`   ${r.label}: ${r.detail}`);
    out.push('');
  }
  return out.join('\n');
}

function md(text: string): string {
  return text.replace(/\|/g, '\\|');
}

export interface Machine {
  cores: string;
  memory: string;
  node: string;
  tools: Array<[string, string]>;
  date: string;
  kernel: string;
}

/** docs/benchmarks.md: the machine, how to re-run, then one table per benchmark. */
export function renderMarkdown(machine: Machine, sections: Section[], totalSeconds: number): string {
  const out: string[] = [
    '# netlab benchmarks',
    '',
    'Generated by `npm run bench` (bench/run.ts); do not edit by hand, re-run it.',
    'netlab is compared side by side with the reference tools on the same machine, the same',
    'servers and the same inputs; every server is on loopback (127.0.0.0/8), nothing else is contacted.',
    '',
    '## Machine',
    '',
    `- date: ${machine.date}`,
    `- CPU: ${machine.cores} cores (\`nproc\`)`,
    `- memory: ${machine.memory} (\`free -h\`, total)`,
    `- kernel: ${machine.kernel}`,
    `- Node.js: ${machine.node}`,
    ...machine.tools.map(([k, v]) => `- ${k}: ${v}`),
    '',
    '> The machine is shared with other work and noisy: every figure below comes from one run',
    '> of the suite (medians within that run), not from repeated sessions. Treat differences',
    '> under about 10 % as noise. The whole suite took ' + `${Math.round(totalSeconds)} s.`,
    '',
    'Ratios are netlab / peer: for times lower is better, for rates (q/s) higher is better.',
    '',
  ];
  for (const s of sections) {
    out.push(`## ${s.title}`, '', s.method, '');
    out.push(`| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => '---').join('|')}|`);
    for (const r of s.rows) out.push(`| ${cells(r).map(md).join(' | ')} |`);
    out.push('');
    const details = s.rows.filter((r) => r.detail);
    if (details.length > 0) {
      for (const r of details) out.push(`- ${md(r.label)}: ${r.detail}`);
      out.push('');
    }
    for (const n of s.notes ?? []) out.push(n, '');
  }
  const all = sections.flatMap((s) => s.rows.filter((r) => r.goal.kind !== 'none').map((r) => ({ s, r })));
  out.push('## Summary', '', '| benchmark | measure | goal | met |', '|---|---|---|---|');
  for (const { s, r } of all) out.push(`| ${md(s.title)} | ${md(r.label)} | ${goalText(r.goal)} | ${metOf(r)} |`);
  out.push('');
  return out.join('\n');
}
