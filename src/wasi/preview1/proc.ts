import { fsError } from '../../zones/errno.js';
import { ProcessExit } from '../core/context.js';
import type { HostCalls } from './host-state.js';

/** `proc_*` and `sched_yield`: exit unwinds the guest with its code; signals are not supported. */
export function procCalls(): HostCalls {
  return {
    proc_exit: (code: number) => {
      throw new ProcessExit(code >>> 0);
    },
    proc_raise: () => {
      throw fsError('NOTSUP', 'signals are not supported');
    },
    sched_yield: () => {},
  };
}
