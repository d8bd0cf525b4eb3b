import { denied, fsError, type ErrnoName } from './errno.js';
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
  /** Closes the directories the resolution opened. */
  release(): void;
}

/** As Linux's MAXSYMLINKS: more follows than this in one resolution is a loop. */
export const maxSymlinkFollows = 40;

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
export function resolveBeneath<D>(
  walker: DirectoryWalker<D>,
  base: D,
  path: string,
  followFinal: boolean,
): Resolution<D> {
  if (path.length === 0) throw fsError('NOENT', 'empty path');
  if (path.includes('\0')) throw fsError('INVAL', 'path contains a NUL byte');
  if (path.startsWith('/')) throw denied(escapeErrno, 'path-escape', `absolute path ${path}`);

  const pending = splitComponents(path).reverse();
  let mustBeDir = path.endsWith('/');
  const walked: D[] = [];
  let current = base;
  let follows = 0;

  const release = (): void => {
    if (current !== base) walker.closeDir(current);
    for (const dir of walked) if (dir !== base) walker.closeDir(dir);
    walked.length = 0;
    current = base;
  };

  const finish = (name: string, stat: FileStat | undefined): Resolution<D> => {
    if (mustBeDir && stat && stat.type !== 'directory') throw fsError('NOTDIR', path);
    const dir = current;
    const depth = walked.length;
    for (const ancestor of walked) if (ancestor !== base) walker.closeDir(ancestor);
    walked.length = 0;
    current = base;
    return {
      dir,
      name,
      stat,
      mustBeDir,
      depth,
      release: () => {
        if (dir !== base) walker.closeDir(dir);
      },
    };
  };

  try {
    for (;;) {
      const name = pending.pop();
      if (name === undefined) return finish('.', walker.lstatAt(current, '.'));
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
        if (last) return finish('.', walker.lstatAt(current, '.'));
        continue;
      }
      const stat = walker.lstatAt(current, name);
      if (stat?.type === 'symbolic-link' && (!last || followFinal || mustBeDir)) {
        if (++follows > maxSymlinkFollows) throw fsError('LOOP', path);
        const target = walker.readlinkAt(current, name);
        if (target.startsWith('/')) {
          throw denied(escapeErrno, 'absolute-symlink', `${name} points to the absolute path ${target}`);
        }
        if (target.length === 0) throw fsError('NOENT', `${name} is an empty symlink`);
        if (last && target.endsWith('/')) mustBeDir = true;
        const parts = splitComponents(target);
        for (let i = parts.length - 1; i >= 0; i--) pending.push(parts[i]!);
        continue;
      }
      if (last) return finish(name, stat);
      if (stat === undefined) throw fsError('NOENT', path);
      if (stat.type !== 'directory') throw fsError('NOTDIR', path);
      const child = walker.openDirAt(current, name);
      walked.push(current);
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
 * Would a symlink with this target, created `depth` directories below the
 * zone root, point outside the zone? Checked lexically when a guest creates a
 * symlink; resolution checks again whenever one is followed.
 */
export function symlinkTargetEscapes(target: string, depth: number): boolean {
  if (target.startsWith('/')) return true;
  let level = depth;
  for (const part of splitComponents(target)) {
    if (part === '.') continue;
    if (part === '..') {
      level -= 1;
      if (level < 0) return true;
    } else {
      level += 1;
    }
  }
  return false;
}
