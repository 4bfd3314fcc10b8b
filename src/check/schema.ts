/**
 * The shape of each subcommand's JSON result (what its --json prints), as `expect:` conditions
 * see it (issue 12): field paths, their types, arrays, and what `contains` compares in an array
 * of records. Conditions are type-checked against these at load; a unit of the lab tests
 * (test/integration/check-schema.test.ts) checks them against real results both ways, so that a
 * result field added or renamed is noticed. Pure data; no I/O.
 */
import type { CheckCommand } from './model.js';

/** A leaf: `number`, `string`, `boolean`; `?` after it: it may also be null or absent. */
export type Leaf = 'number' | 'string' | 'boolean' | 'number?' | 'string?' | 'boolean?';

/**
 * A field's shape. `opaque`: present in the result but not something a condition reads (typed
 * record data, raw EDNS options, revocation details): a condition on it is a load error.
 */
export type Shape = Leaf | 'opaque' | ObjectShape | ArrayShape | MapShape;

export interface ObjectShape {
  kind: 'object';
  fields: Record<string, Shape>;
  nullable: boolean;
}

export interface ArrayShape {
  kind: 'array';
  of: Shape;
  nullable: boolean;
  /** For an array of records: the fields `contains` compares with its value (any one equal). */
  containsKeys?: string[];
}

/** An object whose keys are data (HTTP status codes, backend labels, header names). */
export interface MapShape {
  kind: 'map';
  of: Shape;
  nullable: boolean;
}

const obj = (fields: Record<string, Shape>): ObjectShape => ({ kind: 'object', fields, nullable: false });
const arr = (of: Shape, containsKeys?: string[]): ArrayShape => ({ kind: 'array', of, nullable: false, ...(containsKeys ? { containsKeys } : {}) });
const map = (of: Shape): MapShape => ({ kind: 'map', of, nullable: false });
/** The same shape, which may also be null or absent. */
function opt<S extends ObjectShape | ArrayShape | MapShape>(s: S): S {
  return { ...s, nullable: true };
}

/** The shared Problem shape (src/errors.ts); `contains` compares the code. */
const problem = obj({ code: 'string', severity: 'string', message: 'string', subject: 'string?', counts: opt(map('number')), fix: 'string?' });
const note = obj({ code: 'string', message: 'string', subject: 'string?', counts: opt(map('number')) });
const problems = arr(problem, ['code']);
const notes = arr(note, ['code']);

// --- dig: one query (src/protocol/dns/lookup.ts DigResult) --------------------------------------
const digRecord = obj({ name: 'string', type: 'string', class: 'string', ttl: 'number', data: 'string', rdata: 'opaque' });
/** `answer contains 192.0.2.10`: a record whose data (or name) is that. */
const records = arr(digRecord, ['data', 'name']);
const DIG = obj({
  query: obj({ name: 'string', type: 'string', class: 'string', server: 'string', serverName: 'string', port: 'number', transport: 'string' }),
  status: 'string',
  problems,
  rcode: 'string?',
  id: 'number?',
  opcode: 'string?',
  flags: arr('string'),
  counts: opt(obj({ query: 'number', answer: 'number', authority: 'number', additional: 'number' })),
  edns: opt(obj({ version: 'number', udpSize: 'number', do: 'boolean', flags: 'number', options: 'opaque', nsid: 'string?' })),
  question: opt(arr(obj({ name: 'string', type: 'string', class: 'string', ttl: 'number', data: 'string' }), ['name'])),
  answer: records,
  authority: records,
  additional: records,
  timeMs: 'number?',
  msgSize: 'number?',
  tcpFallback: 'boolean?',
  when: 'string',
  error: 'string?',
  hops: opt(arr(obj({
    zone: 'string', server: 'string', serverName: 'string', port: 'number', timeMs: 'number', msgSize: 'number', kind: 'string',
    records,
    skipped: arr(obj({ serverName: 'string', address: 'string', reason: 'string' }), ['serverName', 'address']),
    resolvedGlueless: opt(arr(obj({ name: 'string', addresses: arr('string') }), ['name'])),
  }), ['zone'])),
  interrupted: 'boolean?',
  // issue 14: +validate (`validation.status == secure`)
  validation: opt(obj({
    status: 'string', mode: 'string', anchor: 'string', rcode: 'string', answer: 'opaque', problems, queries: 'number',
    chain: arr(obj({ zone: 'string', kind: 'string', owner: 'string', type: 'string', keyTags: arr('number'), algorithms: arr('number'), verdict: 'string', code: 'string?', message: 'string' }), ['owner']),
  })),
});

