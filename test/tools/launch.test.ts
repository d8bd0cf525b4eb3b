import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSandbox, GoodbotError, type AuditEvent } from '../../src/node/index.js';
import { compileSandboxConfig } from '../../src/policy/compile.js';
import { findRecipe, findTool, isToolName, needsFromScratch, toolCatalog, toolRecipes } from '../../src/tools/catalog.js';
import { ToolStore } from '../../src/node/tools/tool-store.js';
import { removeTree, tempDir } from '../helpers/guests.js';

const emptyCache = tempDir('goodbot-empty-tools-');
afterAll(() => removeTree(emptyCache));

async function failure(promise: Promise<unknown>): Promise<GoodbotError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GoodbotError);
  return error as GoodbotError;
}

describe('the tool catalog', () => {
  it('names every recipe of every tool, and each name once', () => {
    const names = toolCatalog.map((tool) => tool.name);
    expect(new Set(names).size).toBe(names.length);
    const recipes = new Set(toolRecipes.map((recipe) => recipe.name));
    for (const tool of toolCatalog) expect(recipes.has(tool.recipe), tool.name).toBe(true);
    for (const name of names) expect(isToolName(name)).toBe(true);
  });

  it("picks python3's program started from scratch only for the runs its snapshot cannot serve", () => {
    const from = findTool('python3')!.fromScratch!;
    const needs = (args: string[], env: [string, string][] = []) => needsFromScratch(from, args, env);
    expect(
      needs(
        ['python3', '-c', 'pass'],
        [
          ['PWD', '/work'],
          ['PATH', '/usr/bin'],
        ],
      ),
    ).toBe(false);
    expect(needs(['python3', '-O', '-X', 'utf8', 'app.py'])).toBe(false);
    expect(needs(['python3', '-c', 'pass'], [['PYTHONHASHSEED', '0']])).toBe(true);
    expect(needs(['python3', '-c', 'pass'], [['PYTHONMALLOC', 'malloc']])).toBe(true);
    expect(needs(['python3', '-X', 'dev', '-c', 'pass'])).toBe(true);
    expect(needs(['python3', '-Xdev', '-c', 'pass'])).toBe(true);
    // A false match costs only time: the program started from scratch serves every run.
    expect(needs(['python3', 'app.py', '-X', 'dev'])).toBe(true);
    expect(toolCatalog.filter((tool) => tool.fromScratch !== undefined).map((tool) => tool.name)).toEqual(['python3']);
  });

  it('tells paths from tool names', () => {
    expect(isToolName('python3')).toBe(true);
    expect(isToolName('./python3')).toBe(false);
    expect(isToolName('python3.wasm')).toBe(false);
  });
});

describe('tools.allow', () => {
  it('attack: running a catalog tool the policy does not list is refused before anything runs, and audited', async () => {
    const events: AuditEvent[] = [];
    const sandbox = createSandbox({ tools: { allow: ['cat'] } }, { audit: { record: (event) => events.push(event) } });
    const error = await failure(sandbox.exec({ program: 'python3', args: ['-c', 'pass'] }).result);
    expect(error.kind).toBe('policy');
    expect(error.field).toBe('sandbox.tools.allow');
    expect(error.message).toContain("'python3'");
    expect(events.map((event) => event.event)).toEqual(['access.denied', 'run.error']);
    expect(events[0]).toMatchObject({ operation: 'run-tool', target: 'python3', reason: 'tool-not-allowed' });
  });

  it('attack: an empty allow list allows no catalog tool at all', async () => {
    const error = await failure(createSandbox({ tools: { allow: [] } }).exec({ program: 'cat' }).result);
    expect(error.kind).toBe('policy');
  });

  it('refuses a name that is not in the catalog when the policy is compiled, naming the entry', () => {
    let error: unknown;
    try {
      compileSandboxConfig({ tools: { allow: ['cat', 'pyhton3'] } }, { file: 'policy.yaml', baseDir: '/' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GoodbotError);
    expect((error as GoodbotError).field).toBe('tools.allow[1]');
    expect((error as GoodbotError).message).toContain("'pyhton3'");
  });
});

describe('launching tools', () => {
  const unbuilt = new ToolStore({ cacheDir: join(emptyCache, 'tools') });

  it('says how to build a catalog tool that is not built yet', async () => {
    const error = await failure(createSandbox({}, { toolStore: unbuilt }).exec({ program: 'sort' }).result);
    expect(error.kind).toBe('not-found');
    expect(error.message).toBe('sort is in the catalog but not built');
    expect(error.hint).toContain('goodbot tools build sort');
    expect(error.hint).not.toContain('--build');
    expect(error.commandLineHint).toContain('--build');
  });

  it('attack: a build altered in the cache after it was built is refused, not run', async () => {
    const real = new ToolStore();
    const lua = findRecipe('lua')!;
    const copy = new ToolStore({ cacheDir: join(emptyCache, 'tampered') });
    cpSync(real.buildDir(lua), copy.buildDir(lua), { recursive: true });
    const sandbox = createSandbox({}, { toolStore: copy });
    expect((await sandbox.exec({ program: 'lua', args: ['-e', 'print(1)'] }).result).stdout).toBe('1\n');
    const artifact = join(copy.buildDir(lua), 'lua.wasm');
    const bytes = readFileSync(artifact);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 1, bytes.length - 1);
    writeFileSync(artifact, bytes);
    const error = await failure(sandbox.exec({ program: 'lua', args: ['-e', 'print(1)'] }).result);
    expect(error.kind).toBe('not-found');
    expect(error.message).toContain('was changed after it was built');
    expect(error.hint).toContain('goodbot tools build --force lua');
    // A launcher that never saw this version (as in a new process, which reads the versions found good from the cache) refuses it too.
    const fresh = createSandbox({}, { toolStore: new ToolStore({ cacheDir: join(emptyCache, 'tampered') }) });
    expect((await failure(fresh.exec({ program: 'lua', args: ['-e', 'print(1)'] }).result)).message).toContain('was changed after it was built');
  });

  it('points to the Docker backend for a name the catalog does not have', async () => {
    const error = await failure(createSandbox({}, { toolStore: unbuilt }).exec({ program: 'git' }).result);
    expect(error.kind).toBe('not-found');
    expect(error.hint).toContain("sandbox.backend 'docker'");
    expect(error.commandLineHint).toContain('--backend=docker');
  });
});
