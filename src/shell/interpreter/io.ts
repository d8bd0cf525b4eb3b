import { concatBytes } from '../../bytes.js';
import { ErrnoError } from '../../errno.js';
import type { BlockingWait } from '../../limits/blocking-wait.js';
import type { Pipe } from '../../wasi/common/pipe.js';
import type { InputSource, OutputSink } from '../../wasi/common/stdio.js';
import type { ShellFile } from './files.js';

/**
 * What a shell descriptor reads from. Reads never block the shell's thread
 * for long: a pipe waits asynchronously, a file or buffer answers at once.
 */
export interface ShellInput {
  /** Up to MAX bytes; empty at end of input. */
  read(max: number): Promise<Uint8Array>;
  /** The same, for a program running on the shell's thread; absent where it would have to wait for the shell itself (a pipe). */
  readSync?(max: number): Uint8Array;
  /**
   * Up to and with the first byte DELIMITER (or to the end): for `read`,
   * from an input that can stop exactly there without reading byte by byte
   * (a file, a buffer). Absent for a pipe, which must be read a byte at a
   * time so that what follows stays for the next reader.
   */
  readThrough?(delimiter: number): Promise<Uint8Array>;
  close(): void;
  /** The pipe behind it, when there is one: a program can read it directly. */
  readonly pipe?: Pipe;
}

/** What a shell descriptor writes to. */
export interface ShellOutput {
  /** All of DATA; throws a {@link BrokenPipe} when the reader went away. */
  write(data: Uint8Array): Promise<void>;
  /** The same, for a program on the shell's thread: it throws the ErrnoError the program gets (EPIPE, EBADF…). */
  writeSync?(data: Uint8Array): void;
  close(): void;
  readonly pipe?: Pipe;
}

/** All of INPUT to its end, or its first LIMIT bytes. */
export async function readWhole(input: ShellInput, limit = Infinity): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (let size = 0; size < limit;) {
    const chunk = await input.read(Math.min(64 * 1024, limit - size));
    if (chunk.length === 0) break;
    chunks.push(chunk);
    size += chunk.length;
  }
  return concatBytes(chunks);
}

/** The reader of a pipe went away: the writer ends as if by SIGPIPE (status 141). */
export class BrokenPipe {
  readonly status = 141;
}

const empty = new Uint8Array(0);

export class PipeInput implements ShellInput {
  constructor(
    readonly pipe: Pipe,
    private readonly signal?: AbortSignal,
  ) {}

  read(max: number): Promise<Uint8Array> {
    return this.pipe.readAsync(max, this.signal);
  }

  close(): void {
    this.pipe.closeReader();
  }
}

export class PipeOutput implements ShellOutput {
  constructor(
    readonly pipe: Pipe,
    private readonly signal?: AbortSignal,
  ) {}

  async write(data: Uint8Array): Promise<void> {
    try {
      await this.pipe.writeAsync(data, this.signal);
    } catch (error) {
      if (error instanceof ErrnoError && error.errno === 'PIPE') throw new BrokenPipe();
      throw error;
    }
  }

  close(): void {
    this.pipe.closeWriter();
  }
}

/** Bytes known up front: a here-document, a here-string. */
export class BytesInput implements ShellInput {
  private offset = 0;
  constructor(private readonly data: Uint8Array) {}

  read(max: number): Promise<Uint8Array> {
    return Promise.resolve(this.readSync(max));
  }

  readSync(max: number): Uint8Array {
    const chunk = this.data.subarray(this.offset, this.offset + max);
    this.offset += chunk.length;
    return chunk;
  }

  readThrough(delimiter: number): Promise<Uint8Array> {
    const end = this.data.indexOf(delimiter, this.offset);
    return Promise.resolve(this.readSync(end === -1 ? this.data.length - this.offset : end + 1 - this.offset));
  }

  close(): void {}
}

/** A closed descriptor (`<&-`), or none at all: end of input at once. */
export const closedInput: ShellInput = { read: () => Promise.resolve(empty), readSync: () => empty, close: () => {} };

/** Writes to a closed descriptor fail, as EBADF does. */
export const closedOutput: ShellOutput = {
  write: () => Promise.reject(new ErrnoError('BADF', 'the descriptor is closed')),
  writeSync: () => {
    throw new ErrnoError('BADF', 'the descriptor is closed');
  },
  close: () => {},
};

/** `/dev/null` when the run has no `/dev`: takes everything. */
export const discardOutput: ShellOutput = { write: () => Promise.resolve(), writeSync: () => {}, close: () => {} };

/** A file of a zone, opened by a redirection. */
export class FileInput implements ShellInput {
  constructor(private readonly file: ShellFile) {}

