import type { LoadedProgram } from './loaded-program.js';
import { LimitExceeded } from '../../limits/run-limiter.js';
import { runCommandModule, runReactorModule } from './command-module.js';
import { Metering, MeteredVariants, meteredVariant, type InstrumentedStore } from './metered-module.js';
import { checkCommandModule, compileModule } from './program-kind.js';
import { reactorDriverFor } from '../../tools/reactors.js';
import type { GuestOutcome } from './outcome.js';
import type { WasiContext } from '../../wasi/common/context.js';

/**
 * A preview1 core module's bytes as a runnable program: compiled and checked
 * once, run plain or, when the run has limits, as its metered variant (made
 * on first use and kept). Platform-neutral: Node's loader and the browser
 * platform both build programs with it. METER_NOW makes the uncapped metered
 * variant at once, so its cost is paid while loading rather than by a run's
 * deadline (the browser meters every run).
 */
export function moduleProgram(bytes: Uint8Array, name: string, store?: InstrumentedStore, meterNow = false): LoadedProgram {
  const module = compileModule(bytes, name);
  const driver = reactorDriverFor(module);
  if (driver === undefined) checkCommandModule(module, name);
  const run = (ctx: WasiContext, metering?: Metering): GuestOutcome =>
    driver ? runReactorModule(driver, module, ctx, metering) : runCommandModule(module, ctx, metering);
  const metered = new MeteredVariants(bytes, name, store);
  if (meterNow) meteredVariant(metered, undefined, name);
  return {
    name,
    kind: 'module',
    run: (ctx) => {
      const limiter = ctx.limiter;
      if (limiter === undefined || !limiter.metered) return run(ctx);
      let metering: Metering;
      try {
        metering = new Metering(meteredVariant(metered, limiter.limits.memoryBytes, name), limiter);
      } catch (error) {
        if (error instanceof LimitExceeded) return { kind: 'limit', limit: error };
        throw error;
      }
      return run(ctx, metering);
    },
  };
}
