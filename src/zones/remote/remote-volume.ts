import { errnoError } from '../../errno.js';
import type { ZoneSpec } from '../../policy/types.js';
import type { DirEntry, FileStat, OpenRequest, TimeChange } from '../types.js';
import { ZoneDir, ZoneFile, type Volume, type ZoneNode } from '../volume.js';
import type { CallTransport } from './call-channel.js';
import type { RemoteMount, RemoteNode, VolumeRequest } from './volume-server.js';

/** The most bytes one read or write carries: what fits one message of the channel. */
export const maxTransfer = 1 << 20;
/** What a small read fetches. */
const readAheadBytes = 128 * 1024;

/**
 * A zone mounted on another thread (by a {@link VolumeServer}), used here as
 * if it were local: every call goes there and back through TRANSPORT, so the
 * zone's checks, quota, audit and descriptor budget are the run's own.
 * Handles are the same {@link ZoneDir}/{@link ZoneFile} the WASI hosts know,
 * holding the server's handle number.
 */
export class RemoteVolume implements Volume {
  readonly spec: ZoneSpec;
  readonly root: ZoneDir;

  private readonly index: number;
  /**
   * The block last read ahead, per open file. A change through this volume
   * drops them all; a change made meanwhile elsewhere (another command of
   * the line) shows from the next block, as with a reader's own buffer.
   */
  private readonly readAhead = new Map<ZoneFile, { readonly position: number; readonly bytes: Uint8Array }>();

  constructor(
    mount: RemoteMount,
    private readonly transport: CallTransport,
  ) {
    this.spec = mount.spec;
    this.index = mount.index;
    this.root = this.handle(mount.root) as ZoneDir;
  }

  get readOnly(): boolean {
    return this.spec.access === 'ro';
  }

  openAt(dir: ZoneDir, path: string, req: OpenRequest): ZoneNode {
    return this.handle(this.call({ op: 'openAt', dir: this.id(dir), path, req }) as RemoteNode);
  }

  statAt(dir: ZoneDir, path: string, follow: boolean): FileStat {
    return this.call({ op: 'statAt', dir: this.id(dir), path, follow }) as FileStat;
  }

  setTimesAt(dir: ZoneDir, path: string, follow: boolean, atim: TimeChange, mtim: TimeChange): void {
    this.call({ op: 'setTimesAt', dir: this.id(dir), path, follow, atim, mtim });
  }

  createDirectoryAt(dir: ZoneDir, path: string): void {
    this.call({ op: 'createDirectoryAt', dir: this.id(dir), path });
  }

  removeDirectoryAt(dir: ZoneDir, path: string): void {
    this.call({ op: 'removeDirectoryAt', dir: this.id(dir), path });
  }

  unlinkFileAt(dir: ZoneDir, path: string): void {
    this.call({ op: 'unlinkFileAt', dir: this.id(dir), path });
  }

  renameAt(dir: ZoneDir, path: string, toDir: ZoneDir, toPath: string): void {
    this.call({ op: 'renameAt', dir: this.id(dir), path, toDir: this.peerId(toDir), toPath });
  }

  linkAt(dir: ZoneDir, path: string, follow: boolean, toDir: ZoneDir, toPath: string): void {
    this.call({ op: 'linkAt', dir: this.id(dir), path, follow, toDir: this.peerId(toDir), toPath });
  }

  symlinkAt(linkTarget: string, dir: ZoneDir, path: string): void {
    this.call({ op: 'symlinkAt', linkTarget, dir: this.id(dir), path });
  }

  readlinkAt(dir: ZoneDir, path: string): string {
    return this.call({ op: 'readlinkAt', dir: this.id(dir), path }) as string;
  }

  readDir(dir: ZoneDir): DirEntry[] {
    const entries: DirEntry[] = [];
    for (;;) {
      const part = this.call({ op: 'readDir', dir: this.id(dir), from: entries.length }) as { entries: DirEntry[]; more: boolean };
      entries.push(...part.entries);
      if (!part.more) return entries;
    }
  }

  stat(node: ZoneNode): FileStat {
    return this.call({ op: 'stat', node: this.id(node) }) as FileStat;
  }

