import type { HostCalls, HostState } from './host-state.js';

/** `random_get`: bytes from the run's RandomSource, written straight into guest memory. */
export function randomCalls({ ctx, memory }: HostState): HostCalls {
  return {
    random_get: (ptr: number, len: number) => ctx.random.fill(memory.slice(ptr, len)),
  };
}
