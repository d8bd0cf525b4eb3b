import type { TrapInfo } from './backends/wasm/trap.js';
import type { LimitKind } from './limits/run-limiter.js';
import type { Denial } from './policy/types.js';

/** How a run ended: the guest exited or trapped, or a limit of the policy stopped it. */
export type RunStatus = 'exited' | 'trapped' | LimitKind;

export interface RunResult {
  readonly runId: string;
  readonly status: RunStatus;
  /** The guest's exit code; 134 when it trapped (as wasmtime reports traps); 124 when a limit ended it. */
  readonly exitCode: number;
  readonly durationMs: number;
  /** Collected output (empty when the request asked not to collect). */
  readonly stdout: string;
  readonly stderr: string;
  /** The accesses the policy refused during the run: the first 1,000 of them. */
  readonly denials: readonly Denial[];
  /** Refusals past the first 1,000, counted but not listed (nor audited one by one). */
  readonly denialsOmitted?: number;
  readonly trap?: TrapInfo;
  /** The limit that ended the run (exit code 124), with a message naming it. */
  readonly limit?: { readonly kind: LimitKind; readonly message: string };
  /** Instructions the guest executed, when the run was metered (fuel or timeout). */
  readonly fuelConsumed?: number;
  /** Which backend ran it (`auto` chooses per program). */
  readonly backend: 'wasm' | 'docker';
  readonly program: { readonly name: string; readonly kind: 'module' | 'component' | 'container' };
  /** The container image (Docker backend). */
  readonly image?: string;
}

/** What a run reports while it goes, in order; `end` comes last. */
export type RunEvent =
  | { readonly type: 'start'; readonly runId: string; readonly program: string }
  | { readonly type: 'zone'; readonly zone: string; readonly guestPath: string; readonly access: string }
  | { readonly type: 'stdout'; readonly data: Uint8Array }
  | { readonly type: 'stderr'; readonly data: Uint8Array }
  | { readonly type: 'denied'; readonly denial: Denial }
  | { readonly type: 'end'; readonly result: RunResult }
  | { readonly type: 'error'; readonly error: Error };

/** Output chunks as text; a UTF-8 sequence split across chunks is decoded whole. */
export function decodeChunks(chunks: readonly Uint8Array[]): string {
  if (chunks.length === 0) return '';
  const decoder = new TextDecoder();
  return chunks.map((chunk, i) => decoder.decode(chunk, { stream: i < chunks.length - 1 })).join('');
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
