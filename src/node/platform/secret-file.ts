import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { GoodbotError } from '../../errors.js';
import { maxSecretBytes } from '../../policy/secrets.js';

/**
 * A secret's value from the file at PATH (a `file:` source): its text
 * without one final line break; undefined when there is no such file. Read
 * by goodbot, never mounted; only a regular file, and only up to the most a
 * secret holds, so a wrong path (a device, a FIFO, a huge file) fails
 * instead of hanging or filling memory. Messages never quote the content.
 */
export function readSecretFile(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new GoodbotError('policy', `the secret file ${path} cannot be read (${code ?? 'error'})`, { path, hint: 'make it readable by goodbot' });
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new GoodbotError('policy', `the secret file ${path} is not a regular file`, { path });
    const bytes = Buffer.alloc(maxSecretBytes + 3);
    let length = 0;
    for (let read = -1; read !== 0 && length < bytes.length; length += read) read = readSync(fd, bytes, length, bytes.length - length, null);
    if (length > maxSecretBytes + 2) throw new GoodbotError('policy', `the secret file ${path} is longer than ${maxSecretBytes} bytes`, { path });
    return bytes
      .subarray(0, length)
      .toString('latin1')
      .replace(/\r?\n$/, '');
  } finally {
    closeSync(fd);
  }
}
