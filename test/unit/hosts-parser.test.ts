/**
 * The hosts(5) parser, one rule per case: what each line gives, or the `FILE:LINE:` message
 * it is rejected with. Inputs are fed in 7-byte chunks, so lines are split across chunks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { entryName, entryNames, escapeText, hostNameProblem, parseHostsText, readHosts, type HostsIssue } from '../../src/protocol/zone/hosts.js';
import { canonicalIPv6, ipv4FromInt, ipv6FromBytes, parseIPv4 } from '../../src/util/ip.js';
import { forEachLine, splitLines, stringChunks } from '../../src/protocol/zone/lines.js';
import { formatIssue } from '../../src/commands/hosts2zone/render.js';

const thousands = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

interface Ok {
  line: string;
  address: string;
  names: string[];
}

const VALID: Ok[] = [
  { line: '192.0.2.1 www', address: '192.0.2.1', names: ['www'] },
  { line: '192.0.2.1\twww  web\t\tmail', address: '192.0.2.1', names: ['www', 'web', 'mail'] },
  { line: '192.0.2.1 www web\r', address: '192.0.2.1', names: ['www', 'web'] },
  { line: '   192.0.2.1 www', address: '192.0.2.1', names: ['www'] },
  { line: '192.0.2.1 www # the web server', address: '192.0.2.1', names: ['www'] },
  { line: '192.0.2.1 www#web', address: '192.0.2.1', names: ['www'] },
  { line: '0.0.0.0 ads.example', address: '0.0.0.0', names: ['ads.example'] },
  { line: '255.255.255.255 broadcasthost', address: '255.255.255.255', names: ['broadcasthost'] },
  { line: '192.0.2.1 WWW.Corp.TEST', address: '192.0.2.1', names: ['www.corp.test'] },
  { line: '192.0.2.1 www.corp.test.', address: '192.0.2.1', names: ['www.corp.test'] },
  { line: '192.0.2.1 bücher', address: '192.0.2.1', names: ['xn--bcher-kva'] },
  { line: '192.0.2.1 BÜCHER.corp.test', address: '192.0.2.1', names: ['xn--bcher-kva.corp.test'] },
  { line: '192.0.2.1 münchen.test.', address: '192.0.2.1', names: ['xn--mnchen-3ya.test'] },
  { line: '192.0.2.1 a_b _sip', address: '192.0.2.1', names: ['a_b', '_sip'] },
  { line: '192.0.2.1 123 4u xn--bcher-kva', address: '192.0.2.1', names: ['123', '4u', 'xn--bcher-kva'] },
  { line: '2001:db8::1 v6', address: '2001:db8::1', names: ['v6'] },
  { line: '2001:0DB8:0000:0000:0000:0000:0000:0001 v6', address: '2001:db8::1', names: ['v6'] },
  { line: '2001:db8:0:0:1:0:0:1 v6', address: '2001:db8::1:0:0:1', names: ['v6'] },
  { line: '::1 v6', address: '::1', names: ['v6'] },
  { line: ':: v6', address: '::', names: ['v6'] },
  { line: 'fe80:: v6', address: 'fe80::', names: ['v6'] },
  { line: '::ffff:192.0.2.1 mapped', address: '::ffff:c000:201', names: ['mapped'] },
  { line: '1:2:3:4:5:6:7:8 full', address: '1:2:3:4:5:6:7:8', names: ['full'] },
  { line: '1:0:0:4:0:0:0:8 twogaps', address: '1:0:0:4::8', names: ['twogaps'] },
];

for (const c of VALID) {
  test(`'${c.line.trim()}' gives ${c.address} ${c.names.join(' ')}`, async () => {
    const r = await parseHostsText(`${c.line}\n`, 'office.hosts');
    assert.deepEqual(r.issues, []);
    assert.equal(r.entries.length, 1);
    assert.equal(r.entries[0]!.address, c.address);
    assert.deepEqual(r.entries[0]!.names, c.names);
  });
}

interface Bad {
  line: string;
  code: string;
  message: RegExp;
  /** Names still taken from the line. */
  names?: string[];
}

