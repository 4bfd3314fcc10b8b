/** `netlab hosts2zone`: its options, declared once, and its flow (parse, run, render). */
import type { CommandDef } from '../command.js';
import { parseHosts2zoneArgs, runHosts2zone, type Hosts2zoneOptions, type Hosts2zoneResult } from './run.js';
import { formatIssue, formatMismatch, formatOmitted, renderHosts2zoneSummary, renderHosts2zoneText } from './render.js';

export const command: CommandDef<Hosts2zoneOptions, Hosts2zoneResult> = {
  name: 'hosts2zone',
  args: [{ name: '[files...]', description: 'hosts files (- for stdin)' }],
  options: [
    { flags: '--origin <domain>', description: 'the zone: names inside it become its owners, short names go under it, others are skipped' },
    { flags: '--ns <name>', description: 'a name server (repeatable; the first is the SOA primary; default localhost.)', repeatable: true },
    { flags: '--contact <mail>', description: 'the SOA contact, user@domain (default hostmaster@DOMAIN)' },
    { flags: '--ttl <seconds>', description: 'the default TTL ($TTL)', default: 3600 },
    { flags: '--serial <n>', description: 'the SOA serial (default YYYYMMDDnn, greater than the one of the zone replaced in --out)' },
    { flags: '--reverse', description: 'also write PTR zones: in-addr.arpa per /24, ip6.arpa per --v6-prefix (needs --out)' },
    { flags: '--v6-prefix <bits>', description: 'size of each ip6.arpa zone, a multiple of 4', default: 64 },
    { flags: '--aliases <how>', description: 'aliases as cname (CNAME to the canonical name) or a (address records)', default: 'cname' },
    { flags: '--format <format>', description: 'zone, or rpz: a blocklist as a Response Policy Zone', default: 'zone' },
    { flags: '--allow-underscore', description: "write names with '_' as owners of addresses too (BIND then needs check-names ignore)" },
    { flags: '--out <dir>', description: 'write db.DOMAIN (and the reverse zones) in DIR and print a summary; default: the zone on stdout. Each file is written in full to a temporary file, synced, then renamed over the old one (which keeps its mode); a target that is not a regular file is refused' },
    { flags: '--verify <server[:port]>', description: 'ask this server for every name (and PTR with --reverse) and compare with the files; writes nothing' },
    { flags: '--concurrency <n>', description: 'queries in flight with --verify', default: 32 },
    { flags: '--timeout <seconds>', description: 'per query with --verify', default: 2 },
    { flags: '--json', description: 'one JSON document on stdout (without --out or --verify: only check the files, write nothing)' },
  ],
  helpAfter: `
Limits (netlab-hosts2zone(1), LIMITS):
  a line is read in full up to 1 MiB; of a longer one, the names in its
    first 1 MiB are kept and the rest is reported (LINE_TOO_LONG)
  an input (file, FIFO, device or stdin) is read up to 1 GiB, then exit 3
  a FIFO or device that gives no byte for 10 s: exit 3
  the first 1,000 problems are listed (stderr, JSON); one line counts the rest
  a line ends at LF, CR LF or a lone CR`,
  parse: (g) => parseHosts2zoneArgs({
    files: [...g.args], origin: g.text('origin'), ns: g.has('ns') ? g.list('ns') : undefined, contact: g.text('contact'), ttl: g.text('ttl'),
    serial: g.text('serial'), reverse: g.flag('reverse'), v6Prefix: g.text('v6-prefix'), aliases: g.text('aliases'), format: g.text('format'),
    allowUnderscore: g.flag('allow-underscore'), out: g.text('out'), verify: g.text('verify'), concurrency: g.text('concurrency'),
    timeout: g.text('timeout'), json: g.flag('json'),
  }),
  // the zone streams to stdout and the problems to stderr as they are found; the run prints its own end
  async run(options, ctx) {
    const result = await runHosts2zone({ ...options, signal: ctx.signal }, {
      stdin: ctx.io.stdin,
      writeZone: (chunk) => ctx.io.out(chunk),
      onIssue: (issue) => ctx.io.err(formatIssue(issue)),
      onIssuesOmitted: (o) => ctx.io.err(formatOmitted(o)),
      onMismatch: (m) => ctx.io.err(`mismatch: ${formatMismatch(m)}`),
    });
    if (options.json) await ctx.io.out(`${JSON.stringify(result, null, 2)}\n`);
    else if (options.outDir !== undefined || options.verify) await ctx.io.out(renderHosts2zoneText(result));
    else for (const line of renderHosts2zoneSummary(result).replace(/\n$/, '').split('\n')) ctx.io.err(line);
    return result;
  },
};
