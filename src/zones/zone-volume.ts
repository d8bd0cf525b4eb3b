import type { Authority } from '../policy/authority.js';
import type { ZoneSpec } from '../policy/types.js';
import { DescriptorBudget } from './descriptor-budget.js';
import { denied, errnoError, toErrnoError, type ErrnoError } from '../errno.js';
import { isGitFolderName, touchesGitFolder } from './git-folder.js';
import { byteLength, checkPathText, escapeErrno, resolveBeneath, symlinkTargetProblem, type Resolution } from './resolve.js';
import type { DirEntry, FileStat, FileType, OpenRequest, TimeChange } from './types.js';
import { entryCharge } from './usage.js';
import type { FolderStore } from './folder-store.js';
import { ZoneDir, ZoneFile, type Volume, type ZoneNode } from './volume.js';

/** Options of a mount that come from its run rather than its zone. */
export interface ZoneMountOptions {
  /** The run's descriptor budget, shared by all its zones; default: a budget of this zone's own. */
  readonly descriptors?: DescriptorBudget;
}

/** Bytes a zone may hold; a change that would pass the limit fails before it starts. */
class QuotaMeter {
  constructor(
    readonly limit: number,
    private usedBytes: number,
  ) {}

  get used(): number {
    return this.usedBytes;
  }

  charge(bytes: number, target: string): void {
    if (bytes <= 0) return;
    if (this.usedBytes + bytes > this.limit) {
      throw denied('NOSPC', 'quota-exceeded', `${target}: the zone's quota of ${this.limit} bytes is used up`);
    }
    this.usedBytes += bytes;
  }

  refund(bytes: number): void {
    if (bytes > 0) this.usedBytes = Math.max(0, this.usedBytes - bytes);
  }
}

/**
 * Entries a directory rename may have to check for symlinks before the move;
 * a larger tree is refused with `EXDEV`, so `mv` copies it instead and each
 * link is checked as it is made again.
 */
const maxEntriesCheckedPerMove = 10_000;

/**
 * A mounted zone: the guest-facing filesystem of one zone for one run.
 *
 * It resolves every guest path beneath the directory it is relative to, asks
 * the run's {@link Authority} before any change, refuses special files without
 * opening them, keeps `.git` folders read-only unless the zone opts in,
 * enforces the zone's quota (contents, names, entries and link targets; space
 * of a file unlinked while open is returned only when its last handle
 * closes), counts every handle against the run's descriptor budget, and owns
 * every handle the run opens so that {@link unmount} can close them all.
 */
export class ZoneVolume<D = unknown, F = unknown> implements Volume {
  readonly root: ZoneDir;
  private readonly handles = new Set<ZoneNode>();
  private readonly quota: QuotaMeter | undefined;
  private readonly descriptors: DescriptorBudget;
  /** Open file handles per `dev:ino`. */
  private readonly openFiles = new Map<string, number>();
  /** Files unlinked (or renamed over) while open: their contents stay charged until their last handle closes. */
  private readonly unlinkedOpen = new Set<string>();

  constructor(
    readonly spec: ZoneSpec,
    /** Where the zone's entries live (a session reads a memory zone's back from it). */
    readonly store: FolderStore<D, F>,
    private readonly authority: Authority,
    options: ZoneMountOptions = {},
  ) {
    this.descriptors = options.descriptors ?? new DescriptorBudget();
    const rootInGit = spec.gitWritable !== true && (spec.hostPath ?? '').split('/').some(isGitFolderName);
    this.root = new ZoneDir(this as Volume, store.openRoot(), spec.guestPath, 0, rootInGit);
    this.handles.add(this.root);
    this.quota = spec.quotaBytes === undefined ? undefined : new QuotaMeter(spec.quotaBytes, store.measureUsage());
  }

  get readOnly(): boolean {
    return this.spec.access === 'ro';
  }

