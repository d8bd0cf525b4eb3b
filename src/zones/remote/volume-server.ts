import { errnoError } from '../../errno.js';
import type { ZoneSpec } from '../../policy/types.js';
import type { DirEntry, OpenRequest, TimeChange } from '../types.js';
import type { Volume, ZoneDir, ZoneFile, ZoneNode } from '../volume.js';
import type { CallMessage } from './call-channel.js';

/** A handle as the other thread holds it: a number, and what the WASI hosts read of it. */
export interface RemoteNode {
  readonly id: number;
  readonly kind: 'directory' | 'file';
  readonly guestPath: string;
  readonly depth: number;
  readonly inGitFolder: boolean;
  readonly readable: boolean;
  readonly writable: boolean;
  readonly identity: string;
  readonly device: boolean;
}

/** A zone as the other thread mounts it: its spec and its root's handle. */
export interface RemoteMount {
  readonly spec: ZoneSpec;
  readonly root: RemoteNode;
  /** Which of the server's volumes it is. */
  readonly index: number;
}

/** One volume call: the operation, its handles by number, and its arguments. */
export type VolumeRequest =
  | { readonly op: 'openAt'; readonly dir: number; readonly path: string; readonly req: OpenRequest }
  | { readonly op: 'statAt'; readonly dir: number; readonly path: string; readonly follow: boolean }
  | {
      readonly op: 'setTimesAt';
      readonly dir: number;
      readonly path: string;
      readonly follow: boolean;
      readonly atim: TimeChange;
      readonly mtim: TimeChange;
    }
  | { readonly op: 'createDirectoryAt' | 'removeDirectoryAt' | 'unlinkFileAt' | 'readlinkAt'; readonly dir: number; readonly path: string }
  | { readonly op: 'renameAt'; readonly dir: number; readonly path: string; readonly toDir: number; readonly toPath: string }
  | { readonly op: 'linkAt'; readonly dir: number; readonly path: string; readonly follow: boolean; readonly toDir: number; readonly toPath: string }
  | { readonly op: 'symlinkAt'; readonly linkTarget: string; readonly dir: number; readonly path: string }
  | { readonly op: 'readDir'; readonly dir: number; readonly from: number }
  | { readonly op: 'stat' | 'close'; readonly node: number }
  | { readonly op: 'setTimes'; readonly node: number; readonly atim: TimeChange; readonly mtim: TimeChange }
  | { readonly op: 'sync'; readonly node: number; readonly dataOnly: boolean }
  | { readonly op: 'read'; readonly file: number; readonly length: number; readonly position: number }
  | { readonly op: 'write'; readonly file: number; readonly position: number }
  | { readonly op: 'append'; readonly file: number }
  | { readonly op: 'setSize'; readonly file: number; readonly size: number }
  | { readonly op: 'requireModify'; readonly volume: number; readonly operation: string; readonly target: string; readonly inGit: boolean };

/** Directory entries per `readDir` answer: a large folder comes in parts, so no answer outgrows the channel. */
const entriesPerAnswer = 2000;

/**
 * Serves volumes mounted on this thread to a guest on another thread: the
 * zones, their checks, quotas, audit and descriptor budget stay here, one
 * set for the whole run; the other side holds handles by number. Handles it
 * opened and did not close are closed by {@link closeAll}, so a guest that
 * was stopped leaves nothing open.
 */
export class VolumeServer {
  /** Handles the other side opened (it closes them). */
  private readonly nodes = new Map<number, ZoneNode>();
  /** The volumes' roots, which close when the run unmounts. */
  private readonly roots = new Map<number, ZoneNode>();
  private readonly volumes: Volume[] = [];
  private nextId = 1;
  /** A folder's entries while they are handed out in parts. */
  private listing: { readonly dir: number; readonly entries: DirEntry[] } | undefined;

  /** Offers VOLUMES; returns how the other thread mounts them. */
  mount(volumes: readonly Volume[]): RemoteMount[] {
    return volumes.map((volume) => {
      const index = this.volumes.push(volume) - 1;
      return { spec: volume.spec, root: this.describe(volume.root, false), index };
    });
  }

