import { errnoError, ErrnoError } from '../../errno.js';
import type { DirEntry, FileStat, TimeChange } from '../../zones/types.js';
import type { ZoneDir, ZoneFile, ZoneNode } from '../../zones/volume.js';
import type { WasiContext } from '../common/context.js';
import { checkAdviceLength, fileOffset, fileSize, writeOffset } from '../common/file-offsets.js';
import { linkSourceFollows } from '../common/link-source.js';
import { openRequestOf } from '../common/open-request.js';
import { timeChangeOf } from '../common/time-changes.js';
import { datetimeOf, type Datetime } from './clocks.js';
import { filesystemErrorCodeOf, fsCall } from './error-codes.js';
import { IoError } from './io-error.js';
import { dispose, type Interfaces } from './resource.js';
import { InputStream, OutputStream, type ByteSink, type ByteSource } from './streams.js';

type DescriptorType = FileStat['type'];

interface DescriptorFlags {
  read?: boolean;
  write?: boolean;
  fileIntegritySync?: boolean;
  dataIntegritySync?: boolean;
  requestedWriteSync?: boolean;
  mutateDirectory?: boolean;
}

interface PathFlags {
  symlinkFollow?: boolean;
}

interface OpenFlags {
  create?: boolean;
  directory?: boolean;
  exclusive?: boolean;
  truncate?: boolean;
}

type NewTimestamp = { tag: 'no-change' } | { tag: 'now' } | { tag: 'timestamp'; val: Datetime };

interface DescriptorStat {
  type: DescriptorType;
  linkCount: bigint;
  size: bigint;
  dataAccessTimestamp: Datetime | undefined;
  dataModificationTimestamp: Datetime | undefined;
  statusChangeTimestamp: Datetime | undefined;
}

interface MetadataHashValue {
  lower: bigint;
  upper: bigint;
}

/** The most `descriptor.read` returns in one call; asking for more gives a short read, as the WIT allows. */
const maxRead = 64 * 1024;

/**
 * `wasi:filesystem/types` `descriptor`: an open zone directory or file.
 *
 * Every method translates to one {@link ZoneVolume} call, which resolves the
 * path beneath the directory, applies the zone's access and quota, and audits
 * refusals; this class only maps arguments and errors. File positions belong
 * to the streams (and the preview1 adapter), as in wasmtime. Wrong-kind
 * calls fail as wasmtime's do: path operations on a file with `not-directory`,
 * I/O on a directory with `bad-descriptor`.
 */
export class Descriptor {
  constructor(
    readonly node: ZoneNode,
    /** False for preopens: a zone root stays open when the guest drops it; the zone closes it. */
    private readonly closeOnDrop: boolean,
  ) {}

  readViaStream(offset: bigint): InputStream {
    return fsCall(() => new InputStream(new FileReader(this.readable(), fileOffset(offset))));
  }

  writeViaStream(offset: bigint): OutputStream {
    return fsCall(() => new OutputStream(new FileWriter(this.writable(), offset)));
  }

  appendViaStream(): OutputStream {
    return fsCall(() => new OutputStream(new FileAppender(this.writable())));
  }

  advise(_offset: bigint, length: bigint, _advice: string): void {
    fsCall(() => {
      this.file();
      checkAdviceLength(length);
    });
  }

  syncData(): void {
    fsCall(() => this.node.volume.sync(this.node, true));
  }

  getFlags(): DescriptorFlags {
    const { node } = this;
    if (node.kind === 'file') return { read: node.readable, write: node.writable };
    return { read: true, mutateDirectory: !node.volume.readOnly };
  }

  getType(): DescriptorType {
    if (this.node.kind === 'directory') return 'directory';
    return this.node.device ? 'character-device' : 'regular-file';
  }

  setSize(size: bigint): void {
    fsCall(() => this.node.volume.setSize(this.file(), fileSize(size)));
  }

  setTimes(atim: NewTimestamp, mtim: NewTimestamp): void {
    fsCall(() => this.node.volume.setTimes(this.node, timeChange(atim), timeChange(mtim)));
  }

  read(length: bigint, offset: bigint): [Uint8Array, boolean] {
    return fsCall(() => {
      const file = this.readable();
      const into = new Uint8Array(length < BigInt(maxRead) ? Number(length) : maxRead);
      const n = file.volume.read(file, into, fileOffset(offset));
      return [into.subarray(0, n), n === 0];
    });
  }

