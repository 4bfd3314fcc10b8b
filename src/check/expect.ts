/**
 * The `expect:` condition language of a checks file (issue 12): a condition over the
 * subcommand's JSON result, parsed and type-checked against its schema (schema.ts) when the
 * file is loaded, and evaluated after each run. No eval: a small recursive-descent parser.
 *
 *   condition  := or
 *   or         := and ('or' and)*
 *   and        := unary ('and' unary)*
 *   unary      := 'not' unary | '(' or ')' | test
 *   test       := PATH (OP VALUE | 'contains' VALUE)?      a PATH alone must be a boolean
 *   OP         := < <= > >= == !=
 *   PATH       := name ('.' name | '[' N ']')* ('.length')?  e.g. paths[0].phases.ttfbMs, answer.length
 *   VALUE      := NUMBER[UNIT] | "text" | 'text' | word | true | false | null
 *
 * Units: fields ending in `Ms` are milliseconds and take ms, s, m; `daysLeft` takes d; `ttl`
 * (seconds) takes s, m, h, d. `contains`: a string contains a substring; an array of values
 * contains an equal value; an array of records contains a record whose key field equals the
 * value, or whose key field's last word does (a DNS record's data or name, a problem's code, ...:
 * schema.ts names them; `answer contains mail.example.test` matches the MX data
 * `10 mail.example.test.`), names compared without case and without a trailing dot; a map
 * (status codes) contains a key.
 */
import type { CheckCommand } from './model.js';
import { RESULT_SCHEMAS, isNullable, type Shape } from './schema.js';

/** A condition that does not parse or type-check: the message and where in the condition (0-based). */
export class ConditionError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = 'ConditionError';
  }
}

type Op = '<' | '<=' | '>' | '>=' | '==' | '!=';

type Segment = { field: string } | { index: number } | { length: true };

interface PathRef {
  text: string;
  segments: Segment[];
  /** The leaf type the path reads. */
  type: 'number' | 'string' | 'boolean' | 'array' | 'map' | 'object';
  shape: Shape;
  /** The unit the field is in, for messages and literals. */
  unit: Unit | null;
}

type Literal = { kind: 'number'; value: number } | { kind: 'string'; value: string } | { kind: 'boolean'; value: boolean } | { kind: 'null' };

type Node =
  | { kind: 'and' | 'or'; left: Node; right: Node }
  | { kind: 'not'; of: Node }
  | { kind: 'compare'; path: PathRef; op: Op; value: Literal }
  | { kind: 'contains'; path: PathRef; value: Literal }
  | { kind: 'truthy'; path: PathRef };

/** A condition, parsed and type-checked for one subcommand's result. */
export interface CompiledCondition {
  text: string;
  command: CheckCommand;
  root: Node;
}

interface Unit {
  /** How the field's numbers are shown. */
  name: 'ms' | 'd' | 's';
  /** The suffixes a literal may carry, and what one of each is in the field's unit. */
  accepts: Record<string, number>;
}

const MS: Unit = { name: 'ms', accepts: { ms: 1, s: 1000, m: 60_000 } };
const DAYS: Unit = { name: 'd', accepts: { d: 1 } };
const SECONDS: Unit = { name: 's', accepts: { s: 1, m: 60, h: 3600, d: 86_400 } };

/** The unit of a field by its name: `...Ms` milliseconds, `daysLeft` days, `ttl` seconds (shared/STYLE.md: units in names). */
function unitOf(field: string): Unit | null {
  if (/Ms$/.test(field)) return MS;
  if (/^days|Days$|daysLeft$/.test(field)) return DAYS;
  if (field === 'ttl') return SECONDS;
  return null;
}

// --- tokens ------------------------------------------------------------------------------------

