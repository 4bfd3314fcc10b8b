/**
 * `netlab/dns`: DNS as dig does it. `lookup` does `netlab dig`'s job (one query, or `trace:
 * true` for +trace) and returns what its `--json` prints; `query` is one exchange with one
 * server (UDP, TCP on truncation), `trace` the iterative resolution from the root, `transfer` a
 * zone transfer (AXFR, IXFR) over TCP, TSIG-signed with a key (`parseTsigKeyArg`, `parseTsigKeyFile`). Records carry
 * dig's presentation text (`data`) and typed values (`rdata`). No HTTP client is loaded.
 * @packageDocumentation
 */
import type { NsSearchOptions, NsSearchResult } from '../protocol/dns/nssearch.js';
import type { ZoneCheckOptions, ZoneCheckResult } from '../protocol/dns/zone-check.js';
import type { DnssecValidation, ValidateOptions } from '../protocol/dns/dnssec/validate.js';
export {
  lookup, resolveServer, defaultPort,
  type LookupOptions, type DigTls, type DigResult, type DigRecord, type DigQuestion, type DigHop, type DigProblemCode, type ResolvedServer,
} from '../protocol/dns/lookup.js';
export { query, UdpPool, DEFAULT_EDNS, type Server, type Question, type TransportOptions, type Exchange, type DnsTransport } from '../protocol/dns/transport.js';
// issue 14: DoT and DoH (node:tls and node:http2 are loaded when a connection opens)
export { EncryptedPool } from '../protocol/dns/encrypted.js';
export { DotConnection, type TlsSettings, type TlsInfo } from '../protocol/dns/dot.js';
export { DohConnection, type DohSettings } from '../protocol/dns/doh.js';
export {
  transfer, xfrQuery, XfrStream, XFR_MAX_RECORDS, XFR_MAX_BYTES,
  type XfrOptions, type XfrResult, type XfrTsig, type XfrFailureCode,
} from '../protocol/dns/xfr.js';
export {
  signTsig, TsigVerifier, verifyTsigRequest, findTsig, parseTsigKeyArg, parseTsigKeyFile, tsigAlgorithm, tsigText, tsigRdata, tsigErrorName,
  DEFAULT_TSIG_ALGORITHM, MAX_UNSIGNED_MESSAGES,
  type TsigKey, type TsigAlgorithm, type TsigRecord, type TsigVerdict, type TsigSignOptions,
} from '../protocol/dns/tsig.js';
export { trace, type TraceOptions, type TraceResult, type TraceHop, type ServerFailure, type HopKind, type TraceProblemCode } from '../protocol/dns/trace.js';
// issue 14: delegation health (dig +nssearch, +zone-check)
export { serialNewer } from '../protocol/dns/serial.js';
export type { NsSearchOptions, NsSearchResult, NsSearchEntry, NsSearchProblemCode } from '../protocol/dns/nssearch.js';
export type {
  ZoneCheckOptions, ZoneCheckResult, ZoneCheckReport, ZoneCheckLevel, ZoneCheckServer, ServerVerdict, ZoneCheckProblemCode,
} from '../protocol/dns/zone-check.js';
export {
  decodeMessage, encodeMessage, encodeQuery, frame, FrameReader,
  type DnsMessage, type DnsQuestion, type EdnsInfo, type EdnsOption, type HeaderFlag, type QueryOptions,
  type MessageInput, type RecordInput, type QuestionInput, type EdnsInput,
} from '../protocol/dns/wire.js';
export {
  makeRecord, decodeRdata, encodeRdata,
  type DnsRecord, type RecordData, type AddressData, type NameData, type MxData, type TxtData, type SrvData, type SoaData,
  type CaaData, type DsData, type DnskeyData, type RrsigData, type NsecData, type SvcbData, type SvcParam, type TlsaData,
  type NaptrData, type OtherData, type TypedTypeName, type OtherTypeName,
} from '../protocol/dns/rdata.js';
export { presentRdata } from '../protocol/dns/present.js';
export { bytesToText, textToBytes } from '../protocol/dns/text.js';
export { reverseName, ipv6Bytes } from '../protocol/dns/reverse.js';
export { typeName, typeCode, className, classCode, rcodeName, opcodeName, type TypeName, type ClassName } from '../protocol/dns/types.js';
export { canonicalName, nameToWire } from '../protocol/dns/names.js';
export {
  parseClientSubnet, encodeClientSubnet, decodeClientSubnet, clientSubnetText, parseCookie, encodeCookie, decodeCookie,
  cookieVerdict, clientCookieFor, EDNS_CLIENT_SUBNET, EDNS_COOKIE, type ClientSubnet, type DnsCookie, type CookieVerdict,
} from '../protocol/dns/edns-options.js';
export { systemNameserver } from '../protocol/dns/resolv-conf.js';
export { ROOT_HINTS, type RootHint } from '../protocol/dns/root-hints.js';
export { NetlabError, statusOf, worstOf, type Problem, type Note, type Status, type Severity, type Progress } from '../errors.js';
// issue 14: DNSSEC validation (the chain of trust, as delv), and its parts
export type { DnssecValidation, DnssecVerdict, DnssecProblemCode, ChainLink, ValidateOptions } from '../protocol/dns/dnssec/validate.js';
export { verifyRrset } from '../protocol/dns/dnssec/verify.js';
export { parseTrustAnchors, ROOT_TRUST_ANCHORS, ROOT_KSK_2017, ROOT_KSK_2024, type TrustAnchor } from '../protocol/dns/dnssec/anchors.js';
export { keyTag, dsDigest, dsFromKey, dsMatches, verifySignature, algorithmName, SUPPORTED_ALGORITHMS, SUPPORTED_DIGESTS, type SignatureCheck } from '../protocol/dns/dnssec/crypto.js';
export { signedData, canonicalRdata, canonicalNameWire, compareNames, labelCount } from '../protocol/dns/dnssec/canonical.js';
export { nsec3Hash, nsec3Fields, nsecCovers, nsec3Covers, base32hex, type Nsec3Fields } from '../protocol/dns/dnssec/nsec.js';
export { recursiveFetcher, iterativeFetcher, type RecordFetcher, type FetchLimits } from '../protocol/dns/dnssec/fetch.js';