  write(buffer: Uint8Array, offset: bigint): bigint {
    return fsCall(() => {
      new FileWriter(this.writable(), offset).write(buffer);
      return BigInt(buffer.length);
    });
  }

  readDirectory(): DirectoryEntryStream {
    return fsCall(() => {
      const dir = this.dir();
      return new DirectoryEntryStream(dir.volume.readDir(dir));
    });
  }

  sync(): void {
    fsCall(() => this.node.volume.sync(this.node, false));
  }

  createDirectoryAt(path: string): void {
    fsCall(() => {
      const dir = this.dir();
      dir.volume.createDirectoryAt(dir, path);
    });
  }

  stat(): DescriptorStat {
    return fsCall(() => descriptorStat(this.node.volume.stat(this.node)));
  }

  statAt(flags: PathFlags, path: string): DescriptorStat {
    return fsCall(() => {
      const dir = this.dir();
      return descriptorStat(dir.volume.statAt(dir, path, flags.symlinkFollow === true));
    });
  }

  setTimesAt(flags: PathFlags, path: string, atim: NewTimestamp, mtim: NewTimestamp): void {
    fsCall(() => {
      const dir = this.dir();
      dir.volume.setTimesAt(dir, path, flags.symlinkFollow === true, timeChange(atim), timeChange(mtim));
    });
  }

  linkAt(oldFlags: PathFlags, oldPath: string, target: Descriptor, newPath: string): void {
    fsCall(() => {
      const dir = this.dir();
      const to = target.dir();
      dir.volume.linkAt(dir, oldPath, linkSourceFollows(oldFlags.symlinkFollow === true), to, newPath);
    });
  }

  openAt(pathFlags: PathFlags, path: string, openFlags: OpenFlags, flags: DescriptorFlags): Descriptor {
    return fsCall(() => {
      const dir = this.dir();
      const request = openRequestOf({
        follow: pathFlags.symlinkFollow === true,
        create: openFlags.create === true,
        exclusive: openFlags.exclusive === true,
        truncate: openFlags.truncate === true,
        directory: openFlags.directory === true,
        read: flags.read === true,
        write: flags.write === true,
        sync: flags.fileIntegritySync === true || flags.dataIntegritySync === true || flags.requestedWriteSync === true,
      });
      return new Descriptor(dir.volume.openAt(dir, path, request), true);
    });
  }

  readlinkAt(path: string): string {
    return fsCall(() => {
      const dir = this.dir();
      return dir.volume.readlinkAt(dir, path);
    });
  }

  removeDirectoryAt(path: string): void {
    fsCall(() => {
      const dir = this.dir();
      dir.volume.removeDirectoryAt(dir, path);
    });
  }

  renameAt(oldPath: string, target: Descriptor, newPath: string): void {
    fsCall(() => {
      const dir = this.dir();
      dir.volume.renameAt(dir, oldPath, target.dir(), newPath);
    });
  }

  symlinkAt(oldPath: string, newPath: string): void {
    fsCall(() => {
      const dir = this.dir();
      dir.volume.symlinkAt(oldPath, dir, newPath);
    });
  }

  unlinkFileAt(path: string): void {
    fsCall(() => {
      const dir = this.dir();
      dir.volume.unlinkFileAt(dir, path);
    });
  }

  isSameObject(other: Descriptor): boolean {
    try {
      const a = this.node.volume.stat(this.node);
      const b = other.node.volume.stat(other.node);
      return a.dev === b.dev && a.ino === b.ino;
    } catch (error) {
      if (error instanceof ErrnoError) return false;
      throw error;
    }
  }

  metadataHash(): MetadataHashValue {
    return fsCall(() => metadataHashOf(this.node.volume.stat(this.node)));
  }

  metadataHashAt(flags: PathFlags, path: string): MetadataHashValue {
    return fsCall(() => {
      const dir = this.dir();
      return metadataHashOf(dir.volume.statAt(dir, path, flags.symlinkFollow === true));
    });
  }

  [dispose](): void {
    if (this.closeOnDrop) this.node.volume.close(this.node);
  }

  private dir(): ZoneDir {
    if (this.node.kind !== 'directory') throw errnoError('NOTDIR', `${this.node.guestPath} is a file`);
    return this.node;
  }

  private file(): ZoneFile {
    if (this.node.kind !== 'file') throw errnoError('BADF', `${this.node.guestPath} is a directory`);
    return this.node;
  }

