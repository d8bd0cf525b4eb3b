import type { SandboxConfig } from '../policy/schema.js';
import type { Denial } from '../policy/types.js';
import type { RunResult } from '../backends/run-result.js';
import type { SessionCarry } from '../backends/session-carry.js';

/** The page asks the worker for one run: a catalog tool under a policy (compiled in the worker). */
export interface RunRequest {
  readonly type: 'run';
  readonly id: number;
  readonly policy: SandboxConfig;
  readonly tool: string;
  readonly args: readonly string[];
  /** The guest's stdin; default empty. */
  readonly stdin?: string;
  /**
   * A flag over a SharedArrayBuffer that the page sets to 1 to cancel the run.
   * The worker's thread is busy running the guest and reads no messages until
   * it ends, so the guest polls this flag instead, at every fuel slice and write.
   */
  readonly cancel?: Int32Array;
  /** A session's state to start from (a shell's run): the `end` message's result carries the state after. */
  readonly session?: SessionCarry;
}

/** The page asks the worker to load TOOL ahead of a run (fetch, compile, metering), so the run starts at once. */
export interface PreloadRequest {
  readonly type: 'preload';
  readonly tool: string;
}

/** What the worker reports about run ID, in order; `end` or `error` comes last. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  /** The tool is loaded (fetched, compiled, metered) and the guest starts now. */
  | { readonly type: 'start'; readonly id: number; readonly loadMs: number }
  | { readonly type: 'stdout' | 'stderr'; readonly id: number; readonly data: Uint8Array }
  | { readonly type: 'denied'; readonly id: number; readonly denial: Denial }
  /** A read-write zone's files as the run left them. */
  | { readonly type: 'zone-files'; readonly id: number; readonly zone: string; readonly files: Record<string, Uint8Array> }
  | { readonly type: 'end'; readonly id: number; readonly result: RunResult }
  | { readonly type: 'error'; readonly id: number; readonly message: string; readonly hint?: string };

/** The part of a dedicated worker's global scope the run server uses. */
export interface WorkerScope {
  postMessage(message: WorkerMessage, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<RunRequest | PreloadRequest>) => void): void;
}
