import type { ErrnoError } from '../../errno.js';

/** What a shell prints for an errno, as strerror words it. */
const messages: Readonly<Record<string, string>> = {
  NOENT: 'No such file or directory',
  ACCES: 'Permission denied',
  PERM: 'Operation not permitted',
  ROFS: 'Read-only file system',
  ISDIR: 'Is a directory',
  NOTDIR: 'Not a directory',
  EXIST: 'File exists',
  NOSPC: 'No space left on device',
  DQUOT: 'Disk quota exceeded',
  LOOP: 'Too many levels of symbolic links',
  NAMETOOLONG: 'File name too long',
  MFILE: 'Too many open files',
  NOTEMPTY: 'Directory not empty',
  BADF: 'Bad file descriptor',
  FBIG: 'File too large',
  INVAL: 'Invalid argument',
  PIPE: 'Broken pipe',
};

/** ERROR as a shell message: its strerror text, and the path or detail it carries when WITHDETAIL. */
export function errnoMessage(error: ErrnoError, withDetail = true): string {
  const text = messages[error.errno] ?? `error ${error.errno}`;
  return withDetail && error.detail ? `${error.detail}: ${text}` : text;
}
