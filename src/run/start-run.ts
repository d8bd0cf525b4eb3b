import type { AuditSink } from '../audit/events.js';
import type { Backend } from '../backends/backend.js';
import type { Policy } from '../policy/types.js';
import { EventChannel, type RunEvent } from './events.js';
import type { RunResult } from '../backends/run-result.js';
import type { Run } from './sandbox.js';
import type { ExecRequest } from '../backends/exec-request.js';
import { RunRecorder } from './recorder.js';

/** A run about to start: what to run, under which policy, on which backend. */
export interface RunLaunch {
  readonly policy: Policy;
  readonly request: ExecRequest;
  readonly backend: Backend;
  /** The policy's digest, for `run.start` (computed once per sandbox). */
  readonly policyDigest: () => Promise<string>;
  readonly audit?: AuditSink;
  readonly runId?: string;
  /** A cancellation check that can see past a busy thread (a pool worker's shared flag). */
  readonly isCancelled?: () => boolean;
}

/**
 * Starts a run: the one place a request becomes a run, for every backend.
 * The backend carries it out; a {@link RunRecorder} writes its events and
 * audit trail and assembles its result.
 */
export function startRun(launch: RunLaunch): Run {
  const { policy, request, backend } = launch;
  const runId = launch.runId ?? globalThis.crypto.randomUUID();
  const events = new EventChannel<RunEvent>();
  const cancellation = new AbortController();
  const cancel = () => cancellation.abort();
  if (request.signal?.aborted) cancel();
  else request.signal?.addEventListener('abort', cancel, { once: true });
  const isCancelled = () => cancellation.signal.aborted || (launch.isCancelled?.() ?? false);
  const recording = { runId, revealEnv: policy.audit.revealEnv, request, events, ...(launch.audit !== undefined && { audit: launch.audit }) };

  const perform = async (): Promise<RunResult> => {
    let recorder: RunRecorder | undefined;
    try {
      recorder = new RunRecorder({ ...recording, policyDigest: await launch.policyDigest() });
      const outcome = await backend.run({ runId, policy, request, reporter: recorder, signal: cancellation.signal, isCancelled });
      return recorder.finish(outcome);
    } catch (error) {
      throw (recorder ?? new RunRecorder({ ...recording, policyDigest: '' })).fail(error);
    }
  };
  // A caller's signal may outlive many runs (a session's): each run's listener goes when it ends.
  const result = perform().finally(() => request.signal?.removeEventListener('abort', cancel));
  result.catch(() => {});
  return { id: runId, events, result, cancel };
}
