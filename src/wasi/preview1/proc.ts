import { errnoError } from '../../errno.js';
import { ProcessExit } from '../common/context.js';
import type { HostCalls } from './host-state.js';

/** `proc_*` and `sched_yield`: exit unwinds the guest with its code; signals are not supported. */
export function procCalls(): HostCalls {
  return {
    proc_exit: (code: number) => {
      throw new ProcessExit(code >>> 0);
    },
    proc_raise: () => {
      throw errnoError('NOTSUP', 'signals are not supported');
    },
    sched_yield: () => {},
  };
}
