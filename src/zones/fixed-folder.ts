import { FsError } from './errno.js';

/**
 * The part of a volume backend whose tree can never change (the mount-point
 * root, `/dev`): no symlinks, nothing to measure, and every change refused
 * with `EROFS` (ZoneVolume refuses first anyway: such zones are read-only).
 * Platform-neutral.
 */
export abstract class FixedFolderBackend {
  readlinkAt(): string {
    throw new FsError('INVAL');
  }
  mkdirAt(): void {
    throw new FsError('ROFS');
  }
  rmdirAt(): void {
    throw new FsError('ROFS');
  }
  unlinkAt(): void {
    throw new FsError('ROFS');
  }
  renameAt(): void {
    throw new FsError('ROFS');
  }
  linkAt(): void {
    throw new FsError('ROFS');
  }
  symlinkAt(): void {
    throw new FsError('ROFS');
  }
  setTimesAt(): void {
    throw new FsError('ROFS');
  }
  closeDir(): void {}
  syncDir(): void {}
  measureUsage(): number {
    return 0;
  }
  /** Nothing can be added: entries cost nothing. */
  entryCost(): number {
    return 0;
  }
  /** Never a symlink's home: depth matters nowhere. */
  depthOf(): number {
    return 0;
  }
  dispose(): void {}
}
