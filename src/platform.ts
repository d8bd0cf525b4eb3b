import type { AuditSink } from './audit/events.js';
import type { GuestOutcome } from './backends/wasm/outcome.js';
import type { ZoneSpec } from './policy/types.js';
import type { WasiClock } from './wasi/core/clock.js';
import type { WasiContext } from './wasi/core/context.js';
import type { RandomSource } from './wasi/core/random.js';
import type { VolumeBackend } from './zones/volume-backend.js';

/** A program ready to run: compiled, checked, and cached by the platform. */
export interface LoadedProgram {
  readonly name: string;
  readonly kind: 'module' | 'component';
  /** Runs the guest to completion on the calling thread. */
  run(ctx: WasiContext): GuestOutcome;
}

/**
 * What the platform-neutral sandbox needs from its host (Node or a browser):
 * how to find and compile programs, how to store zones, and what the host's
 * environment is. Everything else (policy, WASI host, zones logic) is shared.
 */
export interface Platform {
  /** PROGRAM as given by the caller: a path, a catalog tool name, or bytes. */
  loadProgram(program: string | Uint8Array): Promise<LoadedProgram>;
  /** The storage for one run of a zone (a host folder, or memory). */
  zoneBackend(spec: ZoneSpec): VolumeBackend<unknown, unknown>;
  /** The host's environment, from which the policy may pass variables. */
  hostEnv(): Readonly<Record<string, string | undefined>>;
  readonly audit?: AuditSink;
  createClock(): WasiClock;
  readonly random: RandomSource;
}
