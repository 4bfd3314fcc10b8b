/**
 * The netlab command line. Statically this imports only errors.ts; commander loads for the
 * subcommands it parses (dig has its own syntax and `--version` needs nothing), and each
 * subcommand's module (and with it dns-packet, undici, ora, cli-table3) loads in its action.
 * The one catch of the program is here: one line on stderr, the exit code of the contract.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { DigResult } from './commands/dig/index.js';
import { NetlabError, exitCodeFor, fileErrorReason, type Status } from './errors.js';
import { printableLine } from './util/printable.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function write(text: string): void {
  process.stdout.write(text);
}

/** The subcommand being run and whether it prints JSON, for the messages of fail() and Ctrl-C. */
const run = { command: '', json: false, printed: false };

/**
 * Ctrl-C: the signal every engine is given. The first SIGINT aborts it and the engine returns
 * what it measured, marked interrupted; a second one, or an engine that has not come back within
 * INTERRUPT_GRACE_MS, ends the process at once. Either way the exit code is 3 (the contract).
 */
const interruption = new AbortController();
const INTERRUPT_GRACE_MS = 2000;

function onInterrupt(): void {
  if (interruption.signal.aborted) process.exit(3);
  interruption.abort();
  setTimeout(() => {
    process.stderr.write(`netlab ${run.command}: interrupted\n`);
    if (run.json && !run.printed) {
      write(`${JSON.stringify({ status: 'UNKNOWN', interrupted: true, error: { code: 'INTERRUPTED', message: 'interrupted' } }, null, 2)}\n`);
    }
    process.exit(3);
  }, INTERRUPT_GRACE_MS).unref();
}

/** The parsed options with the Ctrl-C signal: every engine takes `signal` in its options. */
function interruptible<O extends object>(options: O): O & { signal: AbortSignal } {
  return Object.assign(options, { signal: interruption.signal });
}

/** The result as one JSON document, or as text; the exit code from its status (3 when interrupted). */
function report<R extends { status: Status }>(result: R, json: boolean, render: (r: R) => string): void {
  run.printed = true;
  write(json ? `${JSON.stringify(result, null, 2)}\n` : render(result));
  process.exitCode = (result as { interrupted?: boolean }).interrupted ? 3 : exitCodeFor(result.status);
}

/**
 * Run `work` with an ora spinner on stderr that it can retitle: only on a TTY that reports its
 * width (ora 9 loops without end at 0 columns, e.g. under `script`), never with --json or
 * NO_COLOR. The spinner is gone before anything is printed.
 */
async function withProgress<T>(json: boolean, text: string, work: (say: (text: string) => void) => Promise<T>): Promise<T> {
  const show = !json && process.stderr.isTTY && !process.env.NO_COLOR && (process.stderr.columns ?? 0) > 0;
  const spinner = show ? (await import('ora')).default({ stream: process.stderr, text }).start() : undefined;
  try {
    return await work((t) => {
      if (spinner) spinner.text = t;
    });
  } finally {
    spinner?.stop();
  }
}

/** With --json, an error is a JSON document too, so that `| jq` always has one to read (the contract). */
function jsonError(code: string, message: string, status: Status): void {
  if (!run.json || run.printed) return;
  run.printed = true;
  write(`${JSON.stringify({ status, error: { code, message } }, null, 2)}\n`);
}

function fail(e: unknown, command: string): void {
  const debug = process.env.NETLAB_DEBUG === '1';
  if (e instanceof NetlabError) {
    const hint = e.code === 'USAGE' ? ` (see 'netlab ${command} --help')` : '';
    process.stderr.write(`netlab ${command}: ${printableLine(e.message)}${hint}\n`);
    if (debug) process.stderr.write(`${e.stack ?? ''}\n`);
    jsonError(e.code, e.message, e.status);
    process.exitCode = exitCodeFor(e.status);
    return;
  }
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`netlab ${command}: internal error: ${printableLine(message)}\n`);
  if (debug && e instanceof Error) process.stderr.write(`${e.stack ?? ''}\n`);
  jsonError('INTERNAL', `internal error: ${message}`, 'UNKNOWN');
  process.exitCode = 3;
}

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

