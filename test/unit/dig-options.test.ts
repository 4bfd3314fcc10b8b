import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBatchLine, parseDigArgs } from '../../src/commands/dig/options.js';
import { NetlabError } from '../../src/errors.js';

const valid: Array<[string, string[], (o: ReturnType<typeof parseDigArgs>) => void]> = [
  ['name only defaults to A IN', ['example.test'], (o) => assert.deepEqual(o.queries, [{ name: 'example.test', type: 1, class: 1 }])],
  ['type after name', ['example.test', 'MX'], (o) => assert.equal(o.queries[0]!.type, 15)],
  ['type before name', ['mx', 'example.test'], (o) => assert.equal(o.queries[0]!.type, 15)],
  ['-t and -c', ['-t', 'TXT', '-c', 'CH', 'version.bind'], (o) => assert.deepEqual(o.queries[0], { name: 'version.bind', type: 16, class: 3 })],
  ['@server and -p in any order', ['-p', '5353', 'x.test', '@127.0.0.1'], (o) => { assert.equal(o.server, '127.0.0.1'); assert.equal(o.port, 5353); }],
  ['glued -p53', ['-p53', 'x.test'], (o) => assert.equal(o.port, 53)],
  ['TYPEnnn', ['x.test', 'TYPE65534'], (o) => assert.equal(o.queries[0]!.type, 65534)],
  ['HTTPS type', ['x.test', 'HTTPS'], (o) => assert.equal(o.queries[0]!.type, 65)],
  ['-x IPv4', ['-x', '192.0.2.1'], (o) => assert.deepEqual(o.queries[0], { name: '1.2.0.192.in-addr.arpa.', type: 12, class: 1 })],
  ['-x IPv6', ['-x', '2001:db8::1'], (o) => assert.equal(o.queries[0]!.name, '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.')],
  ['+short +tcp +norec', ['x.test', '+short', '+tcp', '+norec'], (o) => { assert.ok(o.short); assert.ok(o.tcp); assert.equal(o.recurse, false); }],
  ['+trace turns recursion off', ['+trace', 'x.test'], (o) => { assert.ok(o.trace); assert.equal(o.recurse, false); }],
  ['+time +tries +retry', ['x.test', '+time=2', '+retry=0'], (o) => { assert.equal(o.timeoutMs, 2000); assert.equal(o.tries, 1); }],
  ['+bufsize +dnssec +nsid +noedns', ['x.test', '+bufsize=4096', '+dnssec', '+nsid', '+noedns'], (o) => { assert.equal(o.bufsize, 4096); assert.ok(o.dnssec); assert.ok(o.nsid); assert.equal(o.edns, false); }],
  ['+json and --json', ['x.test', '--json'], (o) => assert.ok(o.json)],
  ['+noall +answer', ['x.test', '+noall', '+answer'], (o) => { assert.equal(o.sections.answer, true); assert.equal(o.sections.question, false); assert.equal(o.sections.stats, false); }],
  ['no name asks for the root NS', [], (o) => assert.deepEqual(o.queries[0], { name: '.', type: 2, class: 1 })],
  ['IDN name becomes punycode', ['bücher.example'], (o) => assert.equal(o.queries[0]!.name, 'xn--bcher-kva.example')],
  ['two names, two queries', ['a.test', 'MX', 'b.test'], (o) => assert.deepEqual(o.queries.map((q) => [q.name, q.type]), [['a.test', 15], ['b.test', 1]])],
  ['-f file', ['-f', 'names.txt'], (o) => { assert.equal(o.batchFile, 'names.txt'); assert.equal(o.queries.length, 0); }],
];

for (const [name, argv, check] of valid) {
  test(`dig syntax: ${name}`, () => check(parseDigArgs(argv)));
}

const invalid: Array<[string, string[], RegExp]> = [
  ['unknown +option', ['x.test', '+bogus'], /unknown option '\+bogus'/],
  ['unknown -t type', ['-t', 'BOGUS', 'x.test'], /unknown type 'BOGUS'/],
  ['bad -x address', ['-x', '300.1.1.1'], /not an IPv4 or IPv6 address/],
  ['scoped -x address', ['-x', 'fe80::1%lo'], /not an IPv4 or IPv6 address/],
  ['-p out of range', ['-p', '70000', 'x.test'], /-p must be from 1 to 65535/],
  ['-p not a number', ['-p', 'abc', 'x.test'], /-p needs a whole number/],
  ['+time=0', ['+time=0', 'x.test'], /\+time must be from 1/],
  ['missing value', ['-t'], /-t needs a value/],
  ['unknown dash option', ['-z', 'x.test'], /unknown option '-z'/],
  ['lone @', ['@', 'x.test'], /'@' needs a server/],
];

for (const [name, argv, message] of invalid) {
  test(`dig syntax error: ${name} is a usage error`, () => {
    assert.throws(() => parseDigArgs(argv), (e: unknown) => e instanceof NetlabError && e.code === 'USAGE' && message.test(e.message));
  });
}