  /** What the zone's quota counts now, of its limit; undefined without a quota. */
  get quotaUsage(): { readonly used: number; readonly limit: number } | undefined {
    return this.quota && { used: this.quota.used, limit: this.quota.limit };
  }

  openAt(dir: ZoneDir, path: string, req: OpenRequest): ZoneNode {
    const target = guestJoin(dir.guestPath, path);
    const writes = req.write || req.truncate;
    return this.guard(writes || req.create ? 'open-write' : 'open', target, () => {
      const res = this.resolve(dir, path, req.follow && !(req.create && req.exclusive));
      try {
        const { stat, name } = res;
        const inGit = this.inGitFolder(dir, res, true);
        if (stat === undefined) {
          if (!req.create) throw errnoError('NOENT', target);
          if (req.directory || res.mustBeDir) throw errnoError(req.directory ? 'INVAL' : 'ISDIR', target);
          this.requireModify('create', target, inGit);
          const entry = this.entryCharge('regular-file', name);
          this.quota?.charge(entry, target);
          try {
            return this.openFile(
              target,
              res.dir,
              name,
              { read: req.read, write: req.write, create: true, exclusive: true, truncate: false },
              req,
              inGit,
              false,
            );
          } catch (error) {
            this.quota?.refund(entry);
            throw error;
          }
        }
        if (req.create && req.exclusive) throw errnoError('EXIST', target);
        switch (stat.type) {
          case 'directory': {
            if (writes) throw errnoError('ISDIR', target);
            const depth = dir.depth + res.depth + (name === '.' ? 0 : 1);
            return this.track(target, () => new ZoneDir(this as Volume, this.store.openDirAt(res.dir, name), target, depth, inGit));
          }
          case 'regular-file': {
            if (req.directory) throw errnoError('NOTDIR', target);
            if (writes) this.requireModify(req.truncate ? 'truncate' : 'open-write', target, inGit);
            const file = this.openFile(
              target,
              res.dir,
              name,
              { read: req.read, write: req.write, create: false, exclusive: false, truncate: req.truncate },
              req,
              inGit,
              false,
            );
            if (req.truncate) this.quota?.refund(Number(stat.size));
            return file;
          }
          case 'symbolic-link':
            throw errnoError('LOOP', `${target} is a symlink and is not followed`);
          default:
            if (req.directory) throw errnoError('NOTDIR', target);
            // Writing a device of /dev (null, stdout…) changes no zone: no read-only check, no quota, no truncation.
            if (stat.type === 'character-device' && this.store.holdsDevices) {
              return this.openFile(
                target,
                res.dir,
                name,
                { read: req.read, write: req.write, create: false, exclusive: false, truncate: false },
                req,
                false,
                true,
              );
            }
            throw denied('ACCES', 'special-file', `${target} is a ${stat.type}; only regular files and directories can be opened`);
        }
      } finally {
        res.release();
      }
    });
  }

  statAt(dir: ZoneDir, path: string, follow: boolean): FileStat {
    const target = guestJoin(dir.guestPath, path);
    return this.guard('stat', target, () =>
      this.withResolved(dir, path, follow, (res) => {
        if (res.stat === undefined) throw errnoError('NOENT', target);
        return res.stat;
      }),
    );
  }

  setTimesAt(dir: ZoneDir, path: string, follow: boolean, atim: TimeChange, mtim: TimeChange): void {
    const target = guestJoin(dir.guestPath, path);
    this.guard('set-times', target, () =>
      this.withResolved(dir, path, follow, (res) => {
        if (res.stat === undefined) throw errnoError('NOENT', target);
        this.requireModify('set-times', target, this.inGitFolder(dir, res, true));
        this.store.setTimesAt(res.dir, res.name, atim, mtim);
      }),
    );
  }

  createDirectoryAt(dir: ZoneDir, path: string): void {
    const target = guestJoin(dir.guestPath, path);
    this.guard('mkdir', target, () =>
      this.withResolved(dir, path, false, (res) => {
        if (res.stat !== undefined) throw errnoError('EXIST', target);
        this.requireModify('mkdir', target, this.inGitFolder(dir, res, true));
        this.charged(this.entryCharge('directory', res.name), target, () => this.store.mkdirAt(res.dir, res.name));
      }),
    );
  }

