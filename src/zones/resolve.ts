import { denied, errnoError, type ErrnoName } from '../errno.js';
import type { FileStat } from './types.js';

/**
 * The few directory primitives path resolution needs. Each works on one
 * already-open directory `D` and one plain name, and never follows a symlink
 * itself: following is decided here, in one place, for every volume kind.
 */
export interface DirectoryWalker<D> {
  /** Metadata of `name` in `dir` (not following a symlink); undefined when absent. */
  lstatAt(dir: D, name: string): FileStat | undefined;
  /** Opens directory `name` of `dir`; fails rather than follow a symlink. */
  openDirAt(dir: D, name: string): D;
  readlinkAt(dir: D, name: string): string;
  closeDir(dir: D): void;
}

/** The result of resolving a guest path beneath a directory. */
export interface Resolution<D> {
  /** The directory that holds the final component. */
  readonly dir: D;
  /** The final component: a plain name, or `.` for `dir` itself. */
  readonly name: string;
  /** The final entry, not followed if it is a symlink; undefined when absent. */
  readonly stat: FileStat | undefined;
  /** The path ended in `/`, so the final entry must be a directory. */
  readonly mustBeDir: boolean;
  /** How many directories `dir` lies below the base (for symlink target checks). */
  readonly depth: number;
  /** The names of those directories, from the base down to `dir`. */
  readonly dirNames: readonly string[];
  /** Closes the directories the resolution opened. */
  release(): void;
}

/** As Linux's MAXSYMLINKS: more follows than this in one resolution is a loop. */
export const maxSymlinkFollows = 40;

/** As Linux's PATH_MAX (4096 with its NUL): a longer path, or symlink target, is `ENAMETOOLONG`. */
export const maxPathBytes = 4095;

/** As Linux's NAME_MAX: a longer component is `ENAMETOOLONG`. */
export const maxNameBytes = 255;

/**
 * Components one resolution may walk, symlink expansions included. With the
 * limits above a resolution cannot need more than about 84,000 steps; this
 * keeps one host call to a few milliseconds of lookups however the guest
 * arranges its links (a path is at most 2,048 components, so only symlinks
 * reach it, hence `ELOOP`).
 */
export const maxWalkSteps = 8192;

/**
 * The errno a guest gets when a path would leave its directory capability
 * (absolute path, `..` above the base, a symlink pointing out), as wasmtime
 * reports such escapes through cap-std.
 */
export const escapeErrno: ErrnoName = 'PERM';

/**
 * Resolves `path` beneath `base`, component by component, the way cap-std
 * does: each directory is opened without following symlinks, `..` returns to
 * the directory actually walked through (never above `base`), and symlinks are
 * expanded here with their targets checked the same way. Because every step
 * works on an open directory, swapping a component for a symlink while we walk
 * cannot redirect the walk outside the zone.
 *
 * A symlink in the final component is followed only when `followFinal` is set
 * or the path ends in `/`.
 */
