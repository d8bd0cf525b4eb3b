import { serveProcesses, type ProcessWorkerScope } from '../src/browser/index.js';

/** The demo's process worker: runs one command of a pipeline at a time for the run worker. */
serveProcesses(self as unknown as ProcessWorkerScope);
