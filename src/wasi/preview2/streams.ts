import { LimitExceeded } from '../../limits/run-limiter.js';
import { FsError } from '../../zones/errno.js';
import { IoError } from './io-error.js';
import { Pollable } from './poll.js';
import { dispose, type Interfaces } from './resource.js';

/** Where an input stream's bytes come from: up to `max` bytes, none at the end. Fails with FsError. */
export interface ByteSource {
  read(max: number): Uint8Array;
}

/** Where an output stream's bytes go: all of them, or an FsError. */
export interface ByteSink {
  write(data: Uint8Array): void;
}

/** `wasi:io/streams` `stream-error`, thrown for the glue to return as `err`. */
export type StreamError = { tag: 'closed' } | { tag: 'last-operation-failed'; val: IoError };

/** The most one read returns; a guest asking for more gets a short read. */
const maxRead = 1 << 20;

/** What `check-write` grants. Larger writes are a guest bug (wasmtime traps too). */
const writePermit = 1 << 20;

const closed: StreamError = { tag: 'closed' };

function failed(error: FsError): StreamError {
  return { tag: 'last-operation-failed', val: new IoError(error) };
}

function tooLarge(what: string, bytes: bigint | number): WebAssembly.RuntimeError {
  return new WebAssembly.RuntimeError(
    `wasi:io/streams: ${what} of ${bytes} bytes exceeds the ${writePermit} check-write allows`,
  );
}

/**
 * `wasi:io/streams` `input-stream` over a {@link ByteSource}. Reads block
 * until data or the end, so `read` and `blocking-read` behave alike. The end
 * of input, and any failure after it is reported, make the stream `closed`.
 */
export class InputStream {
  private open = true;

  constructor(private readonly source: ByteSource) {}

  read(len: bigint): Uint8Array {
    if (!this.open) throw closed;
    const max = len < BigInt(maxRead) ? Number(len) : maxRead;
    if (max === 0) return new Uint8Array(0);
    let chunk: Uint8Array;
    try {
      chunk = this.source.read(max);
    } catch (error) {
      if (!(error instanceof FsError)) throw error;
      this.open = false;
      throw failed(error);
    }
    if (chunk.length === 0) {
      this.open = false;
      throw closed;
    }
    return chunk;
  }

  blockingRead(len: bigint): Uint8Array {
    return this.read(len);
  }

  skip(len: bigint): bigint {
    return BigInt(this.read(len).length);
  }

  blockingSkip(len: bigint): bigint {
    return this.skip(len);
  }

  subscribe(): Pollable {
    return Pollable.ready();
  }

  [dispose](): void {}
}

/**
 * `wasi:io/streams` `output-stream` over a {@link ByteSink}. Every write goes
 * through at once, so flushing has nothing to wait for; a failed write closes
 * the stream, as the WIT says.
 */
export class OutputStream {
  private open = true;

  constructor(private readonly sink: ByteSink) {}

  checkWrite(): bigint {
    this.ensureOpen();
    return BigInt(writePermit);
  }

  write(contents: Uint8Array): void {
    if (contents.length > writePermit) throw tooLarge('a write', contents.length);
    this.put(contents);
  }

  blockingWriteAndFlush(contents: Uint8Array): void {
    this.write(contents);
  }

  flush(): void {
    this.ensureOpen();
  }

  blockingFlush(): void {
    this.ensureOpen();
  }

  writeZeroes(len: bigint): void {
    if (len > BigInt(writePermit)) throw tooLarge('writing zeroes', len);
    this.put(new Uint8Array(Number(len)));
  }

  blockingWriteZeroesAndFlush(len: bigint): void {
    this.writeZeroes(len);
  }

  splice(source: InputStream, len: bigint): bigint {
    this.ensureOpen();
    const data = source.read(len < BigInt(writePermit) ? len : BigInt(writePermit));
    this.put(data);
    return BigInt(data.length);
  }

  blockingSplice(source: InputStream, len: bigint): bigint {
    return this.splice(source, len);
  }

  subscribe(): Pollable {
    return Pollable.ready();
  }

  [dispose](): void {}

  private ensureOpen(): void {
    if (!this.open) throw closed;
  }

  private put(data: Uint8Array): void {
    this.ensureOpen();
    if (data.length === 0) return;
    try {
      this.sink.write(data);
    } catch (error) {
      // Past the output cap the stream is closed for good; the run records the limit.
      if (error instanceof LimitExceeded) {
        this.open = false;
        throw closed;
      }
      if (!(error instanceof FsError)) throw error;
      this.open = false;
      throw failed(error);
    }
  }
}

/** A sink that keeps nothing, for bodies of requests that are never sent. */
export const discardSink: ByteSink = { write: () => {} };

export const streamInterfaces: Interfaces = {
  'wasi:io/streams': { InputStream, OutputStream },
};
