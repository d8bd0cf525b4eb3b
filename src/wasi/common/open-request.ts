import { errnoError } from '../../errno.js';
import type { OpenRequest } from '../../zones/types.js';

/** What a guest asked for when opening a path, in terms both WASI faces share. */
export interface OpenIntent {
  readonly follow: boolean;
  readonly create: boolean;
  readonly exclusive: boolean;
  readonly truncate: boolean;
  readonly directory: boolean;
  /** The guest asked to read (preview1 `FD_READ` right, preview2 `read` flag). */
  readonly read: boolean;
  /** The guest asked to write (preview1 `FD_WRITE` right, preview2 `write` flag). */
  readonly write: boolean;
  /** A synchronous-I/O flag was given (DSYNC/RSYNC/SYNC or their preview2 names). */
  readonly sync: boolean;
}

/**
 * wasmtime's open rules, for both faces: synchronous-I/O flags are NOTSUP,
 * DIRECTORY with CREATE, EXCLUSIVE or TRUNCATE is INVAL, CREATE and TRUNCATE
 * need write access, and a descriptor not opened for writing is opened for
 * reading. EXCLUSIVE means nothing without CREATE.
 */
export function openRequestOf(intent: OpenIntent): OpenRequest {
  if (intent.sync) throw errnoError('NOTSUP', 'synchronous I/O flags are not supported');
  if (intent.directory && (intent.create || intent.exclusive || intent.truncate)) throw errnoError('INVAL');
  return {
    follow: intent.follow,
    create: intent.create,
    exclusive: intent.create && intent.exclusive,
    truncate: intent.truncate,
    directory: intent.directory,
    read: intent.read || !intent.write,
    write: intent.write || intent.create || intent.truncate,
  };
}
