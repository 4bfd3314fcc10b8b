/**
 * `netlab/tls`: is a certificate chain right? `checkCertificate` does `netlab cert-check`'s job
 * against a server (SNI, an optional address to connect to) or a PEM bundle, and returns what
 * its `--json` prints: every problem at once, each with a code, a severity and a fix.
 * @packageDocumentation
 */
export {
  checkCertificate,
  type CheckCertificateOptions, type ServerCertCheckOptions, type BundleCertCheckOptions, type CertCheckCommon, type TrustAnchors,
  type CertCheckResult, type CertCheckTls,
} from '../protocol/tls/check.js';
export {
  analyseChain, verdict, findLeaf, MAX_INTERMEDIATES,
  type CertProblem, type CertProblemCode, type ChainCert, type ChainPolicy, type ChainAnalysis,
} from '../protocol/tls/chain.js';
export { loadTrustStore, AnchorSet, type TrustStore, type TrustOptions, type CaPem } from '../protocol/tls/trust.js';
export { describeCert, parsePemBundle, type CertInfo } from '../protocol/tls/certs.js';
export { fetchPeerChain, HandshakeInterrupted, MAX_SENT_CERTS, type PeerChain, type TlsTarget } from '../protocol/tls/connect.js';
export type { OcspStaple, OcspCertStatus } from '../protocol/tls/ocsp.js';
// issue 11: --ocsp, --crl, --fetch-missing (types only: the modules load when a check asks for them)
export type { OcspCheck, CrlCheck, RevocationChecks, AiaCompletion, FetchedIssuer, BeyondChainNoteCode } from '../protocol/tls/revocation.js';
export type { CrlVerdict } from '../protocol/tls/crl.js';
export { NetlabError, statusOf, type Problem, type Note, type Status, type Severity, type Progress } from '../errors.js';
