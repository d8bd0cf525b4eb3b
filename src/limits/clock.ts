/** Clocks and sleeping for the guest; swappable for deterministic runs. */
export interface WasiClock {
  /** Nanoseconds since the Unix epoch. */
  wallNs(): bigint;
  /** Nanoseconds since an arbitrary start; never decreases. */
  monotonicNs(): bigint;
  /** Resolution of both clocks, in nanoseconds. */
  readonly resolutionNs: bigint;
  /** Blocks the calling thread for `ns` nanoseconds. */
  sleep(ns: bigint): void;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread without spinning (allowed on Node's main thread and in workers). */
export function blockFor(ms: number): void {
  if (ms > 0) Atomics.wait(sleepCell, 0, 0, ms);
}

/** The host's clocks, at microsecond resolution (what `performance.now()` offers). */
export class HostClock implements WasiClock {
  readonly resolutionNs = 1000n;
  private readonly start = performance.now();

  wallNs(): bigint {
    return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
  }

  monotonicNs(): bigint {
    return BigInt(Math.round((performance.now() - this.start) * 1000)) * 1000n;
  }

  sleep(ns: bigint): void {
    const deadline = performance.now() + Number(ns) / 1e6;
    for (let left = Number(ns) / 1e6; left > 0; left = deadline - performance.now()) blockFor(left);
  }
}
