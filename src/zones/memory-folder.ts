import type { Volume } from 'memfs';
import { denied, toErrnoError } from '../errno.js';
import type { DirEntry, FileStat, FileType, TimeChange } from './types.js';
import { byteLength } from './resolve.js';
import { entryCharge } from './usage.js';
import type { FileOpenMode, FolderStore } from './folder-store.js';
import { ownFileBytes, restoreImage, type ZoneImage } from './zone-image.js';

/** memfs takes Node's open flags; these are Linux's values. */
const O = {
  RDONLY: 0,
  WRONLY: 1,
  RDWR: 2,
  CREAT: 0o100,
  EXCL: 0o200,
  TRUNC: 0o1000,
  NOFOLLOW: 0o400000,
} as const;

/** A directory is its absolute path inside the in-memory filesystem. */
type DirPath = string;
/** A file is a memfs descriptor. */
type MemFd = number;

interface MemStat {
  dev: bigint;
  ino: bigint;
  nlink: bigint;
  size: bigint;
  atimeMs: bigint;
  mtimeMs: bigint;
  ctimeMs: bigint;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}

/**
 * A zone held in memory (memfs): `tmpfs` scratch zones, and every zone of the
 * browser build. One memfs volume per zone per run, so nothing but the zone's
 * own files exists in it; resolution still goes through {@link ZoneVolume}
 * like any other zone. Timestamps have millisecond precision.
 */
export class MemoryFolderStore implements FolderStore<DirPath, MemFd> {
  private made: InstanceType<typeof Volume> | undefined;
  /** Set by the first change to the zone's files, folders or times (a session carries only changed zones back). */
  changed = false;
  /** The image's chunks, which restored files read in place and which must never be written. */
  private readonly chunks: ReadonlySet<ArrayBufferLike> = new Set();

  /**
   * VOLUME is memfs' `Volume` class, given rather than imported: memfs is a
   * large module tree that only runs with an in-memory zone need (Node loads
   * it on first use; the browser build imports it).
   */
  constructor(
    private readonly VolumeClass: typeof Volume,
    private readonly files: Readonly<Record<string, string | Uint8Array>> = {},
    private readonly dirs: readonly string[] = [],
    /** What a session's earlier run left in the zone: restored before FILES and DIRS. */
    readonly image?: ZoneImage,
  ) {
    if (image !== undefined) this.chunks = new Set(image.chunks.map((chunk) => chunk.buffer));
  }

  /**
   * The zone's memfs, made when first needed: a memfs volume costs about
   * 70 us to make, and most commands of a session never touch its scratch
   * zone, which then costs nothing.
   */
  get volume(): InstanceType<typeof Volume> {
    return (this.made ??= this.makeVolume());
  }

  /** Whether the zone starts with nothing in it (no image, files or folders). */
  private get startsEmpty(): boolean {
    return this.image === undefined && this.dirs.length === 0 && Object.keys(this.files).length === 0;
  }

  private makeVolume(): InstanceType<typeof Volume> {
    const volume = new this.VolumeClass();
    if (this.image !== undefined) restoreImage(volume, this.image);
    for (const dir of this.dirs) volume.mkdirSync(`/${dir.replace(/^\/+/, '')}`, { recursive: true });
    for (const [path, content] of Object.entries(this.files)) {
      const absolute = `/${path.replace(/^\/+/, '')}`;
      const parent = absolute.slice(0, absolute.lastIndexOf('/')) || '/';
      volume.mkdirSync(parent, { recursive: true });
      volume.writeFileSync(absolute, content);
    }
    return volume;
  }

  openRoot(): DirPath {
    return '/';
  }

  lstatAt(dir: DirPath, name: string): FileStat | undefined {
    const stat = this.volume.lstatSync(at(dir, name), { bigint: true, throwIfNoEntry: false }) as MemStat | undefined;
    return stat && toFileStat(stat);
  }

  openDirAt(dir: DirPath, name: string): DirPath {
    const path = at(dir, name);
    const stat = this.volume.lstatSync(path) as unknown as MemStat;
    if (!stat.isDirectory()) throw toErrnoError({ code: stat.isSymbolicLink() ? 'ELOOP' : 'ENOTDIR' });
    return path;
  }

  openFileAt(dir: DirPath, name: string, mode: FileOpenMode): MemFd {
    if (mode.write || mode.create || mode.truncate) this.changed = true;
    const access = mode.write ? (mode.read ? O.RDWR : O.WRONLY) : O.RDONLY;
    const flags = access | O.NOFOLLOW | (mode.create ? O.CREAT : 0) | (mode.exclusive ? O.EXCL : 0) | (mode.truncate ? O.TRUNC : 0);
    const path = at(dir, name);
    const existing = this.volume.lstatSync(path, { throwIfNoEntry: false }) as MemStat | undefined;
    if (existing && !existing.isFile()) throw denied('ACCES', 'special-file', `${name} is not a regular file`);
    const fd = this.volume.openSync(path, flags, 0o666);
    if (mode.write && existing && this.chunks.size > 0) ownFileBytes(this.volume, path, this.chunks);
    return fd;
  }

  readlinkAt(dir: DirPath, name: string): string {
    return String(this.volume.readlinkSync(at(dir, name)));
  }

  mkdirAt(dir: DirPath, name: string): void {
    this.changed = true;
    this.volume.mkdirSync(at(dir, name), 0o777);
  }

  rmdirAt(dir: DirPath, name: string): void {
    this.changed = true;
    this.volume.rmdirSync(at(dir, name));
  }

