import { concatBytes } from '../../bytes.js';
import { Errno, FsError, fsError } from '../../zones/errno.js';
import type { DirEntry, FileStat, FileType, TimeChange } from '../../zones/types.js';
import type { ZoneNode } from '../../zones/zone-volume.js';
import { ProcessExit, type WasiContext } from '../core/context.js';
import { openRequestOf } from '../core/open-request.js';
import { readInput, type BlockingWait, type InputSource } from '../core/stdio.js';
import {
  Clockid,
  Eventtype,
  EVENTRWFLAGS_HANGUP,
  Fdflags,
  fdflagsAll,
  fileRights,
  Filetype,
  Fstflags,
  fstflagsAll,
  LOOKUP_SYMLINK_FOLLOW,
  Oflags,
  oflagsAll,
  preopenRightsBase,
  preopenRightsInheriting,
  directoryRights,
  Rights,
  rightsAll,
  SUBCLOCKFLAGS_ABSTIME,
  Whence,
} from './constants.js';
import { DescriptorTable, type Descriptor, type DirDescriptor, type FileDescriptor } from './descriptors.js';
import { GuestMemory } from './guest-memory.js';

const i64Max = (1n << 63n) - 1n;
const encoder = new TextEncoder();

type Preview1Function = (...args: never[]) => number;

/**
 * The preview1 face of the WASI host: `wasi_snapshot_preview1` for core
 * modules, over one run's {@link WasiContext}. Semantics follow wasmtime's
 * preview1 implementation (errno values, rights reporting, readdir cookies,
 * path_open modes, host-side positions and append), except that zones may be
 * read-only (EROFS) and special files are refused (EACCES).
 */
export class Preview1Host {
  readonly memory = new GuestMemory();
  private readonly fds = new DescriptorTable();

  constructor(private readonly ctx: WasiContext) {
    this.fds.push({ kind: 'stdin', source: ctx.stdin });
    this.fds.push({ kind: 'stdout', sink: ctx.stdout });
    this.fds.push({ kind: 'stderr', sink: ctx.stderr });
    for (const preopen of ctx.preopens) {
      this.fds.push({ kind: 'dir', dir: preopen.dir, preopenPath: preopen.guestPath });
    }
  }

