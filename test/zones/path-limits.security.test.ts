import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lines, makeTree, runProbe, tempDir } from '../helpers/guests.js';

/**
 * Finding: one `open()` of a path made of `sub/../` a million times took 15 s
 * under `--timeout 1s` and reported `exited 0`; a chain of symlinks holding
 * long `../` sequences likewise. The work of one path resolution is bounded
 * as Linux bounds it: PATH_MAX, NAME_MAX, 40 symlinks, and a cap on the
 * components one resolution may walk.
 */
let root: string;

beforeAll(() => {
  root = tempDir();
  const long = 'sub/..' + '/sub/..'.repeat(580);
  const chain: Record<string, { symlink: string }> = {};
  for (let i = 0; i < 39; i++) chain[`in/l${i}`] = { symlink: `${long}/l${i + 1}` };
  chain['in/l39'] = { symlink: `${long}/target.txt` };
  makeTree(root, { 'in/sub/x': 'x', 'in/target.txt': 'reached\n', ...chain });
});

// rm copes with a tree deeper than PATH_MAX; a recursive rmSync overflows the stack on it.
afterAll(() => execFileSync('rm', ['-rf', root]));

const zone = () => ({ zones: [{ name: 'in', mode: 'ro' as const, hostPath: join(root, 'in') }] });

describe('one path resolution is bounded', () => {
  it('a path of a hundred thousand sub/.. components is refused at once with ENAMETOOLONG', async () => {
    const path = '/in/' + 'sub/../'.repeat(100_000) + 'target.txt';
    const result = await runProbe(zone(), ['read', path], ['stat', path], ['rawopen', '3', path.slice(4)]);
    expect(lines(result)).toEqual(['read: ENAMETOOLONG', 'stat: ENAMETOOLONG', 'rawopen: ENAMETOOLONG']);
  });

  it('a component longer than NAME_MAX is refused, in memory as on disk', async () => {
    const result = await runProbe(
      { zones: [...zone().zones, { name: 'scratch', mode: 'tmpfs' as const }] },
      ['read', `/in/${'n'.repeat(256)}`],
      ['read', `/in/${'n'.repeat(255)}`],
      ['write', `/scratch/${'n'.repeat(256)}`, 'x'],
      ['mkdir', `/scratch/${'n'.repeat(300)}`],
    );
    expect(lines(result)).toEqual(['read: ENAMETOOLONG', 'read: ENOENT', 'write: ENAMETOOLONG', 'mkdir: ENAMETOOLONG']);
  });

  it('a chain of symlinks holding long ../ sequences ends in ELOOP, not in a long walk', async () => {
    const result = await runProbe(zone(), ['read', '/in/l0'], ['read', '/in/l39']);
    expect(lines(result)).toEqual(['read: ELOOP', 'read: ok reached|']);
  });

  it('a run that asks for such paths in a loop stays within its deadline and ends as a timeout', async () => {
    const path = '/in/' + 'sub/../'.repeat(500) + 'target.txt';
    const started = performance.now();
    const result = await runProbe({ ...zone(), limits: { timeout: '1s' } }, ['openloop', path, '100000000']);
    expect(result.status).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

describe('a deep tree', () => {
  it('a tree deeper than PATH_MAX does not disable its zone for later runs with a quota', async () => {
    const deep = join(root, 'deep');
    makeDeepTree(deep, 3000);
    const result = await runProbe({ zones: [{ name: 'out', mode: 'rw', hostPath: deep, quota: '64MiB' }] }, ['write', '/out/top.txt', 'ok']);
    expect(result.status).toBe('exited');
    expect(lines(result)).toEqual(['write: ok']);
  });
});

/** Folders nested LEVELS deep under PATH, made relative to open descriptors (a path string would pass PATH_MAX). */
function makeDeepTree(path: string, levels: number): void {
  mkdirSync(path, { recursive: true });
  let dir = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY);
  for (let i = 0; i < levels; i++) {
    mkdirSync(`/proc/self/fd/${dir}/d`);
    const child = openSync(`/proc/self/fd/${dir}/d`, constants.O_RDONLY | constants.O_DIRECTORY);
    closeSync(dir);
    dir = child;
  }
  writeFileSync(`/proc/self/fd/${dir}/f`, 'bottom\n');
  closeSync(dir);
}
