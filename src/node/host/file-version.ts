import { statSync } from 'node:fs';

/** A regular file's identity and version (device, inode, size, mtime), or undefined if it is not one. */
export function fileVersion(path: string): string | undefined {
  const stat = statSync(path, { bigint: true, throwIfNoEntry: false });
  return stat?.isFile() ? `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}` : undefined;
}
