/**
 * The parsed options of a subcommand's argv, kept (issues 12 and 13, speed): commander builds
 * a whole program for every parse (about 0.5 ms of CPU), and `netlab check` parsed each check
 * twice (at load to validate it, and again to run it) while `netlab exporter` parsed the same
 * module and target for every probe. A command's parser is pure (argv -> options, no file
 * read), so the same argv always gives the same options: they are kept here, deep-frozen (an
 * engine that wrote into them would throw, not leak into the next run), at most MAX_ENTRIES
 * (the oldest goes first). A failed parse is not kept (the caller reports it each time).
 */
import type { AnyCommand, CommandDef } from '../commands/command.js';

/** The options a command's parser gives. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type OptionsOf<D> = D extends CommandDef<infer O, any> ? O : never;

/** How many argv's options are kept at most (an exporter probing many targets stays bounded). */
export const MAX_ENTRIES = 4096;

const kept = new Map<string, Promise<unknown>>();

/** Freeze plain objects and arrays, all the way down (typed arrays and class instances are left as they are). */
function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value) || ArrayBuffer.isView(value)) return value;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return value;
  Object.freeze(value);
  for (const v of Object.values(value as object)) deepFreeze(v);
  return value;
}

/**
 * `parseArgv(def, argv)`, once per distinct argv of a command. The options are frozen: spread
 * them (`{ ...options, signal }`) to add to them. Throws what parseArgv throws.
 */
export function parseArgvOnce<D extends AnyCommand>(def: D, argv: readonly string[]): Promise<OptionsOf<D>> {
  const key = `${def.name}\u0000${JSON.stringify(argv)}`;
  let got = kept.get(key);
  if (!got) {
    // parseArgv may rewrite its argument (dig's glued -p53): it gets a copy
    got = import('../commands/command.js').then(({ parseArgv }) => parseArgv(def, [...argv])).then(deepFreeze);
    // a failure is the caller's each time, never kept
    got.catch(() => kept.delete(key));
    if (kept.size >= MAX_ENTRIES) kept.delete(kept.keys().next().value!);
    kept.set(key, got);
  }
  return got as Promise<OptionsOf<D>>;
}