  setTimes(node: ZoneNode, atim: TimeChange, mtim: TimeChange): void {
    this.call({ op: 'setTimes', node: this.id(node), atim, mtim });
  }

  sync(node: ZoneNode, dataOnly: boolean): void {
    this.call({ op: 'sync', node: this.id(node), dataOnly });
  }

  read(file: ZoneFile, into: Uint8Array, position: number): number {
    if (!file.readable) throw errnoError('BADF', `${file.guestPath} is not open for reading`);
    const ahead = this.readAhead.get(file);
    if (ahead !== undefined && position >= ahead.position && position < ahead.position + ahead.bytes.length) {
      const part = ahead.bytes.subarray(position - ahead.position, position - ahead.position + into.length);
      into.set(part);
      return part.length;
    }
    // Small reads (wasi-libc reads 1 KiB at a time) fetch a larger block, so a file costs a few calls rather than one per KiB.
    const small = into.length < readAheadBytes && !file.device;
    const length = small ? readAheadBytes : Math.min(into.length, maxTransfer);
    const reply = this.transport({ value: { op: 'read', file: this.id(file), length, position } });
    const bytes = reply.bytes ?? new Uint8Array(0);
    if (small) this.readAhead.set(file, { position, bytes });
    const part = bytes.subarray(0, into.length);
    into.set(part);
    return part.length;
  }

  write(file: ZoneFile, data: Uint8Array, position: number): number {
    this.readAhead.clear();
    if (!file.writable) throw errnoError('BADF', `${file.guestPath} is not open for writing`);
    let written = 0;
    while (written < data.length) {
      const part = data.subarray(written, written + maxTransfer);
      const count = this.transport({ value: { op: 'write', file: this.id(file), position: position + written }, bytes: part }).value as number;
      written += count;
      if (count < part.length) break;
    }
    return written;
  }

  append(file: ZoneFile, data: Uint8Array): { written: number; size: number } {
    this.readAhead.clear();
    if (!file.writable) throw errnoError('BADF', `${file.guestPath} is not open for writing`);
    let result = { written: 0, size: 0 };
    do {
      const part = data.subarray(result.written, result.written + maxTransfer);
      const answer = this.transport({ value: { op: 'append', file: this.id(file) }, bytes: part }).value as { written: number; size: number };
      result = { written: result.written + answer.written, size: answer.size };
      if (answer.written < part.length) break;
    } while (result.written < data.length);
    return result;
  }

  setSize(file: ZoneFile, size: number): void {
    this.readAhead.clear();
    this.call({ op: 'setSize', file: this.id(file), size });
  }

  close(node: ZoneNode): void {
    if (node.closed) return;
    if (node.kind === 'file') this.readAhead.delete(node);
    node.closed = true;
    if (node === this.root) return;
    this.call({ op: 'close', node: this.id(node, true) });
  }

  requireModify(operation: string, target: string, inGit = false): void {
    this.call({ op: 'requireModify', volume: this.index, operation, target, inGit });
  }

  private call(request: VolumeRequest): unknown {
    return this.transport({ value: request }).value;
  }

  /** The server's number for NODE, which must be one of this volume's open handles. */
  private id(node: ZoneNode, closing = false): number {
    if ((node.closed && !closing) || node.volume !== this) throw errnoError('BADF', node.guestPath);
    return node.ref as number;
  }

  /** The server's number for DIR of any volume it serves: a rename or link across zones is the server's to refuse. */
  private peerId(dir: ZoneDir): number {
    const volume = dir.volume;
    if (dir.closed || !(volume instanceof RemoteVolume) || volume.transport !== this.transport) throw errnoError('BADF', dir.guestPath);
    return dir.ref as number;
  }

  private handle(remote: RemoteNode): ZoneNode {
    return remote.kind === 'directory'
      ? new ZoneDir(this, remote.id, remote.guestPath, remote.depth, remote.inGitFolder)
      : new ZoneFile(this, remote.id, remote.guestPath, remote.readable, remote.writable, remote.identity, remote.inGitFolder, remote.device);
  }
}
