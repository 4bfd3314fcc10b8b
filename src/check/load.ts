/**
 * The checks file (issue 12): YAML, or JSON (read by the same parser, which keeps positions),
 * loaded into a validated ChecksConfig. Every error is `FILE:LINE:COL: message`; all are
 * collected, then thrown together as one ChecksFileError, so nothing runs from a file with a
 * mistake in it. Each check's command line is split as a shell splits words (split.ts, never a
 * shell), the file's `defaults:` for its subcommand put first, and parsed by the subcommand's
 * own parser (parseArgv), so an unknown option or a bad value is a load error with its
 * position; its `expect:` conditions are parsed and type-checked (expect.ts).
 *
 *   defaults:                 timeout, retries, and per subcommand the arguments every check of it gets first
 *   vars:                     values of {{name}} placeholders in command lines (--set name=value overrides)
 *   checks:                   a list of checks, each:
 *     - name: TEXT            unique
 *       SUBCOMMAND: ARGS      one of dig, cert-check, trace-request, lb-probe, hosts2zone: a command line or a list
 *       expect: [COND, {that: COND, severity: WARNING}]
 *       every-address: BOOL   every-server: BOOL (dig)   retries: N   timeout: DURATION
 *
 * `netlab exporter`'s config (issue 13, {@link loadModules}) is the same format with `modules:`
 * instead of `checks:`: each module a check without its target (the probe's `target` parameter
 * adds it; its command line is checked with a placeholder target), and `targets:`, the targets
 * the module may probe without `--allow`.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { NetlabError, type Severity } from '../errors.js';
import { escapeControl } from '../util/printable.js';
import { compileCondition, ConditionError } from './expect.js';
import { fanoutRefusal } from './fanout.js';
import { CHECK_COMMANDS, type CheckCommand, type CheckDef, type ChecksConfig, type Condition, type ModuleDef, type ModulesConfig, type SourcePos } from './model.js';
import { splitCommandLine, SplitError } from './split.js';
import { MAX_TARGET_LENGTH, PLACEHOLDER_TARGET } from './target.js';

/** One mistake in a checks file. */
export interface LoadError extends SourcePos {
  message: string;
}

/**
 * A checks file that cannot be used: every error found, each `FILE:LINE:COL: message` (one per
 * line of `message`). NetlabError INPUT, so exit 3.
 */
export class ChecksFileError extends NetlabError {
  readonly errors: LoadError[];

  constructor(errors: LoadError[]) {
    super('INPUT', errors.map(formatLoadError).join('\n'));
    this.name = 'ChecksFileError';
    this.errors = errors;
  }
}

/** `FILE:LINE:COL: message`, the message made one printable line. */
export function formatLoadError(e: LoadError): string {
  return `${e.file}:${e.line}:${e.col}: ${escapeControl(e.message)}`;
}

/** A check's own bound when neither it nor `defaults:` gives one (milliseconds). */
export const DEFAULT_CHECK_TIMEOUT_MS = 30_000;
/** The most `timeout:` may be (an hour) and the most `retries:`. */
export const MAX_CHECK_TIMEOUT_MS = 3_600_000;
export const MAX_RETRIES = 10;
/** Checks in one file at most: a bound on what one file can ask for. */
export const MAX_CHECKS = 10_000;

const CHECK_KEYS = ['name', ...CHECK_COMMANDS, 'expect', 'every-address', 'every-server', 'retries', 'timeout'];
const MODULE_KEYS = [...CHECK_KEYS, 'targets'];
/** Targets one module may list at most. */
export const MAX_MODULE_TARGETS = 10_000;
/** What the file holds: `checks:` (netlab check) or `modules:` (netlab exporter). */
type Mode = 'checks' | 'modules';
const DEFAULT_KEYS = ['timeout', 'retries', ...CHECK_COMMANDS];
/** dig's own option words, for the hint on an option written as a key. */
const DIG_OPTION_KEYS = ['p', 'port', 't', 'type', 'c', 'class', 'x', 'reverse', 'server', 'timeout', 'tries', 'trace', 'short', 'tcp', 'f', 'file', 'json'];

/** `10s`, `500ms`, `2m`, or a number of seconds -> milliseconds; undefined when it is not one. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? Math.round(value * 1000) : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(value);
  if (!m) return undefined;
  const ms = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
  return ms >= 1 ? Math.round(ms) : undefined;
}

/** An argument and where it came from (for the position of an error about it). */
interface Arg {
  text: string;
  pos: SourcePos;
}

