import { ErrnoError } from '../errno.js';
import { FixedFolderStore } from './fixed-folder.js';
import type { DirEntry, FileStat } from './types.js';
import type { FileOpenMode, FolderStore } from './folder-store.js';

/** One directory of the skeleton. */
interface SkeletonDir {
  readonly ino: bigint;
  readonly children: Map<string, SkeletonDir>;
}

/** A skeleton has no files: a file handle can never be made. */
type NoFile = never;

/**
 * A read-only tree of empty directories: the `/` that holds the zones'
 * mount points (`/input`, `/work/out`…) when no zone is `/` itself. It is
 * mounted for nearly every run, so it is built from plain objects rather
 * than an in-memory filesystem (memfs costs about 100 ms to load in a cold
 * `goodbot exec`, 5 MiB in every pool worker, and system calls per run for
 * its owner ids). Nothing in it can change: every write is `EROFS` (the
 * zone is read-only, so {@link ZoneVolume} refuses first anyway).
 * Platform-neutral.
 */
export class DirectorySkeletonStore extends FixedFolderStore implements FolderStore<SkeletonDir, NoFile> {
  private readonly root: SkeletonDir;
  private nextIno = 1n;
  private readonly createdNs = BigInt(Date.now()) * 1_000_000n;

  constructor(dirs: readonly string[]) {
    super();
    this.root = this.directory();
    for (const path of dirs) {
      let dir = this.root;
      for (const name of path.split('/').filter(Boolean)) {
        let child = dir.children.get(name);
        if (!child) dir.children.set(name, (child = this.directory()));
        dir = child;
      }
    }
  }

  private directory(): SkeletonDir {
    return { ino: this.nextIno++, children: new Map() };
  }

  openRoot(): SkeletonDir {
    return this.root;
  }

  lstatAt(dir: SkeletonDir, name: string): FileStat | undefined {
    const entry = name === '.' ? dir : dir.children.get(name);
    return entry && this.stat(entry);
  }

  openDirAt(dir: SkeletonDir, name: string): SkeletonDir {
    const entry = name === '.' ? dir : dir.children.get(name);
    if (!entry) throw new ErrnoError('NOENT');
    return entry;
  }

  openFileAt(dir: SkeletonDir, name: string, mode: FileOpenMode): NoFile {
    if (dir.children.has(name) || name === '.') throw new ErrnoError('ISDIR');
    throw new ErrnoError(mode.create ? 'ROFS' : 'NOENT');
  }

  readDir(dir: SkeletonDir): DirEntry[] {
    return [...dir.children].map(([name, child]) => ({ name, type: 'directory', ino: child.ino }));
  }

  statDir(dir: SkeletonDir): FileStat {
    return this.stat(dir);
  }

  statFile(): FileStat {
    throw new ErrnoError('BADF');
  }
  read(): number {
    throw new ErrnoError('BADF');
  }
  write(): number {
    throw new ErrnoError('BADF');
  }
  setSize(): void {
    throw new ErrnoError('BADF');
  }
  setFileTimes(): void {
    throw new ErrnoError('BADF');
  }
  syncFile(): void {
    throw new ErrnoError('BADF');
  }
  closeFile(): void {}

  private stat(dir: SkeletonDir): FileStat {
    const time = this.createdNs;
    return { dev: 0n, ino: dir.ino, type: 'directory', nlink: BigInt(2 + dir.children.size), size: 0n, atimNs: time, mtimNs: time, ctimNs: time };
  }
}