  handle(message: CallMessage): CallMessage {
    const request = message.value as VolumeRequest;
    switch (request.op) {
      case 'openAt': {
        const dir = this.dir(request.dir);
        return { value: this.describe(dir.volume.openAt(dir, request.path, request.req), true) };
      }
      case 'statAt': {
        const dir = this.dir(request.dir);
        return { value: dir.volume.statAt(dir, request.path, request.follow) };
      }
      case 'setTimesAt': {
        const dir = this.dir(request.dir);
        dir.volume.setTimesAt(dir, request.path, request.follow, request.atim, request.mtim);
        return done;
      }
      case 'createDirectoryAt':
      case 'removeDirectoryAt':
      case 'unlinkFileAt': {
        const dir = this.dir(request.dir);
        dir.volume[request.op](dir, request.path);
        return done;
      }
      case 'readlinkAt': {
        const dir = this.dir(request.dir);
        return { value: dir.volume.readlinkAt(dir, request.path) };
      }
      case 'renameAt': {
        const dir = this.dir(request.dir);
        dir.volume.renameAt(dir, request.path, this.dir(request.toDir), request.toPath);
        return done;
      }
      case 'linkAt': {
        const dir = this.dir(request.dir);
        dir.volume.linkAt(dir, request.path, request.follow, this.dir(request.toDir), request.toPath);
        return done;
      }
      case 'symlinkAt': {
        const dir = this.dir(request.dir);
        dir.volume.symlinkAt(request.linkTarget, dir, request.path);
        return done;
      }
      case 'readDir':
        return { value: this.readDir(request.dir, request.from) };
      case 'stat': {
        const node = this.node(request.node);
        return { value: node.volume.stat(node) };
      }
      case 'setTimes': {
        const node = this.node(request.node);
        node.volume.setTimes(node, request.atim, request.mtim);
        return done;
      }
      case 'sync': {
        const node = this.node(request.node);
        node.volume.sync(node, request.dataOnly);
        return done;
      }
      case 'close': {
        const node = this.nodes.get(request.node);
        this.nodes.delete(request.node);
        node?.volume.close(node);
        return done;
      }
      case 'read': {
        const file = this.file(request.file);
        const into = new Uint8Array(request.length);
        const count = file.volume.read(file, into, request.position);
        return { value: count, bytes: into.subarray(0, count) };
      }
      case 'write': {
        const file = this.file(request.file);
        return { value: file.volume.write(file, message.bytes ?? new Uint8Array(0), request.position) };
      }
      case 'append': {
        const file = this.file(request.file);
        return { value: file.volume.append(file, message.bytes ?? new Uint8Array(0)) };
      }
      case 'setSize': {
        const file = this.file(request.file);
        file.volume.setSize(file, request.size);
        return done;
      }
      case 'requireModify': {
        const volume = this.volumes[request.volume];
        if (volume === undefined) throw errnoError('BADF', 'no such zone');
        volume.requireModify(request.operation, request.target, request.inGit);
        return done;
      }
    }
  }

  /** Closes every handle the other side opened and left open. */
  closeAll(): void {
    for (const node of this.nodes.values()) node.volume.close(node);
    this.nodes.clear();
    this.listing = undefined;
  }

  private readDir(id: number, from: number): { entries: DirEntry[]; more: boolean } {
    if (from === 0 || this.listing?.dir !== id) {
      const dir = this.dir(id);
      this.listing = { dir: id, entries: dir.volume.readDir(dir) };
    }
    const { entries } = this.listing;
    const part = entries.slice(from, from + entriesPerAnswer);
    const more = from + part.length < entries.length;
    if (!more) this.listing = undefined;
    return { entries: part, more };
  }

  private describe(node: ZoneNode, owned: boolean): RemoteNode {
    const id = this.nextId++;
    if (owned) this.nodes.set(id, node);
    else this.roots.set(id, node);
    return node.kind === 'directory'
      ? {
          id,
          kind: 'directory',
          guestPath: node.guestPath,
          depth: node.depth,
          inGitFolder: node.inGitFolder,
          readable: true,
          writable: false,
          identity: '',
          device: false,
        }
      : {
          id,
          kind: 'file',
          guestPath: node.guestPath,
          depth: 0,
          inGitFolder: node.inGitFolder,
          readable: node.readable,
          writable: node.writable,
          identity: node.identity,
          device: node.device,
        };
  }

  private node(id: number): ZoneNode {
    const node = this.nodes.get(id) ?? this.roots.get(id);
    if (node === undefined) throw errnoError('BADF', `no open handle ${id}`);
    return node;
  }

  private dir(id: number): ZoneDir {
    const node = this.node(id);
    if (node.kind !== 'directory') throw errnoError('NOTDIR', node.guestPath);
    return node;
  }

  private file(id: number): ZoneFile {
    const node = this.node(id);
    if (node.kind !== 'file') throw errnoError('ISDIR', node.guestPath);
    return node;
  }
}

const done: CallMessage = { value: null };
