/**
 * `netlab/dns`: DNS as dig does it. `lookup` does `netlab dig`'s job (one query, or `trace:
 * true` for +trace) and returns what its `--json` prints; `query` is one exchange with one
 * server (UDP, TCP on truncation), `trace` the iterative resolution from the root. Records carry
 * dig's presentation text (`data`) and typed values (`rdata`). No HTTP client is loaded.
 * @packageDocumentation
 */
export {
  lookup, resolveServer, defaultPort,
  type LookupOptions, type DigTls, type DigResult, type DigRecord, type DigQuestion, type DigHop, type DigProblemCode, type ResolvedServer,
} from '../protocol/dns/lookup.js';
export { query, UdpPool, DEFAULT_EDNS, type Server, type Question, type TransportOptions, type Exchange, type DnsTransport } from '../protocol/dns/transport.js';
// issue 14: DoT and DoH (node:tls and node:http2 are loaded when a connection opens)
export { EncryptedPool } from '../protocol/dns/encrypted.js';
export { DotConnection, type TlsSettings, type TlsInfo } from '../protocol/dns/dot.js';
export { DohConnection, type DohSettings } from '../protocol/dns/doh.js';
export { trace, type TraceOptions, type TraceResult, type TraceHop, type ServerFailure, type HopKind, type TraceProblemCode } from '../protocol/dns/trace.js';
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
export { systemNameserver } from '../protocol/dns/resolv-conf.js';
export { ROOT_HINTS, type RootHint } from '../protocol/dns/root-hints.js';
export { NetlabError, statusOf, worstOf, type Problem, type Note, type Status, type Severity, type Progress } from '../errors.js';
