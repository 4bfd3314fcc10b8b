/** issue 14: the text of `dig +nssearch` (dig's own lines) and `+zone-check` (a table per zone). Pure. */
import type { DigResult } from '../../protocol/dns/lookup.js';

function label(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}#${port}`;
}

function problemLines(r: DigResult): string[] {
  return r.problems.map((p) => `;; ${p.severity} ${p.code}: ${p.message}`);
}

/** `SOA ... from server ADDR in N ms.` per server, as BIND 9.18's dig prints them, then the problems. */
export function nssearchText(r: DigResult): string[] {
  const out: string[] = [];
  if (r.error) return [`;; ${r.error}`];
  const entries = r.nssearch ?? [];
  for (const e of entries) {
    if (e.soa !== null) out.push(`SOA ${e.soa} from server ${e.address} in ${Math.floor(e.timeMs ?? 0)} ms.`);
    else if (!e.address) out.push(`;; couldn't get address for '${e.server.replace(/\.$/, '')}': not found`);
    else if (e.rcode === null) out.push(`;; communications error to ${label(e.address, r.query.port)}: ${e.error ?? 'no reply'}`);
    else out.push(`;; no SOA from server ${e.address} (${e.server}): ${e.error ?? e.rcode}`);
  }
  if (!entries.some((e) => e.soa !== null)) out.push(';; NS servers could not be reached');
  for (const n of r.notes ?? []) out.push(`;; note: ${n.message}`);
  // what dig leaves to the reader (the silent ones are said above)
  out.push(...problemLines({ ...r, problems: r.problems.filter((p) => p.code !== 'SILENT_SERVER' && p.code !== 'NS_NO_ADDRESS') }));
  return out;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

/** Per zone on the way: the parent's and the zone's NS sets, a table of its servers, then every problem. */
export function zoneCheckText(r: DigResult): string[] {
  const z = r.zoneCheck;
  if (!z) return r.error ? [`;; ${r.error}`] : [];
  const out: string[] = [];
  const servers = z.levels.reduce((n, l) => n + l.servers.length, 0);
  out.push(`;; zone-check ${z.qname} ${z.qtype}: ${z.levels.length} zone${z.levels.length === 1 ? '' : 's'}, ${servers} server address${servers === 1 ? '' : 'es'}, ${z.queries} queries`, '');
  for (const l of z.levels) {
    const child = l.childNs === null ? 'unknown (no server answered)' : l.childNs.join(' ') === [...l.parentNs].sort().join(' ') ? 'the same' : l.childNs.join(', ');
    out.push(`;; ${l.zone}  parent NS: ${l.parentNs.join(', ') || '(none)'}  zone NS: ${child}`);
    const rows = [['SERVER', 'ADDRESS', 'VERDICT', 'SERIAL', 'TIME', 'EDNS', 'TCP', 'REPLY', 'PROBLEMS']];
    for (const s of l.servers) {
      rows.push([s.name, s.address, s.verdict, s.serial === null ? '-' : String(s.serial), s.timeMs === null ? '-' : `${Math.floor(s.timeMs)} ms`, s.edns === 'not checked' ? '-' : s.edns, s.tcp === 'not checked' ? '-' : s.tcp, s.reply, s.problems.join(',') || '-']);
    }
    if (l.servers.length > 0) out.push(...table(rows));
    else out.push('(no server address to ask)');
    out.push('');
  }
  for (const n of z.notes ?? []) out.push(`;; note: ${n.message}`);
  if (r.problems.length === 0) out.push(`;; no problem found: ${z.complete ? 'every server of every zone on the way answers alike' : 'incomplete'}`);
  else out.push(';; PROBLEMS:', ...problemLines(r));
  out.push(`;; Status: ${r.status}`, '');
  return out;
}
