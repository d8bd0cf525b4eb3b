import { readSync, writeSync } from 'node:fs';
import { blockFor } from '../wasi/core/clock.js';
import type { InputSource } from '../wasi/core/stdio.js';
import { fsError } from '../zones/errno.js';

/**
 * Writes all of `data` to a host fd synchronously. A pipe left non-blocking by
 * another process answers EAGAIN when full: wait briefly and retry.
 */
export function writeAllSync(fd: number, data: Uint8Array): void {
  let offset = 0;
  while (offset < data.length) {
    try {
      offset += writeSync(fd, data, offset, data.length - offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      blockFor(1);
    }
  }
}

/**
 * A guest output stream that writes through to host fd FD. A reader that went
 * away (EPIPE: `goodbot exec -- yes | head`) is the guest's broken pipe, not a
 * host failure: its write fails with EPIPE, as it would natively.
 */
export function hostOutput(fd: number): (chunk: Uint8Array) => void {
  return (chunk) => {
    try {
      writeAllSync(fd, chunk);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EPIPE') throw fsError('PIPE');
      throw error;
    }
  };
}

/** A host fd (stdin, fd 0, for `goodbot exec`), read on demand and blocking. */
export class HostStdin implements InputSource {
  private ended = false;
  constructor(
    readonly isTerminal: boolean,
    private readonly fd = 0,
  ) {}

  read(max: number): Uint8Array {
    if (this.ended) return new Uint8Array(0);
    const buffer = new Uint8Array(Math.min(max, 1 << 20));
    for (;;) {
      try {
        const n = readSync(this.fd, buffer, 0, buffer.length, null);
        if (n === 0) this.ended = true;
        return buffer.subarray(0, n);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          blockFor(5);
          continue;
        }
        if (code === 'EOF') {
          this.ended = true;
          return new Uint8Array(0);
        }
        throw error;
      }
    }
  }
}
