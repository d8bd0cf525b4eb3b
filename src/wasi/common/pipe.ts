import { errnoError } from '../../errno.js';
import type { BlockingWait } from '../../limits/blocking-wait.js';

/**
 * A pipe between two threads (or two ends in one thread): a bounded byte
 * ring in a SharedArrayBuffer. A writer that finds it full waits for the
 * reader, so a producer never runs ahead of its consumer by more than the
 * capacity; a reader that closes its end wakes a waiting writer, whose
 * write then fails with EPIPE, so `yes | head -2` ends as soon as `head`
 * does. Blocking ends (`PipeReader`, `PipeWriter`) serve guests, which
 * wait with `Atomics.wait` in slices that honour the run's deadline;
 * asynchronous ends (`readAsync`, `writeAsync`) serve the shell, which
 * must not block its thread.
 *
 * The header holds six 32-bit cells; positions count bytes modulo 2^32,
 * so the fill is `(written - read) >>> 0`.
 */
const READ = 0;
const WRITTEN = 1;
const READER_CLOSED = 2;
const WRITER_CLOSED = 3;
/** Bumped on every write and on the writer's close: what a waiting reader waits on. */
const DATA_SIGNAL = 4;
/** Bumped on every read and on the reader's close: what a waiting writer waits on. */
const SPACE_SIGNAL = 5;
const headerCells = 6;
const headerBytes = headerCells * 4;

/** The longest single wait, so that cancellation is seen even without a deadline. */
const sliceMs = 50;

/** The default capacity: as Linux's pipe buffer. */
export const defaultPipeCapacity = 64 * 1024;

export class Pipe {
  private readonly header: Int32Array;
  private readonly data: Uint8Array;

  /** A new pipe of CAPACITY bytes, or the other end of the pipe whose memory is BUFFER (sent to another thread). */
  constructor(capacityOrBuffer: number | SharedArrayBuffer = defaultPipeCapacity) {
    const buffer =
      typeof capacityOrBuffer === 'number' ? new SharedArrayBuffer(headerBytes + Pipe.checkedCapacity(capacityOrBuffer)) : capacityOrBuffer;
    this.header = new Int32Array(buffer, 0, headerCells);
    this.data = new Uint8Array(buffer, headerBytes);
  }

  private static checkedCapacity(capacity: number): number {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 2 ** 30)
      throw new RangeError(`a pipe's capacity must be 1 byte to 1 GiB, not ${capacity}`);
    return capacity;
  }

  /** The shared memory, to hand the other end to another thread. */
  get buffer(): SharedArrayBuffer {
    return this.header.buffer as SharedArrayBuffer;
  }

  get capacity(): number {
    return this.data.length;
  }

  private get filled(): number {
    return (Atomics.load(this.header, WRITTEN) - Atomics.load(this.header, READ)) >>> 0;
  }

  /** Copies up to MAX buffered bytes out; empty when nothing is buffered. */
  private take(max: number): Uint8Array {
    const count = Math.min(max, this.filled);
    const out = new Uint8Array(count);
    const start = Atomics.load(this.header, READ) >>> 0;
    for (let copied = 0; copied < count;) {
      const at = (start + copied) % this.capacity;
      const run = Math.min(count - copied, this.capacity - at);
      out.set(this.data.subarray(at, at + run), copied);
      copied += run;
    }
    if (count > 0) {
      Atomics.store(this.header, READ, (start + count) | 0);
      this.signal(SPACE_SIGNAL);
    }
    return out;
  }

  /** Copies as much of DATA in as fits; returns how much. */
  private put(data: Uint8Array): number {
    const count = Math.min(data.length, this.capacity - this.filled);
    const start = Atomics.load(this.header, WRITTEN) >>> 0;
    for (let copied = 0; copied < count;) {
      const at = (start + copied) % this.capacity;
      const run = Math.min(count - copied, this.capacity - at);
      this.data.set(data.subarray(copied, copied + run), at);
      copied += run;
    }
    if (count > 0) {
      Atomics.store(this.header, WRITTEN, (start + count) | 0);
      this.signal(DATA_SIGNAL);
    }
    return count;
  }

  private signal(cell: number): void {
    Atomics.add(this.header, cell, 1);
    Atomics.notify(this.header, cell);
  }

  /** Waits (blocking the thread) until CELL changes from SEEN, at most one slice and not past WAIT's deadline. */
  private block(cell: number, seen: number, wait: BlockingWait | undefined, detail: string): void {
    wait?.checkpoint(detail);
    const left = (wait?.deadline ?? Infinity) - performance.now();
    Atomics.wait(this.header, cell, seen, Math.max(0, Math.min(sliceMs, left)));
    wait?.checkpoint(detail);
  }

  /**
   * Up to MAX bytes, blocking until some are buffered; empty at end of
   * input (the writer closed and everything was read).
   */
  read(max: number, wait?: BlockingWait): Uint8Array {
    for (;;) {
      const seen = Atomics.load(this.header, DATA_SIGNAL);
      if (this.filled > 0 || this.writerClosed || max === 0) return this.take(max);
      this.block(DATA_SIGNAL, seen, wait, ' (while reading a pipe)');
    }
  }

  /** All of DATA, blocking while the pipe is full; EPIPE once the reader closed. */
  write(data: Uint8Array, wait?: BlockingWait): void {
    for (let offset = 0; ;) {
      const seen = Atomics.load(this.header, SPACE_SIGNAL);
      if (this.readerClosed) throw errnoError('PIPE');
      offset += this.put(data.subarray(offset));
      if (offset === data.length) return;
      this.block(SPACE_SIGNAL, seen, wait, ' (while writing a pipe)');
    }
  }

  /** As {@link read}, waiting without blocking the thread; SIGNAL aborts the wait. */
  async readAsync(max: number, signal?: AbortSignal): Promise<Uint8Array> {
    for (;;) {
      const seen = Atomics.load(this.header, DATA_SIGNAL);
      if (this.filled > 0 || this.writerClosed || max === 0) return this.take(max);
      await this.waitAsync(DATA_SIGNAL, seen, signal);
    }
  }

  /** As {@link write}, waiting without blocking the thread; SIGNAL aborts the wait. */
  async writeAsync(data: Uint8Array, signal?: AbortSignal): Promise<void> {
    for (let offset = 0; ;) {
      const seen = Atomics.load(this.header, SPACE_SIGNAL);
      if (this.readerClosed) throw errnoError('PIPE');
      offset += this.put(data.subarray(offset));
      if (offset === data.length) return;
      await this.waitAsync(SPACE_SIGNAL, seen, signal);
    }
  }

  private async waitAsync(cell: number, seen: number, signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    const { async, value } = Atomics.waitAsync(this.header, cell, seen, sliceMs);
    if (async) await value;
    signal?.throwIfAborted();
  }

  get readerClosed(): boolean {
    return Atomics.load(this.header, READER_CLOSED) === 1;
  }

  get writerClosed(): boolean {
    return Atomics.load(this.header, WRITER_CLOSED) === 1;
  }

  /** The reader is done: a waiting or later write fails with EPIPE. */
  closeReader(): void {
    Atomics.store(this.header, READER_CLOSED, 1);
    this.signal(SPACE_SIGNAL);
  }

  /** The writer is done: the reader gets what is buffered, then end of input. */
  closeWriter(): void {
    Atomics.store(this.header, WRITER_CLOSED, 1);
    this.signal(DATA_SIGNAL);
  }
}
