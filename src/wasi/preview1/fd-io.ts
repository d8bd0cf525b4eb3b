import { concatBytes } from '../../bytes.js';
import { errnoError } from '../../errno.js';
import { fileOffset, seekTarget, writeOffset } from '../common/file-offsets.js';
import { readInput } from '../common/stdio.js';
import { Whence } from './constants.js';
import type { FileDescriptor } from './descriptors.js';
import type { HostCalls, HostState } from './host-state.js';

/**
 * `fd_read`, `fd_write`, their positional forms, `fd_seek` and `fd_tell`:
 * bytes in and out of stdio and files. The host keeps file positions (as
 * wasmtime does), so every file access is positional underneath; the
 * offsets a guest gives pass the core's rules (`file-offsets.ts`).
 */
export function fdIoCalls(host: HostState): HostCalls {
  const { memory, fds } = host;

  /** Whether FD is a stdin that is always at its end, which seeks as `/dev/null` does: to 0. */
  const isNullStdin = (fd: number): boolean => {
    const descriptor = fds.get(fd);
    return descriptor.kind === 'stdin' && descriptor.source.isNullDevice === true;
  };

  return {
    fd_read: (fd: number, iovs: number, count: number, out: number) => {
      const buffers = memory.iovecs(iovs, count);
      const descriptor = fds.get(fd);
      if (descriptor.kind === 'stdin') {
        const target = buffers.find((b) => b.length > 0);
        if (!target) return memory.setU32(out, 0);
        const chunk = readInput(descriptor.source, target.length, host.ctx.limiter);
        memory.writeBytes(target.byteOffset, chunk);
        return memory.setU32(out, chunk.length);
      }
      if (descriptor.kind !== 'file') throw errnoError('BADF', `fd ${fd} cannot be read`);
      const total = readInto(descriptor, buffers, descriptor.position);
      descriptor.position += total;
      memory.setU32(out, total);
    },

    fd_pread: (fd: number, iovs: number, count: number, offset: bigint, out: number) => {
      const buffers = memory.iovecs(iovs, count);
      const descriptor = fds.get(fd);
      if (descriptor.kind === 'stdin') throw errnoError('SPIPE');
      if (descriptor.kind !== 'file') throw errnoError('BADF', `fd ${fd} cannot be read`);
      memory.setU32(out, readInto(descriptor, buffers, fileOffset(offset)));
    },

    fd_write: (fd: number, iovs: number, count: number, out: number) => {
      const buffers = memory.iovecs(iovs, count);
      const descriptor = fds.get(fd);
      if (descriptor.kind === 'stdout' || descriptor.kind === 'stderr') {
        // One buffer goes as it is, a view of the guest's memory: a sink that keeps it copies it (see OutputSink).
        const data = buffers.length === 1 ? buffers[0]! : concatBytes(buffers);
        if (data.length > 0) descriptor.sink.write(data);
        return memory.setU32(out, data.length);
      }
      if (descriptor.kind !== 'file') throw errnoError('BADF', `fd ${fd} cannot be written`);
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
        writeOffset(BigInt(descriptor.position), byteLength(buffers));
        for (const buffer of buffers) {
          if (buffer.length === 0) continue;
          const written = file.volume.write(file, buffer, descriptor.position);
          descriptor.position += written;
          total += written;
          if (written < buffer.length) break;
        }
      }
      memory.setU32(out, total);
    },

    fd_pwrite: (fd: number, iovs: number, count: number, offset: bigint, out: number) => {
      const buffers = memory.iovecs(iovs, count);
      const descriptor = fds.get(fd);
      if (descriptor.kind === 'stdout' || descriptor.kind === 'stderr') throw errnoError('SPIPE');
      if (descriptor.kind !== 'file') throw errnoError('BADF', `fd ${fd} cannot be written`);
      const { file } = descriptor;
      let total = 0;
      // In append mode the offset is ignored (Linux's pwrite, wasmtime): the bytes go at the end.
      let position = descriptor.append ? 0 : writeOffset(offset, byteLength(buffers));
      for (const buffer of buffers) {
        if (buffer.length === 0) continue;
        const written = descriptor.append ? file.volume.append(file, buffer).written : file.volume.write(file, buffer, position);
        total += written;
        position += written;
        if (written < buffer.length) break;
      }
      memory.setU32(out, total);
    },

    fd_seek: (fd: number, offset: bigint, whence: number, out: number) => {
      if (whence !== Whence.SET && whence !== Whence.CUR && whence !== Whence.END) throw errnoError('INVAL');
      if (isNullStdin(fd)) return memory.setU64(out, 0n);
      const descriptor = fds.seekable(fd);
      let base: number | bigint = 0;
      if (whence === Whence.CUR) base = descriptor.position;
      if (whence === Whence.END) base = descriptor.file.volume.stat(descriptor.file).size;
      descriptor.position = seekTarget(base, offset);
      memory.setU64(out, BigInt(descriptor.position));
    },

    fd_tell: (fd: number, out: number) => memory.setU64(out, isNullStdin(fd) ? 0n : BigInt(fds.seekable(fd).position)),
  };
}

/** Reads into BUFFERS in order from POSITION; stops at the first short read. */
function readInto(descriptor: FileDescriptor, buffers: Uint8Array[], position: number): number {
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

function byteLength(buffers: readonly Uint8Array[]): number {
  return buffers.reduce((sum, buffer) => sum + buffer.length, 0);
}
