import { errnoError } from '../../errno.js';
import { closeDescriptor } from './descriptors.js';
import type { HostCalls, HostState } from './host-state.js';

const encoder = new TextEncoder();

/**
 * `fd_close`, `fd_renumber` and `fd_prestat_*`: the descriptor numbers
 * themselves, and which of them were preopened under which guest path.
 */
export function fdNumberCalls({ memory, fds }: HostState): HostCalls {
  return {
    fd_close: (fd: number) => closeDescriptor(fds.take(fd)),
    fd_renumber: (from: number, to: number) => {
      const replaced = fds.renumber(from, to);
      if (replaced) closeDescriptor(replaced);
    },
    fd_prestat_get: (fd: number, out: number) => {
      const descriptor = fds.get(fd);
      if (descriptor.kind !== 'dir' || descriptor.preopenPath === undefined) throw errnoError('BADF');
      memory.setU32(out, 0);
      memory.setU32(out + 4, encoder.encode(descriptor.preopenPath).length);
    },
    fd_prestat_dir_name: (fd: number, ptr: number, len: number) => {
      const descriptor = fds.get(fd);
      if (descriptor.kind !== 'dir' || descriptor.preopenPath === undefined) throw errnoError('NOTDIR');
      const name = encoder.encode(descriptor.preopenPath);
      if (name.length > len) throw errnoError('NAMETOOLONG');
      memory.writeBytes(ptr, name);
    },
  };
}
