import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Volume } from 'memfs';
import { describe, expect, it } from 'vitest';
import { compileSandboxConfig, createBrowserPlatform, Sandbox, type SandboxConfig, type ToolEntry, type ZoneFiles } from '../../src/core.js';
import { recipeOf } from '../../src/tools/catalog.js';
import { ToolStore } from '../../src/tools/tool-store.js';
import { shellWords } from '../../web/shell-words.js';
import { guest } from '../helpers/guests.js';

const store = new ToolStore();
/** What the page's worker does with fetch: the built artifact's bytes. */
const loadArtifact = async (tool: ToolEntry) => new Uint8Array(readFileSync(join(store.buildDir(recipeOf(tool)), tool.artifact)));

function sandbox(config: SandboxConfig, onZoneFiles?: (zone: string, files: ZoneFiles) => void): Sandbox {
  const platform = createBrowserPlatform({ Volume, loadArtifact, onZoneFiles: (zone, files) => onZoneFiles?.(zone.name, files) });
  return new Sandbox(compileSandboxConfig(config, { file: '<test>', baseDir: '/' }), platform);
}

/** The browser platform, run under Node (the page test runs it in Chromium). */
describe('browser platform', () => {
  it('runs a catalog tool on memory zones and hands over the read-write zone files', async () => {
    const seen: Record<string, ZoneFiles> = {};
    const box = sandbox(
      { zones: [{ name: 'input', mode: 'ro', files: { 'a.txt': 'b\na\n' } }, { name: 'output', mode: 'rw', files: { 's/.keep': '' } }], limits: { timeout: '5s' } },
      (zone, files) => (seen[zone] = files),
    );
    const result = await box.exec({ program: 'sort', args: ['-o', '/output/s/sorted.txt', '/input/a.txt'] }).result;
    expect(result).toMatchObject({ status: 'exited', exitCode: 0 });
    expect(result.fuelConsumed).toBeGreaterThan(0);
    expect(Object.keys(seen)).toEqual(['output']);
    expect(Object.keys(seen['output']!)).toEqual(['s/.keep', 's/sorted.txt']);
    expect(new TextDecoder().decode(seen['output']!['s/sorted.txt'])).toBe('a\nb\n');
  });

  it('refuses host-folder zones, components, programs by path and tools that need folders of their own', async () => {
    await expect(sandbox({ zones: [{ name: 'data', mode: 'ro', hostPath: '/tmp' }] }).exec({ program: 'cat' }).result).rejects.toThrow(/only in-memory zones/);
    const component = new Uint8Array(readFileSync(guest('cat.component.wasm')));
    await expect(sandbox({}).exec({ program: component }).result).rejects.toThrow(/core modules only/);
    await expect(sandbox({}).exec({ program: '/bin/tool.wasm' }).result).rejects.toThrow(/no files to run programs from/);
    await expect(sandbox({}).exec({ program: 'python3' }).result).rejects.toThrow(/does not run in the browser build yet/);
  });
});

describe('shellWords', () => {
  it('splits like a shell without expanding anything', () => {
    expect(shellWords(`-r '.a[] | "x"' "say \\"hi\\"" a\\ b $HOME *`)).toEqual(['-r', '.a[] | "x"', 'say "hi"', 'a b', '$HOME', '*']);
    expect(shellWords("''  x")).toEqual(['', 'x']);
    expect(() => shellWords("'open")).toThrow(/unterminated/);
  });
});
