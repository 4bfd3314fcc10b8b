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
// issue 11: path building and validation
export { validatePath, wholeDaysLeft, type CertConstraint, type CertNote, type CertNoteCode, type PathEntry } from '../protocol/tls/chain.js';
export { searchPaths, MAX_CANDIDATES_TRIED, type BuiltPath, type PathCert, type PathEnd } from '../protocol/tls/path.js';
export { loadTrustStore, AnchorSet, type TrustStore, type TrustOptions, type CaPem } from '../protocol/tls/trust.js';
export { describeCert, parsePemBundle, type CertInfo } from '../protocol/tls/certs.js';
export { fetchPeerChain, HandshakeInterrupted, MAX_SENT_CERTS, CLIENT_CERT_VERDICT_MS, type PeerChain, type TlsTarget } from '../protocol/tls/connect.js';
// issue 11: the connection side
export {
  STARTTLS_PROTOCOLS, STARTTLS_DEFAULT_PORTS, MAX_STARTTLS_BYTES, StartTlsFailed, negotiateStartTls,
  type StartTlsProtocol, type StartTlsInfo, type StartTlsOptions,
} from '../protocol/tls/starttls.js';
export { judgeConnection, countScts, type SctCount } from '../protocol/tls/connection-report.js';
export { countEmbeddedScts, countStapledScts, SCT_LIST_OID_X509, SCT_LIST_OID_OCSP } from '../protocol/tls/sct.js';
export type { OcspStaple, OcspCertStatus } from '../protocol/tls/ocsp.js';
// issue 11: --ocsp, --crl, --fetch-missing (types only: the modules load when a check asks for them)
export type { OcspCheck, CrlCheck, RevocationChecks, AiaCompletion, FetchedIssuer, BeyondChainNoteCode } from '../protocol/tls/revocation.js';
export type { CrlVerdict } from '../protocol/tls/crl.js';
export { NetlabError, statusOf, type Problem, type Note, type Status, type Severity, type Progress } from '../errors.js';
