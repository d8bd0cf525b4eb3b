import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/node/index.js';
import { lines, makeTree, probe, removeTree, runProbe, tempDir } from '../helpers/guests.js';

/**
 * Finding: a guest with only a read-only zone held about 20,000 host
 * descriptors and a concurrent run then failed with EMFILE. Each run has a
 * descriptor budget of its own (`limits.files`, default 1024): past it the
 * guest gets EMFILE, the host keeps its descriptors.
 */
let root: string;

beforeAll(() => {
  root = tempDir();
  makeTree(root, { 'in/a.txt': 'a', 'in/sub': null });
});

afterAll(() => removeTree(root));

const zone = { name: 'in', mode: 'ro' as const, hostPath: '' };
const hostDescriptors = () => readdirSync('/proc/self/fd').length;

describe('descriptors per run', () => {
  it('a guest opening files without closing them gets EMFILE at the default budget, not the host', async () => {
    const before = hostDescriptors();
    const result = await runProbe({ zones: [{ ...zone, hostPath: join(root, 'in') }] }, ['openmany', '/in/a.txt', '20000'], ['read', '/in/a.txt']);
    const [line, after] = lines(result);
    expect(line).toMatch(/^openmany: \d+ EMFILE$/);
    expect(Number(/\d+/.exec(line!)![0])).toBeLessThanOrEqual(1024);
    expect(after).toBe('read: EMFILE');
    expect(result.denials.at(-1)).toMatchObject({ reason: 'descriptor-limit', error: 'EMFILE' });
    expect(hostDescriptors()).toBeLessThanOrEqual(before + 2);
  });

  it("the budget is the policy's limits.files and counts folders too", async () => {
    const result = await runProbe({ zones: [{ ...zone, hostPath: join(root, 'in') }], limits: { files: 10 } }, ['openmany', '/in/sub', '20']);
    expect(lines(result)).toEqual(['openmany: 10 EMFILE']);
  });

  it('a run at its budget does not starve a concurrent run', async () => {
    const policy = { zones: [{ ...zone, hostPath: join(root, 'in') }], limits: { files: 64 } };
    const hog = createSandbox(policy).exec({ program: probe(), args: ['openmany', '/in/a.txt', '100000', ';', 'sleep', '200'] });
    const other = createSandbox(policy).exec({ program: probe(), args: ['read', '/in/a.txt'] });
    expect(lines(await hog.result)[0]).toBe('openmany: 64 EMFILE');
    expect(lines(await other.result)).toEqual(['read: ok a']);
  });
});
