/**
 * issue 12: the checks file loader. Every bad input of the issue is one error with its
 * FILE:LINE:COL (all collected, nothing run), and a good file loads to the checks as written
 * (the defaults first, the command line split as a shell splits words, never run by one).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChecksFileError, loadChecks } from '../../src/check/load.js';
import { splitCommandLine, SplitError } from '../../src/check/split.js';

/** The error lines a file gives (it must fail). */
async function errors(text: string): Promise<string[]> {
  try {
    await loadChecks(text, 'c.yml');
  } catch (e) {
    assert.ok(e instanceof ChecksFileError, String(e));
    assert.equal(e.code, 'INPUT');
    assert.equal(e.status, 'UNKNOWN');
    return e.errors.map((x) => `${x.file}:${x.line}:${x.col}: ${x.message}`);
  }
  assert.fail('the file loaded');
}

test('a good file: defaults first, the command line split, conditions and options kept', async () => {
  const config = await loadChecks([
    'defaults:',
    '  timeout: 5s',
    '  retries: 1',
    '  dig: -p 5300',
    '  cert-check: [--ca, "lab root.pem"]',
    'checks:',
    '  - name: www answers',
    '    dig: "@127.53.0.3 www.example.test A"',
    '    expect:',
    '      - answer contains 192.0.2.10',
    '      - { that: "timeMs < 200ms", severity: WARNING }',
    '  - name: cert',
    "    cert-check: www.example.test:8443 --connect-to 127.54.0.1 --host 'www.example.test'",
    '    timeout: 1500ms',
    '    retries: 0',
    '    every-address: true',
  ].join('\n'), 'c.yml');
  assert.equal(config.checks.length, 2);
  const [dig, cert] = config.checks;
  assert.deepEqual(dig!.argv, ['-p', '5300', '@127.53.0.3', 'www.example.test', 'A']);
  assert.deepEqual(dig!.expect.map((c) => [c.text, c.severity, c.pos.line, c.pos.col]), [['answer contains 192.0.2.10', 'CRITICAL', 10, 9], ['timeMs < 200ms', 'WARNING', 11, 17]]);
  assert.equal(dig!.timeoutMs, 5000);
  assert.equal(dig!.retries, 1);
  assert.deepEqual(cert!.argv, ['--ca', 'lab root.pem', 'www.example.test:8443', '--connect-to', '127.54.0.1', '--host', 'www.example.test']);
  assert.equal(cert!.timeoutMs, 1500);
  assert.equal(cert!.retries, 0);
  assert.equal(cert!.everyAddress, true);
  assert.deepEqual(cert!.pos, { file: 'c.yml', line: 12, col: 5 });
});

test('JSON files have the same shape and positions', async () => {
  const config = await loadChecks('{"checks": [{"name": "a", "dig": ["@127.0.0.1", "x.test"], "expect": ["rcode == NOERROR"]}]}', 'c.json');
  assert.deepEqual(config.checks[0]!.argv, ['@127.0.0.1', 'x.test']);
  assert.deepEqual(await errors('{"checks": [{"name": "a", "dig": "@127.0.0.1 x.test", "bogus": 1}]}'), ["c.yml:1:55: unknown key 'bogus' (a check has name, dig, cert-check, trace-request, lb-probe, hosts2zone, expect, every-address, every-server, retries, timeout)"]);
});