  /** The import object for `wasi_snapshot_preview1`. */
  imports(): Record<string, Preview1Function> {
    const calls: Record<string, (...args: never[]) => void | number> = {
      args_get: (argv: number, buf: number) => this.writeStrings(this.ctx.args, argv, buf),
      args_sizes_get: (count: number, size: number) => this.writeSizes(this.ctx.args, count, size),
      environ_get: (environ: number, buf: number) => this.writeStrings(this.envStrings(), environ, buf),
      environ_sizes_get: (count: number, size: number) => this.writeSizes(this.envStrings(), count, size),
      clock_res_get: (id: number, out: number) => this.memory.setU64(out, this.clockResolution(id)),
      clock_time_get: (id: number, _precision: bigint, out: number) => this.memory.setU64(out, this.clockNow(id)),
      fd_advise: (fd: number, _offset: bigint, _len: bigint, advice: number) => {
        if (advice > 5) throw fsError('INVAL');
        this.fds.file(fd);
      },
      fd_allocate: (fd: number) => {
        this.fds.file(fd);
        throw fsError('NOTSUP', 'fd_allocate is not supported');
      },
      fd_close: (fd: number) => this.close(this.fds.take(fd)),
      fd_datasync: (fd: number) => this.sync(fd, true),
      fd_sync: (fd: number) => this.sync(fd, false),
      fd_fdstat_get: (fd: number, out: number) => this.fdstat(fd, out),
      fd_fdstat_set_flags: (fd: number, flags: number) => this.setFdflags(fd, flags),
      fd_fdstat_set_rights: (fd: number, base: bigint, inheriting: bigint) => {
        checkRights(base, inheriting);
        this.fds.node(fd);
        throw fsError('NOTSUP', 'rights cannot be changed');
      },
      fd_filestat_get: (fd: number, out: number) => this.fdFilestat(fd, out),
      fd_filestat_set_size: (fd: number, size: bigint) => {
        const { file } = this.fds.file(fd);
        if (size > i64Max) throw fsError('INVAL');
        this.volumeOf(file).setSize(file, Number(size));
      },
      fd_filestat_set_times: (fd: number, atim: bigint, mtim: bigint, flags: number) => {
        const [a, m] = timeChanges(atim, mtim, flags);
        const node = this.nodeOf(this.fds.node(fd));
        this.volumeOf(node).setTimes(node, a, m);
      },
      fd_pread: (fd: number, iovs: number, count: number, offset: bigint, out: number) =>
        this.pread(fd, iovs, count, offset, out),
      fd_pwrite: (fd: number, iovs: number, count: number, offset: bigint, out: number) =>
        this.pwrite(fd, iovs, count, offset, out),
      fd_prestat_get: (fd: number, out: number) => {
        const descriptor = this.fds.get(fd);
        if (descriptor.kind !== 'dir' || descriptor.preopenPath === undefined) throw fsError('BADF');
        this.memory.setU32(out, 0);
        this.memory.setU32(out + 4, encoder.encode(descriptor.preopenPath).length);
      },
      fd_prestat_dir_name: (fd: number, ptr: number, len: number) => {
        const descriptor = this.fds.get(fd);
        if (descriptor.kind !== 'dir' || descriptor.preopenPath === undefined) throw fsError('NOTDIR');
        const name = encoder.encode(descriptor.preopenPath);
        if (name.length > len) throw fsError('NAMETOOLONG');
        this.memory.writeBytes(ptr, name);
      },
      fd_read: (fd: number, iovs: number, count: number, out: number) => this.read(fd, iovs, count, out),
      fd_readdir: (fd: number, buf: number, len: number, cookie: bigint, out: number) =>
        this.readdir(fd, buf, len, cookie, out),
      fd_renumber: (from: number, to: number) => {
        const replaced = this.fds.renumber(from, to);
        if (replaced) this.close(replaced);
      },
      fd_seek: (fd: number, offset: bigint, whence: number, out: number) => this.seek(fd, offset, whence, out),
      fd_tell: (fd: number, out: number) => this.memory.setU64(out, this.isNullStdin(fd) ? 0n : BigInt(this.fds.seekable(fd).position)),
      fd_write: (fd: number, iovs: number, count: number, out: number) => this.write(fd, iovs, count, out),
      path_create_directory: (fd: number, ptr: number, len: number) => {
        const { dir } = this.fds.dir(fd);
        dir.volume.createDirectoryAt(dir, this.memory.string(ptr, len));
      },
      path_filestat_get: (fd: number, flags: number, ptr: number, len: number, out: number) => {
        const follow = lookupFollows(flags);
        const { dir } = this.fds.dir(fd);
        this.writeFilestat(out, dir.volume.statAt(dir, this.memory.string(ptr, len), follow));
      },
      path_filestat_set_times: (
        fd: number,
        flags: number,
        ptr: number,
        len: number,
        atim: bigint,
        mtim: bigint,
        fstflags: number,
      ) => {
        const [a, m] = timeChanges(atim, mtim, fstflags);
        const follow = lookupFollows(flags);
        const { dir } = this.fds.dir(fd);
        dir.volume.setTimesAt(dir, this.memory.string(ptr, len), follow, a, m);
      },
      path_link: (oldFd: number, oldFlags: number, oldPtr: number, oldLen: number, newFd: number, newPtr: number, newLen: number) => {
        const follow = lookupFollows(oldFlags);
        const from = this.fds.dir(oldFd).dir;
        const to = this.fds.dir(newFd).dir;
        if (follow) throw fsError('INVAL', 'path_link does not follow symlinks');
        from.volume.linkAt(from, this.memory.string(oldPtr, oldLen), false, to, this.memory.string(newPtr, newLen));
      },
      path_open: (
        fd: number,
        dirflags: number,
        ptr: number,
        len: number,
        oflags: number,
        base: bigint,
        inheriting: bigint,
        fdflags: number,
        out: number,
      ) => this.pathOpen(fd, dirflags, ptr, len, oflags, base, inheriting, fdflags, out),
      path_readlink: (fd: number, ptr: number, len: number, buf: number, bufLen: number, out: number) => {
        const { dir } = this.fds.dir(fd);
        const target = encoder.encode(dir.volume.readlinkAt(dir, this.memory.string(ptr, len)));
        const copied = target.subarray(0, bufLen);
        this.memory.writeBytes(buf, copied);
        this.memory.setU32(out, copied.length);
      },
      path_remove_directory: (fd: number, ptr: number, len: number) => {
        const { dir } = this.fds.dir(fd);
        dir.volume.removeDirectoryAt(dir, this.memory.string(ptr, len));
      },
      path_rename: (fd: number, oldPtr: number, oldLen: number, newFd: number, newPtr: number, newLen: number) => {
        const from = this.fds.dir(fd).dir;
        const to = this.fds.dir(newFd).dir;
        from.volume.renameAt(from, this.memory.string(oldPtr, oldLen), to, this.memory.string(newPtr, newLen));
      },
      path_symlink: (oldPtr: number, oldLen: number, fd: number, newPtr: number, newLen: number) => {
        const { dir } = this.fds.dir(fd);
        dir.volume.symlinkAt(this.memory.string(oldPtr, oldLen), dir, this.memory.string(newPtr, newLen));
      },
      path_unlink_file: (fd: number, ptr: number, len: number) => {
        const { dir } = this.fds.dir(fd);
        dir.volume.unlinkFileAt(dir, this.memory.string(ptr, len));
      },
      poll_oneoff: (input: number, output: number, count: number, out: number) => this.poll(input, output, count, out),
      proc_exit: (code: number) => {
        throw new ProcessExit(code >>> 0);
      },
      proc_raise: () => {
        throw fsError('NOTSUP', 'signals are not supported');
      },
      sched_yield: () => {},
      random_get: (ptr: number, len: number) => this.ctx.random.fill(this.memory.slice(ptr, len)),
      sock_accept: (fd: number) => this.notSocket(fd),
      sock_recv: (fd: number) => this.notSocket(fd),
      sock_send: (fd: number) => this.notSocket(fd),
      sock_shutdown: (fd: number) => this.notSocket(fd),
    };
    const imports: Record<string, Preview1Function> = {};
    const limiter = this.ctx.limiter;
    for (const [name, call] of Object.entries(calls)) {
      imports[name] = errnoResult(call, limiter === undefined || uncheckedCalls.has(name) ? undefined : { wait: limiter, detail: ` (during ${name})` });
    }
    return imports;
  }

