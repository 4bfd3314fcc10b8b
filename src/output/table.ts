/**
 * Tables for the text renderers, fitted to the terminal: at the width they need when it fits
 * (or when stdout is not a terminal), else the widest columns are narrowed and their cells
 * wrapped so that every line fits in `columns`.
 */
import Table from 'cli-table3';

export interface TableOptions {
  /** The terminal's width; undefined: no limit (a pipe, a file). */
  columns?: number;
  /**
   * `lines` (default): a rule under the head and between rows, as cli-table3 draws them.
   * `bare`: no rule inside the table while every row is one line (a list, as lb-probe's
   * backends); when a cell wrapped, the rules come back, to keep the rows apart.
   */
  rules?: 'lines' | 'bare';
}

/** The narrowest a column is made (its text wraps below that). */
const MIN_COLUMN = 3;

/** Display width of a cell's longest line (tables hold no wide or combining characters we make). */
function widthOf(text: string): number {
  let w = 0;
  for (const line of text.split('\n')) w = Math.max(w, [...line].length);
  return w;
}

/**
 * Column widths (each with cli-table3's one space of padding per side) that fit `columns`:
 * the natural widths, then the widest one narrowed by one, again and again, down to MIN_COLUMN.
 * undefined when the natural widths fit (or there is no limit).
 */
export function fitWidths(natural: number[], columns: number | undefined): number[] | undefined {
  if (columns === undefined) return undefined;
  const widths = natural.map((w) => w + 2);
  const borders = widths.length + 1;
  const total = (): number => widths.reduce((a, b) => a + b, 0) + borders;
  if (total() <= columns) return undefined;
  const floor = MIN_COLUMN + 2;
  // bounded: each pass narrows one column by one, and there are at most sum(widths) such steps
  for (let guard = total(); total() > columns && guard > 0; guard--) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) if (widths[i]! > floor && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
    if (widest < 0) break; // as narrow as it gets: the terminal will wrap what is left
    widths[widest]!--;
  }
  return widths;
}

/** A table of `head` and `rows` as text (no trailing newline), fitted to `options.columns`. */
export function renderTable(head: string[], rows: string[][], options: TableOptions = {}): string {
  const natural = head.map((h, i) => Math.max(widthOf(h), ...rows.map((r) => widthOf(r[i] ?? ''))));
  const colWidths = fitWidths(natural, options.columns);
  const table = new Table({
    head,
    style: { head: [], border: [] },
    ...(colWidths ? { colWidths, wordWrap: true, wrapOnWordBoundary: false } : {}),
  });
  for (const r of rows) table.push(r);
  const text = table.toString();
  if (options.rules !== 'bare') return text;
  const lines = text.split('\n');
  // one line for the head and one per row: nothing wrapped, the rules can go
  if (lines.filter((l) => l.startsWith('│')).length !== rows.length + 1) return text;
  return lines.filter((l) => !l.startsWith('├')).join('\n');
}
