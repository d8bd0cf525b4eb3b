import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Metering, MeteredVariants } from '../../../src/backends/wasm/metered-module.js';
import { RunLimiter } from '../../../src/limits/run-limiter.js';
import { guest } from '../../helpers/guests.js';

describe('the metering of one run', () => {
  it("attack: its out-of-fuel import, kept by an instance that outlives the run, reaches none of the run's limiter once settled", () => {
    const variant = new MeteredVariants(() => readFileSync(guest('cat.wasm')), 'cat.wasm').get(undefined);
    const metering = new Metering(variant, new RunLimiter({ fuel: 1000 }));
    const imports = Object.values(metering.imports())[0] as Record<string, () => unknown>;
    const outOfFuel = Object.values(imports)[0]!;
    metering.settle(false);
    expect(() => outOfFuel()).toThrow('a metered call after its run was settled');
  });
});
