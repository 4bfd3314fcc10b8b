/**
 * `netlab dig`: dig's own syntax (parsed in options.ts, not by commander), its help, and its
 * output, streamed: each result is printed once it and those before it are done (-f batches).
 */
import type { CommandDef, CommandResult } from '../command.js';
import { parseDigArgs, type DigOptions } from './options.js';
import type { DigResult } from './run.js';

const DIG_HELP = `Usage: netlab dig [@server] [-p port] [-t type] [-c class] [-x addr] [-f file]
                  [-y [hmac:]name:secret | -k file] [name] [type] [class] [+option...]

dig's syntax, in any order. Without @server, the first nameserver of /etc/resolv.conf.

  @server        server to ask (address or name)
  -p port        port (every hop with +trace)
  -t type        query type (A, AAAA, MX, TXT, HTTPS, TYPE65534, ...); default A
  -c class       query class (IN, CH, ...); default IN
  -x addr        reverse lookup of an IPv4 or IPv6 address (PTR)
  -f file        batch: one query per line, same syntax; answered concurrently,
                 printed in input order (--concurrency N, default 16)
  -4, -6         use only IPv4 / IPv6 to reach a server given by name
  -y [hmac:]name:secret   sign with this TSIG key (base64 secret; hmac-md5 by default,
                 as BIND 9.18 dig; hmac-sha1/224/256/384/512) and verify the reply's
  -k file        the same with a BIND key file (as tsig-keygen writes it)
  +trace         follow referrals from the root (@server is asked for the root NS set)
  +short         only the data of the answer records
  +tcp           query over TCP (a truncated UDP answer is retried over TCP anyway)
  +[no]recurse   set RD (default on; off with +trace)
  +time=N        seconds per try (default 5)     +tries=N  tries (default 3)
  +retry=N       retries (tries - 1)              +bufsize=N EDNS UDP size (default 1232)
  +[no]edns      send EDNS(0) (default on)        +dnssec   set the DO bit
  +nsid          ask for the server's NSID        +ignore   do not retry TC over TCP
  +subnet=ADDR[/PREFIX]  send an EDNS Client Subnet (RFC 7871), IPv4 or IPv6; the answer's
                 CLIENT-SUBNET shows address/source/scope; +subnet=0 asks for no subnet
  +[no]cookie[=HEX]  send a DNS cookie (RFC 7873; default on, as BIND 9.18 dig): the answer's
                 COOKIE is (good), (echoed) or (bad); a BADCOOKIE answer is asked again once
  +[no]cdflag    +[no]adflag                      +[no]all, +[no]cmd, +[no]comments,
  +[no]question, +[no]answer, +[no]authority, +[no]additional, +[no]stats
  +json, --json  one JSON document on stdout
  +validate      DNSSEC: validate the answer's chain of trust, as BIND's delv does
                 (secure, insecure or bogus, and the link that broke); records come from
                 @server when it is a recursive resolver (RA), else by walking the
                 delegations down from it (always so with +trace)
  --trust-anchor FILE  anchors for +validate (implies it): a trust-anchors { ... };
                 clause as delv -a reads it, or DS/DNSKEY records; default: the root KSKs

Delegation health (issue 14):
  +nssearch      the SOA from every address of every name server of the zone, asked
                 without recursion, one line each as dig prints it; an older serial is
                 SERIAL_MISMATCH, a silent or lame server SILENT_SERVER / LAME_SERVER
  +zone-check    a +trace that checks every server of every zone on the way: each
                 address is asked the question, its zone's SOA (over TCP) and NS set;
                 LAME_SERVER, UPWARD_REFERRAL, SILENT_SERVER, SERIAL_MISMATCH,
                 NS_MISMATCH, GLUE_MISMATCH, EDNS_BROKEN, TCP_BROKEN, ANSWER_MISMATCH,
                 NS_NO_ADDRESS, CHECK_INCOMPLETE (see man netlab-dig)
                 Both: -4/-6 narrow the servers' addresses (default both), +time/+tries
                 the wait per query (default 1.5 s, 1 try)


Zone transfers: 'zone AXFR' and 'zone ixfr=SERIAL' go over TCP and print the records in
order with ';; XFR size: N records (messages M, bytes B)'; a refused one prints
'; Transfer failed.' (exit 2); a stream cut, stalled (+time per read) or over 2,000,000
records is one line (exit 2).

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

Exit: 0 an answer (NOERROR), 2 NXDOMAIN/SERVFAIL/REFUSED, no reply, an unfinished trace,
a failed transfer or a TSIG that does not verify, 3 bad syntax (a bad -y key), an unreadable
-f file or -k key file.
+nssearch / +zone-check: 0 nothing wrong, 1 a WARNING (a server of a zone broken while
another answers, serials or NS sets or glue that differ), 2 CRITICAL (no server of a zone
answers, no NS set).
+validate: 2 bogus (or the records could not be fetched), 1 insecure (an unsigned answer),
3 an unreadable or invalid trust-anchor file.
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
    const { runDigStream, isTransfer } = await import('./run.js');
    // JSON: one document, an array when there may be several results, as JSON.stringify(_, null, 2)
    // would print it whole.
    const array = Boolean(options.batchFile) || options.queries.length > 1;
    const { renderDigResult } = options.json ? { renderDigResult: undefined } : await import('./render.js');
    // the WHEN line's zone, looked up only when a WHEN line can be printed
    const when = !options.json && !options.short && options.sections.stats;
    const zone = when ? (await import('../../util/tz-abbreviation.js')).localZoneName(new Date()) : 'UTC';
    // a streamed transfer's banner: before its first record, or before its result when none came
    let preamble = '';
    const render = (r: DigResult, i: number): string => {
      if (renderDigResult) {
        const text = preamble + renderDigResult(r, i, options, ctx.version, zone);
        preamble = '';
        return text;
      }
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
    // issue 14: one zone transfer in text: its records printed as they arrive, none kept
    const streamXfr = !options.json && !array && options.queries.length === 1 && isTransfer(options.queries[0]!);
    const hooks: import('./run.js').DigHooks = {};
    // a streamed transfer's text while stdout is full (a slow reader): held, and written in one
    // piece when it drains; one wait for 'drain' at a time, not one per message of the transfer
    let held = '';
    let draining: Promise<void> | undefined;
    const writeXfr = (text: string): void => {
      if (draining) {
        held += text;
        return;
      }
      const wait = ctx.io.out(text);
      if (wait) {
        draining = wait.then(() => {
          draining = undefined;
          const next = held;
          held = '';
          if (next !== '') writeXfr(next);
        });
      }
    };
    if (streamXfr) {
      const { renderXfrPreamble, renderXfrRecords } = await import('./render.js');
      preamble = renderXfrPreamble(options, ctx.version);
      hooks.onXfrRecords = (records) => {
        writeXfr(preamble + renderXfrRecords(records, options));
        preamble = '';
      };
    }
    // stdout full (a slow reader): what comes next is held, and written when it drains; one
    // wait for 'drain' at a time, not one more listener per 64 KiB written meanwhile
    let blocked: Promise<void> | undefined;
    const summary = await runDigStream({ ...options, signal: ctx.signal }, (r, i) => {
      buffered += render(r, i);
      printed++;
      if (buffered.length >= 65536 && !blocked) {
        const wait = ctx.io.out(buffered);
        buffered = '';
        if (wait) {
          blocked = wait.then(() => {
            blocked = undefined;
          });
        }
      }
    }, hooks);
    while (draining) await draining;
    while (blocked) await blocked;
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
