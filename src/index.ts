/**
 * netlab's typed protocol library: `import { query, trace, reverseName } from 'netlab'`.
 * Nothing here prints or exits; failures are NetlabError or data in the results.
 */
export { NetlabError, exitCodeFor, type Status, type NetlabErrorCode } from './errors.js';
export { query, type Server, type Question, type TransportOptions, type Exchange } from './protocol/dns/transport.js';
export { trace, type TraceOptions, type TraceResult, type TraceHop, type ServerFailure } from './protocol/dns/trace.js';
export { decodeMessage, encodeQuery, frame, FrameReader, type DnsMessage, type DnsRecord, type DnsQuestion, type EdnsInfo } from './protocol/dns/wire.js';
export { reverseName, ipv6Bytes } from './protocol/dns/reverse.js';
export { typeName, typeCode, className, classCode, rcodeName } from './protocol/dns/types.js';
export { canonicalName, nameToWire } from './protocol/dns/names.js';
export { systemNameserver } from './protocol/dns/resolv-conf.js';
export { ROOT_HINTS } from './protocol/dns/root-hints.js';
export { analyseChain, findLeaf, verdict, MAX_INTERMEDIATES, type ChainAnalysis, type ChainPolicy } from './protocol/tls/chain.js';
export { fetchPeerChain, HandshakeInterrupted, MAX_SENT_CERTS, type PeerChain, type TlsTarget } from './protocol/tls/connect.js';
export { AnchorSet, loadTrustStore, type TrustStore } from './protocol/tls/trust.js';
export { timeRequest, type Phases, type Sample, type TimingOptions } from './protocol/http/timing.js';
export { cacheEvidence, type CacheEvidence } from './protocol/http/cache.js';
