/** dig's text layout, from DigResult objects. Pure: returns text. */
import type { DigHop, DigQuestion, DigResult } from '../../protocol/dns/lookup.js';
import type { DigOptions } from './options.js';
import { nssearchText, zoneCheckText } from './render-delegation.js';
import { validationLines } from './render-validation.js';
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

const TABS = ['', '\t', '\t\t', '\t\t\t', '\t\t\t\t', '\t\t\t\t\t', '\t\t\t\t\t\t'];
const SPACES = ['', ' ', '  ', '   ', '    ', '     ', '      ', '       '];

/** indent()'s text alone, for the record lines (a zone transfer prints 100,000 of them): the column it reaches is max(to, cur + 1). */
function gap(cur: number, toWanted: number): string {
  const to = Math.max(toWanted, cur + 1);
  const tabs = (to >> 3) - (cur >> 3);
  if (tabs > 0) return (TABS[tabs] ?? '\t'.repeat(tabs)) + SPACES[to & 7]!;
  return SPACES[to - cur] ?? ' '.repeat(to - cur);
}

/** One record line, tab-aligned as dig prints it. */
export function recordLine(r: RecordLineInput): string {
  const ttl = String(r.ttl);
  let col = r.name.length;
  let line = r.name + gap(col, TTL_COLUMN) + ttl;
  col = Math.max(TTL_COLUMN, col + 1) + ttl.length;
  line += gap(col, CLASS_COLUMN) + r.class;
  col = Math.max(CLASS_COLUMN, col + 1) + r.class.length;
  line += gap(col, TYPE_COLUMN) + r.type;
  col = Math.max(TYPE_COLUMN, col + 1) + r.type.length;
  return line + gap(col, RDATA_COLUMN) + r.data;
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
    } else if (o.code === 8 && o.address !== undefined) {
      // BIND message.c: address/source/scope (RFC 7871)
      lines.push(`; CLIENT-SUBNET: ${o.address}/${o.sourcePrefix}/${o.scopePrefix}`);
    } else if (o.code === 10) {
      lines.push(`; COOKIE: ${o.hex}${o.verdict ? ` (${o.verdict})` : ''}`);
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
  // a signed query whose answer did not verify: dig's line (dig writes it to stderr)
  if (r.tsigError) out.push(`;; Couldn't verify signature: ${r.tsigError}`);
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
    if (s.comments) out.push(`;; ${title}${title.endsWith('PSEUDO') ? '' : ' '}SECTION:`);
    out.push(...records.map(line));
    if (s.comments) out.push('');
  };
  section('QUESTION', s.question, r.question ?? [], questionLine);
  section('ANSWER', s.answer, r.answer, recordLine);
  section('AUTHORITY', s.authority, r.authority, recordLine);
  // a signed answer's TSIG record is shown apart, as dig's TSIG PSEUDOSECTION
  const tsig = r.additional.filter((x) => x.type === 'TSIG');
  section('ADDITIONAL', s.additional, tsig.length > 0 ? r.additional.filter((x) => x.type !== 'TSIG') : r.additional, recordLine);
  section('TSIG PSEUDO', s.additional, tsig, recordLine);
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

/**
 * A zone transfer as dig prints it: the records in order (each signed message's TSIG record
 * after its records), then the footer with the XFR size line; a refusal is `; Transfer failed.`,
 * a stream cut or bounded its one-line error.
 */
function xfrText(r: DigResult, options: DigOptions, zone: string): string[] {
  const x = r.xfr!;
  const out: string[] = [];
  if (r.tsigError) out.push(`;; Couldn't verify signature: ${r.tsigError}`);
  const after = x.tsigAfter ?? [];
  let t = 0;
  const tsigUpTo = (n: number) => {
    for (; t < after.length && after[t]! <= n; t++) if (options.sections.additional) out.push(recordLine(r.additional[t]!));
  };
  if (options.short) {
    out.push(...r.answer.map((a) => a.data));
  } else {
    r.answer.forEach((a, i) => {
      tsigUpTo(i);
      out.push(recordLine(a));
    });
    tsigUpTo(Number.MAX_SAFE_INTEGER);
  }
  if (r.rcode && r.rcode !== 'NOERROR') {
    out.push('; Transfer failed.');
    return out;
  }
  if (r.error) {
    out.push(`;; ${r.error}`);
    return out;
  }
  if (options.sections.stats && !options.short) {
    out.push(`;; Query time: ${Math.floor(r.timeMs ?? 0)} msec`);
    out.push(`;; SERVER: ${serverText(r.query.server, r.query.port, r.query.serverName)} (TCP)`);
    out.push(`;; WHEN: ${digDate(r.when, zone)}`);
    out.push(`;; XFR size: ${x.records} records (messages ${x.messages}, bytes ${x.bytes})`);
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
  if (r.tsigError) return [`;; Couldn't verify signature: ${r.tsigError}`, ...r.answer.map((a) => a.data)];
  return r.answer.map((a) => a.data);
}

/**
 * One result as dig prints it; `index` is its place in the run (the banner goes before the
 * first), `zone` the local time zone's abbreviation for the WHEN line (see localZoneName).
 * Results rendered one by one and concatenated are exactly `renderDigText`.
 */
export function renderDigResult(r: DigResult, index: number, options: DigOptions, version: string, zone: string): string {
  let out: string[];
  // issue 14: +nssearch prints dig's own short lines; +zone-check its tables (render-delegation.ts)
  if (r.nssearch) out = nssearchText(r);
  else if (r.zoneCheck) out = [...(options.sections.cmd && index === 0 ? header(options, version) : []), ...zoneCheckText(r)];
  else if (r.xfr) {
    // a transfer's lines are many: no copy of the list
    out = xfrText(r, options, zone);
    // a streamed transfer printed its banner and records already (renderXfrPreamble, renderXfrRecords)
    if (options.sections.cmd && index === 0 && !options.short && !r.xfr.streamed) out.unshift(...header(options, version));
  }
  else if (options.short) out = shortText(r);
  else {
    out = [];
    // dig says so when it happens, before anything else of that query
    if (r.tcpFallback && options.sections.comments) out.push(';; Truncated, retrying in TCP mode.');
    if (r.badCookieRetry && options.sections.comments) out.push(';; BADCOOKIE, retrying.');
    if (options.sections.cmd && index === 0) out.push(...header(options, version));
    if (r.hops) {
      for (const h of r.hops) out.push(...hopText(h));
      if (r.error) out.push(`;; ${r.error}`, '');
    } else out.push(...answerText(r, options, zone));
  }
  // issue 14: +validate's verdict and chain of trust (src/commands/dig/render-validation.ts)
  if (r.validation && !options.short) out.push(...validationLines(r.validation));
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

/** A streamed transfer's banner, printed before its first record. */
export function renderXfrPreamble(options: DigOptions, version: string): string {
  return options.sections.cmd && !options.short ? `${header(options, version).join('\n')}\n` : '';
}

/** Records of a streamed transfer as they arrive: record lines (TSIG records among them, unless +noadditional), or their data with +short. */
export function renderXfrRecords(records: readonly RecordLineInput[], options: DigOptions): string {
  let out = '';
  for (const r of records) {
    if (r.type === 'TSIG' && (options.short || !options.sections.additional)) continue;
    out += `${options.short ? r.data : recordLine(r)}\n`;
  }
  return out;
}

/** Render results as dig does. `version` goes into the banner line. */
export function renderDigText(results: DigResult[], options: DigOptions, version: string, zone: string): string {
  return results.map((r, i) => renderDigResult(r, i, options, version, zone)).join('');
}
