import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, GoodbotError } from '../../../src/node/index.js';
import { buildRecipe } from '../../../src/node/tools/builder.js';
import type { ToolRecipe } from '../../../src/tools/catalog.js';
import { ToolStore } from '../../../src/node/tools/tool-store.js';
import { makeTree, removeTree, repoRoot, tempDir } from '../../helpers/guests.js';

// A throwaway recipe tree with the real shared library, so the builder runs a
// real recipe: it compiles a C program with the WASI toolchain of common.sh.
const recipe: ToolRecipe = { name: 'hello', version: '1.0', source: 'test', license: 'MIT', default: false };
let root: string;
let store: ToolStore;

beforeAll(() => {
  root = tempDir('goodbot-recipes-');
  makeTree(root, {
    'wasm-tools/recipes/hello/hello.c': '#include <stdio.h>\nint main(void) { puts(GREETING); return 0; }\n',
    'wasm-tools/recipes/hello/build.sh': [
      'source "$GOODBOT_LIB/common.sh"',
      'wasi_toolchain',
      'step "compiling hello"',
      'echo "noise that belongs in the log only"',
      '$CC $CFLAGS -DGREETING=\'"hello from a recipe"\' "$GOODBOT_RECIPE/hello.c" -o "$GOODBOT_OUT/hello.wasm"',
      '',
    ].join('\n'),
  });
  for (const file of readdirSync(join(repoRoot, 'wasm-tools/lib'))) {
    if (file.endsWith('.sh') || file.endsWith('.mjs')) {
      makeTree(root, { [`wasm-tools/lib/${file}`]: readFileSync(join(repoRoot, 'wasm-tools/lib', file), 'utf8') });
    }
  }
  store = new ToolStore({ root, cacheDir: join(root, 'cache') });
});

afterAll(() => removeTree(root));

describe('the recipe builder', () => {
  it('builds into a folder keyed by the recipe hash, with a build record, reporting only progress lines', async () => {
    const progress: string[] = [];
    const record = await buildRecipe(store, recipe, { progress: (line) => progress.push(line) });
    const dir = store.buildDir(recipe);
    expect(dir).toContain(store.recipeHash(recipe).slice(0, 16));
    expect(Object.keys(record.files)).toEqual(['hello.wasm']);
    expect(record.files['hello.wasm']!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(progress.some((line) => line.startsWith('[hello] compiling hello'))).toBe(true);
    expect(progress.join('\n')).not.toContain('noise');
    expect(readFileSync(store.logFile(recipe), 'utf8')).toContain('noise that belongs in the log only');
    const run = await createSandbox({}).exec({ program: join(dir, 'hello.wasm') }).result;
    expect(run.stdout).toBe('hello from a recipe\n');
  });

  it('does not rebuild an unchanged recipe, and rebuilds a changed one into a new folder', async () => {
    const before = store.record(recipe)!;
    expect((await buildRecipe(store, recipe)).builtAt).toBe(before.builtAt);
    const oldDir = store.buildDir(recipe);
    writeFileSync(join(root, 'wasm-tools/recipes/hello/NOTE'), 'a change to the recipe folder\n');
    const changed = new ToolStore({ root, cacheDir: join(root, 'cache') });
    expect(changed.record(recipe)).toBeUndefined();
    expect(changed.buildDir(recipe)).not.toBe(oldDir);
    await buildRecipe(changed, recipe);
    expect(changed.record(recipe)).toBeDefined();
    expect(existsSync(oldDir)).toBe(false);
  });

  it('reports a failing recipe with the end of its log, and leaves nothing that looks built', async () => {
    const broken: ToolRecipe = { ...recipe, name: 'broken' };
    makeTree(root, {
      'wasm-tools/recipes/broken/build.sh': 'source "$GOODBOT_LIB/common.sh"\nstep "failing"\necho "the compiler said no" >&2\nexit 3\n',
    });
    const error = await buildRecipe(store, broken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GoodbotError);
    expect((error as GoodbotError).message).toContain('exit 3');
    expect((error as GoodbotError).message).toContain('the compiler said no');
    expect(store.record(broken)).toBeUndefined();
    expect(existsSync(store.buildDir(broken))).toBe(false);
  });
});
