/**
 * Seeded fuzzing of decodeMessage: valid responses (from the lab server's respond() and
 * hand-made ones holding every RR type present.ts knows) are mutated, and purely random
 * buffers are fed too. decodeMessage must return a message or throw NetlabError
 * MALFORMED_PACKET, never anything else, and no decoded text may hold "undefined" or "NaN".
 *
 * The loop runs in a worker thread so that a hang (an endless loop in the decoder) is
 * caught: the worker writes the index of the case it is on into shared memory, and the
 * test reports that case when the worker does not finish in time. Every case draws from
 * its own PRNG seeded from (seed, index), so one failing case reproduces on its own:
 * NETLAB_FUZZ_SEED=<seed> reruns the same sequence.
 */
import { mulberry32 } from '../../src/util/prng.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { decodeMessage, encodeQuery, type DnsMessage } from '../../src/protocol/dns/wire.js';
import { nameToWire } from '../../src/protocol/dns/names.js';
import { NetlabError } from '../../src/errors.js';
import { LabDnsServer } from '../../src/lab/dns/server.js';
import { labZones } from '../../src/lab/dns/zones.js';

const DEFAULT_SEED = 0x6e65746c; // "netl"
const MUTATION_CASES = 10_000;
const RANDOM_CASES = 2_000;
/** Extra random buffers whose header counts are small, so parsing gets past the header. */
const RANDOM_HEADER_CASES = 1_000;
/** Stop early (and say so) after this long: a bound, not a pass/fail threshold. */
const BUDGET_MS = 20_000;
/** How long the test waits for the worker before it calls the current case a hang. */
const HANG_MS = 60_000;

interface Failure {
  seed: number;
  index: number;
  phase: string;
  problem: string;
  hex: string;
}

interface WorkerResult {
  ran: Record<string, number>;
  corpus: number;
  stoppedEarly: boolean;
  failures: Failure[];
  failureCount: number;
}

// --- deterministic randomness ---------------------------------------------------


