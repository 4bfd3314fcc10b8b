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
export type { LabKeySource } from '../lab/tls/ca.js';
export { EncryptedDnsFront, startEncryptedDnsFronts, type EncryptedDnsLab, type EncryptedFrontOptions, type EncryptedPorts, type EncryptedStats, type DnsAnswerFunction, type DnsClient, type LabFrontSpec } from '../lab/dns/encrypted.js';
export { startStartTlsLab, LAB_STARTTLS_ADDRESSES, LAB_STARTTLS_NAME, type StartTlsLab, type StartTlsLabServer, type StartTlsLabOptions } from '../lab/starttls/index.js';
// issue 14: the broken delegations (dig +zone-check, +nssearch) and what each gives
export { DELEG_ADDRESSES, DELEG_CASES, DELEG_SERIALS, type DelegCase } from '../lab/dns/deleg.js';
export { answerGslb, chooseGslb, gslbZone, GSLB_ADDRESS, GSLB_NAME, GSLB_WHERE, GSLB_REGIONS, type GslbChoice, type GslbRegion, type GslbRegionName } from '../lab/dns/gslb.js';
