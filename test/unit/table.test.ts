// issue 10.6: tables ignored the terminal's width (102-150 columns) and broke at 80 and 60 columns
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitWidths, renderTable } from '../../src/output/table.js';

const head = ['path', 'address', 'dns', 'tcp', 'tls', 'ttfb', 'transfer', 'total', 'cache'];
const rows = [
  ['origin (far, pinned)', '127.55.0.3:40123', '0.00 ms', '0.41 ms', '143.20 ms', '71.33 ms', '0.12 ms', '215.06 ms', 'MISS (x-cache: MISS from edge-1)'],
  ['cdn (near, pinned)', '127.55.0.4:40124', '0.00 ms', '0.38 ms', '41.87 ms', '20.95 ms', '0.10 ms', '63.30 ms', 'HIT (x-cache: HIT, age: 12)'],
];

test('without a terminal width a table keeps its natural width', () => {
  assert.equal(fitWidths([10, 20], undefined), undefined);
  const text = renderTable(head, rows);
  assert.ok(text.split('\n').some((l) => l.length > 100), 'the natural table is wider than 100 columns');
  assert.equal(text.split('\n').length, 7); // top, head, rule, row, rule, row, bottom: nothing wrapped
});

test('a table fits 80 and 60 columns, every cell still there', () => {
  for (const columns of [120, 80, 60]) {
    const lines = renderTable(head, rows, { columns }).split('\n');
    for (const l of lines) assert.ok([...l].length <= columns, `${columns}: ${l.length} columns: ${l}`);
    // wrapped, not cut: the same characters, in some lines
    const chars = (t: string) => [...t.replace(/[│┌┐└┘├┤┬┴┼─\s]/g, '')].sort().join('');
    assert.equal(chars(lines.join('')), chars([...head, ...rows.flat()].join('')), `${columns}: a character was lost`);
  }
});

test('a table that already fits is left alone', () => {
  assert.equal(fitWidths([4, 5], 80), undefined);
  const fitted = fitWidths([30, 30, 30], 50)!;
  assert.equal(fitted.reduce((a, b) => a + b, 0) + 4, 50); // three columns and four borders
  assert.ok(Math.max(...fitted) - Math.min(...fitted) <= 1, 'the widest narrowed first');
});

test("rules: 'bare' drops the rules while every row is one line, and keeps them when a cell wrapped", () => {
  const short = [['a', '1'], ['b', '2'], ['c', '3']];
  const bare = renderTable(['k', 'v'], short, { rules: 'bare' }).split('\n');
  assert.equal(bare.length, 6); // top, head, three rows, bottom
  assert.equal(bare.filter((l) => l.startsWith('├')).length, 0);
  assert.equal(renderTable(['k', 'v'], short).split('\n').filter((l) => l.startsWith('├')).length, 3);
  const wrapped = renderTable(['key', 'value'], [['a', 'a value long enough to wrap'], ['b', '2']], { rules: 'bare', columns: 20 }).split('\n');
  assert.ok(wrapped.some((l) => l.startsWith('├')), 'rows that wrapped stay apart');
});
