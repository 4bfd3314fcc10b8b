/**
 * `netlab check`'s options, declared once (flags, --help text, defaults), and the pure parser to
 * typed options. Throws NetlabError USAGE naming the option.
 */
import { NetlabError } from '../../errors.js';
import { parseSeconds, parseVarSettings } from '../args.js';
import type { ArgDecl, Given, OptionDecl } from '../command.js';

/** The checks file read when none is given. */
export const DEFAULT_CHECKS_FILE = 'netlab-checks.yml';

export const CHECK_ARGS: ArgDecl[] = [{ name: '[file]', description: `the checks file, YAML or JSON (default ${DEFAULT_CHECKS_FILE})` }];

export const CHECK_OPTIONS: OptionDecl[] = [
  { flags: '--concurrency <n>', description: 'subcommand runs at a time, from 1 to 256', default: 8 },
  { flags: '--deadline <seconds>', description: 'bound of the whole run: checks not finished by then are UNKNOWN (CHECK_TIMEOUT)' },
  { flags: '--junit <file>', description: 'write a JUnit XML report (one testcase per check and address; Jenkins junit-4 schema)' },
  { flags: '--metrics <file>', description: "write the Prometheus text format (blackbox_exporter's names, netlab_* for the rest)" },
  { flags: '--push <url>', description: 'push the metrics to a Prometheus Pushgateway at this base URL' },
  { flags: '--github', description: 'GitHub Actions annotations on stdout and a table in $GITHUB_STEP_SUMMARY (also when GITHUB_ACTIONS=true)' },
  { flags: '--fail-on <status>', description: 'the least status that fails the run: warning, or critical (WARNING then exits 0)', default: 'warning' },
  { flags: '--set <name=value>', description: 'give a {{name}} placeholder of the file its value, over the file\'s vars: (repeatable)', repeatable: true },
  { flags: '--validate', description: 'check the file only (FILE:LINE:COL for each error, exit 3), run nothing' },
  { flags: '--json', description: "one JSON document on stdout: every check's outcome with its subcommand's full result" },
];

export const CHECK_HELP_AFTER = `
The checks file (see netlab-check(1)):
  vars:                       # {{name}} in command lines; --set name=value overrides
    dns-port: 53
  defaults:
    timeout: 10s
    dig: -p {{dns-port}}
  checks:
    - name: www answers
      dig: "@127.53.0.3 www.example.test A"
      expect:
        - answer contains 192.0.2.10
        - { that: "timeMs < 200ms", severity: WARNING }

Exit: the worst status of the checks (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN); 3 for a bad
file, an unwritable --junit/--metrics path, or a failed --push when no check was CRITICAL.`;

export interface CheckOptions {
  file: string;
  concurrency: number;
  deadlineMs?: number;
  junit?: string;
  metrics?: string;
  push?: string;
  github: boolean;
  failOn: 'warning' | 'critical';
  validate: boolean;
  json: boolean;
  /** --set name=value: values of the file's {{name}} placeholders. */
  vars?: Record<string, string>;
}

function usage(message: string): NetlabError {
  return new NetlabError('USAGE', message);
}

function notEmpty(value: string | undefined, option: string): string | undefined {
  if (value !== undefined && value.trim() === '') throw usage(`${option} is empty`);
  return value;
}

/** What the command line gave -> checked options. Pure; throws NetlabError USAGE naming the option. */
export function parseCheckArgs(given: Given): CheckOptions {
  const file = given.args[0] ?? DEFAULT_CHECKS_FILE;
  if (file.trim() === '') throw usage('FILE is empty');
  const c = given.text('concurrency')!;
  if (!/^\d+$/.test(c) || Number(c) < 1 || Number(c) > 256) throw usage(`--concurrency needs a whole number from 1 to 256, got '${c}'`);
  const failOn = given.text('fail-on')!.toLowerCase();
  if (failOn !== 'warning' && failOn !== 'critical') throw usage(`--fail-on is warning or critical, got '${given.text('fail-on')}'`);
  const o: CheckOptions = { file, concurrency: Number(c), github: given.flag('github'), failOn, validate: given.flag('validate'), json: given.flag('json') };
  const deadline = given.text('deadline');
  if (deadline !== undefined) o.deadlineMs = parseSeconds(deadline, '--deadline', 86_400);
  const vars = parseVarSettings(given.list('set'));
  if (vars) o.vars = vars;
  const junit = notEmpty(given.text('junit'), '--junit');
  const metrics = notEmpty(given.text('metrics'), '--metrics');
  const push = notEmpty(given.text('push'), '--push');
  if (junit !== undefined) o.junit = junit;
  if (metrics !== undefined) o.metrics = metrics;
  if (push !== undefined) {
    let url: URL;
    try {
      url = new URL(push);
    } catch {
      throw usage(`--push needs the Pushgateway's URL (http://HOST:9091), got '${push}'`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usage(`--push needs an http:// or https:// URL, got '${push}'`);
    o.push = push;
  }
  return o;
}
