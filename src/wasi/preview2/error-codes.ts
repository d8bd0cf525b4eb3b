import { ErrnoError, type ErrnoName } from '../../errno.js';

/** `wasi:filesystem/types` `error-code`: the values the glue accepts, in WIT spelling. */
export type FilesystemErrorCode =
  | 'access'
  | 'would-block'
  | 'already'
  | 'bad-descriptor'
  | 'busy'
  | 'deadlock'
  | 'quota'
  | 'exist'
  | 'file-too-large'
  | 'illegal-byte-sequence'
  | 'in-progress'
  | 'interrupted'
  | 'invalid'
  | 'io'
  | 'is-directory'
  | 'loop'
  | 'too-many-links'
  | 'message-size'
  | 'name-too-long'
  | 'no-device'
  | 'no-entry'
  | 'no-lock'
  | 'insufficient-memory'
  | 'insufficient-space'
  | 'not-directory'
  | 'not-empty'
  | 'not-recoverable'
  | 'unsupported'
  | 'no-tty'
  | 'no-such-device'
  | 'overflow'
  | 'not-permitted'
  | 'pipe'
  | 'read-only'
  | 'invalid-seek'
  | 'text-file-busy'
  | 'cross-device';

/**
 * The error-code for each errno (src/errno.ts). It is the inverse of the
 * preview1 adapter's mapping, so a component built from a preview1 program
 * sees the same errno a core module gets from the preview1 face.
 */
const codes: Partial<Record<ErrnoName, FilesystemErrorCode>> = {
  ACCES: 'access',
  AGAIN: 'would-block',
  ALREADY: 'already',
  BADF: 'bad-descriptor',
  BUSY: 'busy',
  DEADLK: 'deadlock',
  DQUOT: 'quota',
  EXIST: 'exist',
  FBIG: 'file-too-large',
  ILSEQ: 'illegal-byte-sequence',
  INPROGRESS: 'in-progress',
  INTR: 'interrupted',
  INVAL: 'invalid',
  IO: 'io',
  ISDIR: 'is-directory',
  LOOP: 'loop',
  MLINK: 'too-many-links',
  MSGSIZE: 'message-size',
  NAMETOOLONG: 'name-too-long',
  NODEV: 'no-device',
  NOENT: 'no-entry',
  NOLCK: 'no-lock',
  NOMEM: 'insufficient-memory',
  NOSPC: 'insufficient-space',
  NOTDIR: 'not-directory',
  NOTEMPTY: 'not-empty',
  NOTRECOVERABLE: 'not-recoverable',
  NOTSUP: 'unsupported',
  NOTTY: 'no-tty',
  NXIO: 'no-such-device',
  OVERFLOW: 'overflow',
  PERM: 'not-permitted',
  PIPE: 'pipe',
  ROFS: 'read-only',
  SPIPE: 'invalid-seek',
  TXTBSY: 'text-file-busy',
  XDEV: 'cross-device',
  NOTCAPABLE: 'access',
};

/** The error-code for an errno; errnos preview2 has no name for become `io`. */
export function filesystemErrorCodeOf(errno: ErrnoName): FilesystemErrorCode {
  return codes[errno] ?? 'io';
}

/**
 * Runs a filesystem operation for the guest. An {@link ErrnoError} is thrown on
 * as its error-code string, which the glue returns to the guest as `err`;
 * anything else is a host failure and propagates unchanged.
 */
export function fsCall<T>(body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (error instanceof ErrnoError) throw filesystemErrorCodeOf(error.errno);
    throw error;
  }
}
