import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lines, makeTree, removeTree, runProbe, tempDir } from '../helpers/guests.js';

/**
 * Finding: a guest set `core.fsmonitor` in a read-write zone's `.git/config`
 * and the owner's next `git status` ran a command on the host. A zone's
 * `.git` folders, at any depth and by any name that leads there, are
 * read-only to the guest unless the zone says `git: writable`.
 */
let root: string;
let work: string;
let marker: string;

const git = (...args: string[]) =>
  execFileSync('git', args, { cwd: work, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: root } });

beforeEach(() => {
  root = tempDir();
  work = join(root, 'work');
  marker = join(root, 'pwned');
  makeTree(root, { 'work/readme.md': 'hello\n', 'work/sub/notes.txt': 'notes\n' });
  git('init', '-q');
});

afterEach(() => removeTree(root));

const rw = () => ({ zones: [{ name: 'work', mode: 'rw' as const, hostPath: work }] });
const payload = () => `[core]\n\tfsmonitor = touch ${marker}\n`;

describe('.git folders are read-only to the guest', () => {
  it("a guest cannot make the owner's next git status run a command (core.fsmonitor in .git/config)", async () => {
    const before = readFileSync(join(work, '.git', 'config'), 'utf8');
    const result = await runProbe(
      rw(),
      ['append', '/work/.git/config', `\n[core]\n\tfsmonitor = touch ${marker}\n`],
      ['write', '/work/.git/config', `[core]\n\tfsmonitor = touch ${marker}\n`],
      ['trunc', '/work/.git/config'],
      ['write', '/work/.git/hooks/pre-commit', `#!/bin/sh\ntouch ${marker}\n`],
    );
    expect(lines(result)).toEqual(['append: EROFS', 'write: EROFS', 'trunc: EROFS', 'write: EROFS']);
    expect(result.denials.map((d) => d.reason)).toEqual(['git-folder', 'git-folder', 'git-folder', 'git-folder']);
    expect(readFileSync(join(work, '.git', 'config'), 'utf8')).toBe(before);
    git('status', '--porcelain');
    expect(existsSync(marker)).toBe(false);
  });

  it('a guest cannot plant a repository of its own anywhere in the zone (a nested .git folder or gitdir file)', async () => {
    const result = await runProbe(
      rw(),
      ['mkdir', '/work/sub/.git'],
      ['write', '/work/sub/.git', 'gitdir: /tmp/elsewhere\n'],
      ['mkdir', '/work/staging'],
      ['write', '/work/staging/config', payload()],
      ['rename', '/work/staging', '/work/sub/.git'],
      ['mkdir', '/work/sub/.GIT'],
      ['mkdir', '/work/sub/.git.'],
      ['symlink', 'staging', '/work/sub/.git'],
    );
    expect(lines(result)).toEqual([
      'mkdir: EROFS',
      'write: EROFS',
      'mkdir: ok',
      'write: ok',
      'rename: EROFS',
      'mkdir: EROFS',
      'mkdir: EROFS',
      'symlink: EROFS',
    ]);
    expect(existsSync(join(work, 'sub', '.git'))).toBe(false);
  });

  it('a guest cannot reach .git through another name: a symlink, a hard link, a renamed .git, a directory fd', async () => {
    const result = await runProbe(
      rw(),
      ['symlink', '.git', '/work/alias'],
      ['write', '/work/alias/config', payload()],
      ['link', '/work/.git/config', '/work/config-link'],
      ['rename', '/work/.git', '/work/not-git'],
      ['rename', '/work/readme.md', '/work/.git/config'],
      ['opendir', '/work/.git'],
      ['symlinkat', 'config', 'hooks-link'],
      ['utimes', '/work/.git/config'],
    );
    expect(lines(result)).toEqual([
      'symlink: ok',
      'write: EROFS',
      'link: EROFS',
      'rename: EROFS',
      'rename: EROFS',
      'opendir: ok',
      'symlinkat: EROFS',
      'utimes: EROFS',
    ]);
    expect(existsSync(join(work, 'config-link'))).toBe(false);
    expect(existsSync(join(work, '.git', 'config'))).toBe(true);
  });

  it('a zone whose host folder is itself a .git folder is read-only to the guest', async () => {
    const result = await runProbe({ zones: [{ name: 'g', mode: 'rw', hostPath: join(work, '.git') }] }, ['write', '/g/config', payload()]);
    expect(lines(result)).toEqual(['write: EROFS']);
  });

  it('reading a repository, and working beside it, still works', async () => {
    const result = await runProbe(
      rw(),
      ['read', '/work/.git/HEAD'],
      ['ls', '/work/.git/refs'],
      ['write', '/work/sub/new.txt', 'fine'],
      ['rename', '/work/sub', '/work/moved'],
    );
    expect(lines(result)).toEqual([expect.stringMatching(/^read: ok ref: refs\/heads\/\w+\|$/), 'ls: ok heads,tags', 'write: ok', 'rename: ok']);
  });
});

describe('a zone that opts in', () => {
  it('with git: writable the guest may change .git folders (a wasm git or a build that commits needs it)', async () => {
    const result = await runProbe(
      { zones: [{ name: 'work', mode: 'rw', hostPath: work, git: 'writable' }] },
      ['append', '/work/.git/config', '\n[user]\n\tname = guest\n'],
      ['mkdir', '/work/sub/.git'],
    );
    expect(lines(result)).toEqual(['append: ok', 'mkdir: ok']);
    expect(git('config', 'user.name').trim()).toBe('guest');
  });
});
