import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { _setPreopens } from '@bytecodealliance/preview2-shim/filesystem';
import { componentEmbed, componentNew } from 'jco-transpiler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedComponent } from '../../../src/node/platform/component-cache.js';
import { loadComponent } from '../../../src/node/platform/component-loader.js';
import { createSandbox, GoodbotError } from '../../../src/node/index.js';
import { guest, removeTree, repoRoot, tempDir } from '../../helpers/guests.js';

/*
 * The component loader: transpiled glue cached on disk by content hash,
 * checked before anything runs. Components are made here from WIT alone
 * (wasm-tools' dummy modules), so each one imports exactly what a test needs.
 */

let root: string;
let savedCacheDir: string | undefined;

beforeAll(() => {
  root = tempDir('goodbot-p2-loader-');
  savedCacheDir = process.env['GOODBOT_CACHE_DIR'];
  process.env['GOODBOT_CACHE_DIR'] = join(root, 'cache');
});

afterAll(() => {
  if (savedCacheDir === undefined) delete process.env['GOODBOT_CACHE_DIR'];
  else process.env['GOODBOT_CACHE_DIR'] = savedCacheDir;
  removeTree(root);
});

/** A component of a dummy module for `world` (in `wit`, a WIT package with `deps/` when it uses WASI). */
async function dummyComponent(wit: string, world: string): Promise<Uint8Array> {
  const dir = join(root, `wit-${world.replace(/\W/g, '-')}`);
  cpSync(join(repoRoot, 'node_modules/@bytecodealliance/jco/lib/wit/builtin/0.2.12'), join(dir, 'deps'), {
    recursive: true,
    dereference: true,
  });
  writeFileSync(join(dir, 'world.wit'), wit);
  // wasm-tools runs on preview2-shim, which only sees preopened folders. (Its package
  // types resolve to the browser build, whose _setPreopens takes file data, not paths.)
  (_setPreopens as unknown as (preopens: Record<string, string>) => void)({ '/': '/' });
  const embedded = await componentEmbed({ dummy: true, witPath: dir, world, features: { tag: 'all' } });
  return componentNew(embedded, []);
}

async function loadError(bytes: Uint8Array, name: string): Promise<GoodbotError> {
  const error = await loadComponent(bytes, name).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GoodbotError);
  return error as GoodbotError;
}

describe('loading a component', () => {
  it('caches the transpiled glue by content hash, without the JCO_DEBUG read', async () => {
    const bytes = readFileSync(guest('cat.component.wasm'));
    const first = await loadComponent(bytes, 'cat.component.wasm');
    expect(first.kind).toBe('component');
    const entries = readdirSync(join(root, 'cache/components'));
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatch(/^[0-9a-f]{64}$/);
    const dir = join(root, 'cache/components', entries[0]!);
    const files = readdirSync(dir).sort();
    expect(files).toContain('component.mjs');
    expect(files).toContain('manifest.json');
    expect(files.filter((file) => file.endsWith('.wasm')).length).toBeGreaterThan(0);
    const glue = readFileSync(join(dir, 'component.mjs'), 'utf8');
    expect(glue).not.toContain('JCO_DEBUG');
    expect(glue).toContain('const _debugLog = () => {};');

    const again = await loadComponent(new Uint8Array(bytes), 'again.wasm');
    expect(again.name).toBe('again.wasm');
    expect(readdirSync(join(root, 'cache/components'))).toEqual(entries);
  });

  it('rebuilds a cache entry whose manifest is stale', async () => {
    const bytes = readFileSync(guest('probe.component.wasm'));
    await loadComponent(bytes, 'probe.component.wasm');
    const hash = readdirSync(join(root, 'cache/components')).find((entry) =>
      readFileSync(join(root, 'cache/components', entry, 'manifest.json'), 'utf8').includes('wasi:filesystem/types'),
    )!;
    const manifest = join(root, 'cache/components', hash, 'manifest.json');
    writeFileSync(manifest, JSON.stringify({ ...JSON.parse(readFileSync(manifest, 'utf8')), transpiler: '0.0.0' }));
    const { entry } = await cachedComponent(bytes, hash, 'probe.component.wasm');
    expect(entry.transpiler).not.toBe('0.0.0');
    expect(JSON.parse(readFileSync(manifest, 'utf8')).transpiler).toBe(entry.transpiler);
    expect(readdirSync(join(root, 'cache/components')).filter((name) => name.includes('.'))).toEqual([]);
  });

  it('refuses a component that imports an interface goodbot does not provide', async () => {
    const bytes = await dummyComponent(
      ['package test:missing;', 'interface greet { hello: func() -> string; }', 'world missing { import greet; export wasi:cli/run@0.2.12; }'].join(
        '\n',
      ),
      'test:missing/missing',
    );
    const error = await loadError(bytes, 'missing.wasm');
    expect(error.kind).toBe('invalid-program');
    expect(error.message).toBe('missing.wasm imports test:missing/greet, which goodbot does not provide');
  });

  it('refuses a component that is not a command', async () => {
    const bytes = await dummyComponent(
      'package test:library;\nworld library { import wasi:random/random@0.2.12; export hello: func() -> u32; }\n',
      'test:library/library',
    );
    const error = await loadError(bytes, 'library.wasm');
    expect(error.kind).toBe('invalid-program');
    expect(error.message).toContain('exports no wasi:cli/run');
  });

  it('refuses bytes that are not a valid component', async () => {
    const bytes = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0xff]);
    const error = await loadError(bytes, 'broken.wasm');
    expect(error.kind).toBe('invalid-program');
    expect(error.message).toMatch(/^broken\.wasm is not a valid component/);
  });

  it('provides every WASI 0.2 interface, unstable ones included', async () => {
    const bytes = await dummyComponent(
      [
        'package test:everything;',
        'world everything {',
        '  include wasi:cli/imports@0.2.12;',
        '  import wasi:http/types@0.2.12;',
        '  import wasi:http/outgoing-handler@0.2.12;',
        '  export wasi:cli/run@0.2.12;',
        '}',
      ].join('\n'),
      'test:everything/everything',
    );
    const program = await loadComponent(bytes, 'everything.wasm');
    const result = await createSandbox({}).exec({ program: bytes }).result;
    expect(program.kind).toBe('component');
    // The dummy module's run is `unreachable`: instantiation with every import worked.
    expect(result).toMatchObject({ status: 'trapped', exitCode: 134, trap: { kind: 'unreachable' } });
  });

  it('recreates a removed cache directory', async () => {
    removeTree(join(root, 'cache'));
    const program = await loadComponent(readFileSync(guest('netprobe.component.wasm')), 'netprobe.wasm');
    expect(program.kind).toBe('component');
    expect(existsSync(join(root, 'cache/components'))).toBe(true);
  });
});
