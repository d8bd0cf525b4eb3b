import type { WasiContext } from '../common/context.js';
import type { DescriptorTable } from './descriptors.js';
import type { GuestMemory } from './guest-memory.js';

/** What every preview1 call works on: the run's context, the guest's memory and its descriptors. */
export interface HostState {
  readonly ctx: WasiContext;
  readonly memory: GuestMemory;
  readonly fds: DescriptorTable;
}

/**
 * Preview1 functions by name, as one WASI domain implements them: each
 * writes its results into guest memory and fails with an ErrnoError, which
 * the host turns into the errno it returns.
 */
export type HostCalls = Record<string, (...args: never[]) => void | number>;
