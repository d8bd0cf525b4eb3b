import { closeSync, readlinkSync } from 'node:fs';
import type { ZoneSpec } from '../../policy/types.js';
import { HostFolderStore } from './host-folder.js';
import { refuseProtected } from './protected-paths.js';

/** The policy field of a zone's host folder, as far as a platform knows it (it is not told the zone's index). */
export function zoneField(spec: ZoneSpec): string {
  return `sandbox.zones (zone '${spec.name}').hostPath`;
}

/**
 * A host folder zone that refuses goodbot's own files (see refuseProtected),
 * judged by the folder actually opened, so a path swapped for a symlink
 * after any earlier check cannot slip one in. TOOL_DIRS: the tool build
 * caches in use.
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
    const fd = super.openRoot();
    try {
      refuseProtected(this.spec, readlinkSync(`/proc/self/fd/${fd}`), zoneField(this.spec), this.toolDirs);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return fd;
  }
}
