/**
 * Golden files: a renderer's text compared with test/golden/<dir>/<name>.txt. UPDATE_GOLDEN=1
 * rewrites them (Node 20 has no snapshot assertion). A missing file fails: writing it on the
 * spot would make the test pass without comparing anything.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The comparer for test/golden/`dir`/. */
export function goldenOf(dir: string): (name: string, actual: string) => void {
  const folder = fileURLToPath(new URL(`../../../test/golden/${dir}/`, import.meta.url));
  return (name, actual) => {
    const file = `${folder}${name}.txt`;
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, actual);
    assert.ok(existsSync(file), `golden ${dir}/${name} is missing (UPDATE_GOLDEN=1 writes it)`);
    assert.equal(actual, readFileSync(file, 'utf8'), `golden ${dir}/${name} (UPDATE_GOLDEN=1 to rewrite)`);
  };
}
