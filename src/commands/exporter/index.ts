/**
 * `netlab exporter` (issue 13): netlab's probes for Prometheus, in blackbox_exporter's
 * multi-target pattern. Runs until Ctrl-C or SIGTERM; SIGHUP reloads the config.
 */
import { NetlabError, cannotRead } from '../../errors.js';
import type { ModulesConfig } from '../../check/model.js';
import { FILE_LIMITS, readFileBounded } from '../../util/read-bounded.js';
import { escapeControl } from '../../util/printable.js';
import type { CommandDef, CommandResult } from '../command.js';
import { EXPORTER_HELP_AFTER, EXPORTER_OPTIONS, parseExporterOptions, type ExporterCliOptions } from './options.js';

/** The config file read and loaded; throws NetlabError INPUT (ChecksFileError: FILE:LINE:COL per error). */
export async function loadConfigFile(file: string, vars?: Record<string, string>): Promise<ModulesConfig> {
  let text: string;
  try {
    text = readFileBounded(file, FILE_LIMITS.pem).toString('utf8');
  } catch (e) {
    throw cannotRead(file, e, 'the config');
  }
  const { loadModules } = await import('../../check/load.js');
  return loadModules(text, file, vars ? { vars } : {});
}

/** A load error as one line: the first error, and how many more. */
function oneLine(e: unknown): string {
  const errors = (e as { errors?: unknown[] }).errors;
  const first = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
  return errors && errors.length > 1 ? `${first} (and ${errors.length - 1} more error${errors.length === 2 ? '' : 's'} in the config)` : first;
}

export const command: CommandDef<ExporterCliOptions, CommandResult> = {
  name: 'exporter',
  options: EXPORTER_OPTIONS,
  helpAfter: EXPORTER_HELP_AFTER,
  parse: parseExporterOptions,
  untilStopped: true,
  async run(options, ctx) {
    const [{ startExporter }, { keepHeapSmall }] = await Promise.all([import('./server.js'), import('./memory.js')]);
    const stopGc = keepHeapSmall();
    let exporter;
    try {
      exporter = await startExporter({
        host: options.host,
        port: options.port,
        allow: options.allow,
        maxInFlight: options.maxInFlight,
        load: () => loadConfigFile(options.config, options.vars),
        log: (line) => ctx.io.err(escapeControl(line)),
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new NetlabError('INPUT', `cannot listen on ${options.host}:${options.port}: the address is in use`);
      if (code === 'EADDRNOTAVAIL' || code === 'EACCES') throw new NetlabError('INPUT', `cannot listen on ${options.host}:${options.port}: ${code === 'EACCES' ? 'permission denied' : 'no such local address'}`);
      stopGc();
      if (e instanceof NetlabError) throw new NetlabError('INPUT', oneLine(e));
      throw e;
    }
    const { host, port } = exporter.address;
    ctx.io.err(`netlab exporter: listening on http://${host.includes(':') ? `[${host}]` : host}:${port}/ (config ${options.config})`);
    const onHup = () => void exporter.reload();
    process.on('SIGHUP', onHup);
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    process.off('SIGHUP', onHup);
    await exporter.close();
    stopGc();
    ctx.io.err('netlab exporter: stopped');
    return { status: 'OK' };
  },
};
