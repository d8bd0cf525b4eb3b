import type { Volume } from 'memfs';
import type { ZoneSpec } from '../policy/types.js';
import { DirectorySkeletonStore } from './directory-skeleton.js';
import { MemoryFolderStore } from './memory-folder.js';
import type { ZoneImage } from './zone-image.js';

/**
 * The store of one run of an in-memory zone. A read-only zone without files
 * (the mount points' `/`, in nearly every run) is only directories and needs
 * no memfs; VOLUME is asked for memfs' class only when a zone holds files.
 * IMAGE: what a session's earlier run left in the zone.
 */
export function memoryZoneStore(spec: ZoneSpec, volume: () => typeof Volume, image?: ZoneImage): DirectorySkeletonStore | MemoryFolderStore {
  if (spec.access === 'ro' && image === undefined && Object.keys(spec.files ?? {}).length === 0) return new DirectorySkeletonStore(spec.dirs ?? []);
  return new MemoryFolderStore(volume(), spec.files, spec.dirs, image);
}