  /** Closes everything the guest left open (the volumes close their handles too). */
  closeAll(): void {
    for (const [, descriptor] of this.fds.entries()) this.close(descriptor);
  }

  private close(descriptor: Descriptor): void {
    if (descriptor.kind === 'file') this.volumeOf(descriptor.file).close(descriptor.file);
    else if (descriptor.kind === 'dir') descriptor.dir.volume.close(descriptor.dir);
  }

  private volumeOf(node: ZoneNode) {
    return node.volume;
  }

  private sync(fd: number, dataOnly: boolean): void {
    const { file } = this.fds.file(fd);
    file.volume.sync(file, dataOnly);
  }

  private nodeOf(descriptor: FileDescriptor | DirDescriptor): ZoneNode {
    return descriptor.kind === 'file' ? descriptor.file : descriptor.dir;
  }

  private envStrings(): string[] {
    return this.ctx.env.map(([key, value]) => `${key}=${value}`);
  }

  private writeStrings(strings: readonly string[], pointers: number, buf: number): void {
    let offset = buf;
    strings.forEach((text, i) => {
      const bytes = encoder.encode(text);
      this.memory.setU32(pointers + i * 4, offset);
      this.memory.writeBytes(offset, bytes);
      this.memory.setU8(offset + bytes.length, 0);
      offset += bytes.length + 1;
    });
  }

