import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lines, makeTree, removeTree, runProbe, tempDir } from '../helpers/guests.js';

/** Zone quotas: a write that would pass the quota fails whole, with ENOSPC, before touching the file. */
let root: string;

beforeEach(() => {
  root = tempDir();
  makeTree(root, { 'out/existing.txt': 'x'.repeat(100_000) });
});

afterEach(() => removeTree(root));

describe('zone quotas', () => {
  it('a write past the quota of a host folder fails with ENOSPC and leaves a consistent file', async () => {
    const config = { zones: [{ name: 'out', mode: 'rw' as const, hostPath: join(root, 'out'), quota: '1MiB' }] };
    const result = await runProbe(config, ['fill', '/out/big', '2000000']);
    const [line] = lines(result);
    const written = Number(/after (\d+)/.exec(line!)![1]);
    expect(line).toMatch(/^fill: ENOSPC after \d+$/);
    const size = statSync(join(root, 'out', 'big')).size;
    expect(size).toBe(written);
    expect(size + 100_000).toBeLessThanOrEqual(1024 * 1024);
    expect(readFileSync(join(root, 'out', 'big'), 'utf8')).toBe('x'.repeat(size));
    expect(result.denials[0]).toMatchObject({ reason: 'quota-exceeded', error: 'ENOSPC', zone: 'out' });
  });

  it('space freed by removing or truncating files can be used again', async () => {
    const config = { zones: [{ name: 'out', mode: 'rw' as const, hostPath: join(root, 'out'), quota: '300KB' }] };
    const result = await runProbe(
      config,
      ['fill', '/out/a', '150000'],
      ['fill', '/out/b', '100000'],
      ['unlink', '/out/existing.txt'],
      ['fill', '/out/b', '140000'],
      ['trunc', '/out/a'],
      ['fill', '/out/c', '150000'],
    );
    expect(lines(result)).toEqual(['fill: ok 150000', 'fill: ENOSPC after 0', 'unlink: ok', 'fill: ok 140000', 'trunc: ok', 'fill: ok 150000']);
  });

  it('an in-memory zone is capped too', async () => {
    // 80 KiB: the first 64 KiB chunk and the file's entry fit, the next chunk does not.
    const result = await runProbe({ zones: [{ name: 'scratch', mode: 'tmpfs', quota: '80KiB' }] }, ['fill', '/scratch/x', '100000']);
    expect(lines(result)).toEqual(['fill: ENOSPC after 65536']);
  });
});
