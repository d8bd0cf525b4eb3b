import { appendFileSync, cpSync, existsSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, GoodbotError, type Sandbox } from '../../src/node/index.js';
import { findRecipe } from '../../src/tools/catalog.js';
import { ToolStore } from '../../src/node/tools/tool-store.js';
import { removeTree, tempDir } from '../helpers/guests.js';

/**
 * A tool's own folder (python's standard library, mounted read-only at
 * /usr/local/lib) is code the guest runs: every file of it must be one the
 * build made, unchanged, or the tool is refused before it runs.
 */

const python = findRecipe('python3')!;
const real = new ToolStore();
let base: string;
let store: ToolStore;
let lib: string;
let sandbox: Sandbox;

const failure = async (promise: Promise<unknown>): Promise<GoodbotError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GoodbotError);
  return error as GoodbotError;
};
const pythonRun = (code: string) => sandbox.exec({ program: 'python3', args: ['-c', code] }).result;

beforeAll(() => {
  if (real.record(python) === undefined) throw new Error('python3 is not built: run npm run setup');
  base = tempDir('goodbot-lib-verify-');
  store = new ToolStore({ cacheDir: join(base, 'tools') });
  lib = join(store.buildDir(python), 'lib', 'python3.11');
});
afterAll(() => removeTree(base));

beforeEach(() => {
  rmSync(join(base, 'tools'), { recursive: true, force: true });
  cpSync(real.buildDir(python), store.buildDir(python), { recursive: true });
  sandbox = createSandbox({}, { toolStore: store });
});

describe("python's standard library in the build cache", () => {
  it('runs when every file is the one the build made', async () => {
    expect((await pythonRun('import json; print(json.dumps([1]))')).stdout).toBe('[1]\n');
  });

  // After one launch the next walks the tree; from the second on, a watcher decides whether it must.
  it.each([1, 3])(
    'attack: a sitecustomize.py planted in the stdlib tree (run by every later python3) after %i launches is refused, not run',
    async (launches) => {
      for (let i = 0; i < launches; i++) expect((await pythonRun('print(1)')).stdout).toBe('1\n');
      writeFileSync(join(lib, 'sitecustomize.py'), 'print("PLANTED-CODE-RAN")\n');
      const outcome = await pythonRun('print(1)').catch((error: unknown) => error);
      expect((outcome as { stdout?: string }).stdout ?? '').not.toContain('PLANTED-CODE-RAN');
      const error = await failure(Promise.reject(outcome));
      expect(error.kind).toBe('not-found');
      expect(error.path).toBe(join(lib, 'sitecustomize.py'));
      expect(error.hint).toContain('goodbot tools build --force python3');
    },
  );

  it.each([1, 3])('attack: a module of the stdlib altered after the build, after %i launches, is refused, not run', async (launches) => {
    for (let i = 0; i < launches; i++) expect((await pythonRun('print(1)')).stdout).toBe('1\n');
    appendFileSync(join(lib, 'json', '__init__.pyc'), Buffer.from([0]));
    const error = await failure(pythonRun('import json'));
    expect(error.path).toBe(join(lib, 'json', '__init__.pyc'));
  });

  it('attack: the stdlib folder swapped between two launches for a copy with planted code is refused, not run', async () => {
    expect((await pythonRun('print(1)')).stdout).toBe('1\n');
    const tree = join(store.buildDir(python), 'lib');
    cpSync(tree, join(base, 'altered'), { recursive: true, preserveTimestamps: true });
    writeFileSync(join(base, 'altered', 'python3.11', 'sitecustomize.py'), 'print("PLANTED-CODE-RAN")\n');
    renameSync(tree, join(base, 'original'));
    renameSync(join(base, 'altered'), tree);
    const outcome = await pythonRun('print(1)').catch((error: unknown) => error);
    expect((outcome as { stdout?: string }).stdout ?? '').not.toContain('PLANTED-CODE-RAN');
    expect((await failure(Promise.reject(outcome))).path).toBe(join(lib, 'sitecustomize.py'));
    rmSync(join(base, 'original'), { recursive: true });
  });

  it('attack: a stdlib module replaced by a symlink, or removed, is refused', async () => {
    rmSync(join(lib, 'json', '__init__.pyc'));
    expect((await failure(pythonRun('print(1)'))).message).toContain('python3');
    cpSync(join(real.buildDir(python), 'lib', 'python3.11', 'json', '__init__.pyc'), join(base, 'elsewhere.pyc'));
    symlinkSync(join(base, 'elsewhere.pyc'), join(lib, 'json', '__init__.pyc'));
    expect((await failure(pythonRun('print(1)'))).path).toBe(join(lib, 'json', '__init__.pyc'));
    expect(existsSync(join(lib, 'json', '__init__.pyc'))).toBe(true);
  });
});
