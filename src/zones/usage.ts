import { byteLength } from './resolve.js';
import type { FileType } from './types.js';

/**
 * What one entry costs against its zone's quota: the store's cost of an
 * entry of its type (an inode, a directory block, an in-memory node), its
 * name, and a symlink's target. A file's contents are charged apart, once
 * per inode, as they are written. Names and link targets cost host memory
 * or disk like contents do, so a guest cannot fill its host with
 * empty files, folders or long links in a zone whose quota it never
 * touches.
 */
export function entryCharge(entryCost: (type: FileType) => number, type: FileType, name: string, linkTargetBytes = 0): number {
  return entryCost(type) + byteLength(name) + linkTargetBytes;
}
