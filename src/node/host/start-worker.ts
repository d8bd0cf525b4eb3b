import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker script at PATH (`../workers/sandbox-worker`: relative
 * to the module FROM, its `import.meta.url`, through the parent folder, so
 * the same path holds from the bundled CLI, whose workers sit in the same
 * layout one folder over): the built .js; or, when FROM runs from its .ts
 * source (tests, benchmarks under tsx), a small bootstrap that registers tsx
 * in the worker first (Node 20 does not pass `--import` loaders on to a
 * worker's entry module).
 */
export function startWorker(from: string, path: string, options: WorkerOptions = {}): Worker {
  if (!from.endsWith('.ts')) return new Worker(new URL(`${path}.js`, from), options);
  const entry = JSON.stringify(new URL(`${path}.ts`, from).href);
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${entry}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
