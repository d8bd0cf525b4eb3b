import { Authority } from '../policy/authority.js';
import type { Allowance, Denial, Policy, ZoneSpec } from '../policy/types.js';
import type { RunResult } from './run-result.js';
import type { ExecRequest } from './exec-request.js';
import type { BlockingWait } from '../limits/blocking-wait.js';

/** What a run's `run.start` record says: known once the backend has found and loaded the program. */
export interface RunStart {
  readonly program: string;
  /** `module`, `component`, `container`. */
  readonly programKind: RunResult['program']['kind'];
  readonly args: readonly string[];
  readonly backend: RunResult['backend'];
  /** The guest's whole environment (the recorder redacts it for the audit log); absent when the run ended before it was built. */
  readonly env?: readonly (readonly [string, string])[];
}

/**
 * Where a backend reports what happens in a run, as it happens. The run
 * recorder is the one implementation that writes events and audit records;
 * a pool worker forwards the same calls to the recorder on the calling
 * thread. Calls after the run ended are ignored.
 */
export interface RunReporter {
  /** The program was found and loaded and is about to start; comes before any other call but `denied`. */
  started(start: RunStart): void;
  zoneMounted(spec: ZoneSpec): void;
  denied(denial: Denial): void;
  allowed(allowance: Allowance): void;
  /** Output the guest wrote (already counted against its cap); WAIT bounds a callback that blocks. */
  output(stream: 'stdout' | 'stderr', chunk: Uint8Array, wait: BlockingWait): void;
  /**
   * A guest is about to run and may keep the thread for a while: what was
   * reported so far must reach the recorder now. (A reporter that carries
   * facts elsewhere may hold the start and mounts until then, to send them
   * together.)
   */
  flush?(): void;
}

/** How a run ended, as its backend saw it; the recorder adds the run's id, output and denials. */
export type RunOutcome = Omit<RunResult, 'runId' | 'stdout' | 'stderr' | 'denials' | 'denialsOmitted'> & {
  /** Every refusal of the run, recorded or only counted (see Authority). */
  readonly denialCount: number;
};

/** One run as a backend receives it. */
export interface BackendJob {
  readonly runId: string;
  readonly policy: Policy;
  readonly request: ExecRequest;
  readonly reporter: RunReporter;
  /** Aborted when the caller cancels the run (for backends that must act at once, e.g. stop a worker). */
  readonly signal: AbortSignal;
  /** Has the caller cancelled the run? Cheap: asked at every fuel slice, write and wait. */
  isCancelled(): boolean;
}

/**
 * A way to carry out a run: WebAssembly on this thread or on a worker, a
 * container, (later) Linux namespaces or a remote executor. It finds the
 * program, reports what happens through the job's reporter, and resolves
 * with the outcome; it rejects with a GoodbotError when the program cannot
 * run at all. Limits, statuses and exit codes mean the same on every backend.
 * The run recorder, not the backend, writes events and audit records.
 */
export interface Backend {
  readonly name: RunResult['backend'];
  run(job: BackendJob): Promise<RunOutcome>;
}

/** The run's {@link Authority}: it decides every capability check and reports each decision to REPORTER. */
export function reportingAuthority(reporter: RunReporter): Authority {
  return new Authority(
    (denial) => reporter.denied(denial),
    (allowance) => reporter.allowed(allowance),
  );
}

/** The wait handed to an output callback when nothing bounds it (the guest already wrote the chunk elsewhere, e.g. in a worker). */
export const unboundedWait: BlockingWait = { deadline: undefined, checkpoint: () => {} };
