import type { ZoneSpec } from './types.js';

/** A read-write zone in memory that the policy granted (`tmpfs`): a session keeps its files from command to command. */
export function isScratchZone(spec: ZoneSpec): boolean {
  return spec.kind === 'memory' && spec.access === 'rw' && spec.internal !== true;
}
