import { Preview1Host } from '../../wasi/preview1/host.js';
import type { WasiContext } from '../../wasi/core/context.js';
import { outcomeOf, type GuestOutcome } from './outcome.js';

/**
 * Runs a WASI command module (`_start`) to completion on the calling thread,
 * with the preview1 face over `ctx`. A trap or exit ends it with an outcome;
 * the host is never left in a state that depends on the guest.
 */
export function runCommandModule(module: WebAssembly.Module, ctx: WasiContext): GuestOutcome {
  const host = new Preview1Host(ctx);
  try {
    const instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: host.imports() });
    host.memory.bind(instance.exports['memory'] as WebAssembly.Memory);
    (instance.exports['_start'] as () => void)();
    return { kind: 'exit', code: 0 };
  } catch (error) {
    return outcomeOf(error);
  } finally {
    host.closeAll();
  }
}
