/**
 * issue 13 (side by side with blackbox_exporter 0.23): probe_ssl_last_chain_info's subject,
 * issuer and subjectalternative labels are written as blackbox_exporter writes them (Go's
 * pkix.Name.String() and strings.Join(cert.DNSNames, ",")), found by
 * test/interop/exporter-blackbox.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goDistinguishedName, goDnsNames } from '../../src/check/metrics-commands.js';

test("a distinguished name as Go writes it: ',' between RDNs, an escaped comma in a value kept", () => {
  assert.equal(goDistinguishedName('CN=netlab Lab Intermediate CA, O=netlab Lab'), 'CN=netlab Lab Intermediate CA,O=netlab Lab');
  assert.equal(goDistinguishedName('CN=www.example.test'), 'CN=www.example.test');
  assert.equal(goDistinguishedName('CN=a\\, b, O=Example\\, Inc., C=NL'), 'CN=a\\, b,O=Example\\, Inc.,C=NL');
  assert.equal(goDistinguishedName('O=x, y'), 'O=x, y', 'a comma not followed by an attribute is part of the value');
  assert.equal(goDistinguishedName(undefined), '');
});

test('the subject alternative names as blackbox_exporter writes them: DNS names only, no prefix', () => {
  assert.equal(goDnsNames(['DNS:www.example.test', 'DNS:example.test']), 'www.example.test,example.test');
  assert.equal(goDnsNames(['IP Address:127.0.0.1', 'DNS:a.test', 'email:x@y']), 'a.test');
  assert.equal(goDnsNames([]), '');
  assert.equal(goDnsNames(null), '');
});
