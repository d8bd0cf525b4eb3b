import type { ZoneSpec } from '../policy/types.js';
import type { DirEntry, FileStat, OpenRequest, TimeChange } from './types.js';

/** An open directory of a zone. The guest holds it as a preopen or an fd. */
export class ZoneDir {
  readonly kind = 'directory';
  closed = false;
  constructor(
    readonly volume: Volume,
    readonly ref: unknown,
    /** Guest path at open time, for messages and audit events. */
    readonly guestPath: string,
    /** Directories between the zone root and this one, at open time. */
    readonly depth: number,
    /** It is, or lies in, a `.git` folder: nothing relative to it may change (unless the zone opts in). */
    readonly inGitFolder: boolean,
  ) {}
}

/** An open regular file (or, in `/dev`, a device) of a zone. */
export class ZoneFile {
  readonly kind = 'file';
  closed = false;
  constructor(
    readonly volume: Volume,
    readonly ref: unknown,
    readonly guestPath: string,
    readonly readable: boolean,
    readonly writable: boolean,
    /** `dev:ino`: which open handles share a file, for the quota of unlinked files. */
    readonly identity: string,
    readonly inGitFolder: boolean,
    readonly device: boolean,
  ) {}
}

export type ZoneNode = ZoneDir | ZoneFile;

/**
 * A mounted zone as the WASI hosts use it: every call names the handle it
 * works on, and every handle knows its volume. {@link ZoneVolume} is the
 * zone itself; a remote volume stands for one mounted on another thread.
 */
export interface Volume {
  readonly spec: ZoneSpec;
  readonly root: ZoneDir;
  readonly readOnly: boolean;
  openAt(dir: ZoneDir, path: string, req: OpenRequest): ZoneNode;
  statAt(dir: ZoneDir, path: string, follow: boolean): FileStat;
  setTimesAt(dir: ZoneDir, path: string, follow: boolean, atim: TimeChange, mtim: TimeChange): void;
  createDirectoryAt(dir: ZoneDir, path: string): void;
  removeDirectoryAt(dir: ZoneDir, path: string): void;
  unlinkFileAt(dir: ZoneDir, path: string): void;
  renameAt(dir: ZoneDir, path: string, toDir: ZoneDir, toPath: string): void;
  linkAt(dir: ZoneDir, path: string, follow: boolean, toDir: ZoneDir, toPath: string): void;
  symlinkAt(linkTarget: string, dir: ZoneDir, path: string): void;
  readlinkAt(dir: ZoneDir, path: string): string;
  readDir(dir: ZoneDir): DirEntry[];
  stat(node: ZoneNode): FileStat;
  setTimes(node: ZoneNode, atim: TimeChange, mtim: TimeChange): void;
  sync(node: ZoneNode, dataOnly: boolean): void;
  /** Reads at POSITION into INTO; returns the bytes read (fewer at the end of the file). */
  read(file: ZoneFile, into: Uint8Array, position: number): number;
  write(file: ZoneFile, data: Uint8Array, position: number): number;
  append(file: ZoneFile, data: Uint8Array): { written: number; size: number };
  setSize(file: ZoneFile, size: number): void;
  close(node: ZoneNode): void;
  /** Records and refuses a change OPERATION to TARGET unless the zone allows it (a rename or link across zones asks the other one). */
  requireModify(operation: string, target: string, inGit?: boolean): void;
}
