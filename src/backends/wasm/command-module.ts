import type { ReactorDriver } from '../../tools/reactor-driver.js';
import { Preview1Host } from '../../wasi/preview1/host.js';
import type { WasiContext } from '../../wasi/common/context.js';
import type { Metering } from './metered-module.js';
import type { GuestModule } from './loaded-program.js';
import { threadMemoryPool } from './memory-pool.js';
import { memoryImportModule, memoryImportName } from '../../limits/memory-import.js';
import { outcomeOf, type GuestOutcome } from './outcome.js';

/**
 * Runs a WASI command module (`_start`) to completion on the calling thread,
 * with the preview1 face over `ctx`. A trap or exit ends it with an outcome;
 * the host is never left in a state that depends on the guest. With METERING
 * the instrumented variant runs, against the run's limits.
 */
export function runCommandModule(module: GuestModule, ctx: WasiContext, metering?: Metering): GuestOutcome {
  return runPreview1(module, ctx, metering, (instantiate) => {
    (instantiate({}).exports['_start'] as () => void)();
    return 0;
  });
}

/** Runs a tool's reactor module as a command, as {@link runCommandModule} runs a command: DRIVER knows how. */
export function runReactorModule(driver: ReactorDriver, module: GuestModule, ctx: WasiContext, metering?: Metering): GuestOutcome {
  return runPreview1(module, ctx, metering, (instantiate) => driver.run((metering?.variant ?? module).module, ctx, instantiate));
}

/** What runs the guest once it can be instantiated; returns the exit code when the guest returns. */
type Start = (instantiate: (imports: WebAssembly.Imports) => WebAssembly.Instance) => number;

function runPreview1(module: GuestModule, ctx: WasiContext, metering: Metering | undefined, start: Start): GuestOutcome {
  const host = new Preview1Host(ctx);
  const guest = metering?.variant ?? module;
  const limits = guest.memory;
  const supplied: WebAssembly.Memory[] = [];
  let outcome: GuestOutcome | undefined;
  try {
    const code = start((imports) => {
      let memory: WebAssembly.Memory | undefined;
      if (limits !== undefined) supplied.push((memory = threadMemoryPool.take(limits)));
      const instance = new WebAssembly.Instance(guest.module, {
        ...imports,
        ...metering?.imports(),
        ...(memory !== undefined && { [memoryImportModule]: { [memoryImportName]: memory } }),
        wasi_snapshot_preview1: host.imports(),
        goodbot_process: host.processImports(),
      });
      metering?.attach(instance);
      host.memory.bind(instance.exports['memory'] as WebAssembly.Memory);
      return instance;
    });
    outcome = { kind: 'exit', code };
  } catch (error) {
    outcome = outcomeOf(error);
  } finally {
    metering?.settle(outcome?.kind === 'trap');
    host.closeAll();
    host.release();
    // Every host call has returned and the instance is unreachable: nothing can write to its memory now.
    if (limits !== undefined) for (const memory of supplied) threadMemoryPool.give(memory, limits);
  }
  return outcome;
}
