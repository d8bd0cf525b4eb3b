import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { isProcessAlive } from '../host/process-alive.js';

/**
 * Runs BUILD holding the lock file LOCK (it holds the owner's pid), so that
 * two processes asking for the same build at once build it once: the second
 * waits, then finds the result. The lock of a process that died is taken over.
 */
export async function withBuildLock<T>(lock: string, build: () => Promise<T>, onWait?: (ownerPid: number) => void): Promise<T> {
  let waited = false;
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = lockOwner(lock);
    if (owner === undefined) continue;
    if (owner === 0) {
      // created this instant, its pid not written yet
      await sleep(50);
      continue;
    }
    if (!isProcessAlive(owner)) {
      if (lockOwner(lock) === owner) rmSync(lock, { force: true });
      continue;
    }
    if (!waited) onWait?.(owner);
    waited = true;
    await sleep(1000);
  }
  try {
    return await build();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** The pid in LOCK: undefined when there is no lock, 0 while it is being written. */
function lockOwner(lock: string): number | undefined {
  try {
    return Number(readFileSync(lock, 'utf8').trim()) || 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