// issue 12, "Bad input": one line each with FILE:LINE:COL
const BAD: Array<[string, string, RegExp]> = [
  ['invalid YAML', 'checks:\n  - name: a\n    dig: "x\n', /^c\.yml:4:1: Missing closing "quote/],
  ['empty file', '', /^c\.yml:1:1: the file is empty/],
  ['no checks', 'defaults:\n  timeout: 5s\n', /^c\.yml:1:1: the file has no checks:/],
  ['unknown top-level key', 'checkz: []\nchecks:\n  - name: a\n    dig: x.test\n', /^c\.yml:1:1: unknown key 'checkz'/],
  ['duplicate names', 'checks:\n  - name: a\n    dig: x.test\n  - name: a\n    dig: y.test\n', /^c\.yml:4:11: the name 'a' is used twice \(first at 2:11\)/],
  ['no subcommand', 'checks:\n  - name: a\n', /^c\.yml:2:5: a check needs one subcommand/],
  ['two subcommands', 'checks:\n  - name: a\n    dig: x.test\n    cert-check: x.test\n', /^c\.yml:4:5: a check runs one subcommand: dig is given, so cert-check cannot be/],
  ['an option as a key', 'checks:\n  - name: a\n    cert-check: x.test\n    ca: lab.pem\n', /^c\.yml:4:5: 'ca' is an option of cert-check: options go on the command line, `cert-check: HOST\[:PORT\] --ca VALUE`/],
  ['a dig option as a key', 'checks:\n  - name: a\n    dig: x.test\n    port: 53\n', /^c\.yml:4:5: 'port' is an option of dig: options go on the command line/],
  ['unknown key', 'checks:\n  - name: a\n    dig: x.test\n    colour: red\n', /^c\.yml:4:5: unknown key 'colour'/],
  ['unknown option', 'checks:\n  - name: a\n    cert-check: x.test:443 --bogus 3\n', /^c\.yml:3:28: cert-check: unknown option '--bogus'/],
  ['bad value', 'checks:\n  - name: a\n    cert-check: "x.test:443 --warn-days soon"\n', /^c\.yml:3:41: cert-check: --warn-days needs a number/],
  ['missing target', 'checks:\n  - name: a\n    lb-probe: --requests 10\n', /^c\.yml:3:15: lb-probe: missing VIP:PORT/],
  ['unknown dig option', 'checks:\n  - name: a\n    dig: "@127.0.0.1 x.test +bogus"\n', /^c\.yml:3:29: dig: unknown option '\+bogus'/],
  ['dig -f', 'checks:\n  - name: a\n    dig: -f names.txt\n', /^c\.yml:3:10: dig -f runs a batch: a check runs one query/],
  ['dig with two names', 'checks:\n  - name: a\n    dig: a.test b.test\n', /^c\.yml:3:10: dig asks 2 names here: a check runs one query/],
  ['hosts2zone without --verify', 'checks:\n  - name: a\n    hosts2zone: hosts --origin x.test\n', /^c\.yml:3:17: hosts2zone in a check needs --verify/],
  ['lab as a check', 'checks:\n  - name: a\n    lab: ""\n', /^c\.yml:3:5: lab cannot be a check/],
  ['demo as a check', 'checks:\n  - name: a\n    demo: ""\n', /^c\.yml:3:5: demo cannot be a check/],
  ['shell syntax', 'checks:\n  - name: a\n    dig: "x.test | grep A"\n', /^c\.yml:3:18: dig: '\|' is shell syntax/],
  ['a variable', 'checks:\n  - name: a\n    dig: "@$SERVER x.test"\n', /^c\.yml:3:12: dig: variables and commands are not expanded/],
  ['unterminated quote', "checks:\n  - name: a\n    dig: x.test 'A\n", /^c\.yml:3:17: dig: unterminated quote/],
  ['a field the result does not have', 'checks:\n  - name: a\n    dig: x.test\n    expect:\n      - answers contains 192.0.2.10\n', /^c\.yml:5:9: condition 'answers contains 192\.0\.2\.10': dig's result has no field 'answers' \(did you mean 'answer'\?\)/],
  ['a field of another subcommand', 'checks:\n  - name: a\n    dig: x.test\n    expect:\n      - "chain[0].daysLeft > 21d"\n', /^c\.yml:5:10: condition .*dig's result has no field 'chain'/],
  ['a bad unit', 'checks:\n  - name: a\n    dig: x.test\n    expect:\n      - timeMs < 3d\n', /^c\.yml:5:18: condition 'timeMs < 3d': 'timeMs' is in milliseconds/],
  ['a bad severity', 'checks:\n  - name: a\n    dig: x.test\n    expect:\n      - { that: "timeMs < 3ms", severity: INFO }\n', /^c\.yml:5:43: severity is WARNING or CRITICAL/],
  ['every-address on dig', 'checks:\n  - name: a\n    dig: "@127.0.0.1 x.test"\n    every-address: true\n', /^c\.yml:4:5: every-address does not apply to dig \(its @server is an address\): use every-server/],
  ['every-server on cert-check', 'checks:\n  - name: a\n    cert-check: x.test\n    every-server: true\n', /^c\.yml:4:5: every-server applies to dig checks only \(the authoritative servers of a zone\), not to cert-check$/],
  ['a bad timeout', 'checks:\n  - name: a\n    dig: x.test\n    timeout: soon\n', /^c\.yml:4:14: timeout needs a duration/],
  ['bad retries', 'checks:\n  - name: a\n    dig: x.test\n    retries: -1\n', /^c\.yml:4:14: retries needs a whole number from 0 to 10/],
  ['a bad defaults key', 'defaults:\n  ca: x.pem\nchecks:\n  - name: a\n    dig: x.test\n', /^c\.yml:2:3: unknown key 'ca' in defaults:/],
  ['a bad default argument', 'defaults:\n  dig: +bogus\nchecks:\n  - name: a\n    dig: x.test\n', /^c\.yml:2:8: dig: unknown option '\+bogus'/],
];

for (const [what, text, want] of BAD) {
  test(`bad input, ${what}: one error with FILE:LINE:COL`, async () => {
    const got = await errors(text);
    assert.equal(got.length, 1, got.join('\n'));
    assert.match(got[0]!, want);
  });
}

test('every error of a file is reported, in the order of the file', async () => {
  const got = await errors('checks:\n  - name: a\n    dig: x.test +bogus\n  - name: a\n    cert-check: x.test\n    ca: y\n  - name: c\n    dig: x.test\n    expect: [nope == 1]\n');
  assert.deepEqual(got.map((l) => l.split(': ')[0]), ['c.yml:3:17', 'c.yml:4:11', 'c.yml:6:5', 'c.yml:9:14']);
});

test('the command line splits as a shell splits words, and is never run', () => {
  const words = (s: string) => splitCommandLine(s).map((w) => w.text);
  assert.deepEqual(words(`a 'b c' "d \\"e\\" \\$f" g\\ h ''`), ['a', 'b c', 'd "e" $f', 'g h', '']);
  assert.deepEqual(splitCommandLine('  x  yy').map((w) => w.offset), [2, 5]);
  assert.deepEqual(words(`'$(rm -rf /)' "a|b" 'x;y'`), ['$(rm -rf /)', 'a|b', 'x;y']);
  for (const bad of ['a | b', 'a; b', 'a && b', 'a > f', '`id`', '$(id)', '$HOME', '${X}', '"a', "'a", 'a\\']) {
    assert.throws(() => splitCommandLine(bad), SplitError, bad);
  }
});

// {{name}} placeholders: the file's vars:, the caller's (--set) over them, an unknown one an error
test('vars: fill {{name}} in command lines and defaults; the caller overrides; an unknown one is FILE:LINE:COL', async () => {
  const text = 'vars:\n  port: 53\n  host: www.example.test\ndefaults:\n  dig: -p {{port}}\nchecks:\n  - name: a\n    dig: "@127.0.0.1 {{host}} A"\n  - name: b\n    dig: ["@127.0.0.1", "{{ host }}"]\n';
  const own = await loadChecks(text, 'v.yml');
  assert.deepEqual(own.checks.map((c) => c.argv), [['-p', '53', '@127.0.0.1', 'www.example.test', 'A'], ['-p', '53', '@127.0.0.1', 'www.example.test']]);
  const given = await loadChecks(text, 'v.yml', { vars: { port: '5300' } });
  assert.deepEqual(given.checks[0]!.argv.slice(0, 2), ['-p', '5300']);
  await assert.rejects(loadChecks('checks:\n  - name: a\n    dig: "@127.0.0.1 {{nope}}"\n', 'v.yml'), (e: Error) => {
    assert.match(e.message, /^v\.yml:3:10: dig: \{\{nope\}\} is not a variable \(the file has no vars:; give it with --set nope=VALUE\)/m);
    return true;
  });
  await assert.rejects(loadChecks('vars:\n  Bad: 1\nchecks:\n  - name: a\n    dig: x.test\n', 'v.yml'), /v\.yml:2:3: vars: 'Bad' is not a variable name/);
});
