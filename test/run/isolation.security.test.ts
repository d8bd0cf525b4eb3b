import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/node/index.js';
import { lines, makeTree, probe, removeTree, runProbe, tempDir } from '../helpers/guests.js';

/** What one run can learn about the host, and about other runs. */
let root: string;

beforeAll(() => {
  root = tempDir();
  makeTree(root, { 'a/only-a.txt': 'A', 'b/only-b.txt': 'B' });
  process.env['GOODBOT_TEST_SECRET'] = 'hunter2';
});

afterAll(() => {
  delete process.env['GOODBOT_TEST_SECRET'];
  removeTree(root);
});

describe('isolation', () => {
  it('the host environment is never visible unless the policy passes a variable', async () => {
    const none = await runProbe({}, ['env']);
    expect(none.stdout).toBe('');
    const some = await runProbe({ env: { allow: ['HOME', 'GOODBOT_TEST_*'], set: { MODE: 'demo' } } }, ['env']);
    expect(lines(some)).toContain('env: GOODBOT_TEST_SECRET=hunter2');
    expect(lines(some)).toContain('env: MODE=demo');
    expect(lines(some).filter((line) => !/^env: (HOME|GOODBOT_TEST_SECRET|MODE)=/.test(line))).toEqual([]);
  });

  it('a guest scanning descriptors finds only stdio, its zones, /dev and the read-only mount-point root', async () => {
    const result = await runProbe(
      {
        zones: [
          { name: 'a', mode: 'ro', hostPath: join(root, 'a') },
          { name: 'b', mode: 'rw', hostPath: join(root, 'b') },
          { name: 'scratch', mode: 'tmpfs' },
        ],
      },
      ['fdscan'],
      ['ls', '/'],
      ['ls', '/../..'],
      ['rawopen', '7', '../../etc/passwd'],
      ['write', '/new-top-level-file', 'x'],
    );
    // In the mount-point root, as in POSIX, `/..` is `/`: nothing lies above it.
    expect(lines(result)).toEqual([
      'fdscan: ok 0,1,2,3,4,5,6,7',
      'ls: ok a,b,dev,scratch',
      'ls: ok a,b,dev,scratch',
      'rawopen: ENOENT',
      'write: EROFS',
    ]);
  });

  it('a guest with no zones sees no files at all', async () => {
    const result = await runProbe({}, ['fdscan'], ['ls', '/'], ['read', '/a/only-a.txt']);
    expect(lines(result)[0]).toBe('fdscan: ok 0,1,2');
    expect(result.stdout).not.toContain('only-a');
  });

  it('concurrent runs with different zones and environments never see each other', async () => {
    const sandboxA = createSandbox({ zones: [{ name: 'data', mode: 'rw', hostPath: join(root, 'a') }], env: { set: { WHO: 'a' } } });
    const sandboxB = createSandbox({ zones: [{ name: 'data', mode: 'rw', hostPath: join(root, 'b') }], env: { set: { WHO: 'b' } } });
    const script = ['ls', '/data', ';', 'env', ';', 'write', '/data/mine.txt', 'x', ';', 'fdscan'];
    const runs = Array.from({ length: 8 }, (_, i) => (i % 2 ? sandboxB : sandboxA).exec({ program: probe(), args: script }));
    const results = await Promise.all(runs.map((run) => run.result));
    results.forEach((result, i) => {
      const who = i % 2 ? 'b' : 'a';
      expect(result.stdout).toContain(`env: WHO=${who}`);
      expect(result.stdout).toContain(`only-${who}.txt`);
      expect(result.stdout).not.toContain(`only-${who === 'a' ? 'b' : 'a'}.txt`);
      expect(result.stdout).toContain('fdscan: ok 0,1,2,3,4,5\n');
    });
    expect(new Set(results.map((r) => r.runId)).size).toBe(8);
  });

  it('a tmpfs zone starts empty for every run', async () => {
    const sandbox = createSandbox({ zones: [{ name: 'scratch', mode: 'tmpfs' }] });
    const first = await sandbox.exec({ program: probe(), args: ['write', '/scratch/x', 'left behind', ';', 'ls', '/scratch'] }).result;
    const second = await sandbox.exec({ program: probe(), args: ['ls', '/scratch'] }).result;
    expect(lines(first)).toEqual(['write: ok', 'ls: ok x']);
    expect(lines(second)).toEqual(['ls: ok']);
  });
});

describe('descriptors', () => {
  const hostFds = () => readdirSync('/proc/self/fd').length;

  it('descriptors a guest leaves open are closed when its run ends, however it ends', async () => {
    const config = {
      zones: [
        { name: 'a', mode: 'ro' as const, hostPath: join(root, 'a') },
        { name: 's', mode: 'tmpfs' as const },
      ],
    };
    const hold = Array.from({ length: 20 }, () => ['hold', '/a/only-a.txt']);
    await runProbe(config, ['exit', '0']);
    const before = hostFds();
    const exited = await runProbe(config, ...hold, ['exit', '0']);
    const trapped = await runProbe(config, ...hold, ['trap', 'oob']);
    expect(lines(exited)).toHaveLength(20);
    expect(lines(trapped)[19]).toMatch(/^hold: ok \d+$/);
    expect(trapped.status).toBe('trapped');
    expect(hostFds()).toBe(before);
  });
});
