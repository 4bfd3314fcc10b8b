import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { createLabPki, DAY_MS, issueLeaf, type LabCa, type LeafOptions } from '../../src/lab/tls/ca.js';
import { testKeySource } from '../helpers/test-keys.js';

// issue 10: issueLeaf builds its certificate without @peculiar/x509's generator (which parses
// everything back); what it makes must be what the generator makes from the same data
test('issueLeaf makes the certificate X509CertificateGenerator.create makes (same TBS bytes), signed by its issuer, ECDSA and RSA, SHA-256 and SHA-1', async () => {
  const pki = await createLabPki(new Date(), testKeySource());
  const t = Date.now();
  const cases: Array<[LabCa, LeafOptions]> = [
    [pki.intermediate, { dnsNames: ['www.example.test', 'example.test'], ipAddresses: ['127.0.0.1', '::1'], notBefore: new Date(t - DAY_MS + 123), notAfter: new Date(t + 90 * DAY_MS + 456), caIssuersUrl: 'http://127.54.0.1/x.crt', ocspUrl: 'http://127.0.0.1:9/', crlUrl: 'http://127.0.0.1:9/c.crl' }],
    [pki.rsaIntermediate, { dnsNames: ['www.example.test'], keyType: 'rsa-2048', keySource: testKeySource(), signatureHash: 'SHA-1', notBefore: new Date(t - DAY_MS), notAfter: new Date(t + DAY_MS) }],
    [pki.rsaIntermediate, { dnsNames: ['a.test'], keyType: 'rsa-1024', keySource: testKeySource(), notBefore: new Date(t - DAY_MS), notAfter: new Date(t + DAY_MS) }],
    [pki.untrustedRoot, { dnsNames: [], notBefore: new Date(t - DAY_MS), notAfter: new Date(Date.UTC(2055, 0, 1, 0, 0, 0, 999)) }],
  ];
  for (const [issuer, options] of cases) {
    const leaf = await issueLeaf(issuer, options);
    const cert = new x509.X509Certificate(leaf.certPem);
    assert.equal(`${cert.toString('pem')}\n`, leaf.certPem, 'PEM as the library writes it');
    assert.ok(await cert.verify({ publicKey: issuer.signer.cert.publicKey, signatureOnly: true }), 'signed by the issuer');
    assert.equal(cert.issuer, issuer.signer.cert.subject);
    assert.equal(leaf.notBefore.getTime(), cert.notBefore.getTime());
    assert.equal(leaf.notAfter.getTime(), cert.notAfter.getTime());
    assert.equal(cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId, (await x509.SubjectKeyIdentifierExtension.create(cert.publicKey)).keyId);
    const hash = options.signatureHash ?? 'SHA-256';
    const algorithm = issuer.signer.keys.privateKey.algorithm as { name: string };
    const signingKey = algorithm.name === 'ECDSA'
      ? issuer.signer.keys.privateKey
      : await webcrypto.subtle.importKey('pkcs8', await webcrypto.subtle.exportKey('pkcs8', issuer.signer.keys.privateKey), { name: algorithm.name, hash }, false, ['sign']);
    const made = await x509.X509CertificateGenerator.create({
      serialNumber: cert.serialNumber,
      subject: cert.subject,
      issuer: issuer.signer.cert.subject,
      notBefore: options.notBefore,
      notAfter: options.notAfter,
      publicKey: cert.publicKey,
      signingKey,
      signingAlgorithm: { name: algorithm.name, hash },
      extensions: cert.extensions,
    });
    const tbs = (c: x509.X509Certificate) => Buffer.from(AsnConvert.serialize(AsnConvert.parse(c.rawData, Certificate).tbsCertificate)).toString('hex');
    assert.equal(tbs(cert), tbs(made), `${options.dnsNames[0] ?? 'no name'}: the same TBSCertificate`);
    assert.equal(Buffer.from(cert.rawData).subarray(4).indexOf(Buffer.from(AsnConvert.serialize(AsnConvert.parse(cert.rawData, Certificate).tbsCertificate))), 0, 'the TBS first, as signed');
  }
});