Exit: 0 an answer (NOERROR), 2 NXDOMAIN/SERVFAIL/REFUSED, no reply or an unfinished trace,
3 bad syntax or unreadable -f file.
`;

async function digMain(args: string[]): Promise<void> {
  if (args.includes('-h') || args.includes('--help')) {
    write(DIG_HELP);
    return;
  }
  const { parseDigArgs, runDigStream } = await import('./commands/dig/index.js');
  const options = interruptible(parseDigArgs(args));
  run.json = options.json;
  // Output streams: each result is printed once it and those before it are done (-f batches).
  // JSON: one document, an array when there may be several results, as JSON.stringify(_, null, 2)
  // would print it whole.
  const array = Boolean(options.batchFile) || options.queries.length > 1;
  const { renderDigResult } = options.json ? { renderDigResult: undefined } : await import('./output/dig-text.js');
  // the WHEN line's zone, looked up only when a WHEN line can be printed
  const when = !options.json && !options.short && options.sections.stats;
  const zone = when ? (await import('./util/tz-abbreviation.js')).localZoneName(new Date()) : 'UTC';
  const render = (r: DigResult, i: number): string => {
    if (renderDigResult) return renderDigResult(r, i, options, VERSION, zone);
    if (!array) return `${JSON.stringify(r, null, 2)}\n`;
    // the element as the whole array's stringify indents it: "[\n  {...}\n]" without its brackets
    const inArray = JSON.stringify([r], null, 2);
    return `${i === 0 ? '[\n' : ',\n'}${inArray.slice(2, -2)}`;
  };
  let buffered = '';
  let printed = 0;
  const summary = await runDigStream(options, (r, i) => {
    buffered += render(r, i);
    printed++;
    run.printed = true;
    if (buffered.length >= 65536) {
      write(buffered);
      buffered = '';
    }
  });
  if (options.json && array && printed > 0) buffered += '\n]\n';
  // interrupted before the first result: still one JSON document
  if (options.json && printed === 0) buffered += `${JSON.stringify(array ? [] : { status: 'UNKNOWN', interrupted: true, error: 'interrupted' }, null, 2)}\n`;
  write(buffered);
  if (summary.interrupted) {
    const what = summary.queries === 1 ? '' : `: ${summary.done} of ${summary.queries} queries have a result (those in flight marked interrupted)`;
    process.stderr.write(`netlab dig: interrupted${what}\n`);
    process.exitCode = 3;
  } else process.exitCode = exitCodeFor(summary.status);
}

/** commander's accumulator for a repeatable option. */
const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

function parsePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new NetlabError('USAGE', `--port needs a number from 0 to 65535, got '${value}'`);
  return Number(value);
}

function buildProgram(CommandClass: typeof Command): Command {
  const program = new CommandClass('netlab')
    .description('Network diagnostics for people who put services on the internet: DNS, TLS, CDN timing, load balancers.')
    .version(VERSION, '-V, --version')
    .option('--no-color', 'no colour in the output (NO_COLOR is honoured too)')
    .showHelpAfterError(false)
    .exitOverride();
  program.configureOutput({ writeErr: () => undefined });

  program
    .command('dig')
    .description("DNS lookups with dig's syntax and output: +trace, -x, -f, +short, +json")
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async () => undefined); // handled before commander, see main()

  program
    .command('cert-check')
    .description('validate a TLS certificate chain and say everything that is wrong with it')
    .argument('[target]', 'HOST[:PORT] of the server (port 443 by default)')
    .option('--servername <name>', 'SNI name to send (default: HOST; none for an IP address; an IP address here is refused: RFC 6066 allows names only)')
    .option('--connect-to <addr>', 'connect to this address instead of resolving HOST (keeps SNI and the name check)')
    .option('--ca <file>', 'extra trust anchors (PEM, at most 16 MiB); ADDED to the system roots (repeatable)', collect)
    .option('--no-system-ca', 'do not trust the system roots: only --ca files')
    .option('--warn-days <n>', 'WARNING when a certificate expires within N days', '30')
    .option('--crit-days <n>', 'CRITICAL when a certificate expires within N days', '7')
    .option('--warn-percent <p>', "WARNING when under P% of the leaf's lifetime is left")
    .option('--crit-percent <p>', "CRITICAL when under P% of the leaf's lifetime is left")
    .option('--timeout <seconds>', 'connect and handshake timeout', '10')
    .option('--file <bundle>', 'check a local PEM bundle (leaf and chain, at most 16 MiB) instead of a server; no network')
    .option('--host <name>', 'name the certificate must be valid for (default: HOST; with --file: none)')
    .option('--json', 'one JSON document on stdout')
    .addHelpText('after', `
