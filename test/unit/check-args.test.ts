/**
 * `netlab check` argv -> options, through parseArgv and the command's declarations: the
 * defaults come from the declarations, every bad value is one USAGE line naming the option.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgv } from '../../src/commands/command.js';
import { command } from '../../src/commands/check/index.js';
import type { CheckOptions } from '../../src/commands/check/options.js';
import { NetlabError } from '../../src/errors.js';

const parse = (argv: string[]): Promise<CheckOptions> => parseArgv(command, argv);

test('argv -> options: the defaults, and each option as given (--set repeatable, the last of a name wins)', async () => {
  const cases: Array<[string[], Partial<CheckOptions>]> = [
    [['c.yml'], { file: 'c.yml', concurrency: 8, github: false, failOn: 'warning', validate: false, json: false }],
    [['c.yml', '--concurrency', '2', '--deadline', '30', '--fail-on', 'CRITICAL', '--json'], { concurrency: 2, deadlineMs: 30_000, failOn: 'critical', json: true }],
    [['c.yml', '--junit', 'r.xml', '--metrics', 'm.prom', '--github', '--validate'], { junit: 'r.xml', metrics: 'm.prom', github: true, validate: true }],
    [['c.yml', '--set', 'dns-port=5300', '--set', 'ca=/tmp/a=b.pem', '--set', 'dns-port=53'], { vars: { 'dns-port': '53', ca: '/tmp/a=b.pem' } }],
    [['c.yml', '--set', 'empty='], { vars: { empty: '' } }],
  ];
  for (const [argv, want] of cases) {
    const o = await parse(argv);
    for (const [k, v] of Object.entries(want)) assert.deepEqual(o[k as keyof CheckOptions], v, `${argv.join(' ')}: ${k}`);
  }
  assert.equal((await parse(['c.yml'])).vars, undefined);
});

test('bad values: one USAGE line naming the option', async () => {
  const bad: Array<[string[], RegExp]> = [
    [['c.yml', '--concurrency', '0'], /^--concurrency needs a whole number from 1 to 256, got '0'$/],
    [['c.yml', '--fail-on', 'ok'], /^--fail-on is warning or critical, got 'ok'$/],
    [['c.yml', '--set', 'noequals'], /^--set needs NAME=VALUE .*got 'noequals'$/],
    [['c.yml', '--set', 'Upper=1'], /^--set needs NAME=VALUE .*got 'Upper=1'$/],
    [['c.yml', '--junit', ' '], /^--junit is empty$/],
  ];
  for (const [argv, re] of bad) {
    await assert.rejects(parse(argv), (e: unknown) => e instanceof NetlabError && e.code === 'USAGE' && re.test(e.message), argv.join(' '));
  }
});
