import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/guests.js';

/** The package's published entry points, as a user's `import` finds them (built dist/, by the global setup). */
describe('package entry points', () => {
  it('publishes the Node entry as "goodbot" and the browser entry as "goodbot/browser"', () => {
    const script = [
      "const node = await import('goodbot');",
      "const browser = await import('goodbot/browser');",
      'console.log(JSON.stringify({ node: typeof node.createSandbox, browser: typeof browser.createBrowserPlatform, browserHasNode: "createSandbox" in browser }));',
    ].join('\n');
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ node: 'function', browser: 'function', browserHasNode: false });
  });

  it('points main, types and bin at files the build makes', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { main: string; types: string; bin: Record<string, string> };
    for (const file of [pkg.main, pkg.bin['goodbot']!]) expect(existsSync(join(repoRoot, file)), file).toBe(true);
    expect(pkg.types).toBe(pkg.main.replace(/\.js$/, '.d.ts'));
  });
});
