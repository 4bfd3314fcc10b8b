/**
 * `netlab/lab`: the course's network on loopback, for your own integration tests (real DNS,
 * TLS, HTTP and load-balancing servers, as undici ships MockAgent for HTTP).
 *
 * ```ts
 * import { startLab } from 'netlab/lab';
 * const lab = await startLab();
 * try { ... lab.dns.addresses.ns1Example, lab.port, lab.tls.caFile ... } finally { await lab.close(); }
 * ```
 * @packageDocumentation
 */
export { startLab, type Lab, type LabOptions, type LabEndpoint } from '../lab/index.js';
export { EncryptedDnsFront, startEncryptedDnsFronts, type EncryptedDnsLab, type EncryptedFrontOptions, type EncryptedPorts, type EncryptedStats, type DnsAnswerFunction, type DnsClient, type LabFrontSpec } from '../lab/dns/encrypted.js';
export { startStartTlsLab, LAB_STARTTLS_ADDRESSES, LAB_STARTTLS_NAME, type StartTlsLab, type StartTlsLabServer, type StartTlsLabOptions } from '../lab/starttls/index.js';