// --- cert-check (src/protocol/tls/check.ts CertCheckResult) --------------------------------------
const cert = obj({
  subject: 'string', issuer: 'string', san: arr('string'), notBefore: 'string', notAfter: 'string', daysLeft: 'number',
  keyType: 'string', keyBits: 'number', signatureAlgorithm: 'string', fingerprint256: 'string', isCA: 'boolean',
});
const staple = {
  certStatus: 'string?', invalid: 'string?', producedAt: 'string?', thisUpdate: 'string?', nextUpdate: 'string?',
  revokedAt: 'string?', revocationReason: 'string?', signedBy: 'string?',
} as const;
const CERT_CHECK = obj({
  target: 'string',
  mode: 'string',
  status: 'string',
  problems,
  notes,
  trusted: 'boolean',
  hostnameMatch: 'boolean?',
  host: 'string?',
  servername: 'string?',
  connectedTo: 'string?',
  starttls: opt(obj({ protocol: 'string', greeting: 'string?', advertised: 'boolean?' })),
  tls: opt(obj({ protocol: 'string', cipher: 'string', ocspStapled: 'boolean', ocsp: opt(obj({ ...staple })), clientCertificate: 'string' })),
  scts: opt(obj({ embedded: 'number', ocspStaple: 'number?' })),
  chain: arr(cert, ['subject', 'fingerprint256']),
  path: arr(obj({ index: 'number?', subject: 'string', fingerprint256: 'string', role: 'string' }), ['subject', 'role']),
  pathDiffers: 'boolean',
  anchor: opt(cert),
  trustStore: obj({ sources: arr('string'), anchors: 'number' }),
  daysLeft: 'number?',
  interrupted: 'boolean?',
  interruptedDuring: 'string?',
  revocation: opt(obj({
    ocsp: opt(obj({ ...staple, url: 'string?', nonce: 'string?', skipped: 'string?' })),
    crl: opt(obj({ ...staple, url: 'string?', bytes: 'number?', skipped: 'string?', entries: 'number?' })),
  })),
  aia: opt(obj({
    attempts: arr(obj({ url: 'string?', error: 'string?' }), ['url']),
    fetched: arr(obj({ url: 'string', subject: 'string', issuer: 'string', notAfter: 'string', fingerprint256: 'string' }), ['subject']),
    completesPath: 'boolean',
    codesWithFetched: arr('string'),
  })),
});

// --- trace-request (src/protocol/http/trace-request.ts TraceRequestResult) -----------------------
const phases = obj({ dnsMs: 'number', tcpMs: 'number', tlsMs: 'number', ttfbMs: 'number', transferMs: 'number', totalMs: 'number' });
const partialPhases = obj({ dnsMs: 'number?', tcpMs: 'number?', tlsMs: 'number?', ttfbMs: 'number?', transferMs: 'number?', totalMs: 'number?' });
// issue 15: --resume's and --reuse's side by side
const comparisonFields = { baseCount: 'number', otherCount: 'number', base: opt(phases), other: opt(phases), otherP95: opt(phases), savingMs: opt(phases) } as const;
const comparison = obj({ ...comparisonFields });
const TRACE_REQUEST = obj({
  url: 'string',
  status: 'string',
  samplesRequested: 'number',
  interrupted: 'boolean?',
  paths: arr(obj({
    label: 'string',
    address: 'string',
    port: 'number',
    samples: 'number',
    succeeded: 'number',
    status: 'number?',
    httpVersion: 'string?',
    tlsVersion: 'string?',
    phases: opt(phases),
    p95: opt(phases),
    first: opt(phases),
    firstDiffers: 'boolean?',
    warmOnly: 'boolean?',
    cache: opt(obj({ headers: map('string'), verdict: 'string?' })),
    cacheBySample: arr('string?'),
    rtt: opt(obj({
      rttMs: 'number', source: 'string', tlsRoundTrips: 'number',
      protocolMs: obj({ tcpMs: 'number', tlsMs: 'number', requestMs: 'number', totalMs: 'number' }),
      serverMs: 'number',
      serverAndOtherMs: 'number?', overestimateMs: 'number?', note: 'string?',
      scenarios: opt(arr(obj({ name: 'string', description: 'string', breakdown: 'string', roundTrips: 'number', ms: 'number', measurable: 'boolean' }), ['name'])),
    })),
    resumedBySample: opt(arr('boolean')),
    resumption: opt(comparison),
    reuse: opt(obj({ requestsPerConnection: 'number', ...comparisonFields })),
    hops: opt(arr(obj({ url: 'string', status: 'number', samples: 'number', phases }), ['status'])),
    errors: arr(obj({ sample: 'number', request: 'number?', phase: 'string', kind: 'string', error: 'string', partial: partialPhases, bodyBytes: 'number?' }), ['phase', 'kind']),
    verificationOff: 'boolean',
  }), ['label', 'address']),
  addresses: opt(arr('string')),
  difference: opt(phases),
  problems,
});

