import { concatBytes } from '../bytes.js';
import type { Denial } from '../policy/types.js';
import type { RunResult } from '../backends/run-result.js';

/** What a run reports while it goes, in order; `end` comes last. */
export type RunEvent =
  | { readonly type: 'start'; readonly runId: string; readonly program: string }
  | { readonly type: 'zone'; readonly zone: string; readonly guestPath: string; readonly access: string }
  | { readonly type: 'stdout'; readonly data: Uint8Array }
  | { readonly type: 'stderr'; readonly data: Uint8Array }
  | { readonly type: 'denied'; readonly denial: Denial }
  | { readonly type: 'end'; readonly result: RunResult }
  | { readonly type: 'error'; readonly error: Error };

/**
 * Output chunks as text, decoded in one piece (a UTF-8 sequence split
 * across chunks is whole again): joined first, since decoding chunk by
 * chunk and joining the strings took half as long again for large output.
 */
export function decodeChunks(chunks: readonly Uint8Array[]): string {
  if (chunks.length === 0) return '';
  return new TextDecoder().decode(chunks.length === 1 ? chunks[0] : concatBytes(chunks));
}

/** An in-order queue of run events that one consumer iterates asynchronously. */
export class EventChannel<T> implements AsyncIterable<T> {
  private readonly queue: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private closed = false;

  push(item: T): void {
    if (this.closed) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: item, done: false });
    } else {
      this.queue.push(item);
    }
  }

  close(): void {
    this.closed = true;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.queue.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiting = resolve;
        });
      },
    };
  }
}
