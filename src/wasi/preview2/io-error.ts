import type { ErrnoError } from '../../errno.js';
import { dispose, type Interfaces } from './resource.js';

/**
 * `wasi:io/error` `error`: why a stream operation failed. It carries the
 * WASI host's {@link ErrnoError}, so `filesystem-error-code` can report the errno the
 * preview1 adapter then hands to the program (EPIPE, ENOSPC, EBADF…).
 */
export class IoError {
  constructor(readonly failure: ErrnoError) {}

  toDebugString(): string {
    return this.failure.toString();
  }

  [dispose](): void {}
}

export const ioErrorInterfaces: Interfaces = {
  'wasi:io/error': { Error: IoError },
};
