import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/guests.js';

/** The TypeScript files under DIR. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Packages that only run on Node. */
const nodeOnlyPackages = ['dockerode', 'jco-transpiler', 'tsx'];

/**
 * Node-only code sits in src/node/; everything else is portable: it imports
 * no Node built-in, no Node-only package, and nothing from src/node/.
 */
describe('source layout', () => {
  it('keeps Node-only imports under src/node/', () => {
    const builtins = new Set(builtinModules);
    const offending: string[] = [];
    for (const file of sources(join(repoRoot, 'src'))) {
      const path = relative(repoRoot, file);
      if (path.startsWith('src/node/')) continue;
      for (const match of readFileSync(file, 'utf8').matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)['"]([^'"]+)['"]/gm)) {
        const spec = match[1]!;
        const nodeOnly =
          spec.startsWith('node:') ||
          builtins.has(spec.split('/')[0]!) ||
          nodeOnlyPackages.some((name) => spec === name || spec.startsWith(`${name}/`)) ||
          (spec.startsWith('.') && relative(repoRoot, join(file, '..', spec)).startsWith('src/node/'));
        if (nodeOnly) offending.push(`${path} -> ${spec}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
