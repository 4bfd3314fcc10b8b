/**
 * `netlab lab --zone FILE...`: master files (what `netlab hosts2zone` writes, or ordinary
 * BIND-style zone files) read into zones the lab's example.test servers serve besides their own.
 */
import { NetlabError } from '../errors.js';
import { loadZoneFiles } from '../protocol/zone/master.js';
import type { Zone } from './dns/server.js';
import { labZones } from './dns/zones.js';

/**
 * Read and check every file (src/protocol/zone/master.ts), one zone each. Throws INPUT
 * (`FILE:LINE: ...`) for a file that cannot be read or served, and for a zone the lab
 * already serves (its own would shadow it without a word).
 */
export async function loadExtraZones(paths: string[]): Promise<Zone[]> {
  const own = new Set(Object.values(labZones()).map((z) => z.origin.toLowerCase()));
  // loadZoneFiles reads them in order and refuses a zone given twice
  const zones = await loadZoneFiles(paths);
  zones.forEach((zone, i) => {
    if (own.has(zone.origin.toLowerCase())) throw new NetlabError('INPUT', `${paths[i]}: the lab serves ${zone.origin} itself: give the zone another name`);
  });
  return zones as Zone[];
}