  read(max: number): Promise<Uint8Array> {
    return Promise.resolve(this.file.read(max));
  }

  readSync(max: number): Uint8Array {
    return this.file.read(max);
  }

  readThrough(delimiter: number): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    for (;;) {
      const chunk = this.file.read(4096);
      const end = chunk.indexOf(delimiter);
      if (end !== -1) {
        chunks.push(chunk.subarray(0, end + 1));
        this.file.seek(end + 1 - chunk.length);
        break;
      }
      chunks.push(chunk);
      if (chunk.length === 0) break;
    }
    return Promise.resolve(concatBytes(chunks));
  }

  close(): void {
    this.file.close();
  }
}

export class FileOutput implements ShellOutput {
  constructor(private readonly file: ShellFile) {}

  write(data: Uint8Array): Promise<void> {
    this.file.write(data);
    return Promise.resolve();
  }

  writeSync(data: Uint8Array): void {
    this.file.write(data);
  }

  close(): void {
    this.file.close();
  }
}

/** A command substitution's output passed its limit: the substitution fails, the shell does not keep growing. */
export class CaptureOverflow extends Error {
  override readonly name = 'CaptureOverflow';
}

/**
 * Output kept whole: a command substitution's, or a pipe's between
 * programs that run one after another. At most LIMIT bytes; past it a
 * builtin's write fails with a {@link CaptureOverflow} saying WHAT passed
 * it, and a program's with ERRNO, and {@link overflowed} is set.
 */
export class CapturedOutput implements ShellOutput {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  overflowed = false;

  constructor(
    private readonly limit: number,
    private readonly what = 'command substitution output',
    /** What a program writing past the limit gets: EFBIG for a substitution, EPIPE for a pipe (its reader will take no more). */
    private readonly errno: 'FBIG' | 'PIPE' = 'FBIG',
  ) {}

  get message(): string {
    return `${this.what} passed ${this.limit} bytes`;
  }

  write(data: Uint8Array): Promise<void> {
    try {
      this.writeSync(data);
    } catch {
      return Promise.reject(new CaptureOverflow(this.message));
    }
    return Promise.resolve();
  }

  writeSync(data: Uint8Array): void {
    if (this.size + data.length > this.limit) {
      this.overflowed = true;
      throw new ErrnoError(this.errno, this.message);
    }
    this.chunks.push(data.slice());
    this.size += data.length;
  }

  close(): void {}

  get bytes(): Uint8Array {
    return concatBytes(this.chunks);
  }

  get text(): string {
    return new TextDecoder().decode(this.bytes);
  }
}

/** The run's own stdin (the caller's bytes, or the host's stdin for `goodbot exec`). */
export class SourceInput implements ShellInput {
  constructor(
    private readonly source: InputSource,
    private readonly wait: BlockingWait | undefined,
  ) {}

  read(max: number): Promise<Uint8Array> {
    return Promise.resolve(this.source.read(max, this.wait));
  }

  readSync(max: number): Uint8Array {
    return this.source.read(max, this.wait);
  }

  close(): void {}
}

/** The run's own stdout or stderr. */
export class SinkOutput implements ShellOutput {
  constructor(private readonly sink: OutputSink) {}

  write(data: Uint8Array): Promise<void> {
    try {
      this.sink.write(data);
    } catch (error) {
      if (error instanceof ErrnoError && error.errno === 'PIPE') return Promise.reject(new BrokenPipe());
      return Promise.reject(error);
    }
    return Promise.resolve();
  }

  writeSync(data: Uint8Array): void {
    this.sink.write(data);
  }

  close(): void {}
}

/** One open descriptor of the shell: what it reads, what it writes, or both (`<>`). */
export interface Descriptor {
  readonly input?: ShellInput;
  readonly output?: ShellOutput;
}

/** The shell's descriptors (0, 1, 2 and those opened by `exec N>…`). Copied, never shared, by a command's redirections. */
export class DescriptorTable {
  private readonly entries: Map<number, Descriptor>;

  constructor(entries: Iterable<[number, Descriptor]> = []) {
    this.entries = new Map(entries);
  }

  copy(): DescriptorTable {
    return new DescriptorTable(this.entries);
  }

  get(fd: number): Descriptor | undefined {
    return this.entries.get(fd);
  }

  set(fd: number, descriptor: Descriptor): void {
    this.entries.set(fd, descriptor);
  }

  delete(fd: number): void {
    this.entries.delete(fd);
  }

  input(fd = 0): ShellInput {
    return this.entries.get(fd)?.input ?? closedInput;
  }

  output(fd = 1): ShellOutput {
    return this.entries.get(fd)?.output ?? closedOutput;
  }
}
