/**
 * hostsToZone, the library call under `netlab hosts2zone`: hosts inputs as streams -> zone
 * texts, statistics, problems (the shared Problem shape, subject FILE:LINE) and notes, with
 * the status of the one rule; what the command writes is the same text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { hostsToZone, MAX_LISTED, readHostsZone, type HostsInput, type HostsToZoneResult } from '../../src/protocol/zone/hosts-to-zone.js';
import type { HostsIssue } from '../../src/protocol/zone/hosts.js';
import { parseMasterText } from '../../src/protocol/zone/master.js';
import { NetlabError, type Progress } from '../../src/errors.js';
import { parseArgv } from '../../src/commands/command.js';
import { command } from '../../src/commands/hosts2zone/index.js';
import { runHosts2zone } from '../../src/commands/hosts2zone/run.js';
import { dataLines } from '../helpers/hosts-model.js';

const NOW = new Date('2026-11-23T10:00:00Z');

/** One input from text, in 7-byte Uint8Array chunks (not Buffers: what a library user may pass). */
function input(name: string, text: string): HostsInput {
  const bytes = new TextEncoder().encode(text);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.subarray(i, i + 7));
  return { name, chunks: Readable.from(chunks), size: bytes.length };
}

const OFFICE = [
  '127.0.0.1 localhost',
  '192.0.2.10 www.corp.test www web',
  '2001:db8::10 www',
  '192.0.2.53 ns1',
  '127.1 shorty',
  '192.0.2.20 docs.partner.example',
  '',
].join('\n');

test('the zone texts, the statistics, the problems and the notes of a hosts file', async () => {
  const r = await hostsToZone([input('office.hosts', OFFICE)], { origin: 'Corp.Test.', ns: ['ns1'], reverse: true, now: NOW });
  assert.equal(r.status, 'WARNING');
  assert.equal(r.origin, 'corp.test.');
  assert.equal(r.serial, 2026112300);
  assert.deepEqual(r.inputs, [{ file: 'office.hosts', lines: 6, entries: 5 }]);
  assert.equal(r.names, 3);
  assert.equal(r.addresses, 3);
  assert.deepEqual(r.zones.map((z) => [z.zone, z.records, z.serial]), [
    ['corp.test.', 6, 2026112300], ['2.0.192.in-addr.arpa.', 4, 2026112300], ['0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.', 3, 2026112300],
  ]);
  // names in the order they first appear, the name servers first
  assert.deepEqual(dataLines(r.zones[0]!.text), ['ns1 A 192.0.2.53', 'www A 192.0.2.10', 'www AAAA 2001:db8::10', 'web CNAME www']);
  // every text reads back as the zone it says it is
  for (const z of r.zones) assert.equal(parseMasterText(z.text, { file: z.zone }).origin, z.zone);
  assert.deepEqual(r.counts, { errors: 1, warnings: 1, notes: 1 });
  assert.deepEqual(r.problems, [
    { code: 'SHORT_IPV4', severity: 'WARNING', message: "'127.1' is a short IPv4 address (inet_aton shorthand; getaddrinfo and DNS need all four parts)", subject: 'office.hosts:5', file: 'office.hosts', line: 5 },
    { code: 'OUTSIDE_ORIGIN', severity: 'WARNING', message: "'docs.partner.example' is outside corp.test: skipped", subject: 'office.hosts:6', file: 'office.hosts', line: 6 },
  ]);
  assert.deepEqual(r.notes, [{ code: 'LOCAL_NAME', message: "'localhost' names this machine itself: not put in the zone", subject: 'office.hosts:1', file: 'office.hosts', line: 1 }]);
  assert.equal(r.problemsOmitted, 0);
  assert.equal(r.timeMs, Math.round(r.timeMs * 1000) / 1000);
  // plain data: JSON and back, the same
  assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
});