  unlinkAt(dir: DirPath, name: string): void {
    this.changed = true;
    this.volume.unlinkSync(at(dir, name));
  }

  renameAt(from: DirPath, fromName: string, to: DirPath, toName: string): void {
    this.changed = true;
    const source = at(from, fromName);
    const destination = at(to, toName);
    // memfs leaves a replaced file's link count as it was; unlinking it first keeps counts (and so quotas) right.
    const replaced = this.volume.lstatSync(destination, { throwIfNoEntry: false }) as MemStat | undefined;
    const moved = replaced && (this.volume.lstatSync(source) as unknown as MemStat);
    if (replaced && moved && !replaced.isDirectory() && !moved.isDirectory() && replaced.ino !== moved.ino) this.volume.unlinkSync(destination);
    this.volume.renameSync(source, destination);
  }

  linkAt(from: DirPath, fromName: string, to: DirPath, toName: string): void {
    this.changed = true;
    this.volume.linkSync(at(from, fromName), at(to, toName));
  }

  symlinkAt(target: string, dir: DirPath, name: string): void {
    this.changed = true;
    this.volume.symlinkSync(target, at(dir, name));
  }

  setTimesAt(dir: DirPath, name: string, atim: TimeChange, mtim: TimeChange): void {
    this.changed = true;
    const path = at(dir, name);
    const current = this.volume.lstatSync(path, { bigint: true }) as unknown as MemStat;
    this.volume.lutimesSync(path, toSeconds(atim, current.atimeMs), toSeconds(mtim, current.mtimeMs));
  }

  readDir(dir: DirPath): DirEntry[] {
    const entries: DirEntry[] = [];
    for (const name of this.volume.readdirSync(dir) as string[]) {
      const stat = this.volume.lstatSync(at(dir, name), { bigint: true }) as unknown as MemStat;
      entries.push({ name, type: fileType(stat), ino: stat.ino });
    }
    return entries;
  }

  statDir(dir: DirPath): FileStat {
    return toFileStat(this.volume.statSync(dir, { bigint: true }) as unknown as MemStat);
  }

  syncDir(): void {}

  statFile(file: MemFd): FileStat {
    return toFileStat(this.volume.fstatSync(file, { bigint: true }) as unknown as MemStat);
  }

  read(file: MemFd, into: Uint8Array, position: number): number {
    return this.volume.readSync(file, into, 0, into.length, position);
  }

  write(file: MemFd, data: Uint8Array, position: number): number {
    return this.volume.writeSync(file, data, 0, data.length, position);
  }

  setSize(file: MemFd, size: number): void {
    this.changed = true;
    this.volume.ftruncateSync(file, size);
  }

  setFileTimes(file: MemFd, atim: TimeChange, mtim: TimeChange): void {
    this.changed = true;
    const current = this.volume.fstatSync(file, { bigint: true }) as unknown as MemStat;
    this.volume.futimesSync(file, toSeconds(atim, current.atimeMs), toSeconds(mtim, current.mtimeMs));
  }

  syncFile(): void {}

  closeFile(file: MemFd): void {
    this.volume.closeSync(file);
  }

  closeDir(): void {}

  measureUsage(): number {
    if (this.made === undefined && this.startsEmpty) return 0;
    const seen = new Set<bigint>();
    let total = 0;
    const walk = (dir: DirPath): void => {
      for (const name of this.volume.readdirSync(dir) as string[]) {
        const path = at(dir, name);
        const stat = this.volume.lstatSync(path, { bigint: true }) as unknown as MemStat;
        const type = fileType(stat);
        const target = type === 'symbolic-link' ? byteLength(String(this.volume.readlinkSync(path))) : 0;
        total += entryCharge(() => this.entryCost(), type, name, target);
        if (type === 'directory') walk(path);
        else if (type === 'regular-file' && !seen.has(stat.ino)) {
          seen.add(stat.ino);
          total += Number(stat.size);
        }
      }
    };
    walk('/');
    return total;
  }

  /** Measured: memfs keeps about 1.4 KB of objects per file, folder or symlink. */
  entryCost(): number {
    return 2048;
  }

  depthOf(dir: DirPath): number {
    return dir === '/' ? 0 : dir.split('/').length - 1;
  }

  dispose(): void {
    this.made?.reset();
  }
}

function at(dir: DirPath, name: string): string {
  if (name === '.') return dir;
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

function toSeconds(change: TimeChange, currentMs: bigint): number {
  if (change === 'now') return Date.now() / 1000;
  if (change === undefined) return Number(currentMs) / 1000;
  return Number(change / 1_000_000n) / 1000;
}

function fileType(stat: MemStat): FileType {
  if (stat.isFile()) return 'regular-file';
  if (stat.isDirectory()) return 'directory';
  if (stat.isSymbolicLink()) return 'symbolic-link';
  if (stat.isFIFO()) return 'fifo';
  if (stat.isSocket()) return 'socket';
  if (stat.isCharacterDevice()) return 'character-device';
  if (stat.isBlockDevice()) return 'block-device';
  return 'unknown';
}

function toFileStat(stat: MemStat): FileStat {
  const ns = (ms: bigint): bigint => BigInt(ms) * 1_000_000n;
  return {
    dev: BigInt(stat.dev),
    ino: BigInt(stat.ino),
    type: fileType(stat),
    nlink: BigInt(stat.nlink),
    size: BigInt(stat.size),
    atimNs: ns(stat.atimeMs),
    mtimNs: ns(stat.mtimeMs),
    ctimNs: ns(stat.ctimeMs),
  };
}
