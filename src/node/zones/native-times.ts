import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { getSystemErrorName } from 'node:util';
import type { TimeChange } from '../../zones/types.js';

/** The fs-times addon (src/node/zones/native/fs-times.c): ns-exact utimensat/futimens, plain functions that need no `this`. */
interface FsTimesAddon {
  readonly setPathTimes: (path: string, atim: bigint, mtim: bigint, noFollow: boolean) => void;
  readonly setFdTimes: (fd: number, atim: bigint, mtim: bigint) => void;
}

const packageRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** Where setup builds the addon; the first that exists is used. */
export const addonCandidates = [`${packageRoot}.cache/native/fs-times.node`, `${packageRoot}dist/native/fs-times.node`];

let addon: FsTimesAddon | null | undefined;

/**
 * The addon, or undefined when it was not built; host-folder zones then fall
 * back to Node's utimes, which keeps only microseconds.
 */
export function fsTimesAddon(): FsTimesAddon | undefined {
  if (addon === undefined) {
    const path = addonCandidates.find((candidate) => existsSync(candidate));
    addon = path ? withErrnoCodes(createRequire(import.meta.url)(path) as FsTimesAddon) : null;
  }
  return addon ?? undefined;
}

/** The addon throws errors with an errno number; give them Node's `code` (`ENOENT`, …) as `fs` errors have. */
function withErrnoCodes(raw: FsTimesAddon): FsTimesAddon {
  const named =
    <A extends unknown[]>(call: (...args: A) => void) =>
    (...args: A): void => {
      try {
        call(...args);
      } catch (error) {
        const errno = (error as { errno?: unknown }).errno;
        if (typeof errno === 'number') (error as { code?: string }).code = getSystemErrorName(-errno);
        throw error;
      }
    };
  return { setPathTimes: named(raw.setPathTimes), setFdTimes: named(raw.setFdTimes) };
}

/** The addon's encoding of a change: -1n leaves the time, -2n sets it to now. */
export function encodeTimeChange(change: TimeChange): bigint {
  if (change === undefined) return -1n;
  if (change === 'now') return -2n;
  return change;
}
