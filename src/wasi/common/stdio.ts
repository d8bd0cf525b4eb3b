import { ErrnoError, errnoError } from '../../errno.js';
import { ProcessExit } from './context.js';
import type { BlockingWait } from '../../limits/blocking-wait.js';

/** Where a guest's stdout or stderr goes. `write` may block; it must take all bytes. */
export interface OutputSink {
  /** DATA may be a view of the guest's memory, valid only during the call: a sink that keeps it keeps a copy. */
  write(data: Uint8Array): void;
  /** A terminal on the host: the guest may line-buffer and colour. */
  readonly isTerminal?: boolean;
}

/** Where a guest's stdin comes from. `read` blocks until data or end of input. */
export interface InputSource {
  /**
   * Up to `max` bytes; an empty array means end of input. A source that may
   * wait long (a pipe that stays open) waits in slices and calls
   * `wait.checkpoint` between them; one that ignores WAIT is still stopped
   * right after it returns, but cannot be cut short.
   */
  read(max: number, wait?: BlockingWait): Uint8Array;
  /** A terminal on the host: the guest sees a character device it may prompt on. */
  readonly isTerminal?: boolean;
  /**
   * Always at end of input, as `/dev/null`: the guest sees a character
   * device that is no terminal, so tools that read a piped stdin when there
   * is one (`rg PATTERN`) do not take it for input. Otherwise stdin is a pipe.
   */
  readonly isNullDevice?: boolean;
}

/** Reads up to MAX bytes of SOURCE for the guest: its wait honours WAIT, and a read that outlasted the run's limits ends the run. */
export function readInput(source: InputSource, max: number, wait: BlockingWait | undefined): Uint8Array {
  const chunk = source.read(max, wait);
  wait?.checkpoint(' (while reading stdin)');
  return chunk;
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

/** Stdin when the caller gives none: always at end of input, like `/dev/null`. */
export const emptyInput: InputSource = { read: () => new Uint8Array(0), isNullDevice: true };

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
    throw errnoError('PIPE');
  },
};

/**
 * A sink over WRITE that ends the guest as SIGPIPE ends a process (status
 * 141) once its reader has gone, rather than failing the write with EPIPE,
 * which tools report as an error (`yes: Broken pipe`) where a shell's
 * command is silent.
 */
export function pipeSink(write: (data: Uint8Array) => void): OutputSink {
  return {
    write: (data) => {
      try {
        write(data);
      } catch (error) {
        if (error instanceof ErrnoError && error.errno === 'PIPE') throw new ProcessExit(brokenPipeStatus);
        throw error;
      }
    },
  };
}

/** 128 + SIGPIPE. */
export const brokenPipeStatus = 141;
