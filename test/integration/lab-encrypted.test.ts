/**
 * issue 14: the lab's ns1 and ns2.example.test listen for DoT, DoH and h2c; `netlab lab`
 * lists them (protocol dns) and its dig examples over them work as printed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, type Lab } from '../../src/lab/index.js';
import { digHere } from '../helpers/dig.js';
import { testKeySource } from '../helpers/test-keys.js';

let lab: Lab;
before(async () => {
  lab = await startLab({ port: 0, keySource: testKeySource() });
});
after(async () => {
  await lab.close();
});

test('the encrypted endpoints are listed, on the same three ports for ns1, ns2 and the GSLB', () => {
  const enc = lab.endpoints.filter((e) => / (DoT|DoH|DoH h2c)$/.test(e.role));
  assert.deepEqual(enc.map((e) => [e.role, e.address, e.port, e.protocol]), [
    ['ns1.example.test DoT', '127.53.0.3', lab.encryptedDns.ports.dot, 'dns'],
    ['ns1.example.test DoH', '127.53.0.3', lab.encryptedDns.ports.doh, 'dns'],
    ['ns1.example.test DoH h2c', '127.53.0.3', lab.encryptedDns.ports.h2c, 'dns'],
    ['ns2.example.test DoT', '127.53.0.4', lab.encryptedDns.ports.dot, 'dns'],
    ['ns2.example.test DoH', '127.53.0.4', lab.encryptedDns.ports.doh, 'dns'],
    ['ns2.example.test DoH h2c', '127.53.0.4', lab.encryptedDns.ports.h2c, 'dns'],
    // issue 14: the GSLB too, for the HttpDNS lesson (DoH with the client's subnet)
    ['ns1.gslb.test DoT', '127.53.3.1', lab.encryptedDns.ports.dot, 'dns'],
    ['ns1.gslb.test DoH', '127.53.3.1', lab.encryptedDns.ports.doh, 'dns'],
    ['ns1.gslb.test DoH h2c', '127.53.3.1', lab.encryptedDns.ports.h2c, 'dns'],
  ]);
  assert.equal(new Set([lab.encryptedDns.ports.dot, lab.encryptedDns.ports.doh, lab.encryptedDns.ports.h2c]).size, 3);
});

test('the lab\'s DoT/DoH examples run as printed: exit 0, the answer, verified where the lab CA is given', async () => {
  const examples = lab.examples.filter((e) => / \+(tls|https|http-plain)/.test(e));
  assert.equal(examples.length, 5);
  const outputs: string[] = [];
  for (const e of examples) {
    const argv = e.replace(/\s+#.*$/, '').split(/\s+/).slice(2); // after `netlab dig`
    const r = await digHere(argv);
    assert.equal(r.code, 0, `${e}\n${r.stdout}${r.stderr}`);
    outputs.push(r.stdout);
  }
  assert.match(outputs[0]!, /\(TLS\)\n;; TLS: .*certificate NOT verified \(opportunistic profile/);
  assert.match(outputs[1]!, /\(TLS\)\n;; TLS: .*certificate verified for ns1\.example\.test \(strict profile\)/);
  assert.match(outputs[2]!, /\tAAAA\t2001:db8::10\n[\s\S]*\(HTTPS\)\n;; TLS: .*certificate verified for 127\.53\.0\.3 \(strict profile\)/);
  // issue 14: the GSLB over DoH, the client's subnet in the query: the north edge, scope /24
  assert.match(outputs[4]!, /; CLIENT-SUBNET: 198\.51\.100\.0\/24\/24\n[\s\S]*www\.gslb\.test\.\t+\d+\tIN\tA\t127\.55\.0\.4\n[\s\S]*\(HTTPS\)\n;; TLS: .*certificate verified for 127\.53\.3\.1 \(strict profile\)/);
  assert.equal(outputs[3], '10 mail.example.test.\n20 mail2.example.test.\n');
});