  removeDirectoryAt(dir: ZoneDir, path: string): void {
    const target = guestJoin(dir.guestPath, path);
    this.guard('rmdir', target, () =>
      this.withResolved(dir, path, false, (res) => {
        if (res.stat === undefined) throw errnoError('NOENT', target);
        if (res.stat.type !== 'directory') throw errnoError('NOTDIR', target);
        if (res.name === '.') throw errnoError('INVAL', `${target}: cannot remove a directory through itself`);
        this.requireModify('rmdir', target, this.inGitFolder(dir, res, true));
        this.store.rmdirAt(res.dir, res.name);
        this.quota?.refund(this.entryCharge('directory', res.name));
      }),
    );
  }

  unlinkFileAt(dir: ZoneDir, path: string): void {
    const target = guestJoin(dir.guestPath, path);
    this.guard('unlink', target, () =>
      this.withResolved(dir, path, false, (res) => {
        const { stat } = res;
        if (stat === undefined) throw errnoError('NOENT', target);
        if (stat.type === 'directory') throw errnoError('ISDIR', target);
        this.requireModify('unlink', target, this.inGitFolder(dir, res, true));
        const freed = this.quota && this.entryChargeOf(res.dir, res.name, stat);
        this.store.unlinkAt(res.dir, res.name);
        if (freed !== undefined) this.releaseEntry(freed, stat);
      }),
    );
  }

  renameAt(dir: ZoneDir, path: string, toDir: ZoneDir, toPath: string): void {
    const target = guestJoin(dir.guestPath, path);
    const destination = guestJoin(toDir.guestPath, toPath);
    this.guard('rename', `${target} -> ${destination}`, () => {
      const other = toDir.volume;
      if (other !== (this as Volume)) {
        this.requireModify('rename-out', target);
        other.requireModify('rename-in', destination);
        throw errnoError('XDEV', `${target} and ${destination} are in different zones`);
      }
      this.withResolved(dir, path, false, (from) => {
        const moved = from.stat;
        if (moved === undefined) throw errnoError('NOENT', target);
        this.withResolved(toDir, toPath, false, (to) => {
          if (to.mustBeDir && moved.type !== 'directory') throw errnoError('NOTDIR', destination);
          this.requireModify('rename', `${target} -> ${destination}`, this.inGitFolder(dir, from, true) || this.inGitFolder(toDir, to, true));
          this.checkLinksLandingAt(from, moved, this.depthOf(toDir, to), destination, this.depthOf(dir, from));
          const replaced = to.stat;
          const freed = replaced && this.quota && replaced.ino !== moved.ino ? this.entryChargeOf(to.dir, to.name, replaced) : undefined;
          const nameGrowth = byteDelta(from.name, to.name);
          this.charged(nameGrowth, destination, () => this.store.renameAt(from.dir, from.name, to.dir as D, to.name));
          if (nameGrowth < 0) this.quota?.refund(-nameGrowth);
          if (replaced && freed !== undefined) this.releaseEntry(freed, replaced);
        });
      });
    });
  }