  private writeSizes(strings: readonly string[], count: number, size: number): void {
    const total = strings.reduce((sum, text) => sum + encoder.encode(text).length + 1, 0);
    this.memory.setU32(count, strings.length);
    this.memory.setU32(size, total);
  }

  private clockResolution(id: number): bigint {
    this.checkClock(id);
    return this.ctx.clock.resolutionNs;
  }

  private clockNow(id: number): bigint {
    this.checkClock(id);
    return id === Clockid.REALTIME ? this.ctx.clock.wallNs() : this.ctx.clock.monotonicNs();
  }

  private checkClock(id: number): void {
    if (id === Clockid.PROCESS_CPUTIME_ID || id === Clockid.THREAD_CPUTIME_ID) {
      throw fsError('BADF', 'CPU-time clocks are not supported');
    }
    if (id !== Clockid.REALTIME && id !== Clockid.MONOTONIC) throw fsError('INVAL');
  }

  private fdstat(fd: number, out: number): void {
    const descriptor = this.fds.get(fd);
    let filetype: number;
    let flags = 0;
    let base: bigint;
    let inheriting: bigint;
    switch (descriptor.kind) {
      case 'stdin':
        filetype = stdinFiletype(descriptor.source);
        // wasi-libc's isatty() is a character device that cannot seek: /dev/null can.
        base = inheriting = descriptor.source.isNullDevice ? Rights.FD_READ | Rights.FD_SEEK | Rights.FD_TELL : Rights.FD_READ;
        break;
      case 'stdout':
      case 'stderr':
        filetype = descriptor.sink.isTerminal ? Filetype.CHARACTER_DEVICE : Filetype.UNKNOWN;
        base = inheriting = Rights.FD_WRITE;
        break;
      case 'dir':
        filetype = Filetype.DIRECTORY;
        if (descriptor.preopenPath !== undefined) {
          base = preopenRightsBase;
          inheriting = preopenRightsInheriting;
        } else {
          base = inheriting = directoryRights;
        }
        break;
      case 'file':
        filetype = descriptor.file.device ? Filetype.CHARACTER_DEVICE : Filetype.REGULAR_FILE;
        if (descriptor.append) flags |= Fdflags.APPEND;
        if (descriptor.nonblock) flags |= Fdflags.NONBLOCK;
        base = inheriting = fileRights(descriptor.file.readable, descriptor.file.writable);
        break;
    }
    this.memory.setU8(out, filetype);
    this.memory.setU8(out + 1, 0);
    this.memory.setU16(out + 2, flags);
    this.memory.setU32(out + 4, 0);
    this.memory.setU64(out + 8, base);
    this.memory.setU64(out + 16, inheriting);
  }

  private setFdflags(fd: number, flags: number): void {
    if (flags & ~fdflagsAll) throw fsError('INVAL');
    const descriptor = this.fds.file(fd);
    if (flags & (Fdflags.DSYNC | Fdflags.RSYNC | Fdflags.SYNC)) throw fsError('INVAL', 'sync flags are not supported');
    descriptor.append = (flags & Fdflags.APPEND) !== 0;
    descriptor.nonblock = (flags & Fdflags.NONBLOCK) !== 0;
  }

  private fdFilestat(fd: number, out: number): void {
    const descriptor = this.fds.get(fd);
    if (descriptor.kind === 'file' || descriptor.kind === 'dir') {
      const node = this.nodeOf(descriptor);
      this.writeFilestat(out, node.volume.stat(node));
      return;
    }
    const character = descriptor.kind === 'stdin' ? stdinFiletype(descriptor.source) === Filetype.CHARACTER_DEVICE : descriptor.sink.isTerminal;
    this.writeFilestat(out, {
      dev: 0n,
      ino: 0n,
      type: character ? 'character-device' : 'unknown',
      nlink: 0n,
      size: 0n,
      atimNs: 0n,
      mtimNs: 0n,
      ctimNs: 0n,
    });
  }

