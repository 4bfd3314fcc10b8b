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
  const zones: Zone[] = [];
  for (const path of paths) {
    const [zone] = await loadZoneFiles([path]);
    if (own.has(zone!.origin.toLowerCase())) throw new NetlabError('INPUT', `${path}: the lab serves ${zone!.origin} itself: give the zone another name`);
    if (zones.some((z) => z.origin === zone!.origin)) throw new NetlabError('INPUT', `${path}: zone ${zone!.origin} is given twice`);
    zones.push(zone as Zone);
  }
  return zones;
}
