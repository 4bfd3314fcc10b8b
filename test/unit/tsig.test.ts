/**
 * issue 14: TSIG (RFC 8945) against vectors made by BIND's own dig 9.18 (`dig -y ALG:key.example:SECRET
 * www.example.test A`, the query captured on a UDP socket): netlab verifies each and, signing the same
 * message at the same time, writes the same bytes. Then the answers' side: one answer, a transfer's
 * later messages (5.3.1, unsigned ones in between), and every way an answer fails, in BIND's words.
 */
import { test } from 'node:test';
import { createHmac } from 'node:crypto';
import assert from 'node:assert/strict';
import {
  findTsig, parseTsigKeyArg, parseTsigKeyFile, signTsig, tsigText, TsigVerifier, verifyTsigRequest, type TsigAlgorithm, type TsigKey,
} from '../../src/protocol/dns/tsig.js';
import { encodeMessage } from '../../src/protocol/dns/wire.js';
import { NetlabError } from '../../src/errors.js';

const SECRET = 'bmV0bGFiIHRzaWcgdGVzdCB2ZWN0b3Igc2VjcmV0ISE=';
const TIME = 0x6b11ab1d; // when BIND's dig signed them
const BIND_QUERIES: Record<TsigAlgorithm, string> = {
  'hmac-md5': '33230120000100000000000203777777076578616d706c650474657374000001000100002904d000000000000c000a00084f9b41022a3a9c3b036b6579076578616d706c650000fa00ff00000000003a08686d61632d6d6435077369672d616c670372656703696e740000006b11ab1d012c0010de46afc4963ef6621067edc7d5dbb552332300000000',
  'hmac-sha1': '3c7e0120000100000000000203777777076578616d706c650474657374000001000100002904d000000000000c000a0008da5d8780ac417ea6036b6579076578616d706c650000fa00ff00000000002f09686d61632d736861310000006b11ab1d012c0014357d545196c4954a8044d72a59bf36149114bcaa3c7e00000000',
  'hmac-sha224': '8dc30120000100000000000203777777076578616d706c650474657374000001000100002904d000000000000c000a000870870197fd049b8b036b6579076578616d706c650000fa00ff0000000000390b686d61632d7368613232340000006b11ab1d012c001c4dab451c8e6528007168c023adc46fa414ea5ee2339b9cc50a51ddd38dc300000000',
  'hmac-sha256': '7d610120000100000000000203777777076578616d706c650474657374000001000100002904d000000000000c000a0008d630fd97de5ed852036b6579076578616d706c650000fa00ff00000000003d0b686d61632d7368613235360000006b11ab1d012c0020e265c2f5c11aea96fda1aeb17420fc390baa6e3ab9ed3c8169b2dfb430924e327d6100000000',
  'hmac-sha384': 'e3af0120000100000000000203777777076578616d706c650474657374000001000100002904d000000000000c000a00085bce6cb9f4786420036b6579076578616d706c650000fa00ff00000000004d0b686d61632d7368613338340000006b11ab1d012c0030910d48718dcfa3daa7f381d22fcf29b6fc58125903a777409a5fc15e1a384b3aa41403faccb4ebfcec1e1744cafa662de3af00000000',
  'hmac-sha512': '8e020120000100000000000203777777076578616d706c650474657374000001000100002904d000000000000c000a0008f7005ec8ef1cbb9e036b6579076578616d706c650000fa00ff00000000005d0b686d61632d7368613531320000006b11ab1d012c00402d9d72c5dd15152c45f2d5615373df3f36ce1d3d3977b6f2dfe909a4e138abef3db8b3d844d7d393b863fab458374b1f134b7919061a516ff036b6e80528c2ad8e0200000000',
};

