import { ErrnoError } from '../errno.js';

/**
 * The part of a folder store whose tree can never change (the mount-point
 * root, `/dev`): no symlinks, nothing to measure, and every change refused
 * with `EROFS` (ZoneVolume refuses first anyway: such zones are read-only).
 * Platform-neutral.
 */
export abstract class FixedFolderStore {
  readlinkAt(): string {
    throw new ErrnoError('INVAL');
  }
  mkdirAt(): void {
    throw new ErrnoError('ROFS');
  }
  rmdirAt(): void {
    throw new ErrnoError('ROFS');
  }
  unlinkAt(): void {
    throw new ErrnoError('ROFS');
  }
  renameAt(): void {
    throw new ErrnoError('ROFS');
  }
  linkAt(): void {
    throw new ErrnoError('ROFS');
  }
  symlinkAt(): void {
    throw new ErrnoError('ROFS');
  }
  setTimesAt(): void {
    throw new ErrnoError('ROFS');
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
