import { ProcessExit } from '../../wasi/core/context.js';
import { trapOf, type TrapInfo } from './trap.js';

/** How a guest ended: it exited (or returned: code 0), or it trapped. */
export type GuestOutcome = { kind: 'exit'; code: number } | { kind: 'trap'; trap: TrapInfo };

/** The outcome an exception from guest code means; host failures are rethrown. */
export function outcomeOf(error: unknown): GuestOutcome {
  if (error instanceof ProcessExit) return { kind: 'exit', code: error.code };
  const trap = trapOf(error);
  if (trap) return { kind: 'trap', trap };
  throw error;
}
