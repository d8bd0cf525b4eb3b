import type { Authority } from '../policy/authority.js';
import type { ZoneSpec } from '../policy/types.js';
import { denied, fsError, toFsError } from './errno.js';
import { escapeErrno, resolveBeneath, symlinkTargetEscapes, type Resolution } from './resolve.js';
import type { DirEntry, FileStat, OpenRequest, TimeChange } from './types.js';
import type { VolumeBackend } from './volume-backend.js';

/** An open directory of a zone. The guest holds it as a preopen or an fd. */
export class ZoneDir {
  readonly kind = 'directory';
  closed = false;
  constructor(
    readonly volume: ZoneVolume,
    readonly ref: unknown,
    /** Guest path at open time, for messages and audit events. */
    readonly guestPath: string,
    /** Directories between the zone root and this one, at open time. */
    readonly depth: number,
  ) {}
}

/** An open regular file of a zone. */
export class ZoneFile {
  readonly kind = 'file';
  closed = false;
  constructor(
    readonly volume: ZoneVolume,
    readonly ref: unknown,
    readonly guestPath: string,
    readonly readable: boolean,
    readonly writable: boolean,
  ) {}
}

export type ZoneNode = ZoneDir | ZoneFile;

/** Bytes a zone may hold; a write that would pass the limit fails before it starts. */
class QuotaMeter {
  constructor(
    readonly limit: number,
    private used: number,
  ) {}

  charge(bytes: number, target: string): void {
    if (bytes <= 0) return;
    if (this.used + bytes > this.limit) {
      throw denied('NOSPC', 'quota-exceeded', `${target}: the zone's quota of ${this.limit} bytes is used up`);
    }
    this.used += bytes;
  }

  refund(bytes: number): void {
    if (bytes > 0) this.used = Math.max(0, this.used - bytes);
  }
}

/**
 * A mounted zone: the guest-facing filesystem of one zone for one run.
 *
 * It resolves every guest path beneath the directory it is relative to, asks
 * the run's {@link Authority} before any change, refuses special files without
 * opening them, enforces the zone's byte quota, and owns every handle the run
 * opens so that {@link unmount} can close them all.
 */
export class ZoneVolume<D = unknown, F = unknown> {
  readonly root: ZoneDir;
  private readonly handles = new Set<ZoneNode>();
  private readonly quota: QuotaMeter | undefined;

  constructor(
    readonly spec: ZoneSpec,
    private readonly backend: VolumeBackend<D, F>,
    private readonly authority: Authority,
  ) {
    this.root = this.track(new ZoneDir(this as ZoneVolume, backend.openRoot(), spec.guestPath, 0));
    this.quota = spec.quotaBytes === undefined ? undefined : new QuotaMeter(spec.quotaBytes, backend.measureUsage());
  }

  get readOnly(): boolean {
    return this.spec.access === 'ro';
  }

