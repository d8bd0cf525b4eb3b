import { describe, expect, it } from 'vitest';
import { instrumentFuel, type InstrumentedModule } from '../../src/limits/instrument-fuel.js';
import { EMPTY_BLOCK, I32, simpleModule } from './wasm-builder.js';

class OutOfFuel extends Error {}

/** Instantiates an instrumented module with an out-of-fuel callback. */
function instantiate(
  result: InstrumentedModule,
  /** The out_of_fuel callback: returns the fuel to add (0 or nothing: stop with a trap), or throws. */
  onOutOfFuel: (fuel: WebAssembly.Global) => bigint | void,
  imports: WebAssembly.Imports = {},
): { exports: WebAssembly.Exports; fuel: WebAssembly.Global } {
  let fuel: WebAssembly.Global | undefined;
  const limits = { [result.importName]: () => onOutOfFuel(fuel!) ?? 0n };
  const instance = new WebAssembly.Instance(new WebAssembly.Module(result.bytes), {
    ...imports,
    [result.importModule]: limits,
  });
  fuel = instance.exports[result.fuelExport] as WebAssembly.Global;
  return { exports: instance.exports, fuel };
}

const throwWhenEmpty = () => {
  throw new OutOfFuel('out of fuel');
};

// Counts `n` down to 0: loop { n = n - 1; br_if (n != 0) }.
// Segments: entry [loop] = 1, header [local.get, i32.const, i32.sub, local.tee, br_if] = 5
// per iteration, [end] = 1 (loop), [end] = 1 (function): cost 5n + 3 for n >= 1. Nothing
// leaves the loop but its end, so the 2 after the loop are charged at entry with its 1.
const countdown = simpleModule([
  {
    name: 'countdown',
    params: [I32],
    results: [],
    code: [0x03, EMPTY_BLOCK, 0x20, 0, 0x41, 1, 0x6b, 0x22, 0, 0x0d, 0, 0x0b],
  },
]);

