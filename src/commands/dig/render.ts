/** dig's text layout, from DigResult objects. Pure: returns text. */
import type { DigHop, DigQuestion, DigResult } from '../../protocol/dns/lookup.js';
import type { DigOptions } from './options.js';
import { TRANSPORT_LABEL } from './encrypted-options.js';

const TAB = 8;
// BIND's dns_master_style_debug columns, as dig prints records
const TTL_COLUMN = 24;
const CLASS_COLUMN = 32;
const TYPE_COLUMN = 40;
const RDATA_COLUMN = 48;

/**
 * Move from column `cur` to `to` as BIND's masterdump indent() does: tabs when a tab stop
 * lies between, else (the text already reached the column) a single space.
 */
function indent(cur: number, toWanted: number): { text: string; col: number } {
  const to = Math.max(toWanted, cur + 1);
  const tabs = Math.floor(to / TAB) - Math.floor(cur / TAB);
  const text = tabs > 0 ? '\t'.repeat(tabs) + ' '.repeat(to % TAB) : ' '.repeat(to - cur);
  return { text, col: to };
}

/** What a record line shows: owner, TTL, class, type and the presentation text. */
export type RecordLineInput = Pick<DigQuestion, 'name' | 'ttl' | 'class' | 'type' | 'data'>;

/** One record line, tab-aligned as dig prints it. */
export function recordLine(r: RecordLineInput): string {
  let line = r.name;
  let col = line.length;
  for (const [text, to] of [[String(r.ttl), TTL_COLUMN], [r.class, CLASS_COLUMN], [r.type, TYPE_COLUMN]] as const) {
    const ind = indent(col, to);
    line += ind.text + text;
    col = ind.col + text.length;
  }
  return `${line}${indent(col, RDATA_COLUMN).text}${r.data}`;
}

function questionLine(q: DigQuestion): string {
  const name = `;${q.name}`;
  const a = indent(name.length, CLASS_COLUMN);
  const b = indent(a.col + q.class.length, TYPE_COLUMN);
  return `${name}${a.text}${q.class}${b.text}${q.type}`;
}

/** `Mon Nov 23 08:40:00 UTC 2026`, as dig's WHEN line (strftime "%a %b %d %H:%M:%S %Z %Y"). */
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
// a batch prints thousands of WHEN lines within a few seconds: keep the last second's text
let lastWhen: { second: string; text: string } | undefined;

/** `zone` is the local zone's abbreviation (localZoneName, resolved by the caller: no I/O here). */
export function digDate(iso: string, zone: string): string {
  // toISOString's form, 2026-11-23T08:40:00.123Z: the text depends only on the first 19 characters
  const second = `${iso.length === 24 && iso.endsWith('Z') ? iso.slice(0, 19) : iso} ${zone}`;
  if (lastWhen?.second === second) return lastWhen.text;
  const d = new Date(iso);
  const two = (n: number) => String(n).padStart(2, '0');
  const time = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  const text = `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${two(d.getDate())} ${time} ${zone} ${d.getFullYear()}`;
  lastWhen = { second, text };
  return text;
}

function serverText(address: string, port: number, name: string): string {
  return `${address}#${port}(${name})`;
}

function ednsLines(r: DigResult): string[] {
  const e = r.edns;
  if (!e) return [];
  const lines = [';; OPT PSEUDOSECTION:', `; EDNS: version: ${e.version}, flags:${e.do ? ' do' : ''}; udp: ${e.udpSize}`];
  for (const o of e.options) {
    if (o.code === 3) {
      const bytes = Buffer.from(o.hex, 'hex');
      const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      const text = [...bytes].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
      lines.push(`; NSID: ${hex} ("${text}")`);
    } else {
      lines.push(`; ${o.name}: ${o.hex}`);
    }
  }
  return lines;
}

function header(options: DigOptions, version: string): string[] {
  const lines = ['', `; <<>> netlab dig ${version} <<>> ${options.argv.join(' ')}`];
  if (options.server && !options.trace) lines.push('; (1 server found)');
  lines.push(';; global options: +cmd');
  return lines;
}

