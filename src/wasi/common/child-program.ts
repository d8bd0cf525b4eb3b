/**
 * A command a guest starts as its child and waits for (xargs, find -exec,
 * env CMD, python's subprocess): goodbot's process interface, since WASI
 * has none. The child runs under the run's policy and limits.
 */
export interface ChildRequest {
  /** The command: argv[0] is a catalog tool, `sh` or `bash`, found as the shell finds it. */
  readonly argv: readonly string[];
  readonly env: readonly (readonly [string, string])[];
  /** The working folder (an absolute guest path). */
  readonly cwd: string;
  /** The guest's own stdin, nothing, or these bytes. */
  readonly stdin: 'inherit' | 'null' | Uint8Array;
  /** The guest's own stream, nothing, or kept for the guest to read when the child ends. */
  readonly stdout: 'inherit' | 'null' | 'capture';
  /** As stdout, or wherever stdout goes (`2>&1`). */
  readonly stderr: 'inherit' | 'null' | 'capture' | 'stdout';
}

/** How the child ended, and what it wrote to streams that were kept. */
export interface ChildResult {
  readonly status: number;
  readonly stdout?: Uint8Array;
  readonly stderr?: Uint8Array;
}

/** Starts a child and waits for it; throws an ErrnoError when it cannot start (ENOENT: no such command). */
export type ChildStarter = (request: ChildRequest) => ChildResult;
