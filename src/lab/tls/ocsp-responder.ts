/**
 * The lab's PKI repository: one plain-HTTP server on loopback that serves what the lab's
 * certificates point at, as a CA's web servers do:
 *
 *   POST /ocsp, GET /ocsp/BASE64      an OCSP responder (RFC 6960) for the lab intermediate,
 *                                     signed by the intermediate itself; it echoes the nonce
 *   .../ocsp/delegated                the same, signed by a delegated responder certificate
 *                                     (id-kp-OCSPSigning, issued by the intermediate)
 *   .../ocsp/no-eku                   signed by a certificate of the intermediate WITHOUT
 *                                     id-kp-OCSPSigning: clients must refuse it
 *   .../ocsp/stale                    nextUpdate a day in the past
 *   .../ocsp/try-later                answers tryLater (RFC 6960 2.3), no response
 *   GET /intermediate.crl (.pem)      the intermediate's CRL, DER (PEM): the revoked leaves
 *   GET /stale.crl                    the same CRL with nextUpdate a day in the past
 *   GET /intermediate.crt (.p7c)      the intermediate, DER (PKCS#7 certs-only)
 *   GET /root.crt                     the lab root, DER
 *   /moved/PATH, /loop, /to-https     a 301 to /PATH, a 302 to itself, a 302 to an https: URL
 *
 * A serial the intermediate issued is "good" unless it was revoked (RFC 6960 2.2: good means
 * "not revoked"); a request about another issuer is answered `unauthorized` (2.3). The port
 * is free when the lab starts, so the URLs are known only then: the lab starts this server
 * first and issues the certificates that point at it afterwards.
 */
import http from 'node:http';
import { createHash, sign, X509Certificate as NodeX509 } from 'node:crypto';
import type net from 'node:net';
import * as x509 from '@peculiar/x509';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, CRLReason, CRLReasons, Extension } from '@peculiar/asn1-x509';
import {
  BasicOCSPResponse, CertStatus, KeyHash, OCSPRequest, OCSPResponse, OCSPResponseStatus, ResponderID, ResponseBytes, ResponseData, RevokedInfo,
  SingleResponse, id_pkix_ocsp_basic, id_pkix_ocsp_nonce,
} from '@peculiar/asn1-ocsp';
import { DAY_MS, issueOcspSigner, type LabCa, type LabCert } from './ca.js';
import { closeServer, listen, trackSocket } from '../listen.js';

/** Where the repository listens: its own loopback address, apart from the TLS cases' 127.54.0.x. */
export const LAB_REPOSITORY_ADDRESS = '127.54.2.1';

/** The URLs a lab certificate can carry (AIA OCSP and caIssuers, CRL distribution point). */
export interface LabRepositoryUrls {
  ocsp: string;
  crl: string;
  intermediate: string;
  intermediateP7c: string;
  root: string;
}

/** The URLs of a repository at `base` (`http://ADDRESS:PORT`). */
export function repositoryUrls(base: string): LabRepositoryUrls {
  return { ocsp: `${base}/ocsp`, crl: `${base}/intermediate.crl`, intermediate: `${base}/intermediate.crt`, intermediateP7c: `${base}/intermediate.p7c`, root: `${base}/root.crt` };
}

/** URLs for certificates issued with no repository running (the nginx interop test issues the cases itself): port 9, discard, nothing answers. */
export const UNSERVED_REPOSITORY = repositoryUrls(`http://${LAB_REPOSITORY_ADDRESS}:9`);

/** A revoked lab certificate, as the CRL and the responder list it. */
export interface LabRevoked {
  cert: LabCert;
  revokedAt: Date;
  reason: keyof typeof CRLReasons;
}

/** What the repository serves, fixed once the lab has issued its certificates. */
export interface LabRepositoryContent {
  /** The CA the responder and the CRL speak for (the lab intermediate). */
  ca: LabCa;
  root: LabCa;
  revoked: LabRevoked[];
  /** The instant the CRL and responses are dated from (thisUpdate an hour before). */
  issuedAt: Date;
}

