import type { GuestModule, LoadedProgram, PortableProgram } from './loaded-program.js';
import { LimitExceeded } from '../../limits/run-limiter.js';
import { runCommandModule, runReactorModule } from './command-module.js';
import { Metering, MeteredVariants, meteredVariant, type InstrumentedStore, type MeteredModule } from './metered-module.js';
import { checkCommandModule, compileWithImportedMemory } from './program-kind.js';
import { reactorDriverFor } from '../../tools/reactors.js';
import type { ReactorDriver } from '../../tools/reactor-driver.js';
import type { GuestOutcome } from './outcome.js';
import type { WasiContext } from '../../wasi/common/context.js';
import type { ModuleWithRoom } from '../../limits/memory-import.js';

/**
 * A preview1 core module's bytes as a runnable program: compiled and checked
 * once, run plain or, when the run has limits, as its metered variant (made
 * on first use and kept). Platform-neutral: Node's loader and the browser
 * platform both build programs with it. METER_NOW makes the uncapped metered
 * variant at once, so its cost is paid while loading rather than by a run's
 * deadline (the browser meters every run). Given a {@link ModuleWithRoom},
 * the module is rewritten where it lies (see `importOwnMemory`).
 */
export function moduleProgram(source: Uint8Array | ModuleWithRoom, name: string, store?: InstrumentedStore, meterNow = false): LoadedProgram {
  const { guest: plain, original } = compileWithImportedMemory(source, name);
  const driver = reactorDriverFor(plain.module);
  if (driver === undefined) checkCommandModule(plain, name);
  const variants = new MeteredVariants(original, name, store);
  if (meterNow) meteredVariant(variants, undefined, name);
  const variantFor = (memoryBytes: number | undefined) => meteredVariant(variants, memoryBytes, name);
  return {
    name,
    kind: 'module',
    run: (ctx) => runModule(plain, driver, ctx, variantFor),
    portable: (metered, memoryBytes) => ({ name, ...plain, ...(metered && { metered: variantFor(memoryBytes) }) }),
  };
}

/** A program posted from another thread, run here as it would have run there. */
export function portableProgram(portable: PortableProgram): LoadedProgram {
  const { name, module, metered } = portable;
  const driver = reactorDriverFor(module);
  return {
    name,
    kind: 'module',
    run: (ctx) =>
      runModule(portable, driver, ctx, () => {
        if (metered === undefined) throw new Error(`${name} was posted without the metered variant its run needs`);
        return metered;
      }),
  };
}

/** Runs MODULE (a command, or a reactor its driver knows) plain, or its metered variant when the run has limits. */
function runModule(
  plain: GuestModule,
  driver: ReactorDriver | undefined,
  ctx: WasiContext,
  variantFor: (memoryBytes: number | undefined) => MeteredModule,
): GuestOutcome {
  const run = (metering?: Metering): GuestOutcome =>
    driver ? runReactorModule(driver, plain, ctx, metering) : runCommandModule(plain, ctx, metering);
  const limiter = ctx.limiter;
  if (limiter === undefined || !limiter.metered) return run();
  let metering: Metering;
  try {
    metering = new Metering(variantFor(limiter.limits.memoryBytes), limiter);
  } catch (error) {
    if (error instanceof LimitExceeded) return { kind: 'limit', limit: error };
    throw error;
  }
  return run(metering);
}
