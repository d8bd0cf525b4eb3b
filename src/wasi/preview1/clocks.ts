import { errnoError } from '../../errno.js';
import { Clockid } from './constants.js';
import type { HostCalls, HostState } from './host-state.js';

/**
 * `clock_*`: the realtime and monotonic clocks of the run's WasiClock. The
 * CPU-time clocks are EBADF, as in wasmtime; any other id is EINVAL.
 */
export function clockCalls({ ctx, memory }: HostState): HostCalls {
  return {
    clock_res_get: (id: number, out: number) => {
      checkClock(id);
      memory.setU64(out, ctx.clock.resolutionNs);
    },
    clock_time_get: (id: number, _precision: bigint, out: number) => {
      checkClock(id);
      memory.setU64(out, id === Clockid.REALTIME ? ctx.clock.wallNs() : ctx.clock.monotonicNs());
    },
  };
}

function checkClock(id: number): void {
  if (id === Clockid.PROCESS_CPUTIME_ID || id === Clockid.THREAD_CPUTIME_ID) {
    throw errnoError('BADF', 'CPU-time clocks are not supported');
  }
  if (id !== Clockid.REALTIME && id !== Clockid.MONOTONIC) throw errnoError('INVAL');
}
