import type { LimitExceeded } from './run-limiter.js';

/**
 * A limit (deadline, cancellation) reached while the guest was blocked in a
 * host call. It is an `Error` because component glue turns any other thrown
 * value of a call that returns a `result` into that result's `err` for the
 * guest; an `Error` goes through and ends the run (see `outcomeOf`).
 */
export class LimitInterrupt extends Error {
  constructor(readonly limit: LimitExceeded) {
    super(limit.message);
  }
}
