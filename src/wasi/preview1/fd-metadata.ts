import { errnoError } from '../../errno.js';
import type { ZoneNode } from '../../zones/volume.js';
import { checkAdviceLength, fileSize } from '../common/file-offsets.js';
import { directoryRights, Fdflags, fdflagsAll, fileRights, Filetype, preopenRightsBase, preopenRightsInheriting, Rights } from './constants.js';
import type { DirDescriptor, FileDescriptor } from './descriptors.js';
import { stdinFiletype, writeFilestat } from './filestat.js';
import { checkRights, timeChanges } from './flags.js';
import type { HostCalls, HostState } from './host-state.js';

/**
 * `fd_fdstat_*`, `fd_filestat_*`, `fd_advise`, `fd_allocate` and the syncs:
 * what a descriptor is and may do, and its file's size and times. Rights are
 * reported as wasmtime reports them and cannot be changed.
 */
export function fdMetadataCalls(host: HostState): HostCalls {
  const { memory, fds } = host;

  const sync = (fd: number, dataOnly: boolean): void => {
    const { file } = fds.file(fd);
    file.volume.sync(file, dataOnly);
  };

  const fdstat = (fd: number, out: number): void => {
    const descriptor = fds.get(fd);
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
    memory.setU8(out, filetype);
    memory.setU8(out + 1, 0);
    memory.setU16(out + 2, flags);
    memory.setU32(out + 4, 0);
    memory.setU64(out + 8, base);
    memory.setU64(out + 16, inheriting);
  };

  const setFdflags = (fd: number, flags: number): void => {
    if (flags & ~fdflagsAll) throw errnoError('INVAL');
    const descriptor = fds.file(fd);
    if (flags & (Fdflags.DSYNC | Fdflags.RSYNC | Fdflags.SYNC)) throw errnoError('INVAL', 'sync flags are not supported');
    descriptor.append = (flags & Fdflags.APPEND) !== 0;
    descriptor.nonblock = (flags & Fdflags.NONBLOCK) !== 0;
  };

  const filestat = (fd: number, out: number): void => {
    const descriptor = fds.get(fd);
    if (descriptor.kind === 'file' || descriptor.kind === 'dir') {
      const node = nodeOf(descriptor);
      writeFilestat(memory, out, node.volume.stat(node));
      return;
    }
    const character = descriptor.kind === 'stdin' ? stdinFiletype(descriptor.source) === Filetype.CHARACTER_DEVICE : descriptor.sink.isTerminal;
    writeFilestat(memory, out, {
      dev: 0n,
      ino: 0n,
      type: character ? 'character-device' : 'unknown',
      nlink: 0n,
      size: 0n,
      atimNs: 0n,
      mtimNs: 0n,
      ctimNs: 0n,
    });
  };

  return {
    fd_advise: (fd: number, _offset: bigint, len: bigint, advice: number) => {
      if (advice > 5) throw errnoError('INVAL');
      fds.file(fd);
      checkAdviceLength(len);
    },
    fd_allocate: (fd: number) => {
      fds.file(fd);
      throw errnoError('NOTSUP', 'fd_allocate is not supported');
    },
    fd_datasync: (fd: number) => sync(fd, true),
    fd_sync: (fd: number) => sync(fd, false),
    fd_fdstat_get: (fd: number, out: number) => fdstat(fd, out),
    fd_fdstat_set_flags: (fd: number, flags: number) => setFdflags(fd, flags),
    fd_fdstat_set_rights: (fd: number, base: bigint, inheriting: bigint) => {
      checkRights(base, inheriting);
      fds.node(fd);
      throw errnoError('NOTSUP', 'rights cannot be changed');
    },
    fd_filestat_get: (fd: number, out: number) => filestat(fd, out),
    fd_filestat_set_size: (fd: number, size: bigint) => {
      const { file } = fds.file(fd);
      file.volume.setSize(file, fileSize(size));
    },
    fd_filestat_set_times: (fd: number, atim: bigint, mtim: bigint, flags: number) => {
      const [a, m] = timeChanges(atim, mtim, flags);
      const node = nodeOf(fds.node(fd));
      node.volume.setTimes(node, a, m);
    },
  };
}

function nodeOf(descriptor: FileDescriptor | DirDescriptor): ZoneNode {
  return descriptor.kind === 'file' ? descriptor.file : descriptor.dir;
}