/** The seed of one case, so it can be replayed alone. */
function caseSeed(seed: number, phase: number, index: number): number {
  return (seed ^ Math.imul(phase + 1, 0x85ebca6b) ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
}

class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  byte(): number {
    return this.int(256);
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.byte();
    return b;
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
}

// --- the corpus -------------------------------------------------------------------

/** RDATA of every type present.ts formats (hex), as BIND encodes them; TO_QNAME is a pointer to the question. */
const TO_QNAME = 'c00c';
const RDATA: Array<[number, string]> = [
  [1, 'C0000201'], [28, '20010DB8000000000001000000000001'], [28, '00000000000000000000FFFFC0000201'],
  [2, `026E73${TO_QNAME}`], [5, '06746172676574056F7468657200'], [12, TO_QNAME], [39, '056F7468657200'],
  [15, `000A${TO_QNAME}`], [33, '0000000501BB06737276746774056F7468657200'],
  [6, `${TO_QNAME}0161${TO_QNAME}0000000100000002000000030000000400000005`],
  [16, '0B68656C6C6F20776F726C640771756F746522640A6261636B5C736C6173680574616209780A73656D693B636F6C6F6E05FF68696768'],
  [99, '0B763D73706631202D616C6C'], [13, '0003FF2271'], [257, '000569737375656122625C63FF3B642065'],
  [43, '30390D028ACBB0CD28F41250A80A491389424D341522D946B0DA0C0291F2D3D771D7805A'], [59, '0000000000'],
  [44, '0402123456789ABCDEF67890123456789ABCDEF67890123456789ABCDEF123456789'], [44, '0103AB'],
  [52, '0301010123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF'], [53, '00000000'],
  [48, '0101030D99DB2CC14CABDC33D6D77DA63A2F15F71112584F234E8D1DC428E39E8A4A97E1AA271A555DC90701E17E2A4C4B6F120B7C32D44F4AC02BD894CF2D4BE7778A19'],
  [60, '0000030000'],
  [46, '00010D030000012C6B359B006AE681003039017004746573740099DB2CC14CABDC33D6D77DA63A2F15F71112584F234E8D1DC428E39E8A4A97E1AA271A555DC90701E17E2A4C4B6F120B7C32D44F4AC02BD894CF2D4BE7778A19'],
  [24, '000008000000012C6B359B006AE6810000000000'],
  [47, '0377777701700474657374000006400100000003041B000000000000000000000000000000000000000000000000000020'],
  [50, '0101000C04AABBCCDD1417F3DF17B2B2ADAEF615257DE4D2020B80AC6C7C0006400000000002'], [51, '0100000A04AABBCCDD'],
  [35, '0064000A0153075349502B44325500045F736970045F7564700170047465737400'],
  [65, '000100000100060268330268320003000220FB00040008C0000201C00002030006001020010DB8000000000000000000000001'],
  [64, '00020377777701700474657374000000000200010001000302683200020000FDE80003782079'],
  [64, '0001000001000603612C6201630005004B0049FE0D00452B00200020015881D41A3E2EF8F2208185DC479245D20624DDD0918A8056F2E26AF47E26280008000100010001000340127075626C69632E746C732D6563682E6465760000'],
  [256, '000A000168747470733A2F2F7777772E702E746573742F70617468'], [65534, '010203040506'], [10, ''],
];

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function record(owner: Buffer, type: number, rdata: Buffer, cls = 1): Buffer {
  const f = Buffer.alloc(10);
  f.writeUInt16BE(type, 0);
  f.writeUInt16BE(cls, 2);
  f.writeUInt32BE(300, 4);
  f.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([owner, f, rdata]);
}

function handMade(): Buffer[] {
  const qname = nameToWire('rr.example.test');
  const out: Buffer[] = [];
  const head = (an: number, ns: number, ar: number) => Buffer.concat([u16(0x1234), u16(0x8400), u16(1), u16(an), u16(ns), u16(ar)]);
  // one message per type, owner compressed to the question
  for (const [type, hex] of RDATA) {
    out.push(Buffer.concat([head(1, 0, 0), qname, u16(type), u16(1), record(Buffer.from([0xc0, 0x0c]), type, Buffer.from(hex, 'hex'))]));
  }
  // everything in one message, spread over the three sections, with an OPT carrying NSID
  const rrs = RDATA.map(([type, hex], i) => record(i % 3 === 0 ? Buffer.from([0xc0, 0x0c]) : Buffer.concat([Buffer.from([1, 0x61 + (i % 26)]), Buffer.from([0xc0, 0x0c])]), type, Buffer.from(hex, 'hex')));
  const third = Math.floor(rrs.length / 3);
  const nsid = Buffer.concat([u16(3), u16(4), Buffer.from('lab1')]);
  const opt = Buffer.concat([Buffer.from([0]), u16(41), u16(1232), Buffer.from([1, 0, 0x80, 0]), u16(nsid.length), nsid]);
  out.push(Buffer.concat([head(third, third, rrs.length - 2 * third + 1), qname, u16(255), u16(1), ...rrs, opt]));
  return out;
}

function labResponses(): Buffer[] {
  const z = labZones();
  const servers = [
    new LabDnsServer({ address: '127.0.0.1', port: 0, zones: [z.example, z.reverse4, z.reverse6, z.lame], nsid: 'ns1.example.test' }),
    new LabDnsServer({ address: '127.0.0.1', port: 0, zones: [z.tld, z.inAddrArpa, z.ip6Arpa], nsid: 'ns1.nic.test' }),
    new LabDnsServer({ address: '127.0.0.1', port: 0, zones: [z.root] }),
  ];
  const queries: Array<[string, number]> = [
    ['www.example.test', 1], ['WwW.ExAmPlE.TeSt', 28], ['example.test', 15], ['example.test', 2], ['example.test', 6],
    ['txt.example.test', 16], ['_sip._tcp.example.test', 33], ['example.test', 257], ['example.test', 65],
    ['_dns.example.test', 64], ['_http._tcp.example.test', 256], ['unknown.example.test', 65534],
    ['host.example.test', 13], ['alias.example.test', 1], ['anything.wild.example.test', 16], ['big.example.test', 1],
    ['huge.example.test', 28], ['nope.example.test', 1], ['wild.example.test', 1], ['example.test', 255],
    ['10.2.0.192.in-addr.arpa', 12], ['www.glueless.test', 1], ['www.other.invalid', 1],
  ];
  const out: Buffer[] = [];
  for (const s of servers) {
    for (const [name, type] of queries) {
      for (const [transport, edns] of [['tcp', { udpSize: 4096, do: true, nsid: true }], ['udp', undefined], ['tcp', undefined]] as const) {
        const reply = s.respond(encodeQuery({ id: out.length & 0xffff, name, type, edns }), transport);
        if (reply) out.push(reply);
      }
    }
  }
  return out;
}

// --- mutations ------------------------------------------------------------------

type Mutation = (b: Buffer, r: Rng) => Buffer;

const MUTATIONS: Mutation[] = [
  // flip 1-8 random bits
  (b, r) => {
    const c = Buffer.from(b);
    for (let n = 1 + r.int(8); n > 0 && c.length > 0; n--) c[r.int(c.length)]! ^= 1 << r.int(8);
    return c;
  },
  // overwrite 1-4 random bytes
  (b, r) => {
    const c = Buffer.from(b);
    for (let n = 1 + r.int(4); n > 0 && c.length > 0; n--) c[r.int(c.length)] = r.byte();
    return c;
  },
  // truncate at a random length
  (b, r) => b.subarray(0, r.int(b.length + 1)),
  // insert 1-8 random bytes
  (b, r) => {
    const at = r.int(b.length + 1);
    return Buffer.concat([b.subarray(0, at), r.bytes(1 + r.int(8)), b.subarray(at)]);
  },
  // delete 1-8 bytes
  (b, r) => {
    const at = r.int(b.length + 1);
    return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + r.int(8))]);
  },
  // a compression pointer to a random offset (backward, forward, itself or past the end)
  (b, r) => {
    if (b.length < 14) return b;
    const c = Buffer.from(b);
    const at = 12 + r.int(c.length - 13);
    const target = r.int(c.length + 32) & 0x3fff;
    c[at] = 0xc0 | (target >> 8);
    c[at + 1] = target & 0xff;
    return c;
  },
  // a header count set to something small or huge
  (b, r) => {
    if (b.length < 12) return b;
    const c = Buffer.from(b);
    c.writeUInt16BE(r.pick([0, 1, 2, 3, 5, 40, 0x7fff, 0xffff]), 4 + 2 * r.int(4));
    return c;
  },
  // a byte set to a label-length edge: 0, 63, 64 (0x40 type), 0x80, 0xbf, 0xff
  (b, r) => {
    if (b.length === 0) return b;
    const c = Buffer.from(b);
    c[r.int(c.length)] = r.pick([0, 1, 0x3f, 0x40, 0x41, 0x80, 0xbf, 0xc0, 0xff]);
    return c;
  },
  // a 16-bit field (an RDLENGTH, a type, a length) set to an edge value
  (b, r) => {
    if (b.length < 2) return b;
    const c = Buffer.from(b);
    c.writeUInt16BE(r.pick([0, 1, 2, 3, 4, 5, 16, 41, 0xff, 0x100, 0x7fff, 0xffff]), r.int(c.length - 1));
    return c;
  },
  // duplicate a chunk somewhere else
  (b, r) => {
    if (b.length === 0) return b;
    const from = r.int(b.length);
    const chunk = b.subarray(from, from + 1 + r.int(32));
    const at = r.int(b.length + 1);
    return Buffer.concat([b.subarray(0, at), chunk, b.subarray(at)]);
  },
];

