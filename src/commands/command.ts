/**
 * The one shape of a subcommand (shared/DESIGN.md, "one flow"): its options declared once
 * (flags, description, default) next to a pure parser to typed options, a run through the
 * library, and a renderer. src/cli.ts keeps a registry of these, imported lazily, and does the
 * rest for all of them: argv, Ctrl-C, progress, output and the exit code. The demo and the
 * tests reach a command's options through the same {@link parseArgv} as the command line.
 */
import type { Readable } from 'node:stream';
import { NetlabError, type Progress, type Status } from '../errors.js';
import { printableLine } from '../util/printable.js';
import { COMMANDS } from './registry.js';

/** One option, declared once: commander's flags, the --help text, and the default the parser applies. */
export interface OptionDecl {
  /** commander's flags: `--warn-days <n>`, `-p, --port <port>`, `--json`, `--no-system-ca`. */
  flags: string;
  description: string;
  /** Shown in --help and given to the parser as text when the option is absent (so it is checked the same way). */
  default?: string | number;
  /** Repeatable: every occurrence, in order (the parser gets a list). */
  repeatable?: boolean;
}

/** A positional argument: `[target]`, `[files...]`. */
export interface ArgDecl {
  name: string;
  description: string;
}

/**
 * What the command line gave, before the command's parser: the positional arguments (a
 * variadic one spread at the end) and the option values as text, by long flag without dashes
 * (`warn-days`). An absent option with a declared default has its default here, as text.
 */
export class Given {
  constructor(
    readonly args: readonly string[],
    private readonly values: ReadonlyMap<string, string | boolean | string[]>,
  ) {}

  /** The value of `--name <value>`, or undefined. */
  text(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : undefined;
  }

  /** Every value of a repeatable option, in order. */
  list(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
  }

  /** A switch: `--json` true, `--no-system-ca` false; `fallback` when absent. */
  flag(name: string, fallback = false): boolean {
    const v = this.values.get(name);
    return typeof v === 'boolean' ? v : fallback;
  }

  /** Whether the option was given (or has a default). */
  has(name: string): boolean {
    return this.values.has(name);
  }
}

/** What a run may use besides its options; only src/cli.ts (and tests) make one. */
export interface RunContext {
  /** Ctrl-C: the run stops, and returns what it has, marked interrupted. */
  signal: AbortSignal;
  /** Progress of the run, shown by the CLI on a TTY (never with --json). */
  onProgress?: (progress: Progress) => void;
  /** For commands that stream: hosts2zone's zone, dig's batch, the lab's listing. */
  io: CommandIo;
  version: string;
  /** How text should look (the terminal's width), for commands that print their own text. */
  style: RenderStyle;
}

export interface CommandIo {
  /** Text (or bytes) for stdout; resolves when it may write more (back-pressure). */
  out(chunk: string | Uint8Array): void | Promise<void>;
  /** One line (without its newline) for stderr. */
  err(line: string): void;
  stdin: Readable;
}

/** How text output should look: the terminal's width when stdout is one. */
export interface RenderStyle {
  /** Columns of the terminal; undefined when stdout is not a terminal (no fitting then). */
  columns?: number;
}

/** The result every run returns: JSON-able data with a status. */
export interface CommandResult {
  status: Status;
  /** Ctrl-C stopped it: what it has so far (exit 3). */
  interrupted?: boolean;
}

export interface CommandDef<O extends { json: boolean }, R extends CommandResult> {
  name: keyof typeof COMMANDS;
  args?: ArgDecl[];
  options?: OptionDecl[];
  /** More --help text after the options (bounds, examples). */
  helpAfter?: string;
  /** A syntax of its own (dig), instead of commander's: argv to options, and its --help text. */
  own?: { parse(argv: readonly string[]): O; help: string };
  /** Given -> typed options; pure, throws NetlabError USAGE naming the option. (Absent with `own`.) */
  parse?(given: Given): O;
  run(options: O, ctx: RunContext): Promise<R>;
  /**
   * The text for stdout (a promise, so that the renderer's module, with cli-table3, loads only
   * when text is printed). Absent: the run wrote its own output (and its JSON) through ctx.io.
   */
  render?(result: R, options: O, style: RenderStyle): string | Promise<string>;
  /** The spinner's words before the first progress event. */
  progress?: string;
  /** Runs until Ctrl-C or SIGTERM, which end it normally (the lab): exit 0, not 3. */
  untilStopped?: boolean;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommand = CommandDef<any, any>;

/** `netlab X --help`: its text, to print with exit 0. */
export class HelpRequested extends Error {
  constructor(readonly text: string) {
    super('help');
  }
}

/** The long flag's name without dashes: `--warn-days <n>` -> `warn-days`; `--no-system-ca` -> `system-ca`. */
function longName(flags: string): string {
  const long = /--(?:no-)?([a-z0-9][a-z0-9-]*)/i.exec(flags);
  if (!long) throw new Error(`option '${flags}' has no long flag`);
  return long[1]!;
}

/**
 * argv (after the subcommand's name) -> the command's typed options, through commander and the
 * command's own parser. Throws NetlabError USAGE (one line) or {@link HelpRequested}.
 */
export async function parseArgv<O extends { json: boolean }>(def: CommandDef<O, any>, argv: readonly string[]): Promise<O> {
  if (def.own) {
    if (argv.includes('-h') || argv.includes('--help')) throw new HelpRequested(def.own.help);
    return def.own.parse(argv);
  }
  const { parse, args: argDecls = [], options: optionDecls = [] } = def;
  if (!parse) throw new Error(`${def.name} declares no parser`);
  const { Command, Option, CommanderError } = await import('commander');
  let help = '';
  const program = new Command('netlab').exitOverride().configureOutput({ writeOut: (s) => (help += s), writeErr: () => undefined });
  const sub = program.command(def.name).description(COMMANDS[def.name].summary).exitOverride();
  sub.configureOutput({ writeOut: (s) => (help += s), writeErr: () => undefined });
  for (const a of argDecls) sub.argument(a.name, a.description);
  for (const o of optionDecls) {
    const option = new Option(o.flags, o.description);
    if (o.default !== undefined) option.default(String(o.default), String(o.default));
    // the first occurrence replaces the default (a string, not a list to add to)
    if (o.repeatable) option.argParser((v: string, prev: string[] | string | undefined) => [...(Array.isArray(prev) ? prev : []), v]);
    sub.addOption(option);
  }
  if (def.helpAfter) sub.addHelpText('after', def.helpAfter);
  let given: Given | undefined;
  sub.action((...params: unknown[]) => {
    const args: string[] = [];
    for (const p of params.slice(0, argDecls.length)) {
      if (Array.isArray(p)) args.push(...(p as string[]));
      else if (typeof p === 'string') args.push(p);
    }
    const values = new Map<string, string | boolean | string[]>();
    const opts = sub.opts();
    for (const o of optionDecls) {
      const key = sub.options.find((x) => x.flags === o.flags)!.attributeName();
      const v = opts[key] as string | boolean | string[] | undefined;
      if (v !== undefined) values.set(longName(o.flags), v);
    }
    given = new Given(args, values);
  });
  try {
    program.parse([def.name, ...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.exitCode === 0) throw new HelpRequested(help);
      throw new NetlabError('USAGE', printableLine(e.message.replace(/^error: /, '')));
    }
    throw e;
  }
  if (!given) throw new HelpRequested(help);
  return parse(given);
}
