import type { WasiClock } from '../core/clock.js';
import { dispose, type Interfaces } from './resource.js';

/**
 * `wasi:io/poll` `pollable`. Every stream of this host is ready at once (its
 * reads and writes block, as the core's sources and sinks do), so the only
 * pollables that wait are timers from `wasi:clocks/monotonic-clock`: they are
 * ready when the run's clock reaches their deadline.
 */
export class Pollable {
  private constructor(
    private readonly clock: WasiClock | undefined,
    readonly deadline: bigint | undefined,
  ) {}

  /** A pollable that is ready now and stays ready. */
  static ready(): Pollable {
    return new Pollable(undefined, undefined);
  }

  /** A pollable that becomes ready when `clock`'s monotonic time reaches `deadline`. */
  static at(clock: WasiClock, deadline: bigint): Pollable {
    return new Pollable(clock, deadline);
  }

  ready(): boolean {
    return this.deadline === undefined || this.clock!.monotonicNs() >= this.deadline;
  }

  block(): void {
    if (this.deadline === undefined) return;
    const wait = this.deadline - this.clock!.monotonicNs();
    if (wait > 0n) this.clock!.sleep(wait);
  }

  [dispose](): void {}
}

/**
 * Waits until at least one pollable is ready and returns the indices of all
 * that are. An empty list is a guest bug that wasmtime traps on; so do we.
 */
export function poll(pollables: Pollable[]): Uint32Array {
  if (pollables.length === 0) throw new WebAssembly.RuntimeError('wasi:io/poll: poll was given an empty list');
  for (;;) {
    const ready: number[] = [];
    pollables.forEach((pollable, i) => {
      if (pollable.ready()) ready.push(i);
    });
    if (ready.length > 0) return Uint32Array.from(ready);
    const first = pollables.reduce((a, b) => (b.deadline! < a.deadline! ? b : a));
    first.block();
  }
}

export const pollInterfaces: Interfaces = {
  'wasi:io/poll': { Pollable, poll },
};
