/**
 * issue 14: `netlab dig +validate` as options (the parser) and as text (delv's verdict lines
 * and the chain of trust), from fixed results: no network.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDigArgs } from '../../src/commands/dig/options.js';
import { validationLines, verdictLine } from '../../src/commands/dig/render-validation.js';
import type { DnssecValidation } from '../../src/protocol/dns/dnssec/validate.js';
import { NetlabError } from '../../src/errors.js';

test('+validate, +novalidate, --validate and --trust-anchor FILE (which implies +validate)', () => {
  const cases: Array<[string[], boolean | undefined, string | undefined]> = [
    [['+validate', 'x.test'], true, undefined],
    [['+validate', '+novalidate', 'x.test'], false, undefined],
    [['--validate', 'x.test'], true, undefined],
    [['--trust-anchor', 'a.conf', 'x.test'], true, 'a.conf'],
    [['--trust-anchor=b.conf', 'x.test'], true, 'b.conf'],
    [['x.test'], undefined, undefined],
  ];
  for (const [argv, validate, file] of cases) {
    const o = parseDigArgs(argv);
    assert.equal(o.validate, validate, argv.join(' '));
    assert.equal(o.trustAnchorFile, file, argv.join(' '));
    assert.equal(o.queries[0]!.name, 'x.test');
  }
  for (const bad of [['--trust-anchor'], ['--trust-anchor='], ['+validate=yes']]) {
    assert.throws(() => parseDigArgs([...bad]), (e: unknown) => e instanceof NetlabError && e.code === 'USAGE', bad.join(' '));
  }
});

function validation(status: DnssecValidation['status'], extra: Partial<DnssecValidation> = {}): DnssecValidation {
  return { status, mode: 'iterative', anchor: 'sec.test.', rcode: 'NOERROR', answer: [], chain: [], problems: [], queries: 5, ...extra };
}

test("delv's verdict lines for each verdict", () => {
  assert.equal(verdictLine(validation('secure')), '; fully validated');
  assert.equal(verdictLine(validation('secure', { rcode: 'NXDOMAIN' })), '; negative response, fully validated');
  assert.equal(verdictLine(validation('insecure', { problems: [{ code: 'INSECURE', severity: 'WARNING', message: 'u.test. is delegated without DS' }] })), '; unsigned answer (INSECURE: u.test. is delegated without DS)');
  assert.equal(verdictLine(validation('bogus', { problems: [{ code: 'BAD_SIGNATURE', severity: 'CRITICAL', message: 'www.t.test./A: the signature by key 1 (ECDSAP256SHA256) does not verify' }] })), ';; resolution failed: BAD_SIGNATURE: www.t.test./A: the signature by key 1 (ECDSAP256SHA256) does not verify');
  assert.equal(verdictLine(validation('indeterminate', { problems: [{ code: 'FETCH_FAILED', severity: 'CRITICAL', message: 'cannot fetch x./DS: timed out' }] })), ';; validation indeterminate: FETCH_FAILED: cannot fetch x./DS: timed out');
});

test('the chain of trust, one link a line, after the validated answer', () => {
  const v = validation('bogus', {
    answer: [{ name: 'www.t.test.', type: 'A', class: 'IN', ttl: 300, data: '192.0.2.1' }],
    chain: [
      { zone: 'sec.test.', kind: 'anchor', owner: 'sec.test.', type: 'DNSKEY', keyTags: [7551], algorithms: [13], verdict: 'secure', message: 'trust anchor matches key 7551' },
      { zone: 't.test.', kind: 'rrset', owner: 'www.t.test.', type: 'A', keyTags: [1], algorithms: [8], verdict: 'bogus', code: 'RRSIG_EXPIRED', message: 'expired' },
    ],
    problems: [{ code: 'RRSIG_EXPIRED', severity: 'CRITICAL', message: 'expired' }],
  });
  assert.deepEqual(validationLines(v), [
    ';; resolution failed: RRSIG_EXPIRED: expired',
    'www.t.test.\t\t300\tIN\tA\t192.0.2.1',
    ';; CHAIN OF TRUST (anchor sec.test., records walking the delegations, 5 queries):',
    ';   secure        sec.test. DNSKEY keys 7551 ECDSAP256SHA256: trust anchor matches key 7551',
    ';   bogus         www.t.test. A keys 1 RSASHA256 RRSIG_EXPIRED: expired',
    '',
  ]);
});
