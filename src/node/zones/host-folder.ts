import * as fs from 'node:fs';
import { GoodbotError } from '../../errors.js';
import { denied, errnoError, toErrnoError } from '../../errno.js';
import { encodeTimeChange, fsTimesAddon } from './native-times.js';
import { escapeErrno } from '../../zones/resolve.js';
import type { DirEntry, FileStat, FileType, TimeChange } from '../../zones/types.js';
import { entryCharge } from '../../zones/usage.js';
import { noteFileChange, ReadAhead } from './read-ahead.js';
import type { FileOpenMode, FolderStore } from '../../zones/folder-store.js';

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY } = fs.constants;

/** An open directory or file: a host file descriptor. */
type Fd = number;

const procFd = '/proc/self/fd';

/**
 * A zone backed by a folder of the host (Linux).
 *
 * Node has no `openat` family, so every operation names its directory through
 * `/proc/self/fd/N/NAME`: the kernel resolves `/proc/self/fd/N` to the very
 * directory that descriptor holds, so a concurrent rename or symlink swap of
 * any path component cannot redirect it. Each opened descriptor is checked
 * again (its real path must lie beneath the zone root) and files are opened
 * with `O_NOFOLLOW | O_NONBLOCK` and checked to be regular files, so a FIFO or
 * device swapped in at the last moment can neither be used nor block the host.
 */
export class HostFolderStore implements FolderStore<Fd, Fd> {
  /** The real path of the root opened last (as /proc says of its descriptor). */
  protected rootReal = '';
  private readonly readAhead = new ReadAhead();

  constructor(readonly hostPath: string) {}

  /** Throws a zone error if the folder cannot serve as a zone root. */
  static check(hostPath: string, zoneName: string): void {
    if (!fs.existsSync(procFd)) {
      throw new GoodbotError('zone', `zone '${zoneName}': host-folder zones need Linux's /proc/self/fd`, {
        hint: 'run on Linux, or use an in-memory zone (mode: tmpfs)',
        path: hostPath,
      });
    }
    let stat: fs.Stats;
    try {
      stat = fs.statSync(hostPath);
    } catch {
      throw new GoodbotError('zone', `zone '${zoneName}': host folder ${hostPath} does not exist`, {
        hint: "create it or fix the zone's hostPath",
        path: hostPath,
      });
    }
    if (!stat.isDirectory()) {
      throw new GoodbotError('zone', `zone '${zoneName}': ${hostPath} is not a folder`, {
        hint: 'a zone mounts a folder; point hostPath at one',
        path: hostPath,
      });
    }
  }