type Variant = 'issuer' | 'delegated' | 'no-eku' | 'stale' | 'try-later';
const VARIANTS: Record<string, Variant> = { '': 'issuer', delegated: 'delegated', 'no-eku': 'no-eku', stale: 'stale', 'try-later': 'try-later' };

/** Requests larger than this are refused (an OCSP request for one certificate is ~100 bytes). */
const MAX_REQUEST_BYTES = 16 * 1024;

interface Prepared {
  files: Map<string, { type: string; body: Buffer }>;
  ca: LabCa;
  /** SHA-1 of the CA's public key bits and of its subject Name (DER), as CertIDs give them. */
  keyHash: Buffer;
  nameHash: Buffer;
  revoked: Map<string, LabRevoked>;
  delegated: LabCert;
  noEku: LabCert;
  issuedAt: Date;
}

function serialOf(cert: LabCert): string {
  return new NodeX509(cert.certPem).serialNumber.toUpperCase().replace(/^(00)+(?=.)/, '');
}

function sha1(b: Uint8Array): Buffer {
  return createHash('sha1').update(b).digest();
}

/** The lab's PKI repository server; see the module comment. */
export class LabRepository {
  private server?: http.Server;
  private port_ = 0;
  private prepared?: Prepared;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly options: { address?: string; port?: number } = {}) {}

  get address(): string {
    return this.options.address ?? LAB_REPOSITORY_ADDRESS;
  }

  get port(): number {
    return this.port_;
  }

  /** `http://ADDRESS:PORT`, once started. */
  get base(): string {
    return `http://${this.address}:${this.port_}`;
  }

  get urls(): LabRepositoryUrls {
    return repositoryUrls(this.base);
  }

  /** Listen (before the content is known: requests get 503 until {@link setContent}). Rejects with the listen error. */
  async start(): Promise<void> {
    const server = http.createServer((req, res) => this.handle(req, res));
    server.on('connection', (s: net.Socket) => {
      trackSocket(this.sockets, s);
      s.setTimeout(5000, () => s.destroy());
    });
    this.port_ = await listen(server, this.options.port ?? 0, this.address);
    this.server = server;
  }

  /** Issue what is served: the CRLs, the certificate files, the responder certificates. */
  async setContent(content: LabRepositoryContent): Promise<void> {
    const { ca, root } = content;
    const t = content.issuedAt.getTime();
    const thisUpdate = new Date(t - 3_600_000);
    const crl = async (nextUpdate: Date) => {
      const signer = ca.signer;
      const algorithm = signer.keyType === 'ec-p256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
      const generated = await x509.X509CrlGenerator.create({
        issuer: signer.cert.subject,
        thisUpdate,
        nextUpdate,
        signingAlgorithm: algorithm,
        signingKey: signer.keys.privateKey,
        entries: content.revoked.map((r) => ({ serialNumber: serialOf(r.cert), revocationDate: r.revokedAt, reason: CRLReasons[r.reason] as unknown as x509.X509CrlReason })),
      });
      return Buffer.from(generated.rawData);
    };
    const [fresh, stale, delegated, noEku] = await Promise.all([
      crl(new Date(t + 7 * DAY_MS)),
      crl(new Date(t - DAY_MS)),
      issueOcspSigner(ca, 'netlab Lab OCSP Responder', true, { notBefore: new Date(t - DAY_MS), notAfter: new Date(t + 30 * DAY_MS) }),
      issueOcspSigner(ca, 'netlab Lab Not An OCSP Responder', false, { notBefore: new Date(t - DAY_MS), notAfter: new Date(t + 30 * DAY_MS) }),
    ]);
    const der = (c: LabCert) => Buffer.from(new NodeX509(c.certPem).raw);
    const p7c = Buffer.from(new x509.X509Certificates([ca.signer.cert]).export('raw'));
    const pem = (label: string, b: Buffer) => `-----BEGIN ${label}-----\n${b.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END ${label}-----\n`;
    const tbs = AsnConvert.parse(ca.signer.cert.rawData, Certificate).tbsCertificate;
    this.prepared = {
      files: new Map([
        ['/intermediate.crl', { type: 'application/pkix-crl', body: fresh }],
        ['/intermediate.crl.pem', { type: 'application/x-pem-file', body: Buffer.from(pem('X509 CRL', fresh)) }],
        ['/stale.crl', { type: 'application/pkix-crl', body: stale }],
        ['/intermediate.crt', { type: 'application/pkix-cert', body: der(ca) }],
        ['/intermediate.p7c', { type: 'application/pkcs7-mime', body: p7c }],
        ['/root.crt', { type: 'application/pkix-cert', body: der(root) }],
      ]),
      ca,
      keyHash: sha1(new Uint8Array(tbs.subjectPublicKeyInfo.subjectPublicKey)),
      nameHash: sha1(new Uint8Array(AsnConvert.serialize(tbs.subject))),
      revoked: new Map(content.revoked.map((r) => [serialOf(r.cert), r])),
      delegated,
      noEku,
      issuedAt: content.issuedAt,
    };
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeServer(server, this.sockets);
  }

  /** How many requests it has answered (a test shows that nothing is fetched unless asked). */
  requests = 0;

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.requests++;
    const send = (status: number, type: string, body: Buffer | string) => {
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'max-age=60', Connection: 'close' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const p = this.prepared;
    if (!p) return send(503, 'text/plain', 'not ready\n');
    const path = (req.url ?? '/').split('?')[0]!;
    // redirects, for clients' redirect handling: /moved/X -> /X, /loop -> itself, /to-https -> https:
    const redirect = (to: string) => {
      res.writeHead(path.startsWith('/moved/') ? 301 : 302, { Location: to, 'Content-Length': 0, Connection: 'close' });
      res.end();
    };
    if (path.startsWith('/moved/')) return redirect(path.slice('/moved'.length));
    if (path === '/loop') return redirect('/loop');
    if (path === '/to-https') return redirect(`https://${this.address}:${this.port_}/intermediate.crl`);
    const file = p.files.get(path);
    if (file && (req.method === 'GET' || req.method === 'HEAD')) return send(200, file.type, file.body);
    const ocsp = /^\/ocsp(?:\/(delegated|no-eku|stale|try-later))?(?:\/(.*))?$/.exec(path);
    if (!ocsp) return send(404, 'text/plain', 'not found\n');
    const variant = VARIANTS[ocsp[1] ?? '']!;
    const answer = (der: Buffer | undefined) => (der ? send(200, 'application/ocsp-response', this.respond(p, der, variant)) : send(400, 'text/plain', 'bad request\n'));
    if (req.method === 'GET' && ocsp[2]) {
      // RFC 6960 A.1: GET {url}/{url-encoding of base-64 encoding of the DER OCSPRequest}
      let der: Buffer | undefined;
      try {
        der = Buffer.from(decodeURIComponent(ocsp[2]), 'base64');
      } catch {
        der = undefined;
      }
      return answer(der);
    }
    if (req.method !== 'POST') return send(405, 'text/plain', 'POST an OCSP request\n');
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_REQUEST_BYTES) {
        send(413, 'text/plain', 'too large\n');
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (size <= MAX_REQUEST_BYTES) answer(Buffer.concat(chunks));
    });
    req.on('error', () => res.destroy());
  }

  /** The DER OCSPResponse to one request. */
  private respond(p: Prepared, der: Buffer, variant: Variant): Buffer {
    const status = (s: OCSPResponseStatus) => Buffer.from(AsnConvert.serialize(new OCSPResponse({ responseStatus: s })));
    let request: OCSPRequest;
    try {
      request = AsnConvert.parse(der, OCSPRequest);
    } catch {
      return status(OCSPResponseStatus.malformedRequest);
    }
    if (variant === 'try-later') return status(OCSPResponseStatus.tryLater);
    const list = request.tbsRequest.requestList;
    if (list.length === 0) return status(OCSPResponseStatus.malformedRequest);
    // whole seconds (X.509 times carry no fraction); this update an hour ago, as pre-signed responses are
    const now = Math.floor(Date.now() / 1000) * 1000;
    const thisUpdate = new Date(now - 3_600_000);
    const nextUpdate = variant === 'stale' ? new Date(now - DAY_MS) : new Date(now + 7 * DAY_MS);
    const responses: SingleResponse[] = [];
    for (const r of list) {
      const id = r.reqCert;
      const alg = id.hashAlgorithm.algorithm === '1.3.14.3.2.26' ? 'sha1' : id.hashAlgorithm.algorithm === '2.16.840.1.101.3.4.2.1' ? 'sha256' : undefined;
      const tbs = AsnConvert.parse(p.ca.signer.cert.rawData, Certificate).tbsCertificate;
      const hash = (b: Uint8Array) => createHash(alg ?? 'sha1').update(b).digest();
      const ours = alg !== undefined
        && Buffer.from(id.issuerKeyHash.buffer).equals(alg === 'sha1' ? p.keyHash : hash(new Uint8Array(tbs.subjectPublicKeyInfo.subjectPublicKey)))
        && Buffer.from(id.issuerNameHash.buffer).equals(alg === 'sha1' ? p.nameHash : hash(new Uint8Array(AsnConvert.serialize(tbs.subject))));
      if (!ours) return status(OCSPResponseStatus.unauthorized);
      const serial = Buffer.from(id.serialNumber).toString('hex').toUpperCase().replace(/^(00)+(?=.)/, '');
      const revoked = p.revoked.get(serial);
      const certStatus = revoked
        ? new CertStatus({ revoked: new RevokedInfo({ revocationTime: new Date(Math.floor(revoked.revokedAt.getTime() / 1000) * 1000), revocationReason: new CRLReason(CRLReasons[revoked.reason]) }) })
        : new CertStatus({ good: null });
      responses.push(new SingleResponse({ certID: id, certStatus, thisUpdate, nextUpdate }));
    }
    const nonce = request.tbsRequest.requestExtensions?.find((e) => e.extnID === id_pkix_ocsp_nonce);
    const signer = variant === 'delegated' ? p.delegated : variant === 'no-eku' ? p.noEku : p.ca;
    const signerCert = new x509.X509Certificate(signer.certPem);
    const signerKeyBits = AsnConvert.parse(signerCert.rawData, Certificate).tbsCertificate.subjectPublicKeyInfo.subjectPublicKey;
    const data = new ResponseData({
      responderID: new ResponderID({ byKey: new KeyHash(sha1(new Uint8Array(signerKeyBits))) }),
      producedAt: new Date(now),
      responses,
      ...(nonce ? { responseExtensions: [new Extension({ extnID: id_pkix_ocsp_nonce, critical: false, extnValue: nonce.extnValue })] } : {}),
    });
    const tbs = Buffer.from(AsnConvert.serialize(data));
    const ec = signer.key.asymmetricKeyType === 'ec';
    const basic = new BasicOCSPResponse({
      tbsResponseData: data,
      signatureAlgorithm: ec
        ? new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' })
        : new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.11', parameters: null }),
      signature: new Uint8Array(sign('sha256', tbs, signer.key)).buffer,
      ...(signer === p.ca ? {} : { certs: [AsnConvert.parse(signerCert.rawData, Certificate)] }),
    });
    return Buffer.from(AsnConvert.serialize(new OCSPResponse({
      responseStatus: OCSPResponseStatus.successful,
      responseBytes: new ResponseBytes({ responseType: id_pkix_ocsp_basic, response: new OctetString(AsnConvert.serialize(basic)) }),
    })));
  }
}