// The engines a plain lookup() never needs (+nssearch, +zone-check, the DNSSEC validator: about a
// fifth of the DNS code) load their module on the first call, so `import 'netlab/dns'` does not
// parse them. Same names, parameters and results as the modules' own functions.

/**
 * Ask every authoritative server of `name`'s zone for its SOA, as `dig +nssearch` does, and
 * judge the answers. Never throws for what servers do: failures are entries and problems.
 */
export async function nssearch(name: string, options: NsSearchOptions): Promise<NsSearchResult> {
  return (await import('../protocol/dns/nssearch.js')).nssearch(name, options);
}

/**
 * Walk the delegation path of (qname, qtype: a type code) from the root, as `dig +trace`
 * does, asking every server of every zone on the way and judging each. Never throws for what
 * servers do: everything found is a problem in the result.
 */
export async function zoneCheck(qname: string, qtype: number, options: ZoneCheckOptions = {}): Promise<ZoneCheckResult> {
  return (await import('../protocol/dns/zone-check.js')).zoneCheck(qname, qtype, options);
}

/**
 * Validate the answer to (qname, qtype) from the trust anchors down (the chain of trust, as
 * delv), fetching what it needs from `server`. Never throws for what the network or the zones
 * do (that is the verdict); throws NetlabError USAGE for a name that cannot be asked.
 */
export async function validateAnswer(qname: string, qtype: number | string, options: ValidateOptions): Promise<DnssecValidation> {
  return (await import('../protocol/dns/dnssec/validate.js')).validateAnswer(qname, qtype, options);
}
