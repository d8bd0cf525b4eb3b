import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker script NAME that sits next to the module FROM (its
 * `import.meta.url`): the built .js; or, when FROM runs from its .ts source
 * (tests, benchmarks under tsx), a small bootstrap that registers tsx in the
 * worker first (Node 20 does not pass `--import` loaders on to a worker's
 * entry module).
 */
export function startWorker(from: string, name: string, options: WorkerOptions = {}): Worker {
  if (!from.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, from), options);
  const entry = JSON.stringify(new URL(`./${name}.ts`, from).href);
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${entry}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
