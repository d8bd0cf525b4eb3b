import { createHash } from 'node:crypto';
import type { LoadedProgram } from '../../backends/wasm/loaded-program.js';
import { cachedComponent } from './component-cache.js';
import { componentProgram, type ComponentCoreModule, type ComponentGlue, type ComponentShape } from '../../backends/wasm/component-program.js';
import { MeteredVariants, type InstrumentedStore } from '../../backends/wasm/metered-module.js';
import type { ComponentLoader } from './program-loader.js';

/** Per process: the glue imported and the core modules compiled once per component. */
const prepared = new Map<string, Promise<Prepared>>();

interface Prepared {
  readonly glue: ComponentGlue;
  readonly modules: ReadonlyMap<string, ComponentCoreModule>;
  readonly shape: ComponentShape;
}

async function prepare(bytes: Uint8Array, hash: string, name: string, store: InstrumentedStore | undefined): Promise<Prepared> {
  const { entry, glue, coreModules } = await cachedComponent(bytes, hash, name);
  const modules = new Map<string, ComponentCoreModule>();
  for (const [file, core] of coreModules) {
    modules.set(file, {
      module: await WebAssembly.compile(core as BufferSource),
      metered: new MeteredVariants(() => core, `${name} (${file})`, store, true),
    });
  }
  return { glue: await importGlue(glue), modules, shape: entry };
}

/** Imports glue from its checked SOURCE text, not from its file: a file changed after the check is never what runs. */
export async function importGlue(source: string): Promise<ComponentGlue> {
  return (await import(`data:text/javascript;base64,${Buffer.from(source, 'utf8').toString('base64')}`)) as ComponentGlue;
}

/**
 * The Node component loader: component bytes -> a runnable program. The
 * transpiled glue is cached on disk by content hash (see `cachedComponent`),
 * imported and compiled once per process, and every run instantiates it
 * with the preview2 face over the run's context. Metered variants of the
 * core modules are made on first use (and kept in STORE).
 */
export const loadComponent: ComponentLoader = async (bytes, name, store): Promise<LoadedProgram> => {
  const hash = createHash('sha256').update(bytes).digest('hex');
  let ready = prepared.get(hash);
  if (ready === undefined) {
    ready = prepare(bytes, hash, name, store);
    prepared.set(hash, ready);
    ready.catch(() => prepared.delete(hash));
  }
  const { glue, modules, shape } = await ready;
  return componentProgram(name, glue, modules, shape);
};