interface Token {
  kind: 'word' | 'string' | 'op' | '(' | ')';
  text: string;
  offset: number;
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      out.push({ kind: c, text: c, offset: i });
      i++;
      continue;
    }
    const op = /^(<=|>=|==|!=|<|>)/.exec(text.slice(i));
    if (op) {
      out.push({ kind: 'op', text: op[1]!, offset: i });
      i += op[1]!.length;
      continue;
    }
    if (c === '=' || c === '!') throw new ConditionError(`'${c}' is not an operator (use ==, !=, <, <=, >, >=)`, i);
    if (c === '"' || c === "'") {
      let j = i + 1;
      let value = '';
      while (j < text.length && text[j] !== c) {
        if (c === '"' && text[j] === '\\' && j + 1 < text.length) j++;
        value += text[j];
        j++;
      }
      if (j >= text.length) throw new ConditionError(`unterminated string (a ${c} is missing)`, i);
      out.push({ kind: 'string', text: value, offset: i });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < text.length && !/[\s()<>=!"']/.test(text[j]!)) j++;
    out.push({ kind: 'word', text: text.slice(i, j), offset: i });
    i = j;
  }
  return out;
}

// --- schema walking ----------------------------------------------------------------------------

/** A few names close to `name`, for "did you mean". */
function closest(name: string, options: string[]): string | undefined {
  const d = (a: string, b: string) => {
    const m = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) m[0]![j] = j;
    for (let i = 1; i <= a.length; i++) {
      for (let j = 1; j <= b.length; j++) m[i]![j] = Math.min(m[i - 1]![j]! + 1, m[i]![j - 1]! + 1, m[i - 1]![j - 1]! + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
    }
    return m[a.length]![b.length]!;
  };
  let best: string | undefined;
  let bestD = Infinity;
  for (const o of options) {
    const x = d(name, o);
    if (x < bestD) [best, bestD] = [o, x];
  }
  return bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function describe(shape: Shape): string {
  if (typeof shape === 'string') return shape === 'opaque' ? 'data that conditions do not read' : `a ${shape.replace('?', '')}`;
  return shape.kind === 'array' ? 'an array' : shape.kind === 'map' ? 'a map' : 'a record';
}

function parsePath(word: Token, command: CheckCommand): PathRef {
  const text = word.text;
  const re = /\.?([A-Za-z0-9_-]+)|\[(\d+)\]/y;
  const segments: Segment[] = [];
  let shape: Shape = RESULT_SCHEMAS[command];
  let field = '';
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    const offset = word.offset + at;
    if (!m || (at === 0 && text[0] === '.') || (at > 0 && m[1] !== undefined && text[at] !== '.')) {
      throw new ConditionError(`'${text}' is not a path into the result (such as paths[0].phases.ttfbMs or answer)`, offset);
    }
    at = re.lastIndex;
    const where = segments.length === 0 ? `${command}'s result` : `'${text.slice(0, offset - word.offset)}'`;
    if (m[2] !== undefined) {
      if (typeof shape === 'string' || shape.kind !== 'array') throw new ConditionError(`${where} is ${describe(shape)}, not an array: [${m[2]}] cannot index it`, offset);
      segments.push({ index: Number(m[2]) });
      shape = shape.of;
      continue;
    }
    const name = m[1]!;
    if (typeof shape !== 'string' && shape.kind === 'array' && name === 'length') {
      if (at !== text.length) throw new ConditionError(`'.length' ends a path (it is a number)`, offset);
      segments.push({ length: true });
      return { text, segments, type: 'number', shape: 'number', unit: null };
    }
    if (shape === 'opaque') throw new ConditionError(`${where} is ${describe(shape)} (typed record data, raw options): compare a field beside it`, word.offset);
    if (typeof shape === 'string') throw new ConditionError(`${where} is ${describe(shape)}: it has no field '${name}'`, offset);
    if (shape.kind === 'array') throw new ConditionError(`${where} is an array: index it first (${text.slice(0, offset - word.offset)}[0].${name}), or use contains`, offset);
    if (shape.kind === 'map') {
      segments.push({ field: name });
      shape = shape.of;
      field = name;
      continue;
    }
    const next: Shape | undefined = Object.hasOwn(shape.fields, name) ? shape.fields[name] : undefined;
    if (next === undefined) {
      const hint = closest(name, Object.keys(shape.fields));
      throw new ConditionError(`${where} has no field '${name}'${hint ? ` (did you mean '${hint}'?)` : ''}`, offset);
    }
    segments.push({ field: name });
    shape = next;
    field = name;
  }
  if (shape === 'opaque') throw new ConditionError(`'${text}' is ${describe(shape)} (typed record data, raw options): compare a field beside it`, word.offset);
  const type = typeof shape === 'string' ? (shape.replace('?', '') as 'number' | 'string' | 'boolean') : shape.kind === 'array' ? 'array' : shape.kind === 'map' ? 'map' : 'object';
  return { text, segments, type, shape, unit: type === 'number' ? unitOf(field) : null };
}