  private writeFilestat(out: number, stat: FileStat): void {
    const m = this.memory;
    m.setU64(out, stat.dev);
    m.setU64(out + 8, stat.ino);
    m.setU8(out + 16, filetypeCode(stat.type));
    for (let i = 17; i < 24; i++) m.setU8(out + i, 0);
    m.setU64(out + 24, stat.nlink);
    m.setU64(out + 32, stat.size);
    m.setU64(out + 40, stat.atimNs);
    m.setU64(out + 48, stat.mtimNs);
    m.setU64(out + 56, stat.ctimNs);
  }

  private read(fd: number, iovs: number, count: number, out: number): void {
    const buffers = this.memory.iovecs(iovs, count);
    const descriptor = this.fds.get(fd);
    if (descriptor.kind === 'stdin') {
      const target = buffers.find((b) => b.length > 0);
      if (!target) return this.memory.setU32(out, 0);
      const chunk = readInput(descriptor.source, target.length, this.ctx.limiter);
      this.memory.writeBytes(target.byteOffset, chunk);
      return this.memory.setU32(out, chunk.length);
    }
    if (descriptor.kind !== 'file') throw fsError('BADF', `fd ${fd} cannot be read`);
    const total = this.readInto(descriptor, buffers, descriptor.position);
    descriptor.position += total;
    this.memory.setU32(out, total);
  }

  private pread(fd: number, iovs: number, count: number, offset: bigint, out: number): void {
    const buffers = this.memory.iovecs(iovs, count);
    const descriptor = this.fds.get(fd);
    if (descriptor.kind === 'stdin') throw fsError('SPIPE');
    if (descriptor.kind !== 'file') throw fsError('BADF', `fd ${fd} cannot be read`);
    if (offset > i64Max) throw fsError('INVAL');
    this.memory.setU32(out, this.readInto(descriptor, buffers, Number(offset)));
  }

  private readInto(descriptor: FileDescriptor, buffers: Uint8Array[], position: number): number {
    const { file } = descriptor;
    let total = 0;
    for (const buffer of buffers) {
      if (buffer.length === 0) continue;
      const n = file.volume.read(file, buffer, position + total);
      total += n;
      if (n < buffer.length) break;
    }
    return total;
  }

  private write(fd: number, iovs: number, count: number, out: number): void {
    const buffers = this.memory.iovecs(iovs, count);
    const descriptor = this.fds.get(fd);
    if (descriptor.kind === 'stdout' || descriptor.kind === 'stderr') {
      const data = concatBytes(buffers);
      if (data.length > 0) descriptor.sink.write(data);
      return this.memory.setU32(out, data.length);
    }
    if (descriptor.kind !== 'file') throw fsError('BADF', `fd ${fd} cannot be written`);
    const { file } = descriptor;
    let total = 0;
    if (descriptor.append) {
      for (const buffer of buffers) {
        if (buffer.length === 0) continue;
        const { written, size } = file.volume.append(file, buffer);
        total += written;
        descriptor.position = size;
        if (written < buffer.length) break;
      }
    } else {
      for (const buffer of buffers) {
        if (buffer.length === 0) continue;
        const written = file.volume.write(file, buffer, descriptor.position);
        descriptor.position += written;
        total += written;
        if (written < buffer.length) break;
      }
    }
    this.memory.setU32(out, total);
  }

  private pwrite(fd: number, iovs: number, count: number, offset: bigint, out: number): void {
    const buffers = this.memory.iovecs(iovs, count);
    const descriptor = this.fds.get(fd);
    if (descriptor.kind === 'stdout' || descriptor.kind === 'stderr') throw fsError('SPIPE');
    if (descriptor.kind !== 'file') throw fsError('BADF', `fd ${fd} cannot be written`);
    if (offset > i64Max) throw fsError('INVAL');
    const { file } = descriptor;
    let total = 0;
    let position = Number(offset);
    for (const buffer of buffers) {
      if (buffer.length === 0) continue;
      const written = descriptor.append
        ? file.volume.append(file, buffer).written
        : file.volume.write(file, buffer, position);
      total += written;
      position += written;
      if (written < buffer.length) break;
    }
    this.memory.setU32(out, total);
  }

