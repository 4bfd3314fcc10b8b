/**
 * `netlab/check`: `netlab check` as a library (issue 12): load a checks file, run its checks
 * in one process, get every outcome as data; write it as JUnit, Prometheus metrics (the
 * exposition `netlab exporter` answers with), GitHub annotations, or push it to a Pushgateway.
 *
 * ```ts
 * import { loadChecks, runChecks } from 'netlab/check';
 * const config = await loadChecks(readFileSync('checks.yml', 'utf8'), 'checks.yml');
 * const run = await runChecks(config, { concurrency: 8, deadlineMs: 60_000 });
 * for (const o of run.checks) console.log(o.status, o.name, o.address, o.problems[0]?.message);
 * ```
 * @packageDocumentation
 */
export { loadChecks, ChecksFileError, formatLoadError, parseDuration, DEFAULT_CHECK_TIMEOUT_MS, type LoadError } from '../check/load.js';
export { runChecks, DEFAULT_CONCURRENCY, type RunChecksOptions } from '../check/run.js';
export { compileCondition, evaluateCondition, ConditionError, type CompiledCondition } from '../check/expect.js';
export { RESULT_SCHEMAS, schemaPaths, type Shape } from '../check/schema.js';
export { splitCommandLine, SplitError, type Word } from '../check/split.js';
export { junitXml } from '../check/junit.js';
export { metricFamilies, exposition, CONTENT_TYPES, METRIC_DEFS, type MetricFamily, type MetricSample, type MetricType, type MetricOptions, type ExpositionFormat, type MetricName } from '../check/metrics.js';
export { annotations, stepSummary, SUMMARY_MAX_BYTES } from '../check/github.js';
export { pushMetrics, pushUrl } from '../check/push.js';
export { checkOutputPaths, writeOutputs, type OutputOptions } from '../check/outputs.js';
export {
  CHECK_COMMANDS,
  type CheckCommand, type CheckDef, type ChecksConfig, type CheckOutcome, type CheckRunResult, type CheckProblemCode, type Condition, type SourcePos,
} from '../check/model.js';
