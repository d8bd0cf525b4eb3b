import { fstatSync, readSync, writeSync } from 'node:fs';
import { nonBlockingFd } from './non-blocking-fd.js';
import { blockFor } from '../../limits/clock.js';
import type { InputSource } from '../../wasi/common/stdio.js';
import type { BlockingWait } from '../../limits/blocking-wait.js';
import { errnoError } from '../../errno.js';

/** The first and the longest wait between two tries of a non-blocking fd that is not ready. */
const firstIdleMs = 0.5;
const longestIdleMs = 20;

/**
 * Waits before the next try of a non-blocking fd that answered EAGAIN: the
 * waits grow from IDLE to {@link longestIdleMs} and end at WAIT's deadline,
 * where (or at a cancel) `checkpoint` ends the run. Returns the next wait.
 */
function idle(idleMs: number, wait: BlockingWait | undefined, detail: string): number {
  wait?.checkpoint(detail);
  blockFor(Math.min(idleMs, (wait?.deadline ?? Infinity) - performance.now()));
  return Math.min(idleMs * 2, longestIdleMs);
}

/**
 * Writes all of `data` to a host fd synchronously. A full pipe that does not
 * block (ours, or one another process left non-blocking) answers EAGAIN:
 * wait and retry, until WAIT's deadline.
 */
export function writeAllSync(fd: number, data: Uint8Array, wait?: BlockingWait): void {
  let offset = 0;
  let idleMs = firstIdleMs;
  while (offset < data.length) {
    try {
      offset += writeSync(fd, data, offset, data.length - offset);
      idleMs = firstIdleMs;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      idleMs = idle(idleMs, wait, ' (while writing its output)');
    }
  }
}

/** Writes all of TEXT (UTF-8) to a host fd, as {@link writeAllSync} does. */
export function writeTextSync(fd: number, text: string): void {
  writeAllSync(fd, new TextEncoder().encode(text));
}

/**
 * A guest output stream that writes through to host fd FD, without blocking
 * past the run's deadline when the reader stops reading (see
 * {@link nonBlockingFd}). A reader that went away (EPIPE: `goodbot exec --
 * yes | head`) is the guest's broken pipe, not a host failure: its write
 * fails with EPIPE, as it would natively.
 */
export function hostOutput(fd: number): (chunk: Uint8Array, wait?: BlockingWait) => void {
  return (chunk, wait) => {
    try {
      writeAllSync(nonBlockingFd(fd, 'write'), chunk, wait);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EPIPE') throw errnoError('PIPE');
      throw error;
    }
  };
}

/** Bytes of a host stdin read before a run, and whether they were all of it (the writer had closed it). */
export interface StdinRead {
  readonly bytes: Uint8Array;
  readonly ended: boolean;
}

/**
 * A host fd (stdin, fd 0, for `goodbot exec`), read on demand. A pipe or a
 * terminal is read without blocking, waiting in slices that end at the run's
 * deadline or cancellation (see {@link nonBlockingFd}), so a stdin that
 * stays open without data cannot hold a run past its deadline. `/dev/null`
 * (a character device that is no terminal) reaches the guest as such.
 */
export class HostStdin implements InputSource {
  readonly isNullDevice: boolean;
  private ended: boolean;
  private pending: Uint8Array;

  /** ALREADY_READ: what this process read of FD before (the guest gets it first) and whether that was all. */
  constructor(
    readonly isTerminal: boolean,
    private readonly fd = 0,
    alreadyRead?: StdinRead,
  ) {
    this.isNullDevice = !isTerminal && alreadyRead === undefined && isCharacterDevice(fd);
    this.pending = alreadyRead?.bytes ?? new Uint8Array(0);
    this.ended = alreadyRead?.ended ?? false;
  }

  read(max: number, wait?: BlockingWait): Uint8Array {
    if (this.pending.length > 0) {
      const chunk = this.pending.subarray(0, max);
      this.pending = this.pending.subarray(chunk.length);
      return chunk;
    }
    if (this.ended) return new Uint8Array(0);
    const reader = nonBlockingFd(this.fd, 'read');
    const buffer = new Uint8Array(Math.min(max, 1 << 20));
    for (let idleMs = firstIdleMs; ;) {
      try {
        const n = readSync(reader, buffer, 0, buffer.length, null);
        if (n === 0) this.ended = true;
        return buffer.subarray(0, n);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EOF') {
          this.ended = true;
          return new Uint8Array(0);
        }
        if (code !== 'EAGAIN') throw error;
        idleMs = idle(idleMs, wait, ' (while reading stdin)');
      }
    }
  }
}

function isCharacterDevice(fd: number): boolean {
  try {
    return fstatSync(fd).isCharacterDevice();
  } catch {
    return false;
  }
}
