import { describe, expect, it } from 'vitest';
import { instrumentFuel } from '../../src/limits/instrument-fuel.js';
import { FUNCREF, I32, Section, body, customSection, exportEntry, funcType, moduleBytes, section, str, uleb, vec } from './wasm-builder.js';

// Types: 0 () -> i32, 1 (i32) -> i32, 2 () -> ().
// Imports: func 0 env.add1 (type 1). Defined functions start at index 1.
const F = {
  viaImport: 1, // add1(40) = 41
  seven: 2, // 7
  indirect: 3, // table[0]() = seven = 7 (active segment, flags 0)
  refFunc: 4, // table[1] = ref.func ninetyNine; table[1]() = 99 (declared by a flags-3 segment)
  ninetyNine: 5,
  start: 6, // start function: started = 1
  started: 7, // global.get started
  callChain: 8, // viaImport() + seven() = 48
  globalRef: 9, // table[1] = global funcref (ref.func seven); table[1]() = 7
  elemExpr: 10, // table[2]() = 99 (active segment with expressions, flags 4)
  tableInit: 11, // table.init from passive expr segment (flags 5) into table[3]; table[3]() = 7
  boom: 12, // unreachable, named boom_here in the name section
};
const defined = Object.keys(F).length;

const i32Const = (value: number) => [0x41, value];
const callIndirect = [0x11, 0, 0]; // call_indirect type 0, table 0

function shiftingModule(): Uint8Array<ArrayBuffer> {
  const bodies: number[][] = [
    [...i32Const(40), 0x10, 0], // viaImport
    i32Const(7), // seven
    [...i32Const(0), ...callIndirect], // indirect
    [...i32Const(1), 0xd2, F.ninetyNine, 0x26, 0, ...i32Const(1), ...callIndirect], // refFunc
    [0x41, 0xe3, 0x00], // ninetyNine: i32.const 99 (s32 LEB128 e3 00)
    [...i32Const(1), 0x24, 0], // start: global.set started
    [0x23, 0], // started
    [0x10, F.viaImport, 0x10, F.seven, 0x6a], // callChain
    [...i32Const(1), 0x23, 1, 0x26, 0, ...i32Const(1), ...callIndirect], // globalRef
    [...i32Const(2), ...callIndirect], // elemExpr
    [...i32Const(3), ...i32Const(0), ...i32Const(1), 0xfc, 12, 3, 0, ...i32Const(3), ...callIndirect], // tableInit
    [0x00], // boom
  ];
  const types = [0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 2];
  const exported = Object.entries(F).filter(([name]) => name !== 'start');
  const functionNames = [[0, 'add1'], ...Object.entries(F).map(([name, index]) => [index, name === 'boom' ? 'boom_here' : name])] as Array<
    [number, string]
  >;
  return moduleBytes(
    section(Section.type, vec([funcType([], [I32]), funcType([I32], [I32]), funcType([], [])])),
    section(Section.import, vec([[...str('env'), ...str('add1'), 0x00, 1]])),
    section(Section.function, vec(types.map((t) => [t]))),
    section(Section.table, vec([[FUNCREF, 0x00, 4]])),
    section(
      Section.global,
      vec([
        [I32, 0x01, ...i32Const(0), 0x0b], // global 0: started (mut i32)
        [FUNCREF, 0x00, 0xd2, F.seven, 0x0b], // global 1: funcref = ref.func seven
      ]),
    ),
    section(Section.export, vec(exported.map(([name, index]) => exportEntry(name, 0, index)))),
    section(Section.start, uleb(F.start)),
    section(
      Section.element,
      vec([
        [0x00, ...i32Const(0), 0x0b, ...vec([[F.seven]])], // flags 0: active, table 0, func indices
        [0x03, 0x00, ...vec([[F.ninetyNine]])], // flags 3: declarative (for ref.func)
        [0x04, ...i32Const(2), 0x0b, ...vec([[0xd2, F.ninetyNine, 0x0b]])], // flags 4: active, expressions
        [0x05, FUNCREF, ...vec([[0xd2, F.seven, 0x0b]])], // flags 5: passive, expressions
      ]),
    ),
    section(Section.code, vec(bodies.map((code) => body(code)))),
    customSection('name', [0x01, ...sized(vec(functionNames.map(([index, name]) => [...uleb(index), ...str(name)])))]),
    customSection('producers-test', [1, 2, 3]),
  );
}