function answerText(r: DigResult, options: DigOptions, zone: string): string[] {
  const s = options.sections;
  const out: string[] = [];
  if (r.error) {
    out.push(`;; ${r.error}`);
    return out;
  }
  if (s.comments) {
    const c = r.counts!;
    out.push(';; Got answer:');
    out.push(`;; ->>HEADER<<- opcode: ${r.opcode}, status: ${r.rcode}, id: ${r.id}`);
    out.push(`;; flags: ${r.flags.join(' ')}; QUERY: ${c.query}, ANSWER: ${c.answer}, AUTHORITY: ${c.authority}, ADDITIONAL: ${c.additional}`);
    if (r.flags.includes('rd') && !r.flags.includes('ra')) out.push(';; WARNING: recursion requested but not available');
    out.push('');
    out.push(...ednsLines(r));
  }
  const section = (title: string, on: boolean, records: RecordLineInput[], line: (x: DigQuestion) => string) => {
    if (!on || records.length === 0) return;
    if (s.comments) out.push(`;; ${title} SECTION:`);
    out.push(...records.map(line));
    if (s.comments) out.push('');
  };
  section('QUESTION', s.question, r.question ?? [], questionLine);
  section('ANSWER', s.answer, r.answer, recordLine);
  section('AUTHORITY', s.authority, r.authority, recordLine);
  section('ADDITIONAL', s.additional, r.additional, recordLine);
  if (s.stats) {
    out.push(`;; Query time: ${Math.floor(r.timeMs ?? 0)} msec`); // whole ms, truncated, as dig
    out.push(`;; SERVER: ${serverText(r.query.server, r.query.port, r.query.serverName)} (${TRANSPORT_LABEL[r.query.transport] ?? r.query.transport.toUpperCase()})`);
    if (r.query.tls) out.push(tlsLine(r.query.tls));
    out.push(`;; WHEN: ${digDate(r.when, zone)}`);
    out.push(`;; MSG SIZE  rcvd: ${r.msgSize}`);
    out.push('');
  }
  return out;
}

/** issue 14: what TLS gave, and the privacy profile said plainly (RFC 8310). */
export function tlsLine(t: NonNullable<DigResult['query']['tls']>): string {
  const what = [t.protocol, t.cipher, t.alpn ? `ALPN ${t.alpn}` : undefined].filter(Boolean).join(', ');
  const check = t.profile === 'strict'
    ? `certificate verified for ${t.hostname ?? 'the server'} (strict profile)`
    : 'certificate NOT verified (opportunistic profile, RFC 8310: encrypted, not authenticated)';
  return `;; TLS: ${what ? `${what}; ` : ''}${check}`;
}

function hopText(h: DigHop): string[] {
  const out: string[] = [];
  for (const s of h.skipped) {
    const where = s.address ? `${s.address}#${h.port}` : 'no address';
    out.push(`;; Skipped ${s.serverName} (${where}): ${s.reason}`);
  }
  for (const g of h.resolvedGlueless ?? []) {
    out.push(`;; Resolved glueless ${g.name} -> ${g.addresses.join(', ') || 'no address'}`);
  }
  if (h.kind === 'unanswered') {
    out.push('');
    return out;
  }
  out.push(...h.records.map(recordLine));
  out.push(`;; Received ${h.msgSize} bytes from ${serverText(h.server, h.port, h.serverName.replace(/\.$/, ''))} in ${Math.floor(h.timeMs)} ms`);
  out.push('');
  return out;
}

/** dig +short: the data of each answer record, one per line. */
function shortText(r: DigResult): string[] {
  if (r.error) return [`;; ${r.error}`];
  return r.answer.map((a) => a.data);
}

/**
 * One result as dig prints it; `index` is its place in the run (the banner goes before the
 * first), `zone` the local time zone's abbreviation for the WHEN line (see localZoneName).
 * Results rendered one by one and concatenated are exactly `renderDigText`.
 */
export function renderDigResult(r: DigResult, index: number, options: DigOptions, version: string, zone: string): string {
  let out: string[];
  if (options.short) out = shortText(r);
  else {
    out = [];
    // dig says so when it happens, before anything else of that query
    if (r.tcpFallback && options.sections.comments) out.push(';; Truncated, retrying in TCP mode.');
    if (options.sections.cmd && index === 0) out.push(...header(options, version));
    if (r.hops) {
      for (const h of r.hops) out.push(...hopText(h));
      if (r.error) out.push(`;; ${r.error}`, '');
    } else out.push(...answerText(r, options, zone));
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

/** Render results as dig does. `version` goes into the banner line. */
export function renderDigText(results: DigResult[], options: DigOptions, version: string, zone: string): string {
  return results.map((r, i) => renderDigResult(r, i, options, version, zone)).join('');
}
