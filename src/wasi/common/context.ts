import type { RunLimiter } from '../../limits/run-limiter.js';
import type { Authority } from '../../policy/authority.js';
import type { Volume, ZoneDir } from '../../zones/volume.js';
import type { WasiClock } from '../../limits/clock.js';
import type { NetworkGate } from './network-gate.js';
import type { RandomSource } from './random.js';
import type { InputSource, OutputSink } from './stdio.js';
import type { ChildStarter } from './child-program.js';

/** A directory the guest starts with (a zone root), under its guest path. */
export interface Preopen {
  readonly guestPath: string;
  readonly dir: ZoneDir;
}

/**
 * Everything one run's WASI host may touch: the capabilities both faces
 * (preview1 imports, preview2 interfaces) are built on. Nothing here is shared
 * between runs, and nothing outside it is reachable from the guest.
 */
export interface WasiContext {
  readonly args: readonly string[];
  /** The guest's whole environment, already filtered by the policy. */
  readonly env: readonly (readonly [string, string])[];
  /** Working directory reported to components (`initial-cwd`). */
  readonly cwd: string;
  readonly preopens: readonly Preopen[];
  readonly volumes: readonly Volume[];
  readonly stdin: InputSource;
  readonly stdout: OutputSink;
  readonly stderr: OutputSink;
  readonly clock: WasiClock;
  readonly random: RandomSource;
  readonly authority: Authority;
  /** The run's network capability; absent: none (every socket and request is refused). */
  readonly network?: NetworkGate;
  /** The run's limits (fuel, deadline, memory, output) and its cancellation. */
  readonly limiter?: RunLimiter;
  /** Starts a command as the guest's child and waits for it; absent: the guest cannot start programs (ENOSYS). */
  readonly startChild?: ChildStarter;
}

/** Thrown by `proc_exit` / `wasi:cli/exit` to unwind the guest with its exit code. */
export class ProcessExit {
  constructor(readonly code: number) {}
}
