import { LimitExceeded } from '../../limits/run-limiter.js';
import { ProcessExit } from '../../wasi/common/context.js';
import { LimitInterrupt } from '../../limits/limit-interrupt.js';
import { trapOf, type TrapInfo } from './trap.js';

/** How a guest ended: it exited (or returned: code 0), it trapped, or a limit stopped it. */
export type GuestOutcome = { kind: 'exit'; code: number } | { kind: 'trap'; trap: TrapInfo } | { kind: 'limit'; limit: LimitExceeded };

/** The outcome an exception from guest code means; host failures are rethrown. */
export function outcomeOf(error: unknown): GuestOutcome {
  if (error instanceof ProcessExit) return { kind: 'exit', code: error.code };
  if (error instanceof LimitExceeded) return { kind: 'limit', limit: error };
  if (error instanceof LimitInterrupt) return { kind: 'limit', limit: error.limit };
  const trap = trapOf(error);
  if (trap) return { kind: 'trap', trap };
  throw error;
}