Bounds: a path of at most 100 intermediate certificates (OpenSSL's default verify depth;
more is CHAIN_TOO_LONG), at most 1000 certificates read from a server, --file and --ca
files of at most 16 MiB (a FIFO that gives nothing for 10 s is an error). See netlab-cert-check(1).`)
    .action(async (target: string | undefined, opts: Record<string, unknown>) => {
      const { parseCertCheckArgs, runCertCheck } = await import('./commands/cert-check.js');
      const options = interruptible(parseCertCheckArgs({ ...(opts as object), target } as Parameters<typeof parseCertCheckArgs>[0]));
      const result = await runCertCheck(options);
      const { renderCertText } = await import('./output/cert-text.js');
      report(result, options.json, renderCertText);
    });

  program
    .command('trace-request')
    .description('time DNS, TCP, TLS, TTFB and transfer of a request, direct to the origin against through the CDN')
    .argument('[url]', 'http:// or https:// URL')
    .option('--samples <n>', 'cold samples per path (new connection, no TLS resumption each time)', '1')
    .option('--interval <ms>', 'pause between rounds of samples', '0')
    .option('--origin <addr>', "pin one path to the origin's address (Host and SNI stay the URL's, as curl --connect-to)")
    .option('--cdn <addr>', "pin one path to the CDN edge's address")
    .option('--resolver <addr[:port]>', "resolve with netlab's own DNS client against this server (default: the system resolver)")
    .option('--ca <file>', 'trust anchors for HTTPS (PEM, up to 16 MiB; replace the defaults, as curl --cacert; repeatable)', collect)
    .option('--origin-ca <file>', 'extra trust anchors for the origin path only (repeatable)', collect)
    .option('--insecure', 'do not verify the certificate (said in the output)')
    .option('--method <m>', 'HTTP method', 'GET')
    .option('--header <header>', "extra request header 'Name: value' (repeatable; Transfer-Encoding, Content-Length, Connection, Keep-Alive, Upgrade and Expect are refused)", collect)
    .option('--timeout <seconds>', 'deadline of each phase as a whole (dns, tcp, tls, ttfb: the whole response head, transfer: the whole body); at least 0.001', '10')
    .option('--max-time <seconds>', 'deadline of each request as a whole, as curl --max-time (default: 3 x --timeout)')
    .option('--max-body <bytes>', 'body bytes read per request (K, M, G: 1024-based); past them the sample fails in transfer, as curl --max-filesize', '100M')
    .option('--no-warm-up', "skip the throwaway request to netlab's own loopback server that takes Node's first-request cost out of the first sample")
    .option('--json', 'one JSON document on stdout')
    .action(async (url: string | undefined, opts: Record<string, unknown>) => {
      const { parseTraceRequestArgs, runTraceRequest } = await import('./commands/trace-request.js');
      const options = interruptible(parseTraceRequestArgs({ ...(opts as object), url } as Parameters<typeof parseTraceRequestArgs>[0]));
      const result = await withProgress(options.json, 'sampling', (say) =>
        runTraceRequest(options, (e) => say(`sample ${e.sample}/${e.of}: ${e.leg}`)));
      const { renderTraceRequestText } = await import('./output/trace-request-text.js');
      report(result, options.json, renderTraceRequestText);
    });

  program
    .command('lb-probe')
    .description('does the load balancer spread traffic as configured? probe a VIP and its backends, test the split')
    .argument('[vip]', 'VIP:PORT of the load balancer')
    .option('--backend <addr:port>', 'a backend, probed directly (repeatable; in the order of --weights)', collect)
    .option('--weights <w,w,...>', 'configured weights, one per --backend (default: equal)')
    .option('--requests <n>', 'probes through the VIP, a fresh connection each', '100')
    .option('--concurrency <c>', 'probes at a time (1 keeps the exact order for the scheduler hint)', '1')
    .option('--mode <mode>', 'http (GET, attribute by header or body) or tcp (read the banner)', 'http')
    .option('--path <path>', 'HTTP path to request (default /)')
    .option('--host <name>', 'HTTP Host header (default: the VIP ADDR:PORT)')
    .option('--identify <how>', 'header:NAME, body or banner (default: X-Backend, X-Served-By, X-Server, Server, then a body hash)')
    .option('--source-ips <range>', 'bind probes to source addresses A-B in 127.0.0.0/8, round robin, and check stickiness')
    .option('--timeout <seconds>', 'bound of each probe, connection to last byte (at least 0.001)', '5')
    .option('--deadline <seconds>', 'bound of the whole run; when it passes, stop and judge what was measured (default: none)')
    .option('--alpha <p>', 'significance level of the chi-square test', '0.01')
    .option('--json', 'one JSON document on stdout')
    .addHelpText('after', `
