/**
 * hosts2zone --aliases a against glibc's getaddrinfo over the same hosts file: every name of
 * the zone gets, as address records, exactly the addresses `getent ahosts NAME` answers when
 * /etc/hosts is that file (in a private mount namespace, with `hosts: files` only, so that
 * nothing reaches a real resolver). Needs root, unshare(1) and getent(1); skipped otherwise.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { hostsToZone } from '../../src/protocol/zone/hosts-to-zone.js';
import { run, which } from '../helpers/tools.js';
import { dataLines } from '../helpers/hosts-model.js';

const UNSHARE = which('unshare');
const GETENT = which('getent');
const skip = !UNSHARE || !GETENT ? 'unshare or getent is not installed' : process.getuid?.() !== 0 ? 'needs root for a private mount namespace' : false;

// aliases on one line of their name, on several, beside addresses of their own, of two names
const HOSTS = `192.0.2.10 web www
2001:db8::10 web
192.0.2.11 web www2
2001:db8::11 www2 extra
192.0.2.12 mail smtp
192.0.2.13 smtp
192.0.2.20 a x
192.0.2.21 b x
2001:db8::20 a
`;
const NAMES = ['web', 'www', 'www2', 'extra', 'mail', 'smtp', 'a', 'b', 'x'];

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'netlab-h2z-gai-'));
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** NAME -> the addresses getaddrinfo (AF_UNSPEC) gives for it with /etc/hosts = `hosts`, sorted. */
async function getaddrinfo(hosts: string, names: string[]): Promise<Map<string, string[]>> {
  const file = join(dir, 'hosts');
  const nss = join(dir, 'nsswitch.conf');
  writeFileSync(file, hosts);
  writeFileSync(nss, 'hosts: files\n');
  const script = `mount --bind '${file}' /etc/hosts && mount --bind '${nss}' /etc/nsswitch.conf && for n in ${names.join(' ')}; do echo "== $n"; '${GETENT}' ahosts "$n"; done`;
  const r = await run(UNSHARE!, ['-m', '--propagation', 'private', 'sh', '-c', script], 20_000);
  const out = new Map<string, string[]>();
  let current = '';
  for (const line of r.stdout.split('\n')) {
    const head = /^== (\S+)$/.exec(line);
    if (head) {
      current = head[1]!;
      out.set(current, []);
    } else if (current && line.trim()) {
      const addr = line.split(/\s+/)[0]!;
      const list = out.get(current)!;
      if (!list.includes(addr)) list.push(addr);
    }
  }
  for (const list of out.values()) list.sort();
  assert.equal(out.size, names.length, `getent answered for ${[...out.keys()].join(' ')}: ${r.stderr}`);
  return out;
}

// issue 10.6: `--aliases a` gave an alias the addresses its canonical name has on other lines
test('--aliases a: every name gets exactly the addresses getaddrinfo gives it over the same hosts file', { skip }, async () => {
  const expected = await getaddrinfo(HOSTS, NAMES);
  // the oracle itself, for the case of the issue: www stands on 192.0.2.10's line only
  assert.deepEqual(expected.get('www'), ['192.0.2.10']);
  const r = await hostsToZone([{ name: 'gai.hosts', chunks: Readable.from([Buffer.from(HOSTS)]) }], { origin: 'corp.test', aliases: 'a' });
  const written = new Map<string, string[]>();
  for (const l of dataLines(r.zones[0]!.text)) {
    const [owner, type, data] = l.split(' ') as [string, string, string];
    if (type !== 'A' && type !== 'AAAA') continue;
    written.set(owner, [...(written.get(owner) ?? []), data]);
  }
  for (const list of written.values()) list.sort();
  assert.deepEqual(new Map([...written].sort()), new Map([...expected].sort()));
});
