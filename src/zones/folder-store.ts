import type { DirectoryWalker } from './resolve.js';
import type { DirEntry, FileStat, FileType, TimeChange } from './types.js';

/** How a store opens a regular file; the store never follows a symlink. */
export interface FileOpenMode {
  read: boolean;
  write: boolean;
  create: boolean;
  exclusive: boolean;
  truncate: boolean;
}

/**
 * The storage under a zone: a host folder or an in-memory filesystem.
 *
 * Every operation names one plain entry (`name`, never containing `/`; `.` for
 * the directory itself) of one open directory `D`, and none follows a symlink
 * in that entry: path resolution, symlink policy, access modes and quotas live
 * in {@link ZoneVolume}, once for every store. Errors are thrown as
 * {@link ErrnoError}s.
 */
export interface FolderStore<D, F> extends DirectoryWalker<D> {
  /** Opens the zone's root directory. */
  openRoot(): D;
  /**
   * Opens (or creates) regular file `name`. Must refuse, without blocking,
   * anything that turns out not to be a regular file.
   */
  openFileAt(dir: D, name: string, mode: FileOpenMode): F;
  mkdirAt(dir: D, name: string): void;
  rmdirAt(dir: D, name: string): void;
  unlinkAt(dir: D, name: string): void;
  renameAt(from: D, fromName: string, to: D, toName: string): void;
  linkAt(from: D, fromName: string, to: D, toName: string): void;
  symlinkAt(target: string, dir: D, name: string): void;
  setTimesAt(dir: D, name: string, atim: TimeChange, mtim: TimeChange): void;
  readDir(dir: D): DirEntry[];
  statDir(dir: D): FileStat;
  syncDir(dir: D): void;

  statFile(file: F): FileStat;
  read(file: F, into: Uint8Array, position: number): number;
  write(file: F, data: Uint8Array, position: number): number;
  setSize(file: F, size: number): void;
  setFileTimes(file: F, atim: TimeChange, mtim: TimeChange): void;
  syncFile(file: F, dataOnly: boolean): void;
  closeFile(file: F): void;

  /**
   * What the zone holds now against its quota, in the model of
   * {@link entryCharge}: every entry's cost plus each regular file's
   * contents once per inode. Walked by open directories, never by path
   * strings, so a deep tree cannot make it fail.
   */
  measureUsage(): number;
  /** Bytes of host memory or disk one entry of TYPE takes beyond its name and contents. */
  entryCost(type: FileType): number;
  /** Directories between the zone root and DIR now (a directory may have moved since it was opened). */
  depthOf(dir: D): number;
  /** Its entries are devices (`/dev`): character devices may be opened, and writing them changes nothing. */
  readonly holdsDevices?: boolean;
  /** Releases what the store holds for the whole zone. */
  dispose(): void;
}
