/**
 * `netlab/lb`: does a load balancer spread traffic as configured? `probeLoadBalancer` does
 * `netlab lb-probe`'s job (probes through the VIP, each backend probed directly, the split
 * tested against the weights, stickiness per source, a scheduler hint) and returns what its
 * `--json` prints. No package: the probes go through lb-probe's own HTTP/1.1 client.
 * @packageDocumentation
 */
export * from '../protocol/lb/index.js';
export { NetlabError, statusOf, type Problem, type Note, type Status, type Severity, type Progress } from '../errors.js';
