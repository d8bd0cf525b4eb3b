import { statSync } from 'node:fs';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker script at PATH (`../workers/sandbox-worker`: relative
 * to the module FROM, its `import.meta.url`, through the parent folder, so
 * the same path holds from the bundled CLI, whose workers sit in the same
 * layout one folder over): the built .js, its bundled twin when there is
 * one (see {@link bundledTwin}); or, when FROM runs from its .ts source
 * (tests, benchmarks under tsx), a small bootstrap that registers tsx in
 * the worker first (Node 20 does not pass `--import` loaders on to a
 * worker's entry module).
 */
export function startWorker(from: string, path: string, options: WorkerOptions = {}): Worker {
  if (!from.endsWith('.ts')) {
    const built = new URL(`${path}.js`, from);
    return new Worker(bundledTwin(built) ?? built, options);
  }
  const entry = JSON.stringify(new URL(`${path}.ts`, from).href);
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${entry}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/** The package's root folder: this module is dist/node/host/start-worker.js (or its source in src/node/host). */
const packageRoot = new URL('../../../', import.meta.url);

/**
 * The bundled copy of the built worker script BUILT, if the build made one
 * after it: a worker that loads one bundle instead of some 300 modules
 * holds 6-7 MiB less (22.8 against 16 MiB a pool worker, measured), and a
 * pool holds one per thread. A bundle older than the script (`tsc` run
 * again without the bundling step) is not used: it could speak an older
 * protocol than the thread that starts it.
 */
export function bundledTwin(built: URL, root: URL = packageRoot): URL | undefined {
  // goodbot's built modules, and the bundle `npm run build` makes of them (wasm-tools/bundle-cli.mjs).
  const builtRoot = new URL('dist/node/', root).href;
  const bundleRoot = new URL('dist/bundle/', root).href;
  if (!built.href.startsWith(builtRoot)) return undefined;
  const twin = new URL(built.href.slice(builtRoot.length), bundleRoot);
  const bundledAt = statSync(twin, { throwIfNoEntry: false })?.mtimeMs;
  const builtAt = statSync(built, { throwIfNoEntry: false })?.mtimeMs;
  return bundledAt !== undefined && builtAt !== undefined && bundledAt >= builtAt ? twin : undefined;
}
