/**
 * `netlab dig`: dig's own syntax (parsed in options.ts, not by commander), its help, and its
 * output, streamed: each result is printed once it and those before it are done (-f batches).
 */
import type { CommandDef, CommandResult } from '../command.js';
import { parseDigArgs, type DigOptions } from './options.js';
import type { DigResult } from './run.js';

const DIG_HELP = `Usage: netlab dig [@server] [-p port] [-t type] [-c class] [-x addr] [-f file]
                  [name] [type] [class] [+option...]

dig's syntax, in any order. Without @server, the first nameserver of /etc/resolv.conf.

  @server        server to ask (address or name)
  -p port        port (every hop with +trace)
  -t type        query type (A, AAAA, MX, TXT, HTTPS, TYPE65534, ...); default A
  -c class       query class (IN, CH, ...); default IN
  -x addr        reverse lookup of an IPv4 or IPv6 address (PTR)
  -f file        batch: one query per line, same syntax; answered concurrently,
                 printed in input order (--concurrency N, default 16)
  -4, -6         use only IPv4 / IPv6 to reach a server given by name
  +trace         follow referrals from the root (@server is asked for the root NS set)
  +short         only the data of the answer records
  +tcp           query over TCP (a truncated UDP answer is retried over TCP anyway)
  +[no]recurse   set RD (default on; off with +trace)
  +time=N        seconds per try (default 5)     +tries=N  tries (default 3)
  +retry=N       retries (tries - 1)              +bufsize=N EDNS UDP size (default 1232)
  +[no]edns      send EDNS(0) (default on)        +dnssec   set the DO bit
  +nsid          ask for the server's NSID        +ignore   do not retry TC over TCP
  +[no]cdflag    +[no]adflag                      +[no]all, +[no]cmd, +[no]comments,
  +[no]question, +[no]answer, +[no]authority, +[no]additional, +[no]stats
  +json, --json  one JSON document on stdout
  +validate      DNSSEC: validate the answer's chain of trust, as BIND's delv does
                 (secure, insecure or bogus, and the link that broke); records come from
                 @server when it is a recursive resolver (RA), else by walking the
                 delegations down from it (always so with +trace)
  --trust-anchor FILE  anchors for +validate (implies it): a trust-anchors { ... };
                 clause as delv -a reads it, or DS/DNSKEY records; default: the root KSKs

Exit: 0 an answer (NOERROR), 2 NXDOMAIN/SERVFAIL/REFUSED, no reply or an unfinished trace,
3 bad syntax or unreadable -f file. With +validate also: 2 bogus (or the records could not
be fetched), 1 insecure (an unsigned answer), 3 an unreadable or invalid trust-anchor file.
`;

export interface DigRun extends CommandResult {
  /** Queries asked, and those with a result when interrupted. */
  queries: number;
  done: number;
}

export const command: CommandDef<DigOptions, DigRun> = {
  name: 'dig',
  own: { parse: (argv) => parseDigArgs([...argv]), help: DIG_HELP },
  async run(options, ctx) {
    const { runDigStream } = await import('./run.js');
    // JSON: one document, an array when there may be several results, as JSON.stringify(_, null, 2)
    // would print it whole.
    const array = Boolean(options.batchFile) || options.queries.length > 1;
    const { renderDigResult } = options.json ? { renderDigResult: undefined } : await import('./render.js');
    // the WHEN line's zone, looked up only when a WHEN line can be printed
    const when = !options.json && !options.short && options.sections.stats;
    const zone = when ? (await import('../../util/tz-abbreviation.js')).localZoneName(new Date()) : 'UTC';
    const render = (r: DigResult, i: number): string => {
      if (renderDigResult) return renderDigResult(r, i, options, ctx.version, zone);
      if (!array) return `${JSON.stringify(r, null, 2)}\n`;
      // the element as the whole array's stringify indents it: "[\n  {...}\n]" without its brackets
      const inArray = JSON.stringify([r], null, 2);
      return `${i === 0 ? '[\n' : ',\n'}${inArray.slice(2, -2)}`;
    };
    let buffered = '';
    let printed = 0;
    const summary = await runDigStream({ ...options, signal: ctx.signal }, (r, i) => {
      buffered += render(r, i);
      printed++;
      if (buffered.length >= 65536) {
        void ctx.io.out(buffered);
        buffered = '';
      }
    });
    if (options.json && array && printed > 0) buffered += '\n]\n';
    // interrupted before the first result: still one JSON document
    if (options.json && printed === 0) buffered += `${JSON.stringify(array ? [] : { status: 'UNKNOWN', interrupted: true, error: 'interrupted' }, null, 2)}\n`;
    await ctx.io.out(buffered);
    if (summary.interrupted) {
      const what = summary.queries === 1 ? '' : `: ${summary.done} of ${summary.queries} queries have a result (those in flight marked interrupted)`;
      ctx.io.err(`netlab dig: interrupted${what}`);
    }
    return { status: summary.status, interrupted: summary.interrupted, queries: summary.queries, done: summary.done };
  },
};
