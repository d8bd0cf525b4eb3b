import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxConfig } from '../../src/node/index.js';
import { lines, makeTree, removeTree, runProbe, tempDir } from '../helpers/guests.js';

/** The positive side: what a guest is allowed to do works, at any size. */
let root: string;
let config: SandboxConfig;

beforeAll(() => {
  root = tempDir();
  makeTree(root, { 'input/data/one.txt': '1\n', 'input/data/two.txt': '2\n', 'input/link': { symlink: 'data/one.txt' }, output: null });
  config = {
    zones: [
      { name: 'input', mode: 'ro', hostPath: join(root, 'input') },
      { name: 'output', mode: 'rw', hostPath: join(root, 'output') },
      { name: 'scratch', mode: 'tmpfs' },
    ],
  };
});

afterAll(() => removeTree(root));

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('reading and writing zones', () => {
  it('reads inputs, lists directories and follows in-zone symlinks', async () => {
    const result = await runProbe(config, ['read', '/input/data/one.txt'], ['ls', '/input/data'], ['read', '/input/link']);
    expect(lines(result)).toEqual(['read: ok 1|', 'ls: ok one.txt,two.txt', 'read: ok 1|']);
  });

  it('writes outputs the host can read, including new folders and in-zone symlinks', async () => {
    const result = await runProbe(
      config,
      ['mkdir', '/output/report'],
      ['write', '/output/report/summary.txt', 'all good'],
      ['append', '/output/report/summary.txt', '!'],
      ['symlink', 'report/summary.txt', '/output/latest'],
      ['read', '/output/latest'],
      ['rename', '/output/report/summary.txt', '/output/report/final.txt'],
    );
    expect(lines(result)).toEqual(['mkdir: ok', 'write: ok', 'append: ok', 'symlink: ok', 'read: ok all good!', 'rename: ok']);
    expect(readFileSync(join(root, 'output', 'report', 'final.txt'), 'utf8')).toBe('all good!');
    expect(readlinkSync(join(root, 'output', 'latest'))).toBe('report/summary.txt');
  });

  it('a scratch zone works like a folder during the run', async () => {
    const result = await runProbe(
      config,
      ['mkdir', '/scratch/tmp'],
      ['write', '/scratch/tmp/x', 'temp'],
      ['copy', '/scratch/tmp/x', '/output/from-scratch'],
      ['ls', '/scratch/tmp'],
    );
    expect(lines(result)).toEqual(['mkdir: ok', 'write: ok', 'copy: ok 4', 'ls: ok x']);
    expect(readFileSync(join(root, 'output', 'from-scratch'), 'utf8')).toBe('temp');
  });

  it('streams a 100 MB file from an input zone to an output zone', async () => {
    const big = join(root, 'input', 'big.bin');
    const block = Buffer.alloc(1 << 20);
    for (let i = 0; i < block.length; i++) block[i] = (i * 31 + 7) & 0xff;
    writeFileSync(big, Buffer.concat(Array.from({ length: 100 }, (_, i) => Buffer.concat([block.subarray(i), block.subarray(0, i)]))));
    const result = await runProbe(config, ['copy', '/input/big.bin', '/output/big.bin']);
    expect(lines(result)).toEqual([`copy: ok ${100 * 1024 * 1024}`]);
    expect(await sha256(join(root, 'output', 'big.bin'))).toBe(await sha256(big));
  });
});
