import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeteredDiskCache } from '../../../src/node/platform/metered-cache.js';
import { instrumentFuel } from '../../../src/limits/instrument-fuel.js';
import { createSandbox } from '../../../src/node/index.js';
import { probe, removeTree, tempDir } from '../../helpers/guests.js';

/**
 * The metered-module cache holds each program as instrumented for fuel. A
 * module put there in its place without the fuel checks (by anyone who could
 * write the cache) would run unmetered: what is loaded must be what was made.
 */

let base: string;
beforeAll(() => {
  base = tempDir('goodbot-metered-cache-');
});
afterAll(() => removeTree(base));

describe('the metered-module cache', () => {
  it('attack: an instrumented module replaced in the cache by its unmetered original is never loaded', () => {
    const original = new Uint8Array(readFileSync(probe()));
    const cache = new MeteredDiskCache(join(base, 'unit'));
    const made = cache.load(original, {}, () => instrumentFuel(original));
    const dir = join(base, 'unit', 'metered');
    const wasm = readdirSync(dir).find((name) => name.endsWith('.wasm'))!;
    writeFileSync(join(dir, wasm), original);
    let remade = false;
    const loaded = cache.load(original, {}, () => ((remade = true), instrumentFuel(original)));
    expect(remade).toBe(true);
    expect(Buffer.from(loaded.bytes).equals(Buffer.from(made.bytes))).toBe(true);
    expect(readFileSync(join(dir, wasm)).equals(Buffer.from(made.bytes))).toBe(true);
  });

  it('attack: a spinning guest whose cached module lost its fuel checks still stops at its fuel', async () => {
    const root = join(base, 'run');
    const saved = process.env['GOODBOT_CACHE_DIR'];
    process.env['GOODBOT_CACHE_DIR'] = root;
    try {
      const original = new Uint8Array(readFileSync(probe()));
      // The entry a run makes, then its module swapped for the original in a copy of the cache a later process reads.
      new MeteredDiskCache(root).load(original, {}, () => instrumentFuel(original));
      const dir = join(root, 'metered');
      for (const name of readdirSync(dir).filter((file) => file.endsWith('.wasm'))) writeFileSync(join(dir, name), original);
      const result = await createSandbox({ limits: { fuel: 1_000_000 } }).exec({ program: new Uint8Array(original), args: ['spin'] }).result;
      expect(result.status).toBe('fuel-exhausted');
    } finally {
      if (saved === undefined) delete process.env['GOODBOT_CACHE_DIR'];
      else process.env['GOODBOT_CACHE_DIR'] = saved;
    }
  });
});