  /** Whether FD is a stdin that is always at its end, which seeks as `/dev/null` does: to 0. */
  private isNullStdin(fd: number): boolean {
    const descriptor = this.fds.get(fd);
    return descriptor.kind === 'stdin' && descriptor.source.isNullDevice === true;
  }

  private seek(fd: number, offset: bigint, whence: number, out: number): void {
    if (whence !== Whence.SET && whence !== Whence.CUR && whence !== Whence.END) throw fsError('INVAL');
    if (this.isNullStdin(fd)) return this.memory.setU64(out, 0n);
    const descriptor = this.fds.seekable(fd);
    const delta = BigInt.asIntN(64, offset);
    let base = 0n;
    if (whence === Whence.CUR) base = BigInt(descriptor.position);
    if (whence === Whence.END) base = descriptor.file.volume.stat(descriptor.file).size;
    const position = base + delta;
    if (position < 0n || position > BigInt(Number.MAX_SAFE_INTEGER)) throw fsError('INVAL');
    descriptor.position = Number(position);
    this.memory.setU64(out, position);
  }

  /**
   * One page of a directory listing, from entry COOKIE on. The listing is
   * read from the host once per pass (at cookie 0) and kept: each call costs
   * only the entries it returns, so paging through a huge directory is linear.
   */
  private readdir(fd: number, buf: number, len: number, cookie: bigint, out: number): void {
    const descriptor = this.fds.dir(fd);
    const { dir } = descriptor;
    if (cookie === 0n || descriptor.listing === undefined) descriptor.listing = dir.volume.readDir(dir);
    const listing = descriptor.listing;
    const dots = cookie < 2n ? dir.volume.stat(dir).ino : 0n;
    const total = listing.length + 2;
    const size = len >>> 0;
    let used = 0;
    for (let i = cookie < BigInt(total) ? Number(cookie) : total; i < total && used < size; i++) {
      const entry: DirEntry = i < 2 ? { name: i === 0 ? '.' : '..', type: 'directory', ino: dots } : listing[i - 2]!;
      const name = encoder.encode(entry.name);
      const record = new Uint8Array(24 + name.length);
      const header = new DataView(record.buffer);
      header.setBigUint64(0, BigInt(i + 1), true);
      header.setBigUint64(8, entry.ino, true);
      header.setUint32(16, name.length, true);
      header.setUint8(20, filetypeCode(entry.type));
      record.set(name, 24);
      const part = record.subarray(0, Math.min(record.length, size - used));
      this.memory.writeBytes(buf + used, part);
      used += part.length;
    }
    this.memory.setU32(out, used);
  }

  private pathOpen(
    fd: number,
    dirflags: number,
    ptr: number,
    len: number,
    oflags: number,
    base: bigint,
    inheriting: bigint,
    fdflags: number,
    out: number,
  ): void {
    const follow = lookupFollows(dirflags);
    if (oflags & ~oflagsAll) throw fsError('INVAL');
    if (fdflags & ~fdflagsAll) throw fsError('INVAL');
    checkRights(base, inheriting);
    const path = this.memory.string(ptr, len);
    const descriptor = this.fds.get(fd);
    if (descriptor.kind === 'file') throw fsError('NOTDIR', `fd ${fd} is a file`);
    if (descriptor.kind !== 'dir') throw fsError('BADF', `fd ${fd} is not a directory`);
    const request = openRequestOf({
      follow,
      create: (oflags & Oflags.CREAT) !== 0,
      exclusive: (oflags & Oflags.EXCL) !== 0,
      truncate: (oflags & Oflags.TRUNC) !== 0,
      directory: (oflags & Oflags.DIRECTORY) !== 0,
      read: (base & Rights.FD_READ) !== 0n,
      write: (base & Rights.FD_WRITE) !== 0n,
      sync: (fdflags & (Fdflags.DSYNC | Fdflags.RSYNC | Fdflags.SYNC)) !== 0,
    });
    const { dir } = descriptor;
    const node = dir.volume.openAt(dir, path, request);
    const opened: Descriptor =
      node.kind === 'directory'
        ? { kind: 'dir', dir: node, preopenPath: undefined }
        : {
            kind: 'file',
            file: node,
            position: 0,
            append: (fdflags & Fdflags.APPEND) !== 0,
            nonblock: (fdflags & Fdflags.NONBLOCK) !== 0,
          };
    let newFd: number;
    try {
      newFd = this.fds.push(opened);
    } catch (error) {
      this.close(opened);
      throw error;
    }
    this.memory.setU32(out, newFd);
  }

