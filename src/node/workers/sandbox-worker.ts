import { parentPort } from 'node:worker_threads';
import type { RunReporter } from '../../backends/backend.js';
import { RunBackends } from '../../run/run-backends.js';
import { HostStdin } from '../platform/host-stdio.js';
import { GoodbotError } from '../../errors.js';
import { createNodePlatform } from '../platform/node-platform.js';
import type { InputSource } from '../../wasi/common/stdio.js';
import type { RunFact, RunMessage, WorkerMessage, WorkerStdin } from './protocol.js';

/**
 * A pool worker: carries out one run at a time on the Node platform's
 * backends and posts what its backend reports, as it happens, to the pool,
 * whose recorder writes the run's events and audit trail. Programs stay
 * compiled in this worker between runs.
 */
const port = parentPort!;
const post = (message: WorkerMessage) => port.postMessage(message);
const platform = createNodePlatform();
const backends = new RunBackends(platform);
/** The main thread cancels through the shared cell of each run; nothing aborts this. */
const neverAborted = new AbortController().signal;

port.on('message', (message: RunMessage) => {
  void runOne(message);
});
post({ type: 'ready' });

async function runOne({ runId, policy, request: { stdin, ...request }, cancel }: RunMessage): Promise<void> {
  // The start and the mounts are held and posted together (one message, not one per zone): before
  // a guest runs (flush), with the next other fact, or at the next microtask, whichever comes first.
  let held: RunFact[] = [];
  const take = () => {
    const facts = held;
    held = [];
    return facts;
  };
  const flush = () => {
    if (held.length > 0) post({ type: 'facts', runId, facts: take() });
  };
  const hold = (fact: RunFact) => {
    if (held.length === 0) queueMicrotask(flush);
    held.push(fact);
  };
  const report = (fact: RunFact) => post({ type: 'facts', runId, facts: [...take(), fact] });
  const reporter: RunReporter = {
    started: (start) => hold({ kind: 'started', start }),
    zoneMounted: (spec) => hold({ kind: 'zone', spec }),
    denied: (denial) => report({ kind: 'denied', denial }),
    allowed: (allowance) => report({ kind: 'allowed', allowance }),
    // Posted as written, so output streams even while this thread is busy running the guest.
    output: (stream, chunk) => report({ kind: 'output', stream, chunk }),
    flush,
  };
  try {
    const outcome = await backends.for(policy, request).run({
      runId,
      policy,
      request: { ...request, ...(stdin !== undefined && { stdin: stdinOf(stdin) }) },
      reporter,
      signal: neverAborted,
      isCancelled: () => Atomics.load(cancel, 0) === 1,
    });
    post({ type: 'end', runId, outcome, facts: take() });
  } catch (error) {
    const failure = error instanceof GoodbotError ? error : new GoodbotError('runtime', String((error as Error)?.message ?? error));
    const serialized = { kind: failure.kind, message: failure.message, ...failure.toJSON() };
    post({
      type: 'error',
      runId,
      error: { ...serialized, ...(failure.commandLineHint !== undefined && { commandLineHint: failure.commandLineHint }) },
      facts: take(),
    });
  }
}

function stdinOf(stdin: WorkerStdin): string | Uint8Array | InputSource {
  if (typeof stdin === 'string' || stdin instanceof Uint8Array) return stdin;
  return new HostStdin(stdin.isTerminal ?? false, stdin.hostFd);
}