  linkAt(dir: ZoneDir, path: string, follow: boolean, toDir: ZoneDir, toPath: string): void {
    const target = guestJoin(dir.guestPath, path);
    const destination = guestJoin(toDir.guestPath, toPath);
    this.guard('link', `${destination} -> ${target}`, () => {
      const other = toDir.volume;
      if (other !== (this as Volume)) {
        other.requireModify('link', destination);
        throw denied('XDEV', 'cross-zone', `${destination} cannot be a hard link to ${target}, which is in another zone`);
      }
      this.withResolved(dir, path, follow, (from) => {
        const linked = from.stat;
        if (linked === undefined) throw errnoError('NOENT', target);
        if (linked.type === 'directory') throw errnoError('PERM', `${target} is a directory`);
        this.withResolved(toDir, toPath, false, (to) => {
          if (to.stat !== undefined) throw errnoError('EXIST', destination);
          if (to.mustBeDir) throw errnoError('NOENT', `${destination}: a hard link cannot end in /`);
          // A second name for a file of a .git folder would let the file change through that name.
          this.requireModify('link', destination, this.inGitFolder(dir, from, true) || this.inGitFolder(toDir, to, true));
          this.checkLinksLandingAt(from, linked, this.depthOf(toDir, to), destination);
          const entry = this.quota && this.entryChargeOf(from.dir, from.name, linked, to.name);
          this.charged(entry ?? 0, destination, () => this.store.linkAt(from.dir, from.name, to.dir as D, to.name));
        });
      });
    });
  }

  symlinkAt(linkTarget: string, dir: ZoneDir, path: string): void {
    const target = guestJoin(dir.guestPath, path);
    this.guard('symlink', `${target} -> ${linkTarget}`, () =>
      this.withResolved(dir, path, false, (res) => {
        if (res.stat !== undefined) throw errnoError('EXIST', target);
        if (res.mustBeDir) throw errnoError('NOENT', `${target}: a symlink cannot end in /`);
        this.requireModify('symlink', target, this.inGitFolder(dir, res, true));
        if (linkTarget.length === 0) throw errnoError('NOENT', 'empty symlink target');
        checkPathText(linkTarget, 'symlink target');
        this.checkSymlinkTarget(linkTarget, this.depthOf(dir, res), `a symlink at ${target} to ${linkTarget}`);
        const entry = this.entryCharge('symbolic-link', res.name, linkTarget);
        this.charged(entry, target, () => this.store.symlinkAt(linkTarget, res.dir, res.name));
      }),
    );
  }

  readlinkAt(dir: ZoneDir, path: string): string {
    const target = guestJoin(dir.guestPath, path);
    return this.guard('readlink', target, () =>
      this.withResolved(dir, path, false, (res) => {
        if (res.stat === undefined) throw errnoError('NOENT', target);
        if (res.stat.type !== 'symbolic-link') throw errnoError('INVAL', `${target} is not a symlink`);
        return this.store.readlinkAt(res.dir, res.name);
      }),
    );
  }

  readDir(dir: ZoneDir): DirEntry[] {
    return this.guard('readdir', dir.guestPath, () => this.store.readDir(this.dirRef(dir)));
  }

  stat(node: ZoneNode): FileStat {
    return this.guard('stat', node.guestPath, () =>
      node.kind === 'file' ? this.store.statFile(this.fileRef(node)) : this.store.statDir(this.dirRef(node)),
    );
  }

  setTimes(node: ZoneNode, atim: TimeChange, mtim: TimeChange): void {
    this.guard('set-times', node.guestPath, () => {
      this.requireModify('set-times', node.guestPath, node.inGitFolder);
      if (node.kind === 'file') this.store.setFileTimes(this.fileRef(node), atim, mtim);
      else this.store.setTimesAt(this.dirRef(node), '.', atim, mtim);
    });
  }

  sync(node: ZoneNode, dataOnly: boolean): void {
    this.guard('sync', node.guestPath, () => {
      if (node.kind === 'file') this.store.syncFile(this.fileRef(node), dataOnly);
      else this.store.syncDir(this.dirRef(node));
    });
  }

  read(file: ZoneFile, into: Uint8Array, position: number): number {
    if (!file.readable) throw errnoError('BADF', `${file.guestPath} is not open for reading`);
    return this.guard('read', file.guestPath, () => this.store.read(this.fileRef(file), into, position));
  }

  /** Writes at `position`; returns the bytes written. Fails before writing if the quota would be passed. */
  write(file: ZoneFile, data: Uint8Array, position: number): number {
    if (!file.writable) throw errnoError('BADF', `${file.guestPath} is not open for writing`);
    return this.guard('write', file.guestPath, () => this.writeAt(this.fileRef(file), file, data, position));
  }

