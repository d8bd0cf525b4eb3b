import { Preview1Host } from '../../wasi/preview1/host.js';
import type { WasiContext } from '../../wasi/common/context.js';
import type { Metering } from './metered-module.js';
import { outcomeOf, type GuestOutcome } from './outcome.js';

/**
 * Runs a WASI command module (`_start`) to completion on the calling thread,
 * with the preview1 face over `ctx`. A trap or exit ends it with an outcome;
 * the host is never left in a state that depends on the guest. With METERING
 * the instrumented variant runs, against the run's limits.
 */
export function runCommandModule(module: WebAssembly.Module, ctx: WasiContext, metering?: Metering): GuestOutcome {
  const host = new Preview1Host(ctx);
  let outcome: GuestOutcome | undefined;
  try {
    const instance = new WebAssembly.Instance(metering?.variant.module ?? module, {
      ...metering?.imports(),
      wasi_snapshot_preview1: host.imports(),
    });
    metering?.attach(instance);
    host.memory.bind(instance.exports['memory'] as WebAssembly.Memory);
    (instance.exports['_start'] as () => void)();
    outcome = { kind: 'exit', code: 0 };
  } catch (error) {
    outcome = outcomeOf(error);
  } finally {
    metering?.settle(outcome?.kind === 'trap');
    host.closeAll();
  }
  return outcome;
}