export function resolveBeneath<D>(walker: DirectoryWalker<D>, base: D, path: string, followFinal: boolean): Resolution<D> {
  if (path.length === 0) throw errnoError('NOENT', 'empty path');
  checkPathText(path, 'path');
  if (path.startsWith('/')) throw denied(escapeErrno, 'path-escape', `absolute path ${path}`);

  const pending = splitComponents(path).reverse();
  let mustBeDir = path.endsWith('/');
  const walked: D[] = [];
  const names: string[] = [];
  let current = base;
  let follows = 0;
  let steps = 0;

  const release = (): void => {
    if (current !== base) walker.closeDir(current);
    for (const dir of walked) if (dir !== base) walker.closeDir(dir);
    walked.length = 0;
    names.length = 0;
    current = base;
  };

  const finish = (name: string, stat: FileStat | undefined): Resolution<D> => {
    if (mustBeDir && stat && stat.type !== 'directory') throw errnoError('NOTDIR', path);
    const dir = current;
    const depth = walked.length;
    const dirNames = [...names];
    for (const ancestor of walked) if (ancestor !== base) walker.closeDir(ancestor);
    walked.length = 0;
    names.length = 0;
    current = base;
    return {
      dir,
      name,
      stat,
      mustBeDir,
      depth,
      dirNames,
      release: () => {
        if (dir !== base) walker.closeDir(dir);
      },
    };
  };

  try {
    for (;;) {
      const name = pending.pop();
      if (name === undefined) return finish('.', walker.lstatAt(current, '.'));
      if (++steps > maxWalkSteps) throw errnoError('LOOP', `${path}: resolving it takes more than ${maxWalkSteps} steps`);
      const last = pending.length === 0;
      if (name === '.') {
        if (last) return finish('.', walker.lstatAt(current, '.'));
        continue;
      }
      if (name === '..') {
        const parent = walked.pop();
        if (parent === undefined) {
          throw denied(escapeErrno, follows > 0 ? 'symlink-escape' : 'path-escape', `${path} leads above its directory`);
        }
        if (current !== base) walker.closeDir(current);
        current = parent;
        names.pop();
        if (last) return finish('.', walker.lstatAt(current, '.'));
        continue;
      }
      if (byteLength(name) > maxNameBytes) throw errnoError('NAMETOOLONG', `a component of ${path} is longer than ${maxNameBytes} bytes`);
      const stat = walker.lstatAt(current, name);
      if (stat?.type === 'symbolic-link' && (!last || followFinal || mustBeDir)) {
        if (++follows > maxSymlinkFollows) throw errnoError('LOOP', path);
        const target = walker.readlinkAt(current, name);
        if (target.startsWith('/')) {
          throw denied(escapeErrno, 'absolute-symlink', `${name} points to the absolute path ${target}`);
        }
        if (target.length === 0) throw errnoError('NOENT', `${name} is an empty symlink`);
        if (byteLength(target) > maxPathBytes) throw errnoError('NAMETOOLONG', `${name} points to a path longer than ${maxPathBytes} bytes`);
        if (last && target.endsWith('/')) mustBeDir = true;
        const parts = splitComponents(target);
        for (let i = parts.length - 1; i >= 0; i--) pending.push(parts[i]!);
        continue;
      }
      if (last) return finish(name, stat);
      if (stat === undefined) throw errnoError('NOENT', path);
      if (stat.type !== 'directory') throw errnoError('NOTDIR', path);
      const child = walker.openDirAt(current, name);
      walked.push(current);
      names.push(name);
      current = child;
    }
  } catch (error) {
    release();
    throw error;
  }
}

/** Splits a relative path into components, dropping empty ones (`a//b`). */
export function splitComponents(path: string): string[] {
  return path.split('/').filter((part) => part.length > 0);
}

/**
 * Refuses a path or symlink target no host call should take: a NUL byte, more
 * than {@link maxPathBytes} bytes. Checked before any lookup, so the work of
 * one resolution is bounded by the text it was given.
 */
export function checkPathText(text: string, what: 'path' | 'symlink target'): void {
  if (text.includes('\0')) throw errnoError('INVAL', `${what} contains a NUL byte`);
  if (text.length > maxPathBytes / 3 && byteLength(text) > maxPathBytes) {
    throw errnoError('NAMETOOLONG', `the ${what} is longer than ${maxPathBytes} bytes`);
  }
}

/** UTF-8 length of TEXT, without encoding it. */
export function byteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Why a symlink target is refused where a guest would create or move it, or undefined when it may stay there. */
export type SymlinkTargetProblem = 'absolute' | 'escapes' | 'climbs-after-descending';

/**
 * Would a symlink with this target, lying `depth` directories below the zone
 * root, point outside the zone for a later reader? Checked when a guest
 * creates a symlink and wherever a rename or link moves one; resolution
 * checks again whenever one is followed.
 *
 * `..` may only lead the target (`../../lib/x`). After a name, `..` climbs
 * from wherever that name leads, and a name can be a symlink to a folder
 * elsewhere: `b/../../x` stays inside lexically but, with `b -> ..`, leaves
 * the zone for the host's kernel. With leading `..` only, every link climbs
 * from the real folder holding it, so each one that stays inside from where
 * it lies keeps every chain of them inside.
 */
export function symlinkTargetProblem(target: string, depth: number): SymlinkTargetProblem | undefined {
  if (target.startsWith('/')) return 'absolute';
  let level = depth;
  let descended = false;
  for (const part of splitComponents(target)) {
    if (part === '.') continue;
    if (part === '..') {
      if (descended) return 'climbs-after-descending';
      level -= 1;
      if (level < 0) return 'escapes';
    } else {
      descended = true;
      level += 1;
    }
  }
  return undefined;
}