test('a clean file is OK; the problems and notes stream to onIssue in the order of the lines; progress per input', async () => {
  const seen: HostsIssue[] = [];
  const progress: Progress[] = [];
  const r = await hostsToZone([input('a.hosts', '192.0.2.1 a\n'), input('b.hosts', '::1 localhost\n192.0.2.2 b\n')], {
    origin: 'corp.test', onIssue: (i) => seen.push(i), onProgress: (p) => progress.push(p), serial: 7,
  });
  assert.equal(r.status, 'OK');
  assert.deepEqual(seen, r.notes);
  assert.deepEqual(progress.map((p) => [p.phase, p.done, p.total]), [['read', 0, 2], ['read', 1, 2], ['read', 2, 2]]);
  assert.match(r.zones[0]!.text, /^; corp\.test: written by netlab hosts2zone from a\.hosts b\.hosts\n\$ORIGIN corp\.test\.\n\$TTL 3600\n@\tIN\tSOA\tlocalhost\. hostmaster\.corp\.test\. \(\n\t\t7\t; serial/);
});

test('no valid entry: UNKNOWN with a NO_VALID_ENTRY note, no zone (nothing thrown)', async () => {
  const r = await hostsToZone([input('junk.hosts', 'not a hosts line\n0.0.0.0 ads.example.com\n')], { origin: 'corp.test' });
  assert.equal(r.status, 'UNKNOWN');
  assert.deepEqual(r.zones, []);
  assert.equal(r.serial, null);
  assert.deepEqual(r.notes.map((n) => [n.code, n.message]), [
    ['BLOCKLIST', 'every entry points at 0.0.0.0, 127.0.0.1, :: or ::1: this looks like a blocklist'],
    ['NO_VALID_ENTRY', 'no valid entry for corp.test in junk.hosts'],
  ]);
  assert.deepEqual(r.problems.map((p) => p.code), ['BAD_ADDRESS', 'OUTSIDE_ORIGIN']);
});

test('an in-zone name server without an address: INPUT, the message without command-line advice', async () => {
  await assert.rejects(hostsToZone([input('a.hosts', '192.0.2.1 www\n')], { origin: 'corp.test', ns: ['ns9'] }), (e: unknown) => {
    assert.ok(e instanceof NetlabError && e.code === 'INPUT');
    assert.equal(e.message, 'name server ns9.corp.test is inside corp.test, but no hosts line gives it an address: add one, or use a name server outside the zone');
    return true;
  });
});

const BAD_OPTIONS: Array<[string, Partial<Parameters<typeof hostsToZone>[1]>, RegExp]> = [
  ['a bad origin', { origin: 'bad;zone' }, /^origin 'bad;zone' has the character ';'/],
  ['a bad ttl', { ttl: -1 }, /^ttl needs a whole number from 0 to 2147483647, got -1$/],
  ['a bad v6PrefixBits', { v6PrefixBits: 62 }, /^v6PrefixBits must be a multiple of 4/],
  ['a bad contact', { contact: 'john doe@corp.test' }, /^contact 'john doe@corp\.test': the local part cannot hold spaces/],
  ['reverse with rpz', { reverse: true, format: 'rpz' }, /^reverse zones and the rpz format do not go together/],
  ['an RPZ served from inside it', { format: 'rpz', ns: ['ns1'] }, /^an RPZ's name servers must be outside it/],
];

for (const [what, options, message] of BAD_OPTIONS) {
  test(`${what}: USAGE, before anything is read`, async () => {
    let read = false;
    const chunks = (async function* () {
      read = true;
      yield Buffer.from('192.0.2.1 www\n');
    })();
    await assert.rejects(hostsToZone([{ name: 'a.hosts', chunks }], { origin: 'corp.test', ...options }), (e: unknown) => {
      assert.ok(e instanceof NetlabError && e.code === 'USAGE', String(e));
      assert.match(e.message, message);
      assert.doesNotMatch(e.message, /--[a-z]/);
      return true;
    });
    assert.equal(read, false);
  });
}

test('a stream that fails: INPUT naming the input (stdin for -)', async () => {
  const failing = (async function* () {
    yield Buffer.from('192.0.2.1 www\n');
    throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', syscall: 'read' });
  })();
  await assert.rejects(hostsToZone([{ name: '-', chunks: failing }], { origin: 'corp.test' }), /^NetlabError: cannot read stdin: input\/output error$/);
});

test('past maxListed: the first ones listed, the rest counted; the status still counts them', async () => {
  const lines = Array.from({ length: 30 }, (_, i) => `10.0.0.${i} bad_${i}`).join('\n');
  const r = await hostsToZone([input('many.hosts', `${lines}\n192.0.2.1 www\n`)], { origin: 'corp.test', maxListed: 10 });
  assert.equal(r.problems.length, 10);
  assert.equal(r.problemsOmitted, 20);
  assert.deepEqual(r.counts, { errors: 0, warnings: 30, notes: 0 });
  assert.equal(r.status, 'WARNING');
  assert.equal(MAX_LISTED, 1000);
});

test('a signal already aborted: interrupted, UNKNOWN, no zone', async () => {
  const controller = new AbortController();
  controller.abort();
  const r = await hostsToZone([input('a.hosts', '192.0.2.1 www\n')], { origin: 'corp.test', signal: controller.signal });
  assert.equal(r.interrupted, true);
  assert.equal(r.status, 'UNKNOWN');
  assert.deepEqual(r.zones, []);
});

// issue 10.6: --aliases a gave an alias the addresses its canonical name has on other lines
test('aliases as address records: an alias gets the addresses of its own lines, as getaddrinfo answers', async () => {
  const text = '192.0.2.10 web www\n2001:db8::10 web\n';
  const a = await hostsToZone([input('h', text)], { origin: 'corp.test', aliases: 'a' });
  assert.deepEqual(dataLines(a.zones[0]!.text), ['web A 192.0.2.10', 'web AAAA 2001:db8::10', 'www A 192.0.2.10']);
  const cname = await hostsToZone([input('h', text)], { origin: 'corp.test' });
  assert.deepEqual(dataLines(cname.zones[0]!.text), ['web A 192.0.2.10', 'web AAAA 2001:db8::10', 'www CNAME web']);
});

test('an RPZ from a blocklist; a blocklist as a zone is noted, with the rpz format as its remedy', async () => {
  const list = '0.0.0.0 ads.example.com\n0.0.0.0 track.example.net\n';
  const rpz = await hostsToZone([input('block.hosts', list)], { origin: 'rpz.test', format: 'rpz', serial: 1 });
  assert.equal(rpz.blocklist, true);
  assert.deepEqual(rpz.notes, []); // the note is for a blocklist written as a forward zone
  assert.deepEqual(dataLines(rpz.zones[0]!.text), ['ads.example.com CNAME .', 'track.example.net CNAME .']);
  const zone = await hostsToZone([input('block.hosts', '0.0.0.0 ads\n')], { origin: 'corp.test', serial: 1 });
  assert.equal(zone.blocklist, true);
  assert.deepEqual(zone.notes.map((n) => [n.code, n.subject, n.remedy]), [['BLOCKLIST', 'block.hosts', 'formatRpz']]);
});

test('no message of the library quotes a command-line flag (renderers add the advice)', async () => {
  const text = '192.0.2.1 my_host\n192.0.2.2 www a_b\n0.0.0.0 ads\n192.0.2.3 corp.test x\n192.0.2.4 y x\n';
  const results: HostsToZoneResult[] = [
    await hostsToZone([input('h', text)], { origin: 'corp.test', reverse: true }),
    await hostsToZone([input('h', text)], { origin: 'corp.test', aliases: 'a' }),
    await hostsToZone([input('h', text)], { origin: 'corp.test', allowUnderscore: true }),
  ];
  const messages = results.flatMap((r) => [...r.problems, ...r.notes].map((i) => i.message));
  assert.ok(messages.length >= 8, String(messages.length));
  for (const m of messages) assert.doesNotMatch(m, /--[a-z]/, m);
  assert.deepEqual(results[1]!.problems.filter((p) => p.remedy).map((p) => [p.code, p.remedy]), [['UNDERSCORE', 'allowUnderscore'], ['UNDERSCORE', 'aliasesCname']]);
});

test('the command writes the same zone text as the library gives', async () => {
  const text = `${OFFICE}192.0.2.30 mail smtp\n`;
  const lib = await hostsToZone([input('-', text)], { origin: 'corp.test', ns: ['ns1'], serial: 9 });
  let out = '';
  const cli = await runHosts2zone(await parseArgv(command, ['-', '--origin', 'corp.test', '--ns', 'ns1', '--serial', '9']), {
    stdin: Readable.from([Buffer.from(text)]), writeZone: (c) => void (out += Buffer.from(c).toString('utf8')),
  });
  assert.equal(out, lib.zones[0]!.text);
  assert.deepEqual([cli.status, cli.names, cli.addresses, cli.counts, cli.problems, cli.notes], [lib.status, lib.names, lib.addresses, lib.counts, lib.problems, lib.notes]);
  // readHostsZone, the step under both: the zones it would write
  const zone = await readHostsZone([input('-', text)], { origin: 'corp.test', ns: ['ns1'], reverse: true });
  assert.deepEqual(zone.zoneNames(), ['corp.test', '2.0.192.in-addr.arpa', '0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa']);
});
