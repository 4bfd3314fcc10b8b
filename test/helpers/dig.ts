/**
 * `netlab dig` in the test's own process: argv through parseArgv and the command's run, the
 * path src/cli.ts takes, with stdout and stderr collected and the exit code of the contract.
 * A spawn of the real binary costs some 300 ms; this costs the queries. The few tests that
 * are about the binary itself (exit codes, stdout and stderr as a user sees them) spawn it.
 */
import { Readable } from 'node:stream';
import { parseArgv } from '../../src/commands/command.js';
import { command } from '../../src/commands/dig/index.js';
import { exitCodeFor, NetlabError } from '../../src/errors.js';
import { printableLine } from '../../src/util/printable.js';

export interface InProcessRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `netlab dig ARGV...` here; a NetlabError becomes the one stderr line and exit code src/cli.ts gives it. */
export async function digHere(argv: string[], options: { signal?: AbortSignal } = {}): Promise<InProcessRun> {
  let stdout = '';
  let stderr = '';
  try {
    const parsed = await parseArgv(command, argv);
    const result = await command.run(parsed, {
      signal: options.signal ?? new AbortController().signal,
      io: {
        out: (chunk) => {
          stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
        },
        err: (line) => {
          stderr += `${line}\n`;
        },
        stdin: Readable.from([]),
      },
      version: '0.0.0-test',
      style: {},
    });
    return { code: result.interrupted ? 3 : exitCodeFor(result.status), stdout, stderr };
  } catch (e) {
    if (!(e instanceof NetlabError)) throw e;
    const hint = e.code === 'USAGE' ? " (see 'netlab dig --help')" : '';
    return { code: exitCodeFor(e.status), stdout, stderr: `${stderr}netlab dig: ${printableLine(e.message)}${hint}\n` };
  }
}
