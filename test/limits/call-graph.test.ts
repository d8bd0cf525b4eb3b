import { describe, expect, it } from 'vitest';
import { CallSites, uncheckedCodeLimit } from '../../src/limits/call-graph.js';
import { instrumentFuel } from '../../src/limits/instrument-fuel.js';
import { I32, Section, body, exportEntry, funcType, moduleBytes, section, str, uleb, vec } from './wasm-builder.js';

/** Which of the functions described keep their entry check; every function here has calls outside loops unless said. */
function plan(
  functions: Array<{ direct?: number[]; indirect?: number[]; size?: number; calls?: boolean }>,
  options: { imported?: number; exported?: number[]; addressTaken?: number[]; types?: number[]; tablesExposed?: boolean } = {},
): boolean[] {
  const sites = new CallSites();
  const imported = options.imported ?? 0;
  for (const f of functions) {
    const direct = f.direct ?? [];
    const indirect = f.indirect ?? [];
    sites.addFunction(f.size ?? 10, f.calls ?? (direct.length > 0 || indirect.length > 0), direct, indirect);
  }
  for (const index of options.exported ?? []) sites.hostCalls.add(index);
  for (const index of options.addressTaken ?? []) sites.addressTaken.add(index);
  sites.tablesExposed = options.tablesExposed ?? false;
  return sites.entryChecks(imported, (index) => options.types?.[index - imported] ?? 0);
}

describe('entry checks from the call graph', () => {
  it('drops the check of a function whose calls cannot lead back to it', () => {
    // 0 -> 1 -> 2 (a leaf): no cycle.
    expect(plan([{ direct: [1] }, { direct: [2] }, {}], { exported: [0] })).toEqual([false, false, false]);
  });

  it('keeps the checks on a cycle: self-recursion and mutual recursion', () => {
    expect(plan([{ direct: [0] }], { exported: [0] })).toEqual([true]);
    expect(plan([{ direct: [1] }, { direct: [2] }, { direct: [0] }, { direct: [1] }])).toEqual([true, true, true, false]);
  });

  it('follows call_indirect to the functions of its type whose reference is taken', () => {
    // 0 calls indirectly with type 7; 1 has type 7, is in a table and calls 0: a cycle.
    expect(plan([{ indirect: [7] }, { direct: [0] }], { addressTaken: [1], types: [0, 7] })).toEqual([true, true]);
    // The same with 1 of another type: call_indirect cannot reach it.
    expect(plan([{ indirect: [7] }, { direct: [0] }], { addressTaken: [1], types: [0, 8] })).toEqual([false, false]);
    // Not in a table: not reachable either.
    expect(plan([{ indirect: [7] }, { direct: [0] }], { types: [0, 7] })).toEqual([false, false]);
  });

  it('follows calls to imports back into the exports (the host may call them)', () => {
    // One import (index 0); defined 0 (index 1) is exported and calls 2, which calls the import.
    expect(plan([{ direct: [2] }, { direct: [0] }], { imported: 1, exported: [1] })).toEqual([true, true]);
    // Not exported: the host cannot come back.
    expect(plan([{ direct: [2] }, { direct: [0] }], { imported: 1 })).toEqual([false, false]);
  });

  it('follows call_indirect into the host when a table is exposed to it', () => {
    expect(plan([{ indirect: [7] }], { exported: [0], tablesExposed: true })).toEqual([true]);
    expect(plan([{ indirect: [7] }], { exported: [0], tablesExposed: false })).toEqual([false]);
  });

  it(`keeps a check where more than ${uncheckedCodeLimit} bytes of code could run from an entry before a check`, () => {
    // f(k) calls f(k-1) twice: without checks, f(29) runs 2^29 copies of f(0).
    const chain = Array.from({ length: 30 }, (_, k) => (k === 0 ? { size: 100 } : { direct: [k - 1, k - 1], size: 100 }));
    const keep = plan(chain, { exported: [29] });
    let unchecked = 0;
    for (let k = 0; k < 30; k++) {
      unchecked = keep[k] ? 0 : 100 + 2 * unchecked;
      expect(unchecked).toBeLessThanOrEqual(uncheckedCodeLimit);
    }
    expect(keep.filter(Boolean).length).toBeGreaterThanOrEqual(2);
    expect(keep.slice(0, 8).some(Boolean)).toBe(false);
  });
});

// ------------------------------------------------------------- end to end

class OutOfFuel extends Error {}