// --- lb-probe (src/protocol/lb/types.ts LbProbeReport) ------------------------------------------
const LB_PROBE = obj({
  vip: 'string',
  mode: 'string',
  path: 'string?',
  requests: 'number',
  sent: 'number',
  answered: 'number',
  failed: 'number',
  concurrency: 'number',
  identify: obj({ method: 'string?', description: 'string?', tried: arr('string'), reason: 'string' }),
  backends: arr(obj({
    address: 'string?', marker: 'string?', label: 'string', snippet: 'string?', healthy: 'boolean?', latencyMs: 'number?',
    directStatus: 'number?', directError: 'string?', weight: 'number?', count: 'number', share: 'number', expectedShare: 'number?',
    sources: 'number?', byElimination: 'boolean',
  }), ['label', 'address', 'marker']),
  distribution: opt(obj({
    unit: 'string', observed: 'number', judged: 'boolean', notJudged: 'string?', chiSquare: 'number?', df: 'number?', pValue: 'number?',
    alpha: 'number', matches: 'boolean?', minExpected: 'number?', needed: 'number?',
  })),
  scheduler: obj({
    kind: 'string', description: 'string', period: 'number?', cycle: opt(arr('string')), cycleCounts: opt(map('number')),
    repeats: opt(obj({ observed: 'number', expectedIfRandom: 'number', z: 'number' })), answers: 'number', note: 'string',
  }),
  stickiness: opt(obj({
    sources: 'number', judged: 'number', sticky: 'number', verdict: 'string',
    perSource: arr(obj({ address: 'string', answers: 'number', backends: map('number'), sticky: 'boolean' }), ['address']),
    spread: map('number'),
    note: 'string?',
  })),
  sourceRange: 'string?',
  unattributed: 'number',
  unattributedMarkers: arr(obj({ marker: 'string', count: 'number', snippet: 'string', statusCode: 'number?' }), ['marker']),
  statusCodes: map('number'),
  vipLatencyMs: 'number?',
  vipElapsedMs: 'number',
  probesPerSecond: 'number',
  errors: arr(obj({ message: 'string', count: 'number' }), ['message']),
  deadlineMs: 'number?',
  stoppedBy: 'string?',
  interrupted: 'boolean?',
  notes,
  status: 'string',
  problems,
});

// --- hosts2zone --verify (src/commands/hosts2zone/run.ts Hosts2zoneResult) -----------------------
const hostsIssue = { subject: 'string', file: 'string', line: 'number', remedy: 'opaque' } as const;
const HOSTS2ZONE = obj({
  status: 'string',
  action: 'string',
  origin: 'string',
  format: 'string',
  outDir: 'string?',
  blocklist: 'boolean',
  inputs: arr(obj({ file: 'string', lines: 'number', entries: 'number' }), ['file']),
  names: 'number',
  addresses: 'number',
  serial: 'number?',
  zones: arr(obj({ zone: 'string', file: 'string?', records: 'number', serial: 'number' }), ['zone']),
  counts: obj({ errors: 'number', warnings: 'number', notes: 'number' }),
  problems: arr(obj({ ...problem.fields, ...hostsIssue }), ['code']),
  notes: arr(obj({ ...note.fields, ...hostsIssue }), ['code']),
  problemsOmitted: 'number',
  verify: opt(obj({
    status: 'string',
    problems,
    notes,
    server: 'string',
    reachable: 'boolean',
    authoritative: 'boolean?',
    names: 'number',
    addresses: 'number',
    queries: 'number',
    failures: 'number',
    mismatchedNames: 'number',
    mismatchedAddresses: 'number',
    mismatchCount: 'number',
    mismatches: arr(obj({ name: 'string', type: 'string', expected: arr('string'), got: arr('string'), rcode: 'string?', where: 'string', message: 'string' }), ['name']),
    aborted: 'string?',
    interrupted: 'boolean?',
    timeMs: 'number',
  })),
  interrupted: 'boolean?',
  interruptedWhile: 'string?',
  timeMs: 'number',
});

/** Each subcommand's result shape: what conditions may read. */
export const RESULT_SCHEMAS: Record<CheckCommand, ObjectShape> = {
  dig: DIG,
  'cert-check': CERT_CHECK,
  'trace-request': TRACE_REQUEST,
  'lb-probe': LB_PROBE,
  hosts2zone: HOSTS2ZONE,
};

/** Whether a shape may be null or absent. */
export function isNullable(s: Shape): boolean {
  return typeof s === 'string' ? s.endsWith('?') : s.nullable;
}

/**
 * Every path of a schema, for the drift test and the error hints: `answer[].data`, `statusCodes.*`
 * with its leaf type (`number`, `string`, `boolean`, `opaque`).
 */
export function schemaPaths(shape: Shape, prefix = ''): Array<{ path: string; type: string }> {
  if (typeof shape === 'string') return [{ path: prefix, type: shape.replace('?', '') }];
  if (shape.kind === 'array') return schemaPaths(shape.of, `${prefix}[]`);
  if (shape.kind === 'map') return schemaPaths(shape.of, `${prefix}.*`);
  return Object.entries(shape.fields).flatMap(([k, s]) => schemaPaths(s, prefix ? `${prefix}.${k}` : k));
}
