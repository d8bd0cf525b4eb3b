import { describe, expect, it } from 'vitest';
import { instrumentFuel } from '../../src/limits/instrument-fuel.js';
import { programPair } from './random-programs.js';

/**
 * The rewriter charges per segment and hoists the cost of code that must
 * follow a construct to before it. Whatever it merges, a function that
 * returns normally must have been charged exactly the instructions it ran:
 * checked against a naive count on random structured programs.
 */
describe('segments and hoisting charge exactly what runs', () => {
  it('on 400 random structured programs, each run on 8 inputs, fuel used equals instructions executed', () => {
    let checkedRuns = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const { plain, counted } = programPair(seed);
      const reference = new WebAssembly.Instance(new WebAssembly.Module(counted));
      const metered = instrumentFuel(plain);
      const instance = new WebAssembly.Instance(new WebAssembly.Module(metered.bytes), {
        [metered.importModule]: { [metered.importName]: () => 1 },
      });
      const fuel = instance.exports[metered.fuelExport] as WebAssembly.Global;
      const countGlobal = reference.exports['count'] as WebAssembly.Global;
      for (const x of [0, 1, 2, 5, 0x155, 0xaaa, 0xfff, 0x7ffff]) {
        countGlobal.value = 0n;
        fuel.value = 1n << 40n;
        const expected = (reference.exports['main'] as (x: number) => number)(x);
        const result = (instance.exports['main'] as (x: number) => number)(x);
        expect(result, `seed ${seed}, x ${x}`).toBe(expected);
        expect((1n << 40n) - (fuel.value as bigint), `seed ${seed}, x ${x}`).toBe(countGlobal.value);
        checkedRuns++;
      }
    }
    expect(checkedRuns).toBe(3200);
  });
});
