import { errnoError } from '../../errno.js';
import type { HostCalls, HostState } from './host-state.js';

/**
 * `sock_*`: core modules get no sockets (the network is for components), so
 * every descriptor is ENOTSOCK, and one that is not open EBADF.
 */
export function socketCalls({ fds }: HostState): HostCalls {
  const notSocket = (fd: number): void => {
    fds.get(fd);
    throw errnoError('NOTSOCK', 'sockets are not available');
  };
  return {
    sock_accept: (fd: number) => notSocket(fd),
    sock_recv: (fd: number) => notSocket(fd),
    sock_send: (fd: number) => notSocket(fd),
    sock_shutdown: (fd: number) => notSocket(fd),
  };
}
