import { errnoError } from '../../errno.js';

/**
 * The offsets and sizes a guest gives, checked once for both faces.
 *
 * Each face hands a 64-bit value as it arrives: preview1's i64 parameters
 * reach JS as signed BigInts, preview2's u64 as unsigned ones. Both are read
 * as POSIX reads them, as a signed `off_t`, so the same bits get the same
 * errno on either face: from 2^63 on a value is negative.
 *
 * Volumes address bytes with JS numbers, exact up to 2^53 - 1: that is the
 * largest offset and size a zone file has. A value past it is refused, never
 * rounded to a neighbouring byte.
 */
export const maxFileOffset = Number.MAX_SAFE_INTEGER;

const maxOffset = BigInt(maxFileOffset);

/**
 * Where a read or a position starts (`fd_pread`, `read`, `read-via-stream`).
 * Negative is EINVAL, as pread's; past {@link maxFileOffset} EINVAL too, as
 * Linux's lseek past the largest file size (a read there could only be at
 * the end of a file no zone holds).
 */
export function fileOffset(value: bigint): number {
  const offset = BigInt.asIntN(64, value);
  if (offset < 0n) throw errnoError('INVAL', `offset ${offset} is negative`);
  if (offset > maxOffset) throw errnoError('INVAL', `offset ${offset} is past the largest file offset`);
  return Number(offset);
}

/**
 * Where a write of LENGTH bytes starts (`fd_pwrite`, `fd_write`, `write`,
 * `write-via-stream`). Negative is EINVAL, as pwrite's; a write that would
 * reach past {@link maxFileOffset} is EFBIG, as pwrite past the largest file
 * size, and nothing is written.
 */
export function writeOffset(value: bigint, length: number): number {
  const offset = BigInt.asIntN(64, value);
  if (offset < 0n) throw errnoError('INVAL', `offset ${offset} is negative`);
  if (offset + BigInt(length) > maxOffset) {
    throw errnoError('FBIG', `a write of ${length} bytes at ${offset} passes the largest file size`);
  }
  return Number(offset);
}

/**
 * A new size for a file (`fd_filestat_set_size`, `set-size`). Negative is
 * EINVAL, as ftruncate's; past {@link maxFileOffset} EFBIG, as Linux's
 * ftruncate past the largest file size.
 */
export function fileSize(value: bigint): number {
  const size = BigInt.asIntN(64, value);
  if (size < 0n) throw errnoError('INVAL', `size ${size} is negative`);
  if (size > maxOffset) throw errnoError('FBIG', `size ${size} is past the largest file size`);
  return Number(size);
}

/**
 * The position a seek lands on: BASE (the current position or the size)
 * moved by the signed DELTA. Before byte 0 or past {@link maxFileOffset} it
 * is EINVAL, as lseek's (POSIX for a negative result, Linux past the largest
 * file size).
 */
export function seekTarget(base: number | bigint, delta: bigint): number {
  const target = BigInt(base) + BigInt.asIntN(64, delta);
  if (target < 0n) throw errnoError('INVAL', `seek to ${target}, before the start of the file`);
  if (target > maxOffset) throw errnoError('INVAL', `seek to ${target}, past the largest file offset`);
  return Number(target);
}

/**
 * The length of the range an advice is given for (`fd_advise`, `advise`).
 * The advice is only a hint and never reaches a volume, so any offset goes;
 * a negative length is EINVAL, as posix_fadvise's.
 */
export function checkAdviceLength(value: bigint): void {
  const length = BigInt.asIntN(64, value);
  if (length < 0n) throw errnoError('INVAL', `advice length ${length} is negative`);
}
