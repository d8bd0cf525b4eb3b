import { LimitExceeded } from '../../limits/run-limiter.js';
import { ErrnoError } from '../../errno.js';
import { IoError } from './io-error.js';
import { Pollable, type Waiter } from './poll.js';
import { dispose, type Interfaces } from './resource.js';

/** Where an input stream's bytes come from: up to `max` bytes, none at the end. Fails with ErrnoError. */
export interface ByteSource {
  /** Blocks until there are bytes or the end. */
  read(max: number): Uint8Array;
  /**
   * A source that may have nothing yet (a socket): ready when `read` would
   * not block. Absent: `read` never waits long (files, stdin), so the
   * stream is always ready.
   */
  readonly readiness?: Readiness;
}

/** Where an output stream's bytes go: all of them, or an ErrnoError. */
export interface ByteSink {
  write(data: Uint8Array): void;
  /** A sink that queues what it takes (a socket): how much, and waiting for it to go out. */
  readonly queue?: SinkQueue;
}

/** When a source or sink can go on without waiting, and what waits for that. */
export interface Readiness {
  ready(): boolean;
  readonly waiter: Waiter;
}

/** A queueing sink's room and flushing. */
export interface SinkQueue {
  /** Bytes it takes now without its queue growing past its window. */
  room(): number;
  /** Ready when there is room, or the sink failed. */
  readonly readiness: Readiness;
  /** Blocks until everything taken went out; fails with ErrnoError. */
  flush(): void;
}

/** `wasi:io/streams` `stream-error`, thrown for the glue to return as `err`. */
export type StreamError = { tag: 'closed' } | { tag: 'last-operation-failed'; val: IoError };

/** The most one read returns; a guest asking for more gets a short read. */
const maxRead = 1 << 20;

/** What `check-write` grants. Larger writes are a guest bug (wasmtime traps too). */
const writePermit = 1 << 20;

const closed: StreamError = { tag: 'closed' };

function failed(error: ErrnoError): StreamError {
  return { tag: 'last-operation-failed', val: new IoError(error) };
}

function tooLarge(what: string, bytes: bigint | number): WebAssembly.RuntimeError {
  return new WebAssembly.RuntimeError(`wasi:io/streams: ${what} of ${bytes} bytes exceeds the ${writePermit} check-write allows`);
}

/**
 * `wasi:io/streams` `input-stream` over a {@link ByteSource}. A `read` of a
 * source with readiness (a socket) returns nothing while nothing is there;
 * otherwise reads block until data or the end, so `read` and
 * `blocking-read` behave alike. The end of input, and any failure after it
 * is reported, make the stream `closed`.
 */
export class InputStream {
  private open = true;

  constructor(private readonly source: ByteSource) {}

  read(len: bigint): Uint8Array {
    if (this.open && this.source.readiness?.ready() === false) return new Uint8Array(0);
    return this.blockingRead(len);
  }

  blockingRead(len: bigint): Uint8Array {
    if (!this.open) throw closed;
    const max = len < BigInt(maxRead) ? Number(len) : maxRead;
    if (max === 0) return new Uint8Array(0);
    let chunk: Uint8Array;
    try {
      chunk = this.source.read(max);
    } catch (error) {
      if (!(error instanceof ErrnoError)) throw error;
      this.open = false;
      throw failed(error);
    }
    if (chunk.length === 0) {
      this.open = false;
      throw closed;
    }
    return chunk;
  }

  skip(len: bigint): bigint {
    return BigInt(this.read(len).length);
  }

  blockingSkip(len: bigint): bigint {
    return BigInt(this.blockingRead(len).length);
  }

  subscribe(): Pollable {
    return pollableOf(this.source.readiness);
  }

  [dispose](): void {}
}

/**
 * `wasi:io/streams` `output-stream` over a {@link ByteSink}. Every write is
 * taken at once; a queueing sink (a socket) offers room by its window and
 * makes a blocking flush wait until its queue went out. A failed write or
 * flush closes the stream, as the WIT says.
 */
export class OutputStream {
  private open = true;

  constructor(private readonly sink: ByteSink) {}

  checkWrite(): bigint {
    this.ensureOpen();
    const queue = this.sink.queue;
    return BigInt(queue === undefined ? writePermit : Math.min(writePermit, queue.room()));
  }

  write(contents: Uint8Array): void {
    if (contents.length > writePermit) throw tooLarge('a write', contents.length);
    this.put(contents);
  }

  blockingWriteAndFlush(contents: Uint8Array): void {
    this.write(contents);
    this.blockingFlush();
  }

  flush(): void {
    this.ensureOpen();
  }

  blockingFlush(): void {
    this.ensureOpen();
    const queue = this.sink.queue;
    if (queue !== undefined) this.failing(() => queue.flush());
  }

  writeZeroes(len: bigint): void {
    if (len > BigInt(writePermit)) throw tooLarge('writing zeroes', len);
    this.put(new Uint8Array(Number(len)));
  }

  blockingWriteZeroesAndFlush(len: bigint): void {
    this.writeZeroes(len);
    this.blockingFlush();
  }

  splice(source: InputStream, len: bigint): bigint {
    this.ensureOpen();
    const data = source.read(len < BigInt(writePermit) ? len : BigInt(writePermit));
    this.put(data);
    return BigInt(data.length);
  }

  blockingSplice(source: InputStream, len: bigint): bigint {
    this.ensureOpen();
    const data = source.blockingRead(len < BigInt(writePermit) ? len : BigInt(writePermit));
    this.put(data);
    this.blockingFlush();
    return BigInt(data.length);
  }

  subscribe(): Pollable {
    return pollableOf(this.sink.queue?.readiness);
  }

  [dispose](): void {}

  private ensureOpen(): void {
    if (!this.open) throw closed;
  }

  private put(data: Uint8Array): void {
    this.ensureOpen();
    if (data.length === 0) return;
    this.failing(() => this.sink.write(data));
  }

  /** Runs a sink operation; its failure closes the stream and reaches the guest as a stream error. */
  private failing(body: () => void): void {
    try {
      body();
    } catch (error) {
      // Past the output cap the stream is closed for good; the run records the limit.
      if (error instanceof LimitExceeded) {
        this.open = false;
        throw closed;
      }
      if (!(error instanceof ErrnoError)) throw error;
      this.open = false;
      throw failed(error);
    }
  }
}

function pollableOf(readiness: Readiness | undefined): Pollable {
  return readiness === undefined ? Pollable.ready() : Pollable.when(() => readiness.ready(), readiness.waiter);
}

export const streamInterfaces: Interfaces = {
  'wasi:io/streams': { InputStream, OutputStream },
};