const REJECTED: Bad[] = [
  { line: '127.1 short', code: 'SHORT_IPV4', message: /'127\.1' is a short IPv4 address/ },
  { line: '10.1.1 short', code: 'SHORT_IPV4', message: /short IPv4/ },
  { line: '010.1.1.1 octal', code: 'LEADING_ZERO', message: /'010\.1\.1\.1' has a leading zero/ },
  { line: '10.01.1.1 octal', code: 'LEADING_ZERO', message: /leading zero/ },
  { line: '256.1.1.1 big', code: 'BAD_ADDRESS', message: /over 255/ },
  { line: '1.2.3.4.5 five', code: 'BAD_ADDRESS', message: /'1\.2\.3\.4\.5' is not an IPv4 address/ },
  { line: '1.2.3. trailing', code: 'BAD_ADDRESS', message: /not an IPv4 address/ },
  { line: '0x7f.0.0.1 hex', code: 'BAD_ADDRESS', message: /not an IP address/ },
  { line: 'www 192.0.2.1', code: 'BAD_ADDRESS', message: /'www' is not an IP address \(a hosts line starts with the address/ },
  { line: 'fe80::1%lo0 scoped', code: 'SCOPED_IPV6', message: /'fe80::1%lo0' is a scoped IPv6 address: its zone index '%lo0'/ },
  { line: 'fe80::1%eth0 scoped', code: 'SCOPED_IPV6', message: /%eth0/ },
  { line: '2001:db8:::1 bad', code: 'BAD_ADDRESS', message: /not an IPv6 address/ },
  { line: '1:2:3:4:5:6:7:8:9 nine', code: 'BAD_ADDRESS', message: /not an IPv6 address/ },
  { line: '12345::1 long', code: 'BAD_ADDRESS', message: /not an IPv6 address/ },
  { line: '1::2::3 twogaps', code: 'BAD_ADDRESS', message: /not an IPv6 address/ },
  { line: ':1::2 colon', code: 'BAD_ADDRESS', message: /not an IPv6 address/ },
  { line: '::ffff:010.1.1.1 mapped', code: 'BAD_ADDRESS', message: /not an IPv6 address/ },
  { line: '192.0.2.1', code: 'NO_NAME', message: /address '192\.0\.2\.1' has no name/ },
  { line: '192.0.2.1   # only a comment', code: 'NO_NAME', message: /has no name/ },
  { line: '192.0.2.1 -bad', code: 'BAD_NAME', message: /name '-bad' has a label starting with '-'/ },
  { line: '192.0.2.1 bad-', code: 'BAD_NAME', message: /label ending with '-'/ },
  { line: '192.0.2.1 a..b', code: 'BAD_NAME', message: /empty label/ },
  { line: '192.0.2.1 .a', code: 'BAD_NAME', message: /empty label/ },
  { line: `192.0.2.1 ${'a'.repeat(64)}.test`, code: 'BAD_NAME', message: /label of 64 characters \(at most 63/ },
  { line: `192.0.2.1 ${Array(64).fill('abc').join('.')}`, code: 'BAD_NAME', message: /is 255 characters long \(at most 253/ },
  { line: '192.0.2.1 10.0.0.1', code: 'NAME_IS_ADDRESS', message: /name '10\.0\.0\.1' is an IP address, not a name/ },
  { line: '192.0.2.1 10.1', code: 'NAME_IS_ADDRESS', message: /is an IP address/ },
  { line: '192.0.2.1 a;b', code: 'BAD_NAME', message: /has the character ';'/ },
  { line: '192.0.2.1 a$b', code: 'BAD_NAME', message: /has the character '\$'/ },
  { line: '192.0.2.1 a"b', code: 'BAD_NAME', message: /has the character '"'/ },
  { line: '192.0.2.1 a\\b', code: 'BAD_NAME', message: /has the character '\\'/ },
  { line: '192.0.2.1 a@b', code: 'BAD_NAME', message: /has the character '@'/ },
  { line: '192.0.2.1 a\x01b', code: 'BAD_NAME', message: /has the character '\\x01'/ },
  { line: '192.0.2.1 good -bad also', code: 'BAD_NAME', message: /'-bad'/, names: ['good', 'also'] },
];

for (const c of REJECTED) {
  test(`'${c.line.slice(0, 60)}' is reported as ${c.code} with office.hosts:3`, async () => {
    const r = await parseHostsText(`# office\n\n${c.line}\n192.0.2.200 after\n`, 'office.hosts');
    assert.equal(r.issues.length, 1, JSON.stringify(r.issues));
    const issue = r.issues[0]!;
    assert.equal(issue.code, c.code);
    // a line or name rejected: a WARNING (exit 1), `error:` on stderr as before issue 10
    assert.equal(issue.severity, 'WARNING');
    assert.equal(issue.subject, 'office.hosts:3');
    assert.equal(issue.line, 3);
    assert.match(formatIssue(issue), /^office\.hosts:3: error: /);
    assert.match(issue.message, c.message);
    // the line after is still read, with its own number
    const after = r.entries.find((e) => e.names.includes('after'));
    assert.equal(after?.line, 4);
    const here = r.entries.find((e) => e.line === 3);
    assert.deepEqual(here?.names, c.names);
  });
}

test('invalid UTF-8 in a name is reported, not turned into U+FFFD', async () => {
  const buf = Buffer.concat([Buffer.from('192.0.2.1 good caf'), Buffer.from([0xe9]), Buffer.from('\n')]);
  const issues: string[] = [];
  const names: string[][] = [];
  await readHosts(Readable.from([buf]), 'latin1.hosts', (e) => names.push([...Array(e.count).keys()].map((i) => e.bufs[i]!.toString('latin1', e.starts[i]!, e.starts[i]! + e.lengths[i]!))), (i) => issues.push(formatIssue(i)));
  assert.deepEqual(names, [['good']]);
  assert.equal(issues.length, 1);
  assert.match(issues[0]!, /^latin1\.hosts:1: error: .*not valid UTF-8/);
});

test('an invalid internationalised name is reported as BAD_IDN', async () => {
  const r = await parseHostsText('192.0.2.1 a\u00a0b.\u200b.test ok\n', 'idn.hosts');
  assert.deepEqual(r.entries.map((e) => e.names), [['ok']]);
  assert.equal(r.issues[0]?.code, 'BAD_IDN');
});

test('a UTF-8 byte order mark before the first line is skipped', async () => {
  const r = await parseHostsText('\uFEFF192.0.2.1 www\n', 'bom.hosts');
  assert.deepEqual(r.issues, []);
  assert.deepEqual(r.entries[0]?.names, ['www']);
});

test('a last line without a newline is read', async () => {
  const r = await parseHostsText('192.0.2.1 a\n192.0.2.2 b', 'x');
  assert.deepEqual(r.entries.map((e) => [e.line, e.names[0]]), [[1, 'a'], [2, 'b']]);
});

test('CRLF files give the same entries as LF files', async () => {
  const lf = await parseHostsText('# c\n192.0.2.1 a b\n\n2001:db8::1 c\n', 'x');
  const crlf = await parseHostsText('# c\r\n192.0.2.1 a b\r\n\r\n2001:db8::1 c\r\n', 'x');
  assert.deepEqual(crlf, lf);
});

// issue 9.4: a line over 16 KiB was dropped whole (every valid name on it lost, one error), the cap undocumented
test('a line of 3,000 names (30 KB) is read in full: every name kept, no problem', async () => {
  const names = Array.from({ length: 3000 }, (_, i) => `n${i}`);
  const r = await parseHostsText(`192.0.2.9 before\n192.0.2.1 ${names.join(' ')}\n192.0.2.10 after\n`, 'long.hosts');
  assert.deepEqual(r.issues, []);
  assert.deepEqual(r.entries.map((e) => [e.line, e.names.length]), [[1, 1], [2, 3000], [3, 1]]);
  assert.deepEqual(r.entries[1]!.names, names);
});

// issue 9.4: past the line bound (1 MiB), the names that fit are kept and the rest reported with FILE:LINE
test('a line over 1 MiB keeps the names of its first 1 MiB, reports the rest as LINE_TOO_LONG, and the next line is read', async () => {
  const names = Array.from({ length: 1000 }, (_, i) => `n${i}`);
  const long = `192.0.2.1 ${names.join(' ')} ${'x'.repeat(2 * 1024 * 1024)} lost`;
  const issues: HostsIssue[] = [];
  const entries: Array<[number, string[]]> = [];
  // big chunks too: the line spans many of them
  await readHosts(stringChunks(`192.0.2.9 before\n${long}\n192.0.2.10 after\n`, 100_000), 'long.hosts', (e, line) => entries.push([line, entryNames(e)]), (i) => issues.push(i));
  assert.deepEqual(entries.map(([l, n]) => [l, n.length]), [[1, 1], [2, 1000], [3, 1]]);
  assert.deepEqual(entries[1]![1], names);
  assert.equal(issues.length, 1, JSON.stringify(issues));
  assert.equal(issues[0]!.code, 'LINE_TOO_LONG');
  assert.equal(issues[0]!.line, 2);
  assert.equal(formatIssue(issues[0]!), `long.hosts:2: error: line longer than 1 MiB (netlab's limit per line; it has ${thousands(long.length)} bytes): the names in its first 1 MiB are read, the rest is skipped`);
});

test('a line over 1 MiB without a blank is reported and skipped; one whose rest is a comment loses nothing and says nothing', async () => {
  const r = { entries: [] as Array<[number, string]>, issues: [] as HostsIssue[] };
  const text = `${'a'.repeat(1024 * 1024 + 5)}\n192.0.2.1 ok # ${'c'.repeat(1024 * 1024)}\n192.0.2.2 after\n`;
  await readHosts(stringChunks(text, 65_536), 'x.hosts', (e, line) => r.entries.push([line, entryName(e, 0)]), (i) => r.issues.push(i));
  assert.deepEqual(r.entries, [[2, 'ok'], [3, 'after']]);
  assert.equal(r.issues.length, 1);
  assert.equal(r.issues[0]!.line, 1);
  assert.match(r.issues[0]!.message, /without a blank in its first 1 MiB: skipped/);
});

// issue 9.3: a lone CR did not end a line: '192.0.2.1 a\r192.0.2.2 b\r' was one line, and b became a CNAME of a
test('a lone CR ends a line, as LF and CR LF do: two lines, two entries', async () => {
  const r = await parseHostsText('192.0.2.1 a\r192.0.2.2 b\r', 'cr.hosts');
  assert.deepEqual(r.issues, []);
  assert.deepEqual(r.entries.map((e) => [e.line, e.address, e.names]), [[1, '192.0.2.1', ['a']], [2, '192.0.2.2', ['b']]]);
  const mixed = await parseHostsText('192.0.2.1 a\r\n192.0.2.2 b\r192.0.2.3 c\n\r192.0.2.4 d', 'mixed.hosts');
  assert.deepEqual(mixed.entries.map((e) => [e.line, e.names[0]]), [[1, 'a'], [2, 'b'], [3, 'c'], [5, 'd']]);
});

test('CR, CR LF and LF line ends split anywhere across chunks give the same lines', async () => {
  const text = '192.0.2.1 a\r\n192.0.2.2 b\r192.0.2.3 c\n\r\r\n#x\r2001:db8::5 d';
  const expected = ['192.0.2.1 a', '192.0.2.2 b', '192.0.2.3 c', '', '', '#x', '2001:db8::5 d'];
  assert.deepEqual(splitLines(text), expected);
  const bytes = Buffer.from(text);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const seen: string[] = [];
    await forEachLine(Readable.from([bytes.subarray(0, cut), bytes.subarray(cut)]), { line: (b, s, e) => seen.push(b.toString('latin1', s, e)) });
    assert.deepEqual(seen, expected, `cut at ${cut}`);
  }
});

// issue 9.13: control characters and bidi overrides were echoed raw into messages
test('what a message quotes from the input has its control and bidi characters escaped', async () => {
  assert.equal(escapeText('a\x1b[31mb\u202ec\u2066d\x7fe\x9bf\\g'), 'a\\x1b[31mb\\u202ec\\u2066d\\x7fe\\x9bf\\\\g');
  const r = await parseHostsText('192.0.2.\u202e1 evil\n192.0.2.2 a\u202eb\n192.0.2.3 x\x1b[2Jy\nfe80::1%e\u2067th0 s\n', 'bidi.hosts');
  assert.equal(r.issues.length, 4, JSON.stringify(r.issues));
  for (const i of r.issues) {
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(formatIssue(i), /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/, i.message);
  }
  assert.match(r.issues[0]!.message, /'192\.0\.2\.\\u202e1'/);
  assert.match(r.issues[1]!.message, /'a\\u202eb'/);
  assert.match(r.issues[2]!.message, /'x\\x1b\[2Jy'/);
  assert.match(r.issues[3]!.message, /zone index '%e\\u2067th0'/);
});

test('lines are streamed: a chunk boundary anywhere gives the same lines', async () => {
  const text = '192.0.2.1 a\n192.0.2.2 b c\n#x\n2001:db8::5 d\n';
  const expected = await parseHostsText(text, 'x');
  const bytes = Buffer.from(text);
  for (let cut = 1; cut < bytes.length; cut++) {
    const seen: string[] = [];
    await forEachLine(Readable.from([bytes.subarray(0, cut), bytes.subarray(cut)]), { line: (b, s, e) => seen.push(b.toString('latin1', s, e)) });
    assert.deepEqual(seen, text.split('\n').slice(0, -1), `cut at ${cut}`);
  }
  assert.equal(expected.entries.length, 3);
});

test('strict IPv4: parseIPv4 and ipv4FromInt round-trip, shorthand and octal refused', () => {
  for (const a of ['0.0.0.0', '10.20.30.40', '255.255.255.255', '192.0.2.1']) assert.equal(ipv4FromInt(parseIPv4(a)!), a);
  for (const a of ['127.1', '010.0.0.1', '1.2.3.256', '1.2.3', '', 'a.b.c.d', '1.2.3.4 ']) assert.equal(parseIPv4(a), undefined, a);
});

test('IPv6 is written in RFC 5952 form (lower case, longest zero run as ::, no IPv4 tail)', () => {
  const hexOnly = { mixed: false };
  assert.equal(canonicalIPv6('2001:DB8::0:1', hexOnly), '2001:db8::1');
  assert.equal(canonicalIPv6('2001:db8:0:0:1:0:0:0', hexOnly), '2001:db8:0:0:1::');
  assert.equal(canonicalIPv6('0:0:0:0:0:0:0:1', hexOnly), '::1');
  assert.equal(canonicalIPv6('2001:db8:0:1:1:1:1:1', hexOnly), '2001:db8:0:1:1:1:1:1');
  assert.equal(canonicalIPv6('::ffff:192.0.2.1', hexOnly), '::ffff:c000:201');
  assert.equal(canonicalIPv6('fe80::1%lo0', hexOnly), undefined);
  assert.equal(ipv6FromBytes(new Uint8Array(16), hexOnly), '::');
});

test('hostNameProblem: host names pass, the rest says why', () => {
  for (const n of ['www', 'a-b.c', 'xn--bcher-kva.test', '123', 'a_b']) assert.equal(hostNameProblem(n), undefined, n);
  assert.match(hostNameProblem('a b')!.reason, /character/);
  assert.match(hostNameProblem('bücher')!.reason, /non-ASCII/);
  assert.equal(hostNameProblem('1.2.3.4')!.code, 'NAME_IS_ADDRESS');
});

test("the demo's embedded sample is test/fixtures/hosts/office.hosts, byte for byte", async () => {
  const { readFileSync } = await import('node:fs');
  const { OFFICE_HOSTS } = await import('../../src/lab/office-hosts.js');
  assert.equal(OFFICE_HOSTS, readFileSync(new URL('../../../test/fixtures/hosts/office.hosts', import.meta.url), 'utf8'));
});