// --- the check ------------------------------------------------------------------

/** "undefined" or "NaN" produced by code, not found inside a quoted string or a base64 run. */
const LEAK = /(^|[^A-Za-z0-9+/])(undefined|NaN)(?=$|[^A-Za-z0-9+/=])/;

function leaks(text: string): boolean {
  return LEAK.test(text.replace(/"(?:[^"\\]|\\.)*"/g, '""'));
}

function problemWith(m: DnsMessage): string | undefined {
  for (const q of m.questions) {
    if (typeof q.name !== 'string' || leaks(q.name)) return `question name ${JSON.stringify(q.name)}`;
    if (leaks(q.type) || leaks(q.class)) return `question type/class ${q.type} ${q.class}`;
  }
  for (const r of [...m.answers, ...m.authorities, ...m.additionals]) {
    for (const [field, value] of [['name', r.name], ['type', r.type], ['class', r.class], ['data', r.data]] as const) {
      if (typeof value !== 'string') return `${field} is ${typeof value}`;
      if (leaks(value)) return `${r.type} ${field}: ${JSON.stringify(value)}`;
    }
    if (!Number.isInteger(r.ttl) || r.ttl < 0) return `ttl ${r.ttl}`;
  }
  if (!Number.isInteger(m.rcodeCode) || leaks(m.rcode) || leaks(m.opcode)) return `rcode ${m.rcodeCode} ${m.rcode} ${m.opcode}`;
  if (m.edns && (!Number.isInteger(m.edns.udpSize) || (m.edns.nsid !== undefined && typeof m.edns.nsid !== 'string'))) return 'edns fields';
  return undefined;
}

/** undefined when decodeMessage behaved; otherwise what went wrong. */
function check(input: Buffer): string | undefined {
  let m: DnsMessage;
  try {
    m = decodeMessage(input);
  } catch (e) {
    if (e instanceof NetlabError && e.code === 'MALFORMED_PACKET') return undefined;
    return `threw ${e instanceof NetlabError ? `NetlabError ${e.code}` : e instanceof Error ? e.name : typeof e}: ${e instanceof Error ? e.message : String(e)}`;
  }
  return problemWith(m);
}

// --- the worker -----------------------------------------------------------------

