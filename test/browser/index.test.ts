import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/guests.js';

/**
 * The browser entry point must run in a browser: nothing reachable from
 * src/browser/index.ts may import a Node built-in. Bundling it is the proof.
 */
describe('the browser entry point', () => {
  it('imports no Node built-in, directly or through our own modules', async () => {
    const result = await build({
      entryPoints: [join(repoRoot, 'src', 'browser', 'index.ts')],
      bundle: true,
      write: false,
      platform: 'neutral',
      format: 'esm',
      packages: 'external',
      metafile: true,
      logLevel: 'silent',
    });
    const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
    const offending: string[] = [];
    const packages = new Set<string>();
    for (const [file, input] of Object.entries(result.metafile.inputs)) {
      for (const imported of input.imports) {
        if (builtins.has(imported.path) || imported.path.startsWith('node:')) offending.push(`${file} -> ${imported.path}`);
        else if (imported.external)
          packages.add(imported.path.split('/')[0]!.startsWith('@') ? imported.path.split('/').slice(0, 2).join('/') : imported.path.split('/')[0]!);
      }
    }
    expect(offending).toEqual([]);
    // memfs is handed to MemoryFolderStore by the platform, which loads it when a memory zone needs it.
    expect([...packages].sort()).toEqual(['ipaddr.js', 'zod']);
  });
});
