/**
 * examples/lab-checks.yml for a running lab: the file has placeholders for what the lab picks
 * when it starts (free ports, its temporary CA file) and for its own directory; this fills them
 * in. `netlab demo` and the tests run the file through this.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Lab } from '../../lab/index.js';

/** The examples directory of the package (dist/src/commands/demo -> examples). */
export const EXAMPLES_DIR = fileURLToPath(new URL('../../../../examples/', import.meta.url)).replace(/\/$/, '');

/** The path of the lab's checks file. */
export const LAB_CHECKS_FILE = `${EXAMPLES_DIR}/lab-checks.yml`;

/** The placeholders of the lab's checks file and what they are in `lab`. */
export function labPlaceholders(lab: Lab, dir = EXAMPLES_DIR): Record<string, string> {
  return {
    'dns-port': String(lab.port),
    'tls-port': String(lab.tls.port),
    'fanout-tls-port': String(lab.fanout.tlsPort),
    'https-port': String(lab.http.httpsPort),
    'lb-port': String(lab.lb.httpPort),
    ca: lab.tls.caFile,
    dir,
  };
}

/** `text` with every `{{name}}` of {@link labPlaceholders} filled in (an unknown one is left as it is). */
export function fillLabChecks(text: string, lab: Lab, dir = EXAMPLES_DIR): string {
  const values = labPlaceholders(lab, dir);
  return text.replace(/\{\{([a-z-]+)\}\}/g, (all, name: string) => values[name] ?? all);
}

/** The lab's checks file, read and filled in for `lab`. */
export function readLabChecks(lab: Lab): string {
  return fillLabChecks(readFileSync(LAB_CHECKS_FILE, 'utf8'), lab);
}
