import type { WasiContext } from '../common/context.js';
import { cliInterfaces } from './cli.js';
import { clockInterfaces } from './clocks.js';
import { filesystemInterfaces } from './filesystem.js';
import { httpInterfaces } from './http.js';
import { ioErrorInterfaces } from './io-error.js';
import { pollInterfaces } from './poll.js';
import { randomInterfaces } from './random.js';
import type { Interfaces } from './resource.js';
import { socketInterfaces } from './sockets.js';
import { streamInterfaces } from './streams.js';

export type { Interfaces } from './resource.js';

/**
 * The preview2 face of the WASI host: every WASI 0.2 interface a component
 * may import, over one run's {@link WasiContext}, keyed as jco's generated
 * glue (`instantiation: 'sync'`) reads them (unversioned, e.g.
 * `wasi:filesystem/types`). Nothing is read from `ctx` until the guest calls.
 *
 * Errors reach the guest as values (error-code strings, `{tag, val}`
 * variants); a JS `Error` from here is a host bug and ends the run.
 */
export function createPreview2Imports(ctx: WasiContext): Interfaces {
  return {
    ...cliInterfaces(ctx),
    ...clockInterfaces(ctx),
    ...ioErrorInterfaces,
    ...pollInterfaces,
    ...streamInterfaces,
    ...randomInterfaces(ctx),
    ...filesystemInterfaces(ctx),
    ...socketInterfaces(ctx),
    ...httpInterfaces(ctx),
  };
}

let provided: ReadonlyMap<string, ReadonlySet<string>> | undefined;

/**
 * Interface name -> the functions and resources this host provides, to check
 * a component's imports before it runs. The imports are built over a context
 * that throws if touched, which also proves building them reads nothing.
 */
export function providedImports(): ReadonlyMap<string, ReadonlySet<string>> {
  if (provided) return provided;
  const untouched = new Proxy({} as WasiContext, {
    get(_target, key) {
      throw new Error(`createPreview2Imports read ctx.${String(key)} before the guest called`);
    },
  });
  const interfaces = createPreview2Imports(untouched);
  provided = new Map(Object.entries(interfaces).map(([name, members]) => [name, new Set(Object.keys(members))]));
  return provided;
}
