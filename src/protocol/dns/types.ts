/**
 * RR type and class mnemonics (IANA "DNS Parameters"), with RFC 3597 TYPEnnn / CLASSnnn
 * for everything else. dns-packet's own table lacks SVCB, HTTPS and URI.
 */
const TYPES = [
  ['A', 1], ['NS', 2], ['MD', 3], ['MF', 4], ['CNAME', 5], ['SOA', 6], ['MB', 7], ['MG', 8],
  ['MR', 9], ['NULL', 10], ['WKS', 11], ['PTR', 12], ['HINFO', 13], ['MINFO', 14], ['MX', 15],
  ['TXT', 16], ['RP', 17], ['AFSDB', 18], ['X25', 19], ['ISDN', 20], ['RT', 21], ['NSAP', 22],
  ['SIG', 24], ['KEY', 25], ['PX', 26], ['GPOS', 27], ['AAAA', 28], ['LOC', 29], ['SRV', 33],
  ['NAPTR', 35], ['KX', 36], ['CERT', 37], ['A6', 38], ['DNAME', 39], ['SINK', 40], ['OPT', 41],
  ['APL', 42], ['DS', 43], ['SSHFP', 44], ['IPSECKEY', 45], ['RRSIG', 46], ['NSEC', 47],
  ['DNSKEY', 48], ['DHCID', 49], ['NSEC3', 50], ['NSEC3PARAM', 51], ['TLSA', 52], ['SMIMEA', 53],
  ['HIP', 55], ['NINFO', 56], ['TALINK', 58], ['CDS', 59], ['CDNSKEY', 60], ['OPENPGPKEY', 61],
  ['CSYNC', 62], ['ZONEMD', 63], ['SVCB', 64], ['HTTPS', 65], ['SPF', 99], ['NID', 104],
  ['L32', 105], ['L64', 106], ['LP', 107], ['EUI48', 108], ['EUI64', 109], ['TKEY', 249],
  ['TSIG', 250], ['IXFR', 251], ['AXFR', 252], ['ANY', 255], ['URI', 256], ['CAA', 257],
  ['AVC', 258], ['DOA', 259], ['AMTRELAY', 260], ['TA', 32768], ['DLV', 32769],
] as const;

/** Every type mnemonic netlab knows (IANA), e.g. `'A'`, `'HTTPS'`; other types are `TYPEnnn`. */
export type TypeName = (typeof TYPES)[number][0];

const TYPE_BY_NAME = new Map<string, number>(TYPES.map(([n, c]) => [n, c]));
const TYPE_BY_CODE = new Map<number, string>(TYPES.map(([n, c]) => [c, n]));

const CLASSES = [
  ['IN', 1], ['CH', 3], ['HS', 4], ['NONE', 254], ['ANY', 255],
] as const;

/** Every class mnemonic netlab knows; other classes are `CLASSnnn`. `CHAOS` and `HESIOD` are read as CH and HS. */
export type ClassName = (typeof CLASSES)[number][0] | 'CHAOS' | 'HESIOD';

const CLASS_BY_NAME = new Map<string, number>(CLASSES.map(([n, c]) => [n, c]));
const CLASS_BY_CODE = new Map<number, string>(CLASSES.map(([n, c]) => [c, n]));

/** Mnemonic for a type code: `A`, `HTTPS`, or `TYPE65534` (RFC 3597 section 5). */
export function typeName(code: number): string {
  return TYPE_BY_CODE.get(code) ?? `TYPE${code}`;
}

/**
 * Type code for a mnemonic or `TYPEnnn`, case-insensitive; undefined when it is neither. A
 * known mnemonic given as a literal (`typeCode('MX')`) is typed `number`.
 */
export function typeCode(name: TypeName): number;
export function typeCode(name: string): number | undefined;
export function typeCode(name: string): number | undefined {
  const upper = name.toUpperCase();
  const known = TYPE_BY_NAME.get(upper);
  if (known !== undefined) return known;
  const m = /^TYPE(\d{1,5})$/.exec(upper);
  if (m) {
    const n = Number(m[1]);
    if (n <= 0xffff) return n;
  }
  return undefined;
}

/** Mnemonic for a class code: `IN`, `CH`, or `CLASS254`... (RFC 3597 section 5). */
export function className(code: number): string {
  return CLASS_BY_CODE.get(code) ?? `CLASS${code}`;
}

/**
 * Class code for a mnemonic or `CLASSnnn`, case-insensitive; undefined when it is neither. A
 * known mnemonic given as a literal (`classCode('IN')`) is typed `number`.
 */
export function classCode(name: ClassName): number;
export function classCode(name: string): number | undefined;
export function classCode(name: string): number | undefined {
  const upper = name.toUpperCase();
  const known = CLASS_BY_NAME.get(upper);
  if (known !== undefined) return known;
  if (upper === 'CHAOS') return 3;
  if (upper === 'HESIOD') return 4;
  const m = /^CLASS(\d{1,5})$/.exec(upper);
  if (m) {
    const n = Number(m[1]);
    if (n <= 0xffff) return n;
  }
  return undefined;
}

const RCODES = [
  'NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET',
  'NXRRSET', 'NOTAUTH', 'NOTZONE', 'RESERVED11', 'RESERVED12', 'RESERVED13', 'RESERVED14',
  'RESERVED15', 'BADVERS', 'BADKEY', 'BADTIME', 'BADMODE', 'BADNAME', 'BADALG', 'BADTRUNC',
  'BADCOOKIE',
];

/** RCODE mnemonic, extended RCODEs (RFC 6891 6.1.3) included, as dig names them. */
export function rcodeName(code: number): string {
  return RCODES[code] ?? String(code);
}

const OPCODES = ['QUERY', 'IQUERY', 'STATUS', 'RESERVED3', 'NOTIFY', 'UPDATE'];

/** Opcode mnemonic (`QUERY`, `NOTIFY`, `UPDATE`), `RESERVEDn` for the others, as dig names them. */
export function opcodeName(code: number): string {
  return OPCODES[code] ?? `RESERVED${code}`;
}