  /** Writes at the current end of the file; returns the bytes written and the new size. */
  append(file: ZoneFile, data: Uint8Array): { written: number; size: number } {
    if (!file.writable) throw errnoError('BADF', `${file.guestPath} is not open for writing`);
    return this.guard('write', file.guestPath, () => {
      const ref = this.fileRef(file);
      const end = Number(this.store.statFile(ref).size);
      const written = this.writeAt(ref, file, data, end);
      return { written, size: end + written };
    });
  }

  private writeAt(ref: F, file: ZoneFile, data: Uint8Array, position: number): number {
    let growth = 0;
    if (this.quota && !file.device) {
      const size = Number(this.store.statFile(ref).size);
      growth = Math.max(0, position + data.length - size);
      this.quota.charge(growth, file.guestPath);
    }
    const written = this.store.write(ref, data, position);
    if (written < data.length) this.quota?.refund(Math.min(growth, data.length - written));
    return written;
  }

  setSize(file: ZoneFile, size: number): void {
    if (!file.writable) throw errnoError('INVAL', `${file.guestPath} is not open for writing`);
    this.guard('truncate', file.guestPath, () => {
      const ref = this.fileRef(file);
      if (this.quota && !file.device) {
        const delta = size - Number(this.store.statFile(ref).size);
        this.quota.charge(delta, file.guestPath);
        this.store.setSize(ref, size);
        this.quota.refund(-delta);
        return;
      }
      this.store.setSize(ref, size);
    });
  }

  close(node: ZoneNode): void {
    if (node.closed) return;
    node.closed = true;
    this.handles.delete(node);
    if (node !== this.root) this.descriptors.give();
    try {
      if (node.kind === 'file') {
        this.forgetOpenFile(node);
        this.store.closeFile(node.ref as F);
      } else {
        this.store.closeDir(node.ref as D);
      }
    } catch (error) {
      toErrnoError(error);
    }
  }

  /** Closes every handle of the run, the root included, and releases the store. */
  unmount(): void {
    for (const node of [...this.handles]) this.close(node);
    this.store.dispose();
  }

  /**
   * Records and refuses a change to a read-only zone, or (IN_GIT) to a
   * `.git` folder of a zone that does not make them writable: the host's
   * git runs what a repository's config and hooks name (`core.fsmonitor`,
   * `core.hooksPath`, hooks), so a guest that could change them would run
   * commands as the host's user at its next `git status`.
   */
  requireModify(operation: string, target: string, inGit = false): void {
    if (!this.authority.mayModify(this.spec, operation, target)) {
      throw errnoError('ROFS', `${target}: zone '${this.spec.name}' is read-only`);
    }
    if (inGit && !this.authority.mayModifyGitFolder(this.spec, operation, target)) {
      throw errnoError('ROFS', `${target}: .git folders are read-only in zone '${this.spec.name}' (zone option git: writable)`);
    }
  }

  /** Is the entry RES names (or the folder it lies in) inside a `.git` folder, for a zone where they are protected? */
  private inGitFolder(dir: ZoneDir, res: Resolution<D>, finalIncluded: boolean): boolean {
    if (this.spec.gitWritable === true) return false;
    return dir.inGitFolder || touchesGitFolder(res.dirNames, finalIncluded ? res.name : undefined);
  }

  /** Directories between the zone root and the folder RES's entry lies in, now. */
  private depthOf(dir: ZoneDir, res: Resolution<D>): number {
    return this.store.depthOf(this.dirRef(dir)) + res.depth;
  }

  /** Refuses a symlink target that would lead out of the zone from DEPTH (see {@link symlinkTargetProblem}). */
  private checkSymlinkTarget(linkTarget: string, depth: number, what: string): void {
    const problem = symlinkTargetProblem(linkTarget, depth);
    if (problem === undefined) return;
    const why =
      problem === 'climbs-after-descending'
        ? `has '..' after a name (only leading '..' are allowed: a name may be a link to elsewhere)`
        : 'would point outside the zone';
    throw denied(escapeErrno, problem === 'absolute' ? 'absolute-symlink' : 'symlink-escape', `${what} ${why}`);
  }

