import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bundledTwin } from '../../../src/node/host/start-worker.js';
import { removeTree, tempDir } from '../../helpers/guests.js';

const root = tempDir('goodbot-start-worker-');
afterAll(() => removeTree(root));
const rootUrl = pathToFileURL(`${root}/`);

/** Writes dist/FOLDER/workers/sandbox-worker.js, last changed at SECONDS past the epoch. */
function script(folder: string, seconds: number): URL {
  const path = join(root, 'dist', folder, 'workers', 'sandbox-worker.js');
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '');
  utimesSync(path, seconds, seconds);
  return pathToFileURL(path);
}

describe('the bundled twin of a built worker script', () => {
  it('is used when the build bundled it after compiling it, and not when the bundle is older, missing, or the script is not built', () => {
    const built = script('node', 1000);
    expect(bundledTwin(built, rootUrl)).toBeUndefined();
    const bundled = script('bundle', 2000);
    expect(bundledTwin(built, rootUrl)?.href).toBe(bundled.href);
    // tsc run again without the bundling step: the bundle may speak an older protocol.
    script('node', 3000);
    expect(bundledTwin(built, rootUrl)).toBeUndefined();
    expect(bundledTwin(pathToFileURL(join(root, 'elsewhere', 'sandbox-worker.js')), rootUrl)).toBeUndefined();
  });
});
