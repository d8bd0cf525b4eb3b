import { GoodbotError, exitStatusFor } from '../errors.js';

/** Prints ERROR for a terminal (`goodbot: what (what to do)`) and returns the exit status for it. */
export function reportFailure(error: unknown): number {
  const failure = error instanceof GoodbotError ? error : new GoodbotError('runtime', String((error as Error)?.message ?? error));
  console.error(`goodbot: ${failure.describe()}`);
  return exitStatusFor(failure);
}
