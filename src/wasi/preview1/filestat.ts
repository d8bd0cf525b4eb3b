import type { FileStat, FileType } from '../../zones/types.js';
import type { InputSource } from '../common/stdio.js';
import { Filetype } from './constants.js';
import type { GuestMemory } from './guest-memory.js';

/** Writes a preview1 `filestat` at OUT. */
export function writeFilestat(memory: GuestMemory, out: number, stat: FileStat): void {
  memory.setU64(out, stat.dev);
  memory.setU64(out + 8, stat.ino);
  memory.setU8(out + 16, filetypeCode(stat.type));
  for (let i = 17; i < 24; i++) memory.setU8(out + i, 0);
  memory.setU64(out + 24, stat.nlink);
  memory.setU64(out + 32, stat.size);
  memory.setU64(out + 40, stat.atimNs);
  memory.setU64(out + 48, stat.mtimNs);
  memory.setU64(out + 56, stat.ctimNs);
}

/** How fd 0 looks to the guest: a terminal or `/dev/null` is a character device; a pipe, as in wasmtime, is `unknown`. */
export function stdinFiletype(source: InputSource): number {
  return source.isTerminal || source.isNullDevice ? Filetype.CHARACTER_DEVICE : Filetype.UNKNOWN;
}

export function filetypeCode(type: FileType): number {
  switch (type) {
    case 'directory':
      return Filetype.DIRECTORY;
    case 'regular-file':
      return Filetype.REGULAR_FILE;
    case 'symbolic-link':
      return Filetype.SYMBOLIC_LINK;
    case 'block-device':
      return Filetype.BLOCK_DEVICE;
    case 'character-device':
      return Filetype.CHARACTER_DEVICE;
    case 'socket':
      return Filetype.SOCKET_STREAM;
    default:
      return Filetype.UNKNOWN;
  }
}
