/**
 * The server's certificates exactly as it sent them, read from the bytes of the handshake
 * itself: the TLS records from the server, and for TLS 1.3 the server handshake traffic secret
 * (the client's key log), which decrypts the records that carry its Certificate message.
 *
 * Why: on a client, Node's getPeerX509Certificate() leaks every issuer certificate the server
 * sent (X509Certificate::New does `X509_dup(sk_X509_value(issuer_chain, 0));
 * sk_X509_delete(issuer_chain, 0);` and never frees the original), and getPeerCertificate(true)
 * re-sorts the chain, which CHAIN_ORDER must judge as sent. connect.ts reads the chain here
 * first and calls getPeerX509Certificate only when this reader gives null.
 *
 * Pure: bytes in, DER out. Bad, truncated or unexpected input gives null, never a throw, and
 * every loop and buffer is bounded.
 */
import { createDecipheriv, createHmac } from 'node:crypto';

/** The most handshake bytes read (records' plaintext, reassembled) before giving up: a Certificate message above OpenSSL's 100 KiB cap fits. */
export const MAX_HANDSHAKE_BYTES = 256 * 1024;

/** The most raw bytes from the server kept while waiting for a record to complete or for the key. */
const MAX_PENDING_BYTES = MAX_HANDSHAKE_BYTES + 2 * (5 + 16384 + 2048);

/** RFC 8446 5.1/5.2: a TLSPlaintext fragment is at most 2^14 bytes, a TLS 1.2 ciphertext 2^14 + 2048 (RFC 5246 6.2.3). */
const MAX_RECORD_BYTES = 16384 + 2048;

/** The most records read (a few per handshake in practice; at least 1 byte each even when empty). */
const MAX_RECORDS = 4096;

/** RFC 8446 4.1.3: the random of a HelloRetryRequest, SHA-256("HelloRetryRequest"). */
const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

const CONTENT_CHANGE_CIPHER_SPEC = 20;
const CONTENT_ALERT = 21;
const CONTENT_HANDSHAKE = 22;
const CONTENT_APPLICATION_DATA = 23;

const HS_HELLO_REQUEST = 0;
const HS_SERVER_HELLO = 2;
const HS_CERTIFICATE = 11;

const EXT_SUPPORTED_VERSIONS = 43;
const TLS13 = 0x0304;

/** The TLS 1.3 cipher suites whose records this reader decrypts (RFC 8446 B.4): AEAD, key length, HKDF hash. CCM suites are left to the fallback. */
const TLS13_SUITES: ReadonlyMap<number, { cipher: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305'; keyLength: number; hash: 'sha256' | 'sha384' }> = new Map([
  [0x1301, { cipher: 'aes-128-gcm', keyLength: 16, hash: 'sha256' }],
  [0x1302, { cipher: 'aes-256-gcm', keyLength: 32, hash: 'sha384' }],
  [0x1303, { cipher: 'chacha20-poly1305', keyLength: 32, hash: 'sha256' }],
] as const);

const HASH_LENGTH = { sha256: 32, sha384: 48 } as const;

/**
 * HKDF-Expand-Label (RFC 8446 7.1) with an empty context: `length` bytes (at most 255 blocks
 * of the hash) expanded from `secret` for `label` ("key", "iv").
 */
