import { concatBytes } from '../../bytes.js';
import { ErrnoError, errnoError } from '../../errno.js';
import { resolveAgainst } from '../../policy/guest-path.js';
import type { Preopen } from '../../wasi/common/context.js';
import type { FileStat } from '../../zones/types.js';
import type { ZoneDir, ZoneFile } from '../../zones/volume.js';

/** How a redirection opens its file. */
export type OpenMode = 'read' | 'write' | 'append' | 'read-write';

/** A file the shell opened (a redirection's target, a script it sources). */
export interface ShellFile {
  /** Up to MAX bytes from the current position; empty at the end. */
  read(max: number): Uint8Array;
  write(data: Uint8Array): void;
  /** Moves the position BY bytes (back when negative). */
  seek(by: number): void;
  close(): void;
}

/**
 * PATH made absolute against CWD, with `.`, `..` and repeated slashes
 * resolved as text, as bash's `cd` does by default: `..` above `/` stays at
 * `/`, so no path leads outside the run's mounts.
 */
export function absolutePath(cwd: string, path: string): string {
  return resolveAgainst(cwd, path);
}

/**
 * The run's zones as the shell sees them: the same mounts, the same
 * checks and the same audit as a tool's file access, because every
 * operation goes through the zones' `ZoneVolume`s (nothing else of the
 * host is reachable). Paths are absolute guest paths.
 */
export class ShellFiles {
  /** Longest guest path first, so the deepest mount holding a path is found first. */
  private readonly mounts: readonly Preopen[];

  constructor(preopens: readonly Preopen[]) {
    this.mounts = [...preopens].sort((a, b) => b.guestPath.length - a.guestPath.length);
  }

  /** The mount that holds PATH and PATH relative to its root. */
  private locate(path: string): { dir: ZoneDir; relative: string } {
    for (const mount of this.mounts) {
      const root = mount.guestPath === '/' ? '' : mount.guestPath;
      if (path === mount.guestPath || path === root) return { dir: mount.dir, relative: '.' };
      if (path.startsWith(`${root}/`)) return { dir: mount.dir, relative: path.slice(root.length + 1) };
    }
    throw errnoError('NOENT', `${path} is in no zone of the run`);
  }

  /** PATH's status, or undefined when it cannot be seen (missing, refused, outside every zone). */
  stat(path: string, follow = true): FileStat | undefined {
    try {
      const { dir, relative } = this.locate(path);
      return dir.volume.statAt(dir, relative, follow);
    } catch (error) {
      if (error instanceof ErrnoError) return undefined;
      throw error;
    }
  }

  /** The names in directory PATH (without `.` and `..`), or undefined when it cannot be listed. */
  list(path: string): string[] | undefined {
    try {
      const { dir, relative } = this.locate(path);
      const opened = dir.volume.openAt(dir, relative, {
        follow: true,
        create: false,
        exclusive: false,
        truncate: false,
        directory: true,
        read: true,
        write: false,
      });
      try {
        return opened.kind === 'directory' ? opened.volume.readDir(opened).map((entry) => entry.name) : undefined;
      } finally {
        opened.volume.close(opened);
      }
    } catch (error) {
      if (error instanceof ErrnoError) return undefined;
      throw error;
    }
  }

  /** The whole text of file PATH (a script to run or source). */
  readText(path: string): string {
    const file = this.open(path, 'read');
    try {
      const chunks: Uint8Array[] = [];
      for (let chunk = file.read(65536); chunk.length > 0; chunk = file.read(65536)) chunks.push(chunk);
      return new TextDecoder().decode(concatBytes(chunks));
    } finally {
      file.close();
    }
  }

  /** Opens PATH as MODE says; throws the {@link ErrnoError} the zone gives. */
  open(path: string, mode: OpenMode): ShellFile {
    const { dir, relative } = this.locate(path);
    const write = mode !== 'read';
    const node = dir.volume.openAt(dir, relative, {
      follow: true,
      create: write,
      exclusive: false,
      truncate: mode === 'write',
      directory: false,
      read: mode === 'read' || mode === 'read-write',
      write,
    });
    if (node.kind === 'directory') {
      node.volume.close(node);
      throw errnoError('ISDIR', path);
    }
    return new OpenZoneFile(node, mode === 'append');
  }
}

class OpenZoneFile implements ShellFile {
  private position = 0;

  constructor(
    private readonly file: ZoneFile,
    private readonly appending: boolean,
  ) {}

  read(max: number): Uint8Array {
    const into = new Uint8Array(max);
    const count = this.file.volume.read(this.file, into, this.position);
    this.position += count;
    return into.subarray(0, count);
  }

  write(data: Uint8Array): void {
    if (this.appending) {
      this.file.volume.append(this.file, data);
      return;
    }
    for (let offset = 0; offset < data.length;) {
      const written = this.file.volume.write(this.file, data.subarray(offset), this.position);
      this.position += written;
      offset += written;
    }
  }

  seek(by: number): void {
    this.position = Math.max(0, this.position + by);
  }

  close(): void {
    if (!this.file.closed) this.file.volume.close(this.file);
  }
}
