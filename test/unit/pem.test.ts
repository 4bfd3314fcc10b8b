/** The PEM scanner (pemBodies / pemBlocks / parsePemBundle) and the handshake failure reasons. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pemBlocks, pemBodies, parsePemBundle } from '../../src/protocol/tls/certs.js';
import { handshakeFailureReason } from '../../src/protocol/tls/connect.js';
import { createLabPki } from '../../src/lab/tls/ca.js';
import { testKeySource } from '../helpers/test-keys.js';

const BEGIN = '-----BEGIN CERTIFICATE-----\n';

/** The ranges the scanner searched, checked to go forward only: each starts where the previous one ended or later. */
function searched(text: string): { ranges: Array<[number, number]>; total: number } {
  const ranges: Array<[number, number]> = [];
  pemBodies(text, (from, to) => ranges.push([from, to]));
  for (let i = 1; i < ranges.length; i++) assert.ok(ranges[i]![0] >= ranges[i - 1]![1], `search ${i} goes back: ${JSON.stringify(ranges.slice(i - 1, i + 1))}`);
  return { ranges, total: ranges.reduce((sum, [a, b]) => sum + (b - a), 0) };
}

// issue 9.9: the PEM scan was quadratic (a lazy regex restarted at every BEGIN): 5 MB of BEGIN lines without an END took 72 s
test('the scan looks at each character a bounded number of times: BEGIN lines without END, blocks, junk', async () => {
  const pki = await createLabPki(new Date(), testKeySource());
  const cases = [
    BEGIN.repeat(100_000),
    `junk\n${pki.root.certPem}junk${BEGIN.repeat(1000)}${pki.intermediate.certPem}${BEGIN.repeat(50_000)}`,
    `${pki.root.certPem}${pki.intermediate.certPem}`.repeat(200),
    '-----END CERTIFICATE-----\n'.repeat(10_000),
    '',
  ];
  for (const text of cases) {
    const { ranges, total } = searched(text);
    // forward, non-overlapping ranges: together at most the text, each character searched once
    assert.ok(total <= text.length, `searched ${total} characters of ${text.length}`);
    assert.ok(ranges.length <= 2 * (text.length / BEGIN.length) + 2);
  }
});

// issue 9.9: 16 MiB of BEGIN lines (the --file and --ca bound) would take hours with the old scan
test('16 MiB of BEGIN lines without an END: no block, within the test timeout', { timeout: 20_000 }, () => {
  const text = BEGIN.repeat(Math.floor((16 * 1024 * 1024) / BEGIN.length));
  assert.deepEqual(pemBlocks(text), []);
  assert.deepEqual(parsePemBundle(text, 'x.pem'), []);
});

test('the blocks found are those the old regex found: in order, BEGIN to the first END after it', async () => {
  const pki = await createLabPki(new Date(), testKeySource());
  const bundle = `intro\n${pki.root.certPem}between\n${pki.intermediate.certPem}\n${BEGIN}no end here`;
  const oldRegex = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
  const old = (bundle.match(oldRegex) ?? []).map((pem) => Buffer.from(pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, ''), 'base64'));
  assert.deepEqual(pemBlocks(bundle), old);
  assert.equal(parsePemBundle(bundle, 'b.pem').length, 2);
  // a block left unfinished before a whole one spoils that one, as before: an error, not a silent skip
  assert.throws(() => parsePemBundle(`${BEGIN}AAAA\n${pki.root.certPem}`, 'c.pem'), /c\.pem: certificate 1 is not a valid X\.509 certificate/);
});

// issue 9.12: a raw OpenSSL error string, with the path of the OpenSSL build, leaked into the message
test('handshake failure reasons are one clean line: no OpenSSL function names, build paths or line numbers', () => {
  const openssl = (reason: string, fn = 'ssl3_get_record', file = '../deps/openssl/openssl/ssl/record/ssl3_record.c:354') =>
    Object.assign(new Error(`80BC6BF4397F0000:error:0A00010B:SSL routines:${fn}:${reason}:${file}:\n`), { code: `ERR_SSL_${reason.toUpperCase().replace(/ /g, '_')}`, reason, library: 'SSL routines' });
  const cases: Array<[Error, RegExp]> = [
    [openssl('wrong version number'), /^the server sent something that is not TLS/],
    [openssl('packet length too long'), /^the server sent something that is not TLS/],
    [openssl('decryption failed or bad record mac'), /^decryption failed or bad record mac$/],
    [openssl('unexpected message', 'ossl_statem_client_read_transition', '../deps/openssl/openssl/ssl/statem/statem_clnt.c:396'), /^unexpected message$/],
    [openssl('sslv3 alert handshake failure', 'ssl3_read_bytes'), /^the server refused the handshake \(TLS alert: handshake failure\)$/],
    [openssl('tlsv1 alert protocol version', 'ssl3_read_bytes'), /^the server refused the handshake \(TLS alert: protocol version\)$/],
    // no `reason` property: read from the message
    [new Error('C0:error:0A000126:SSL routines:ssl3_read_n:unexpected eof while reading:../ssl/record/rec_layer_s3.c:303:\n'), /^unexpected eof while reading$/],
    [Object.assign(new Error('Client network socket disconnected before secure TLS connection was established'), { code: 'ECONNRESET' }), /^the server closed the connection during the handshake$/],
    [Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), /^the server reset the connection during the handshake$/],
    [Object.assign(new Error('something /usr/lib/x.c:12: odd\nsecond line'), { code: 'ERR_SOMETHING' }), /^ERR_SOMETHING$/],
  ];
  for (const [e, re] of cases) {
    const why = handshakeFailureReason(e);
    assert.match(why, re, e.message);
    assert.doesNotMatch(why, /\/|\.c\b|routines|error:|ssl3_|ossl_|\n/, why);
  }
});