for (const [alg, hex] of Object.entries(BIND_QUERIES) as Array<[TsigAlgorithm, string]>) {
  test(`tsig: BIND dig's ${alg} query verifies, and signing it again gives BIND's bytes`, () => {
    const wire = Buffer.from(hex, 'hex');
    const key = parseTsigKeyArg(`${alg}:key.example:${SECRET}`);
    const v = verifyTsigRequest(wire, [key], TIME);
    assert.equal(v.error, undefined);
    assert.equal(v.record!.timeSigned, TIME);
    const found = findTsig(wire)!;
    const unsigned = Buffer.from(wire.subarray(0, found.offset));
    unsigned.writeUInt16BE(1, 10); // ARCOUNT without the TSIG: the OPT record
    const again = signTsig(unsigned, key, { timeSigned: TIME, fudge: 300 });
    assert.equal(again.wire.toString('hex'), hex);
    // the wrong secret: BADSIG; an unknown key: BADKEY
    assert.equal(verifyTsigRequest(wire, [{ ...key, secret: Buffer.from('other') }], TIME).error, 16);
    assert.equal(verifyTsigRequest(wire, [{ ...key, name: 'other.example' }], TIME).error, 17);
    assert.equal(verifyTsigRequest(wire, [key], TIME + 301).error, 18);
  });
}

const KEY: TsigKey = { name: 'k', algorithm: 'hmac-sha256', secret: Buffer.from(SECRET, 'base64') };
const answer = (id: number, n: number) => encodeMessage({ id, flags: ['qr', 'aa'], answers: [{ name: 'x.test.', ttl: 60, rdata: { type: 'A', address: `192.0.2.${n}` } }] });

test('tsig: an answer signed with the request MAC verifies; tampered, unsigned, or with an error set it does not (BIND\'s words)', () => {
  const req = signTsig(encodeMessage({ id: 7, questions: [{ name: 'x.test.', typeCode: 1 }] }), KEY);
  const ok = signTsig(answer(7, 1), KEY, { requestMac: req.mac });
  assert.deepEqual(new TsigVerifier(KEY, req.mac).verify(ok.wire).error, undefined);
  const tampered = Buffer.from(ok.wire);
  tampered[tampered.length - 60]! ^= 1;
  assert.equal(new TsigVerifier(KEY, req.mac).verify(tampered).error, 'tsig verify failure');
  assert.equal(new TsigVerifier(KEY, req.mac).verify(answer(7, 1)).error, 'expected a TSIG or SIG(0)');
  const badsig = signTsig(answer(7, 1), KEY, { requestMac: req.mac, error: 16 });
  const v = new TsigVerifier(KEY, req.mac).verify(badsig.wire);
  assert.equal(v.error, 'tsig indicates error');
  assert.match(tsigText(v.record!), /^hmac-sha256\. \d+ 300 0 7 BADSIG 0 $/);
  // another request's MAC: the answer does not belong to this request
  assert.equal(new TsigVerifier(KEY, Buffer.alloc(32)).verify(ok.wire).error, 'tsig verify failure');
  const skewed = signTsig(answer(7, 1), KEY, { requestMac: req.mac, timeSigned: Math.floor(Date.now() / 1000) - 1000 });
  assert.equal(new TsigVerifier(KEY, req.mac).verify(skewed.wire).error, 'clocks are unsynchronized');
});