Each probe reads at most a 64 KiB header block (a larger one fails the probe, saying so), the
first 64 KiB of the body (hashed for --identify body) and, in TCP mode, the banner's first line
up to 1 KiB. Of each answer only its attribution, status and latency are kept; each distinct
marker once, at most 1,024 per method (answers beyond are counted, never attributed).`)
    .action(async (vip: string | undefined, opts: Record<string, unknown>) => {
      const { parseLbProbeArgs, runLbProbe } = await import('./commands/lb-probe.js');
      const options = interruptible(parseLbProbeArgs({ ...(opts as object), target: vip } as Parameters<typeof parseLbProbeArgs>[0]));
      const result = await withProgress(options.json, 'probing the backends', (say) =>
        runLbProbe(options, (e) => say(e.phase === 'direct' ? `backends: ${e.done}/${e.of}` : `through the VIP: ${e.done}/${e.of}`)));
      const { renderLbProbeText } = await import('./output/lb-probe-text.js');
      report(result, options.json, renderLbProbeText);
    });

  program
    .command('hosts2zone')
    .description('migrate hosts(5) files to DNS zones that BIND loads (forward, reverse, RPZ), and check a server against them')
    .argument('[files...]', 'hosts files (- for stdin)')
    .option('--origin <domain>', 'the zone: names inside it become its owners, short names go under it, others are skipped')
    .option('--ns <name>', 'a name server (repeatable; the first is the SOA primary; default localhost.)', collect)
    .option('--contact <mail>', 'the SOA contact, user@domain (default hostmaster@DOMAIN)')
    .option('--ttl <seconds>', 'the default TTL ($TTL)', '3600')
    .option('--serial <n>', 'the SOA serial (default YYYYMMDDnn, greater than the one of the zone replaced in --out)')
    .option('--reverse', 'also write PTR zones: in-addr.arpa per /24, ip6.arpa per --v6-prefix (needs --out)')
    .option('--v6-prefix <bits>', 'size of each ip6.arpa zone, a multiple of 4', '64')
    .option('--aliases <how>', 'aliases as cname (CNAME to the canonical name) or a (address records)', 'cname')
    .option('--format <format>', 'zone, or rpz: a blocklist as a Response Policy Zone', 'zone')
    .option('--allow-underscore', "write names with '_' as owners of addresses too (BIND then needs check-names ignore)")
    .option('--out <dir>', 'write db.DOMAIN (and the reverse zones) in DIR and print a summary; default: the zone on stdout. Each file is written in full to a temporary file, synced, then renamed over the old one (which keeps its mode); a target that is not a regular file is refused')
    .option('--verify <server[:port]>', 'ask this server for every name (and PTR with --reverse) and compare with the files; writes nothing')
    .option('--concurrency <n>', 'queries in flight with --verify', '32')
    .option('--timeout <seconds>', 'per query with --verify', '2')
    .option('--json', 'one JSON document on stdout (without --out or --verify: only check the files, write nothing)')
    .addHelpText('after', `
