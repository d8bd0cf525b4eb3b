import { parentPort } from 'node:worker_threads';
import { runProcess } from '../../backends/wasm/process/process-main.js';
import type { ProcessStart } from '../../backends/wasm/process/process-protocol.js';

// One program at a time: the run's thread sends the next only after this one's end.
parentPort!.on('message', (start: ProcessStart) => parentPort!.postMessage(runProcess(start)));
