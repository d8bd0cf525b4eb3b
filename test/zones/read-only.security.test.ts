import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxConfig } from '../../src/node/index.js';
import { lines, makeTree, removeTree, runProbe, tempDir } from '../helpers/guests.js';

/**
 * Every operation that could change a read-only zone, tried from inside the
 * guest: each must fail (EROFS, or EINVAL for a descriptor that was only ever
 * opened for reading), be recorded, and leave the host folder bit-for-bit as it was.
 */
let root: string;
let input: string;
let config: SandboxConfig;

/** Names, types, sizes, modes, mtimes and contents of everything under `dir`. */
function snapshot(dir: string): Record<string, string> {
  const result: Record<string, string> = {};
  const walk = (path: string): void => {
    for (const name of readdirSync(path)) {
      const full = join(path, name);
      const stat = lstatSync(full, { bigint: true });
      const content = stat.isFile() ? readFileSync(full, 'utf8') : '';
      result[relative(dir, full)] = `${stat.mode}:${stat.size}:${stat.mtimeNs}:${stat.nlink}:${content}`;
      if (stat.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return result;
}

beforeAll(() => {
  root = tempDir();
  makeTree(root, { 'input/a.txt': 'original\n', 'input/empty': null, 'input/link': { symlink: 'a.txt' }, output: null });
  input = join(root, 'input');
  config = {
    zones: [
      { name: 'input', mode: 'ro', hostPath: input },
      { name: 'output', mode: 'rw', hostPath: join(root, 'output') },
    ],
  };
});

afterAll(() => removeTree(root));

const mutations: [string, string[], string][] = [
  ['writing a file', ['write', '/input/a.txt', 'changed'], 'write: EROFS'],
  ['appending to a file', ['append', '/input/a.txt', 'more'], 'append: EROFS'],
  ['creating a file', ['create', '/input/new.txt'], 'create: EROFS'],
  ['truncating on open', ['trunc', '/input/a.txt'], 'trunc: EROFS'],
  ['truncating a descriptor', ['ftruncate', '/input/a.txt', '0'], 'ftruncate: EINVAL'],
  ['unlinking a file', ['unlink', '/input/a.txt'], 'unlink: EROFS'],
  ['unlinking a symlink', ['unlink', '/input/link'], 'unlink: EROFS'],
  ['renaming inside the zone', ['rename', '/input/a.txt', '/input/b.txt'], 'rename: EROFS'],
  ['renaming out of the zone', ['rename', '/input/a.txt', '/output/a.txt'], 'rename: EROFS'],
  ['making a directory', ['mkdir', '/input/d'], 'mkdir: EROFS'],
  ['removing a directory', ['rmdir', '/input/empty'], 'rmdir: EROFS'],
  ['creating a symlink', ['symlink', 'a.txt', '/input/l2'], 'symlink: EROFS'],
  ['creating a hard link', ['link', '/input/a.txt', '/input/h'], 'link: EROFS'],
  ['setting times by path', ['utimes', '/input/a.txt'], 'utimes: EROFS'],
  ['setting times of a symlink', ['lutimes', '/input/link'], 'utimes: EROFS'],
  ['setting times by descriptor', ['futimes', '/input/a.txt'], 'futimes: EROFS'],
  ['opening for writing without the C library', ['rawwrite', '3', 'a.txt'], 'rawopen: EROFS'],
];

describe('a read-only zone cannot be changed', () => {
  for (const [what, command, expected] of mutations) {
    it(`${what} is refused`, async () => {
      const before = snapshot(input);
      const result = await runProbe(config, command);
      expect(lines(result)).toEqual([expected]);
      expect(snapshot(input)).toEqual(before);
      if (expected.endsWith('EROFS')) {
        expect(result.denials).toHaveLength(1);
        expect(result.denials[0]).toMatchObject({ zone: 'input', reason: 'read-only-zone', error: 'EROFS' });
      }
    });
  }

  it('renaming a file into the zone is refused and leaves both zones as they were', async () => {
    const before = snapshot(input);
    const result = await runProbe(config, ['write', '/output/x', 'x'], ['rename', '/output/x', '/input/x']);
    expect(lines(result)).toEqual(['write: ok', 'rename: EROFS']);
    expect(snapshot(input)).toEqual(before);
    expect(readFileSync(join(root, 'output', 'x'), 'utf8')).toBe('x');
    removeTree(join(root, 'output', 'x'));
  });

  it('reading the zone still works', async () => {
    const result = await runProbe(config, ['read', '/input/a.txt'], ['ls', '/input'], ['read', '/input/link']);
    expect(lines(result)).toEqual(['read: ok original|', 'ls: ok a.txt,empty,link', 'read: ok original|']);
  });
});

describe('the root that holds the mount points is read-only and holds nothing else', () => {
  const attempts: [string, string[], string][] = [
    ['creating a file beside the zones', ['create', '/escape.txt'], 'create: EROFS'],
    ['making a directory beside the zones', ['mkdir', '/newdir'], 'mkdir: EROFS'],
    ["removing a mount point (the zone's own root: rmdir of `.`)", ['rmdir', '/output'], 'rmdir: EINVAL'],
    ['renaming a mount point', ['rename', '/input', '/moved'], 'rename: EROFS'],
    ['creating a symlink beside the zones', ['symlink', '/input', '/l'], 'symlink: EROFS'],
    ['opening a mount point for writing as a file', ['write', '/input', 'x'], 'write: EISDIR'],
  ];
  for (const [what, command, expected] of attempts) {
    it(`attack: ${what} is refused`, async () => {
      const result = await runProbe(config, command);
      expect(lines(result)).toEqual([expected]);
    });
  }

  it('lists exactly the mount points (and /dev)', async () => {
    const result = await runProbe(config, ['ls', '/']);
    expect(lines(result)).toEqual(['ls: ok dev,input,output']);
  });
});
