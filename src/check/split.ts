/**
 * A check's command line split into arguments as a POSIX shell splits words (issue 12), and
 * nothing more: single quotes keep everything, double quotes keep everything but `\"`, `\\`,
 * `\$` and `` \` ``, a backslash outside quotes keeps the next character. No variable, command or
 * glob expansion, no pipes or redirections, and never a shell: shell syntax that would mean
 * something else (`|`, `;`, `&`, `>`, `<`, `` ` ``, `$VAR`, `$(...)`) is refused unquoted.
 */

/** One argument and where it starts in the line (0-based). */
export interface Word {
  text: string;
  offset: number;
}

/** A line that does not split: the message and where (0-based). */
export class SplitError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = 'SplitError';
  }
}

/** Split `line` into words. Throws SplitError. */
export function splitCommandLine(line: string): Word[] {
  const words: Word[] = [];
  let i = 0;
  let current: Word | null = null;
  const start = () => (current ??= { text: '', offset: i });
  while (i < line.length) {
    const c = line[i]!;
    if (/\s/.test(c)) {
      if (current) words.push(current);
      current = null;
      i++;
      continue;
    }
    if (c === "'") {
      start();
      const close = line.indexOf("'", i + 1);
      if (close < 0) throw new SplitError(`unterminated quote: a ' is missing`, i);
      current!.text += line.slice(i + 1, close);
      i = close + 1;
      continue;
    }
    if (c === '"') {
      start();
      let j = i + 1;
      for (;;) {
        if (j >= line.length) throw new SplitError(`unterminated quote: a " is missing`, i);
        const d = line[j]!;
        if (d === '"') break;
        if (d === '\\' && j + 1 < line.length && '"\\$`'.includes(line[j + 1]!)) {
          current!.text += line[j + 1];
          j += 2;
          continue;
        }
        current!.text += d;
        j++;
      }
      i = j + 1;
      continue;
    }
    if (c === '\\') {
      start();
      if (i + 1 >= line.length) throw new SplitError('a backslash ends the line', i);
      current!.text += line[i + 1];
      i += 2;
      continue;
    }
    if ('|;&<>`'.includes(c)) {
      throw new SplitError(`'${c}' is shell syntax, and a check is one netlab command run without a shell: quote it if it is an argument`, i);
    }
    if (c === '$' && /[A-Za-z_{(]/.test(line[i + 1] ?? '')) {
      throw new SplitError('variables and commands are not expanded (no shell runs): write the value itself, or quote the $', i);
    }
    start();
    current!.text += c;
    i++;
  }
  if (current) words.push(current);
  return words;
}
