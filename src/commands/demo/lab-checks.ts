/**
 * examples/lab-checks.yml for a running lab: the file has placeholders for what the lab picks
 * when it starts (free ports, its temporary CA file) and for its own directory; this fills them
 * in, as `netlab check --set name=value` does: `netlab demo` and the tests give these values.
 */
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
