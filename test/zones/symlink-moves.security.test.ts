import { existsSync, lstatSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lines, makeTree, removeTree, runProbe, tempDir } from '../helpers/guests.js';

/**
 * Finding: an escaping symlink could be made by creating `a/l -> ../outside`
 * (legal where it is) and renaming the link to `l`. A host program reading
 * the zone later with ordinary path lookups would follow it out. Every
 * symlink a guest makes stays inside its zone wherever it ends up: checked
 * where it lands on rename and hard link, below a folder moved up, from
 * where a directory descriptor really is, and `..` may only lead a target.
 */
let root: string;
let work: string;

beforeEach(() => {
  root = tempDir();
  work = join(root, 'work');
  makeTree(root, { 'outside/secret': 'SECRET\n', 'work/a/b': null, 'work/keep.txt': 'keep\n' });
});

afterEach(() => removeTree(root));

const rw = () => ({ zones: [{ name: 'work', mode: 'rw' as const, hostPath: work }] });

/** Every symlink under DIR, as the host's kernel resolves it, lies inside DIR. */
function linksStayInside(dir: string): string[] {
  const out: string[] = [];
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) {
        let real: string;
        try {
          real = realpathSync(path);
        } catch {
          continue; // dangling: leads nowhere
        }
        const top = realpathSync(dir);
        if (real !== top && !real.startsWith(`${top}/`)) out.push(`${path} -> ${readlinkSync(path)}`);
      } else if (stat.isDirectory()) walk(path);
    }
  };
  walk(dir);
  return out;
}

describe('symlinks a guest makes never lead out of its zone for a later reader', () => {
  it('renaming a link up does not make it escape', async () => {
    const result = await runProbe(rw(), ['symlink', '../keep.txt', '/work/a/l'], ['rename', '/work/a/l', '/work/l']);
    expect(lines(result)).toEqual(['symlink: ok', 'rename: EPERM']);
    expect(result.denials.at(-1)).toMatchObject({ reason: 'symlink-escape' });
    expect(existsSync(join(work, 'l'))).toBe(false);
    expect(linksStayInside(work)).toEqual([]);
  });

  it('hard-linking a link up does not make it escape', async () => {
    const result = await runProbe(rw(), ['symlink', '../keep.txt', '/work/a/l'], ['link', '/work/a/l', '/work/l2']);
    expect(lines(result)).toEqual(['symlink: ok', 'link: EPERM']);
    expect(linksStayInside(work)).toEqual([]);
  });

  it('moving up the folder that holds a link does not make it escape', async () => {
    const result = await runProbe(
      rw(),
      ['symlink', '../../keep.txt', '/work/a/b/l'],
      ['rename', '/work/a/b', '/work/b'],
      ['mkdir', '/work/a/b/c'],
      ['rename', '/work/a/b', '/work/a/b/c/moved-down'],
    );
    expect(lines(result)).toEqual(['symlink: ok', 'rename: EPERM', 'mkdir: ok', 'rename: EINVAL']);
    expect(linksStayInside(work)).toEqual([]);
  });

  it('moving a folder down, or a link to where it still stays inside, keeps working', async () => {
    const result = await runProbe(
      rw(),
      ['symlink', '../keep.txt', '/work/a/l'],
      ['mkdir', '/work/other'],
      ['rename', '/work/a/l', '/work/other/l'],
      ['read', '/work/other/l'],
      ['rename', '/work/a', '/work/other/a'],
    );
    expect(lines(result)).toEqual(['symlink: ok', 'mkdir: ok', 'rename: ok', 'read: ok keep|', 'rename: ok']);
  });

  it('a link made through a directory descriptor opened before its folder moved up is checked where the folder is now', async () => {
    const result = await runProbe(rw(), ['opendir', '/work/a/b'], ['rename', '/work/a/b', '/work/b'], ['symlinkat', '../../outside/secret', 'l']);
    expect(lines(result)).toEqual(['opendir: ok', 'rename: ok', 'symlinkat: EPERM']);
    expect(linksStayInside(work)).toEqual([]);
  });

  it('a target climbing after a name (through a link to a parent) is refused', async () => {
    const result = await runProbe(rw(), ['symlink', '..', '/work/a/up'], ['symlink', 'up/../outside/secret', '/work/a/l'], ['read', '/work/a/l']);
    expect(lines(result)).toEqual(['symlink: ok', 'symlink: EPERM', 'read: ENOENT']);
    expect(linksStayInside(work)).toEqual([]);
  });
});
