import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Volume } from 'memfs';
import { describe, expect, it } from 'vitest';
import {
  compileSandboxConfig,
  createBrowserPlatform,
  packFolder,
  Sandbox,
  unpackFolder,
  type BrowserPlatformOptions,
  type SandboxConfig,
  type ToolEntry,
  type ToolMount,
  type ZoneFiles,
} from '../../src/browser/index.js';
import { recipeOf } from '../../src/tools/catalog.js';
import { filesUnder, ToolStore } from '../../src/node/tools/tool-store.js';
import { shellWords } from '../../web/shell-words.js';
import { guest } from '../helpers/guests.js';

const store = new ToolStore();
/** What the page's worker does with fetch: the built artifact's bytes. */
const loadArtifact = async (tool: ToolEntry) => new Uint8Array(readFileSync(join(store.buildDir(recipeOf(tool)), tool.artifact)));

/** What the page's worker does with a tool's folder: its files, through the archive the page build writes. */
const loadFolder = async (tool: ToolEntry, mount: ToolMount) => {
  const dir = join(store.buildDir(recipeOf(tool)), mount.from);
  return unpackFolder(packFolder(Object.fromEntries(filesUnder(dir).map((path) => [relative(dir, path), new Uint8Array(readFileSync(path))]))));
};

function sandbox(
  config: SandboxConfig,
  onZoneFiles?: (zone: string, files: ZoneFiles) => void,
  extra: Partial<BrowserPlatformOptions> = {},
): Sandbox {
  const platform = createBrowserPlatform({ Volume, loadArtifact, onZoneFiles: (zone, files) => onZoneFiles?.(zone.name, files), ...extra });
  return new Sandbox(compileSandboxConfig(config, { file: '<test>', baseDir: '/' }), platform);
}

/** The browser platform, run under Node (the page test runs it in Chromium). */
describe('browser platform', () => {
  it('runs a catalog tool on memory zones and hands over the read-write zone files', async () => {
    const seen: Record<string, ZoneFiles> = {};
    const box = sandbox(
      {
        zones: [
          { name: 'input', mode: 'ro', files: { 'a.txt': 'b\na\n' } },
          { name: 'output', mode: 'rw', files: { 's/.keep': '' } },
        ],
        limits: { timeout: '5s' },
      },
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
    await expect(sandbox({ zones: [{ name: 'data', mode: 'ro', hostPath: '/tmp' }] }).exec({ program: 'cat' }).result).rejects.toThrow(
      /only in-memory zones/,
    );
    const component = new Uint8Array(readFileSync(guest('cat.component.wasm')));
    await expect(sandbox({}).exec({ program: component }).result).rejects.toThrow(/core modules only/);
    await expect(sandbox({}).exec({ program: '/bin/tool.wasm' }).result).rejects.toThrow(/no files to run programs from/);
    await expect(sandbox({}).exec({ program: 'python3' }).result).rejects.toThrow(/does not run in the browser build yet/);
  });

  it('runs python3 with its stdlib as a read-only memory zone filled from the folder archive', async () => {
    const box = sandbox({ zones: [{ name: 'input', mode: 'ro', files: { 'w.txt': 'b a b\n' } }], limits: { timeout: '30s' } }, undefined, {
      loadFolder,
    });
    const script = 'import collections, json; print(json.dumps(collections.Counter(open("/input/w.txt").read().split())))';
    const result = await box.exec({ program: 'python3', args: ['-c', script] }).result;
    expect(result).toMatchObject({ status: 'exited', exitCode: 0, stdout: '{"b": 2, "a": 1}\n' });
  });
});

describe('shellWords', () => {
  it('splits like a shell without expanding anything', () => {
    expect(shellWords(`-r '.a[] | "x"' "say \\"hi\\"" a\\ b $HOME *`)).toEqual(['-r', '.a[] | "x"', 'say "hi"', 'a b', '$HOME', '*']);
    expect(shellWords("''  x")).toEqual(['', 'x']);
    expect(() => shellWords("'open")).toThrow(/unterminated/);
  });
});

describe('folder archives', () => {
  it('unpack to the files packed, and refuse a truncated archive', () => {
    const files = { 'a.txt': new TextEncoder().encode('alpha'), 'sub/b.bin': new Uint8Array([0, 1, 2]), empty: new Uint8Array() };
    const archive = packFolder(files);
    expect(unpackFolder(archive)).toEqual(files);
    expect(() => unpackFolder(archive.subarray(0, archive.length - 1))).toThrow(/truncated/);
    expect(() => unpackFolder(archive.subarray(0, 3))).toThrow(/truncated/);
  });
});
