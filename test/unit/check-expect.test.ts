/**
 * issue 12: the expect: condition language. Parsed and type-checked against the subcommand's
 * result schema (no eval), evaluated over results, with units (ms/s/m for ...Ms fields, d for
 * days, s/m/h/d for ttl) and `contains` over strings, arrays of values, arrays of records and maps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCondition, ConditionError, evaluateCondition } from '../../src/check/expect.js';
import type { CheckCommand } from '../../src/check/model.js';

const DIG = {
  status: 'OK', rcode: 'NOERROR', timeMs: 12.5, flags: ['qr', 'aa'],
  answer: [
    { name: 'www.example.test.', type: 'A', class: 'IN', ttl: 300, data: '192.0.2.10', rdata: {} },
    { name: 'example.test.', type: 'MX', class: 'IN', ttl: 300, data: '10 mail.example.test.', rdata: {} },
  ],
  problems: [],
};
const CERT = { status: 'WARNING', trusted: true, daysLeft: 25, chain: [{ daysLeft: 25, subject: 'CN=www' }], problems: [{ code: 'EXPIRES_SOON', severity: 'WARNING', message: 'x' }], hostnameMatch: null };
const TRACE = { paths: [{ phases: { ttfbMs: 250, totalMs: 400 }, status: 200, cache: { headers: { 'x-cache': 'HIT from edge' }, verdict: 'HIT' } }] };
const LB = { statusCodes: { 200: 98, 503: 2 }, distribution: { matches: true, pValue: 0.4 } };

function holds(command: CheckCommand, text: string, result: unknown): boolean {
  return evaluateCondition(compileCondition(text, command), result).holds;
}

test('comparisons, units and contains hold or not as they should', () => {
  const cases: Array<[CheckCommand, string, unknown, boolean]> = [
    ['dig', 'answer contains 192.0.2.10', DIG, true],
    ['dig', 'answer contains 192.0.2.11', DIG, false],
    ['dig', 'answer contains mail.example.test', DIG, true], // an MX record's target, without its trailing dot
    ['dig', 'answer contains WWW.EXAMPLE.TEST.', DIG, true], // a record's name, without case
    ['dig', 'answer.length == 2', DIG, true],
    ['dig', 'answer[0].ttl >= 5m', DIG, true],
    ['dig', 'answer[0].ttl >= 1h', DIG, false],
    ['dig', 'timeMs < 200ms', DIG, true],
    ['dig', 'timeMs < 0.01s', DIG, false],
    ['dig', 'timeMs < 12.5', DIG, false],
    ['dig', 'rcode == NOERROR and status == OK', DIG, true],
    ['dig', 'rcode != NOERROR or not (timeMs > 1m)', DIG, true],
    ['dig', 'flags contains aa', DIG, true],
    ['dig', 'answer[5].data == 192.0.2.10', DIG, false], // out of range: null, not an error
    ['cert-check', 'trusted', CERT, true],
    ['cert-check', 'not trusted', CERT, false],
    ['cert-check', 'chain[0].daysLeft > 21d', CERT, true],
    ['cert-check', 'daysLeft > 30', CERT, false],
    ['cert-check', 'problems contains EXPIRES_SOON', CERT, true],
    ['cert-check', 'hostnameMatch == null', CERT, true],
    ['cert-check', 'status == "WARNING"', CERT, true],
    ['trace-request', 'paths[0].phases.ttfbMs < 300ms', TRACE, true],
    ['trace-request', 'paths[0].phases.ttfbMs < 0.2s', TRACE, false],
    ['trace-request', 'paths[0].cache.headers.x-cache contains HIT', TRACE, true],
    ['trace-request', 'paths[0].status == 200', TRACE, true],
    ['lb-probe', 'statusCodes contains 503', LB, true],
    ['lb-probe', 'statusCodes.200 >= 95', LB, true],
    ['lb-probe', 'distribution.matches == true and distribution.pValue > 0.01', LB, true],
  ];
  for (const [command, text, result, want] of cases) assert.equal(holds(command, text, result), want, `${command}: ${text}`);
});

test('a condition that does not hold says the values it read', () => {
  const got = evaluateCondition(compileCondition('timeMs < 10ms and answer contains 192.0.2.99', 'dig'), DIG);
  assert.equal(got.holds, false);
  assert.equal(got.actual, 'timeMs = 12.5 ms, answer = [192.0.2.10, 10 mail.example.test.]');
  assert.equal(evaluateCondition(compileCondition('daysLeft > 30d', 'cert-check'), CERT).actual, 'daysLeft = 25 d');
  assert.equal(evaluateCondition(compileCondition('daysLeft > 30d', 'cert-check'), { daysLeft: null }).actual, 'daysLeft = null');
});

test('type errors are load errors with the offset of what is wrong', () => {
  const cases: Array<[CheckCommand, string, number, RegExp]> = [
    ['dig', 'answers contains 1', 0, /no field 'answers' \(did you mean 'answer'\?\)/],
    ['dig', 'answer.data == x', 6, /is an array: index it first/],
    ['dig', 'timeMs < fast', 9, /is a number: compare it with a number/],
    ['dig', 'timeMs < 3d', 9, /in milliseconds/],
    ['dig', 'rcode < 3', 8, /only == and != compare it/],
    ['dig', 'answer[0].rdata.address == x', 0, /is data that conditions do not read/],
    ['dig', 'timeMs', 0, /is a number: compare it/],
    ['dig', 'timeMs < 3 timeMs', 11, /unexpected 'timeMs' \(join conditions with and \/ or\)/],
    ['dig', '(timeMs < 3', 11, /a '\)' is missing/],
    ['dig', 'timeMs = 3', 7, /'=' is not an operator/],
    ['dig', 'answer contains', 15, /a value is missing/],
    ['dig', 'query.port == null', 14, /is never null/],
    ['cert-check', 'trusted == yes', 11, /is true or false/],
    ['cert-check', 'chain[0] == x', 12, /is a record: compare one of its fields/],
    ['cert-check', 'daysLeft > 3ms', 11, /in days/],
    ['lb-probe', 'requests > 10ms', 11, /plain number/],
    ['dig', '', 0, /empty condition/],
    ['dig', 'timeMs < "3', 9, /unterminated string/],
  ];
  for (const [command, text, offset, message] of cases) {
    assert.throws(() => compileCondition(text, command), (e: unknown) => {
      assert.ok(e instanceof ConditionError, String(e));
      assert.match(e.message, message, text);
      assert.equal(e.offset, offset, text);
      return true;
    });
  }
});