/** A value token as a literal, for a path of type `type`. */
function literal(tok: Token, path: PathRef): Literal {
  if (tok.kind === 'string') return { kind: 'string', value: tok.text };
  const t = tok.text;
  if (t === 'true' || t === 'false') return { kind: 'boolean', value: t === 'true' };
  if (t === 'null') return { kind: 'null' };
  const num = /^(-?\d+(?:\.\d+)?)([a-z]+)?$/.exec(t);
  if (num && (path.type === 'number' || (path.type === 'array' && elementType(path) === 'number') || path.type === 'object')) {
    const value = Number(num[1]);
    const suffix = num[2];
    if (suffix === undefined) return { kind: 'number', value };
    if (!path.unit) throw new ConditionError(`'${path.text}' is a plain number: '${t}' has a unit it does not take`, tok.offset);
    const factor = path.unit.accepts[suffix];
    if (factor === undefined) {
      throw new ConditionError(`'${path.text}' is in ${path.unit.name === 'ms' ? 'milliseconds' : path.unit.name === 'd' ? 'days' : 'seconds'}: give ${Object.keys(path.unit.accepts).map((u) => `N${u}`).join(', ')} or a plain number, not '${t}'`, tok.offset);
    }
    return { kind: 'number', value: value * factor };
  }
  return { kind: 'string', value: t };
}

function elementType(path: PathRef): string {
  const s = path.shape;
  if (typeof s === 'string' || s.kind !== 'array') return '';
  return typeof s.of === 'string' ? s.of.replace('?', '') : 'record';
}

function checkCompare(path: PathRef, op: Op, value: Literal, at: number): void {
  const eq = op === '==' || op === '!=';
  if (value.kind === 'null') {
    if (!eq) throw new ConditionError(`null can only be compared with == or !=`, at);
    if (!isNullable(path.shape)) throw new ConditionError(`'${path.text}' is never null`, at);
    return;
  }
  if (path.type === 'number') {
    if (value.kind !== 'number') throw new ConditionError(`'${path.text}' is a number: compare it with a number${path.unit ? ` (such as 200${path.unit.name === 'ms' ? 'ms' : path.unit.name})` : ''}`, at);
    return;
  }
  if (path.type === 'string' || path.type === 'boolean') {
    if (!eq) throw new ConditionError(`'${path.text}' is a ${path.type}: only == and != compare it (${op} needs a number)`, at);
    if (path.type === 'boolean' && value.kind !== 'boolean') throw new ConditionError(`'${path.text}' is true or false`, at);
    if (path.type === 'string' && value.kind === 'boolean') throw new ConditionError(`'${path.text}' is a string: quote "${String(value.value)}" to compare it with that text`, at);
    return;
  }
  const what = path.type === 'array' ? 'an array' : path.type === 'map' ? 'a map' : 'a record';
  throw new ConditionError(`'${path.text}' is ${what}: compare one of its fields${path.type === 'array' ? `, ${path.text}.length, or use contains` : ''}`, at);
}

function checkContains(path: PathRef, value: Literal, at: number): void {
  if (value.kind === 'null' || value.kind === 'boolean') throw new ConditionError(`contains needs a value (text or a number), not ${value.kind === 'null' ? 'null' : String(value.value)}`, at);
  const s = path.shape;
  if (path.type === 'string' || path.type === 'map') return;
  if (typeof s !== 'string' && s.kind === 'array') {
    if (typeof s.of === 'string') return;
    if (!s.containsKeys) throw new ConditionError(`'${path.text}' holds records contains cannot compare: index one and compare a field`, at);
    return;
  }
  throw new ConditionError(`'${path.text}' is ${path.type === 'object' ? 'a record' : `a ${path.type}`}: contains reads an array, a map or a string`, at);
}

