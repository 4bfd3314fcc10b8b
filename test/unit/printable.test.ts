/** src/util/printable.ts: input echoed in messages stays one printable line. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clip, escapeControl, printableLine } from '../../src/util/printable.js';

// issue 9.13: control characters (bidi overrides) in input were echoed raw
test('control characters and bidi overrides are escaped; printable text is kept', () => {
  const cases: Array<[string, string]> = [
    ['plain www.example.test', 'plain www.example.test'],
    ['a\nb\rc\td', 'a\\nb\\rc\\td'],
    ['\x1b[31mred', '\\x1b[31mred'],
    ['\x00\x7f\x85', '\\x00\\x7f\\x85'],
    ['evil\u202egnp.exe', 'evil\\u202egnp.exe'],
    ['\u2066iso\u2069', '\\u2066iso\\u2069'],
    ['a\u200fb\u2028c', 'a\\u200fb\\u2028c'],
    ['über.example', 'über.example'],
  ];
  for (const [input, want] of cases) assert.equal(escapeControl(input), want);
});

test('a long text is clipped with the count of what was cut', () => {
  assert.equal(clip('abc', 5), 'abc');
  assert.equal(clip('abcdefgh', 5), 'abcde... (3 more characters)');
  const line = printableLine('x'.repeat(50_000_000));
  assert.ok(line.length < 1100);
  assert.match(line, /\(49999000 more characters\)$/);
});
