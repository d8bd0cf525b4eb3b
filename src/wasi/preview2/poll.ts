import type { WasiClock } from '../../limits/clock.js';
import { dispose, type Interfaces } from './resource.js';

/** What makes a non-timer pollable ready: the run's network (see `NetworkClient.wait`). */
export interface Waiter {
  /** Blocks until something may have changed (true) or MS pass (false; no limit when undefined). */
  wait(ms?: number): boolean;
}

/**
 * `wasi:io/poll` `pollable`. Three kinds: ready at once (files and stdio,
 * whose reads and writes block in the WASI host), a timer of
 * `wasi:clocks/monotonic-clock` (ready when the run's clock reaches its
 * deadline), and a network condition (a connection established, bytes
 * received, send room), which the run's {@link Waiter} waits for.
 */
export class Pollable {
  private constructor(
    private readonly clock: WasiClock | undefined,
    readonly deadline: bigint | undefined,
    private readonly condition?: () => boolean,
    readonly waiter?: Waiter,
  ) {}

  /** A pollable that is ready now and stays ready. */
  static ready(): Pollable {
    return new Pollable(undefined, undefined);
  }

  /** A pollable that becomes ready when `clock`'s monotonic time reaches `deadline`. */
  static at(clock: WasiClock, deadline: bigint): Pollable {
    return new Pollable(clock, deadline);
  }

  /** A pollable that is ready while CONDITION holds; WAITER blocks until it may. */
  static when(condition: () => boolean, waiter: Waiter): Pollable {
    return new Pollable(undefined, undefined, condition, waiter);
  }

  ready(): boolean {
    if (this.condition !== undefined) return this.condition();
    return this.deadline === undefined || this.clock!.monotonicNs() >= this.deadline;
  }

  block(): void {
    if (this.condition !== undefined) {
      while (!this.condition()) this.waiter!.wait();
      return;
    }
    if (this.deadline === undefined) return;
    const wait = this.deadline - this.clock!.monotonicNs();
    if (wait > 0n) this.clock!.sleep(wait);
  }

  /** Nanoseconds until a timer is due. */
  private dueInNs(): bigint {
    return this.deadline! - this.clock!.monotonicNs();
  }

  /**
   * Waits until at least one pollable is ready and returns the indices of all
   * that are. An empty list is a guest bug that wasmtime traps on; so do we.
   */
  static poll(pollables: Pollable[]): Uint32Array {
    if (pollables.length === 0) throw new WebAssembly.RuntimeError('wasi:io/poll: poll was given an empty list');
    for (;;) {
      const ready: number[] = [];
      pollables.forEach((pollable, i) => {
        if (pollable.ready()) ready.push(i);
      });
      if (ready.length > 0) return Uint32Array.from(ready);
      const timer = pollables
        .filter((p) => p.deadline !== undefined)
        .reduce<Pollable | undefined>((a, b) => (a === undefined || b.deadline! < a.deadline! ? b : a), undefined);
      const waiter = pollables.find((p) => p.waiter !== undefined)?.waiter;
      if (waiter === undefined) timer!.block();
      else if (timer === undefined) waiter.wait();
      // Nothing happened before the timer: let its clock move (a deterministic clock moves only when slept).
      else if (!waiter.wait(Math.max(0, Number(timer.dueInNs()) / 1e6))) timer.block();
    }
  }

  [dispose](): void {}
}

export const poll = (pollables: Pollable[]): Uint32Array => Pollable.poll(pollables);

export const pollInterfaces: Interfaces = {
  'wasi:io/poll': { Pollable, poll },
};
