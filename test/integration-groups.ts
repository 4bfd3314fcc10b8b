/**
 * The integration test files in a few processes instead of one each (the pattern of test/unit.ts).
 * `node --test` starts a process per file, and each paid node, its test runner and our modules
 * (the lab, the library, the helpers: ~0.4 s of CPU) again. Here the files are dealt to GROUPS
 * processes (test/integration-N.ts), balanced by the wall time each file was measured to take
 * (`npm test` runs three of these processes and test/unit.ts's at a time). In a process the files run one after
 * another, as a file's own tests do: files run at the same time in one process were measured to
 * disturb each other (a lab's shared counters and pools, a dead port taken by another file's
 * server). Each file is a suite named after it, so its root-level before/after hooks stay its
 * own and a failure names the file. The files are found at run time, so a new one is never left
 * out (unmeasured: the average).
 */
import { describe } from 'node:test';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** How many processes; package.json's test script names test/integration-1.ts to -GROUPS. */
export const GROUPS = 3;

/**
 * test/unit.ts's wall ms, in the units of WALL_MS. `npm test` runs three processes at a time and
 * lists unit.js first and the last group last: that group starts when unit.js ends, so it starts
 * with unit.js's time. (Measured in the grouped processes: unit.js 17-23 s, the groups about 0.8
 * of their WALL_MS sums; with 15,000 here unit.js and the last group ended 5-8 s after the others.)
 */
const UNIT_WALL_MS = 24000;

/** Wall ms per file in a process of its own, on the 2-core machine under `npm test` (issue 10). */
const WALL_MS: Record<string, number> = {
  'lab-demo': 14300, 'lb-probe': 13500, 'hosts2zone': 10300, 'lb-probe-https-hash': 9100,
  'cert-check-conn': 7600, 'check': 7600, 'interrupt': 7500, 'cert-check': 7500, 'dig-zone-check': 6300,
  'trace-request': 6000, 'exporter': 5100, 'trace-request-hostile': 4000, 'check-outputs': 4000,
  'hostile': 3600, 'batch': 3400, 'cert-check-revocation': 3200, 'output-errors': 3100,
  'trace-request-modern': 2700, 'trace': 2500, 'dig-encrypted': 2000, 'fanout': 1900,
  'lab-encrypted': 1800, 'dig-validate': 1800, 'dig': 1700, 'dig-xfr': 1200, 'dig-ecs': 1200, 'timing-h1': 1000,
};

const dir = new URL('./integration/', import.meta.url);

/** The files of group `index` (0-based): the longest first, each to the group with least so far. */
export function filesOfGroup(index: number): string[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort();
  if (files.length === 0) throw new Error(`no integration test files in ${fileURLToPath(dir)}`);
  const known = Object.values(WALL_MS);
  const average = known.reduce((a, b) => a + b, 0) / known.length;
  const cost = (f: string) => WALL_MS[f.replace(/\.test\.js$/, '')] ?? average;
  const groups = Array.from({ length: GROUPS }, (_, i) => ({ cost: i === GROUPS - 1 ? UNIT_WALL_MS : 0, files: [] as string[] }));
  for (const f of [...files].sort((a, b) => cost(b) - cost(a) || a.localeCompare(b))) {
    const least = groups.reduce((a, b) => (b.cost < a.cost ? b : a));
    least.cost += cost(f);
    least.files.push(f);
  }
  return groups[index]!.files;
}

/** Register the files of group `index` (0-based), each a suite, run one after another. */
export function integrationGroup(index: number): void {
  for (const file of filesOfGroup(index)) {
    describe(`integration/${file}`, async () => {
      await import(new URL(file, dir).href);
    });
  }
}