class Loader {
  readonly errors: LoadError[] = [];
  private readonly lines = new LineCounter();
  /** `vars:` of the file with the caller's on top: what `{{name}}` in a command line stands for. */
  vars = new Map<string, string>();

  constructor(readonly file: string) {}

  /**
   * `text` with each `{{name}}` replaced by its variable; an unknown one is an error at the
   * scalar (`at`). A word's column after a replacement is the one of the text as written only
   * when the values are as long as their placeholders: close enough to find it.
   */
  fill(text: string, at: SourcePos, what: string): string | undefined {
    let bad: string | undefined;
    const out = text.replace(/\{\{\s*([a-z][a-z0-9-]*)\s*\}\}/g, (all, name: string) => {
      const v = this.vars.get(name);
      if (v === undefined) bad ??= name;
      return v ?? all;
    });
    if (bad === undefined) return out;
    const known = [...this.vars.keys()];
    this.error(at, `${what}: {{${bad}}} is not a variable (${known.length ? `vars: has ${known.join(', ')}` : 'the file has no vars:'}; give it with --set ${bad}=VALUE)`);
    return undefined;
  }

  get counter(): LineCounter {
    return this.lines;
  }

  posAt(offset: number): SourcePos {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, col };
  }

  pos(node: Node | Pair | null | undefined): SourcePos {
    const n = node && 'range' in node ? node : node && 'key' in node ? (node.key as Node | null) : null;
    return this.posAt(n?.range?.[0] ?? 0);
  }

  error(at: SourcePos, message: string): void {
    this.errors.push({ ...at, message });
  }

  /** The arguments of a subcommand's value: a command line (split) or a list of scalars. */
  args(node: Node | null, what: string): Arg[] | undefined {
    if (isScalar(node) && typeof node.value === 'string') {
      const s = node as Scalar;
      // where the text starts: after the quote of a quoted scalar (escapes may shift later columns)
      const base = (node.range?.[0] ?? 0) + (s.type === 'QUOTE_DOUBLE' || s.type === 'QUOTE_SINGLE' ? 1 : 0);
      const text = this.fill(node.value, this.pos(node), what);
      if (text === undefined) return undefined;
      try {
        return splitCommandLine(text).map((w) => ({ text: w.text, pos: this.posAt(base + w.offset) }));
      } catch (e) {
        if (!(e instanceof SplitError)) throw e;
        this.error(this.posAt(base + e.offset), `${what}: ${e.message}`);
        return undefined;
      }
    }
    if (isSeq(node)) {
      const out: Arg[] = [];
      for (const item of node.items as Node[]) {
        if (isScalar(item) && (typeof item.value === 'string' || typeof item.value === 'number')) {
          const text = this.fill(String(item.value), this.pos(item), what);
          if (text === undefined) return undefined;
          out.push({ text, pos: this.pos(item) });
        } else {
          this.error(this.pos(item), `${what}: each argument of the list is one word (text or a number)`);
          return undefined;
        }
      }
      return out;
    }
    this.error(this.pos(node), `${what} needs its command line (a string such as "@127.0.0.1 www.example.test A") or a list of its arguments`);
    return undefined;
  }
}

function scalarValue(node: unknown): unknown {
  return isScalar(node) ? node.value : undefined;
}

function keyOf(pair: Pair): string {
  const k = scalarValue(pair.key);
  return typeof k === 'string' ? k : String(k);
}

/** The hint for an option written as a key beside the command line. */
function optionHint(key: string, command: CheckCommand, longOptions: Set<string>): string | undefined {
  const bare = key.replace(/^-+/, '');
  const known = command === 'dig' ? DIG_OPTION_KEYS.includes(bare) : longOptions.has(bare);
  if (!known) return undefined;
  const flag = command === 'dig' && bare.length === 1 ? `-${bare}` : `--${bare}`;
  const example: Record<CheckCommand, string> = {
    dig: '@SERVER NAME TYPE',
    'cert-check': 'HOST[:PORT]',
    'trace-request': 'URL',
    'lb-probe': 'VIP:PORT',
    hosts2zone: 'HOSTSFILE --origin DOMAIN --verify SERVER',
  };
  return `'${key}' is an option of ${command}: options go on the command line, \`${command}: ${example[command]} ${flag} VALUE\``;
}