describe('fuel accounting', () => {
  it('charges exactly 5n + 3 for a countdown loop of n iterations', () => {
    const { exports, fuel } = instantiate(instrumentFuel(countdown), throwWhenEmpty);
    const run = exports['countdown'] as (n: number) => void;
    for (const n of [1, 2, 3, 10, 1000, 123_457]) {
      fuel.value = 10_000_000n;
      run(n);
      expect(10_000_000n - (fuel.value as bigint)).toBe(BigInt(5 * n + 3));
    }
  });

  it('calls out_of_fuel at the first check where fuel is negative', () => {
    const seen: bigint[] = [];
    const { exports, fuel } = instantiate(instrumentFuel(countdown), (global) => {
      seen.push(global.value as bigint);
      throw new OutOfFuel('stop');
    });
    // 18 fuel: entry leaves 15, loop headers leave 10, 5, 0, then -5 at the 4th header.
    fuel.value = 18n;
    expect(() => (exports['countdown'] as (n: number) => void)(100)).toThrow(OutOfFuel);
    expect(seen).toEqual([-5n]);
    // With exactly enough fuel (5*3 + 3 = 18 for n = 3) the callback is never called.
    seen.length = 0;
    fuel.value = 18n;
    (exports['countdown'] as (n: number) => void)(3);
    expect(seen).toEqual([]);
    expect(fuel.value).toBe(0n);
  });

  it('lets the callback refill fuel and continue (fuel slices)', () => {
    let refills = 0;
    const { exports, fuel } = instantiate(instrumentFuel(countdown), () => {
      refills++;
      return 100n;
    });
    fuel.value = 0n;
    (exports['countdown'] as (n: number) => void)(1000);
    expect(BigInt(refills) * 100n - (fuel.value as bigint)).toBe(5003n);
    expect(refills).toBe(51);
  });

  it('charges if/else arms, calls and br_if exactly', () => {
    const bytes = simpleModule([
      // [local.get, if] = 2; then [i32.const, else] = 2; else [i32.const, i32.const, i32.add, end] = 4; [end] = 1
      {
        name: 'choose',
        params: [I32],
        results: [I32],
        code: [0x20, 0, 0x04, I32, 0x41, 10, 0x05, 0x41, 20, 0x41, 1, 0x6a, 0x0b],
      },
      // [call] = 1; [drop, i32.const, end] = 3; plus the callee's 5 or 7
      { name: 'caller', params: [], results: [I32], code: [0x41, 0, 0x10, 0, 0x1a, 0x41, 3] },
      // [block, ] = 1; [local.get, br_if] = 2; [i32.const, drop, end] = 3 only if not taken; [i32.const, end] = 2
      {
        name: 'skip',
        params: [I32],
        results: [I32],
        code: [0x02, EMPTY_BLOCK, 0x20, 0, 0x0d, 0, 0x41, 1, 0x1a, 0x0b, 0x41, 2],
      },
    ]);
    const { exports, fuel } = instantiate(instrumentFuel(bytes), throwWhenEmpty);
    const cost = (name: string, ...args: number[]) => {
      fuel.value = 1000n;
      (exports[name] as (...a: number[]) => number)(...args);
      return 1000n - (fuel.value as bigint);
    };
    expect(cost('choose', 1)).toBe(5n);
    expect(cost('choose', 0)).toBe(7n);
    expect(cost('caller')).toBe(2n + 3n + 7n); // i32.const 0, call | drop, i32.const, end | choose(0)
    expect(cost('skip', 1)).toBe(1n + 2n + 2n);
    expect(cost('skip', 0)).toBe(1n + 2n + 3n + 2n);
  });

  it('stops an infinite `loop br 0` after k refills (loop headers are checked)', () => {
    const bytes = simpleModule([{ name: 'spin', params: [], results: [], code: [0x03, EMPTY_BLOCK, 0x0c, 0, 0x0b] }]);
    let calls = 0;
    const { exports, fuel } = instantiate(instrumentFuel(bytes), () => {
      calls++;
      if (calls > 5) throw new OutOfFuel('deadline');
      return 1000n;
    });
    fuel.value = 1000n;
    expect(() => (exports['spin'] as () => void)()).toThrow(OutOfFuel);
    expect(calls).toBe(6);
  });

  it('attack: a guest that catches everything cannot swallow its stop (the stop is a trap)', () => {
    // try { loop { br 0 } } catch_all {}: a JS exception from the callback is caught
    // by catch_all and the function returns; returning 0 (no more fuel) traps,
    // and a trap is not catchable.
    const bytes = simpleModule([
      { name: 'shielded', params: [], results: [], code: [0x06, EMPTY_BLOCK, 0x03, EMPTY_BLOCK, 0x0c, 0, 0x0b, 0x19, 0x0b] },
    ]);
    const throwing = instantiate(instrumentFuel(bytes), throwWhenEmpty);
    throwing.fuel.value = 100n;
    expect(() => (throwing.exports['shielded'] as () => void)()).not.toThrow();
    let calls = 0;
    const limits = { 'goodbot:limits': { out_of_fuel: () => (calls++, 0n) } };
    const instance = new WebAssembly.Instance(new WebAssembly.Module(instrumentFuel(bytes).bytes), limits);
    (instance.exports['goodbot_fuel'] as WebAssembly.Global).value = 100n;
    expect(() => (instance.exports['shielded'] as () => void)()).toThrow(WebAssembly.RuntimeError);
    expect(calls).toBe(1);
  });

  it('stops deep recursion at function entry before the stack overflows', () => {
    const bytes = simpleModule([{ name: 'recurse', params: [], results: [], code: [0x10, 0] }]);
    const seen: bigint[] = [];
    const { exports, fuel } = instantiate(instrumentFuel(bytes), (global) => {
      seen.push(global.value as bigint);
      throw new OutOfFuel('too deep');
    });
    fuel.value = 501n;
    expect(() => (exports['recurse'] as () => void)()).toThrow(OutOfFuel);
    // A call does not end a segment, so each entry charges [call, end] = 2: the 251st entry finds -1.
    expect(seen).toEqual([-1n]);
  });

  it('starts with initialFuel and exposes the metadata', () => {
    const result = instrumentFuel(countdown, { initialFuel: 42n, importModule: 'm', importName: 'f' });
    expect(result).toMatchObject({ importModule: 'm', importName: 'f', fuelExport: 'goodbot_fuel' });
    expect(result.fuelGlobalIndex).toBe(0);
    expect(result.outOfFuelFunctionIndex).toBe(0);
    expect(result.functionCount).toBe(1);
    const { fuel } = instantiate(result, throwWhenEmpty);
    expect(fuel.value).toBe(42n);
    expect(WebAssembly.Module.imports(new WebAssembly.Module(result.bytes))).toEqual([{ module: 'm', name: 'f', kind: 'function' }]);
  });
});
