import type { WasiClock } from '../../limits/clock.js';
import type { RandomSource } from './random.js';

/**
 * What a deterministic run sees instead of the host's time and entropy, so
 * the same program with the same input does exactly the same thing (and uses
 * the same fuel) every time.
 */

/** 2000-01-01T00:00:00Z: the wall clock of every deterministic run starts here. */
export const deterministicEpochNs = 946_684_800_000_000_000n;

/**
 * A clock that only moves when the guest sleeps: reading it never changes it,
 * and a sleep of N nanoseconds (which still waits for real, so a program that
 * paces itself behaves as usual) moves it by exactly N.
 */
export class VirtualClock implements WasiClock {
  readonly resolutionNs = 1000n;
  private elapsed = 0n;

  constructor(private readonly realSleep: (ns: bigint) => void) {}

  wallNs(): bigint {
    return deterministicEpochNs + this.elapsed;
  }

  monotonicNs(): bigint {
    return this.elapsed;
  }

  sleep(ns: bigint): void {
    this.realSleep(ns);
    this.elapsed += ns;
  }
}

/**
 * Reproducible bytes from a seed: SplitMix64, a small generator whose output
 * passes the usual statistical tests. Not for secrets: a deterministic run's
 * "random" numbers are the same every time by design.
 */
export class SeededRandom implements RandomSource {
  private state: bigint;

  constructor(seed: number) {
    this.state = BigInt.asUintN(64, BigInt(seed));
  }

  fill(into: Uint8Array): void {
    for (let offset = 0; offset < into.length; offset += 8) {
      let word = this.next();
      for (let byte = 0; byte < 8 && offset + byte < into.length; byte++) {
        into[offset + byte] = Number(word & 0xffn);
        word >>= 8n;
      }
    }
  }

  private next(): bigint {
    this.state = BigInt.asUintN(64, this.state + 0x9e3779b97f4a7c15n);
    let z = this.state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  }
}
