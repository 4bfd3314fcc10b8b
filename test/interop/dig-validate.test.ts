/**
 * issue 14: netlab's DNSSEC verdicts equal BIND delv's (bind9-dnsutils) on the same signed zones:
 * named (bind9, recursion on for loopback, with a root of its own) serves the lab's fixture zones (sec.test. and its children, as
 * scripts/make-dnssec-fixtures.sh made them with dnssec-signzone) on 127.85.0.6, as RECIPES.md
 * section 1 starts it (the address added to lo first, as root; else on 127.0.0.1), and
 * `delv @named -a ANCHOR +root=sec.test NAME` and netlab `+validate` must say the same for every
 * case; then delv against the lab's own server (127.53.6.1) agrees with netlab against it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startDnsLab, type DnsLab } from '../../src/lab/dns/index.js';
import { LAB_DNSSEC_ADDRESS, LAB_DNSSEC_CASES } from '../../src/lab/dns/signed.js';
import { DNSSEC_ANCHOR_CONF, DNSSEC_ZONE_FILES } from '../../src/lab/dns/dnssec-fixtures.js';
import { parseTrustAnchors } from '../../src/protocol/dns/dnssec/anchors.js';
import { validateAnswer, type DnssecVerdict } from '../../src/protocol/dns/dnssec/validate.js';
import { run, which } from '../helpers/tools.js';
import { startNamed, type Named } from '../helpers/named.js';
import { runCli } from '../helpers/cli.js';

const DELV = which('delv');
const NAMED = which('named');
const IP = which('ip');
const ADDRESS = '127.85.0.6';

let dir = '';
let named: Named | undefined;
let namedFailure = '';
let namedAddress = ADDRESS;
let addedAlias = false;
let lab: DnsLab | undefined;
const anchors = parseTrustAnchors(DNSSEC_ANCHOR_CONF, 'anchor');

/** Extra names beyond the lab's cases: negative answers by NSEC and NSEC3, NODATA, CNAMEs. */
const EXTRA: Array<[string, string]> = [['nx.good.sec.test.', 'A'], ['nx.nsec3.sec.test.', 'A'], ['www.good.sec.test.', 'MX'], ['b.nsec3.sec.test.', 'A'], ['nx.unsigned.sec.test.', 'A'], ['alias.good.sec.test.', 'A'], ['cross.good.sec.test.', 'A']];
const QUESTIONS: Array<[string, string]> = [...LAB_DNSSEC_CASES.map((c) => [c.name, 'A'] as [string, string]), ...EXTRA];

