import { parentPort } from 'node:worker_threads';
import { HostStdin } from '../cli/host-stdio.js';
import { GoodbotError } from '../errors.js';
import { createNodePlatform } from '../node-platform.js';
import { Sandbox } from '../sandbox.js';
import type { InputSource } from '../wasi/core/stdio.js';
import type { RunMessage, WorkerMessage, WorkerStdin } from './protocol.js';

/**
 * A pool worker: runs one guest at a time with the Node platform and posts
 * its events back. Programs stay compiled in this worker between runs.
 */
const port = parentPort!;
const post = (message: WorkerMessage) => port.postMessage(message);
const platform = createNodePlatform({ audit: { record: (event) => post({ type: 'audit', event }) } });

port.on('message', (message: RunMessage) => {
  void runOne(message);
});
post({ type: 'ready' });

async function runOne({ runId, policy, request: { stdin, ...request }, cancel }: RunMessage): Promise<void> {
  const sandbox = new Sandbox(policy, platform);
  try {
    // Output is posted as it is written (the main thread collects it), so it
    // streams even while this thread is busy running the guest.
    const run = sandbox.exec(
      {
        ...request,
        ...(stdin !== undefined && { stdin: stdinOf(stdin) }),
        collectOutput: false,
        outputEvents: false,
        onStdout: (data) => post({ type: 'event', runId, event: { type: 'stdout', data } }),
        onStderr: (data) => post({ type: 'event', runId, event: { type: 'stderr', data } }),
      },
      { runId, isCancelled: () => Atomics.load(cancel, 0) === 1 },
    );
    for await (const event of run.events) {
      if (event.type === 'end' || event.type === 'error' || event.type === 'start') continue;
      post({ type: 'event', runId, event });
    }
    post({ type: 'end', runId, result: await run.result });
  } catch (error) {
    const failure = error instanceof GoodbotError ? error : new GoodbotError('runtime', String((error as Error)?.message ?? error));
    post({ type: 'error', runId, error: { kind: failure.kind, message: failure.message, ...failure.toJSON() } });
  }
}

function stdinOf(stdin: WorkerStdin): string | Uint8Array | InputSource {
  if (typeof stdin === 'string' || stdin instanceof Uint8Array) return stdin;
  return new HostStdin(stdin.isTerminal ?? false, stdin.hostFd);
}
