/**
 * issue 14: zone transfers and TSIG against the lab (started once): AXFR of example.test. from
 * ns1 (every record, the XFR size line), IXFR up to date (the single SOA) and from an old serial
 * (the whole zone), AXFR over UDP (FORMERR, as named), the TSIG-protected xfr.test. on 127.53.1.1
 * with the key file, without a key, with a wrong secret and an unknown key; a signed plain query.
 * Then hostile transfer servers of the test's own on 127.53.1.2: a stream cut in the middle, one
 * that never ends (bounded by records), one that stalls (bounded by +time); bad -y and -k.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDnsLab, type DnsLab } from '../../src/lab/dns/index.js';
import { labZones } from '../../src/lab/dns/zones.js';
import { LAB_XFR_CHUNK, LAB_XFR_HOSTS } from '../../src/lab/dns/xfr.js';
import { lookup } from '../../src/protocol/dns/lookup.js';
import { query } from '../../src/protocol/dns/transport.js';
import { decodeMessage, encodeMessage, frame, FrameReader, type RecordInput } from '../../src/protocol/dns/wire.js';
import { Readable } from 'node:stream';
import { parseArgv } from '../../src/commands/command.js';
import { command as digCommand } from '../../src/commands/dig/index.js';
import { runCli } from '../helpers/cli.js';
import { digHere } from '../helpers/dig.js';

let lab: DnsLab;
let dir: string;
const EXAMPLE_RECORDS = labZones().example.records.length + 1; // the SOA twice
const XFR_RECORDS = LAB_XFR_HOSTS + 4 + 1;

before(async () => {
  lab = await startDnsLab({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'netlab-xfr-test-'));
});
after(async () => {
  await lab.close();
  rmSync(dir, { recursive: true, force: true });
});

const at = (address: string) => [`@${address}`, '-p', String(lab.port)];
const recordLines = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith(';'));

test('AXFR of example.test. from ns1: every record in order, SOA first and last, dig\'s XFR size line', async () => {
  const r = await digHere([...at(lab.addresses.ns1Example), 'example.test', 'AXFR']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const lines = recordLines(r.stdout);
  assert.equal(lines.length, EXAMPLE_RECORDS);
  assert.match(lines[0]!, /^example\.test\.\t\t3600\tIN\tSOA\tns1\.example\.test\. hostmaster\.example\.test\. 2026112301 /);
  assert.equal(lines[lines.length - 1], lines[0]);
  const messages = Math.ceil(EXAMPLE_RECORDS / LAB_XFR_CHUNK);
  assert.match(r.stdout, new RegExp(`;; SERVER: 127\\.53\\.0\\.3#${lab.port}\\(127\\.53\\.0\\.3\\) \\(TCP\\)\\n;; WHEN: .*\\n;; XFR size: ${EXAMPLE_RECORDS} records \\(messages ${messages}, bytes \\d+\\)\\n`));
  // the library: the records as `answer`, the counts as `xfr`
  const j = await lookup({ name: 'example.test', type: 'AXFR', server: lab.addresses.ns2Example, port: lab.port });
  assert.equal(j.status, 'OK');
  assert.equal(j.answer.length, EXAMPLE_RECORDS);
  assert.deepEqual({ records: j.xfr!.records, messages: j.xfr!.messages, kind: j.xfr!.kind }, { records: EXAMPLE_RECORDS, messages, kind: 'axfr' });
  assert.equal(j.query.transport, 'tcp');
});

test('IXFR: an up-to-date serial gets the single SOA, an old one the whole zone; AXFR over UDP is FORMERR', async () => {
  const up = await lookup({ name: 'example.test', type: 'IXFR', serial: 2026112301, server: lab.addresses.ns1Example, port: lab.port });
  assert.equal(up.status, 'OK');
  assert.deepEqual([up.answer.length, up.xfr!.records, up.xfr!.messages, up.xfr!.kind], [1, 1, 1, 'up-to-date']);
  assert.equal(up.answer[0]!.type, 'SOA');
  const old = await digHere([...at(lab.addresses.ns1Example), 'example.test', 'ixfr=2026010101']);
  assert.equal(old.code, 0);
  assert.equal(recordLines(old.stdout).length, EXAMPLE_RECORDS);
  const udp = await query({ address: lab.addresses.ns1Example, port: lab.port }, { name: 'example.test', type: 252 }, { tries: 1, timeoutMs: 2000 });
  assert.equal(udp.message.rcode, 'FORMERR');
});

test('xfr.test. with the lab\'s key file: 65 records in two signed messages, each TSIG shown after its records', async () => {
  const r = await digHere(['-k', lab.xfrKeyFile, ...at(lab.addresses.xfr), 'xfr.test', 'AXFR']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const lines = recordLines(r.stdout);
  const tsig = lines.map((l, i) => [l, i] as const).filter(([l]) => /\tANY\tTSIG\t/.test(l));
  assert.equal(lines.length - tsig.length, XFR_RECORDS);
  assert.deepEqual(tsig.map(([, i]) => i), [LAB_XFR_CHUNK, XFR_RECORDS + 1]);
  assert.match(tsig[0]![0], /^lab-xfr-key\.\t\t0\tANY\tTSIG\thmac-sha256\. \d+ 300 32 \S{44} \d+ NOERROR 0 $/);
  assert.match(r.stdout, new RegExp(`;; XFR size: ${XFR_RECORDS} records \\(messages 2, bytes \\d+\\)`));
  // the library, records kept: where each TSIG record goes among them
  const j = await lookup({ name: 'xfr.test', type: 'AXFR', server: lab.addresses.xfr, port: lab.port, tsig: lab.xfrKey });
  assert.equal(j.status, 'OK');
  assert.deepEqual([j.answer.length, j.additional.map((x) => x.type), j.xfr!.tsigAfter], [XFR_RECORDS, ['TSIG', 'TSIG'], [LAB_XFR_CHUNK, XFR_RECORDS]]);
});

test('xfr.test. without a key is refused, with a wrong secret NOTAUTH/BADSIG, with an unknown key NOTAUTH/BADKEY: "Transfer failed.", exit 2', async () => {
  const none = await digHere([...at(lab.addresses.xfr), 'xfr.test', 'AXFR']);
  assert.equal(none.code, 2);
  assert.match(none.stdout, /\n; Transfer failed\.\n$/);
  const j = await lookup({ name: 'xfr.test', type: 'AXFR', server: lab.addresses.xfr, port: lab.port });
  assert.deepEqual([j.rcode, j.status, j.problems[0]!.code], ['REFUSED', 'CRITICAL', 'REFUSED']);
  const wrong = await digHere(['-y', 'hmac-sha256:lab-xfr-key:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', ...at(lab.addresses.xfr), 'xfr.test', 'AXFR']);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stdout, /;; Couldn't verify signature: tsig indicates error\nlab-xfr-key\.\t\t0\tANY\tTSIG\thmac-sha256\. \d+ 300 0 \d+ BADSIG 0 \n; Transfer failed\.\n$/);
  const unknown = await lookup({ name: 'xfr.test', type: 'AXFR', server: lab.addresses.xfr, port: lab.port, tsig: { ...lab.xfrKey, name: 'other-key' } });
  assert.equal(unknown.rcode, 'NOTAUTH');
  assert.equal(unknown.tsigError, 'tsig indicates error');
  assert.match(unknown.additional[0]!.data, / BADKEY 0 $/);
  assert.equal(unknown.status, 'CRITICAL');
});

test('a plain query signed with the key: the answer\'s TSIG verified and shown as the TSIG PSEUDOSECTION', async () => {
  const r = await digHere(['-k', lab.xfrKeyFile, ...at(lab.addresses.xfr), 'host-7.xfr.test']);
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /;; ANSWER SECTION:\nhost-7\.xfr\.test\.\t300\tIN\tA\t192\.0\.2\.107\n\n;; TSIG PSEUDOSECTION:\nlab-xfr-key\.\t\t0\tANY\tTSIG\thmac-sha256\. \d+ 300 32 \S{44} \d+ NOERROR 0 \n\n;; Query time/);
  // a server that does not know the key: NOTAUTH with BADKEY in an unsigned TSIG, dig's line, exit 2
  const unknown = await digHere(['-k', lab.xfrKeyFile, ...at(lab.addresses.ns1Example), 'www.example.test']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stdout, /;; global options: \+cmd\n;; Couldn't verify signature: tsig indicates error\n;; Got answer:\n;; ->>HEADER<<- opcode: QUERY, status: NOTAUTH/);
  assert.match(unknown.stdout, /;; TSIG PSEUDOSECTION:\nlab-xfr-key\.\t\t0\tANY\tTSIG\thmac-sha256\. \d+ 300 0 \d+ BADKEY 0 \n/);
});

/** A transfer server of the test's own on 127.53.1.2: `serve` writes the answer to the query. */
async function hostile(serve: (socket: net.Socket, reply: (records: RecordInput[]) => Buffer) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    const reader = new FrameReader();
    socket.on('data', (chunk) => {
      for (const f of reader.push(chunk)) {
        const q = decodeMessage(f);
        serve(socket, (answers) => frame(encodeMessage({ id: q.id, flags: ['qr', 'aa'], questions: q.questions, answers })));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.53.1.2', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

const SOA: RecordInput = { name: 'cut.test.', ttl: 300, rdata: { type: 'SOA', mname: 'ns.cut.test.', rname: 'h.cut.test.', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 1 } };
const host = (i: number): RecordInput => ({ name: `h${i}.cut.test.`, ttl: 300, rdata: { type: 'A', address: `192.0.2.${i % 250}` } });

test('a transfer cut in the middle (connection closed before the closing SOA): one line, exit 2', async () => {
  const h = await hostile((socket, reply) => {
    socket.write(reply([SOA, host(1), host(2)]));
    socket.end(reply([host(3)]).subarray(0, 10)); // half a message, then the end
  });
  try {
    const r = await digHere(['@127.53.1.2', '-p', String(h.port), 'cut.test', 'AXFR']);
    assert.equal(r.code, 2);
    assert.match(r.stdout, /\n;; transfer of cut\.test cut: the server closed the connection after 3 records \(1 messages, \d+ bytes\) in the middle of a message, before the closing SOA\n$/);
  } finally {
    await h.close();
  }
});

// issue 14 (measured): the records are written per message as they arrive; while stdout is full
// (here: until the transfer is over), one write waits for 'drain' and the rest is held, then
// written in one piece (one 'drain' listener per message made Node warn past ten of them)
test('a streamed transfer to a full stdout: one write waits, the rest follows in one piece when it drains, every record once and in order', async () => {
  const HOSTS = 3000;
  let transferred!: () => void;
  const over = new Promise<void>((resolve) => (transferred = resolve));
  let full = true;
  void over.then(() => (full = false));
  const h = await hostile((socket, reply) => {
    socket.on('close', () => transferred());
    socket.write(reply([SOA]));
    for (let i = 0; i < HOSTS; i += 100) socket.write(reply(Array.from({ length: 100 }, (_, k) => host(i + k))));
    socket.write(reply([SOA]));
  });
  const writes: string[] = [];
  let whileFull = 0;
  try {
    const options = await parseArgv(digCommand, ['@127.53.1.2', '-p', String(h.port), 'cut.test', 'AXFR']);
    const result = await digCommand.run(options, {
      signal: new AbortController().signal,
      io: {
        out: (chunk) => {
          writes.push(String(chunk));
          if (!full) return undefined;
          whileFull++;
          return over; // stdout drains once the server has seen the transfer end
        },
        err: () => undefined,
        stdin: Readable.from([]),
      },
      version: '0.0.0-test',
      style: {},
    });
    assert.equal(result.status, 'OK');
  } finally {
    await h.close();
  }
  assert.equal(whileFull, 1);
  // the banner and the first message's records; the other 31 messages held, in one write; the summary
  assert.equal(writes.length, 3);
  const lines = recordLines(writes.join(''));
  assert.equal(lines.length, HOSTS + 2);
  assert.deepEqual(lines.slice(1, -1).map((l) => l.split('\t')[0]), Array.from({ length: HOSTS }, (_, i) => `h${i}.cut.test.`));
  assert.match(writes[2]!, new RegExp(`;; XFR size: ${HOSTS + 2} records \\(messages 32, bytes \\d+\\)\\n`));
});

test('a transfer that never ends is bounded by records, one of empty messages by their number, one that stalls by the time per read', async () => {
  let stop = false;
  const endless = await hostile((socket, reply) => {
    socket.write(reply([SOA]));
    let i = 0;
    const more = () => {
      // records forever, 100 a message, as fast as the socket takes them
      while (!stop && !socket.destroyed && socket.write(reply(Array.from({ length: 100 }, () => host(i++))))) { /* keep writing */ }
      if (!stop && !socket.destroyed) socket.once('drain', more);
    };
    more();
  });
  try {
    const r = await lookup({ name: 'cut.test', type: 'AXFR', server: '127.53.1.2', port: endless.port, xfrLimits: { maxRecords: 20_000 } });
    assert.equal(r.status, 'CRITICAL');
    assert.equal(r.problems[0]!.code, 'XFR_INCOMPLETE');
    assert.match(r.error!, /^transfer of cut\.test stopped: over 20000 records after 20001 records/);
  } finally {
    stop = true;
    await endless.close();
  }
  // SOA, then empty messages: bounded by their number
  const hollow = await hostile((socket, reply) => {
    socket.write(reply([SOA]));
    for (let i = 0; i < 150; i++) socket.write(reply([]));
  });
  try {
    const r = await lookup({ name: 'cut.test', type: 'AXFR', server: '127.53.1.2', port: hollow.port });
    assert.equal(r.problems[0]!.code, 'XFR_INCOMPLETE');
    assert.match(r.error!, /^transfer of cut\.test stopped: over 100 messages without a record after 1 records \(102 messages/);
  } finally {
    await hollow.close();
  }
  const stall = await hostile((socket, reply) => socket.write(reply([SOA, host(1)])));
  try {
    // the library's timeout per read (dig's +time, whole seconds, is the same bound)
    const r = await lookup({ name: 'cut.test', type: 'AXFR', server: '127.53.1.2', port: stall.port, timeoutMs: 300 });
    assert.equal(r.problems[0]!.code, 'XFR_INCOMPLETE');
    assert.match(r.error!, /^transfer of cut\.test stalled: nothing for 300 ms after 2 records \(1 messages, \d+ bytes\)$/);
  } finally {
    await stall.close();
  }
});

test('bad -y and -k: one line, exit 3 (the binary for two)', async () => {
  const badFile = join(dir, 'bad.key');
  writeFileSync(badFile, 'key "k" {\n\talgorithm hmac-sha256;\n\tsecret "not base64!";\n};\n');
  const cases: Array<[string[], RegExp]> = [
    [['-y', 'k:@@@'], /^netlab dig: the TSIG secret of 'k' is not base64/],
    [['-y', 'hmac-foo:k:AAAA'], /^netlab dig: unknown TSIG algorithm 'hmac-foo'/],
    [['-k', badFile], new RegExp(`^netlab dig: ${badFile.replace(/[.]/g, '\\.')}:3: the secret of key 'k' is not base64`)],
    [['-k', join(dir, 'missing.key')], /^netlab dig: couldn't read key file '.*missing\.key': no such file/],
  ];
  for (const [i, [args, want]] of cases.entries()) {
    const argv = ['dig', ...args, ...at(lab.addresses.xfr), 'xfr.test', 'AXFR'];
    const r = i < 2 ? await runCli(argv) : await digHere(argv.slice(1));
    assert.equal(r.code, 3, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, want);
  }
});
