/** issue 13: a probe's target per module kind, the --listen address, the scrape timeout header. Pure. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTarget } from '../../src/check/target.js';
import { parseListen } from '../../src/commands/exporter/options.js';
import { redactArgs, scrapeDeadlineMs, wantsOpenMetrics } from '../../src/commands/exporter/server.js';

test('the target adds its arguments to the module, never an option', () => {
  assert.deepEqual(parseTarget('dig', '127.53.0.3'), { host: '127.53.0.3', argv: ['@127.53.0.3'] });
  assert.deepEqual(parseTarget('dig', '[::1]:5300'), { host: '::1', port: 5300, argv: ['@::1', '-p', '5300'] });
  assert.deepEqual(parseTarget('cert-check', 'www.example.test:8443'), { host: 'www.example.test', port: 8443, argv: ['www.example.test:8443'] });
  assert.deepEqual(parseTarget('trace-request', 'www.example.test/x'), { host: 'www.example.test', argv: ['http://www.example.test/x'] });
  assert.deepEqual(parseTarget('hosts2zone', '127.53.0.3:53'), { host: '127.53.0.3', port: 53, argv: ['--verify', '127.53.0.3:53'] });
  assert.deepEqual(parseTarget('lb-probe', '127.56.0.11:80').argv, ['127.56.0.11:80']);
  for (const [command, bad, re] of [
    ['dig', '-p', /cannot start with '-'/], ['dig', '@x', /cannot start with '@'/], ['dig', '+trace', /cannot start with '\+'/],
    ['cert-check', 'a b', /spaces or control/], ['lb-probe', '127.0.0.1', /needs a port/], ['cert-check', 'h:99999', /not from 1 to 65535/],
    ['trace-request', 'ftp://x/', /not an http/], ['trace-request', 'http://u:p@x/', /user or password/], ['cert-check', 'a/b', /does not name a host/],
  ] as const) assert.throws(() => parseTarget(command, bad), re, bad);
});

test('--listen: loopback by default form, all interfaces only when asked', () => {
  assert.deepEqual(parseListen('127.0.0.1:9116'), { host: '127.0.0.1', port: 9116 });
  assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
  assert.deepEqual(parseListen(':9116'), { host: '::', port: 9116 });
  for (const bad of ['9116', 'example.com:80', '[x]:1', '1.2.3.4:70000']) assert.throws(() => parseListen(bad), /--listen needs ADDR:PORT/, bad);
});

test("the scrape's timeout minus blackbox_exporter's margin; the Accept header; header values hidden", () => {
  assert.equal(scrapeDeadlineMs(undefined), undefined);
  assert.equal(scrapeDeadlineMs('10'), 9500);
  assert.equal(scrapeDeadlineMs('0.4'), 400);
  assert.throws(() => scrapeDeadlineMs('soon'), /not a number of seconds/);
  assert.equal(wantsOpenMetrics('application/openmetrics-text;version=1.0.0,text/plain;q=0.5'), true);
  assert.equal(wantsOpenMetrics('text/plain'), false);
  assert.deepEqual(redactArgs(['https://x/', '--header', 'Authorization: Bearer s3cret', '--header=X: y']), ['https://x/', '--header', 'Authorization: …', '--header=…']);
});
