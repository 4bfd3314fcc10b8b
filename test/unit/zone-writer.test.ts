/**
 * From hosts lines to master files: placement under the origin, duplicates, conflicts with
 * both FILE:LINE places, CNAME never beside other data, --aliases a, NS glue, reverse zones,
 * RPZ, serials, and the escaping of every name and mailbox written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataLines, head, modelFrom, reverseTexts, zoneText } from '../helpers/hosts-model.js';
import { HostsModel, type ModelOptions } from '../../src/protocol/zone/model.js';
import { newEntry, type HostsIssue } from '../../src/protocol/zone/hosts.js';
import { ipv4FromInt } from '../../src/util/ip.js';

/** A problem's severity, or 'note'. */
const severity = (i: HostsIssue) => ('severity' in i ? i.severity : 'note');
import { formatIssue } from '../../src/commands/hosts2zone/render.js';
import {
  absoluteText, dateSerial, hostNameOption, labelText, mailboxToRname, nameText, nextSerial, reverseZoneOf4, reverseZoneOf6,
  serialGreater, zoneHeadText,
} from '../../src/protocol/zone/writer.js';
import { parseMasterText } from '../../src/protocol/zone/master.js';
import { NetlabError } from '../../src/errors.js';

test('names inside the origin become relative owners, short names go under it, others are skipped with FILE:LINE', async () => {
  const { model, issues } = await modelFrom('192.0.2.1 www.corp.test\n192.0.2.2 short\n192.0.2.3 www.other.org\n192.0.2.4 corp.test\n192.0.2.5 a.b.corp.test\n');
  const z = zoneText(model);
  assert.deepEqual(dataLines(z.text), ['www A 192.0.2.1', 'short A 192.0.2.2', '@ A 192.0.2.4', 'a.b A 192.0.2.5']);
  assert.equal(issues.length, 1);
  assert.equal(formatIssue(issues[0]!), "office.hosts:3: warning: 'www.other.org' is outside corp.test: skipped");
});

test('the canonical name gets the addresses, aliases a CNAME to it; the FQDN and the short name are one name', async () => {
  const { model, issues } = await modelFrom('192.0.2.10 www.corp.test www web intranet\n2001:db8::10 www\n');
  assert.deepEqual(issues, []);
  assert.deepEqual(dataLines(zoneText(model).text), ['www A 192.0.2.10', 'www AAAA 2001:db8::10', 'web CNAME www', 'intranet CNAME www']);
});

test('a host with several addresses gets several records; exact duplicates are merged silently', async () => {
  const { model, issues } = await modelFrom('192.0.2.1 rr web\n192.0.2.2 rr\n192.0.2.1 rr web\n192.0.2.1 rr.corp.test\n');
  assert.deepEqual(issues, []);
  assert.deepEqual(dataLines(zoneText(model).text), ['rr A 192.0.2.1', 'rr A 192.0.2.2', 'web CNAME rr']);
});

// issue 10.6: --aliases a gave an alias the addresses its canonical name has on other lines
// (`192.0.2.10 web www` plus `2001:db8::10 web` wrote `www AAAA 2001:db8::10`); getaddrinfo
// over the same file answers www with 192.0.2.10 only
const ALIAS_ADDRESSES: Array<[string, string, Partial<ModelOptions>, string[]]> = [
  ['--aliases a: the lines the alias stands on, not its name\'s other lines', '192.0.2.10 web www\n2001:db8::10 web\n', { aliases: 'a' },
    ['web A 192.0.2.10', 'web AAAA 2001:db8::10', 'www A 192.0.2.10']],
  ['--aliases a: an alias on two lines of its name gets both addresses, not a third line\'s', '192.0.2.10 web www\n2001:db8::10 web www\n192.0.2.11 web\n', { aliases: 'a' },
    ['web A 192.0.2.10', 'web AAAA 2001:db8::10', 'web A 192.0.2.11', 'www A 192.0.2.10', 'www AAAA 2001:db8::10']],
  ['--aliases a: every alias of a line gets that line\'s address', '192.0.2.10 www web intranet\n2001:db8::10 www\n', { aliases: 'a' },
    ['www A 192.0.2.10', 'www AAAA 2001:db8::10', 'web A 192.0.2.10', 'intranet A 192.0.2.10']],
  ['cname: an alias that cannot be a CNAME (it has an address of its own) gets its lines\' addresses too', '192.0.2.10 www web\n192.0.2.11 www\n192.0.2.12 web\n', {},
    ['www A 192.0.2.10', 'www A 192.0.2.11', 'web A 192.0.2.10', 'web A 192.0.2.12']],
  ['cname: the apex as an alias gets the address of its line only', '192.0.2.1 www corp.test\n2001:db8::1 www\n', {},
    ['www A 192.0.2.1', 'www AAAA 2001:db8::1', '@ A 192.0.2.1']],
  ['cname: an alias as a CNAME follows its name (all of its addresses, through the CNAME)', '192.0.2.10 web www\n2001:db8::10 web\n', {},
    ['web A 192.0.2.10', 'web AAAA 2001:db8::10', 'www CNAME web']],
];

