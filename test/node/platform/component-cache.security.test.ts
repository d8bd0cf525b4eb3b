import { appendFileSync, chmodSync, chownSync, cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { goodbot } from '../../helpers/cli.js';
import { guest, removeTree, tempDir } from '../../helpers/guests.js';

/**
 * A component's transpiled glue is JavaScript that goodbot imports into the
 * host process. What goodbot reads back from its cache must be exactly what
 * it wrote there: a cache entry changed by anyone afterwards (a guest whose
 * read-write zone covered the cache, another user) is made anew, never
 * imported or compiled. Each run is a new `goodbot` process, as for a user.
 */

let base: string;
let cache: string;
const marker = () => join(base, 'planted-code-ran');
const run = () => goodbot(base, ['exec', '--', guest('cat.component.wasm')], { input: 'hello', env: { GOODBOT_CACHE_DIR: cache } });
const entry = () => {
  const entries = readdirSync(join(cache, 'components')).filter((name) => /^[0-9a-f]{64}$/.test(name));
  expect(entries).toHaveLength(1);
  return join(cache, 'components', entries[0]!);
};

let made: string;
beforeAll(() => {
  base = tempDir('goodbot-component-cache-');
  cache = made = join(base, 'made');
  expect(run().stdout).toBe('hello'); // the entry as the first run makes it
});
afterAll(() => removeTree(base));
beforeEach(() => {
  cache = join(base, `cache-${Date.now()}`);
  cpSync(made, cache, { recursive: true });
});

describe('the component cache', () => {
  it('attack: glue appended by a guest is never imported', () => {
    const glue = join(entry(), 'component.mjs');
    appendFileSync(glue, `\nimport { writeFileSync as planted } from 'node:fs';\nplanted(${JSON.stringify(marker())}, 'ran');\n`);
    const second = run();
    expect(existsSync(marker())).toBe(false);
    expect(second.stdout).toBe('hello');
    expect(readFileSync(glue, 'utf8')).not.toContain('planted'); // made anew
  });

  it('attack: a core module swapped in the cache is never compiled', () => {
    const dir = entry();
    const core = readdirSync(dir).find((name) => name.endsWith('.wasm'))!;
    const original = readFileSync(join(dir, core));
    const changed = Buffer.from(original);
    changed.writeUInt8(changed.readUInt8(changed.length - 1) ^ 1, changed.length - 1);
    writeFileSync(join(dir, core), changed);
    expect(run().stdout).toBe('hello');
    expect(readFileSync(join(dir, core)).equals(original)).toBe(true);
  });

  it('attack: glue that others may write is made anew (whoever changes it could rewrite the manifest to match)', () => {
    const dir = entry();
    chmodSync(join(dir, 'component.mjs'), 0o666);
    expect(run().stdout).toBe('hello');
    expect(statSync(join(dir, 'component.mjs')).mode & 0o022).toBe(0);
  });

  it('attack: a cache file owned by another user is not trusted', () => {
    const dir = entry();
    chownSync(join(dir, 'manifest.json'), 65534, 65534);
    expect(run().stdout).toBe('hello');
    expect(statSync(join(dir, 'manifest.json')).uid).toBe(process.getuid!());
  });
});
