/**
 * The netlab command line: a registry of subcommands (src/commands/registry.ts), each imported
 * only when it runs, and one flow for all of them: argv -> the command's typed options
 * (src/commands/command.ts parseArgv) -> its run, with Ctrl-C and progress -> text or JSON ->
 * the exit code. Statically this imports only errors.ts and the registry; commander,
 * cli-table3 and ora load below a subcommand. The one catch of the program is here: one line on
 * stderr, the exit code of the contract.
 */
import { readFileSync } from 'node:fs';
import type { AnyCommand, RunContext } from './commands/command.js';
import { COMMANDS, isCommandName } from './commands/registry.js';
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

/**
 * Run `work` with an ora spinner on stderr that shows its progress events: only on a TTY that
 * reports its width (ora 9 loops without end at 0 columns, e.g. under `script`), never with
 * --json or NO_COLOR. The terminal stays the user's: no raw mode (ora's discardStdin would eat
 * Ctrl-C), so SIGINT still reaches us. The spinner is gone before anything is printed.
 */
async function withProgress<T>(json: boolean, text: string | undefined, work: (onProgress: RunContext['onProgress']) => Promise<T>): Promise<T> {
  const show = text !== undefined && !json && process.stderr.isTTY && !process.env.NO_COLOR && (process.stderr.columns ?? 0) > 0;
  const spinner = show ? (await import('ora')).default({ stream: process.stderr, text, discardStdin: false }).start() : undefined;
  try {
    return await work(spinner ? (p) => {
      spinner.text = `${p.phase}: ${p.done}/${p.total}${p.detail ? ` (${p.detail})` : ''}`;
    } : undefined);
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

function topHelp(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length)) + 2;
  return [
    'Usage: netlab [options] [command]',
    '',
    'Network diagnostics for people who put services on the internet: DNS, TLS, CDN timing, load balancers.',
    '',
    'Options:',
    '  -V, --version   output the version number',
    '  --no-color      no colour in the output (NO_COLOR is honoured too)',
    '  -h, --help      display help for command',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`),
    '',
    "Each command: 'netlab <command> --help'; the manual: man netlab.",
    '',
  ].join('\n');
}

/** Run one subcommand: parse, run (with Ctrl-C and progress), print, set the exit code. */
async function runCommand(def: AnyCommand, argv: string[]): Promise<void> {
  const { parseArgv } = await import('./commands/command.js');
  const options = (await parseArgv(def, argv)) as { json: boolean };
  run.json = options.json;
  const io = {
    out: (chunk: string | Uint8Array) => {
      run.printed = true;
      return process.stdout.write(chunk) ? undefined : new Promise<void>((r) => process.stdout.once('drain', () => r()));
    },
    err: (line: string) => void process.stderr.write(`${line}\n`),
    stdin: process.stdin,
  };
  if (def.untilStopped) {
    // the lab runs until Ctrl-C or SIGTERM: its normal end, not an interruption
    const stop = () => interruption.abort();
    process.off('SIGINT', onInterrupt);
    process.on('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
  const style = { columns: process.stdout.isTTY ? process.stdout.columns : undefined };
  const result = (await withProgress(options.json, def.progress, (onProgress) =>
    def.run(options, { signal: interruption.signal, onProgress, io, version: VERSION, style }))) as { status: Status; interrupted?: boolean };
  if (def.render) {
    run.printed = true;
    write(options.json ? `${JSON.stringify(result, null, 2)}\n` : await def.render(result, options, style));
  }
  process.exitCode = result.interrupted ? 3 : exitCodeFor(result.status);
}

async function main(argvIn: string[]): Promise<void> {
  // netlab's only colour is the spinner's: --no-color anywhere turns it off, as NO_COLOR does
  if (argvIn.includes('--no-color')) process.env.NO_COLOR ??= '1';
  const argv = [...argvIn];
  while (argv[0] === '--no-color' || argv[0] === '--color') argv.shift();
  if (argv.length === 0) {
    process.stderr.write(`netlab: missing subcommand (${Object.keys(COMMANDS).join(', ')}); see 'netlab --help'\n`);
    process.exitCode = 3;
    return;
  }
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    write(`${VERSION}\n`);
    return;
  }
  if (argv[0] === '--help' || argv[0] === '-h' || (argv[0] === 'help' && argv.length === 1)) {
    write(topHelp());
    return;
  }
  if (argv[0] === 'help') argv.splice(0, 2, argv[1]!, '--help');
  const name = argv[0]!;
  if (!isCommandName(name)) {
    const what = name.startsWith('-') ? `unknown option '${printableLine(name)}'` : `unknown command '${printableLine(name)}'`;
    process.stderr.write(`netlab: ${what} (see 'netlab --help')\n`);
    process.exitCode = 3;
    return;
  }
  run.command = name;
  run.json = argv.includes('--json') || (name === 'dig' && argv.includes('+json'));
  process.on('SIGINT', onInterrupt);
  try {
    const { command } = await COMMANDS[name].load();
    await runCommand(command, argv.slice(1));
  } catch (e) {
    const { HelpRequested } = await import('./commands/command.js');
    if (e instanceof HelpRequested) {
      write(e.text);
      process.exitCode = 0;
      return;
    }
    fail(e, name);
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
