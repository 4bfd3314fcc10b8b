/** issue 12, fan-out: the pure parts (address order, finding the target in an argv, refusals, cross-checking). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crossCheck, fanoutRefusal, positionalIndex, type PinnedRun } from '../../src/check/fanout.js';
import { sortAddresses } from '../../src/protocol/dns/addresses.js';
import { COMMANDS } from '../../src/commands/registry.js';
import type { CheckDef, CheckOutcome } from '../../src/check/model.js';

test('sortAddresses: IPv4 before IPv6, each in numeric (not text) order, duplicates once', () => {
  assert.deepEqual(sortAddresses(['2001:db8::10', '127.0.0.10', '::1', '127.0.0.9', '2001:db8::9', '127.0.0.9']), ['127.0.0.9', '127.0.0.10', '::1', '2001:db8::9', '2001:db8::10']);
});

test('positionalIndex: the target after options with values, switches and --opt=value', async () => {
  const lb = (await COMMANDS['lb-probe'].load()).command;
  const cases: Array<[string[], number]> = [
    [['vip.test:80'], 0],
    [['--requests', '5', 'vip.test:80'], 2],
    [['--json', '--requests=5', 'vip.test:80', '--backend', 'a:1'], 2],
    [['--backend', 'a:1', '--', 'vip.test:80'], 3],
    [['--requests', '5'], -1],
  ];
  for (const [argv, at] of cases) assert.equal(positionalIndex(lb, argv), at, argv.join(' '));
});

test('fanoutRefusal: every pair of keys and commands that cannot fan out, with its reason', () => {
  const refused: Array<[Parameters<typeof fanoutRefusal>[0], RegExp]> = [
    [{ command: 'dig', everyAddress: true, everyServer: true }, /exclude each other/],
    [{ command: 'lb-probe', everyAddress: false, everyServer: true }, /dig checks only/],
    [{ command: 'dig', everyAddress: true, everyServer: false }, /use every-server/],
    [{ command: 'hosts2zone', everyAddress: true, everyServer: false }, /hosts2zone/],
  ];
  for (const [c, why] of refused) assert.match(fanoutRefusal(c) ?? '', why);
  for (const command of ['cert-check', 'trace-request', 'lb-probe'] as const) assert.equal(fanoutRefusal({ command, everyAddress: true, everyServer: false }), null);
  assert.equal(fanoutRefusal({ command: 'dig', everyAddress: false, everyServer: true }), null);
});

const DEF: CheckDef = { name: 'ns', command: 'dig', argv: [], expect: [], everyAddress: false, everyServer: true, retries: 0, timeoutMs: 1000, pos: { file: 'f', line: 1, col: 1 } };
function outcome(address: string, rcode: string | null, data: string[], ttl = 300): CheckOutcome {
  const answer = data.map((d) => ({ name: 'www.z.test.', type: 'A', class: 'IN', ttl, data: d }));
  return { name: 'ns', command: 'dig', address, status: 'OK', problems: [], notes: [], startedAt: '', durationMs: 0, attempts: 1, passedOnRetry: false, result: { rcode, answer } };
}
const run = (address: string, serial: number | null): PinnedRun => ({ address, argv: [], server: { names: [`ns-${address.slice(-1)}.z.test`], serial } });

test('crossCheck: answers compared as sets (order and TTL ignored); the odd one out CRITICAL, naming the others', () => {
  const outcomes = [outcome('192.0.2.1', 'NOERROR', ['1.1.1.1', '2.2.2.2']), outcome('192.0.2.2', 'NOERROR', ['2.2.2.2', '1.1.1.1'], 60), outcome('192.0.2.3', 'NXDOMAIN', [])];
  const p = crossCheck(DEF, outcomes, [run('192.0.2.1', 5), run('192.0.2.2', 5), run('192.0.2.3', 5)]);
  assert.deepEqual(p.map((x) => x.length), [0, 0, 1]);
  assert.equal(p[2]![0]!.message, 'ns-3.z.test (192.0.2.3) answers NXDOMAIN where ns-1.z.test (192.0.2.1), ns-2.z.test (192.0.2.2) answer A 1.1.1.1, A 2.2.2.2');
  assert.equal(p[2]![0]!.severity, 'CRITICAL');
});

test('crossCheck: serials without runs are not compared; every-address checks and single outcomes give nothing', () => {
  const outcomes = [outcome('192.0.2.1', 'NOERROR', ['1.1.1.1']), outcome('192.0.2.2', 'NOERROR', ['1.1.1.1']), outcome('192.0.2.3', 'NOERROR', ['1.1.1.1'])];
  assert.deepEqual(crossCheck(DEF, outcomes), [[], [], []]);
  assert.deepEqual(crossCheck(DEF, outcomes, [run('192.0.2.1', 7), run('192.0.2.2', 7), run('192.0.2.3', null)]), [[], [], []]);
  assert.deepEqual(crossCheck(DEF, outcomes, [run('192.0.2.1', 7), run('192.0.2.2', 6), run('192.0.2.3', 7)]).map((x) => x.map((y) => y.severity)), [[], ['WARNING'], []]);
  assert.deepEqual(crossCheck({ ...DEF, everyServer: false, everyAddress: true }, [outcomes[0]!, outcome('192.0.2.2', 'NXDOMAIN', [])]), [[], []]);
  assert.deepEqual(crossCheck(DEF, [outcomes[0]!]), [[]]);
});
