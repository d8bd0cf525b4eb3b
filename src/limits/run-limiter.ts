import type { Limits } from '../policy/types.js';
import type { WasiClock } from './clock.js';
import { LimitInterrupt } from './limit-interrupt.js';
import type { BlockingWait } from './blocking-wait.js';
import { LocalFuelPool, type FuelPool } from './fuel-pool.js';

/** Which limit ended a run (`cancelled`: the caller stopped it). */
export type LimitKind = 'timeout' | 'fuel-exhausted' | 'memory-limit' | 'output-limit' | 'cancelled';

/** Thrown out of a host call (a sleep, a write) to end the guest at a limit. */
export class LimitExceeded {
  constructor(
    readonly limit: LimitKind,
    readonly message: string,
  ) {}
}

/**
 * Fuel handed out per out-of-fuel call. The deadline is checked once per
 * slice, so a slice should run in well under a millisecond: a million counted
 * instructions take roughly 0.3-1 ms of V8's code.
 */
export const fuelSlice = 1_000_000;

/** The longest one piece of a guest's sleep lasts before a cancel is looked for again (25 ms). */
const sleepSliceNs = 25_000_000n;

/**
 * The limits of one run, enforced from the host side: it answers the metered
 * guest's out-of-fuel calls (hand out the next slice, or stop at the budget or
 * the deadline), cuts sleeps at the deadline and output at its cap, ends
 * host calls that wait (stdin, the network) at the deadline, and remembers
 * the first limit that ended the run. Platform-neutral: the same code stops a
 * runaway guest on Node's main thread and in a browser worker.
 */
export class RunLimiter implements BlockingWait {
  /** The first limit reached, if any: it decides the run's status. */
  tripped: LimitExceeded | undefined;
  /** `performance.now()` at which the run times out. */
  readonly deadline: number | undefined;
  private outputBytes = 0;
  /** The fuel globals of the run's metered instances (a component has several core modules). */
  private readonly meters: WebAssembly.Global[] = [];

  constructor(
    readonly limits: Limits,
    startedAt: number = performance.now(),
    /** Asked at every fuel slice and every write: has the caller cancelled the run? */
    private readonly isCancelled: () => boolean = () => false,
    /** Where fuel comes from; the commands of a pipeline on other threads share it. */
    readonly fuelPool: FuelPool = new LocalFuelPool(limits.fuel === undefined ? undefined : BigInt(limits.fuel)),
  ) {
    this.deadline = limits.timeoutMs === undefined ? undefined : startedAt + limits.timeoutMs;
  }

  /** Trips `cancelled` if the caller asked for it; true when the run must stop. */
  checkCancelled(): boolean {
    if (this.tripped === undefined && this.isCancelled()) this.trip('cancelled', 'the run was cancelled');
    return this.tripped !== undefined;
  }

  /** Whether the guest must run instrumented (fuel, deadline or memory cap). */
  get metered(): boolean {
    return isMetered(this.limits);
  }

  /** Takes a new instance's fuel global into the run and gives it its first slice. */
  meter(fuel: WebAssembly.Global): void {
    this.meters.push(fuel);
    fuel.value = (fuel.value as bigint) + this.nextSlice();
  }

  /**
   * The metered guest's `out_of_fuel` call: returns the fuel it may add to
   * its counter (the next slice), or 0 to stop it (it then traps, which its
   * own handlers cannot catch). FUEL is the calling instance's global
   * (undefined while its start function runs). With the budget handed out,
   * what the run's other instances hold unused is moved to the caller first,
   * so a budget split across core modules is spent whole. (Their functions
   * on the stack wrote their counters back before calling out and reload
   * them on return, so taking from a global loses nothing.)
   */
  outOfFuel(fuel: WebAssembly.Global | undefined): bigint {
    if (this.checkCancelled()) return 0n;
    if (this.deadline !== undefined && performance.now() >= this.deadline) {
      this.tripTimeout();
      return 0n;
    }
    let slice = this.nextSlice();
    if (slice === 0n) slice = this.reclaim(fuel);
    if (slice === 0n) this.trip('fuel-exhausted', `the run used up its fuel (${this.limits.fuel} instructions)`);
    return slice;
  }

  /** Instructions the guest executed (after {@link settleFuel}): what was handed out less what is left. */
  fuelConsumed: number | undefined;

  /** Reads what the run's fuel globals have left when the run ends. */
  settleFuel(): void {
    let left = 0n;
    for (const fuel of this.meters) left += fuel.value as bigint;
    this.fuelConsumed = Number(this.fuelPool.granted - left);
  }