/**
 * Parse and type-check a condition for `command`'s result. Throws ConditionError with the
 * offset (0-based, in `text`) of what is wrong.
 */
export function compileCondition(text: string, command: CheckCommand): CompiledCondition {
  const tokens = tokenize(text);
  if (tokens.length === 0) throw new ConditionError('empty condition', 0);
  let i = 0;
  const peek = () => tokens[i];
  const isWord = (t: Token | undefined, w: string) => t?.kind === 'word' && t.text === w;
  const end = () => (tokens.length ? tokens[tokens.length - 1]!.offset + tokens[tokens.length - 1]!.text.length : 0);

  const or = (): Node => {
    let left = and();
    while (isWord(peek(), 'or')) {
      i++;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };
  const and = (): Node => {
    let left = unary();
    while (isWord(peek(), 'and')) {
      i++;
      left = { kind: 'and', left, right: unary() };
    }
    return left;
  };
  const unary = (): Node => {
    const t = peek();
    if (!t) throw new ConditionError('the condition ends too early: a path is missing', end());
    if (isWord(t, 'not')) {
      i++;
      return { kind: 'not', of: unary() };
    }
    if (t.kind === '(') {
      i++;
      const inner = or();
      const close = peek();
      if (close?.kind !== ')') throw new ConditionError(`a ')' is missing`, close?.offset ?? end());
      i++;
      return inner;
    }
    if (t.kind !== 'word' || ['and', 'or', 'contains'].includes(t.text)) {
      throw new ConditionError(`expected a path into the result, got '${t.text}'`, t.offset);
    }
    i++;
    const path = parsePath(t, command);
    const next = peek();
    if (next?.kind === 'op' || isWord(next, 'contains')) {
      i++;
      const v = peek();
      if (!v || (v.kind !== 'word' && v.kind !== 'string') || (v.kind === 'word' && ['and', 'or', 'not', 'contains'].includes(v.text))) {
        throw new ConditionError(`a value is missing after '${next!.text}'`, v?.offset ?? end());
      }
      i++;
      const value = literal(v, path);
      if (next!.kind === 'op') {
        checkCompare(path, next!.text as Op, value, v.offset);
        return { kind: 'compare', path, op: next!.text as Op, value };
      }
      checkContains(path, value, v.offset);
      return { kind: 'contains', path, value };
    }
    if (path.type !== 'boolean') throw new ConditionError(`'${path.text}' is ${path.type === 'number' ? 'a number' : path.type === 'string' ? 'a string' : `${path.type === 'array' ? 'an' : 'a'} ${path.type === 'object' ? 'record' : path.type}`}: compare it (such as ${path.text} ${path.type === 'number' ? '< 100' : path.type === 'string' ? '== TEXT' : 'contains VALUE'})`, t.offset);
    return { kind: 'truthy', path };
  };

  const root = or();
  const rest = peek();
  if (rest) throw new ConditionError(`unexpected '${rest.text}'${rest.kind === 'word' ? ' (join conditions with and / or)' : ''}`, rest.offset);
  return { text, command, root };
}

// --- evaluation --------------------------------------------------------------------------------

function read(result: unknown, path: PathRef): unknown {
  let v: unknown = result;
  for (const s of path.segments) {
    if (v === null || v === undefined) return null;
    if ('length' in s) return Array.isArray(v) ? v.length : null;
    if ('index' in s) v = Array.isArray(v) ? v[s.index] : undefined;
    else v = typeof v === 'object' && Object.hasOwn(v as object, s.field) ? (v as Record<string, unknown>)[s.field] : undefined;
  }
  return v === undefined ? null : v;
}

const looseName = (s: string) => s.toLowerCase().replace(/\.$/, '');

/**
 * Whether one element (or a record's key field) is the value: equal, names compared without case
 * and trailing dot; in a record's field, its last word will do too (an MX or SRV record's data
 * `10 mail.example.test.` contains `mail.example.test`).
 */
function matchesValue(element: unknown, value: Literal, inRecord = false): boolean {
  if (value.kind !== 'string' && value.kind !== 'number') return false;
  const want = String(value.value);
  if (typeof element === 'number') return value.kind === 'number' ? element === value.value : String(element) === want;
  if (typeof element !== 'string') return false;
  if (element === want || looseName(element) === looseName(want)) return true;
  const last = inRecord ? /\s(\S+)$/.exec(element)?.[1] : undefined;
  return last !== undefined && looseName(last) === looseName(want);
}

function evaluate(node: Node, result: unknown): boolean {
  switch (node.kind) {
    case 'and':
      return evaluate(node.left, result) && evaluate(node.right, result);
    case 'or':
      return evaluate(node.left, result) || evaluate(node.right, result);
    case 'not':
      return !evaluate(node.of, result);
    case 'truthy':
      return read(result, node.path) === true;
    case 'contains': {
      const v = read(result, node.path);
      if (typeof v === 'string') return node.value.kind === 'string' || node.value.kind === 'number' ? v.includes(String(node.value.value)) : false;
      if (Array.isArray(v)) {
        const s = node.path.shape;
        const keys = typeof s !== 'string' && s.kind === 'array' ? s.containsKeys : undefined;
        return v.some((e) => (keys && e && typeof e === 'object' ? keys.some((k) => matchesValue((e as Record<string, unknown>)[k], node.value, true)) : matchesValue(e, node.value)));
      }
      if (v && typeof v === 'object' && (node.value.kind === 'string' || node.value.kind === 'number')) return Object.hasOwn(v, String(node.value.value));
      return false;
    }
    case 'compare': {
      const v = read(result, node.path);
      const want = node.value;
      if (want.kind === 'null') return node.op === '==' ? v === null : v !== null;
      const equal = typeof v === 'number' && want.kind === 'number' ? v === want.value : v === (want.kind === 'string' || want.kind === 'boolean' || want.kind === 'number' ? want.value : undefined);
      if (node.op === '==') return equal;
      if (node.op === '!=') return !equal;
      if (typeof v !== 'number' || want.kind !== 'number') return false;
      switch (node.op) {
        case '<': return v < want.value;
        case '<=': return v <= want.value;
        case '>': return v > want.value;
        default: return v >= want.value;
      }
    }
  }
}

function paths(node: Node, into: PathRef[] = []): PathRef[] {
  if ('left' in node) {
    paths(node.left, into);
    paths(node.right, into);
  } else if ('of' in node) paths(node.of, into);
  else if (!into.some((p) => p.text === node.path.text)) into.push(node.path);
  return into;
}

/** A value as a message shows it: `312.4 ms`, `"NOERROR"`, `[192.0.2.10, 2001:db8::10]`, `null`. */
function show(v: unknown, path: PathRef): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return path.unit ? `${v} ${path.unit.name}` : String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 77)}...` : v);
  if (Array.isArray(v)) {
    const s = path.shape;
    const keys = typeof s !== 'string' && s.kind === 'array' ? s.containsKeys : undefined;
    const items = v.slice(0, 5).map((e) => (keys && e && typeof e === 'object' ? String((e as Record<string, unknown>)[keys[0]!]) : typeof e === 'object' ? '{...}' : String(e)));
    return `[${items.join(', ')}${v.length > 5 ? `, ... ${v.length - 5} more` : ''}]`;
  }
  if (typeof v === 'object') return `{${Object.keys(v).slice(0, 8).join(', ')}}`;
  return String(v);
}

/**
 * Evaluate a compiled condition over a result: whether it holds, and the values it read
 * (`timeMs = 312.4 ms`), for the message of a condition that does not hold.
 */
export function evaluateCondition(c: CompiledCondition, result: unknown): { holds: boolean; actual: string } {
  const holds = evaluate(c.root, result);
  const actual = paths(c.root).map((p) => `${p.text} = ${show(read(result, p), p)}`).join(', ');
  return { holds, actual };
}
