/**
 * Where a run's fuel comes from: the budget and what was handed out of it.
 * Every instance the run starts draws its slices here, on any thread, so
 * the commands of a pipeline running side by side spend one budget.
 */
export interface FuelPool {
  /** Fuel handed out so far, less what was given back. */
  readonly granted: bigint;
  /** Up to MAX more fuel (less once the budget is nearly spent; 0 when it is). */
  take(max: bigint): bigint;
  /** An instance that ended returns what it did not burn. */
  giveBack(amount: bigint): void;
}

/** The pool of a run whose instances all run on one thread. */
export class LocalFuelPool implements FuelPool {
  granted = 0n;

  constructor(private readonly budget: bigint | undefined) {}

  take(max: bigint): bigint {
    const slice = this.budget === undefined || this.budget - this.granted >= max ? max : this.budget - this.granted;
    this.granted += slice;
    return slice;
  }

  giveBack(amount: bigint): void {
    this.granted -= amount;
  }
}

const GRANTED = 0;
/** The budget, or -1 for none. */
const BUDGET = 1;

/** The pool in shared memory: every thread of the run draws from the same two cells. */
export class SharedFuelPool implements FuelPool {
  private readonly cells: BigInt64Array;

  /** A new pool for BUDGET, or the pool whose memory is BUFFER (sent from another thread). */
  constructor(budget: bigint | undefined | SharedArrayBuffer) {
    if (budget instanceof SharedArrayBuffer) {
      this.cells = new BigInt64Array(budget);
      return;
    }
    this.cells = new BigInt64Array(new SharedArrayBuffer(16));
    this.cells[BUDGET] = budget ?? -1n;
  }

  get buffer(): SharedArrayBuffer {
    return this.cells.buffer as SharedArrayBuffer;
  }

  get granted(): bigint {
    return Atomics.load(this.cells, GRANTED);
  }

  take(max: bigint): bigint {
    const budget = Atomics.load(this.cells, BUDGET);
    for (;;) {
      const granted = Atomics.load(this.cells, GRANTED);
      const slice = budget < 0n || budget - granted >= max ? max : budget - granted > 0n ? budget - granted : 0n;
      if (Atomics.compareExchange(this.cells, GRANTED, granted, granted + slice) === granted) return slice;
    }
  }

  giveBack(amount: bigint): void {
    Atomics.sub(this.cells, GRANTED, amount);
  }
}
