import type { Backend } from './backends/backend.js';
import { chooseBackend, platformBackends, type BackendName } from './backends/registry.js';
import type { Platform } from './platform.js';
import { policyDigest } from './policy/digest.js';
import type { Policy } from './policy/types.js';
import type { RunEvent, RunResult } from './run.js';
import { startRun } from './run/start-run.js';
import type { BlockingWait, InputSource } from './wasi/core/stdio.js';

/** One request to run a program in the sandbox. */
export interface ExecRequest {
  /** A `.wasm` path, a catalog tool name, or the bytes of a module or component. */
  readonly program: string | Uint8Array;
  readonly args?: readonly string[];
  /** The guest's argv[0]; defaults to the program's name. */
  readonly argv0?: string;
  /** Bytes for stdin, or a source read on demand; default: empty. */
  readonly stdin?: string | Uint8Array | InputSource;
  /** Variables for this run only, set by the (trusted) caller on top of the policy's. */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory reported to components (`initial-cwd`); default `/`. */
  readonly cwd?: string;
  /** Called with each chunk of output as the guest writes it; one that may block waits as WAIT says (the run's deadline). */
  readonly onStdout?: (chunk: Uint8Array, wait: BlockingWait) => void;
  readonly onStderr?: (chunk: Uint8Array, wait: BlockingWait) => void;
  /** Tell the guest its stdout/stderr is a terminal. */
  readonly terminal?: { readonly stdin?: boolean; readonly stdout?: boolean; readonly stderr?: boolean };
  /** Keep stdout and stderr in the result (default true). */
  readonly collectOutput?: boolean;
  /** Deliver `stdout`/`stderr` events on `run.events` (default true). */
  readonly outputEvents?: boolean;
  /** Aborting it cancels the run, as {@link Run.cancel} does. */
  readonly signal?: AbortSignal;
}

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
  private readonly backends: Readonly<Record<BackendName, Backend>>;

  constructor(
    readonly policy: Policy,
    private readonly platform: Platform,
  ) {
    this.backends = platformBackends(platform);
  }

  /**
   * Starts a run. HOOKS are for hosts that drive a sandbox from elsewhere: a
   * cancellation check that can see past a busy thread, and the run's id.
   */
  exec(request: ExecRequest, hooks: RunHooks = {}): Run {
    return startRun({
      policy: this.policy,
      request,
      backend: this.backends[chooseBackend(this.policy.backend, request.program)],
      policyDigest: () => (this.digest ??= policyDigest(this.policy)),
      ...(this.platform.audit !== undefined && { audit: this.platform.audit }),
      ...(hooks.runId !== undefined && { runId: hooks.runId }),
      ...(hooks.isCancelled !== undefined && { isCancelled: hooks.isCancelled }),
    });
  }
}