function sized(payload: number[]): number[] {
  return [...uleb(payload.length), ...payload];
}

function runAll(bytes: Uint8Array<ArrayBuffer>, extraImports: WebAssembly.Imports): Record<string, unknown> {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    env: { add1: (x: number) => x + 1 },
    ...extraImports,
  });
  const results: Record<string, unknown> = {};
  for (const name of Object.keys(F)) {
    const fn = instance.exports[name] as (() => unknown) | undefined;
    if (!fn) continue;
    try {
      results[name] = fn();
    } catch (error) {
      results[name] = `threw ${(error as Error).message}; named frame: ${(error as Error).stack?.includes('boom_here')}`;
    }
  }
  return results;
}

describe('function index shifting', () => {
  const original = shiftingModule();

  it('the hand-assembled module is valid and behaves as designed', () => {
    expect(WebAssembly.validate(original)).toBe(true);
    expect(defined).toBe(12);
    expect(runAll(original, {})).toEqual({
      viaImport: 41,
      seven: 7,
      indirect: 7,
      refFunc: 99,
      ninetyNine: 99,
      started: 1,
      callChain: 48,
      globalRef: 7,
      elemExpr: 99,
      tableInit: 7,
      boom: 'threw unreachable; named frame: true',
    });
  });

  it('behaves identically after instrumentation (imports, exports, table, elements, ref.func, start, names)', () => {
    const result = instrumentFuel(original);
    expect(result.outOfFuelFunctionIndex).toBe(1);
    expect(result.fuelGlobalIndex).toBe(2);
    let refills = 0;
    const limits = {
      'goodbot:limits': {
        out_of_fuel: () => {
          refills++;
          throw new Error('unexpected out_of_fuel');
        },
      },
    };
    // initialFuel makes the start function run without a refill.
    const instrumented = instrumentFuel(original, { initialFuel: 1n << 40n }).bytes;
    expect(runAll(instrumented, limits)).toEqual(runAll(original, {}));
    expect(refills).toBe(0);
  });

  it('keeps other custom sections byte for byte and shifts the name section', () => {
    const module = new WebAssembly.Module(instrumentFuel(original).bytes);
    const producers = WebAssembly.Module.customSections(module, 'producers-test');
    expect(producers.map((b) => [...new Uint8Array(b)])).toEqual([[1, 2, 3]]);
    const names = new Uint8Array(WebAssembly.Module.customSections(module, 'name')[0]!);
    const text = new TextDecoder().decode(names);
    expect(text).toContain('goodbot:limits.out_of_fuel');
    // Subsection 1: count 14 (13 + the added import), then index 0 add1, index 1 the import, index 2 viaImport…
    expect(names[0]).toBe(0x01);
    const entriesStart = names[1]! & 0x80 ? 3 : 2; // after the subsection id and its LEB128 size
    const firstEntries = [...names.subarray(entriesStart, entriesStart + 1 + 1 + 5 + 1)];
    expect(firstEntries).toEqual([14, 0, ...str('add1'), 1]);
  });

  it('shifts function indices that grow past one LEB128 byte (127 -> 128)', () => {
    // 130 functions each returning its own index; function i calls i+1 to check call shifting at the boundary.
    const count = 130;
    const bodies = Array.from(
      { length: count },
      (_, i) => (i < count - 1 ? [0x10, ...uleb(i + 1)] : [0x41, ...[0xc1, 0x00]]), // last returns 65
    );
    const bytes = moduleBytes(
      section(Section.type, vec([funcType([], [I32])])),
      section(Section.function, vec(bodies.map(() => [0]))),
      section(Section.export, vec([exportEntry('first', 0, 0), exportEntry('at127', 0, 127)])),
      section(Section.code, vec(bodies.map((code) => body(code)))),
    );
    const limits = { 'goodbot:limits': { out_of_fuel: () => 1_000_000n } };
    const before = runAll2(bytes, {});
    const after = runAll2(instrumentFuel(bytes, { initialFuel: 1000n }).bytes, limits);
    expect(after).toEqual(before);
    expect(before).toEqual([65, 65]);
  });
});

function runAll2(bytes: Uint8Array<ArrayBuffer>, imports: WebAssembly.Imports): unknown[] {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), imports);
  return ['first', 'at127'].map((name) => (instance.exports[name] as () => number)());
}
