import type { AuditEvent } from '../audit/events.js';
import type { Policy } from '../policy/types.js';
import type { RunEvent, RunResult } from '../run.js';

/** What a worker run may take as stdin: bytes, or a host fd the worker reads (blocking). */
export type WorkerStdin = string | Uint8Array | { readonly hostFd: number; readonly isTerminal?: boolean };

/** A run request as a worker takes it: like `ExecRequest`, with stdin as bytes or a host fd. */
export interface WorkerRequest {
  readonly program: string | Uint8Array;
  readonly args?: readonly string[];
  readonly argv0?: string;
  readonly stdin?: WorkerStdin;
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly terminal?: { readonly stdin?: boolean; readonly stdout?: boolean; readonly stderr?: boolean };
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

/** Worker -> main thread. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'event'; readonly runId: string; readonly event: Exclude<RunEvent, { type: 'end' | 'error' }> }
  | { readonly type: 'audit'; readonly event: AuditEvent }
  | { readonly type: 'end'; readonly runId: string; readonly result: RunResult }
  | { readonly type: 'error'; readonly runId: string; readonly error: SerializedError };

export interface SerializedError {
  readonly kind: string;
  readonly message: string;
  readonly hint?: string;
  readonly file?: string;
  readonly field?: string;
  readonly path?: string;
}
