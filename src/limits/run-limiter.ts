import type { Limits } from '../policy/types.js';
import type { WasiClock } from '../wasi/core/clock.js';

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

/**
 * The limits of one run, enforced from the host side: it answers the metered
 * guest's out-of-fuel calls (hand out the next slice, or stop at the budget or
 * the deadline), cuts sleeps at the deadline and output at its cap, and
 * remembers the first limit that ended the run. Platform-neutral: the same
 * code stops a runaway guest on Node's main thread and in a browser worker.
 */
export class RunLimiter {
  /** The first limit reached, if any: it decides the run's status. */
  tripped: LimitExceeded | undefined;
  /** `performance.now()` at which the run times out. */
  readonly deadline: number | undefined;
  private granted = 0n;
  private outputBytes = 0;

  constructor(
    readonly limits: Limits,
    startedAt: number = performance.now(),
    /** Asked at every fuel slice and every write: has the caller cancelled the run? */
    private readonly isCancelled: () => boolean = () => false,
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
    return this.limits.fuel !== undefined || this.limits.timeoutMs !== undefined || this.limits.memoryBytes !== undefined;
  }

  /** Fuel for the start of the run: the first slice. */
  initialFuel(): bigint {
    return this.nextSlice();
  }

  /**
   * The metered guest's `out_of_fuel` call: returns 1 to stop it (it then
   * traps, which its own handlers cannot catch), or refills FUEL and returns 0.
   */
  outOfFuel(fuel: WebAssembly.Global): number {
    if (this.checkCancelled()) return 1;
    if (this.deadline !== undefined && performance.now() >= this.deadline) {
      this.trip('timeout', `the run took longer than its ${formatMs(this.limits.timeoutMs!)} timeout`);
      return 1;
    }
    const slice = this.nextSlice();
    if (slice === 0n) {
      this.trip('fuel-exhausted', `the run used up its fuel (${this.limits.fuel} instructions)`);
      return 1;
    }
    fuel.value = (fuel.value as bigint) + slice;
    return 0;
  }

  /** Instructions the guest executed (after {@link settleFuel}): what was handed out less what is left. */
  fuelConsumed: number | undefined;

  /** Reads what the guest's fuel global has left when the run ends. */
  settleFuel(fuel: WebAssembly.Global): void {
    this.fuelConsumed = Number(this.granted - (fuel.value as bigint));
  }

  /** CLOCK, with sleeps cut at the deadline (which then ends the run). */
  clock(clock: WasiClock): WasiClock {
    if (this.deadline === undefined) return clock;
    return {
      resolutionNs: clock.resolutionNs,
      wallNs: () => clock.wallNs(),
      monotonicNs: () => clock.monotonicNs(),
      sleep: (ns) => {
        const left = this.deadline! - performance.now();
        if (Number(ns) / 1e6 < left) return clock.sleep(ns);
        if (left > 0) clock.sleep(BigInt(Math.ceil(left * 1e6)));
        throw this.trip('timeout', `the run took longer than its ${formatMs(this.limits.timeoutMs!)} timeout (while sleeping)`);
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

  /** Records LIMIT as the run's end (the first one wins) and returns it to throw. */
  trip(limit: LimitKind, message: string): LimitExceeded {
    this.tripped ??= new LimitExceeded(limit, message);
    return this.tripped;
  }

  private nextSlice(): bigint {
    const budget = this.limits.fuel;
    const remaining = budget === undefined ? BigInt(fuelSlice) : BigInt(budget) - this.granted;
    const slice = remaining < BigInt(fuelSlice) ? remaining : BigInt(fuelSlice);
    this.granted += slice;
    return slice;
  }
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${ms / 1000} s`;
}