  /**
   * CLOCK, with sleeps cut at the deadline (which then ends the run) and
   * taken in slices, so a cancel ends a sleep within one. The slices add up
   * to the sleep asked for exactly: a virtual clock moves as much as unsliced.
   */
  clock(clock: WasiClock): WasiClock {
    return {
      resolutionNs: clock.resolutionNs,
      wallNs: () => clock.wallNs(),
      monotonicNs: () => clock.monotonicNs(),
      sleep: (ns) => {
        for (let left = ns; left > 0n;) {
          this.checkpoint(' (while sleeping)');
          const toDeadline = this.deadline === undefined ? sleepSliceNs : BigInt(Math.max(0, Math.ceil((this.deadline - performance.now()) * 1e6)));
          const slice = [left, sleepSliceNs, toDeadline].reduce((a, b) => (b < a ? b : a));
          if (slice > 0n) clock.sleep(slice);
          left -= slice;
        }
      },
    };
  }

  /**
   * Counts CHUNK against the output cap: returns the part that may still be
   * written; past the cap, the run ends with `output-limit` after that part.
   */
  admitOutput(chunk: Uint8Array): Uint8Array {
    if (this.checkCancelled()) return chunk.subarray(0, 0);
    const cap = this.limits.maxOutputBytes;
    if (cap === undefined) return chunk;
    const room = cap - this.outputBytes;
    if (chunk.length <= room) {
      this.outputBytes += chunk.length;
      return chunk;
    }
    this.outputBytes = cap;
    this.trip('output-limit', `the run wrote more than its ${cap}-byte output cap (stdout and stderr together)`);
    return chunk.subarray(0, Math.max(0, room));
  }

  /**
   * Between the slices of a host call that waits, and after a host call that
   * may have taken long: throws a {@link LimitInterrupt} that ends the run
   * once it was cancelled, reached another limit, or passed its deadline
   * (DETAIL says where it was, e.g. ` (while reading stdin)`).
   */
  checkpoint(detail: string): void {
    if (this.checkCancelled()) throw new LimitInterrupt(this.tripped!);
    if (this.deadline !== undefined && performance.now() >= this.deadline) throw new LimitInterrupt(this.tripTimeout(detail));
  }

  /**
   * The guest ended (it returned, exited or trapped). A run whose deadline
   * passed meanwhile timed out, whatever the guest did: it may have been
   * blocked in a host call that could not be cut, and a run past its
   * deadline never reports `exited`.
   */
  guestEnded(): void {
    if (this.deadline !== undefined && performance.now() >= this.deadline) this.tripTimeout(' (it ended after its deadline)');
  }

  /** Records that the run reached its deadline (DETAIL says where), and returns the limit to throw. */
  tripTimeout(detail = ''): LimitExceeded {
    return this.trip('timeout', `${timeoutMessage(this.limits.timeoutMs!)}${detail}`);
  }

  /** Records LIMIT as the run's end (the first one wins) and returns it to throw. */
  trip(limit: LimitKind, message: string): LimitExceeded {
    this.tripped ??= new LimitExceeded(limit, message);
    return this.tripped;
  }

  /** Empties the other instances' positive fuel globals; returns what they held. */
  private reclaim(except: WebAssembly.Global | undefined): bigint {
    let taken = 0n;
    for (const fuel of this.meters) {
      const held = fuel.value as bigint;
      if (fuel === except || held <= 0n) continue;
      fuel.value = 0n;
      taken += held;
    }
    return taken;
  }

  private nextSlice(): bigint {
    return this.fuelPool.take(BigInt(fuelSlice));
  }

  /** The run's instances on this thread ended: what their fuel globals hold goes back to the pool, for the run's other threads. */
  returnUnusedFuel(): void {
    for (const fuel of this.meters) {
      const held = fuel.value as bigint;
      if (held > 0n) this.fuelPool.giveBack(held);
      fuel.value = 0n;
    }
  }
}

/** Whether a guest under LIMITS must run instrumented (fuel, deadline or memory cap). */
export function isMetered(limits: Limits): boolean {
  return limits.fuel !== undefined || limits.timeoutMs !== undefined || limits.memoryBytes !== undefined;
}

/** How a run that reached its deadline of MS is described, wherever it is stopped. */
export function timeoutMessage(ms: number): string {
  return `the run took longer than its ${formatMs(ms)} timeout`;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${ms / 1000} s`;
}
