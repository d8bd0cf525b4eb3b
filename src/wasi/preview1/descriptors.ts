import { errnoError } from '../../errno.js';
import type { DirEntry } from '../../zones/types.js';
import type { ZoneDir, ZoneFile } from '../../zones/volume.js';
import type { InputSource, OutputSink } from '../common/stdio.js';

export interface StdinDescriptor {
  readonly kind: 'stdin';
  readonly source: InputSource;
}

export interface StdoutDescriptor {
  readonly kind: 'stdout' | 'stderr';
  readonly sink: OutputSink;
}

export interface DirDescriptor {
  readonly kind: 'dir';
  readonly dir: ZoneDir;
  /** Set for preopens: the guest path reported by fd_prestat_dir_name. */
  readonly preopenPath: string | undefined;
  /** The listing of the last fd_readdir, reused while the guest pages through it. */
  listing?: DirEntry[];
}

export interface FileDescriptor {
  readonly kind: 'file';
  readonly file: ZoneFile;
  /** The host keeps the position (as wasmtime does); every I/O is positional. */
  position: number;
  append: boolean;
  nonblock: boolean;
}

export type Descriptor = StdinDescriptor | StdoutDescriptor | DirDescriptor | FileDescriptor;

/**
 * The preview1 fd table of one run. Numbers freed by fd_close are reused
 * highest first, as in wasmtime, and preopens are numbered from 3 in order.
 */
export class DescriptorTable {
  private readonly used = new Map<number, Descriptor>();
  private readonly free: number[] = [];
  private next = 0;

  push(descriptor: Descriptor): number {
    let fd: number;
    if (this.free.length > 0) {
      this.free.sort((a, b) => a - b);
      fd = this.free.pop()!;
    } else {
      if (this.next > 0x7fffffff) throw errnoError('NFILE', 'descriptor table is full');
      fd = this.next++;
    }
    this.used.set(fd, descriptor);
    return fd;
  }

  get(fd: number): Descriptor {
    const descriptor = this.used.get(fd);
    if (!descriptor) throw errnoError('BADF', `fd ${fd} is not open`);
    return descriptor;
  }

  has(fd: number): boolean {
    return this.used.has(fd);
  }

  /** Removes `fd` from the table and returns what it held. */
  take(fd: number): Descriptor {
    const descriptor = this.get(fd);
    this.used.delete(fd);
    this.free.push(fd);
    return descriptor;
  }

  /** Moves `from` onto `to` (which must be open); returns what `to` held. */
  renumber(from: number, to: number): Descriptor | undefined {
    if (!this.used.has(to)) throw errnoError('BADF', `fd ${to} is not open`);
    const descriptor = this.get(from);
    if (from === to) return undefined;
    const replaced = this.used.get(to);
    this.used.set(to, descriptor);
    this.used.delete(from);
    this.free.push(from);
    return replaced;
  }

  file(fd: number): FileDescriptor {
    const descriptor = this.get(fd);
    if (descriptor.kind !== 'file') throw errnoError('BADF', `fd ${fd} is not a file`);
    return descriptor;
  }

  dir(fd: number): DirDescriptor {
    const descriptor = this.get(fd);
    if (descriptor.kind !== 'dir') throw errnoError('BADF', `fd ${fd} is not a directory`);
    return descriptor;
  }

  /** A file or directory (not stdio). */
  node(fd: number): FileDescriptor | DirDescriptor {
    const descriptor = this.get(fd);
    if (descriptor.kind !== 'file' && descriptor.kind !== 'dir') throw errnoError('BADF', `fd ${fd} is stdio`);
    return descriptor;
  }

  /** A file for seek/tell/pread: stdio is ESPIPE, anything else EBADF. */
  seekable(fd: number): FileDescriptor {
    const descriptor = this.get(fd);
    if (descriptor.kind === 'file') return descriptor;
    if (descriptor.kind === 'dir') throw errnoError('BADF', `fd ${fd} is a directory`);
    throw errnoError('SPIPE', `fd ${fd} is a stream`);
  }

  entries(): IterableIterator<[number, Descriptor]> {
    return this.used.entries();
  }
}

/**
 * Closes what a descriptor holds in its volume (stdio holds nothing to
 * close). A preopen's directory is the zone's root, which belongs to the
 * run, not to this guest: later programs of the run (a shell's commands)
 * start from it, so only the run's unmount closes it.
 */
export function closeDescriptor(descriptor: Descriptor): void {
  if (descriptor.kind === 'file') descriptor.file.volume.close(descriptor.file);
  else if (descriptor.kind === 'dir' && descriptor.preopenPath === undefined) descriptor.dir.volume.close(descriptor.dir);
}