  /**
   * A rename or hard link puts STAT's entry at DEPTH: a symlink's target is
   * checked where it lands (a link legal where it was made can point out
   * once moved up), and a directory moved up has every symlink below it
   * checked the same way (moving down cannot make a link escape).
   */
  private checkLinksLandingAt(from: Resolution<D>, stat: FileStat, depth: number, destination: string, fromDepth?: number): void {
    if (stat.type === 'symbolic-link') {
      this.checkSymlinkTarget(this.store.readlinkAt(from.dir, from.name), depth, `${destination}, a symlink to`);
      return;
    }
    if (stat.type !== 'directory' || fromDepth === undefined || depth >= fromDepth) return;
    const pending: { dir: D; depth: number }[] = [{ dir: this.store.openDirAt(from.dir, from.name), depth: depth + 1 }];
    let checked = 0;
    try {
      for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
        const { dir, depth: level } = next;
        try {
          for (const entry of this.store.readDir(dir)) {
            if (++checked > maxEntriesCheckedPerMove) {
              throw errnoError('XDEV', `${destination}: a folder of more than ${maxEntriesCheckedPerMove} entries is moved up by copying`);
            }
            if (entry.type === 'symbolic-link') {
              this.checkSymlinkTarget(this.store.readlinkAt(dir, entry.name), level, `${destination}: the symlink ${entry.name} in it, to`);
            } else if (entry.type === 'directory') {
              pending.push({ dir: this.store.openDirAt(dir, entry.name), depth: level + 1 });
            }
          }
        } finally {
          this.store.closeDir(dir);
        }
      }
    } finally {
      for (const left of pending) this.store.closeDir(left.dir);
    }
  }

  private entryCharge(type: FileType, name: string, linkTarget?: string): number {
    return entryCharge((t) => this.store.entryCost(t), type, name, linkTarget === undefined ? 0 : byteLength(linkTarget));
  }

  /** What STAT's entry NAME (in DIR) costs, under NEW_NAME when given (a hard link's second name). */
  private entryChargeOf(dir: D, name: string, stat: FileStat, newName?: string): number {
    const target = stat.type === 'symbolic-link' ? this.store.readlinkAt(dir, name) : undefined;
    return this.entryCharge(stat.type, newName ?? name, target);
  }

  /** An entry is gone: its charge is returned, and a file's contents too once no name and no handle hold them. */
  private releaseEntry(charge: number, stat: FileStat): void {
    this.quota?.refund(charge);
    if (stat.type !== 'regular-file' || stat.nlink > 1n) return;
    const identity = identityOf(stat);
    if (this.openFiles.has(identity)) this.unlinkedOpen.add(identity);
    else this.quota?.refund(Number(stat.size));
  }

  /** Charges BYTES, runs CHANGE, and refunds them if it fails. */
  private charged(bytes: number, target: string, change: () => void): void {
    if (bytes > 0) this.quota?.charge(bytes, target);
    try {
      change();
    } catch (error) {
      if (bytes > 0) this.quota?.refund(bytes);
      throw error;
    }
  }

  private openFile(
    target: string,
    dir: D,
    name: string,
    mode: { read: boolean; write: boolean; create: boolean; exclusive: boolean; truncate: boolean },
    req: OpenRequest,
    inGit: boolean,
    device: boolean,
  ): ZoneFile {
    return this.track(target, () => {
      const ref = this.store.openFileAt(dir, name, mode);
      let identity: string;
      try {
        identity = identityOf(this.store.statFile(ref));
      } catch (error) {
        this.store.closeFile(ref);
        throw error;
      }
      this.openFiles.set(identity, (this.openFiles.get(identity) ?? 0) + 1);
      return new ZoneFile(this as Volume, ref, target, req.read, req.write, identity, inGit, device);
    });
  }

  /** A file handle closes: the contents of a file unlinked while open are freed with its last handle. */
  private forgetOpenFile(file: ZoneFile): void {
    const count = (this.openFiles.get(file.identity) ?? 1) - 1;
    if (count > 0) {
      this.openFiles.set(file.identity, count);
      return;
    }
    this.openFiles.delete(file.identity);
    if (this.unlinkedOpen.delete(file.identity)) {
      try {
        this.quota?.refund(Number(this.store.statFile(file.ref as F).size));
      } catch (error) {
        toErrnoError(error);
      }
    }
  }

  private resolve(dir: ZoneDir, path: string, follow: boolean): Resolution<D> {
    if (this.isMountPointRoot) checkPathText(path, 'path');
    const effective = this.isMountPointRoot ? withoutDotDotAboveRoot(path, dir.depth) : path;
    return resolveBeneath(this.store, this.dirRef(dir), effective, follow);
  }

  /** The guest's `/` of mount points: there, as in POSIX, `/..` is `/` (nothing lies above it to escape to). */
  private get isMountPointRoot(): boolean {
    return this.spec.internal === true && this.spec.guestPath === '/' && this.spec.kind === 'memory';
  }

  private withResolved<T>(dir: ZoneDir, path: string, follow: boolean, body: (res: Resolution<D>) => T): T {
    const res = this.resolve(dir, path, follow);
    try {
      return body(res);
    } finally {
      res.release();
    }
  }

  /** Opens a handle with MAKE under the run's descriptor budget, and owns it. */
  private track<N extends ZoneNode>(target: string, make: () => N): N {
    this.descriptors.take(target);
    let node: N;
    try {
      node = make();
    } catch (error) {
      this.descriptors.give();
      throw error;
    }
    this.handles.add(node);
    return node;
  }

  private dirRef(dir: ZoneDir): D {
    if (dir.closed || dir.volume !== (this as Volume)) throw errnoError('BADF', dir.guestPath);
    return dir.ref as D;
  }

  private fileRef(file: ZoneFile): F {
    if (file.closed || file.volume !== (this as Volume)) throw errnoError('BADF', file.guestPath);
    return file.ref as F;
  }

  /** Runs `body`, turning host errors into ErrnoErrors and recording policy refusals. */
  private guard<T>(operation: string, target: string, body: () => T): T {
    try {
      return body();
    } catch (error) {
      const failure: ErrnoError = toErrnoError(error);
      if (failure.denial) {
        this.authority.record({
          operation,
          target,
          zone: this.spec.name,
          reason: failure.denial,
          error: `E${failure.errno}`,
        });
      }
      throw failure;
    }
  }
}

function identityOf(stat: FileStat): string {
  return `${stat.dev}:${stat.ino}`;
}

/** How many more bytes name TO takes than name FROM. */
function byteDelta(from: string, to: string): number {
  return byteLength(to) - byteLength(from);
}

/** Joins a guest directory path and a relative path, for messages only. */
export function guestJoin(dir: string, path: string): string {
  if (path === '.' || path === '') return dir;
  if (path.startsWith('/')) return path;
  return dir.endsWith('/') ? `${dir}${path}` : `${dir}/${path}`;
}

/**
 * PATH, relative to a directory DEPTH levels below the volume's root, with
 * every `..` that would climb above the root dropped (`../../a` from the
 * root is `a`). Only for the mount-point root, which holds nothing but empty
 * folders and no symlinks.
 */
function withoutDotDotAboveRoot(path: string, depth: number): string {
  if (path === '') return path;
  const kept: string[] = [];
  let level = depth;
  for (const part of path.split('/')) {
    if (part === '..') {
      if (level === 0) continue;
      level--;
    } else if (part !== '' && part !== '.') {
      level++;
    }
    kept.push(part);
  }
  const joined = kept.join('/');
  return joined === '' || joined === '/' ? '.' : joined;
}
