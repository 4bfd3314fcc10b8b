/**
 * `netlab/zone`: from hosts files to DNS zones. `hostsToZone` does `netlab hosts2zone`'s job
 * (zone texts, statistics, problems; it writes nothing), `readHostsZone` + `verifyZone` check a
 * server against hosts files, and the master-file reader reads zones back.
 * @packageDocumentation
 */
export {
  hostsToZone, readHostsZone, HostsZone, statusOfZone, MAX_LISTED, DEFAULT_V6_PREFIX,
  type HostsInput, type HostsToZoneOptions, type HostsToZoneResult, type ZoneText, type InputRead, type IssueCounts,
  type OmittedIssues, type ZoneEvent,
} from '../protocol/zone/hosts-to-zone.js';
export { verifyZone, MAX_MISMATCHES, type VerifyOptions, type VerifyResult, type Mismatch, type VerifyCode, type VerifyNoteCode, type VerifyType } from '../protocol/zone/verify.js';
export { isProblem, isRejection, type HostsProblem, type HostsNote, type HostsIssue, type HostsCode, type HostsRemedy } from '../protocol/zone/hosts.js';
export { nextSerial, latestSerial, serialGreater, dateSerial, DEFAULT_TTL } from '../protocol/zone/writer.js';
export type { AliasMode, ZoneFormat } from '../protocol/zone/model.js';
export { parseMasterText, readMasterFile, loadZoneFiles, MasterReader, parseTtl, type ZoneData, type MasterOptions } from '../protocol/zone/master.js';
export { atomicWriteFile } from '../util/atomic-write.js';
export { NetlabError, statusOf, type Problem, type Note, type Status, type Severity, type Progress } from '../errors.js';
