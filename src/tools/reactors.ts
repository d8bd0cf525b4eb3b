import type { ReactorDriver } from './reactor-driver.js';
import { rubyReactor } from './ruby/reactor.js';

/** The catalog's tools whose module is a reactor, each with its driver. */
export const reactorDrivers: readonly ReactorDriver[] = [rubyReactor];

/** The driver that runs MODULE, if it is a known reactor. */
export function reactorDriverFor(module: WebAssembly.Module): ReactorDriver | undefined {
  return reactorDrivers.find((driver) => driver.matches(module));
}
