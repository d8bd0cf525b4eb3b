import type { Volume } from 'memfs';
import type { ZoneSpec } from '../policy/types.js';
import { DirectorySkeletonBackend } from './directory-skeleton.js';
import { MemoryFolderBackend } from './memory-folder.js';

/**
 * The backend of one run of an in-memory zone. A read-only zone without files
 * (the mount points' `/`, in nearly every run) is only directories and needs
 * no memfs; VOLUME is asked for memfs' class only when a zone holds files.
 */
export function memoryZoneBackend(spec: ZoneSpec, volume: () => typeof Volume): DirectorySkeletonBackend | MemoryFolderBackend {
  if (spec.access === 'ro' && Object.keys(spec.files ?? {}).length === 0) return new DirectorySkeletonBackend(spec.dirs ?? []);
  return new MemoryFolderBackend(volume(), spec.files, spec.dirs);
}