  openRoot(): Fd {
    const fd = fs.openSync(this.hostPath, O_RDONLY | O_DIRECTORY);
    try {
      this.rootReal = fs.readlinkSync(`${procFd}/${fd}`);
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
    return fd;
  }

  lstatAt(dir: Fd, name: string): FileStat | undefined {
    const stat = fs.lstatSync(at(dir, name), { bigint: true, throwIfNoEntry: false });
    return stat && toFileStat(stat);
  }

  openDirAt(dir: Fd, name: string): Fd {
    const fd = fs.openSync(at(dir, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    return this.checkBeneath(fd);
  }

  openFileAt(dir: Fd, name: string, mode: FileOpenMode): Fd {
    if (mode.write || mode.truncate) noteFileChange();
    const access = mode.write ? (mode.read ? O_RDWR : O_WRONLY) : O_RDONLY;
    const flags = access | O_NOFOLLOW | O_NONBLOCK | (mode.create ? O_CREAT : 0) | (mode.exclusive ? O_EXCL : 0) | (mode.truncate ? O_TRUNC : 0);
    const fd = fs.openSync(at(dir, name), flags, 0o666);
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) {
      fs.closeSync(fd);
      throw denied('ACCES', 'special-file', `${name} is not a regular file`);
    }
    return this.checkBeneath(fd);
  }

  readlinkAt(dir: Fd, name: string): string {
    return fs.readlinkSync(at(dir, name));
  }

  mkdirAt(dir: Fd, name: string): void {
    fs.mkdirSync(at(dir, name), 0o777);
  }

  rmdirAt(dir: Fd, name: string): void {
    fs.rmdirSync(at(dir, name));
  }

  unlinkAt(dir: Fd, name: string): void {
    fs.unlinkSync(at(dir, name));
  }

  renameAt(from: Fd, fromName: string, to: Fd, toName: string): void {
    fs.renameSync(at(from, fromName), at(to, toName));
  }

  linkAt(from: Fd, fromName: string, to: Fd, toName: string): void {
    fs.linkSync(at(from, fromName), at(to, toName));
  }

  symlinkAt(target: string, dir: Fd, name: string): void {
    fs.symlinkSync(target, at(dir, name));
  }

  setTimesAt(dir: Fd, name: string, atim: TimeChange, mtim: TimeChange): void {
    const path = at(dir, name);
    const exact = fsTimesAddon();
    if (exact) return exact.setPathTimes(path, encodeTimeChange(atim), encodeTimeChange(mtim), true);
    const current = atim === undefined || mtim === undefined ? fs.lstatSync(path, { bigint: true }) : undefined;
    fs.lutimesSync(path, toSeconds(atim, current?.atimeNs), toSeconds(mtim, current?.mtimeNs));
  }

  readDir(dir: Fd): DirEntry[] {
    const entries: DirEntry[] = [];
    for (const entry of fs.readdirSync(at(dir, '.'), { withFileTypes: true })) {
      const stat = fs.lstatSync(at(dir, entry.name), { bigint: true, throwIfNoEntry: false });
      if (!stat) continue;
      entries.push({ name: entry.name, type: fileType(stat), ino: stat.ino });
    }
    return entries;
  }

  statDir(dir: Fd): FileStat {
    return toFileStat(fs.fstatSync(dir, { bigint: true }));
  }

  syncDir(dir: Fd): void {
    fs.fsyncSync(dir);
  }

  statFile(file: Fd): FileStat {
    return toFileStat(fs.fstatSync(file, { bigint: true }));
  }

  read(file: Fd, into: Uint8Array, position: number): number {
    return this.readAhead.read(file, into, position);
  }

  write(file: Fd, data: Uint8Array, position: number): number {
    noteFileChange();
    return fs.writeSync(file, data, 0, data.length, position);
  }

  setSize(file: Fd, size: number): void {
    noteFileChange();
    fs.ftruncateSync(file, size);
  }

  setFileTimes(file: Fd, atim: TimeChange, mtim: TimeChange): void {
    const exact = fsTimesAddon();
    if (exact) return exact.setFdTimes(file, encodeTimeChange(atim), encodeTimeChange(mtim));
    const current = atim === undefined || mtim === undefined ? fs.fstatSync(file, { bigint: true }) : undefined;
    fs.futimesSync(file, toSeconds(atim, current?.atimeNs), toSeconds(mtim, current?.mtimeNs));
  }

  syncFile(file: Fd, dataOnly: boolean): void {
    if (dataOnly) fs.fdatasyncSync(file);
    else fs.fsyncSync(file);
  }

  closeFile(file: Fd): void {
    this.readAhead.forget(file);
    fs.closeSync(file);
  }

  closeDir(dir: Fd): void {
    fs.closeSync(dir);
  }

  /**
   * Walks the zone by descriptors: one open directory at a time, entered by
   * name relative to its parent's descriptor and left through its own
   * `..`, so neither the depth of the tree (path strings past PATH_MAX) nor
   * its breadth (descriptors) can make the measurement fail. A tree changed
   * meanwhile is measured roughly, never outside the zone: the walk never
   * climbs above the level it entered.
   */
  measureUsage(): number {
    const seen = new Set<bigint>();
    let total = 0;
    const levels: { names: string[]; next: number }[] = [];
    let dir = fs.openSync(this.rootReal || this.hostPath, O_RDONLY | O_DIRECTORY);
    levels.push({ names: fs.readdirSync(at(dir, '.')), next: 0 });
    try {
      while (levels.length > 0) {
        const level = levels[levels.length - 1]!;
        const name = level.names[level.next++];
        if (name === undefined) {
          levels.pop();
          if (levels.length > 0) dir = this.reopen(dir, '..');
          continue;
        }
        const stat = fs.lstatSync(at(dir, name), { bigint: true, throwIfNoEntry: false });
        if (stat === undefined) continue;
        const type = fileType(stat);
        total += entryCharge((t) => this.entryCost(t), type, name, type === 'symbolic-link' ? Number(stat.size) : 0);
        if (type === 'regular-file' && !seen.has(stat.ino)) {
          seen.add(stat.ino);
          total += Number(stat.size);
        } else if (type === 'directory') {
          let child: Fd;
          try {
            child = fs.openSync(at(dir, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
          } catch {
            continue;
          }
          fs.closeSync(dir);
          dir = child;
          levels.push({ names: fs.readdirSync(at(dir, '.')), next: 0 });
        }
      }
    } finally {
      fs.closeSync(dir);
    }
    return total;
  }

  /** A directory takes a block of its own on disk; any other entry about an inode. */
  entryCost(type: FileType): number {
    return type === 'directory' ? 4096 : 256;
  }

  depthOf(dir: Fd): number {
    const real = fs.readlinkSync(`${procFd}/${dir}`);
    if (real === this.rootReal) return 0;
    return real.slice(this.rootReal === '/' ? 1 : this.rootReal.length + 1).split('/').length;
  }

  /** Opens NAME relative to DIR (for the walk: `..` included) and closes DIR. */
  private reopen(dir: Fd, name: string): Fd {
    const next = fs.openSync(at(dir, name), O_RDONLY | O_DIRECTORY);
    fs.closeSync(dir);
    return next;
  }

  dispose(): void {}

  /** Refuses a descriptor whose real path is not beneath the zone root. */
  private checkBeneath(fd: Fd): Fd {
    let real: string;
    try {
      real = fs.readlinkSync(`${procFd}/${fd}`);
    } catch (error) {
      fs.closeSync(fd);
      throw toErrnoError(error);
    }
    const root = this.rootReal;
    if (real === root || root === '/' || real.startsWith(`${root}/`)) return fd;
    fs.closeSync(fd);
    if (real.endsWith(' (deleted)')) throw errnoError('NOENT', 'the entry was removed while being opened');
    throw denied(escapeErrno, 'path-escape', 'an opened entry lies outside the zone');
  }
}

function at(dir: Fd, name: string): string {
  return `${procFd}/${dir}/${name}`;
}

function toSeconds(change: TimeChange, currentNs: bigint | undefined): number {
  if (change === 'now') return Date.now() / 1000;
  const ns = change ?? currentNs ?? 0n;
  return Number(ns / 1000n) / 1e6;
}

function fileType(stat: fs.BigIntStats | fs.Dirent): FileType {
  if (stat.isFile()) return 'regular-file';
  if (stat.isDirectory()) return 'directory';
  if (stat.isSymbolicLink()) return 'symbolic-link';
  if (stat.isFIFO()) return 'fifo';
  if (stat.isSocket()) return 'socket';
  if (stat.isCharacterDevice()) return 'character-device';
  if (stat.isBlockDevice()) return 'block-device';
  return 'unknown';
}

function toFileStat(stat: fs.BigIntStats): FileStat {
  return {
    dev: stat.dev,
    ino: stat.ino,
    type: fileType(stat),
    nlink: stat.nlink,
    size: stat.size,
    atimNs: stat.atimeNs,
    mtimNs: stat.mtimeNs,
    ctimNs: stat.ctimeNs,
  };
}
