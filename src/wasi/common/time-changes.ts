import { errnoError } from '../../errno.js';
import type { TimeChange } from '../../zones/types.js';

/** What a guest asked for one of a file's times, in terms both faces share. */
export interface TimeRequest {
  /** The time to set, in nanoseconds since the epoch. */
  readonly given?: bigint | undefined;
  /** Set the time to the host's now. */
  readonly now?: boolean;
}

const maxTimestampNs = (1n << 63n) - 1n;

/**
 * The change to one of a file's times, for both faces (`fd_filestat_set_times`,
 * `path_filestat_set_times`, `set-times`, `set-times-at`).
 *
 * Giving a time and asking for now is EINVAL, as wasmtime's preview1 answers
 * ATIM with ATIM_NOW (preview2's variant cannot ask both). A given time
 * arrives as the face hands it: preview1's u64 as a signed BigInt, preview2's
 * as its seconds and nanoseconds summed exactly. Zones keep times as signed
 * 64-bit nanoseconds (utimensat through the fs-times addon, Date in memfs),
 * so a time from 2^63 ns on (past the year 2262), or a negative one, is
 * EOVERFLOW, as wasmtime's preview2 reports a time it cannot represent. It is
 * never wrapped: the addon reads -1n and -2n as "leave it" and "now".
 */
export function timeChangeOf(request: TimeRequest): TimeChange {
  const { given, now = false } = request;
  if (given !== undefined && now) throw errnoError('INVAL', 'a time cannot be both given and now');
  if (now) return 'now';
  if (given === undefined) return undefined;
  if (given < 0n || given > maxTimestampNs) throw errnoError('OVERFLOW', `time ${given} ns is out of range`);
  return given;
}
