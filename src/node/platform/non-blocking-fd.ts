import { constants, fstatSync, openSync } from 'node:fs';
import { Socket } from 'node:net';

/**
 * The non-blocking fd of each host pipe, terminal or socket already used (by
 * fd, direction, device and inode), shared by the runs of the process: one
 * opening each, never closed. A socket's entry holds the `net.Socket` that
 * keeps it non-blocking (closing that would close the fd).
 */
const nonBlocking = new Map<string, { fd: number; socket?: Socket }>();

/**
 * An fd to do I/O on FD's pipe, terminal or socket without blocking (EAGAIN
 * when it is not ready), or FD itself where there is no way (then a read or
 * write may block, and the run is stopped only when it returns). A pipe or a
 * terminal is opened again through `/proc/self/fd` with O_NONBLOCK: a file
 * description of our own, so the flag touches no other process holding the
 * same pipe or terminal (output goes only to pipes this way: a terminal does
 * not hold writes back). A socket (Node's child_process gives its children
 * socket pairs) cannot be opened again: libuv makes it non-blocking when a
 * `net.Socket` takes it, and Node restores the flag when the process exits.
 * Regular files and devices never block for long.
 */
export function nonBlockingFd(fd: number, direction: 'read' | 'write'): number {
  return tryNonBlockingFd(fd, direction) ?? fd;
}

/** FD's non-blocking fd as {@link nonBlockingFd} finds it, FD itself where it never blocks for long, undefined where there is no way. */
export function tryNonBlockingFd(fd: number, direction: 'read' | 'write'): number | undefined {
  try {
    const stat = fstatSync(fd);
    const reopen = stat.isFIFO() || (direction === 'read' && stat.isCharacterDevice());
    if (!reopen && !stat.isSocket()) return fd;
    const key = `${fd}:${direction}:${stat.dev}:${stat.ino}`;
    let entry = nonBlocking.get(key);
    if (entry === undefined) {
      const flags = (direction === 'read' ? constants.O_RDONLY : constants.O_WRONLY) | constants.O_NONBLOCK | constants.O_NOCTTY;
      entry = reopen ? { fd: openSync(`/proc/self/fd/${fd}`, flags) } : { fd, socket: new Socket({ fd, readable: false, writable: false }) };
      nonBlocking.set(key, entry);
    }
    return entry.fd;
  } catch {
    // No /proc (not Linux), a pipe without a reader, or a socket libuv cannot take.
    return undefined;
  }
}
