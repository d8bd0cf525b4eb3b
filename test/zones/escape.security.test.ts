import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxConfig } from '../../src/node/index.js';
import { lines, makeTree, removeTree, runProbe, tempDir, type TreeEntry } from '../helpers/guests.js';

/**
 * Attacks on zone boundaries from inside the guest: every way out of a zone
 * we know of must fail, be recorded as a denial, and leave the host untouched.
 */
let root: string;
let config: SandboxConfig;

beforeAll(() => {
  root = tempDir();
  makeTree(root, {
    'outside/secret': 'SECRET outside the zone\n',
    'outside/dir/secret': 'SECRET in a folder outside\n',
    'input/a.txt': 'hello\n',
    'input/sub/b.txt': 'bee\n',
    'input/empty': null,
    'input/abs': { symlink: '/etc/passwd' },
    'input/abs-dir': { symlink: '/etc' },
    'input/escape-file': { symlink: '../outside/secret' },
    'input/escape-dir': { symlink: '../outside' },
    'input/sub/deep-escape': { symlink: '../../outside/secret' },
    'input/chain1': { symlink: 'chain2' },
    'input/chain2': { symlink: 'sub/chain3' },
    'input/sub/chain3': { symlink: '../../outside/secret' },
    'input/loop1': { symlink: 'loop2' },
    'input/loop2': { symlink: 'loop1' },
    'input/self': { symlink: 'self' },
    'input/good': { symlink: 'a.txt' },
    'input/good-dir': { symlink: 'sub' },
    'input/sub/up': { symlink: '../a.txt' },
    output: null,
  });
  config = {
    zones: [
      { name: 'input', mode: 'ro', hostPath: join(root, 'input') },
      { name: 'output', mode: 'rw', hostPath: join(root, 'output') },
    ],
  };
});

afterAll(() => removeTree(root));

describe('path escapes', () => {
  it('a guest cannot climb above a zone root with ..', async () => {
    const result = await runProbe(
      config,
      ['read', '/input/../outside/secret'],
      ['read', '/input/sub/../../outside/secret'],
      ['rawopen', '3', '../outside/secret'],
      ['rawopen', '3', 'sub/../../outside/secret'],
      ['rawopen', '4', '../input/a.txt'],
    );
    expect(lines(result)).toEqual(['read: EPERM', 'read: EPERM', 'rawopen: EPERM', 'rawopen: EPERM', 'rawopen: EPERM']);
    expect(result.denials.map((d) => d.reason)).toEqual(Array(5).fill('path-escape'));
  });

  it('an absolute path handed to a zone directory does not reach the host root', async () => {
    const result = await runProbe(config, ['rawopen', '3', '/etc/passwd'], ['rawopen', '4', '/etc/hostname']);
    expect(lines(result)).toEqual(['rawopen: EPERM', 'rawopen: EPERM']);
    expect(result.denials).toHaveLength(2);
  });

  it('a path outside every zone does not exist for the guest', async () => {
    const result = await runProbe(config, ['read', '/etc/passwd'], ['ls', '/'], ['stat', '/outside/secret']);
    expect(result.stdout).not.toContain('root:');
    expect(lines(result)[0]).toMatch(/^read: E(NOTCAPABLE|NOENT|PERM)$/);
  });

  it('a host-planted absolute symlink is not followed out of the zone', async () => {
    const result = await runProbe(config, ['read', '/input/abs'], ['ls', '/input/abs-dir'], ['read', '/input/abs-dir/passwd']);
    expect(lines(result)).toEqual(['read: EPERM', 'ls: EPERM', 'read: EPERM']);
    expect(result.denials.map((d) => d.reason)).toEqual(['absolute-symlink', 'absolute-symlink', 'absolute-symlink']);
  });

  it('a relative symlink pointing out of the zone is not followed', async () => {
    const result = await runProbe(
      config,
      ['read', '/input/escape-file'],
      ['read', '/input/escape-dir/secret'],
      ['read', '/input/escape-dir/dir/secret'],
      ['read', '/input/sub/deep-escape'],
    );
    expect(lines(result)).toEqual(['read: EPERM', 'read: EPERM', 'read: EPERM', 'read: EPERM']);
    expect(result.stdout).not.toContain('SECRET');
    expect(result.denials.every((d) => d.reason === 'symlink-escape')).toBe(true);
  });

  it('a chain of symlinks that ends outside the zone is not followed', async () => {
    const result = await runProbe(config, ['read', '/input/chain1']);
    expect(lines(result)).toEqual(['read: EPERM']);
  });

  it('symlink loops fail with ELOOP instead of hanging', async () => {
    const result = await runProbe(config, ['read', '/input/loop1'], ['read', '/input/self'], ['stat', '/input/loop2']);
    expect(lines(result)).toEqual(['read: ELOOP', 'read: ELOOP', 'stat: ELOOP']);
  });

  it('symlinks that stay inside the zone keep working', async () => {
    const result = await runProbe(
      config,
      ['read', '/input/good'],
      ['read', '/input/good-dir/b.txt'],
      ['read', '/input/sub/up'],
      ['lstat', '/input/good'],
    );
    expect(lines(result)).toEqual(['read: ok hello|', 'read: ok bee|', 'read: ok hello|', 'lstat: ok symlink size=5 nlink=1']);
    expect(result.denials).toEqual([]);
  });
});

