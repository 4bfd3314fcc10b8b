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

Encrypted transports (default ports 853, 443, 80; -p overrides):
  +tls           DNS over TLS (RFC 7858)
  +https[=/path] DNS over HTTPS, POST over HTTP/2 and TLS (RFC 8484; default /dns-query)
  +https-get[=/path]        the same with GET (?dns=base64url)
  +http-plain[=/path], +http-plain-get[=/path]
                 DoH over cleartext HTTP/2 (h2c, prior knowledge)
  +tls-ca[=FILE] verify the certificate against FILE (no FILE: the system's roots)
  +tls-hostname=NAME        the name to verify and send as SNI
                 With +tls-ca or +tls-hostname the certificate is verified (strict
                 profile); without, the query is encrypted but the server not
                 authenticated (opportunistic profile, said in the output).
                 A -f batch uses one connection per server (--concurrency in flight).
  -f -           read the batch from stdin

Exit: 0 an answer (NOERROR), 2 NXDOMAIN/SERVFAIL/REFUSED, no reply or an unfinished trace,
3 bad syntax or unreadable -f file.
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
    // issue 14: +trace asks name servers, which speak Do53 only
    if (options.trace && options.transport !== 'udp') ctx.io.err(`netlab dig: +trace asks every server over UDP (name servers do not speak DoT/DoH): +${options.transport} not used for it`);
    // +short prints data only: the opportunistic profile is said on stderr instead
    if (options.short && !options.trace && (options.transport === 'tls' || options.transport === 'https') && options.tlsCa === undefined && options.tlsHostname === undefined) {
      ctx.io.err('netlab dig: TLS certificate not verified (opportunistic profile: encrypted, not authenticated); give +tls-ca or +tls-hostname to verify it');
    }
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