function runWorker(): void {
  const { seed, progress } = workerData as { seed: number; progress: SharedArrayBuffer };
  const shared = new Int32Array(progress);
  const corpus = [...labResponses(), ...handMade()];
  const failures: Failure[] = [];
  let failureCount = 0;
  const started = Date.now();
  let stoppedEarly = false;
  const ran: Record<string, number> = { corpus: 0, mutated: 0, random: 0, randomHeader: 0 };

  const run = (phase: string, phaseNo: number, index: number, input: Buffer) => {
    Atomics.store(shared, 0, phaseNo);
    Atomics.store(shared, 1, index);
    const problem = check(input);
    ran[phase]!++;
    if (problem) {
      failureCount++;
      if (failures.length < 10) failures.push({ seed, index, phase, problem, hex: input.toString('hex').slice(0, 1200) });
    }
  };

  // the corpus itself must decode cleanly
  corpus.forEach((msg, i) => run('corpus', 0, i, msg));

  const phases: Array<[string, number, (r: Rng) => Buffer]> = [
    ['mutated', MUTATION_CASES, (r) => {
      let b = r.pick(corpus);
      for (let n = 1 + r.int(3); n > 0; n--) b = r.pick(MUTATIONS)(b, r);
      return b;
    }],
    ['random', RANDOM_CASES, (r) => r.bytes(r.int(r.int(4) === 0 ? 2048 : 256))],
    ['randomHeader', RANDOM_HEADER_CASES, (r) => {
      const b = r.bytes(12 + r.int(400));
      for (let k = 0; k < 4; k++) b.writeUInt16BE(r.int(4), 4 + 2 * k);
      return b;
    }],
  ];
  phases.forEach(([phase, count, make], p) => {
    for (let i = 0; i < count; i++) {
      if (Date.now() - started > BUDGET_MS) {
        stoppedEarly = true;
        return;
      }
      run(phase, p + 1, i, make(new Rng(caseSeed(seed, p + 1, i))));
    }
  });
  const result: WorkerResult = { ran, corpus: corpus.length, stoppedEarly, failures, failureCount };
  parentPort!.postMessage(result);
}

// --- the tests ------------------------------------------------------------------

if (isMainThread) {
  const envSeed = process.env.NETLAB_FUZZ_SEED;
  const seed = envSeed === undefined ? DEFAULT_SEED : Number(envSeed) >>> 0;
  const PHASES = ['corpus', 'mutated', 'random', 'randomHeader'];

  test(`fuzz (seed ${seed}): mutated valid responses and random bytes decode or throw MALFORMED_PACKET, never hang, never print undefined or NaN`, async (t) => {
    const progress = new SharedArrayBuffer(8);
    const shared = new Int32Array(progress);
    const worker = new Worker(new URL(import.meta.url), { workerData: { seed, progress } });
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await new Promise<WorkerResult>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`fuzz worker exited with code ${code} before reporting`)));
        timer = setTimeout(() => {
          const phase = PHASES[Atomics.load(shared, 0)];
          const index = Atomics.load(shared, 1);
          reject(new Error(`decodeMessage hung: seed ${seed}, phase ${phase}, case ${index} did not finish in ${HANG_MS / 1000} s (rerun with NETLAB_FUZZ_SEED=${seed})`));
        }, HANG_MS);
      });
      t.diagnostic(`seed ${seed}: ${result.corpus} corpus messages; cases run ${JSON.stringify(result.ran)}`);
      if (result.stoppedEarly) t.diagnostic(`stopped at the ${BUDGET_MS / 1000} s budget before running every case`);
      const report = result.failures
        .map((f) => `  seed ${f.seed} phase ${f.phase} case ${f.index}: ${f.problem}\n    input ${f.hex}`)
        .join('\n');
      assert.equal(result.failureCount, 0, `seed ${seed}: ${result.failureCount} bad outcome(s) (rerun with NETLAB_FUZZ_SEED=${seed}):\n${report}`);
      assert.equal(result.ran.corpus, result.corpus, 'every corpus message was checked');
      assert.ok(result.ran.mutated! > 0 && result.ran.random! > 0, `seed ${seed}: the mutation and random phases ran`);
    } finally {
      clearTimeout(timer);
      await worker.terminate();
    }
  });

  test('the fuzz PRNG is deterministic: the same seed gives the same bytes', () => {
    const a = new Rng(caseSeed(seed, 1, 42)).bytes(64);
    const b = new Rng(caseSeed(seed, 1, 42)).bytes(64);
    assert.deepEqual(a, b, `seed ${seed}`);
    assert.notDeepEqual(a, new Rng(caseSeed(seed, 1, 43)).bytes(64), `seed ${seed}: neighbouring cases differ`);
  });

  test('the leak check itself: catches code-made undefined/NaN, ignores them inside strings and base64', () => {
    assert.ok(leaks('undefined.undefined.undefined.undefined'));
    assert.ok(leaks('1 . port=NaN'));
    assert.ok(leaks('NaN 10 mail.test.'));
    assert.ok(!leaks('"NaN" "undefined"'));
    assert.ok(!leaks('257 3 13 abcNaNdef'));
    assert.ok(!leaks('257 3 13 NaN='));
    assert.ok(!leaks('192.0.2.1'));
  });
} else {
  runWorker();
}
