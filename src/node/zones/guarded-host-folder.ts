import { closeSync, mkdirSync } from 'node:fs';
import type { ZoneSpec } from '../../policy/types.js';
import { HostFolderStore } from './host-folder.js';
import { realPathOf, refuseProtected } from './protected-paths.js';

/** The policy field of a zone's host folder, as far as a platform knows it (it is not told the zone's index). */
export function zoneField(spec: ZoneSpec): string {
  return `sandbox.zones (zone '${spec.name}').hostPath`;
}

/**
 * A host folder zone that refuses goodbot's own files (see refuseProtected),
 * judged by the folder actually opened, so a path swapped for a symlink
 * after any earlier check cannot slip one in. TOOL_DIRS: the tool build
 * caches in use. A read-write zone's missing folder is made, once its
 * path is checked; a folder that cannot be opened gets the error that
 * says why. (Checks come only on that path: opening an existing folder,
 * each run, costs an open and a readlink.)
 */
export class GuardedHostFolder extends HostFolderStore {
  constructor(
    hostPath: string,
    private readonly spec: ZoneSpec,
    private readonly toolDirs: readonly string[],
  ) {
    super(hostPath);
  }

  override openRoot(): number {
    let fd: number;
    try {
      fd = super.openRoot();
    } catch (error) {
      // Before creating anything: where the folder would be must not be goodbot's.
      refuseProtected(this.spec, realPathOf(this.hostPath), zoneField(this.spec), this.toolDirs);
      if (this.spec.access === 'rw' && (error as NodeJS.ErrnoException).code === 'ENOENT') mkdirSync(this.hostPath, { recursive: true });
      // Says why when it still cannot serve (missing, not a folder, no /proc); else the open's own error comes again.
      HostFolderStore.check(this.hostPath, this.spec.name);
      fd = super.openRoot();
    }
    try {
      refuseProtected(this.spec, this.rootReal, zoneField(this.spec), this.toolDirs);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return fd;
  }
}
