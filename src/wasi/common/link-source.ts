import { errnoError } from '../../errno.js';

/**
 * How the source of a hard link is looked up, for both faces (`path_link`,
 * `link-at`): never through a final symlink, so the link names the entry
 * itself, as Linux's linkat without AT_SYMLINK_FOLLOW. Asking to follow is
 * EINVAL, as in wasmtime's preview1 and preview2.
 */
export function linkSourceFollows(follow: boolean): false {
  if (follow) throw errnoError('INVAL', 'a hard link does not follow symlinks');
  return false;
}
