/**
 * The WHEN line's zone abbreviation (strftime %Z, as BIND dig prints it): a TZif reader checked
 * on hand-built files, and against `date +%Z` for real zones when the machine has tzdata.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { abbreviationFromTzif, localZoneAbbreviation } from '../../src/util/tz-abbreviation.js';

/** A version 2 TZif file: an empty v1 block, then transitions, local time types and a footer. */
function tzif(types: Array<[number, number, string]>, transitions: Array<[number, number]>, footer: string): Buffer {
  const chars = `${types.map(([, , a]) => a).join('\0')}\0`;
  let idx = 0;
  const ttinfo = Buffer.concat(types.map(([off, dst, a]) => {
    const b = Buffer.alloc(6);
    b.writeInt32BE(off, 0);
    b[4] = dst;
    b[5] = idx;
    idx += a.length + 1;
    return b;
  }));
  const header = (timecnt: number, typecnt: number, charcnt: number) => {
    const h = Buffer.alloc(44);
    h.write('TZif2', 0, 'latin1');
    [0, 0, 0, timecnt, typecnt, charcnt].forEach((n, i) => h.writeUInt32BE(n, 20 + i * 4));
    return h;
  };
  const v1 = Buffer.concat([header(0, 1, 1), Buffer.alloc(6), Buffer.alloc(1)]);
  const times = Buffer.concat(transitions.map(([t]) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(t));
    return b;
  }));
  const idxs = Buffer.from(transitions.map(([, type]) => type));
  return Buffer.concat([v1, header(transitions.length, types.length, chars.length), times, idxs, ttinfo, Buffer.from(chars, 'latin1'), Buffer.from(`\n${footer}\n`, 'latin1')]);
}

test('the footer names the rules in force: standard and daylight names by offset', () => {
  const ny = tzif([[-17762, 0, 'LMT'], [-14400, 1, 'EDT'], [-18000, 0, 'EST']], [[-2717650800, 2], [1710054000, 1]], 'EST5EDT,M3.2.0,M11.1.0');
  assert.equal(abbreviationFromTzif(ny, -18000), 'EST');
  assert.equal(abbreviationFromTzif(ny, -14400), 'EDT');
  const tokyo = tzif([[33539, 0, 'LMT'], [32400, 0, 'JST']], [[-2587712400, 1]], 'JST-9');
  assert.equal(abbreviationFromTzif(tokyo, 32400), 'JST');
  const india = tzif([[19800, 0, 'IST']], [], 'IST-5:30');
  assert.equal(abbreviationFromTzif(india, 19800), 'IST');
  const numeric = tzif([[-10800, 0, '-03']], [], '<-03>3');
  assert.equal(abbreviationFromTzif(numeric, -10800), '-03');
  // Ireland: "IST" is the standard time of the footer, one hour east, GMT the (negative) DST
  const dublin = tzif([[0, 1, 'GMT'], [3600, 0, 'IST']], [[1711846800, 1]], 'IST-1GMT0,M10.5.0,M3.5.0/1');
  assert.equal(abbreviationFromTzif(dublin, 3600), 'IST');
  assert.equal(abbreviationFromTzif(dublin, 0), 'GMT');
});

test('without a footer the latest transition to the offset names it; garbage gives undefined', () => {
  const noFooter = tzif([[3600, 0, 'CET'], [7200, 1, 'CEST'], [3600, 0, 'MET']], [[0, 2], [100, 1], [200, 0]], '');
  assert.equal(abbreviationFromTzif(noFooter, 3600), 'CET');
  assert.equal(abbreviationFromTzif(noFooter, 7200), 'CEST');
  assert.equal(abbreviationFromTzif(noFooter, 1234), undefined);
  assert.equal(abbreviationFromTzif(Buffer.from('not a tzif file at all, not at all, no.........'), 0), undefined);
  assert.equal(abbreviationFromTzif(Buffer.alloc(0), 0), undefined);
  assert.equal(abbreviationFromTzif(tzif([[0, 0, 'UTC']], [], 'UTC0').subarray(0, 60), 0), undefined);
});

test('TZ as a POSIX string, and no path outside the zoneinfo folder', () => {
  const jan = new Date('2026-01-15T12:00:00Z');
  assert.equal(localZoneAbbreviation(jan, { TZ: 'JST-9' }), 'JST');
  assert.equal(localZoneAbbreviation(jan, { TZ: '../../etc/passwd' }), undefined);
});

const ZONES = ['Asia/Tokyo', 'Asia/Kolkata', 'America/New_York', 'Europe/Berlin', 'Europe/Dublin', 'America/Sao_Paulo', 'Australia/Sydney', 'Pacific/Chatham'];
const tzdata = existsSync('/usr/share/zoneinfo/Asia/Tokyo');

test('the same abbreviation as `date +%Z` for real zones, winter and summer', { skip: tzdata ? false : 'no tzdata in /usr/share/zoneinfo' }, () => {
  for (const zone of ZONES) {
    for (const when of ['2026-01-15T12:00:00Z', '2026-07-15T12:00:00Z']) {
      // getTimezoneOffset is this process's zone: the offset comes from date too (%z, +hhmm), in
      // the same call (a node child per zone and season was 16 process starts)
      const [expected, z] = execFileSync('date', ['-d', when, '+%Z %z'], { env: { TZ: zone } }).toString().trim().split(' ') as [string, string];
      const m = /^([+-])(\d\d)(\d\d)$/.exec(z)!;
      const offset = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60);
      const fake = { getTimezoneOffset: () => -offset / 60 } as Date;
      assert.equal(localZoneAbbreviation(fake, { TZ: zone }), expected, `${zone} ${when}`);
    }
  }
});

test('localZoneName: UTC in a UTC process, else the file, and the renderer only prints what it is given', async () => {
  const { localZoneName } = await import('../../src/util/tz-abbreviation.js');
  const { digDate } = await import('../../src/commands/dig/render.js');
  const utc = { getTimezoneOffset: () => 0 } as Date;
  assert.equal(localZoneName(utc, {}), 'UTC');
  assert.equal(localZoneName({ getTimezoneOffset: () => -540 } as Date, { TZ: 'JST-9' }), 'JST');
  assert.match(digDate('2026-11-03T08:04:05.000Z', 'JST'), / JST 2026$/);
});
