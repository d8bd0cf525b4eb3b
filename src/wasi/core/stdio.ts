import { fsError } from '../../zones/errno.js';

/** Where a guest's stdout or stderr goes. `write` may block; it must take all bytes. */
export interface OutputSink {
  write(data: Uint8Array): void;
  /** A terminal on the host: the guest may line-buffer and colour. */
  readonly isTerminal?: boolean;
}

/** Where a guest's stdin comes from. `read` blocks until data or end of input. */
export interface InputSource {
  /** Up to `max` bytes; an empty array means end of input. */
  read(max: number): Uint8Array;
  readonly isTerminal?: boolean;
}

/** Stdin from bytes given up front (the API's `stdin` option). */
export class BufferedInput implements InputSource {
  private offset = 0;
  constructor(private readonly data: Uint8Array) {}

  read(max: number): Uint8Array {
    const chunk = this.data.subarray(this.offset, this.offset + max);
    this.offset += chunk.length;
    return chunk;
  }
}

/** Stdin that is always at end of input. */
export const emptyInput: InputSource = { read: () => new Uint8Array(0) };

/** Discards output (and refuses nothing). */
export const discardOutput: OutputSink = { write: () => {} };

/** Calls `onChunk` with a copy of each write; used for streaming and collecting. */
export class CallbackOutput implements OutputSink {
  constructor(
    private readonly onChunk: (chunk: Uint8Array) => void,
    readonly isTerminal = false,
  ) {}

  write(data: Uint8Array): void {
    this.onChunk(data);
  }
}

/** A sink that fails every write, as a closed pipe would. */
export const brokenPipe: OutputSink = {
  write: () => {
    throw fsError('PIPE');
  },
};
