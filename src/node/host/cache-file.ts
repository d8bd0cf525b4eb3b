import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/**
 * The bytes of a cache file goodbot may trust as its own: a regular file
 * (not a symlink) owned by this process's user that neither group nor
 * others may write; undefined when it is missing or anything else (then the
 * caller makes it anew). Read through the descriptor checked, so what is
 * returned is what was checked.
 */
export function readOwnFile(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const stat = fstatSync(fd);
    const owner = process.geteuid?.();
    if (!stat.isFile() || (owner !== undefined && stat.uid !== owner) || (stat.mode & 0o022) !== 0) return undefined;
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The sha256 of BYTES, in hex. */
export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Writes FILE whole or not at all (a temporary file renamed into place), writable only by this user. */
export function writeAtomically(file: string, data: Uint8Array | string): void {
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temporary, data, { mode: 0o644 });
  renameSync(temporary, file);
}