  openAt(dir: ZoneDir, path: string, req: OpenRequest): ZoneNode {
    const target = guestJoin(dir.guestPath, path);
    const writes = req.write || req.truncate;
    return this.guard(writes || req.create ? 'open-write' : 'open', target, () => {
      const res = this.resolve(dir, path, req.follow && !(req.create && req.exclusive));
      try {
        const { stat, name } = res;
        if (stat === undefined) {
          if (!req.create) throw fsError('NOENT', target);
          if (req.directory || res.mustBeDir) throw fsError(req.directory ? 'INVAL' : 'ISDIR', target);
          this.requireModify('create', target);
          const ref = this.backend.openFileAt(res.dir, name, {
            read: req.read,
            write: req.write,
            create: true,
            exclusive: true,
            truncate: false,
          });
          return this.track(new ZoneFile(this as ZoneVolume, ref, target, req.read, req.write));
        }
        if (req.create && req.exclusive) throw fsError('EXIST', target);
        switch (stat.type) {
          case 'directory': {
            if (writes) throw fsError('ISDIR', target);
            const ref = this.backend.openDirAt(res.dir, name);
            const depth = dir.depth + res.depth + (name === '.' ? 0 : 1);
            return this.track(new ZoneDir(this as ZoneVolume, ref, target, depth));
          }
          case 'regular-file': {
            if (req.directory) throw fsError('NOTDIR', target);
            if (writes) this.requireModify(req.truncate ? 'truncate' : 'open-write', target);
            const ref = this.backend.openFileAt(res.dir, name, {
              read: req.read,
              write: req.write,
              create: false,
              exclusive: false,
              truncate: req.truncate,
            });
            if (req.truncate) this.quota?.refund(Number(stat.size));
            return this.track(new ZoneFile(this as ZoneVolume, ref, target, req.read, req.write));
          }
          case 'symbolic-link':
            throw fsError('LOOP', `${target} is a symlink and is not followed`);
          default:
            if (req.directory) throw fsError('NOTDIR', target);
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
        if (res.stat === undefined) throw fsError('NOENT', target);
        return res.stat;
      }),
    );
  }

  setTimesAt(dir: ZoneDir, path: string, follow: boolean, atim: TimeChange, mtim: TimeChange): void {
    const target = guestJoin(dir.guestPath, path);
    this.guard('set-times', target, () =>
      this.withResolved(dir, path, follow, (res) => {
        if (res.stat === undefined) throw fsError('NOENT', target);
        this.requireModify('set-times', target);
        this.backend.setTimesAt(res.dir, res.name, atim, mtim);
      }),
    );
  }

  createDirectoryAt(dir: ZoneDir, path: string): void {
    const target = guestJoin(dir.guestPath, path);
    this.guard('mkdir', target, () =>
      this.withResolved(dir, path, false, (res) => {
        if (res.stat !== undefined) throw fsError('EXIST', target);
        this.requireModify('mkdir', target);
        this.backend.mkdirAt(res.dir, res.name);
      }),
    );
  }

  removeDirectoryAt(dir: ZoneDir, path: string): void {
    const target = guestJoin(dir.guestPath, path);
    this.guard('rmdir', target, () =>
      this.withResolved(dir, path, false, (res) => {
        if (res.stat === undefined) throw fsError('NOENT', target);
        if (res.stat.type !== 'directory') throw fsError('NOTDIR', target);
        if (res.name === '.') throw fsError('INVAL', `${target}: cannot remove a directory through itself`);
        this.requireModify('rmdir', target);
        this.backend.rmdirAt(res.dir, res.name);
      }),
    );
  }

  unlinkFileAt(dir: ZoneDir, path: string): void {
    const target = guestJoin(dir.guestPath, path);
    this.guard('unlink', target, () =>
      this.withResolved(dir, path, false, (res) => {
        const { stat } = res;
        if (stat === undefined) throw fsError('NOENT', target);
        if (stat.type === 'directory') throw fsError('ISDIR', target);
        this.requireModify('unlink', target);
        this.backend.unlinkAt(res.dir, res.name);
        if (stat.type === 'regular-file' && stat.nlink <= 1n) this.quota?.refund(Number(stat.size));
      }),
    );
  }

  renameAt(dir: ZoneDir, path: string, toDir: ZoneDir, toPath: string): void {
    const target = guestJoin(dir.guestPath, path);
    const destination = guestJoin(toDir.guestPath, toPath);
    this.guard('rename', `${target} -> ${destination}`, () => {
      const other = toDir.volume;
      if (other !== (this as ZoneVolume)) {
        this.requireModify('rename-out', target);
        other.requireModify('rename-in', destination);
        throw fsError('XDEV', `${target} and ${destination} are in different zones`);
      }
      this.withResolved(dir, path, false, (from) => {
        if (from.stat === undefined) throw fsError('NOENT', target);
        this.withResolved(toDir, toPath, false, (to) => {
          if (to.mustBeDir && from.stat!.type !== 'directory') throw fsError('NOTDIR', destination);
          this.requireModify('rename', `${target} -> ${destination}`);
          this.backend.renameAt(from.dir, from.name, to.dir as D, to.name);
          const replaced = to.stat;
          if (replaced?.type === 'regular-file' && replaced.nlink <= 1n && replaced.ino !== from.stat!.ino) {
            this.quota?.refund(Number(replaced.size));
          }
        });
      });
    });
  }

  linkAt(dir: ZoneDir, path: string, follow: boolean, toDir: ZoneDir, toPath: string): void {
    const target = guestJoin(dir.guestPath, path);
    const destination = guestJoin(toDir.guestPath, toPath);
    this.guard('link', `${destination} -> ${target}`, () => {
      const other = toDir.volume;
      if (other !== (this as ZoneVolume)) {
        other.requireModify('link', destination);
        throw denied('XDEV', 'cross-zone', `${destination} cannot be a hard link to ${target}, which is in another zone`);
      }
      this.withResolved(dir, path, follow, (from) => {
        if (from.stat === undefined) throw fsError('NOENT', target);
        if (from.stat.type === 'directory') throw fsError('PERM', `${target} is a directory`);
        this.withResolved(toDir, toPath, false, (to) => {
          if (to.stat !== undefined) throw fsError('EXIST', destination);
          if (to.mustBeDir) throw fsError('NOENT', `${destination}: a hard link cannot end in /`);
          this.requireModify('link', destination);
          this.backend.linkAt(from.dir, from.name, to.dir as D, to.name);
        });
      });
    });
  }

  symlinkAt(linkTarget: string, dir: ZoneDir, path: string): void {
    const target = guestJoin(dir.guestPath, path);
    this.guard('symlink', `${target} -> ${linkTarget}`, () =>
      this.withResolved(dir, path, false, (res) => {
        if (res.stat !== undefined) throw fsError('EXIST', target);
        if (res.mustBeDir) throw fsError('NOENT', `${target}: a symlink cannot end in /`);
        this.requireModify('symlink', target);
        if (linkTarget.length === 0) throw fsError('NOENT', 'empty symlink target');
        if (linkTarget.includes('\0')) throw fsError('INVAL', 'symlink target contains a NUL byte');
        if (symlinkTargetEscapes(linkTarget, dir.depth + res.depth)) {
          throw denied(
            escapeErrno,
            linkTarget.startsWith('/') ? 'absolute-symlink' : 'symlink-escape',
            `a symlink at ${target} to ${linkTarget} would point outside the zone`,
          );
        }
        this.backend.symlinkAt(linkTarget, res.dir, res.name);
      }),
    );
  }

  readlinkAt(dir: ZoneDir, path: string): string {
    const target = guestJoin(dir.guestPath, path);
    return this.guard('readlink', target, () =>
      this.withResolved(dir, path, false, (res) => {
        if (res.stat === undefined) throw fsError('NOENT', target);
        if (res.stat.type !== 'symbolic-link') throw fsError('INVAL', `${target} is not a symlink`);
        return this.backend.readlinkAt(res.dir, res.name);
      }),
    );
  }

  readDir(dir: ZoneDir): DirEntry[] {
    return this.guard('readdir', dir.guestPath, () => this.backend.readDir(this.dirRef(dir)));
  }

  stat(node: ZoneNode): FileStat {
    return this.guard('stat', node.guestPath, () =>
      node.kind === 'file' ? this.backend.statFile(this.fileRef(node)) : this.backend.statDir(this.dirRef(node)),
    );
  }

  setTimes(node: ZoneNode, atim: TimeChange, mtim: TimeChange): void {
    this.guard('set-times', node.guestPath, () => {
      this.requireModify('set-times', node.guestPath);
      if (node.kind === 'file') this.backend.setFileTimes(this.fileRef(node), atim, mtim);
      else this.backend.setTimesAt(this.dirRef(node), '.', atim, mtim);
    });
  }

  sync(node: ZoneNode, dataOnly: boolean): void {
    this.guard('sync', node.guestPath, () => {
      if (node.kind === 'file') this.backend.syncFile(this.fileRef(node), dataOnly);
      else this.backend.syncDir(this.dirRef(node));
    });
  }

  read(file: ZoneFile, into: Uint8Array, position: number): number {
    if (!file.readable) throw fsError('BADF', `${file.guestPath} is not open for reading`);
    return this.guard('read', file.guestPath, () => this.backend.read(this.fileRef(file), into, position));
  }

  /** Writes at `position`; returns the bytes written. Fails before writing if the quota would be passed. */
  write(file: ZoneFile, data: Uint8Array, position: number): number {
    if (!file.writable) throw fsError('BADF', `${file.guestPath} is not open for writing`);
    return this.guard('write', file.guestPath, () => this.writeAt(this.fileRef(file), file, data, position));
  }

  /** Writes at the current end of the file; returns the bytes written and the new size. */
  append(file: ZoneFile, data: Uint8Array): { written: number; size: number } {
    if (!file.writable) throw fsError('BADF', `${file.guestPath} is not open for writing`);
    return this.guard('write', file.guestPath, () => {
      const ref = this.fileRef(file);
      const end = Number(this.backend.statFile(ref).size);
      const written = this.writeAt(ref, file, data, end);
      return { written, size: end + written };
    });
  }

  private writeAt(ref: F, file: ZoneFile, data: Uint8Array, position: number): number {
    let growth = 0;
    if (this.quota) {
      const size = Number(this.backend.statFile(ref).size);
      growth = Math.max(0, position + data.length - size);
      this.quota.charge(growth, file.guestPath);
    }
    const written = this.backend.write(ref, data, position);
    if (written < data.length) this.quota?.refund(Math.min(growth, data.length - written));
    return written;
  }

  setSize(file: ZoneFile, size: number): void {
    if (!file.writable) throw fsError('INVAL', `${file.guestPath} is not open for writing`);
    this.guard('truncate', file.guestPath, () => {
      const ref = this.fileRef(file);
      if (this.quota) {
        const delta = size - Number(this.backend.statFile(ref).size);
        this.quota.charge(delta, file.guestPath);
        this.backend.setSize(ref, size);
        this.quota.refund(-delta);
        return;
      }
      this.backend.setSize(ref, size);
    });
  }

  close(node: ZoneNode): void {
    if (node.closed) return;
    node.closed = true;
    this.handles.delete(node);
    try {
      if (node.kind === 'file') this.backend.closeFile(node.ref as F);
      else this.backend.closeDir(node.ref as D);
    } catch (error) {
      toFsError(error);
    }
  }

  /** Closes every handle of the run, the root included, and releases the backend. */
  unmount(): void {
    for (const node of [...this.handles]) this.close(node);
    this.backend.dispose();
  }

  /** Records and refuses a change to a read-only zone. */
  requireModify(operation: string, target: string): void {
    if (!this.authority.mayModify(this.spec, operation, target)) {
      throw fsError('ROFS', `${target}: zone '${this.spec.name}' is read-only`);
    }
  }

  private resolve(dir: ZoneDir, path: string, follow: boolean): Resolution<D> {
    const effective = this.isMountPointRoot ? withoutDotDotAboveRoot(path, dir.depth) : path;
    return resolveBeneath(this.backend, this.dirRef(dir), effective, follow);
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

  private track<N extends ZoneNode>(node: N): N {
    this.handles.add(node);
    return node;
  }

  private dirRef(dir: ZoneDir): D {
    if (dir.closed || dir.volume !== (this as ZoneVolume)) throw fsError('BADF', dir.guestPath);
    return dir.ref as D;
  }

  private fileRef(file: ZoneFile): F {
    if (file.closed || file.volume !== (this as ZoneVolume)) throw fsError('BADF', file.guestPath);
    return file.ref as F;
  }

  /** Runs `body`, turning host errors into FsErrors and recording policy refusals. */
  private guard<T>(operation: string, target: string, body: () => T): T {
    try {
      return body();
    } catch (error) {
      const failure = toFsError(error);
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