for (const [what, hosts, options, expected] of ALIAS_ADDRESSES) {
  test(what, async () => {
    const { model } = await modelFrom(hosts, options);
    const lines = dataLines(zoneText(model).text);
    assert.deepEqual([...lines].sort(), [...expected].sort());
    // what --verify expects a client to get is what the zone holds (through a CNAME too)
    for (const v of model.owners()) {
      if (v.kind !== 'address') continue;
      const own = lines.filter((l) => l.startsWith(`${v.owner} `)).map((l) => l.split(' ')[2]).sort();
      const v4: number[] = [];
      const v6: string[] = [];
      model.addressesOf(v.id, v4, v6);
      assert.deepEqual([...v4.map(ipv4FromInt), ...v6].sort(), own, v.owner);
    }
  });
}

test('a name that is an alias and has addresses of its own is never a CNAME: address records, warned with both places', async () => {
  const { model, issues } = await modelFrom('192.0.2.10 www web\n192.0.2.12 web\n');
  assert.deepEqual(dataLines(zoneText(model).text), ['www A 192.0.2.10', 'web A 192.0.2.12', 'web A 192.0.2.10']);
  assert.equal(issues.length, 1);
  assert.equal(issues[0]!.code, 'CONFLICT');
  assert.match(formatIssue(issues[0]!), /^office\.hosts:2: warning: 'web\.corp\.test' has the address 192\.0\.2\.12 here and is an alias of 'www\.corp\.test' at office\.hosts:1: written as address records/);
});

test('the same conflict in the other order, across two files', async () => {
  const { model, issues } = await modelFrom([['a.hosts', '192.0.2.12 web\n'], ['b.hosts', '\n192.0.2.10 www web\n']]);
  assert.deepEqual(dataLines(zoneText(model).text), ['web A 192.0.2.12', 'web A 192.0.2.10', 'www A 192.0.2.10']);
  assert.match(formatIssue(issues[0]!), /^b\.hosts:2: warning: 'web\.corp\.test' is an alias of 'www\.corp\.test' here and has the address 192\.0\.2\.12 at a\.hosts:1/);
});

test('an alias of two names gets the addresses of both, warned with both places', async () => {
  const { model, issues } = await modelFrom('192.0.2.1 a x\n192.0.2.2 b x\n');
  assert.deepEqual(dataLines(zoneText(model).text), ['a A 192.0.2.1', 'x A 192.0.2.1', 'x A 192.0.2.2', 'b A 192.0.2.2']);
  assert.match(formatIssue(issues[0]!), /^office\.hosts:2: warning: 'x\.corp\.test' is an alias of 'a\.corp\.test' at office\.hosts:1 and of 'b\.corp\.test' here/);
});

test('the apex is never a CNAME (it holds the SOA and NS)', async () => {
  const { model, issues } = await modelFrom('192.0.2.1 www corp.test\n');
  assert.deepEqual(dataLines(zoneText(model).text), ['www A 192.0.2.1', '@ A 192.0.2.1']);
  assert.equal(issues[0]!.code, 'APEX_ALIAS');
});

test('an in-zone name server is never a CNAME (RFC 2181 10.3) and its address is in the zone as glue', async () => {
  const { model, issues } = await modelFrom('192.0.2.53 dns ns1\n', { ns: ['ns1.corp.test'] });
  assert.deepEqual(issues, []);
  assert.deepEqual(model.nameServersWithoutAddress(), []);
  assert.deepEqual(dataLines(zoneText(model).text), ['ns1 A 192.0.2.53', 'dns A 192.0.2.53']);
});

