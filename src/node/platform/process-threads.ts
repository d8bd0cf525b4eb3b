import type { Worker } from 'node:worker_threads';
import type { ProcessEnd, ProcessStart } from '../../backends/wasm/process/process-protocol.js';
import type { ProcessThread } from '../../backends/wasm/process/process-threads.js';
import { startWorker } from '../host/start-worker.js';

/** Threads kept for the next pipeline once their program ended: starting one costs milliseconds. */
const idle: Worker[] = [];
const maxIdle = 4;

/**
 * A process thread on Node: a worker thread, taken from those left idle
 * by earlier programs when there is one. An idle worker does not keep the
 * process alive.
 */
export function startProcessThread(): ProcessThread {
  const worker = idle.pop() ?? startWorker(import.meta.url, 'process-worker');
  worker.ref();
  let usable = true;
  return {
    run: (start: ProcessStart) =>
      new Promise<ProcessEnd>((resolve, reject) => {
        const settle = () => {
          worker.off('message', onEnd);
          worker.off('error', onFailure);
          worker.off('exit', onExit);
        };
        const onEnd = (end: ProcessEnd) => {
          settle();
          resolve(end);
        };
        const onFailure = (error: Error) => {
          settle();
          usable = false;
          reject(error);
        };
        const onExit = (code: number) => onFailure(new Error(`the thread exited with code ${code}`));
        worker.on('message', onEnd);
        worker.on('error', onFailure);
        worker.on('exit', onExit);
        worker.postMessage(start);
      }),
    release: () => {
      if (usable && idle.length < maxIdle) {
        worker.unref();
        idle.push(worker);
      } else void worker.terminate();
      usable = false;
    },
    terminate: () => {
      usable = false;
      void worker.terminate();
    },
  };
}
