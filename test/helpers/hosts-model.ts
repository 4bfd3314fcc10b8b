/** Build a HostsModel from hosts text, as `netlab hosts2zone` does, for unit tests. */
import { readHosts, type HostsIssue } from '../../src/protocol/zone/hosts.js';
import { stringChunks } from '../../src/protocol/zone/lines.js';
import { HostsModel, type ModelOptions } from '../../src/protocol/zone/model.js';
import { forwardZoneText, reverseZoneText, rpzZoneText, type ZoneHead } from '../../src/protocol/zone/writer.js';

export const DEFAULTS: ModelOptions = { origin: 'corp.test', format: 'zone', aliases: 'cname', reverse: false, allowUnderscore: false };

/** Several files: [name, text] pairs, read in order into one model. */
export async function modelFrom(files: Array<[string, string]> | string, options: Partial<ModelOptions> & { ns?: string[] } = {}): Promise<{ model: HostsModel; issues: HostsIssue[] }> {
  const list: Array<[string, string]> = typeof files === 'string' ? [['office.hosts', files]] : files;
  const issues: HostsIssue[] = [];
  const model = new HostsModel({ ...DEFAULTS, ...options }, (i) => issues.push(i));
  for (const ns of options.ns ?? []) {
    const key = model.place(ns);
    if (key !== null) model.declareNameServer(key);
  }
  for (const [name, text] of list) {
    const fi = model.addFile(name);
    await readHosts(stringChunks(text, 5), name, (e, line) => model.add(e, fi, line), (i) => issues.push(i));
  }
  model.finish();
  return { model, issues };
}

export function head(origin = 'corp.test', serial = 2026010100): ZoneHead {
  return {
    origin,
    ttl: 3600,
    soa: { mname: 'ns1.corp.test.', rname: 'hostmaster.corp.test.', serial, refresh: 3600, retry: 900, expire: 1209600, minimum: 3600 },
    ns: ['ns1.corp.test.'],
  };
}

function text(chunks: Iterable<string | Uint8Array>): string {
  let out = '';
  for (const c of chunks) out += typeof c === 'string' ? c : Buffer.from(c).toString('latin1');
  return out;
}

/** The forward (or RPZ) zone's text and its record count. */
export function zoneText(model: HostsModel, h = head(model.options.origin)): { text: string; records: number } {
  const stats = { records: 0 };
  const t = text(model.options.format === 'rpz' ? rpzZoneText(model, h, stats) : forwardZoneText(model, h, stats));
  return { text: t, records: stats.records };
}

/** The data lines of a zone (after the SOA and NS), as `owner type data`. */
export function dataLines(zone: string): string[] {
  return zone.split('\n').filter((l) => l && !l.startsWith(';') && !l.startsWith('$') && !l.startsWith('\t') && !/\t(SOA|NS)\t/.test(l)).map((l) => l.replace(/\tIN\t/, '\t').split('\t').join(' '));
}

/** Every reverse zone: origin -> text. */
export function reverseTexts(model: HostsModel, v6Prefix = 64): Map<string, string> {
  const out = new Map<string, string>();
  let cur = '';
  let buf = '';
  for (const ev of reverseZoneText(model, v6Prefix, (o) => head(o))) {
    if (ev.kind === 'start') {
      cur = ev.origin;
      buf = '';
    } else if (ev.kind === 'text') buf += ev.text;
    else out.set(cur, buf);
  }
  return out;
}
