import { readSync } from 'node:fs';

/** Reads smaller than this take a block; larger ones go to the host as they are. */
const smallRead = 16 * 1024;
/** What a small read fetches: stdio's 1 KiB reads of a 1 MiB file become 16 system calls instead of 1024. */
const blockBytes = 64 * 1024;

/**
 * Writes, truncations and opens for writing made through any host folder
 * zone of this thread: a block read before one of them is not used after
 * it, so a run always reads what it (or anything else it runs) wrote,
 * through whatever descriptor and zone.
 */
let changes = 0;

/** Notes that a host file may have changed through a zone (see {@link ReadAhead}). */
export function noteFileChange(): void {
  changes++;
}

interface Block {
  readonly bytes: Uint8Array;
  start: number;
  length: number;
  changes: number;
}

/**
 * Small sequential reads of host files served from a block read ahead, per
 * open descriptor. A tool reading through stdio asks for 1 KiB at a time
 * (wasi-libc's BUFSIZ), and each read of the host is a system call (5-7 us
 * on the machine measured, more than the copy): read ahead, `wc -l` of
 * 1 MiB makes 16 of them instead of 1024. A read never comes back shorter
 * than the file allows (one that runs past the block reads the rest from
 * the host), a block is used only while no change was made through a zone
 * since it was read, and one at the end of the file reads again past it
 * (a growing file is seen). What another process writes into a block
 * already read is seen once the descriptor reads past that block, or opens
 * the file again: as with gVisor's file cache, a file a run reads while
 * something outside changes it is read as it was.
 */
export class ReadAhead {
  private readonly blocks = new Map<number, Block>();

  read(fd: number, into: Uint8Array, position: number): number {
    if (into.length >= smallRead) return readSync(fd, into, 0, into.length, position);
    let block = this.blocks.get(fd);
    if (block === undefined || block.changes !== changes || position < block.start || position >= block.start + block.length) {
      if (block === undefined) this.blocks.set(fd, (block = { bytes: new Uint8Array(blockBytes), start: 0, length: 0, changes }));
      block.start = position;
      block.changes = changes;
      block.length = readSync(fd, block.bytes, 0, blockBytes, position);
      if (block.length === 0) return 0;
    }
    const offset = position - block.start;
    const n = Math.min(into.length, block.length - offset);
    into.set(block.bytes.subarray(offset, offset + n));
    // Past a full block the file may hold more: the rest comes from the host, so the read is as long as a direct one.
    if (n < into.length && block.length === blockBytes) return n + readSync(fd, into, n, into.length - n, position + n);
    return n;
  }

  /** The descriptor is closed (its number may be reused). */
  forget(fd: number): void {
    this.blocks.delete(fd);
  }
}
