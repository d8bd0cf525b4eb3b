/**
 * The run's deadline and cancellation, as a host call that waits must honour
 * them (the run's limiter): it waits in slices that end by the deadline and
 * calls `checkpoint` between them.
 */
export interface BlockingWait {
  /** `performance.now()` at which the run times out, if it has a deadline. */
  readonly deadline: number | undefined;
  /** Throws, ending the run, once it was cancelled or its deadline passed; DETAIL says where it waited. */
  checkpoint(detail: string): void;
}
