import type { GuestOutcome } from './outcome.js';
import type { WasiContext } from '../../wasi/common/context.js';

/** A program ready to run: compiled, checked, and cached by the platform. */
export interface LoadedProgram {
  readonly name: string;
  readonly kind: 'module' | 'component';
  /** Runs the guest to completion on the calling thread. */
  run(ctx: WasiContext): GuestOutcome;
}
