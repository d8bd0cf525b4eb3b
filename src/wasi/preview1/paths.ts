import { errnoError } from '../../errno.js';
import { linkSourceFollows } from '../common/link-source.js';
import { openRequestOf } from '../common/open-request.js';
import { Fdflags, fdflagsAll, Oflags, oflagsAll, Rights } from './constants.js';
import { closeDescriptor, type Descriptor } from './descriptors.js';
import { writeFilestat } from './filestat.js';
import { checkRights, lookupFollows, timeChanges } from './flags.js';
import type { HostCalls, HostState } from './host-state.js';

const encoder = new TextEncoder();

/**
 * `path_*`: the filesystem beneath a directory descriptor. Each call is one
 * zone call, which resolves the path inside the zone, applies its access and
 * quota, and audits refusals; the rules both faces share (opening, links)
 * come from the WASI core.
 */
export function pathCalls({ memory, fds }: HostState): HostCalls {
  const pathOpen = (
    fd: number,
    dirflags: number,
    ptr: number,
    len: number,
    oflags: number,
    base: bigint,
    inheriting: bigint,
    fdflags: number,
    out: number,
  ): void => {
    const follow = lookupFollows(dirflags);
    if (oflags & ~oflagsAll) throw errnoError('INVAL');
    if (fdflags & ~fdflagsAll) throw errnoError('INVAL');
    checkRights(base, inheriting);
    const path = memory.string(ptr, len);
    const descriptor = fds.get(fd);
    if (descriptor.kind === 'file') throw errnoError('NOTDIR', `fd ${fd} is a file`);
    if (descriptor.kind !== 'dir') throw errnoError('BADF', `fd ${fd} is not a directory`);
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
      newFd = fds.push(opened);
    } catch (error) {
      closeDescriptor(opened);
      throw error;
    }
    memory.setU32(out, newFd);
  };

  return {
    path_create_directory: (fd: number, ptr: number, len: number) => {
      const { dir } = fds.dir(fd);
      dir.volume.createDirectoryAt(dir, memory.string(ptr, len));
    },
    path_filestat_get: (fd: number, flags: number, ptr: number, len: number, out: number) => {
      const follow = lookupFollows(flags);
      const { dir } = fds.dir(fd);
      writeFilestat(memory, out, dir.volume.statAt(dir, memory.string(ptr, len), follow));
    },
    path_filestat_set_times: (fd: number, flags: number, ptr: number, len: number, atim: bigint, mtim: bigint, fstflags: number) => {
      const [a, m] = timeChanges(atim, mtim, fstflags);
      const follow = lookupFollows(flags);
      const { dir } = fds.dir(fd);
      dir.volume.setTimesAt(dir, memory.string(ptr, len), follow, a, m);
    },
    path_link: (oldFd: number, oldFlags: number, oldPtr: number, oldLen: number, newFd: number, newPtr: number, newLen: number) => {
      const follow = lookupFollows(oldFlags);
      const from = fds.dir(oldFd).dir;
      const to = fds.dir(newFd).dir;
      from.volume.linkAt(from, memory.string(oldPtr, oldLen), linkSourceFollows(follow), to, memory.string(newPtr, newLen));
    },
    path_open: pathOpen,
    path_readlink: (fd: number, ptr: number, len: number, buf: number, bufLen: number, out: number) => {
      const { dir } = fds.dir(fd);
      const target = encoder.encode(dir.volume.readlinkAt(dir, memory.string(ptr, len)));
      const copied = target.subarray(0, bufLen);
      memory.writeBytes(buf, copied);
      memory.setU32(out, copied.length);
    },
    path_remove_directory: (fd: number, ptr: number, len: number) => {
      const { dir } = fds.dir(fd);
      dir.volume.removeDirectoryAt(dir, memory.string(ptr, len));
    },
    path_rename: (fd: number, oldPtr: number, oldLen: number, newFd: number, newPtr: number, newLen: number) => {
      const from = fds.dir(fd).dir;
      const to = fds.dir(newFd).dir;
      from.volume.renameAt(from, memory.string(oldPtr, oldLen), to, memory.string(newPtr, newLen));
    },
    path_symlink: (oldPtr: number, oldLen: number, fd: number, newPtr: number, newLen: number) => {
      const { dir } = fds.dir(fd);
      dir.volume.symlinkAt(memory.string(oldPtr, oldLen), dir, memory.string(newPtr, newLen));
    },
    path_unlink_file: (fd: number, ptr: number, len: number) => {
      const { dir } = fds.dir(fd);
      dir.volume.unlinkFileAt(dir, memory.string(ptr, len));
    },
  };
}
