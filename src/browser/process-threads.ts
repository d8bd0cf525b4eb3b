import { runProcess } from '../backends/wasm/process/process-main.js';
import type { ProcessEnd, ProcessStart } from '../backends/wasm/process/process-protocol.js';
import { reusedWorkers, type ProcessThread } from '../backends/wasm/process/process-threads.js';

/** What a process worker's global scope offers (a dedicated worker's `self`). */
export interface ProcessWorkerScope {
  postMessage(message: ProcessEnd): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ProcessStart>) => void): void;
}

/** Serves process threads in a worker: one program at a time, to its end (the script at the platform's `processWorker`). */
export function serveProcesses(scope: ProcessWorkerScope): void {
  scope.addEventListener('message', (event) => scope.postMessage(runProcess(event.data)));
}

/**
 * Process threads in the browser: dedicated workers running the script at
 * URL (which calls {@link serveProcesses}), one left idle by an earlier
 * program when there is one.
 */
export function browserProcessThreads(url: string | URL): () => ProcessThread {
  return reusedWorkers(() => {
    const worker = new Worker(url, { type: 'module' });
    return {
      run: (start) =>
        new Promise<ProcessEnd>((resolve, reject) => {
          worker.onmessage = (event: MessageEvent<ProcessEnd>) => resolve(event.data);
          worker.onerror = (event) => reject(new Error(event.message));
          worker.postMessage(start);
        }),
      park: () => {
        worker.onmessage = null;
        worker.onerror = null;
      },
      resume: () => {},
      terminate: () => worker.terminate(),
    };
  });
}
