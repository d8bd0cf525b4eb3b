import { GoodbotError } from '../../src/errors.js';

/** What BODY threw: the value jco's glue turns into a call's `err`. Fails when it throws nothing. */
export function thrown(body: () => unknown): unknown {
  try {
    body();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** The `GoodbotError` BODY threw; anything else thrown fails the test as it is. */
export function thrownGoodbotError(body: () => unknown): GoodbotError {
  const error = thrown(body);
  if (error instanceof GoodbotError) return error;
  throw error;
}