/** The argument a subcommand's usage message is about: a token it quotes or an option it names. */
function blamed(message: string, args: Arg[]): Arg | undefined {
  for (const a of args) if (message.includes(`'${a.text}'`)) return a;
  for (const a of args) if (a.text.startsWith('-') && a.text.length > 1 && new RegExp(`(^|[\\s'(])${a.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(message)) return a;
  return undefined;
}

/** What a check cannot do, though its subcommand can: one run, a result to judge, nothing written. */
function refusal(command: CheckCommand, options: Record<string, unknown>, modules: boolean): string | undefined {
  // issue 13/15: the exporter checks each probe's target against its allow rules; a redirect
  // followed by the probe would reach a target nobody checked
  if (modules && command === 'trace-request' && options.follow !== undefined) return 'trace-request -L/--follow in an exporter module: a redirect would take the probe to a target the allow rules never checked (probe the final URL instead)';
  if (command === 'dig') {
    if (options.batchFile) return 'dig -f runs a batch: a check runs one query (write one check per query)';
    const queries = options.queries as unknown[];
    if (queries.length > 1) return `dig asks ${queries.length} names here: a check runs one query (write one check per name)`;
  }
  if (command === 'hosts2zone') {
    if (!options.verify) return 'hosts2zone in a check needs --verify SERVER[:PORT]: a check compares a server with the hosts files, it writes no zone';
    if ((options.files as string[]).includes('-')) return "hosts2zone in a check reads files, not '-' (standard input)";
  }
  return undefined;
}

/**
 * Load a checks file's text (YAML or JSON; `file` names it in messages). Throws ChecksFileError
 * with every error found, each with FILE:LINE:COL.
 */
/** What the caller adds to a checks file (or an exporter's config). */
export interface LoadChecksOptions {
  /**
   * Values of `{{name}}` placeholders in command lines, over the file's own `vars:` (what
   * `netlab check --set name=value` gives): a lab's ports, a CA file, an environment's host.
   */
  vars?: Record<string, string>;
}

export async function loadChecks(text: string, file: string, options: LoadChecksOptions = {}): Promise<ChecksConfig> {
  const { items } = await loadFile(text, file, 'checks', options);
  return { file, checks: items };
}

/**
 * Load `netlab exporter`'s config (issue 13): `modules:`, each a check without its target, and
 * `defaults:` and `vars:`. Throws ChecksFileError with every error found, each with FILE:LINE:COL.
 */
export async function loadModules(text: string, file: string, options: LoadChecksOptions = {}): Promise<ModulesConfig> {
  const { items } = await loadFile(text, file, 'modules', options);
  return { file, modules: items as ModuleDef[] };
}

async function loadFile(text: string, file: string, mode: Mode, options: LoadChecksOptions): Promise<{ items: Array<CheckDef | ModuleDef> }> {
  const L = new Loader(file);
  const modules = mode === 'modules';
  const itemKeys = modules ? MODULE_KEYS : CHECK_KEYS;
  const what = modules ? 'module' : 'check';
  const doc = parseDocument(text, { lineCounter: L.counter, prettyErrors: false, uniqueKeys: true });
  for (const e of doc.errors) {
    L.error(L.posAt(e.pos[0]), e.code === 'DUPLICATE_KEY' ? 'a key is given twice in the same map' : e.message.split('\n')[0]!.replace(/ at line \d+, column \d+.*$/, ''));
  }
  if (L.errors.length) throw new ChecksFileError(L.errors);
  const root = doc.contents;
  if (!isMap(root)) {
    L.error(L.pos(root), root ? `a ${modules ? "netlab exporter config" : 'checks file'} is a map with ${mode}: (a list) and optionally defaults:` : `the file is empty: it needs ${mode}: (a list of ${mode})`);
    throw new ChecksFileError(L.errors);
  }
  let checksNode: Node | null = null;
  let defaultsNode: YAMLMap | null = null;
  for (const pair of root.items) {
    const key = keyOf(pair);
    if (key === 'vars') {
      if (!isMap(pair.value)) L.error(L.pos(pair.value as Node), 'vars: is a map of names to values (dns-port: 53)');
      else {
        for (const v of pair.value.items) {
          const name = keyOf(v);
          const value = scalarValue(v.value);
          if (!/^[a-z][a-z0-9-]*$/.test(name)) L.error(L.pos(v), `vars: '${name}' is not a variable name (lower-case letters, digits and -, a letter first)`);
          else if (typeof value !== 'string' && typeof value !== 'number') L.error(L.pos(v.value as Node), `vars: ${name} needs a text or a number`);
          else L.vars.set(name, String(value));
        }
      }
    } else if (key === mode) checksNode = pair.value as Node | null;
    else if (key === 'defaults') {
      if (isMap(pair.value)) defaultsNode = pair.value;
      else L.error(L.pos(pair.value as Node), 'defaults: is a map (timeout:, retries:, and a subcommand: its arguments)');
    } else L.error(L.pos(pair), modules && key === 'checks'
      ? "checks: is netlab check's: an exporter's config has modules: (each a check without its target) and defaults:"
      : !modules && key === 'modules'
        ? "modules: is netlab exporter's: a checks file has checks: and defaults:"
        : `unknown key '${key}' (a ${modules ? 'netlab exporter config' : 'checks file'} has ${mode}:, and optionally defaults: and vars:)`);
  }
  // the caller's values (--set) over the file's
  for (const [name, value] of Object.entries(options.vars ?? {})) L.vars.set(name, value);

  // defaults: timeout, retries, and arguments per subcommand
  let defaultTimeoutMs = DEFAULT_CHECK_TIMEOUT_MS;
  let defaultRetries = 0;
  const defaultArgs = new Map<CheckCommand, Arg[]>();
  for (const pair of defaultsNode?.items ?? []) {
    const key = keyOf(pair);
    const value = pair.value as Node | null;
    if (key === 'timeout') {
      const ms = parseDuration(scalarValue(value));
      if (ms === undefined || ms > MAX_CHECK_TIMEOUT_MS) L.error(L.pos(value), `timeout needs a duration from 1ms to 1h such as 10s, 500ms or 2m, got ${JSON.stringify(scalarValue(value) ?? null)}`);
      else defaultTimeoutMs = ms;
    } else if (key === 'retries') {
      const n = scalarValue(value);
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_RETRIES) L.error(L.pos(value), `retries needs a whole number from 0 to ${MAX_RETRIES}`);
      else defaultRetries = n;
    } else if ((CHECK_COMMANDS as readonly string[]).includes(key)) {
      const args = L.args(value, `defaults for ${key}`);
      if (args) defaultArgs.set(key as CheckCommand, args);
    } else L.error(L.pos(pair), `unknown key '${key}' in defaults: (expected ${DEFAULT_KEYS.join(', ')})`);
  }

  if (!checksNode) {
    L.error(L.pos(root), `the file has no ${mode}: (a list of ${mode})`);
    throw new ChecksFileError(L.errors);
  }
  if (!isSeq(checksNode)) {
    L.error(L.pos(checksNode), `${mode}: is a list (each item a ${what}: - name: ...)`);
    throw new ChecksFileError(L.errors);
  }
  if (checksNode.items.length === 0) L.error(L.pos(checksNode), `${mode}: is empty`);
  if (checksNode.items.length > MAX_CHECKS) L.error(L.pos(checksNode), `${mode}: holds ${checksNode.items.length} ${mode}, more than ${MAX_CHECKS}`);

  const { COMMANDS } = await import('../commands/registry.js');
  const { parseArgv, HelpRequested } = await import('../commands/command.js');
  const { parseArgvOnce } = await import('./parse-cache.js');
  const defs = new Map<CheckCommand, Awaited<ReturnType<(typeof COMMANDS)[CheckCommand]['load']>>['command']>();
  const names = new Map<string, SourcePos>();
  const checks: Array<CheckDef | ModuleDef> = [];

  for (const item of checksNode.items.slice(0, MAX_CHECKS) as Node[]) {
    const at = L.pos(item);
    if (!isMap(item)) {
      L.error(at, `a ${what} is a map (name:, a subcommand and its command line, expect:, ...)`);
      continue;
    }
    const before = L.errors.length;
    const get = (k: string) => item.items.find((p) => keyOf(p) === k);
    // the subcommand: exactly one
    const commandPairs = item.items.filter((p) => (CHECK_COMMANDS as readonly string[]).includes(keyOf(p)));
    const command = commandPairs[0] ? (keyOf(commandPairs[0]) as CheckCommand) : undefined;
    for (const extra of commandPairs.slice(1)) L.error(L.pos(extra), `a ${what} runs one subcommand: ${command} is given, so ${keyOf(extra)} cannot be (write a second ${what})`);
    let longOptions = new Set<string>();
    if (command) {
      if (!defs.has(command)) defs.set(command, (await COMMANDS[command].load()).command);
      longOptions = new Set((defs.get(command)!.options ?? []).map((o) => /--(?:no-)?([a-z0-9-]+)/.exec(o.flags)?.[1] ?? ''));
    }

    // name
    const namePair = get('name');
    const name = scalarValue(namePair?.value);
    if (!namePair) L.error(at, `a ${what} needs a name: (unique in the file${modules ? "; the probe's module=NAME" : ''})`);
    else if (typeof name !== 'string' || name.trim() === '') L.error(L.pos(namePair.value as Node), 'name: needs text');
    else if (names.has(name)) {
      const first = names.get(name)!;
      L.error(L.pos(namePair.value as Node), `the name '${name}' is used twice (first at ${first.line}:${first.col}): names are unique`);
    } else names.set(name, L.pos(namePair.value as Node));

    // every other key
    for (const pair of item.items) {
      const key = keyOf(pair);
      if (itemKeys.includes(key)) continue;
      if (key === 'lab' || key === 'demo') {
        L.error(L.pos(pair), `${key} cannot be a check: it ${key === 'lab' ? 'runs servers until stopped' : 'runs the whole course'}; a check runs dig, cert-check, trace-request, lb-probe or hosts2zone`);
        continue;
      }
      const hint = command ? optionHint(key, command, longOptions) : undefined;
      L.error(L.pos(pair), hint ?? `unknown key '${key}' (a ${what} has ${itemKeys.join(', ')})`);
    }
    if (!command) {
      if (!item.items.some((p) => keyOf(p) === 'lab' || keyOf(p) === 'demo')) L.error(at, `a ${what} needs one subcommand: ${CHECK_COMMANDS.join(', ')} (with its command line${modules ? ', without the target' : ''})`);
      continue;
    }

    // the command line, the defaults first, through the subcommand's own parser
    const commandNode = commandPairs[0]!.value as Node | null;
    const own = L.args(commandNode, command);
    const args = own ? [...(defaultArgs.get(command) ?? []), ...own] : undefined;
    // a module's target comes from the probe: a server in its command line would be overridden
    const ownTarget = modules ? own?.find((a) => (command === 'dig' && a.text.startsWith('@')) || (command === 'hosts2zone' && a.text.startsWith('--verify'))) : undefined;
    if (ownTarget) L.error(ownTarget.pos, `a module has no target: the probe's target= gives ${command === 'dig' ? "dig's @SERVER" : "hosts2zone's --verify SERVER"}, remove '${ownTarget.text}'`);
    else if (args) {
      const def = defs.get(command)!;
      try {
        // a module's command line has no target: it must parse with one added
        const { parseTarget } = await import('./target.js');
        const extra = modules ? parseTarget(command, PLACEHOLDER_TARGET[command]).argv : [];
        // a check's options are kept for its run (parse-cache.ts: parsed once, not again at run time)
        const argv = [...args.map((a) => a.text), ...extra];
        const options = (await (modules ? parseArgv(def, argv) : parseArgvOnce(def, argv))) as unknown as Record<string, unknown>;
        const refused = refusal(command, options, modules);
        if (refused) L.error(L.pos(commandNode), refused);
      } catch (e) {
        if (e instanceof HelpRequested) L.error(L.pos(commandNode), `${command}: --help is not a check`);
        else if (e instanceof NetlabError) L.error(blamed(e.message, own!)?.pos ?? blamed(e.message, args)?.pos ?? L.pos(commandNode), `${command}: ${e.message}`);
        else throw e;
      }
    }

    // expect: conditions, type-checked against the subcommand's result
    const expect: Condition[] = [];
    const expectPair = get('expect');
    if (expectPair) {
      const list = expectPair.value as Node | null;
      const items: Node[] = isSeq(list) ? (list.items as Node[]) : list ? [list] : [];
      if (!list) L.error(L.pos(expectPair), 'expect: needs conditions (a list)');
      for (const c of items) {
        let condNode: Node | null = c;
        let severity: Severity = 'CRITICAL';
        if (isMap(c)) {
          condNode = null;
          for (const p of c.items) {
            const k = keyOf(p);
            if (k === 'that') condNode = p.value as Node | null;
            else if (k === 'severity') {
              const s = String(scalarValue(p.value)).toUpperCase();
              if (s === 'WARNING' || s === 'CRITICAL') severity = s;
              else L.error(L.pos(p.value as Node), `severity is WARNING or CRITICAL, got ${JSON.stringify(scalarValue(p.value) ?? null)}`);
            } else L.error(L.pos(p), `unknown key '${k}' in a condition (it has that: and severity:)`);
          }
          if (!condNode) {
            L.error(L.pos(c), 'a condition written as a map needs that: (the condition)');
            continue;
          }
        }
        const text = scalarValue(condNode);
        if (!isScalar(condNode) || (typeof text !== 'string' && typeof text !== 'boolean')) {
          L.error(L.pos(condNode), 'a condition is text, such as "answer contains 192.0.2.10" or "timeMs < 200ms"');
          continue;
        }
        const condText = String(text);
        const s = condNode as Scalar;
        const base = (s.range?.[0] ?? 0) + (s.type === 'QUOTE_DOUBLE' || s.type === 'QUOTE_SINGLE' ? 1 : 0);
        try {
          compileCondition(condText, command);
          expect.push({ text: condText, severity, pos: L.pos(condNode) });
        } catch (e) {
          if (!(e instanceof ConditionError)) throw e;
          L.error(L.posAt(base + e.offset), `condition '${condText}': ${e.message}`);
        }
      }
    }

    const flag = (k: string): boolean => {
      const p = get(k);
      if (!p) return false;
      const v = scalarValue(p.value);
      if (typeof v !== 'boolean') L.error(L.pos(p.value as Node), `${k} is true or false`);
      return v === true;
    };
    const everyAddress = flag('every-address');
    const everyServer = flag('every-server');
    // what fan-out refuses (fanout.ts, one list), said at the flag's position
    const fanRefused = fanoutRefusal({ command, everyAddress, everyServer });
    if (fanRefused) L.error(L.pos(get(everyServer ? 'every-server' : 'every-address')), fanRefused);

    let retries = defaultRetries;
    const retriesPair = get('retries');
    if (retriesPair) {
      const n = scalarValue(retriesPair.value);
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_RETRIES) L.error(L.pos(retriesPair.value as Node), `retries needs a whole number from 0 to ${MAX_RETRIES}`);
      else retries = n;
    }
    let timeoutMs = defaultTimeoutMs;
    const timeoutPair = get('timeout');
    if (timeoutPair) {
      const ms = parseDuration(scalarValue(timeoutPair.value));
      if (ms === undefined || ms > MAX_CHECK_TIMEOUT_MS) L.error(L.pos(timeoutPair.value as Node), `timeout needs a duration from 1ms to 1h such as 10s, 500ms or 2m, got ${JSON.stringify(scalarValue(timeoutPair.value) ?? null)}`);
      else timeoutMs = ms;
    }

    // a module's targets: allowed without --allow, exactly as written
    const targets: string[] = [];
    const targetsPair = modules ? get('targets') : undefined;
    if (targetsPair) {
      const list = targetsPair.value as Node | null;
      if (!isSeq(list)) L.error(L.pos(list ?? targetsPair), 'targets: is a list of targets, as the probe names them (target=...)');
      else {
        if (list.items.length > MAX_MODULE_TARGETS) L.error(L.pos(list), `targets: holds more than ${MAX_MODULE_TARGETS} targets`);
        const { parseTarget, TargetError } = await import('./target.js');
        for (const t of list.items as Node[]) {
          const v = scalarValue(t);
          if (typeof v !== 'string' && typeof v !== 'number') {
            L.error(L.pos(t), 'a target is text, such as 127.0.0.1:443 or https://www.example.test/');
            continue;
          }
          const text = L.fill(String(v), L.pos(t), 'target')?.trim();
          if (text === undefined || !command) continue;
          try {
            if (text.length > MAX_TARGET_LENGTH) throw new TargetError(`a target is at most ${MAX_TARGET_LENGTH} characters`);
            parseTarget(command, text);
            targets.push(text);
          } catch (e) {
            if (!(e instanceof TargetError)) throw e;
            L.error(L.pos(t), `target: ${e.message}`);
          }
        }
      }
    }

    if (L.errors.length > before || !args || typeof name !== 'string') continue;
    const def: CheckDef = { name, command, argv: args.map((a) => a.text), expect, everyAddress, everyServer, retries, timeoutMs, pos: at };
    checks.push(modules ? { ...def, targets } : def);
  }
  if (L.errors.length) throw new ChecksFileError(L.errors);
  return { items: checks };
}
