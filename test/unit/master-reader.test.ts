/**
 * The master-file reader (RFC 1035 5): directives, relative names and @, the blank owner,
 * TTL and class in either order, parentheses, comments, quoted strings and escapes, RFC 3597
 * data, and the checks a primary server makes, each failing with FILE:LINE.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadZoneFiles, originFromFileName, parseMasterText, parseTtl, readMasterFile, readSerial, unescapeString } from '../../src/protocol/zone/master.js';
import { NetlabError } from '../../src/errors.js';
import { resolveAuthoritative } from '../../src/lab/dns/server.js';
import { encodeRdata } from '../../src/protocol/dns/rdata.js';
import { nameToWire } from '../../src/protocol/dns/names.js';

const BIND_STYLE = `; a zone as people write them
$TTL 1h
$ORIGIN example.test.
@   IN  SOA ns1 hostmaster (
        2026112301 ; serial
        3h         ; refresh
        15m        ; retry
        1w         ; expire
        300 )      ; minimum
    IN  NS  ns1
    IN  NS  ns2.example.test.
    IN  MX  10 mail
ns1 300 IN A 192.0.2.53
ns2 IN 300 A 192.0.2.54
www         A     192.0.2.10
            AAAA  2001:DB8::10
mail        A     192.0.2.25
alias       CNAME www
txt         TXT   "hello world" "semi;colon" unquoted "say \\"hi\\"" back\\\\slash \\065BC
_sip._tcp   SRV   10 60 5060 sip
sip         A     192.0.2.50
@           CAA   0 issue "letsencrypt.org"
host        HINFO "x86-64" Linux
unk         TYPE65534 \\# 4 0A000001
$ORIGIN sub
deep        A     192.0.2.99
`;

test('a BIND-style zone reads into the one record shape: fully qualified owners, typed rdata, dig text in data', () => {
  const z = parseMasterText(BIND_STYLE, { file: 'db.example.test' });
  assert.equal(z.origin, 'example.test.');
  const by = (name: string, type: string) => z.records.filter((r) => r.name === name && r.type === type);
  const soa = by('example.test.', 'SOA')[0]!;
  assert.deepEqual(soa.rdata, { type: 'SOA', mname: 'ns1.example.test.', rname: 'hostmaster.example.test.', serial: 2026112301, refresh: 10800, retry: 900, expire: 604800, minimum: 300 });
  assert.equal(soa.data, 'ns1.example.test. hostmaster.example.test. 2026112301 10800 900 604800 300');
  assert.deepEqual([soa.ttl, soa.typeCode, soa.class, soa.classCode], [3600, 6, 'IN', 1]);
  assert.deepEqual(by('example.test.', 'NS').map((r) => r.data), ['ns1.example.test.', 'ns2.example.test.']);
  assert.deepEqual(by('example.test.', 'MX')[0]!.rdata, { type: 'MX', preference: 10, exchange: 'mail.example.test.' });
  assert.equal(by('ns1.example.test.', 'A')[0]!.ttl, 300);
  assert.equal(by('ns2.example.test.', 'A')[0]!.ttl, 300); // class before TTL
  assert.deepEqual(by('www.example.test.', 'AAAA')[0]!.rdata, { type: 'AAAA', address: '2001:db8::10' }); // blank owner: the previous one
  assert.deepEqual(by('alias.example.test.', 'CNAME')[0]!.rdata, { type: 'CNAME', target: 'www.example.test.' });
  assert.deepEqual(by('txt.example.test.', 'TXT')[0]!.rdata, { type: 'TXT', strings: ['hello world', 'semi;colon', 'unquoted', 'say "hi"', 'back\\slash', 'ABC'] });
  assert.deepEqual(by('_sip._tcp.example.test.', 'SRV')[0]!.rdata, { type: 'SRV', priority: 10, weight: 60, port: 5060, target: 'sip.example.test.' });
  assert.deepEqual(by('example.test.', 'CAA')[0]!.rdata, { type: 'CAA', flags: 0, tag: 'issue', value: 'letsencrypt.org' });
  assert.deepEqual(by('host.example.test.', 'HINFO')[0]!.rdata, { type: 'HINFO', text: '"x86-64" "Linux"', hex: '067838362D3634054C696E7578' });
  assert.deepEqual(by('unk.example.test.', 'TYPE65534')[0]!.rdata, { type: 'TYPE65534', text: '\\# 4 0A000001', hex: '0A000001' });
  assert.equal(by('deep.sub.example.test.', 'A').length, 1); // $ORIGIN relative to the current one
});

test('every record read can be encoded, as the lab server will', () => {
  const records = parseMasterText(BIND_STYLE, { file: 'x' }).records;
  assert.equal(records.length, 17);
  for (const r of records) assert.ok(nameToWire(r.name).length > 0 && encodeRdata(r.rdata).length > 0, r.name);
});

test('the lab answers from a zone read here', () => {
  const z = parseMasterText(BIND_STYLE, { file: 'x' });
  const a = resolveAuthoritative([z], 'alias.example.test.', 1);
  assert.equal(a.rcode, 0);
  assert.deepEqual(a.answers.map((r) => [r.type, r.data]), [['CNAME', 'www.example.test.'], ['A', '192.0.2.10']]);
  assert.equal(resolveAuthoritative([z], 'nope.example.test.', 1).rcode, 3);
});

test('TTL defaults: $TTL, else the last explicit TTL, else the SOA minimum', () => {
  const noTtl = parseMasterText('$ORIGIN t.\n@ IN SOA a. b. 1 2 3 4 600\n@ NS a.\nx 60 A 192.0.2.1\ny A 192.0.2.2\n', { file: 'x' });
  assert.deepEqual(noTtl.records.map((r) => r.ttl), [600, 600, 60, 60]);
});

test('the zone name comes from the option (e.g. the file name) when there is no $ORIGIN', () => {
  const z = parseMasterText('@ 300 IN SOA ns1 hm 1 2 3 4 5\n@ 300 NS ns1\nns1 300 A 192.0.2.1\n', { origin: 'corp.test', file: 'db.corp.test' });
  assert.equal(z.origin, 'corp.test.');
  assert.equal(z.records[2]!.name, 'ns1.corp.test.');
  assert.equal(originFromFileName('/x/y/db.corp.test'), 'corp.test.');
  assert.equal(originFromFileName('/x/y/zone.txt'), undefined);
});

test('TTL units and character-string escapes', () => {
  assert.equal(parseTtl('1w2d3h4m5s'), 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5);
  assert.equal(parseTtl('1H'), 3600);
  assert.equal(parseTtl('x'), undefined);
  assert.equal(parseTtl('2147483648'), undefined);
  assert.deepEqual(unescapeString('a\\"b\\\\c\\059d\\255'), Buffer.from([0x61, 0x22, 0x62, 0x5c, 0x63, 0x3b, 0x64, 0xff]));
  assert.equal(unescapeString('bad\\'), undefined);
});

const ERRORS: Array<[string, string, RegExp]> = [
  ['no SOA first', '$ORIGIN t.\n$TTL 1\n@ NS a.\n@ SOA a. b. 1 2 3 4 5\n', /^z:3: the first record must be the SOA of t\./],
  ['two SOAs', '$ORIGIN t.\n$TTL 1\n@ SOA a. b. 1 2 3 4 5\n@ NS a.\n@ SOA a. b. 2 2 3 4 5\n', /^z:5: a second SOA record/],
  ['no NS', '$ORIGIN t.\n$TTL 1\n@ SOA a. b. 1 2 3 4 5\nx A 192.0.2.1\n', /^z: no NS record at t\./],
  ['CNAME and other data', '$ORIGIN t.\n$TTL 1\n@ SOA a. b. 1 2 3 4 5\n@ NS a.\nx CNAME y\nx A 192.0.2.1\n', /^z:6: x\.t\. has a CNAME and other data/],
  ['two CNAMEs', '$ORIGIN t.\n$TTL 1\n@ SOA a. b. 1 2 3 4 5\n@ NS a.\nx CNAME y\nx CNAME z\n', /^z:6: x\.t\. has more than one CNAME/],
  ['out of zone', '$ORIGIN t.\n$TTL 1\n@ SOA a. b. 1 2 3 4 5\n@ NS a.\nwww.other. A 192.0.2.1\n', /^z:5: www\.other\. is outside the zone t\./],
  ['unterminated quote', '$ORIGIN t.\n$TTL 1\n@ SOA a. b. 1 2 3 4 5\nx TXT "open\n', /^z:4: a quoted string does not end on its line/],
  ['unclosed parenthesis', '$ORIGIN t.\n$TTL 1\n@ SOA a. b. ( 1 2 3 4 5\n', /^z:3: a '\(' is never closed/],
  ['stray )', '$ORIGIN t.\n$TTL 1\n@ SOA a. b. 1 2 3 4 5 )\n', /^z:3: '\)' without '\('/],
  ['$INCLUDE', '$ORIGIN t.\n$INCLUDE other.zone\n', /^z:2: \$INCLUDE is not supported/],
  ['bad address', '$ORIGIN t.\n$TTL 1\n@ SOA a. b. 1 2 3 4 5\n@ NS a.\nx A 127.1\n', /^z:5: bad IPv4 address '127\.1'/],
  ['bad AAAA', '$ORIGIN t.\n$TTL 1\n@ SOA a. b. 1 2 3 4 5\n@ NS a.\nx AAAA fe80::1%lo0\n', /^z:5: bad IPv6 address/],
  ['unknown type', '$ORIGIN t.\n$TTL 1\n@ SOA a. b. 1 2 3 4 5\nx FOO bar\n', /^z:4: unknown record type 'FOO'/],
  ['unread type', '$ORIGIN t.\n$TTL 1\n@ SOA a. b. 1 2 3 4 5\nx SSHFP 1 1 abcd\n', /^z:4: SSHFP records are not read here/],
  ['bad \\# length', '$ORIGIN t.\n$TTL 1\n@ SOA a. b. 1 2 3 4 5\nx TYPE99 \\# 3 0a\n', /^z:4: the \\# data is not 3 bytes/],
  ['class CH', '$ORIGIN t.\n$TTL 1\n@ CH SOA a. b. 1 2 3 4 5\n', /^z:3: class CH/],
  ['no TTL at all', '$ORIGIN t.\nx A 192.0.2.1\n', /^z:2: no TTL/],
  ['relative name without origin', 'x 1 A 192.0.2.1\n', /^z:1: relative owner name 'x' with no \$ORIGIN/],
  ['label too long', `$ORIGIN t.\n$TTL 1\n${'a'.repeat(64)} A 192.0.2.1\n`, /label longer than 63/],
];

for (const [what, text, message] of ERRORS) {
  test(`${what} fails with FILE:LINE`, () => {
    assert.throws(() => parseMasterText(text, { file: 'z' }), (e: unknown) => e instanceof NetlabError && e.code === 'INPUT' && message.test(e.message));
  });
}

// issue 10.3: labels holding a dot or a non-ASCII byte were refused ("the lab's DNS server cannot serve"): dns-packet could not encode them
test('a label holding a dot or a non-ASCII byte is read, kept escaped, and served', () => {
  const z = parseMasterText('$ORIGIN t.\n$TTL 1\n@ SOA a. b. 1 2 3 4 5\n@ NS a.\nx\\.y A 192.0.2.1\n\\255z TXT "caf\\195\\169" "\\255"\n', { file: 'z' });
  assert.deepEqual(z.records.slice(2).map((r) => [r.name, r.data]), [['x\\.y.t.', '192.0.2.1'], ['\\255z.t.', '"caf\\195\\169" "\\255"']]);
  // the TXT strings as text: UTF-8 where it is, a stray byte as U+DC00 + byte (lossless)
  assert.deepEqual(z.records[3]!.rdata, { type: 'TXT', strings: ['café', '\udcff'] });
  const a = resolveAuthoritative([z], 'x\\.y.t.', 1);
  assert.deepEqual(a.answers.map((r) => r.data), ['192.0.2.1']);
  assert.equal(resolveAuthoritative([z], 'y.t.', 1).rcode, 3, 'x\\.y is one label, not x under y');
});

test('files: read streaming, loaded for the lab, the serial read from the head only', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-master-'));
  try {
    const file = join(dir, 'db.example.test');
    writeFileSync(file, BIND_STYLE);
    const z = await readMasterFile(file);
    assert.equal(z.records.length, 17);
    assert.equal(await readSerial(file), 2026112301);
    assert.equal(await readSerial(join(dir, 'db.nothing')), undefined);
    const zones = await loadZoneFiles([file]);
    assert.equal(zones[0]!.origin, 'example.test.');
    await assert.rejects(loadZoneFiles([file, file]), /given twice/);
    await assert.rejects(readMasterFile(join(dir, 'missing')), /cannot read '.*missing': no such file/);
    await assert.rejects(readMasterFile(dir), /is a directory/);
    writeFileSync(join(dir, 'bad'), '$ORIGIN t.\n$TTL 1\n@ SOA a. b. 1 2 3 4 5\n@ NS a.\nx CNAME y\nx A 192.0.2.1\n');
    await assert.rejects(readMasterFile(join(dir, 'bad')), /bad:6: x\.t\. has a CNAME and other data/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// issue 9.3: lone CRs joined the lines of a master file into one (readSerial split on LF only); BIND ends a line at a lone CR
test('a lone CR ends a line in a master file, as in BIND: the zone and its serial read as with LF', async () => {
  const lf = '$ORIGIN t.\n$TTL 60\n@ IN SOA ns. h. (\n 2026010107 ; serial\n 1 1 1 1 )\n@ IN NS ns.\na IN A 192.0.2.1\nb IN A 192.0.2.2\n';
  const cr = lf.replace(/\n/g, '\r');
  assert.deepEqual(parseMasterText(cr), parseMasterText(lf));
  assert.equal(parseMasterText(lf.replace('\nb IN', '\rb IN')).records.length, 4);
  const dir = mkdtempSync(join(tmpdir(), 'netlab-master-'));
  try {
    writeFileSync(join(dir, 'db.t'), cr);
    assert.equal(await readSerial(join(dir, 'db.t')), 2026010107);
    assert.deepEqual((await readMasterFile(join(dir, 'db.t'))).records, parseMasterText(lf).records);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// issue 9.10: the serial read of a db.DOMAIN that is a FIFO hung forever (a blocking open)
test('readSerial refuses a FIFO at once (opened non-blocking), and a directory', { skip: process.platform === 'win32' ? 'no FIFOs on Windows' : false }, async () => {
  const { execFileSync } = await import('node:child_process');
  const dir = mkdtempSync(join(tmpdir(), 'netlab-master-'));
  try {
    execFileSync('mkfifo', [join(dir, 'db.t')]);
    await assert.rejects(readSerial(join(dir, 'db.t')), /cannot read '.*db\.t': not a regular file/);
    await assert.rejects(readSerial(dir), /not a regular file|is a directory/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
