/**
 * `netlab hosts2zone`'s command line -> its options, through parseArgv (commander and the
 * command's declared options, as the CLI and the demo parse them): the defaults come from the
 * declaration only, and every bad value is one USAGE line naming the option.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HelpRequested, parseArgv } from '../../src/commands/command.js';
import { command } from '../../src/commands/hosts2zone/index.js';
import type { Hosts2zoneOptions } from '../../src/commands/hosts2zone/options.js';
import { NetlabError } from '../../src/errors.js';

const DEFAULTS: Hosts2zoneOptions = {
  files: ['office.hosts'], origin: 'corp.test', ns: [], ttl: 3600, reverse: false, v6PrefixBits: 64, aliases: 'cname', format: 'zone',
  allowUnderscore: false, concurrency: 32, timeoutMs: 2000, json: false,
};

const GOOD: Array<[string[], Partial<Hosts2zoneOptions>]> = [
  [['office.hosts', '--origin', 'corp.test'], {}],
  [['office.hosts', '--origin', 'Corp.Test.'], {}],
  [['--origin', 'bücher.test', 'office.hosts'], { origin: 'xn--bcher-kva.test' }],
  [['a.hosts', 'b.hosts', '-', '--origin', 'corp.test'], { files: ['a.hosts', 'b.hosts', '-'] }],
  [['office.hosts', '--origin', 'corp.test', '--ns', 'ns1', '--ns', 'ns2.corp.test', '--ns', 'dns.example.', '--ns', 'solo.'], { ns: ['ns1.corp.test', 'ns2.corp.test', 'dns.example', 'solo'] }],
  [['office.hosts', '--origin', 'corp.test', '--contact', 'john.doe@corp.test'], { contact: 'john.doe@corp.test' }],
  [['office.hosts', '--origin', 'corp.test', '--ttl', '0', '--serial', '4294967295'], { ttl: 0, serial: 4294967295 }],
  [['office.hosts', '--origin', 'corp.test', '--reverse', '--out', 'zones', '--v6-prefix', '48'], { reverse: true, outDir: 'zones', v6PrefixBits: 48 }],
  [['office.hosts', '--origin', 'corp.test', '--aliases', 'A', '--allow-underscore'], { aliases: 'a', allowUnderscore: true }],
  [['block.hosts', '--origin', 'rpz.test', '--format', 'RPZ', '--json'], { files: ['block.hosts'], origin: 'rpz.test', format: 'rpz', json: true }],
  [['office.hosts', '--origin', 'corp.test', '--verify', '127.53.0.3:5353', '--reverse', '--concurrency', '1024', '--timeout', '0.001'], {
    verify: { address: '127.53.0.3', port: 5353 }, reverse: true, concurrency: 1024, timeoutMs: 1,
  }],
  [['office.hosts', '--origin', 'corp.test', '--verify', '[::1]'], { verify: { address: '::1', port: 53 } }],
];

for (const [argv, expected] of GOOD) {
  test(`hosts2zone ${argv.join(' ')}`, async () => {
    assert.deepEqual(await parseArgv(command, argv), { ...DEFAULTS, ...expected });
  });
}

const BAD: Array<[string, string[], RegExp]> = [
  ['no file', ['--origin', 'corp.test'], /^missing HOSTSFILE/],
  ['stdin twice', ['-', '-', '--origin', 'corp.test'], /^'-' \(stdin\) can be given once$/],
  ['no --origin', ['office.hosts'], /^missing --origin DOMAIN/],
  ['a bad --origin', ['office.hosts', '--origin', 'bad;zone'], /^--origin 'bad;zone' has the character ';'/],
  ['an --origin with _', ['office.hosts', '--origin', 'my_zone.test'], /^--origin 'my_zone\.test' has '_'/],
  ['a bad --ns', ['office.hosts', '--origin', 'corp.test', '--ns', '-ns'], /^--ns '-ns' has a label starting with '-'/],
  ['a bad --ttl', ['office.hosts', '--origin', 'corp.test', '--ttl', '-1'], /^--ttl needs a whole number from 0 to 2147483647, got '-1'$/],
  ['a --serial past 2^32-1', ['office.hosts', '--origin', 'corp.test', '--serial', '4294967296'], /^--serial needs a whole number/],
  ['a bad --v6-prefix', ['office.hosts', '--origin', 'corp.test', '--v6-prefix', '62', '--out', 'x'], /^--v6-prefix must be a multiple of 4/],
  ['a --v6-prefix of 128', ['office.hosts', '--origin', 'corp.test', '--v6-prefix', '128', '--out', 'x'], /^--v6-prefix needs a whole number from 4 to 124/],
  ['a bad --aliases', ['office.hosts', '--origin', 'corp.test', '--aliases', 'txt'], /^--aliases is cname or a, got 'txt'$/],
  ['a bad --format', ['office.hosts', '--origin', 'corp.test', '--format', 'json'], /^--format is zone or rpz, got 'json'$/],
  ['a contact with a space', ['office.hosts', '--origin', 'corp.test', '--contact', 'john doe@corp.test'], /^--contact 'john doe@corp\.test': the local part cannot hold spaces/],
  ['a contact without a domain', ['office.hosts', '--origin', 'corp.test', '--contact', 'nodomain'], /^--contact 'nodomain' is neither a mailbox/],
  ['an RPZ served from inside it', ['b.hosts', '--origin', 'rpz.test', '--format', 'rpz', '--ns', 'ns1'], /^an RPZ's name servers must be outside it \(the usual one is --ns localhost\.\)$/],
  ['--reverse with rpz', ['b.hosts', '--origin', 'rpz.test', '--format', 'rpz', '--reverse', '--out', 'x'], /^--reverse and --format rpz do not go together/],
  ['--reverse without --out', ['office.hosts', '--origin', 'corp.test', '--reverse'], /^--reverse writes several zones: give --out DIR$/],
  ['--verify and --out', ['office.hosts', '--origin', 'corp.test', '--verify', '127.0.0.1', '--out', 'x'], /^--verify compares a server with the hosts files and writes nothing: drop --out$/],
  ['--verify with a name', ['office.hosts', '--origin', 'corp.test', '--verify', 'ns1.example.test'], /^--verify needs ADDR\[:PORT\], an IP address/],
  ['an empty --out', ['office.hosts', '--origin', 'corp.test', '--out', ''], /^--out needs a directory$/],
  ['a --concurrency of 0', ['office.hosts', '--origin', 'corp.test', '--concurrency', '0'], /^--concurrency needs a whole number from 1 to 1024/],
  ['a --timeout under 1 ms', ['office.hosts', '--origin', 'corp.test', '--timeout', '0.0001'], /^--timeout needs seconds from 0\.001 to 60|^--timeout 0\.0001 is under 1 ms/],
  ['an unknown option', ['office.hosts', '--origin', 'corp.test', '--zone', 'x'], /unknown option '--zone'/],
  ['a missing value', ['office.hosts', '--origin'], /option '--origin <domain>' argument missing/],
];

for (const [what, argv, message] of BAD) {
  test(`${what}: USAGE, one line`, async () => {
    await assert.rejects(parseArgv(command, argv), (e: unknown) => {
      assert.ok(e instanceof NetlabError, String(e));
      assert.equal(e.code, 'USAGE');
      assert.match(e.message, message);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
  });
}

test('--help lists every option with its declared default, and the limits', async () => {
  const help = await parseArgv(command, ['--help']).then(() => '', (e: unknown) => (e instanceof HelpRequested ? e.text : String(e)));
  assert.match(help, /^Usage: netlab hosts2zone \[options\] \[files\.\.\.\]/);
  for (const flag of ['--origin <domain>', '--ns <name>', '--contact <mail>', '--reverse', '--v6-prefix <bits>', '--aliases <how>', '--format <format>', '--allow-underscore', '--out <dir>', '--verify <server[:port]>', '--concurrency <n>', '--timeout <seconds>', '--json']) {
    assert.ok(help.includes(flag), flag);
  }
  assert.match(help, /--ttl <seconds>\s+the default TTL \(\$TTL\) \(default: 3600\)/);
  assert.match(help, /--timeout <seconds>\s+per query with --verify \(default: 2\)/);
  assert.match(help, /the first 1,000 problems are listed/);
});
