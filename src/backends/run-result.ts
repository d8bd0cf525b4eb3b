import type { LimitKind } from '../limits/run-limiter.js';
import type { TrapInfo } from './wasm/trap.js';
import type { Denial } from '../policy/types.js';
import type { SessionCarry } from './session-carry.js';

/** How a run ended: the guest exited or trapped, or a limit of the policy stopped it. */
export type RunStatus = 'exited' | 'trapped' | LimitKind;

export interface RunResult {
  readonly runId: string;
  readonly status: RunStatus;
  /** The guest's exit code; 134 when it trapped (as wasmtime reports traps); 124 when a limit ended it. */
  readonly exitCode: number;
  readonly durationMs: number;
  /** Collected output (empty when the request asked not to collect). */
  readonly stdout: string;
  readonly stderr: string;
  /** The accesses the policy refused during the run: the first 1,000 of them. */
  readonly denials: readonly Denial[];
  /** Refusals past the first 1,000, counted but not listed (nor audited one by one). */
  readonly denialsOmitted?: number;
  readonly trap?: TrapInfo;
  /** The limit that ended the run (exit code 124), with a message naming it. */
  readonly limit?: { readonly kind: LimitKind; readonly message: string };
  /** Instructions the guest executed, when the run was metered (fuel or timeout). */
  readonly fuelConsumed?: number;
  /** Which backend ran it (`auto` chooses per program). */
  readonly backend: 'wasm' | 'docker' | 'namespace';
  readonly program: { readonly name: string; readonly kind: 'module' | 'component' | 'container' | 'shell' };
  /** The container image (Docker backend), or the image whose userland ran (namespace backend). */
  readonly image?: string;
  /**
   * How the namespace backend capped memory and processes: a cgroup (v2 or
   * v1), or rlimits where this machine gives goodbot no cgroup (then the
   * memory cap is on address space, and a hog ends with an allocation
   * failure, not `memory-limit`).
   */
  readonly resourceControl?: 'cgroup-v2' | 'cgroup-v1' | 'rlimit';
  /** Namespace backend: the run took a sandbox made ahead for its policy (its start-up was off the run's path). */
  readonly prestarted?: boolean;
  /** A run that carried a session's state: the state after it (see `ExecRequest.session`). */
  readonly session?: SessionCarry;
}