Limits (netlab-hosts2zone(1), LIMITS):
  a line is read in full up to 1 MiB; of a longer one, the names in its
    first 1 MiB are kept and the rest is reported (LINE_TOO_LONG)
  an input (file, FIFO, device or stdin) is read up to 1 GiB, then exit 3
  a FIFO or device that gives no byte for 10 s: exit 3
  the first 1,000 problems are listed (stderr, JSON); one line counts the rest
  a line ends at LF, CR LF or a lone CR`)
    .action(async (files: string[], opts: Record<string, unknown>) => {
      const { parseHosts2zoneArgs, runHosts2zone } = await import('./commands/hosts2zone.js');
      const { formatIssue, formatMismatch, formatOmitted, renderHosts2zoneSummary, renderHosts2zoneText } = await import('./output/hosts2zone-text.js');
      const options = interruptible(parseHosts2zoneArgs({ ...(opts as object), files } as Parameters<typeof parseHosts2zoneArgs>[0]));
      const result = await runHosts2zone(options, {
        stdin: process.stdin,
        writeZone: (chunk) => (process.stdout.write(chunk) ? undefined : new Promise<void>((r) => process.stdout.once('drain', () => r()))),
        onIssue: (issue) => process.stderr.write(`${formatIssue(issue)}\n`),
        onIssuesOmitted: (o) => process.stderr.write(`${formatOmitted(o)}\n`),
        onMismatch: (m) => process.stderr.write(`mismatch: ${formatMismatch(m)}\n`),
      });
      run.printed = true;
      if (options.json) write(`${JSON.stringify(result, null, 2)}\n`);
      else if (options.outDir !== undefined || options.verify) write(renderHosts2zoneText(result));
      else process.stderr.write(renderHosts2zoneSummary(result));
      process.exitCode = (result as { interrupted?: boolean }).interrupted ? 3 : exitCodeFor(result.status);
    });

  program
    .command('lab')
    .description('run the course network on loopback (DNS hierarchy) until interrupted')
    .option('-p, --port <port>', 'port for every lab server (default: 53 as root, else a free port)', parsePort)
    .option('--json', 'print the endpoints as JSON')
    .option('--zone <file...>', 'also serve these master files (e.g. from hosts2zone) on the example.test servers')
    .action(async (opts: { port?: number; json?: boolean; zone?: string[] }) => {
      const { runLab, renderLabText, labJson } = await import('./commands/lab.js');
      const started = await runLab({ port: opts.port, privileged: process.getuid?.() === 0, zoneFiles: opts.zone });
      for (const n of started.notes) process.stderr.write(`netlab lab: ${n}\n`);
      write(opts.json ? `${JSON.stringify(labJson(started.lab), null, 2)}\n` : renderLabText(started.lab));
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await started.lab.close();
    });

  program
    .command('demo')
    .description('start the lab, run every subcommand against it, show the results')
    .option('--json', 'the steps and their results as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { runDemo, renderDemoStep } = await import('./commands/demo.js');
      if (!opts.json) write('netlab demo: the course on loopback, no network needed.\n\n');
      const result = await runDemo(VERSION, opts.json ? undefined : (step) => write(renderDemoStep(step)), interruption.signal);
      run.printed = true;
      if (opts.json) write(`${JSON.stringify(result, null, 2)}\n`);
      else if (result.interrupted) write(`demo: interrupted after ${result.steps.length} steps.\n`);
      else write(result.status === 'OK' ? 'demo: every step gave what it should.\n' : 'demo: some steps did not give what they should (marked !!).\n');
      process.exitCode = result.interrupted ? 3 : exitCodeFor(result.status);
    });
  return program;
}

async function main(argvIn: string[]): Promise<void> {
  // netlab's only colour is the spinner's: --no-color anywhere turns it off, as NO_COLOR does
  if (argvIn.includes('--no-color')) process.env.NO_COLOR ??= '1';
  const argv = [...argvIn];
  while (argv[0] === '--no-color' || argv[0] === '--color') argv.shift();
  if (argv.length === 0) {
    process.stderr.write("netlab: missing subcommand (dig, cert-check, trace-request, lb-probe, hosts2zone, lab, demo); see 'netlab --help'\n");
    process.exitCode = 3;
    return;
  }
  if (argv[0] === 'help' && argv[1] === 'dig') {
    write(DIG_HELP);
    return;
  }
  run.command = argv[0] ?? '';
  run.json = argv.includes('--json') || (argv[0] === 'dig' && argv.includes('+json'));
  // the lab runs until interrupted: Ctrl-C is its normal end, handled in its action
  if (argv[0] !== 'lab') process.on('SIGINT', onInterrupt);
  if (argv[0] === 'dig') {
    try {
      await digMain(argv.slice(1));
    } catch (e) {
      fail(e, 'dig');
    }
    return;
  }
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    write(`${VERSION}\n`);
    return;
  }
  const { Command: CommandClass, CommanderError } = await import('commander');
  const program = buildProgram(CommandClass);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') {
        process.exitCode = 0;
        return;
      }
      const sub = program.commands.find((c) => c.name() === argv[0])?.name() ?? '';
      const message = printableLine(e.message.replace(/^error: /, ''));
      process.stderr.write(`netlab${sub ? ` ${sub}` : ''}: ${message} (see 'netlab${sub ? ` ${sub}` : ''} --help')\n`);
      jsonError('USAGE', message, 'UNKNOWN');
      process.exitCode = 3;
      return;
    }
    fail(e, argv[0] ?? '');
  }
}

// A reader that goes away (`netlab ... | head`) is not an error of ours: stop quietly. Any other
// write error (a full disk, EIO) loses output: one line and exit 3, never a silent success.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  process.stderr.write(`netlab${run.command ? ` ${run.command}` : ''}: cannot write the output: ${fileErrorReason(e)}\n`);
  process.exit(3);
});

// A throw from an event handler escapes the promise chain: still one line and exit 3, not a stack.
process.on('uncaughtException', (e) => {
  fail(e, process.argv[2] ?? '');
  process.exit(3);
});

await main(process.argv.slice(2));