test('an in-zone name server without an address is found', async () => {
  const { model } = await modelFrom('192.0.2.1 www\n', { ns: ['ns1.corp.test'] });
  assert.deepEqual(model.nameServersWithoutAddress(), ['ns1.corp.test']);
});

test("a name with '_': a CNAME when it is an alias, skipped (warned) when it would need addresses", async () => {
  const { model, issues } = await modelFrom('192.0.2.1 my_host myhost\n192.0.2.2 only_underscore\n');
  assert.deepEqual(dataLines(zoneText(model).text), ['myhost A 192.0.2.1', 'my_host CNAME myhost']);
  assert.deepEqual(issues.map((i) => [i.line, i.code, severity(i)]), [[1, 'UNDERSCORE', 'WARNING'], [2, 'UNDERSCORE', 'WARNING']]);
  assert.match(issues[1]!.message, /skipped, BIND's check-names refuses it/);
  // the library names the remedy; the CLI renders it as the flag
  assert.equal(issues[1]!.remedy, 'allowUnderscore');
  assert.match(formatIssue(issues[1]!), /skipped.*\(--allow-underscore writes it\)$/);
  const allowed = await modelFrom('192.0.2.2 only_underscore\n', { allowUnderscore: true });
  assert.deepEqual(dataLines(zoneText(allowed.model).text), ['only_underscore A 192.0.2.2']);
  assert.match(allowed.issues[0]!.message, /check-names ignore/);
});

test("the machine's own names (localhost, ip6-*) are noted, not put in the zone", async () => {
  const { model, issues } = await modelFrom('127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\nff02::1 ip6-allnodes\n192.0.2.1 www\n');
  assert.deepEqual(dataLines(zoneText(model).text), ['www A 192.0.2.1']);
  // issue 10.6: `every` passed with no issue at all: one note per name left out, with its line
  assert.deepEqual(issues.map((i) => [i.line, i.code, severity(i)]), [
    [1, 'LOCAL_NAME', 'note'], [2, 'LOCAL_NAME', 'note'], [2, 'LOCAL_NAME', 'note'], [2, 'LOCAL_NAME', 'note'], [3, 'LOCAL_NAME', 'note'],
  ]);
  assert.equal(model.isBlocklist, false);
});

test('every name and mailbox written is escaped (RFC 1035 5.1), never raw', () => {
  assert.equal(labelText('a;b$c"d e\\f(g)h@i.j'), 'a\\;b\\$c\\"d\\032e\\\\f\\(g\\)h\\@i\\.j');
  assert.equal(nameText('www.corp.test'), 'www.corp.test');
  assert.equal(nameText('semi;colon.test'), 'semi\\;colon.test');
  assert.equal(absoluteText('corp.test'), 'corp.test.');
  assert.equal(mailboxToRname('hostmaster@corp.test'), 'hostmaster.corp.test.');
  assert.equal(mailboxToRname('john.doe@corp.test'), 'john\\.doe.corp.test.');
  assert.equal(mailboxToRname('o"brien;x$y\\z@Corp.Test.'), 'o\\"brien\\;x\\$y\\\\z.corp.test.');
  assert.equal(mailboxToRname('hostmaster.corp.test'), 'hostmaster.corp.test.');
  assert.equal(mailboxToRname('john\\.doe.corp.test.'), 'john\\.doe.corp.test.');
  for (const bad of ['john doe@corp.test', 'tab\there@corp.test', 'x@bad;domain', '@corp.test', 'nodomain', 'é@corp.test', 'x@-corp.test']) {
    assert.throws(() => mailboxToRname(bad), (e: unknown) => e instanceof NetlabError && e.code === 'USAGE', bad);
  }
});

test('the writer escapes an owner it did not validate (an RPZ name with ; $ " space \\)', () => {
  const model = new HostsModel({ origin: 'rpz.test', format: 'rpz', aliases: 'cname', reverse: false, allowUnderscore: false }, () => undefined);
  const fi = model.addFile('hand.hosts');
  const e = newEntry();
  const name = 'a;b$c"d e\\f.example';
  e.family = 4;
  e.v4 = 0;
  e.count = 1;
  e.starts[0] = 0;
  e.bufs[0] = e.bytes;
  e.lengths[0] = e.bytes.write(name, 0, 'latin1');
  model.add(e, fi, 1);
  const z = zoneText(model, head('rpz.test'));
  const line = z.text.split('\n').find((l) => l.includes('CNAME'))!;
  assert.equal(line, 'a\\;b\\$c\\"d\\032e\\\\f.example\tCNAME\t.');
  assert.ok(!z.text.includes(name));
  // and it reads back as the same name
  const read = parseMasterText(z.text, { file: 'rpz' });
  assert.ok(read.records.some((r) => r.name === `${line.split('\t')[0]}.rpz.test.` && r.type === 'CNAME'));
});

test('options naming hosts: IDN to punycode, trailing dot, case; bad names refused with the option', () => {
  assert.equal(hostNameOption('Corp.Test.', '--origin'), 'corp.test');
  assert.equal(hostNameOption('bücher.test', '--origin'), 'xn--bcher-kva.test');
  for (const bad of ['a;b.test', 'a b', '-x.test', 'a..b', 'my_zone.test', '1.2.3.4']) {
    assert.throws(() => hostNameOption(bad, '--origin'), (e: unknown) => e instanceof NetlabError && e.code === 'USAGE' && e.message.startsWith('--origin'), bad);
  }
});

test('serials: YYYYMMDD00, then previous + 1 on the same day; RFC 1982 comparison', () => {
  const day = new Date('2026-11-23T10:00:00Z');
  assert.equal(dateSerial(day), 2026112300);
  assert.equal(nextSerial(day), 2026112300);
  assert.equal(nextSerial(day, 2026112300), 2026112301);
  assert.equal(nextSerial(day, 2026112307), 2026112308);
  assert.equal(nextSerial(day, 2026112099), 2026112300);
  assert.equal(nextSerial(day, 4000000000), 4000000001); // not a date, and greater (RFC 1982)
  assert.equal(nextSerial(day, 4294967295), 2026112300); // 2026112300 is greater than 2^32-1 in serial arithmetic
  assert.ok(serialGreater(1, 0));
  assert.ok(serialGreater(0, 4294967295));
  assert.ok(!serialGreater(5, 5));
  assert.ok(!serialGreater(0, 2147483648));
});

test('the head: $ORIGIN, $TTL, SOA with its timers, NS', () => {
  const t = zoneHeadText({ ...head(), comments: ['from a\nfile'] });
  assert.match(t, /^; from a\?file\n\$ORIGIN corp\.test\.\n\$TTL 3600\n@\tIN\tSOA\tns1\.corp\.test\. hostmaster\.corp\.test\. \(\n\t\t2026010100\t; serial\n/);
  assert.match(t, /\t\t3600 \)\t; minimum: negative caching TTL \(1 hour\)\n@\tIN\tNS\tns1\.corp\.test\.\n$/);
  const z = parseMasterText(t, { file: 'head' });
  assert.deepEqual(z.records[0]!.rdata, { type: 'SOA', mname: 'ns1.corp.test.', rname: 'hostmaster.corp.test.', serial: 2026010100, refresh: 3600, retry: 900, expire: 1209600, minimum: 3600 });
});

test('reverse: one in-addr.arpa zone per /24, PTR to the fully qualified canonical name, one per address', async () => {
  const { model, issues } = await modelFrom('192.0.2.10 www web\n192.0.2.25 mail\n198.51.100.7 far\n192.0.2.10 other\n', { reverse: true });
  const zones = reverseTexts(model);
  assert.deepEqual([...zones.keys()], ['2.0.192.in-addr.arpa', '100.51.198.in-addr.arpa']);
  assert.deepEqual(dataLines(zones.get('2.0.192.in-addr.arpa')!), ['10 PTR www.corp.test.', '25 PTR mail.corp.test.']);
  assert.deepEqual(dataLines(zones.get('100.51.198.in-addr.arpa')!), ['7 PTR far.corp.test.']);
  // 192.0.2.10 is www (line 1) and other (line 4): PTR to the first, warned with both places
  assert.equal(issues.length, 1);
  assert.equal(issues[0]!.code, 'PTR_CONFLICT');
  assert.match(formatIssue(issues[0]!), /^office\.hosts:4: warning: 192\.0\.2\.10 is 'www\.corp\.test' at office\.hosts:1 and 'other\.corp\.test' here/);
});

test('reverse: ip6.arpa nibble zones per /64 by default, per --v6-prefix otherwise', async () => {
  const { model } = await modelFrom('2001:db8::10 www\n2001:db8:0:1::5 lab\n', { reverse: true });
  const z64 = reverseTexts(model, 64);
  assert.deepEqual([...z64.keys()], ['0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa', '1.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa']);
  assert.deepEqual(dataLines(z64.get('0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa')!), ['0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0 PTR www.corp.test.']);
  const z48 = reverseTexts(model, 48);
  assert.deepEqual([...z48.keys()], ['0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa']);
  assert.equal(reverseZoneOf6('20010db8000000000000000000000010', 32).zone, '8.b.d.0.1.0.0.2.ip6.arpa');
  assert.deepEqual(reverseZoneOf4(0xc0000201), { zone: '2.0.192.in-addr.arpa', owner: '1' });
});

test('a blocklist is detected (every entry at 0.0.0.0 or 127.0.0.1, the machine lines aside)', async () => {
  const list = '127.0.0.1 localhost\n::1 localhost\n0.0.0.0 ads.example.com\n0.0.0.0 track.example.net pixel.example.net\n127.0.0.1 spy.example.org\n';
  assert.equal((await modelFrom(list)).model.isBlocklist, true);
  assert.equal((await modelFrom(`${list}192.0.2.1 www\n`)).model.isBlocklist, false);
});

test('--format rpz: blocked names are `NAME CNAME .`, other addresses local data, conflicts warned', async () => {
  const list = '0.0.0.0 ads.example.com\n0.0.0.0 track.example.net pixel.example.net\n0.0.0.0 ads.example.com\n192.0.2.7 intranet.example\n0.0.0.0 intranet.example\n';
  const { model, issues } = await modelFrom(list, { format: 'rpz', origin: 'rpz.corp.test' });
  const z = zoneText(model, head('rpz.corp.test'));
  assert.deepEqual(dataLines(z.text), ['ads.example.com CNAME .', 'track.example.net CNAME .', 'pixel.example.net CNAME .', 'intranet.example CNAME .']);
  assert.equal(issues.length, 1);
  assert.match(formatIssue(issues[0]!), /^office\.hosts:5: warning: 'intranet\.example' is blocked here and has the address 192\.0\.2\.7 at office\.hosts:4/);
  const local = await modelFrom('192.0.2.7 intranet.example\n0.0.0.0 ads.example\n', { format: 'rpz', origin: 'rpz.corp.test' });
  assert.deepEqual(dataLines(zoneText(local.model, head('rpz.corp.test')).text), ['intranet.example A 192.0.2.7', 'ads.example CNAME .']);
});

test('the record count includes the SOA and the NS records', async () => {
  const { model } = await modelFrom('192.0.2.1 a b\n192.0.2.2 c\n');
  assert.equal(zoneText(model).records, 1 + 1 + 3);
});

test('every zone written reads back with the same data', async () => {
  const { model } = await modelFrom('192.0.2.10 www web\n2001:db8::10 www\n192.0.2.1 corp.test\n192.0.2.53 ns1\n', { reverse: true, ns: ['ns1.corp.test'] });
  const fwd = parseMasterText(zoneText(model).text, { file: 'db.corp.test' });
  assert.equal(fwd.origin, 'corp.test.');
  const rows = fwd.records.map((r) => `${r.name.replace(/\.$/, '')} ${r.type} ${r.data.replace(/\.$/, '')}`);
  assert.deepEqual(rows.slice(2), ['ns1.corp.test A 192.0.2.53', 'www.corp.test A 192.0.2.10', 'www.corp.test AAAA 2001:db8::10', 'web.corp.test CNAME www.corp.test', 'corp.test A 192.0.2.1']);
  // issue 10.6: `every` passed when no PTR was written: each address has its PTR, to its first canonical name
  const ptrs: string[] = [];
  for (const [origin, text] of reverseTexts(model)) {
    const z = parseMasterText(text, { file: origin });
    assert.equal(z.origin, `${origin}.`);
    for (const r of z.records) if (r.type === 'PTR') ptrs.push(`${r.name.replace(/\.$/, '')} ${r.data.replace(/\.$/, '')}`);
  }
  assert.deepEqual(ptrs.sort(), [
    '0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa www.corp.test',
    '1.2.0.192.in-addr.arpa corp.test',
    '10.2.0.192.in-addr.arpa www.corp.test',
    '53.2.0.192.in-addr.arpa ns1.corp.test',
  ]);
});
