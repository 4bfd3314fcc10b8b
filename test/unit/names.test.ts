/** src/protocol/dns/names.ts: nameToWire, its byte-by-byte path for plain names and the escaped one. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nameToWire, splitName } from '../../src/protocol/dns/names.js';
import { NetlabError } from '../../src/errors.js';

/** The wire form as splitName's labels give it: the reference the fast path must agree with. */
function reference(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const label of splitName(name)) parts.push(Buffer.from([label.length]), label);
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function usageError(name: string, message: RegExp): void {
  assert.throws(() => nameToWire(name), (e: unknown) => e instanceof NetlabError && e.code === 'USAGE' && message.test(e.message), name);
}

const L63 = 'a'.repeat(63);

test('byte vectors: the root, relative and absolute names, escapes', () => {
  const cases: Array<[string, number[]]> = [
    ['.', [0]],
    ['', [0]],
    ['test', [4, 0x74, 0x65, 0x73, 0x74, 0]],
    ['a.b', [1, 0x61, 1, 0x62, 0]],
    ['a.b.', [1, 0x61, 1, 0x62, 0]],
    ['Ab-_.c', [4, 0x41, 0x62, 0x2d, 0x5f, 1, 0x63, 0]],
    // escapes go the escaped way: \. is a dot inside a label, \DDD a byte
    ['a\\.b.c', [3, 0x61, 0x2e, 0x62, 1, 0x63, 0]],
    ['\\065b.c.', [2, 0x41, 0x62, 1, 0x63, 0]],
    ['\\000.c', [1, 0, 1, 0x63, 0]],
    ['a b.c', [3, 0x61, 0x20, 0x62, 1, 0x63, 0]],
  ];
  for (const [name, bytes] of cases) assert.deepEqual([...nameToWire(name)], bytes, name);
});

test('plain names agree with the escaped path byte for byte', () => {
  const names = [
    'h0.example.test', 'h9999.example.test.', 'WWW.Example.TEST', 'x', 'x.', '_dmarc.example.test',
    '*.example.test', 'a!#$%&\'()*+,/:;<=>?@[]^`{|}~.test', `${L63}.${L63}.test`,
  ];
  for (const name of names) assert.deepEqual(nameToWire(name), reference(name), name);
});

test('labels of 63 bytes pass and of 64 do not; 255 bytes in all pass and 256 do not', () => {
  assert.equal(nameToWire(`${L63}.test`).length, 64 + 5 + 1);
  usageError(`${'a'.repeat(64)}.test`, /label longer than 63 bytes/);
  usageError(`${'a'.repeat(64)}`, /label longer than 63 bytes/);
  // 3 labels of 63 and one of 61: 3 * 64 + 62 + 1 = 255 bytes on the wire
  const longest = `${L63}.${L63}.${L63}.${'b'.repeat(61)}`;
  assert.equal(nameToWire(longest).length, 255);
  assert.equal(nameToWire(`${longest}.`).length, 255);
  usageError(`${L63}.${L63}.${L63}.${'b'.repeat(62)}`, /longer than 255 bytes/);
  // the same bounds through the escaped path
  usageError(`${'a'.repeat(63)}\\065.test`, /label longer than 63 bytes/);
  assert.equal(nameToWire(`${'a'.repeat(62)}\\065.test`).length, 64 + 5 + 1);
});

test('empty labels and bad escapes are USAGE errors, on both paths', () => {
  for (const name of ['a..b', '.a', '..', 'a.b..', 'a\\..b..']) usageError(name, /empty label/);
  usageError('a\\', /lone backslash/);
  usageError('\\256.test', /bad escape/);
});

test('readName: plain labels, escaped ones and pointers mixed give the presentation form', async () => {
  const { readName, withNameCache } = await import('../../src/protocol/dns/names.js');
  // at 0: "a-b.EXAMPLE.test." ; at 17: "x\.y" (escaped dot) "z_1" then a pointer to "EXAMPLE.test." (offset 4)
  const first = nameToWire('a-b.EXAMPLE.test');
  const second = Buffer.concat([nameToWire('x\\.y.z_1').subarray(0, -1), Buffer.from([0xc0, 4])]);
  // then a name that is only a pointer to the second, and one with a label of every odd byte
  const third = Buffer.from([0xc0, first.length]);
  const odd = nameToWire('\\000\\032\\255@(.ok');
  const msg = Buffer.concat([first, second, third, odd]);
  for (const cache of [false, true]) {
    const read = (at: number) => (cache ? withNameCache(msg, () => readName(msg, at)) : readName(msg, at));
    assert.deepEqual(read(0), { name: 'a-b.EXAMPLE.test.', end: first.length });
    assert.deepEqual(read(first.length), { name: 'x\\.y.z_1.EXAMPLE.test.', end: first.length + second.length });
    assert.deepEqual(read(first.length + second.length), { name: 'x\\.y.z_1.EXAMPLE.test.', end: first.length + second.length + 2 });
    assert.deepEqual(read(first.length + second.length + 2), { name: '\\000\\032\\255\\@\\(.ok.', end: msg.length });
  }
  // the longest name: 255 bytes of plain labels, read in one run
  const longest = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
  assert.equal(readName(nameToWire(longest), 0).name, `${longest}.`);
});
