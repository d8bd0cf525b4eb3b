import type { Worker } from 'node:worker_threads';
import type { ProcessEnd, ProcessStart } from '../../backends/wasm/process/process-protocol.js';
import { reusedWorkers, type ProcessWorker } from '../../backends/wasm/process/process-threads.js';
import { startWorker } from '../host/start-worker.js';

/** A worker thread running process-worker.ts; an idle one does not keep the process alive. */
function nodeProcessWorker(): ProcessWorker {
  const worker: Worker = startWorker(import.meta.url, '../platform/process-worker');
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
          reject(error);
        };
        const onExit = (code: number) => onFailure(new Error(`the thread exited with code ${code}`));
        worker.on('message', onEnd);
        worker.on('error', onFailure);
        worker.on('exit', onExit);
        worker.postMessage(start);
      }),
    park: () => worker.unref(),
    resume: () => worker.ref(),
    terminate: () => void worker.terminate(),
  };
}

/** A process thread on Node: a worker thread, one left idle by an earlier program when there is one. */
export const startProcessThread = reusedWorkers(nodeProcessWorker);
