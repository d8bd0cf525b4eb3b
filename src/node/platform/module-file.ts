import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ModuleWithRoom, rewriteRoomBytes } from '../../limits/memory-import.js';

/**
 * The WebAssembly file at PATH, read into a buffer of its own with room
 * before it, so the memory-import rewrite can change its first sections in
 * place instead of copying all of it (see `ModuleWithRoom`). Read to its
 * end even if it grew since its size was looked at.
 */
export function readModuleFile(path: string): ModuleWithRoom {
  const fd = openSync(path, 'r');
  try {
    let buffer = new Uint8Array(rewriteRoomBytes + fstatSync(fd).size + 1);
    let length = rewriteRoomBytes;
    for (;;) {
      if (length === buffer.length) {
        const larger = new Uint8Array(buffer.length * 2);
        larger.set(buffer);
        buffer = larger;
      }
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) return new ModuleWithRoom(buffer.subarray(0, length), rewriteRoomBytes);
      length += read;
    }
  } finally {
    closeSync(fd);
  }
}