describe('links and renames across zones', () => {
  it('a guest cannot create a symlink that points out of its zone', async () => {
    const result = await runProbe(
      config,
      ['symlink', '/etc/passwd', '/output/abs'],
      ['symlink', '../outside/secret', '/output/rel'],
      ['mkdir', '/output/d'],
      ['symlink', '../../outside', '/output/d/up2'],
      ['symlink', '../x', '/output/d/in-zone'],
    );
    expect(lines(result)).toEqual(['symlink: EPERM', 'symlink: EPERM', 'mkdir: ok', 'symlink: EPERM', 'symlink: ok']);
    expect(readdirSync(join(root, 'output')).sort()).toEqual(['d']);
    expect(readdirSync(join(root, 'output', 'd'))).toEqual(['in-zone']);
    removeTree(join(root, 'output', 'd'));
  });

  it('moving a directory cannot turn an in-zone symlink into an escape', async () => {
    const result = await runProbe(
      config,
      ['mkdir', '/output/a'],
      ['mkdir', '/output/a/b'],
      ['write', '/output/f', 'inside'],
      ['symlink', '../../f', '/output/a/b/l'],
      ['read', '/output/a/b/l'],
      ['rename', '/output/a/b', '/output/c'],
      ['read', '/output/c/l'],
    );
    expect(lines(result)).toEqual(['mkdir: ok', 'mkdir: ok', 'write: ok', 'symlink: ok', 'read: ok inside', 'rename: EPERM', 'read: ENOENT']);
    for (const name of ['a', 'c', 'f']) removeTree(join(root, 'output', name));
  });

  it('a hard link cannot pull a read-only file into a writable zone', async () => {
    const result = await runProbe(config, ['link', '/input/a.txt', '/output/a-link']);
    expect(lines(result)).toEqual(['link: EXDEV']);
    expect(existsSync(join(root, 'output', 'a-link'))).toBe(false);
    expect(result.denials[0]).toMatchObject({ reason: 'cross-zone', operation: 'link' });
  });

  it('rename cannot move a file out of or into a read-only zone', async () => {
    const result = await runProbe(
      config,
      ['rename', '/input/a.txt', '/output/stolen'],
      ['write', '/output/planted', 'x'],
      ['rename', '/output/planted', '/input/planted'],
    );
    expect(lines(result)).toEqual(['rename: EROFS', 'write: ok', 'rename: EROFS']);
    expect(existsSync(join(root, 'input', 'a.txt'))).toBe(true);
    expect(existsSync(join(root, 'input', 'planted'))).toBe(false);
    removeTree(join(root, 'output', 'planted'));
  });
});

