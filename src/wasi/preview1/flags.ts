import { errnoError } from '../../errno.js';
import type { TimeChange } from '../../zones/types.js';
import { timeChangeOf } from '../common/time-changes.js';
import { Fstflags, fstflagsAll, LOOKUP_SYMLINK_FOLLOW, rightsAll } from './constants.js';

/*
 * Preview1's flag words, read into the terms of the WASI core. Unknown bits
 * are EINVAL here: preview2's glue refuses them before the host is called.
 */

/** Whether `lookupflags` ask to follow a final symlink. */
export function lookupFollows(flags: number): boolean {
  if (flags & ~LOOKUP_SYMLINK_FOLLOW) throw errnoError('INVAL');
  return (flags & LOOKUP_SYMLINK_FOLLOW) !== 0;
}

/** Refuses rights preview1 does not define. */
export function checkRights(base: bigint, inheriting: bigint): void {
  if (base & ~rightsAll || inheriting & ~rightsAll) throw errnoError('INVAL', 'unknown rights');
}

/** The changes `fstflags` ask for the access and modification times, by the core's rule. */
export function timeChanges(atim: bigint, mtim: bigint, flags: number): [TimeChange, TimeChange] {
  if (flags & ~fstflagsAll) throw errnoError('INVAL');
  const pick = (value: bigint, set: number, now: number): TimeChange =>
    timeChangeOf({ given: flags & set ? value : undefined, now: (flags & now) !== 0 });
  return [pick(atim, Fstflags.ATIM, Fstflags.ATIM_NOW), pick(mtim, Fstflags.MTIM, Fstflags.MTIM_NOW)];
}