test('a plain -f line (NAME or NAME TYPE) gives the queries parseDigArgs gives, under the base options', () => {
  const base = parseDigArgs(['@127.0.0.1', '-p', '5353', '+tcp', '-f', 'x']);
  for (const line of ['www.example.test', 'www.example.test AAAA', 'example.test mx', 'x TYPE65534', 'bücher.example', '  spaced.test\tTXT  ', 'ns', 'name CH', 'name IN MX', 'www ANY', 'A', 'name notatype']) {
    const got = parseBatchLine(line, base)!;
    const slow = parseDigArgs(line.trim().split(/\s+/));
    assert.deepEqual(got.map((j) => j.query), slow.queries, line);
    // nothing on these lines changes an option: they run under the base options object itself
    assert.ok(got.every((j) => j.options === base), line);
  }
});

// the same table through the command's own entry point, as src/cli.ts and the demo reach it
const { parseArgv, HelpRequested } = await import('../../src/commands/command.js');
const { command } = await import('../../src/commands/dig/index.js');

const THROUGH_PARSE_ARGV: Array<[string[], Partial<Record<'server' | 'port' | 'json' | 'short' | 'trace' | 'tcp' | 'recurse' | 'timeoutMs' | 'concurrency' | 'batchFile', unknown>>, Array<[string, number, number]>]> = [
  [['www.example.test'], { port: 53, json: false, recurse: true, timeoutMs: 5000, concurrency: 16 }, [['www.example.test', 1, 1]]],
  [['@127.0.0.1', '-p', '5353', 'example.test', 'MX', '--json'], { server: '127.0.0.1', port: 5353, json: true }, [['example.test', 15, 1]]],
  [['+trace', '+short', 'x.test', 'AAAA', '+time=2'], { trace: true, short: true, recurse: false, timeoutMs: 2000 }, [['x.test', 28, 1]]],
  [['-f', 'names.txt', '--concurrency', '4', '+tcp'], { batchFile: 'names.txt', concurrency: 4, tcp: true }, []],
  [['-x', '192.0.2.1', '+json'], { json: true }, [['1.2.0.192.in-addr.arpa.', 12, 1]]],
];

for (const [argv, fields, queries] of THROUGH_PARSE_ARGV) {
  test(`parseArgv(dig, ${JSON.stringify(argv)}) gives the options parseDigArgs gives`, async () => {
    const o = await parseArgv(command, argv);
    for (const [k, v] of Object.entries(fields)) assert.deepEqual((o as unknown as Record<string, unknown>)[k], v, k);
    assert.deepEqual(o.queries.map((q) => [q.name, q.type, q.class]), queries);
    assert.deepEqual(o, parseDigArgs([...argv]));
  });
}

test('parseArgv(dig): -h and --help ask for the help text; a bad token is USAGE', async () => {
  for (const argv of [['-h'], ['x.test', '--help']]) {
    await assert.rejects(parseArgv(command, argv), (e: unknown) => e instanceof HelpRequested && /^Usage: netlab dig/.test(e.text));
  }
  await assert.rejects(parseArgv(command, ['x.test', '+bogus']), (e: unknown) => e instanceof NetlabError && e.code === 'USAGE');
});

// issue 14: transfers and TSIG on dig's command line
test('dig syntax: AXFR, ixfr=N (as a type token and with -t), -y and -k', () => {
  assert.deepEqual(parseDigArgs(['@127.0.0.1', 'example.test', 'AXFR']).queries, [{ name: 'example.test', type: 252, class: 1 }]);
  assert.deepEqual(parseDigArgs(['example.test', 'IXFR=2026112301']).queries, [{ name: 'example.test', type: 251, class: 1, serial: 2026112301 }]);
  assert.deepEqual(parseDigArgs(['-t', 'ixfr=5', 'example.test']).queries, [{ name: 'example.test', type: 251, class: 1, serial: 5 }]);
  assert.deepEqual(parseDigArgs(['ixfr=0', 'example.test']).queries, [{ name: 'example.test', type: 251, class: 1, serial: 0 }]);
  const y = parseDigArgs(['-y', 'hmac-sha256:k:AAAA', 'x.test']);
  assert.deepEqual(y.tsigKey, { name: 'k', algorithm: 'hmac-sha256', secret: Buffer.from('AAAA', 'base64') });
  assert.equal(parseDigArgs(['-k', 'k.key', 'x.test']).tsigKeyFile, 'k.key');
  assert.equal(parseDigArgs(['-kk.key', 'x.test']).tsigKeyFile, 'k.key');
  for (const bad of [['-y', 'k:not-base64!', 'x'], ['-y', 'hmac-foo:k:AAAA', 'x'], ['-y'], ['x', 'ixfr=abc'], ['x', 'ixfr=4294967296']]) {
    assert.throws(() => parseDigArgs(bad), (e: unknown) => e instanceof NetlabError && e.code === 'USAGE', bad.join(' '));
  }
});