test('tsig: a transfer\'s later messages cover the prior MAC and the unsigned messages between (RFC 8945 5.3.1)', () => {
  const req = signTsig(encodeMessage({ id: 9, questions: [{ name: 'x.test.', typeCode: 252 }] }), KEY);
  const first = signTsig(answer(9, 1), KEY, { requestMac: req.mac });
  const middle = answer(9, 2);
  // the third message signs the prior MAC, the unsigned middle message and itself: sign their concatenation
  const third = answer(9, 3);
  const v = new TsigVerifier(KEY, req.mac);
  assert.equal(v.verify(first.wire).error, undefined);
  assert.equal(v.verify(middle).error, undefined);
  assert.equal(v.lastSigned, false);
  // signTsig with continuation signs one message; the middle one goes in front of it in the digest
  const timers = Buffer.alloc(8);
  const now = Math.floor(Date.now() / 1000);
  timers.writeUInt16BE(0, 0);
  timers.writeUInt32BE(now, 2);
  timers.writeUInt16BE(300, 6);
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(first.mac.length, 0);
  const mac = createHmac('sha256', KEY.secret).update(prefix).update(first.mac).update(middle).update(third).update(timers).digest();
  const signed = signWithMac(third, mac, now, 9);
  assert.equal(v.verify(signed).error, undefined);
  assert.equal(v.lastSigned, true);
  // the same without the middle message in the digest fails
  const v2 = new TsigVerifier(KEY, req.mac);
  v2.verify(first.wire);
  assert.equal(v2.verify(signTsig(third, KEY, { requestMac: first.mac, continuation: true }).wire).error, undefined);
  const v3 = new TsigVerifier(KEY, req.mac);
  v3.verify(first.wire);
  v3.verify(middle);
  assert.equal(v3.verify(signTsig(third, KEY, { requestMac: first.mac, continuation: true }).wire).error, 'tsig verify failure');
  // more than 99 unsigned messages in a row
  const v4 = new TsigVerifier(KEY, req.mac);
  v4.verify(first.wire);
  for (let i = 0; i < 99; i++) assert.equal(v4.verify(middle).error, undefined);
  assert.match(v4.verify(middle).error!, /more than 99 unsigned/);
});


/** A message with a TSIG record carrying a given MAC (hmac-sha256, key k). */
function signWithMac(message: Buffer, mac: Buffer, time: number, id: number): Buffer {
  const withZero = signTsig(message, KEY, { timeSigned: time }).wire;
  // replace the MAC signTsig computed (same length) by ours
  const found = findTsig(withZero)!;
  const macAt = withZero.length - 6 - 32;
  mac.copy(withZero, macAt);
  assert.equal(found.record.originalId, id);
  return withZero;
}

test('tsig: dig -y syntax, default algorithm hmac-md5 as BIND 9.18 dig, bad input is USAGE', () => {
  assert.deepEqual(parseTsigKeyArg(`k:${SECRET}`).algorithm, 'hmac-md5');
  assert.deepEqual(parseTsigKeyArg(`hmac-sha512:k:${SECRET}`).algorithm, 'hmac-sha512');
  assert.equal(parseTsigKeyArg(`HMAC-SHA1:k.example.:${SECRET}`).name, 'k.example.');
  for (const bad of ['k', `hmac-foo:k:${SECRET}`, 'k:@@@', 'k:', `a:b:c:${SECRET}`]) {
    assert.throws(() => parseTsigKeyArg(bad), (e: unknown) => e instanceof NetlabError && e.code === 'USAGE', bad);
  }
});

test('tsig: a BIND key file as tsig-keygen writes it, comments allowed; errors are FILE:LINE', () => {
  const key = parseTsigKeyFile(`# made by tsig-keygen\nkey "xfr-key" {\n\talgorithm hmac-sha256;\n\tsecret "${SECRET}";\n};\n`, 'k.key');
  assert.deepEqual(key, { name: 'xfr-key', algorithm: 'hmac-sha256', secret: Buffer.from(SECRET, 'base64') });
  const cases: Array<[string, RegExp]> = [
    [`key "k" {\n algorithm hmac-foo;\n secret "${SECRET}";\n};`, /^k\.key:2: unknown TSIG algorithm 'hmac-foo'$/],
    [`key "k" {\n algorithm hmac-sha256;\n secret "not base64!";\n};`, /^k\.key:3: the secret of key 'k' is not base64$/],
    [`key "k" {\n algorithm hmac-sha256;\n};`, /^k\.key:1: key 'k' has no secret$/],
    [`/* a\n comment */ zone "k" {};`, /^k\.key:2: expected 'key', got 'zone'$/],
    [`key "k" {\n algorithm hmac-sha256;\n secret "${SECRET}"\n};`, /^k\.key:4: expected ';', got '}'$/],
    ['', /^k\.key:1: unexpected end of file, expected 'key'$/],
  ];
  for (const [text, want] of cases) {
    assert.throws(() => parseTsigKeyFile(text, 'k.key'), (e: unknown) => e instanceof NetlabError && e.code === 'INPUT' && want.test(e.message), text);
  }
});