export function hkdfExpandLabel(hash: 'sha256' | 'sha384', secret: Buffer, label: string, length: number): Buffer {
  const fullLabel = Buffer.from(`tls13 ${label}`, 'latin1');
  // struct { uint16 length; opaque label<7..255>; opaque context<0..255>; } HkdfLabel
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, fullLabel.length]), fullLabel, Buffer.from([0])]);
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  let have = 0;
  // RFC 5869 2.3: T(i) = HMAC(PRK, T(i-1) | info | i), i from 1 to at most 255
  for (let i = 1; have < length && i <= 255; i++) {
    previous = createHmac(hash, secret).update(previous).update(info).update(Buffer.from([i])).digest();
    blocks.push(previous);
    have += previous.length;
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** The key and iv of one direction's TLS 1.3 traffic, and its record sequence number. */
interface TrafficKeys {
  cipher: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
  key: Buffer;
  iv: Buffer;
  sequence: bigint;
}

function uint24(b: Buffer, at: number): number {
  return (b[at]! << 16) | (b[at + 1]! << 8) | b[at + 2]!;
}

/**
 * The DER certificates of a Certificate message's body (RFC 5246 7.4.2, RFC 8446 4.4.2),
 * or null when the lengths do not add up exactly.
 */
export function certificateListOf(body: Buffer, tls13: boolean): Buffer[] | null {
  let at = 0;
  if (tls13) {
    if (body.length < 1) return null;
    at = 1 + body[0]!; // certificate_request_context
  }
  if (at + 3 > body.length) return null;
  const listLength = uint24(body, at);
  at += 3;
  if (at + listLength !== body.length) return null;
  const ders: Buffer[] = [];
  // each entry takes at least 3 bytes, so the loop ends within body.length / 3 turns
  while (at < body.length) {
    if (at + 3 > body.length) return null;
    const derLength = uint24(body, at);
    at += 3;
    if (derLength === 0 || at + derLength > body.length) return null;
    ders.push(body.subarray(at, at + derLength));
    at += derLength;
    if (tls13) {
      if (at + 2 > body.length) return null;
      const extensionsLength = body.readUInt16BE(at);
      at += 2 + extensionsLength;
      if (at > body.length) return null;
    }
  }
  return ders;
}

/** What a ServerHello says: the version chosen (supported_versions, else legacy_version), the suite, and whether it is a HelloRetryRequest. */
function parseServerHello(body: Buffer): { version: number; suite: number; retry: boolean } | null {
  // legacy_version(2) random(32) session_id<0..32> cipher_suite(2) compression(1) extensions<0..2^16-1>
  if (body.length < 38) return null;
  const legacyVersion = body.readUInt16BE(0);
  const retry = body.subarray(2, 34).equals(HRR_RANDOM);
  let at = 34;
  const sessionIdLength = body[at]!;
  at += 1 + sessionIdLength;
  if (sessionIdLength > 32 || at + 3 > body.length) return null;
  const suite = body.readUInt16BE(at);
  at += 3;
  let version = legacyVersion;
  if (at === body.length) return { version, suite, retry }; // no extensions (SSL 3.0, old TLS)
  if (at + 2 > body.length) return null;
  const extensionsEnd = at + 2 + body.readUInt16BE(at);
  at += 2;
  if (extensionsEnd !== body.length) return null;
  // each extension takes at least 4 bytes: at most body.length / 4 turns
  while (at < extensionsEnd) {
    if (at + 4 > extensionsEnd) return null;
    const type = body.readUInt16BE(at);
    const length = body.readUInt16BE(at + 2);
    at += 4;
    if (at + length > extensionsEnd) return null;
    if (type === EXT_SUPPORTED_VERSIONS) {
      if (length !== 2) return null;
      version = body.readUInt16BE(at);
    }
    at += length;
  }
  return { version, suite, retry };
}

/**
 * Reads the server's Certificate message from the server-to-client bytes of one TLS
 * connection, fed in order and in pieces with {@link push}; for TLS 1.3 the server handshake
 * traffic secret must be given too ({@link keylog} or {@link setServerHandshakeSecret}), in any
 * order with the bytes. {@link certificates} is the DER list once read, else null.
 */
export class SentCertificatesReader {
  /** Raw bytes from the server not yet read as whole records. */
  private pending: Buffer = Buffer.alloc(0);
  /** Handshake bytes (plaintext) not yet read as whole messages. */
  private handshake: Buffer = Buffer.alloc(0);
  private handshakeBytes = 0;
  private records = 0;
  private state: 'hello' | 'tls12' | 'tls13' | 'done' | 'failed' = 'hello';
  private retried = false;
  private suite = 0;
  private secret: Buffer | null = null;
  private keys: TrafficKeys | null = null;
  private ders: Buffer[] | null = null;

  /** Whether the reader needs no more bytes: the certificates are read, or it gave up. */
  get finished(): boolean {
    return this.state === 'done' || this.state === 'failed';
  }

  /** The DER certificates of the server's Certificate message, in the order sent; null until read, or when they cannot be. */
  certificates(): Buffer[] | null {
    return this.state === 'done' ? this.ders : null;
  }

  /** Feed the next bytes the server sent. Never throws. */
  push(chunk: Buffer): void {
    if (this.finished) return;
    try {
      if (this.pending.length + chunk.length > MAX_PENDING_BYTES) {
        this.fail();
        return;
      }
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      this.readRecords();
    } catch {
      this.fail();
    }
  }

  /** Take a line of the TLS key log (NSS format); only SERVER_HANDSHAKE_TRAFFIC_SECRET is used. Never throws. */
  keylog(line: Buffer | string): void {
    const text = typeof line === 'string' ? line : line.toString('latin1', 0, Math.min(line.length, 512));
    const m = /^SERVER_HANDSHAKE_TRAFFIC_SECRET [0-9a-fA-F]{64} ([0-9a-fA-F]{64}|[0-9a-fA-F]{96})\s*$/.exec(text);
    if (m) this.setServerHandshakeSecret(Buffer.from(m[1]!, 'hex'));
  }

  /** Give the TLS 1.3 server handshake traffic secret (RFC 8446 7.1). Never throws. */
  setServerHandshakeSecret(secret: Buffer): void {
    if (this.finished || this.secret) return;
    this.secret = Buffer.from(secret);
    try {
      this.readRecords();
    } catch {
      this.fail();
    }
  }

  private fail(): void {
    this.state = 'failed';
    this.pending = Buffer.alloc(0);
    this.handshake = Buffer.alloc(0);
    this.ders = null;
  }

  /** Read every whole record pending; stop early when a TLS 1.3 record needs the key not yet given. */
  private readRecords(): void {
    // each turn consumes a record of at least 5 bytes, and MAX_RECORDS bounds them too
    while (!this.finished && this.pending.length >= 5) {
      const type = this.pending[0]!;
      const major = this.pending[1]!;
      const length = this.pending.readUInt16BE(3);
      if (type < CONTENT_CHANGE_CIPHER_SPEC || type > CONTENT_APPLICATION_DATA || major !== 3 || length > MAX_RECORD_BYTES) {
        this.fail();
        return;
      }
      if (this.pending.length < 5 + length) return;
      if (type === CONTENT_APPLICATION_DATA && this.state === 'tls13' && !this.keys) {
        if (!this.secret) return; // wait for the key log
        this.keys = this.deriveKeys();
        if (!this.keys) {
          this.fail();
          return;
        }
      }
      if (++this.records > MAX_RECORDS) {
        this.fail();
        return;
      }
      const header = this.pending.subarray(0, 5);
      const fragment = this.pending.subarray(5, 5 + length);
      this.pending = this.pending.subarray(5 + length);
      this.readRecord(type, header, fragment);
    }
  }

  private readRecord(type: number, header: Buffer, fragment: Buffer): void {
    if (type === CONTENT_CHANGE_CIPHER_SPEC) return; // TLS 1.3 middlebox compatibility (D.4); TLS 1.2 never gets here before the Certificate
    if (type === CONTENT_ALERT) {
      this.fail(); // the server refused before (or instead of) its certificates
      return;
    }
    if (type === CONTENT_HANDSHAKE) {
      // TLS 1.3 encrypts every handshake message after the ServerHello
      if (this.state === 'tls13') {
        this.fail();
        return;
      }
      this.readHandshake(fragment);
      return;
    }
    // application_data: only TLS 1.3's encrypted handshake, before the Certificate
    if (this.state !== 'tls13' || !this.keys) {
      this.fail();
      return;
    }
    const inner = this.decrypt(this.keys, header, fragment);
    if (!inner) {
      this.fail();
      return;
    }
    // RFC 8446 5.2: TLSInnerPlaintext = content | ContentType type | zeros
    let end = inner.length;
    while (end > 0 && inner[end - 1] === 0) end--;
    if (end === 0 || inner[end - 1] !== CONTENT_HANDSHAKE) {
      this.fail(); // an alert, or application data before the certificates
      return;
    }
    this.readHandshake(inner.subarray(0, end - 1));
  }

  private decrypt(keys: TrafficKeys, header: Buffer, fragment: Buffer): Buffer | null {
    if (fragment.length < 16 + 1) return null;
    // RFC 8446 5.3: nonce = iv XOR the 64-bit sequence number, left-padded to the iv's length
    const nonce = Buffer.from(keys.iv);
    let sequence = keys.sequence;
    for (let i = nonce.length - 1; i >= nonce.length - 8; i--) {
      nonce[i]! ^= Number(sequence & 0xffn);
      sequence >>= 8n;
    }
    keys.sequence++;
    try {
      // the same call twice: @types/node types GCM and ChaCha20-Poly1305 in separate overloads,
      // and no overload takes their union
      const decipher =
        keys.cipher === 'chacha20-poly1305'
          ? createDecipheriv(keys.cipher, keys.key, nonce, { authTagLength: 16 })
          : createDecipheriv(keys.cipher, keys.key, nonce, { authTagLength: 16 });
      decipher.setAAD(header, { plaintextLength: fragment.length - 16 });
      decipher.setAuthTag(fragment.subarray(fragment.length - 16));
      const head = decipher.update(fragment.subarray(0, fragment.length - 16));
      const tail = decipher.final();
      return tail.length === 0 ? head : Buffer.concat([head, tail]);
    } catch {
      return null; // wrong key or a forged record
    }
  }

  private deriveKeys(): TrafficKeys | null {
    const suite = TLS13_SUITES.get(this.suite);
    if (!suite || !this.secret || this.secret.length !== HASH_LENGTH[suite.hash]) return null;
    return {
      cipher: suite.cipher,
      key: hkdfExpandLabel(suite.hash, this.secret, 'key', suite.keyLength),
      iv: hkdfExpandLabel(suite.hash, this.secret, 'iv', 12),
      sequence: 0n,
    };
  }

  /** Append handshake bytes and read every whole message. */
  private readHandshake(bytes: Buffer): void {
    this.handshakeBytes += bytes.length;
    if (this.handshakeBytes > MAX_HANDSHAKE_BYTES) {
      this.fail();
      return;
    }
    this.handshake = this.handshake.length === 0 ? bytes : Buffer.concat([this.handshake, bytes]);
    // each turn consumes a message of at least 4 bytes
    while (!this.finished && this.handshake.length >= 4) {
      const msgType = this.handshake[0]!;
      const length = uint24(this.handshake, 1);
      if (length > MAX_HANDSHAKE_BYTES) {
        this.fail();
        return;
      }
      if (this.handshake.length < 4 + length) return;
      const body = this.handshake.subarray(4, 4 + length);
      this.handshake = this.handshake.subarray(4 + length);
      this.readMessage(msgType, body);
    }
  }

  private readMessage(msgType: number, body: Buffer): void {
    if (this.state === 'hello') {
      if (msgType === HS_HELLO_REQUEST && body.length === 0) return;
      const hello = msgType === HS_SERVER_HELLO ? parseServerHello(body) : null;
      if (!hello) {
        this.fail();
        return;
      }
      if (hello.retry) {
        // RFC 8446 4.1.4: a second ServerHello follows the client's second ClientHello; one retry at most
        if (this.retried || hello.version !== TLS13) this.fail();
        this.retried = true;
        return;
      }
      if (hello.version === TLS13) {
        if (this.handshake.length > 0) {
          this.fail(); // RFC 8446 5.1: a key change must fall on a record boundary
          return;
        }
        this.suite = hello.suite;
        this.state = 'tls13';
        if (!TLS13_SUITES.has(hello.suite)) this.fail(); // CCM: left to the fallback
        return;
      }
      if (hello.version > TLS13 || hello.version < 0x0300) {
        this.fail();
        return;
      }
      this.state = 'tls12';
      return;
    }
    // TLS 1.2: the Certificate comes right after the ServerHello, or not at all (anonymous
    // suites, PSK, a resumed session). TLS 1.3: EncryptedExtensions and perhaps a
    // CertificateRequest come first; anything else before it means no certificate is sent.
    if (msgType === HS_CERTIFICATE) {
      const ders = certificateListOf(body, this.state === 'tls13');
      if (!ders) {
        this.fail();
        return;
      }
      this.ders = ders;
      this.state = 'done';
      this.pending = Buffer.alloc(0);
      this.handshake = Buffer.alloc(0);
      return;
    }
    const before13 = this.state === 'tls13' && (msgType === 8 || msgType === 13); // EncryptedExtensions, CertificateRequest
    if (!before13) this.fail();
  }
}