describe('special files', () => {
  let server: Server | undefined;

  afterAll(() => server?.close());

  it('a guest looping on a FIFO planted in a zone is refused every time and never hangs', async () => {
    const zone = tempDir();
    execFileSync('mkfifo', [join(zone, 'fifo')]);
    const zoneConfig: SandboxConfig = { zones: [{ name: 'z', mode: 'rw', hostPath: zone }] };
    const started = Date.now();
    const result = await runProbe(zoneConfig, ['openloop', '/z/fifo', '200'], ['read', '/z/fifo'], ['write', '/z/fifo', 'x'], ['stat', '/z/fifo']);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(lines(result)).toEqual(['openloop: ok=0 err=200 secret=0', 'read: EACCES', 'write: EACCES', 'stat: ok unknown size=0 nlink=1']);
    expect(result.denials.every((d) => d.reason === 'special-file')).toBe(true);
    removeTree(zone);
  });

  it('a unix socket planted in a zone cannot be opened', async () => {
    const zone = tempDir();
    const socketPath = join(zone, 'sock');
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(socketPath, resolve));
    const result = await runProbe({ zones: [{ name: 'z', mode: 'ro', hostPath: zone }] }, ['read', '/z/sock']);
    expect(lines(result)).toEqual(['read: EACCES']);
    removeTree(zone);
  });

  it.runIf(process.getuid?.() === 0)('a device node planted in a zone is refused without being opened', async () => {
    const zone = tempDir();
    execFileSync('mknod', [join(zone, 'zero'), 'c', '1', '5']);
    const result = await runProbe({ zones: [{ name: 'z', mode: 'rw', hostPath: zone }] }, ['read', '/z/zero'], ['write', '/z/zero', 'x']);
    expect(lines(result)).toEqual(['read: EACCES', 'write: EACCES']);
    removeTree(zone);
  });
});

describe('check-then-open races', () => {
  /**
   * Opens `guestPath` 20 000 times from the guest while another process keeps
   * swapping zone entry `name` with `${name}.link` (a symlink to the outside),
   * and returns the guest's counts of successful opens, failures, and reads
   * of the outside's secret.
   */
  async function openWhileSwapping(tree: Record<string, TreeEntry>, name: string, guestPath: string) {
    const zone = tempDir();
    makeTree(zone, tree);
    const swapper = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('fs');
         for (;;) {
           try { fs.renameSync('${name}', '${name}.real'); fs.renameSync('${name}.link', '${name}'); } catch {}
           try { fs.renameSync('${name}', '${name}.link'); fs.renameSync('${name}.real', '${name}'); } catch {}
         }`,
      ],
      { cwd: zone, stdio: 'ignore' },
    );
    try {
      const result = await runProbe({ zones: [{ name: 'z', mode: 'ro', hostPath: zone }] }, ['openloop', guestPath, '20000']);
      const [, ok, err, secret] = /ok=(\d+) err=(\d+) secret=(\d+)/.exec(result.stdout)!.map(Number);
      return { ok: ok!, err: err!, secret: secret! };
    } finally {
      swapper.kill('SIGKILL');
      removeTree(zone);
    }
  }

  it('swapping a directory for a symlink to the outside while the guest opens through it never exposes the outside', async () => {
    const counts = await openWhileSwapping({ 'd/secret': 'public', 'd.link': { symlink: join(root, 'outside', 'dir') } }, 'd', '/z/d/secret');
    expect(counts.secret).toBe(0);
    expect(counts.ok + counts.err).toBe(20000);
    expect(counts.err).toBeGreaterThan(0);
  });

  it('swapping a file for a symlink to the outside while the guest opens it never exposes the outside', async () => {
    const counts = await openWhileSwapping({ f: 'public', 'f.link': { symlink: join(root, 'outside', 'secret') } }, 'f', '/z/f');
    expect(counts.secret).toBe(0);
    expect(counts.err).toBeGreaterThan(0);
  });
});
