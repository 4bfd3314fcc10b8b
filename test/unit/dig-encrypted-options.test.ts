/** issue 14: dig's encrypted-transport +options and the footer they give. Pure: no network. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBatchLine, parseDigArgs } from '../../src/commands/dig/options.js';
import { tlsLine } from '../../src/commands/dig/render.js';
import { NetlabError } from '../../src/errors.js';

const pick = (argv: string[]) => {
  const o = parseDigArgs(argv);
  return { transport: o.transport, port: o.port, path: o.dohPath, method: o.dohMethod, ca: o.tlsCa, host: o.tlsHostname };
};

test('+tls, +https, +https-get, +http-plain(-get): transport, default port, path, method', () => {
  assert.deepEqual(pick(['x.test']), { transport: 'udp', port: 53, path: '/dns-query', method: 'POST', ca: undefined, host: undefined });
  assert.deepEqual(pick(['+tls', 'x.test']), { transport: 'tls', port: 853, path: '/dns-query', method: 'POST', ca: undefined, host: undefined });
  assert.deepEqual(pick(['+https', 'x.test']), { transport: 'https', port: 443, path: '/dns-query', method: 'POST', ca: undefined, host: undefined });
  assert.deepEqual(pick(['+https-get=/q', 'x.test']), { transport: 'https', port: 443, path: '/q', method: 'GET', ca: undefined, host: undefined });
  assert.deepEqual(pick(['+http-plain', 'x.test']), { transport: 'http-plain', port: 80, path: '/dns-query', method: 'POST', ca: undefined, host: undefined });
  assert.deepEqual(pick(['+http-plain-get', '-p', '8053', 'x.test']), { transport: 'http-plain', port: 8053, path: '/dns-query', method: 'GET', ca: undefined, host: undefined });
  // -p before or after the transport: -p wins
  assert.equal(pick(['-p', '5353', '+tls', 'x.test']).port, 5353);
});

test('+tls-ca and +tls-hostname imply +tls; +no forms undo', () => {
  assert.deepEqual(pick(['+tls-ca=/tmp/ca.pem', 'x.test']), { transport: 'tls', port: 853, path: '/dns-query', method: 'POST', ca: '/tmp/ca.pem', host: undefined });
  assert.deepEqual(pick(['+tls-ca', 'x.test']).ca, true);
  assert.deepEqual(pick(['+https', '+tls-hostname=dns.example', 'x.test']), { transport: 'https', port: 443, path: '/dns-query', method: 'POST', ca: undefined, host: 'dns.example' });
  assert.equal(pick(['+tls', '+notls', 'x.test']).transport, 'udp');
  assert.equal(pick(['+https', '+nohttps', 'x.test']).port, 53);
  assert.equal(pick(['+tls-ca=/a', '+notls-ca', '+notls', 'x.test']).ca, undefined);
});

test('bad encrypted +options are usage errors naming the token', () => {
  const bad: Array<[string[], RegExp]> = [
    [['+tls=1', 'x.test'], /\+tls=1: \+tls takes no value/],
    [['+https=dns-query', 'x.test'], /\+https=dns-query: the endpoint must be a path starting with '\/'/],
    [['+tls-hostname', 'x.test'], /give the name to verify/],
    [['+tls-ca=', 'x.test'], /give a file/],
  ];
  for (const [argv, re] of bad) {
    assert.throws(() => parseDigArgs(argv), (e: unknown) => e instanceof NetlabError && e.code === 'USAGE' && re.test(e.message), argv.join(' '));
  }
});

test('a -f line can choose its own transport over the command line\'s', () => {
  const base = parseDigArgs(['+tls', '-f', 'x']);
  const [job] = parseBatchLine('a.test +https-get', base)!;
  assert.equal(job!.options.transport, 'https');
  assert.equal(job!.options.dohMethod, 'GET');
  assert.equal(job!.options.port, 443);
  const [plain] = parseBatchLine('b.test', base)!;
  assert.equal(plain!.options.transport, 'tls');
  assert.equal(plain!.options.port, 853);
});

test('the TLS footer line says the profile plainly', () => {
  assert.equal(tlsLine({ profile: 'opportunistic', verified: false, protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', alpn: 'dot' }),
    ';; TLS: TLSv1.3, TLS_AES_256_GCM_SHA384, ALPN dot; certificate NOT verified (opportunistic profile, RFC 8310: encrypted, not authenticated)');
  assert.equal(tlsLine({ profile: 'strict', verified: true, hostname: 'dns.example', protocol: 'TLSv1.2', alpn: null }),
    ';; TLS: TLSv1.2; certificate verified for dns.example (strict profile)');
});

test('TSIG over DoT/DoH is refused as a usage error (the answer\'s TSIG would go unverified), allowed over UDP and TCP', () => {
  const key = 'hmac-sha256:k:c2VjcmV0c2VjcmV0c2VjcmV0';
  for (const t of ['+tls', '+https', '+http-plain']) {
    assert.throws(() => parseDigArgs(['-y', key, t, 'x.test']), (e: unknown) => e instanceof NetlabError && e.code === 'USAGE' && /TSIG .* not supported yet/.test(e.message));
    assert.throws(() => parseDigArgs(['-k', '/nonexistent.key', t, 'x.test']), (e: unknown) => e instanceof NetlabError && e.code === 'USAGE');
  }
  assert.equal(parseDigArgs(['-y', key, 'x.test']).tsigKey?.name, 'k');
  assert.equal(parseDigArgs(['-y', key, '+tcp', 'x.test']).tcp, true);
});