/**
 * Instruments BYTES and runs `main(arg)` with BUDGET fuel; returns the fuel
 * seen at the stop, or undefined if it finished. The import `host.reenter`
 * calls `main` back.
 */
function runWithBudget(bytes: Uint8Array, arg: number, budget: bigint): bigint | undefined {
  const instrumented = instrumentFuel(bytes);
  let fuel: WebAssembly.Global | undefined;
  let seen: bigint | undefined;
  let run: (n: number) => number = () => 0;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(instrumented.bytes), {
    host: { reenter: (k: number) => run(k) },
    [instrumented.importModule]: {
      [instrumented.importName]: () => {
        seen = fuel!.value as bigint;
        throw new OutOfFuel('out of fuel');
      },
    },
  });
  fuel = instance.exports[instrumented.fuelExport] as WebAssembly.Global;
  fuel.value = budget;
  run = instance.exports['main'] as (n: number) => number;
  try {
    run(arg);
  } catch (error) {
    if (!(error instanceof OutOfFuel)) throw error;
  }
  return seen;
}

const I32_TYPE = 0;
const ifI32 = [0x04, I32];
/** `n == 0 ? 1 : CALL(n - 1) + CALL(n - 1)`: 2^n calls, no loop, little stack. */
function treeRecursion(call: number[]): number[] {
  const half = [0x20, 0, 0x41, 1, 0x6b, ...call];
  return [0x20, 0, 0x45, ...ifI32, 0x41, 1, 0x05, ...half, ...half, 0x6a, 0x0b];
}

describe('attack: recursion that never deepens the stack enough to overflow', () => {
  it('attack: tree recursion in a function nothing exports (its fuel passed as a parameter) stops within its budget', () => {
    const bytes = moduleBytes(
      section(Section.type, vec([funcType([I32], [I32])])),
      section(Section.function, vec([[I32_TYPE], [I32_TYPE]])),
      section(Section.export, vec([exportEntry('main', 0, 0)])),
      section(Section.code, vec([body([0x20, 0, 0x10, 1]), body(treeRecursion([0x10, 1]))])),
    );
    const seen = runWithBudget(bytes, 40, 100_000n);
    expect(seen).toBeDefined();
    expect(seen!).toBeGreaterThan(-100n);
  });

  it('attack: tree recursion through call_indirect stops within its budget', () => {
    const callIndirect = [0x41, 0, 0x11, I32_TYPE, 0];
    const bytes = moduleBytes(
      section(Section.type, vec([funcType([I32], [I32])])),
      section(Section.function, vec([[I32_TYPE], [I32_TYPE]])),
      section(Section.table, vec([[0x70, 0x00, 0x01]])),
      section(Section.export, vec([exportEntry('main', 0, 0)])),
      section(Section.element, vec([[0x00, 0x41, 0x00, 0x0b, ...vec([[1]])]])),
      section(Section.code, vec([body([0x20, 0, 0x10, 1]), body(treeRecursion(callIndirect))])),
    );
    const seen = runWithBudget(bytes, 40, 100_000n);
    expect(seen).toBeDefined();
    expect(seen!).toBeGreaterThan(-100n);
  });

  it('attack: tree recursion through the host (an import that calls the export back) stops within its budget', () => {
    const bytes = moduleBytes(
      section(Section.type, vec([funcType([I32], [I32])])),
      section(Section.import, vec([[...str('host'), ...str('reenter'), 0x00, I32_TYPE]])),
      section(Section.function, vec([[I32_TYPE]])),
      section(Section.export, vec([exportEntry('main', 0, 1)])),
      section(Section.code, vec([body(treeRecursion([0x10, 0]))])),
    );
    const seen = runWithBudget(bytes, 40, 100_000n);
    expect(seen).toBeDefined();
    expect(seen!).toBeGreaterThan(-100n);
  });

  it('attack: 30 functions each calling the next twice (2^30 calls, no recursion) cannot run long past the budget', () => {
    const functions = 30;
    const code = Array.from({ length: functions }, (_, k) => (k === 0 ? body([]) : body([0x10, ...uleb(k - 1), 0x10, ...uleb(k - 1)])));
    const bytes = moduleBytes(
      section(Section.type, vec([funcType([], [])])),
      section(Section.function, vec(code.map(() => [0]))),
      section(Section.export, vec([exportEntry('main', 0, functions - 1)])),
      section(Section.code, vec(code)),
    );
    const seen = runWithBudget(bytes, 0, 10_000n);
    expect(seen).toBeDefined();
    expect(seen!).toBeGreaterThan(-BigInt(uncheckedCodeLimit));
  });
});
