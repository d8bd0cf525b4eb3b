import { GoodbotError, exitStatusFor } from '../../errors.js';

/**
 * ERROR as the command line reports it: a `GoodbotError` (anything else
 * becomes a `runtime` one) whose hint is in the command line's terms, its
 * flags, where the library's error has such a hint.
 */
export function commandLineFailure(error: unknown): GoodbotError {
  if (!(error instanceof GoodbotError)) return new GoodbotError('runtime', String((error as Error)?.message ?? error), { cause: error });
  if (error.commandLineHint === undefined) return error;
  return new GoodbotError(error.kind, error.message, {
    hint: error.commandLineHint,
    ...(error.file !== undefined && { file: error.file }),
    ...(error.field !== undefined && { field: error.field }),
    ...(error.path !== undefined && { path: error.path }),
    cause: error,
  });
}

/** Prints ERROR for a terminal (`goodbot: what (what to do)`) and returns the exit status for it. */
export function reportFailure(error: unknown): number {
  const failure = commandLineFailure(error);
  console.error(`goodbot: ${failure.describe()}`);
  return exitStatusFor(failure);
}