  private readable(): ZoneFile {
    const file = this.file();
    if (!file.readable) throw errnoError('BADF', `${file.guestPath} is not open for reading`);
    return file;
  }

  private writable(): ZoneFile {
    const file = this.file();
    if (!file.writable) throw errnoError('BADF', `${file.guestPath} is not open for writing`);
    return file;
  }
}

/** `wasi:filesystem/types` `directory-entry-stream`: the listing taken when it was opened. */
export class DirectoryEntryStream {
  private next = 0;

  constructor(private readonly entries: readonly DirEntry[]) {}

  readDirectoryEntry(): { type: DescriptorType; name: string } | undefined {
    const entry = this.entries[this.next];
    if (entry === undefined) return undefined;
    this.next++;
    return { type: descriptorType(entry.type), name: entry.name };
  }

  [dispose](): void {}
}

/** Reads a file from a position the stream keeps and advances. */
class FileReader implements ByteSource {
  constructor(
    private readonly file: ZoneFile,
    private position: number,
  ) {}

  read(max: number): Uint8Array {
    const into = new Uint8Array(max);
    const n = this.file.volume.read(this.file, into, this.position);
    this.position += n;
    return into.subarray(0, n);
  }
}

/** Writes a file from a position the stream keeps and advances; all bytes or an error. */
class FileWriter implements ByteSink {
  private position: number;

  constructor(
    private readonly file: ZoneFile,
    offset: bigint,
  ) {
    this.position = writeOffset(offset, 0);
  }

  write(data: Uint8Array): void {
    writeOffset(BigInt(this.position), data.length);
    for (let done = 0; done < data.length;) {
      const n = this.file.volume.write(this.file, data.subarray(done), this.position);
      if (n === 0) throw errnoError('IO', `${this.file.guestPath}: the write made no progress`);
      done += n;
      this.position += n;
    }
  }
}

/** Writes at the end of the file, wherever that is at each write. */
class FileAppender implements ByteSink {
  constructor(private readonly file: ZoneFile) {}

  write(data: Uint8Array): void {
    for (let done = 0; done < data.length;) {
      const { written } = this.file.volume.append(this.file, data.subarray(done));
      if (written === 0) throw errnoError('IO', `${this.file.guestPath}: the write made no progress`);
      done += written;
    }
  }
}

function timeChange(time: NewTimestamp): TimeChange {
  switch (time.tag) {
    case 'no-change':
      return timeChangeOf({});
    case 'now':
      return timeChangeOf({ now: true });
    case 'timestamp':
      return timeChangeOf({ given: time.val.seconds * 1_000_000_000n + BigInt(time.val.nanoseconds) });
  }
}

/**
 * The type reported to the guest. A socket file (which no zone lets a guest
 * open anyway) is reported as `unknown`: the preview1 adapter traps on
 * `socket`, so one socket in a zone would otherwise kill every adapted
 * program that lists or stats that directory.
 */
function descriptorType(type: DescriptorType): DescriptorType {
  return type === 'socket' ? 'unknown' : type;
}

function descriptorStat(stat: FileStat): DescriptorStat {
  return {
    type: descriptorType(stat.type),
    linkCount: stat.nlink,
    size: stat.size,
    dataAccessTimestamp: datetimeOf(stat.atimNs),
    dataModificationTimestamp: datetimeOf(stat.mtimNs),
    statusChangeTimestamp: datetimeOf(stat.ctimNs),
  };
}

/**
 * The identity of a file as the preview1 adapter reports it (`lower` becomes
 * `st_ino` and `d_ino`): the core's inode number, so a component and a core
 * module see the same inode for the same file, and hard links share one.
 */
function metadataHashOf(stat: FileStat): MetadataHashValue {
  return { lower: BigInt.asUintN(64, stat.ino), upper: BigInt.asUintN(64, stat.dev) };
}

/** `wasi:filesystem`: the zones as preopens, under their guest paths. */
export function filesystemInterfaces(ctx: WasiContext): Interfaces {
  return {
    'wasi:filesystem/types': {
      Descriptor,
      DirectoryEntryStream,
      filesystemErrorCode: (error: IoError) => (error instanceof IoError ? filesystemErrorCodeOf(error.failure.errno) : undefined),
    },
    'wasi:filesystem/preopens': {
      getDirectories: () => ctx.preopens.map((preopen) => [new Descriptor(preopen.dir, false), preopen.guestPath]),
    },
  };
}
