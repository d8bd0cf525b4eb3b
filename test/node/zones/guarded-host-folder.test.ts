import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSandbox, GoodbotError } from '../../../src/node/index.js';
import { probe, removeTree, tempDir } from '../../helpers/guests.js';

const base = tempDir('goodbot-host-zone-');
afterAll(() => removeTree(base));

async function outcome(hostPath: string, mode: 'ro' | 'rw', args: string[]): Promise<unknown> {
  return createSandbox({ zones: [{ name: 'zone', mode, hostPath }] })
    .exec({ program: probe(), args })
    .result.catch((error: unknown) => error);
}

describe('a host folder zone', () => {
  it('that does not exist is refused, saying so, when read-only', async () => {
    const missing = join(base, 'missing');
    const error = await outcome(missing, 'ro', ['ls', '/zone']);
    expect(error).toBeInstanceOf(GoodbotError);
    expect(error).toMatchObject({ kind: 'zone', path: missing });
    expect((error as GoodbotError).message).toContain('does not exist');
    expect(existsSync(missing)).toBe(false);
  });

  it('that is a file is refused, saying it is not a folder', async () => {
    const file = join(base, 'a-file');
    writeFileSync(file, 'x');
    const error = await outcome(file, 'rw', ['ls', '/zone']);
    expect(error).toMatchObject({ kind: 'zone', path: file });
    expect((error as GoodbotError).message).toContain('is not a folder');
  });

  it('that does not exist is made when read-write, and the guest writes into it', async () => {
    const made = join(base, 'made', 'deeper');
    const result = await outcome(made, 'rw', ['write', '/zone/out.txt', 'hello']);
    expect(result).toMatchObject({ status: 'exited', exitCode: 0 });
    expect(readFileSync(join(made, 'out.txt'), 'utf8')).toBe('hello');
  });
});
