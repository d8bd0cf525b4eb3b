import { RunBackends } from './run-backends.js';
import type { Platform } from '../backends/platform.js';
import { policyDigest } from '../policy/digest.js';
import type { Policy } from '../policy/types.js';
import type { RunEvent } from './events.js';
import type { RunResult } from '../backends/run-result.js';
import { startRun } from './start-run.js';
import type { ExecRequest } from '../backends/exec-request.js';

/** See {@link Sandbox.exec}. */
export interface RunHooks {
  readonly runId?: string;
  readonly isCancelled?: () => boolean;
}

/** A run in progress. */
export interface Run {
  readonly id: string;
  /** Start, zone, output, denial and end events, in order. */
  readonly events: AsyncIterable<RunEvent>;
  /**
   * Resolves when the guest has ended (exited or trapped). Rejects with a
   * {@link GoodbotError} when it could not run: bad program, zone error, host failure.
   */
  readonly result: Promise<RunResult>;
  /**
   * Stops the run; its status becomes `cancelled`. A run that has not started
   * never starts. A run on the calling thread sees it at its next write or
   * fuel slice (metered runs); a worker run is stopped at once.
   */
  cancel(): void;
}

/**
 * A sandbox: one policy, any number of runs. Runs share nothing: each gets
 * its own zone mounts, descriptors, environment and output, and every handle a
 * run opens is closed when it ends.
 */
export class Sandbox {
  private digest: Promise<string> | undefined;
  private readonly backends: RunBackends;

  constructor(
    readonly policy: Policy,
    private readonly platform: Platform,
  ) {
    this.backends = new RunBackends(platform);
  }

  /**
   * Starts a run. HOOKS are for hosts that drive a sandbox from elsewhere: a
   * cancellation check that can see past a busy thread, and the run's id.
   */
  exec(request: ExecRequest, hooks: RunHooks = {}): Run {
    return startRun({
      policy: this.policy,
      request,
      backend: this.backends.for(this.policy, request),
      policyDigest: () => (this.digest ??= policyDigest(this.policy)),
      ...(this.platform.audit !== undefined && { audit: this.platform.audit }),
      ...(hooks.runId !== undefined && { runId: hooks.runId }),
      ...(hooks.isCancelled !== undefined && { isCancelled: hooks.isCancelled }),
    });
  }
}
