import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemNameserver } from '../../src/protocol/dns/resolv-conf.js';

test('the first valid nameserver line of resolv.conf is the default server, as in dig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-resolv-'));
  try {
    const f = join(dir, 'resolv.conf');
    writeFileSync(f, '# comment\nsearch example.test\nnameserver not-an-ip\nnameserver 127.0.0.53\nnameserver 127.0.0.1\n');
    assert.equal(systemNameserver(f), '127.0.0.53');
    writeFileSync(f, 'options edns0\n');
    assert.equal(systemNameserver(f), undefined);
    assert.equal(systemNameserver(join(dir, 'missing')), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