  private poll(input: number, output: number, count: number, out: number): void {
    if (count === 0) throw fsError('INVAL', 'poll_oneoff needs at least one subscription');
    const m = this.memory;
    const clock = this.ctx.clock;
    const now = clock.monotonicNs();
    const clocks: { userdata: bigint; deadline: bigint }[] = [];
    const ready: { userdata: bigint; type: number; nbytes: bigint; flags: number }[] = [];
    for (let i = 0; i < count; i++) {
      const sub = input + i * 48;
      const userdata = m.u64(sub);
      const tag = m.u8(sub + 8);
      if (tag === Eventtype.CLOCK) {
        const id = m.u32(sub + 16);
        const timeout = m.u64(sub + 24);
        const absolute = (m.u16(sub + 40) & SUBCLOCKFLAGS_ABSTIME) !== 0;
        if (id !== Clockid.REALTIME && id !== Clockid.MONOTONIC) throw fsError('INVAL', 'unsupported clock');
        let deadline = now + timeout;
        if (absolute) deadline = id === Clockid.MONOTONIC ? timeout : now + (timeout - clock.wallNs());
        clocks.push({ userdata, deadline });
      } else if (tag === Eventtype.FD_READ || tag === Eventtype.FD_WRITE) {
        const fd = m.u32(sub + 16);
        const descriptor = this.fds.get(fd);
        if (tag === Eventtype.FD_READ) {
          if (descriptor.kind === 'stdin') ready.push({ userdata, type: tag, nbytes: 1n, flags: 0 });
          else if (descriptor.kind === 'file') {
            const { file } = descriptor;
            const left = file.volume.stat(file).size - BigInt(descriptor.position);
            const nbytes = left > 0n ? left : 0n;
            ready.push({ userdata, type: tag, nbytes, flags: nbytes === 0n ? EVENTRWFLAGS_HANGUP : 0 });
          } else throw fsError('BADF', `fd ${fd} cannot be polled for reading`);
        } else if (descriptor.kind === 'stdout' || descriptor.kind === 'stderr' || descriptor.kind === 'file') {
          ready.push({ userdata, type: tag, nbytes: 1n, flags: 0 });
        } else throw fsError('BADF', `fd ${fd} cannot be polled for writing`);
      } else {
        throw fsError('INVAL', 'unknown subscription type');
      }
    }
    if (ready.length === 0 && clocks.length > 0) {
      const first = clocks.reduce((a, b) => (b.deadline < a.deadline ? b : a)).deadline;
      const wait = first - clock.monotonicNs();
      if (wait > 0n) clock.sleep(wait);
    }
    const after = clock.monotonicNs();
    const events = [...ready];
    for (const sub of clocks) {
      if (sub.deadline <= after) events.push({ userdata: sub.userdata, type: Eventtype.CLOCK, nbytes: 0n, flags: 0 });
    }
    events.forEach((event, i) => {
      const at = output + i * 32;
      m.setU64(at, event.userdata);
      m.setU16(at + 8, 0);
      m.setU8(at + 10, event.type);
      for (let b = 11; b < 16; b++) m.setU8(at + b, 0);
      m.setU64(at + 16, event.nbytes);
      m.setU16(at + 24, event.flags);
      for (let b = 26; b < 32; b++) m.setU8(at + b, 0);
    });
    m.setU32(out, events.length);
  }

