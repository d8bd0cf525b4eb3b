import { describe, expect, it } from 'vitest';
import { instrumentFuel } from '../../src/limits/instrument-fuel.js';
import { WasmReader } from '../../src/limits/wasm-reader.js';
import { EMPTY_BLOCK, I32, Section, body, customSection, exportEntry, funcType, moduleBytes, section, str, uleb, vec } from './wasm-builder.js';

/** Local names per function index, from a module's `name` section. */
function localNames(module: WebAssembly.Module): Map<number, Array<[number, string]>> {
  const bytes = new Uint8Array(WebAssembly.Module.customSections(module, 'name')[0]!);
  const reader = new WasmReader(bytes, 0, bytes.length);
  const names = new Map<number, Array<[number, string]>>();
  while (!reader.atEnd) {
    const id = reader.u8();
    const end = reader.u32() + reader.pos;
    if (id !== 2) {
      reader.pos = end;
      continue;
    }
    for (let functions = reader.u32(); functions > 0; functions--) {
      const index = reader.u32();
      const entries: Array<[number, string]> = [];
      for (let count = reader.u32(); count > 0; count--) entries.push([reader.u32(), reader.name()]);
      names.set(index, entries);
    }
  }
  return names;
}

/**
 * main(x) (exported) calls inner(x), which nothing outside reaches: inner
 * has a declared local `tmp` (index 1) and returns (x + 1) * 2 through it.
 * With TRY, main wraps the call in a legacy try/catch_all.
 */
function moduleWithInner(options: { try?: boolean } = {}): Uint8Array<ArrayBuffer> {
  const call = [0x20, 0, 0x10, 1];
  const main = options.try ? [0x06, I32, ...call, 0x19, 0x41, 0, 0x0b] : call;
  const inner = [0x20, 0, 0x41, 1, 0x6a, 0x21, 1, 0x20, 1, 0x20, 1, 0x6a];
  const names = [
    0x02,
    ...sized(
      vec([
        [
          ...uleb(1),
          ...vec([
            [0, ...str('x')],
            [1, ...str('tmp')],
          ]),
        ],
      ]),
    ),
  ];
  return moduleBytes(
    section(Section.type, vec([funcType([I32], [I32])])),
    section(Section.function, vec([[0], [0]])),
    section(Section.export, vec([exportEntry('main', 0, 0)])),
    section(Section.code, vec([body(main), body(inner, [[1, I32]])])),
    customSection('name', names),
  );
}

function sized(payload: number[]): number[] {
  return [...uleb(payload.length), ...payload];
}

function runMain(bytes: Uint8Array<ArrayBuffer>, x: number): { result: number; used: bigint; module: WebAssembly.Module } {
  const instrumented = instrumentFuel(bytes);
  const module = new WebAssembly.Module(instrumented.bytes);
  const instance = new WebAssembly.Instance(module, { [instrumented.importModule]: { [instrumented.importName]: () => 0n } });
  const fuel = instance.exports[instrumented.fuelExport] as WebAssembly.Global;
  fuel.value = 1000n;
  const result = (instance.exports['main'] as (x: number) => number)(x);
  return { result, used: 1000n - (fuel.value as bigint), module };
}

describe('fuel passed to functions nothing outside reaches', () => {
  it('runs the same, charges the same, and the local names move up past the added parameter', () => {
    const { result, used, module } = runMain(moduleWithInner(), 20);
    expect(result).toBe(42);
    // main: [local.get, call, end] = 3; inner: 7 instructions and its end = 8.
    expect(used).toBe(11n);
    // inner is function 2 after the added import; its `tmp` was local 1 and is now 2 (1 is the counter).
    expect(localNames(module).get(2)).toEqual([
      [0, 'x'],
      [2, 'tmp'],
    ]);
  });

  it('is not done in a module that catches (a catch would resume with a counter missing what the unwound callees spent)', () => {
    const { result, used, module } = runMain(moduleWithInner({ try: true }), 20);
    expect(result).toBe(42);
    expect(used).toBe(13n); // try and the try's end add 2 to main; nothing throws, so catch_all's arm does not run
    expect(localNames(module).get(2)).toEqual([
      [0, 'x'],
      [1, 'tmp'],
    ]);
  });

  it('handles functions with no result and with two results (its body becomes a block of that type)', () => {
    // main(x) = let (a, b) = pair(x) in a - b + (nothing(x), x); pair(x) = (x * 3, x); nothing(x) = drop x
    const bytes = moduleBytes(
      section(Section.type, vec([funcType([I32], [I32]), funcType([I32], [I32, I32]), funcType([I32], [])])),
      section(Section.function, vec([[0], [1], [2]])),
      section(Section.export, vec([exportEntry('main', 0, 0)])),
      section(
        Section.code,
        vec([
          body([0x20, 0, 0x10, 1, 0x6b, 0x20, 0, 0x10, 2, 0x20, 0, 0x6a]),
          body([0x20, 0, 0x41, 3, 0x6c, 0x20, 0, 0x02, EMPTY_BLOCK, 0x0b]),
          body([0x20, 0, 0x1a]),
        ]),
      ),
    );
    expect(runMain(bytes, 7).result).toBe(21);
  });
});
