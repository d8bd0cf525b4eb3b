import type { DirEntry } from '../../zones/types.js';
import { filetypeCode } from './filestat.js';
import type { HostCalls, HostState } from './host-state.js';

const encoder = new TextEncoder();

/**
 * `fd_readdir`: one page of a directory listing, from entry COOKIE on, with
 * `.` and `..` first as in wasmtime. The listing is read from the host once
 * per pass (at cookie 0) and kept: each call costs only the entries it
 * returns, so paging through a huge directory is linear.
 */
export function readdirCalls({ memory, fds }: HostState): HostCalls {
  return {
    fd_readdir: (fd: number, buf: number, len: number, rawCookie: bigint, out: number) => {
      // A u64 reaches JS as a signed i64: take it back to its value, so a cookie past the end stays past it.
      const cookie = BigInt.asUintN(64, rawCookie);
      const descriptor = fds.dir(fd);
      const { dir } = descriptor;
      if (cookie === 0n || descriptor.listing === undefined) descriptor.listing = dir.volume.readDir(dir);
      const listing = descriptor.listing;
      const dots = cookie < 2n ? dir.volume.stat(dir).ino : 0n;
      const total = listing.length + 2;
      const size = len >>> 0;
      let used = 0;
      for (let i = cookie < BigInt(total) ? Number(cookie) : total; i < total && used < size; i++) {
        const entry: DirEntry = i < 2 ? { name: i === 0 ? '.' : '..', type: 'directory', ino: dots } : listing[i - 2]!;
        const name = encoder.encode(entry.name);
        const record = new Uint8Array(24 + name.length);
        const header = new DataView(record.buffer);
        header.setBigUint64(0, BigInt(i + 1), true);
        header.setBigUint64(8, entry.ino, true);
        header.setUint32(16, name.length, true);
        header.setUint8(20, filetypeCode(entry.type));
        record.set(name, 24);
        const part = record.subarray(0, Math.min(record.length, size - used));
        memory.writeBytes(buf + used, part);
        used += part.length;
      }
      memory.setU32(out, used);
    },
  };
}
