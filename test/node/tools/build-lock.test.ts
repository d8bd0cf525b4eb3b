import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withBuildLock } from '../../../src/node/tools/build-lock.js';
import { removeTree, tempDir } from '../../helpers/guests.js';

const dir = tempDir('goodbot-build-lock-');
afterAll(() => removeTree(dir));

describe('the build lock', () => {
  it('runs one build at a time: the second waits for the first to end', async () => {
    const lock = join(dir, 'one-at-a-time.lock');
    const events: string[] = [];
    const waits: number[] = [];
    const build = (name: string) => async () => {
      events.push(`${name} start`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      events.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([withBuildLock(lock, build('a')), withBuildLock(lock, build('b'), (pid) => waits.push(pid))]);
    expect(results).toEqual(['a', 'b']);
    expect(events).toEqual(['a start', 'a end', 'b start', 'b end']);
    expect(waits).toEqual([process.pid]);
    expect(existsSync(lock)).toBe(false);
  });

  it('takes over the lock of a process that died, and releases it when the build fails', async () => {
    const lock = join(dir, 'stale.lock');
    writeFileSync(lock, String(spawnSync('true').pid));
    const failing = withBuildLock(lock, async () => {
      throw new Error('the build failed');
    });
    await expect(failing).rejects.toThrow('the build failed');
    expect(existsSync(lock)).toBe(false);
  });
});