  private notSocket(fd: number): void {
    this.fds.get(fd);
    throw fsError('NOTSOCK', 'sockets are not available');
  }
}

/**
 * Calls not followed by a deadline check: those that never wait on the host
 * (arguments, clocks, random bytes…), and reads and writes, the hot path,
 * which wait only on stdin and output, whose waits end at the deadline
 * themselves (a check after each would cost a clock read per write).
 */
const uncheckedCalls = new Set([
  'fd_read',
  'fd_write',
  'fd_pread',
  'fd_pwrite',
  'fd_seek',
  'fd_tell',
  'args_get',
  'args_sizes_get',
  'environ_get',
  'environ_sizes_get',
  'clock_res_get',
  'clock_time_get',
  'fd_prestat_get',
  'fd_prestat_dir_name',
  'proc_exit',
  'proc_raise',
  'random_get',
  'sched_yield',
]);

/**
 * Turns a host call into a preview1 function returning an errno. With
 * LIMITS, a call that touches the host (files, directories, stdio) is
 * followed by a check of the run's deadline and cancellation: one that took
 * the run past its deadline ends it there, whatever it returned.
 */
function errnoResult(call: (...args: never[]) => void | number, limits?: { wait: BlockingWait; detail: string }): Preview1Function {
  return (...args: never[]) => {
    let errno: number = Errno.SUCCESS;
    try {
      call(...args);
    } catch (error) {
      if (!(error instanceof FsError)) throw error;
      errno = Errno[error.errno];
    }
    limits?.wait.checkpoint(limits.detail);
    return errno;
  };
}

/** How fd 0 looks to the guest: a terminal or `/dev/null` is a character device; a pipe, as in wasmtime, is `unknown`. */
function stdinFiletype(source: InputSource): number {
  return source.isTerminal || source.isNullDevice ? Filetype.CHARACTER_DEVICE : Filetype.UNKNOWN;
}

/**
 * The run's working directory as a preopen named `.` (none when it is `/`).
 * Preview1 has no working-directory setting: wasi-libc keeps its own (`/`
 * at start) and resolves a relative path, as any path, against the preopen
 * with the longest matching name, where `.` counts as `/`. Preopened last,
 * it wins over the mount-point root, so `rg PATTERN` searches it and
 * `cat notes.txt` reads it, as in `wasmtime --dir .`; paths under a zone
 * still reach that zone. A working directory that does not resolve is left out.
 */
function lookupFollows(flags: number): boolean {
  if (flags & ~LOOKUP_SYMLINK_FOLLOW) throw fsError('INVAL');
  return (flags & LOOKUP_SYMLINK_FOLLOW) !== 0;
}

function checkRights(base: bigint, inheriting: bigint): void {
  if (base & ~rightsAll || inheriting & ~rightsAll) throw fsError('INVAL', 'unknown rights');
}

function timeChanges(atim: bigint, mtim: bigint, flags: number): [TimeChange, TimeChange] {
  if (flags & ~fstflagsAll) throw fsError('INVAL');
  const pick = (value: bigint, set: number, now: number): TimeChange => {
    if (flags & set && flags & now) throw fsError('INVAL', 'a time cannot be both given and now');
    if (flags & set) return value;
    if (flags & now) return 'now';
    return undefined;
  };
  return [pick(atim, Fstflags.ATIM, Fstflags.ATIM_NOW), pick(mtim, Fstflags.MTIM, Fstflags.MTIM_NOW)];
}

function filetypeCode(type: FileType): number {
  switch (type) {
    case 'directory':
      return Filetype.DIRECTORY;
    case 'regular-file':
      return Filetype.REGULAR_FILE;
    case 'symbolic-link':
      return Filetype.SYMBOLIC_LINK;
    case 'block-device':
      return Filetype.BLOCK_DEVICE;
    case 'character-device':
      return Filetype.CHARACTER_DEVICE;
    case 'socket':
      return Filetype.SOCKET_STREAM;
    default:
      return Filetype.UNKNOWN;
  }
}
