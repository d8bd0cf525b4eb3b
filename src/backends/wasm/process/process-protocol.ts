import type { LimitKind } from '../../../limits/run-limiter.js';
import type { Denial, Limits, ZoneSpec } from '../../../policy/types.js';
import type { RemoteMount, VolumeRequest } from '../../../zones/remote/volume-server.js';
import type { ChildRequest } from '../../../wasi/common/child-program.js';
import type { PortableProgram } from '../loaded-program.js';
import type { TrapInfo } from '../trap.js';

/**
 * A program to run on a process thread, beside the run's thread: what it
 * runs, with which arguments, the run's zones (served from the run's thread,
 * but for `/dev`, whose devices are this program's own streams), its
 * standard streams as pipes in shared memory, and the run's limits: the
 * same deadline, the same fuel pool, the same cancellation.
 */
export interface ProcessStart {
  readonly program: PortableProgram;
  readonly args: readonly string[];
  readonly env: readonly (readonly [string, string])[];
  readonly cwd: string;
  /** The preopens in order: a zone served by the run's thread, or the devices over this program's streams. */
  readonly mounts: readonly (RemoteMount | { readonly devices: ZoneSpec })[];
  /** The memory of the pipes the program reads and writes. */
  readonly stdin: SharedArrayBuffer;
  readonly stdout: SharedArrayBuffer;
  readonly stderr: SharedArrayBuffer;
  /** The channel its file calls and audit records go through. */
  readonly channel: SharedArrayBuffer;
  readonly limits: Limits;
  /** When the run started, in milliseconds since the epoch (threads count `performance.now()` from their own start). */
  readonly startedAtEpochMs: number;
  /** When this program must end (`timeout`), in milliseconds since the epoch: then it ends with status 124, and the run goes on. */
  readonly deadlineEpochMs?: number;
  /** One 32-bit cell: non-zero once the run must stop. */
  readonly stop: SharedArrayBuffer;
  /** The run's fuel pool. */
  readonly fuel: SharedArrayBuffer;
}

/** How the program ended, as the process thread reports it. */
export type ProcessEnd =
  | { readonly kind: 'exit'; readonly code: number }
  | { readonly kind: 'trap'; readonly trap: TrapInfo }
  | { readonly kind: 'limit'; readonly limit: LimitKind; readonly message: string }
  | { readonly kind: 'error'; readonly message: string };

/** The calls on the channel besides the volumes' own. */
export type ThreadRequest = RecordRequest | ChildStartRequest | ChildOutputRequest | { readonly op: VolumeRequest['op'] };

/** An access refused on the process thread, for the run's audit. */
export interface RecordRequest {
  readonly op: 'record';
  readonly denial: Denial;
}

/** Start a child (its stdin bytes, if any, are the message's bytes); the answer is its status and the sizes of its kept output. */
export interface ChildStartRequest extends Omit<ChildRequest, 'stdin'> {
  readonly op: 'start';
  readonly stdin: 'inherit' | 'null' | 'bytes';
}

/** A part of the last child's kept output. */
export interface ChildOutputRequest {
  readonly op: 'output';
  readonly stream: 'stdout' | 'stderr';
  readonly from: number;
  readonly length: number;
}
