import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { instrumentFuel } from '../../src/limits/instrument-fuel.js';
import { findRecipe } from '../../src/tools/catalog.js';
import { ToolStore } from '../../src/node/tools/tool-store.js';

const root = join(import.meta.dirname, '..', '..', '.cache');
const guests = ['probe.wasm', 'cat.wasm', 'wasi-checks.wasm', 'sjlj-test.wasm'].map((name) => ({
  name,
  path: join(root, 'guests', name),
}));
/** The catalog's core modules, as the test setup built them. */
const store = new ToolStore();
const tools = ['busybox', 'lua', 'jq', 'sqlite3', 'python3', 'rg', 'ruby'].map((tool) => ({
  name: `${tool}.wasm`,
  path: join(store.buildDir(findRecipe(tool)!), `${tool}.wasm`),
}));

describe('instrumenting real modules', () => {
  for (const { name, path } of [...guests, ...tools]) {
    it(`${name}: instrumented module validates and compiles`, () => {
      if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm test\`, whose setup builds it`);
      const original = new Uint8Array(readFileSync(path));
      const started = performance.now();
      const result = instrumentFuel(original);
      const elapsed = performance.now() - started;
      const growth = ((result.bytes.length / original.length - 1) * 100).toFixed(1);
      console.log(`${name}: instrumented in ${elapsed.toFixed(0)} ms, ${original.length} -> ${result.bytes.length} bytes (+${growth}%)`);
      expect(WebAssembly.validate(result.bytes)).toBe(true);
      const module = new WebAssembly.Module(result.bytes);
      expect(WebAssembly.Module.exports(module)).toContainEqual({ name: 'goodbot_fuel', kind: 'global' });
      expect(WebAssembly.Module.imports(module)).toContainEqual({ module: 'goodbot:limits', name: 'out_of_fuel', kind: 'function' });
      // Same exports (plus the fuel global) and imports (plus the callback).
      const before = new WebAssembly.Module(original);
      expect(WebAssembly.Module.exports(module).length).toBe(WebAssembly.Module.exports(before).length + 1);
      expect(WebAssembly.Module.imports(module).length).toBe(WebAssembly.Module.imports(before).length + 1);
      if (name === 'ruby.wasm') expect(elapsed).toBeLessThan(3000); // target 1 s; loose bound for loaded CI machines
    });
  }
});
