import type { GuestOutcome } from './outcome.js';
import type { WasiContext } from '../../wasi/common/context.js';
import type { MeteredModule } from './metered-module.js';
import type { MemoryLimits } from '../../limits/memory-import.js';

/** A program ready to run: compiled, checked, and cached by the platform. */
export interface LoadedProgram {
  readonly name: string;
  readonly kind: 'module' | 'component';
  /** Runs the guest to completion on the calling thread. */
  run(ctx: WasiContext): GuestOutcome;
  /**
   * The program as another thread can run it (its compiled module, and,
   * when it runs METERED, the variant for MEMORY_BYTES); absent for a
   * program that can run only where it was loaded (a component).
   */
  portable?(metered: boolean, memoryBytes: number | undefined): PortableProgram;
}

/**
 * A compiled core module, and, when it imports its memory (see
 * `importOwnMemory`), the memory the host gives it at each instantiation.
 */
export interface GuestModule {
  readonly module: WebAssembly.Module;
  readonly memory?: MemoryLimits;
}

/** A core module program in a form that can be posted to another thread (compiled modules are shared, not copied). */
export interface PortableProgram extends GuestModule {
  readonly name: string;
  /** The variant to run when the run is metered. */
  readonly metered?: MeteredModule;
}
