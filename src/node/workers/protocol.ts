import type { RunOutcome, RunStart } from '../../backends/backend.js';
import type { Allowance, Denial, Policy, ZoneSpec } from '../../policy/types.js';
import type { SessionCarry } from '../../backends/session-carry.js';

/** What a worker run may take as stdin: bytes, or a host fd the worker reads (blocking). */
export type WorkerStdin = string | Uint8Array | { readonly hostFd: number; readonly isTerminal?: boolean };

/** A run request as a worker takes it: like `ExecRequest`, with stdin as bytes or a host fd. */
export interface WorkerRequest {
  readonly program: string | Uint8Array;
  readonly args?: readonly string[];
  readonly argv0?: string;
  readonly stdin?: WorkerStdin;
  readonly hostEnv?: Readonly<Record<string, string | undefined>>;
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly terminal?: { readonly stdin?: boolean; readonly stdout?: boolean; readonly stderr?: boolean };
  readonly session?: SessionCarry;
}

/** Main thread -> worker: run this. */
export interface RunMessage {
  readonly type: 'run';
  readonly runId: string;
  readonly policy: Policy;
  readonly request: WorkerRequest;
  /** Int32 cell the main thread sets to 1 to cancel; read at every fuel slice and write. */
  readonly cancel: Int32Array;
}

/** One call a backend made on its run's reporter, carried to the recorder on the main thread. */
export type RunFact =
  | { readonly kind: 'started'; readonly start: RunStart }
  | { readonly kind: 'zone'; readonly spec: ZoneSpec }
  | { readonly kind: 'denied'; readonly denial: Denial }
  | { readonly kind: 'allowed'; readonly allowance: Allowance }
  | { readonly kind: 'output'; readonly stream: 'stdout' | 'stderr'; readonly chunk: Uint8Array };

/** Worker -> main thread. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'facts'; readonly runId: string; readonly facts: readonly RunFact[] }
  | { readonly type: 'end'; readonly runId: string; readonly outcome: RunOutcome; readonly facts: readonly RunFact[] }
  | { readonly type: 'error'; readonly runId: string; readonly error: SerializedError; readonly facts: readonly RunFact[] };

export interface SerializedError {
  readonly kind: string;
  readonly message: string;
  readonly hint?: string;
  readonly file?: string;
  readonly field?: string;
  readonly path?: string;
  readonly commandLineHint?: string;
}
