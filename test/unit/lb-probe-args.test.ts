/**
 * `netlab lb-probe` argv -> options, through parseArgv and the command's declarations, as the
 * command line does it: the defaults come from the declarations, every bad value is one USAGE
 * line naming the option, before any probe.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { HelpRequested, parseArgv } from '../../src/commands/command.js';
import { command } from '../../src/commands/lb-probe/index.js';
import type { LbProbeOptions } from '../../src/commands/lb-probe/options.js';
import { NetlabError } from '../../src/errors.js';

const VIP = '127.56.0.11:80';
const B3 = ['--backend', '127.56.0.1:80', '--backend', '127.56.0.2:80', '--backend', '127.56.0.3:80'];

const parse = (argv: string[]): Promise<LbProbeOptions> => parseArgv(command, argv);

test('argv -> options: the defaults of the declarations, and each option as given', async () => {
  const cases: Array<[string[], Partial<LbProbeOptions>]> = [
    [[VIP], {
      vip: { address: '127.56.0.11', port: 80 }, backends: [], weights: null, requests: 100, concurrency: 1, mode: 'http', path: '/',
      host: VIP, identify: { kind: 'auto' }, sources: [], sourceRange: null, timeoutMs: 5000, deadlineMs: null, alpha: 0.01, json: false,
    }],
    [[VIP, ...B3, '--weights', '3,1,1'], { backends: [{ address: '127.56.0.1', port: 80 }, { address: '127.56.0.2', port: 80 }, { address: '127.56.0.3', port: 80 }], weights: [3, 1, 1] }],
    [[VIP, ...B3, '--weights', '0.5, 1.5,0'], { weights: [0.5, 1.5, 0] }],
    [['[::1]:8080', '--backend', '[::1]:8081'], { vip: { address: '::1', port: 8080 }, backends: [{ address: '::1', port: 8081 }], host: '[::1]:8080' }],
    [['lb.example.test:80'], { vip: { address: 'lb.example.test', port: 80 } }],
    [[VIP, '--requests', '200', '--concurrency', '8', '--json'], { requests: 200, concurrency: 8, json: true }],
    // issue 10.2: too few requests for the chi-square is no longer refused before a probe
    [[VIP, ...B3, '--weights', '3,1,1', '--requests', '10'], { requests: 10 }],
    [[VIP, '--requests', '1'], { requests: 1 }],
    [[VIP, '--mode', 'tcp'], { mode: 'tcp', identify: { kind: 'auto' } }],
    [[VIP, '--mode', 'tcp', '--identify', 'banner'], { identify: { kind: 'banner' } }],
    [[VIP, '--identify', 'header:X-Served-By'], { identify: { kind: 'header', name: 'x-served-by' } }],
    [[VIP, '--identify', 'body', '--path', '/health', '--host', 'www.example.test'], { identify: { kind: 'body' }, path: '/health', host: 'www.example.test' }],
    [[VIP, '--source-ips', '127.56.1.1-127.56.1.100', '--requests', '200'], { sourceRange: '127.56.1.1-127.56.1.100' }],
    [[VIP, '--timeout', '0.001', '--deadline', '2.5', '--alpha', '.05'], { timeoutMs: 1, deadlineMs: 2500, alpha: 0.05 }],
  ];
  for (const [argv, want] of cases) {
    const o = await parse(argv);
    for (const [k, v] of Object.entries(want)) assert.deepEqual(o[k as keyof LbProbeOptions], v, `${argv.join(' ')}: ${k}`);
  }
});

test('--source-ips: every address of a small range, an even sample of a wide one, one source per two requests, two at least', async () => {
  assert.equal((await parse([VIP, '--source-ips', '127.56.1.1-127.56.1.100', '--requests', '200'])).sources.length, 100);
  assert.equal((await parse([VIP, '--source-ips', '127.56.1.1-127.56.1.100'])).sources.length, 50, 'two probes per source');
  assert.deepEqual((await parse([VIP, '--source-ips', '127.56.1.1-127.56.1.3'])).sources, ['127.56.1.1', '127.56.1.2', '127.56.1.3']);
  assert.deepEqual((await parse([VIP, '--source-ips', '127.56.1.7'])).sources, ['127.56.1.7']);
  // issue 10.2: a part that cannot be judged is no usage error: too few requests for stickiness run, and say so
  assert.deepEqual((await parse([VIP, '--source-ips', '127.56.1.1-127.56.1.9', '--requests', '3'])).sources, ['127.56.1.1', '127.56.1.9']);
});

test('bad values are one usage line naming the option, exit 3', async () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /^missing VIP:PORT$/],
    [[''], /^VIP:PORT is empty$/],
    [['nothing-here'], /^VIP 'nothing-here' is not ADDR:PORT$/],
    [['127.56.0.10'], /^VIP '127\.56\.0\.10' is not ADDR:PORT$/],
    [['127.56.0.10:0'], /^VIP '127\.56\.0\.10:0': port 0 is out of range \(1-65535\)$/],
    [['127.56.0.10:70000'], /port 70000 is out of range/],
    [['[zz]:80'], /^VIP '\[zz\]:80': 'zz' is not an IPv6 address$/],
    [['::1:80'], /^VIP '::1:80' is not ADDR:PORT$/],
    [['a b:80'], /^VIP 'a b:80': 'a b' is not an address or host name$/],
    [[VIP, '--backend', ':80'], /^--backend ':80' is not ADDR:PORT$/],
    [[VIP, ...B3, '--backend', '127.56.0.1:80'], /--backend 127\.56\.0\.1:80 is given twice/],
    [[VIP, ...B3, '--weights', '3,1'], /--weights has 2 values for 3 backends/],
    [[VIP, ...B3, '--weights', '3,1,1,1'], /--weights has 4 values for 3 backends/],
    [[VIP, '--weights', '3,1,1'], /--weights needs the backends/],
    [[VIP, ...B3, '--weights', '3,x,1'], /--weights '3,x,1': 'x' is not a weight/],
    [[VIP, ...B3, '--weights', '0,0,0'], /at least one weight must be above 0/],
    [[VIP, '--requests', '0'], /--requests needs a whole number from 1 to 100000, got '0'/],
    [[VIP, '--requests', '100001'], /--requests needs a whole number/],
    [[VIP, '--concurrency', '1000'], /--concurrency needs a whole number from 1 to 256/],
    [[VIP, '--mode', 'sctp'], /--mode 'sctp' is not http, https or tcp/],
    [[VIP, '--mode', 'tcp', '--identify', 'header:X-Backend'], /needs --mode http/],
    [[VIP, '--identify', 'banner'], /--identify banner needs --mode tcp/],
    [[VIP, '--identify', 'cookie'], /--identify 'cookie' is not header:NAME, body or banner/],
    [[VIP, '--mode', 'tcp', '--path', '/x'], /--path applies to --mode http or https only/],
    [[VIP, '--path', 'x'], /--path 'x' must start with \//],
    [[VIP, '--host', 'a b'], /--host 'a b' is not a host name/],
    [[VIP, '--alpha', '2'], /--alpha needs a significance level/],
    [[VIP, '--source-ips', '127.56.1.50-127.56.1.1'], /^--source-ips '127\.56\.1\.50-127\.56\.1\.1': 127\.56\.1\.1 comes before 127\.56\.1\.50$/],
    [[VIP, '--source-ips', '127.56.1.1-banana'], /--source-ips .*'banana' is not an IPv4 address/],
    [[VIP, '--source-ips', '192.0.2.1-192.0.2.5'], /--source-ips .* not in 127\.0\.0\.0\/8/],
    [[VIP, '--frobnicate'], /unknown option '--frobnicate'/],
    // issue 9.11: --timeout 0.0001 rounded to 0 ms and every probe "failed"
    [[VIP, '--timeout', '0.0001'], /^--timeout 0\.0001 is under 1 ms/],
    [[VIP, '--timeout', '301'], /--timeout needs seconds from 0\.001 to 300/],
    [[VIP, '--deadline', '0'], /--deadline 0 is under 1 ms/],
    [[VIP, '--deadline', 'soon'], /--deadline needs seconds/],
    [[VIP, '--deadline', '1e3'], /--deadline needs seconds/],
    [[VIP, '--deadline', '86401'], /--deadline needs seconds from 0\.001 to 86400/],
    // issue 12: a resolver is an address, as trace-request's
    [[VIP, '--resolver', 'ns.example.test'], /^--resolver needs ADDR\[:PORT\]/],
  ];
  for (const [argv, why] of cases) {
    await assert.rejects(parse(argv), (e: unknown) => e instanceof NetlabError && e.code === 'USAGE' && e.status === 'UNKNOWN' && why.test(e.message), argv.join(' '));
  }
});

test('every option given an empty value is a usage error naming it, never the option left out', async () => {
  // issue 9.11: an empty --host (and other empty values) was taken as given
  const valued = ['host', 'path', 'identify', 'mode', 'weights', 'requests', 'concurrency', 'source-ips', 'timeout', 'deadline', 'alpha', 'backend', 'resolver',
    // issue 16
    'servername', 'ca', 'save-map', 'compare-map'];
  assert.equal(valued.length, command.options!.filter((o) => o.flags.includes('<')).length, 'every option with a value is in the list');
  for (const name of valued) {
    for (const value of ['', ' ']) {
      await assert.rejects(parse([VIP, `--${name}`, value]), (e: unknown) => e instanceof NetlabError && e.message === `--${name} is empty`, `--${name} '${value}'`);
    }
  }
});

test('--help: the declared options with their defaults, and exit 0', async () => {
  await assert.rejects(parse(['--help']), (e: unknown) => {
    assert.ok(e instanceof HelpRequested);
    const text = e.text.replace(/\s+/g, ' ');
    assert.match(text, /^Usage: netlab lb-probe \[options\] \[vip\]/);
    assert.match(text, /--requests <n> probes through the VIP, a fresh connection each \(default: 100\)/);
    assert.match(text, /--timeout <seconds> bound of each probe, connection to last byte \(at least 0\.001\) \(default: 5\)/);
    assert.match(text, /--alpha <p> significance level of the chi-square test \(default: 0\.01\)/);
    assert.match(text, /--weights <w,w,\.\.\.> configured weights, one per --backend \(without: the split is described, not judged\)/);
    return true;
  });
});

test('`netlab lb-probe --help` does not load cli-table3 (the renderer loads when it runs)', () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const spy = `import { createRequire } from 'node:module';
const require = createRequire('${root}package.json');
process.on('exit', () => process.stderr.write('SEEN=' + JSON.stringify(Object.keys(require.cache).filter((k) => k.includes('node_modules')))));`;
  const run = (args: string[]) => spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(spy)}`, `${root}bin/netlab.js`, 'lb-probe', ...args], { encoding: 'utf8', timeout: 20_000 });
  const help = run(['--help']);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stderr, /SEEN=\[.*commander/);
  assert.doesNotMatch(help.stderr, /node_modules\/cli-table3\//);
  // the spy sees them when the command runs (a refused port, one probe): the check can fail
  const probe = run(['127.0.0.1:1', '--requests', '1', '--timeout', '1']);
  assert.equal(probe.status, 2, probe.stderr);
  assert.match(probe.stderr, /node_modules\/cli-table3\//);
});
