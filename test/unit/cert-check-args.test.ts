/**
 * `netlab cert-check`'s command line -> its options, through parseArgv(command, argv) as the CLI
 * and the demo do it: every row a valid argv and the options it gives, or an invalid one and its
 * one-line USAGE message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { HelpRequested, parseArgv } from '../../src/commands/command.js';
import { command } from '../../src/commands/cert-check/index.js';
import type { CertCheckOptions } from '../../src/commands/cert-check/options.js';
import { NetlabError } from '../../src/errors.js';

const DEFAULTS = { caFiles: [] as string[], systemRoots: true, warnDays: 30, critDays: 7, timeoutMs: 10_000, json: false };

const VALID: Array<[string[], CertCheckOptions]> = [
  [['www.example.test'], { ...DEFAULTS, target: 'www.example.test', server: { host: 'www.example.test', port: 443 }, host: 'www.example.test', servername: 'www.example.test' }],
  [['www.example.test:8443', '--json'], { ...DEFAULTS, json: true, target: 'www.example.test:8443', server: { host: 'www.example.test', port: 8443 }, host: 'www.example.test', servername: 'www.example.test' }],
  // an address: no SNI (RFC 6066 3), the name checked is the address
  [['192.0.2.1'], { ...DEFAULTS, target: '192.0.2.1', server: { host: '192.0.2.1', port: 443 }, host: '192.0.2.1' }],
  [['[2001:db8::1]:8443'], { ...DEFAULTS, target: '[2001:db8::1]:8443', server: { host: '2001:db8::1', port: 8443 }, host: '2001:db8::1' }],
  // a bare IPv6 address: its last group is not a port
  [['2001:db8::1'], { ...DEFAULTS, target: '2001:db8::1', server: { host: '2001:db8::1', port: 443 }, host: '2001:db8::1' }],
  [['192.0.2.1', '--servername', 'www.example.test', '--host', 'www.example.test'], { ...DEFAULTS, target: '192.0.2.1', server: { host: '192.0.2.1', port: 443 }, host: 'www.example.test', servername: 'www.example.test' }],
  [['www.example.test:443', '--connect-to', '127.54.0.1', '--ca', 'a.pem', '--ca', 'b.pem', '--no-system-ca'],
    { ...DEFAULTS, caFiles: ['a.pem', 'b.pem'], systemRoots: false, target: 'www.example.test:443', server: { host: 'www.example.test', port: 443 }, host: 'www.example.test', servername: 'www.example.test', connectTo: '127.54.0.1' }],
  [['x.test', '--warn-days', '45', '--crit-days', '14', '--warn-percent', '20', '--crit-percent', '10.5', '--timeout', '0.5'],
    { ...DEFAULTS, warnDays: 45, critDays: 14, warnPercent: 20, critPercent: 10.5, timeoutMs: 500, target: 'x.test', server: { host: 'x.test', port: 443 }, host: 'x.test', servername: 'x.test' }],
  [['x.test', '--warn-days', '0', '--crit-days', '0'], { ...DEFAULTS, warnDays: 0, critDays: 0, target: 'x.test', server: { host: 'x.test', port: 443 }, host: 'x.test', servername: 'x.test' }],
  [['--file', 'chain.pem'], { ...DEFAULTS, file: 'chain.pem' }],
  // issue 12: HOST resolved through netlab's DNS client
  [['x.test', '--resolver', '127.53.0.3:5300'], { ...DEFAULTS, target: 'x.test', server: { host: 'x.test', port: 443 }, host: 'x.test', servername: 'x.test', resolver: { address: '127.53.0.3', port: 5300 } }],
  [['--file', 'chain.pem', '--host', 'www.example.test', '--ca', 'root.pem', '--json'], { ...DEFAULTS, file: 'chain.pem', host: 'www.example.test', caFiles: ['root.pem'], json: true }],
];

const INVALID: Array<[string[], RegExp]> = [
  [[], /^missing HOST\[:PORT\] \(or --file BUNDLE\.pem\)$/],
  [[''], /^HOST\[:PORT\] is empty$/],
  [['x.test', '--file', 'chain.pem'], /^give either HOST\[:PORT\] or --file, not both$/],
  [['x.test:99999'], /^'x\.test:99999' is not HOST\[:PORT\]: port '99999' is not a number from 1 to 65535$/],
  [['x.test:0'], /^'x\.test:0' is not HOST\[:PORT\]: port '0' is not a number from 1 to 65535$/],
  [['x.test:'], /^'x\.test:' is not HOST\[:PORT\]: port '' is not a number/],
  [['a:b:c'], /^'a:b:c' is not HOST\[:PORT\]: an IPv6 address with a port goes in brackets/],
  [['[www.example.test]:443'], /^'\[www\.example\.test\]:443' is not HOST\[:PORT\]: 'www\.example\.test' in brackets is not an IPv6 address$/],
  [['x.test', '--warn-days', 'soon'], /^--warn-days needs a number from 0 to 3650, got 'soon'$/],
  [['x.test', '--crit-days', '-1'], /^--crit-days needs a number from 0 to 3650, got '-1'$/],
  [['x.test', '--warn-days', '3651'], /^--warn-days needs a number from 0 to 3650, got '3651'$/],
  [['x.test', '--crit-days', '31'], /^--crit-days \(31\) is more than --warn-days \(30\)$/],
  [['x.test', '--warn-percent', '101'], /^--warn-percent needs a number from 0 to 100, got '101'$/],
  [['x.test', '--warn-percent', '5', '--crit-percent', '10'], /^--crit-percent \(10\) is more than --warn-percent \(5\)$/],
  [['x.test', '--timeout', '0'], /^--timeout 0 is under 1 ms/],
  [['x.test', '--resolver', 'ns.example.test'], /^--resolver needs ADDR\[:PORT\]/],
  [['--file', 'chain.pem', '--resolver', '127.0.0.1'], /^--resolver needs HOST\[:PORT\], not --file$/],
  [['x.test', '--timeout', '301'], /^--timeout needs seconds from 0\.001 to 300, got '301'$/],
  [['--file', 'chain.pem', '--connect-to', '127.0.0.1'], /^--connect-to and --servername need HOST\[:PORT\], not --file$/],
  [['--file', 'chain.pem', '--servername', 'x.test'], /^--connect-to and --servername need HOST\[:PORT\], not --file$/],
  [['x.test', '--connect-to', 'a b'], /^--connect-to 'a b' is not an address$/],
  [['x.test', '--connect-to', '[::1]'], /^--connect-to '\[::1\]' is not an address$/],
  // issue 9.11: --servername with an IP address printed Node's DeprecationWarning (RFC 6066: SNI carries no address); empty --connect-to / --host were ignored
  [['x.test', '--servername', '127.79.0.3'], /^--servername '127\.79\.0\.3' is an IP address, and SNI carries host names only \(RFC 6066 3\): leave it out, and use --host 127\.79\.0\.3/],
  [['x.test', '--servername', '::1'], /^--servername '::1' is an IP address/],
  [['x.test', '--servername', '[::1]'], /^--servername '\[::1\]' is an IP address/],
  [['x.test', '--servername', 'a/b'], /^--servername "a\/b" is not a host name$/],
  [['x.test', '--servername', ''], /^--servername needs a host name, got an empty value$/],
  [['x.test', '--connect-to', ''], /^--connect-to needs an address, got an empty value$/],
  [['x.test', '--host', ' '], /^--host needs a name or an address, got an empty value$/],
  [['--file', ''], /^--file needs a file name, got an empty value$/],
  [['x.test', '--ca', ''], /^--ca needs a file name, got an empty value$/],
  [['x.test', '--no-such-option'], /^unknown option '--no-such-option'$/],
  [['x.test', '--warn-days'], /^option '--warn-days <n>' argument missing$/],
];

test('valid command lines give their options (defaults from the declaration)', async () => {
  assert.ok(VALID.length >= 10);
  for (const [argv, expected] of VALID) assert.deepEqual(await parseArgv(command, argv), expected, argv.join(' '));
});

test('invalid command lines are one-line USAGE errors naming the option', async () => {
  assert.ok(INVALID.length >= 25);
  for (const [argv, re] of INVALID) {
    await assert.rejects(parseArgv(command, argv), (e: unknown) => {
      assert.ok(e instanceof NetlabError, `${argv.join(' ')}: ${String(e)}`);
      assert.equal(e.code, 'USAGE', argv.join(' '));
      assert.match(e.message, re, argv.join(' '));
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
  }
});

test('--help lists every option with its default, and the bounds', async () => {
  await assert.rejects(parseArgv(command, ['--help']), (e: unknown) => {
    assert.ok(e instanceof HelpRequested);
    for (const o of command.options!) assert.ok(e.text.includes(o.flags), o.flags);
    assert.match(e.text, /--warn-days <n> +WARNING when a certificate expires within N days\s+\(default: 30\)/);
    assert.match(e.text, /--crit-days <n> +CRITICAL when a certificate expires within N days\s+\(default: 7\)/);
    assert.match(e.text, /--timeout <seconds> +connect and handshake timeout \(default: 10\)/);
    assert.match(e.text, /Bounds: a path of at most 100 intermediate certificates/);
    return true;
  });
});

test('netlab cert-check --help loads neither node:tls nor cli-table3 nor @peculiar/* (run.ts and render.ts load lazily)', () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const spy = `import { createRequire } from 'node:module';
const require = createRequire('${root}package.json');
process.on('exit', () => {
  const packages = Object.keys(require.cache).filter((k) => k.includes('node_modules')).map((k) => k.replace(/.*node_modules\\//, '').split('/').slice(0, 2).join('/'));
  const builtins = process.moduleLoadList.filter((m) => /^NativeModule (tls|_tls_wrap)$/.test(m));
  process.stderr.write('LOADED=' + JSON.stringify([...new Set(packages), ...builtins]));
});`;
  const run = (args: string[]) => spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(spy)}`, `${root}bin/netlab.js`, 'cert-check', ...args], { encoding: 'utf8', timeout: 20_000 });
  const help = run(['--help']);
  assert.equal(help.status, 0, help.stderr);
  const loaded = JSON.parse(/LOADED=(.*)$/.exec(help.stderr)![1]!) as string[];
  assert.ok(loaded.some((m) => m.startsWith('commander')), `the spy sees packages: ${loaded.join(' ')}`);
  assert.deepEqual(loaded.filter((m) => /cli-table3|@peculiar|tls/.test(m)), []);
  // and it would see them: a check of a bundle loads node:tls (the trust store) and cli-table3 (the text)
  const check = run(['--file', `${root}test/fixtures/ocsp/good.pem`, '--no-system-ca']);
  const checked = JSON.parse(/LOADED=(.*)$/.exec(check.stderr)![1]!) as string[];
  assert.ok(checked.includes('cli-table3/src') || checked.some((m) => m.startsWith('cli-table3')), checked.join(' '));
  assert.ok(checked.includes('NativeModule tls'), checked.join(' '));
});