before(async () => {
  if (!DELV) return;
  lab = await startDnsLab({ port: 0 });
  if (!NAMED) return;
  dir = mkdtempSync(join(tmpdir(), 'netlab-named-dnssec-'));
  writeFileSync(join(dir, 'anchor.conf'), DNSSEC_ANCHOR_CONF);
  const zones: string[] = [];
  for (const [origin, text] of Object.entries(DNSSEC_ZONE_FILES)) {
    const file = join(dir, `db.${origin}`);
    writeFileSync(file, text);
    zones.push(`zone "${origin}" { type primary; file "${file}"; };`);
  }
  // a root of its own, so that named's recursion (on, so that it sets RA and netlab asks it as a
  // resolver, with RD, DO and CD, as delv does) never leaves loopback
  writeFileSync(join(dir, 'db.root'), '$TTL 300\n.\tIN SOA ns.root.test. hm.root.test. 1 3600 900 604800 300\n.\tIN NS ns.root.test.\nns.root.test.\tIN A 127.0.0.1\n');
  zones.push(`zone "." { type primary; file "${join(dir, 'db.root')}"; };`);
  // named listens only on addresses that exist on an interface (RECIPES.md 1.1)
  const present = IP ? execFileSync(IP, ['-4', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' }).includes(`${ADDRESS}/`) : false;
  if (!present && IP && process.getuid?.() === 0) {
    try {
      execFileSync(IP, ['addr', 'add', `${ADDRESS}/32`, 'dev', 'lo']);
      addedAlias = true;
    } catch {
      // another run added it meanwhile
    }
  }
  if (!present && !addedAlias) namedAddress = '127.0.0.1';
  const started = await startNamed({ named: NAMED, dir, address: namedAddress, options: '  recursion yes; allow-recursion { 127.0.0.0/8; };', zones: () => zones.join('\n') });
  if ('failure' in started) namedFailure = started.failure;
  else named = started;
});

after(async () => {
  await named?.stop();
  await lab?.close();
  if (addedAlias && IP) execFileSync(IP, ['addr', 'del', `${ADDRESS}/32`, 'dev', 'lo']);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** delv's verdict from its output (BIND 9.18): `; fully validated`, `; unsigned answer`, or `;; resolution failed: REASON`. */
function delvVerdict(out: string): DnssecVerdict | string {
  if (/^; (negative response, )?fully validated$/m.test(out)) return 'secure';
  if (/^; unsigned answer$/m.test(out) || /^; negative response, unsigned answer$/m.test(out)) return 'insecure';
  if (/^;; resolution failed: (timed out|communications error|operation canceled)/m.test(out)) return 'indeterminate';
  if (/^;; resolution failed: /m.test(out)) return 'bogus';
  return `unrecognised: ${out.split('\n').slice(0, 4).join(' | ')}`;
}

async function delv(server: string, port: number, name: string, type: string): Promise<string> {
  const r = await run(DELV!, [`@${server}`, '-p', String(port), '-a', join(dir || tmpdir(), 'anchor.conf'), '+root=sec.test', name, type], 20_000);
  return r.stdout + r.stderr;
}

test('netlab +validate agrees with delv on named serving the same signed zones', { skip: !DELV ? 'delv is not installed (Debian: bind9-dnsutils)' : !NAMED ? 'named is not installed (Debian: bind9)' : false }, async () => {
  assert.ok(named, `named did not start:\n${namedFailure}`);
  const rows: string[] = [];
  for (const [name, type] of QUESTIONS) {
    const theirs = delvVerdict(await delv(namedAddress, named.port, name, type));
    const ours = await validateAnswer(name, type, { server: { address: namedAddress, port: named.port }, anchors });
    assert.equal(ours.mode, 'recursive', 'named sets RA: asked as a resolver');
    rows.push(`${name}/${type}: delv ${theirs}, netlab ${ours.status}${ours.problems.length ? ` (${ours.problems.map((p) => p.code).join(',')})` : ''}`);
    assert.equal(ours.status, theirs, rows[rows.length - 1]);
  }
  // the lab's expectations hold against named too
  for (const c of LAB_DNSSEC_CASES) assert.ok(rows.some((r) => r.startsWith(`${c.name}/A: delv ${c.verdict}`)), c.name);
  // one CLI run: text and exit code against named
  const cli = await runCli(['dig', `@${namedAddress}`, '-p', String(named.port), '+validate', '--trust-anchor', join(dir, 'anchor.conf'), 'www.expired.sec.test', '+noall']);
  assert.equal(cli.code, 2);
  assert.match(cli.stdout, /^;; resolution failed: RRSIG_EXPIRED: expired\.sec\.test\.\/DNSKEY: RRSIG by key \d+ \(ECDSAP256SHA256\) expired 2020-02-01T00:00:00\.000Z$/m);
});

test('delv against the lab agrees with netlab against the lab', { skip: !DELV ? 'delv is not installed (Debian: bind9-dnsutils)' : false }, async () => {
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), 'netlab-named-dnssec-'));
    writeFileSync(join(dir, 'anchor.conf'), DNSSEC_ANCHOR_CONF);
  }
  for (const [name, type] of QUESTIONS) {
    const theirs = delvVerdict(await delv(LAB_DNSSEC_ADDRESS, lab!.port, name, type));
    const ours = await validateAnswer(name, type, { server: { address: LAB_DNSSEC_ADDRESS, port: lab!.port }, anchors });
    assert.equal(ours.status, theirs, `${name}/${type}: netlab ${ours.status} ${JSON.stringify(ours.problems)}`);
  }
});
