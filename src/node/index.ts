/**
 * goodbot: run tools as WebAssembly in-process, with exactly the capabilities
 * a policy grants. This is the Node entry point (`goodbot`); the browser's
 * is src/browser/index.ts (`goodbot/browser`).
 *
 *   const sandbox = createSandbox({ zones: [{ name: 'input', mode: 'ro', hostPath: './data' }] });
 *   const run = sandbox.exec({ program: './tool.wasm', args: ['/input/file.txt'] });
 *   for await (const event of run.events) { … }
 *   const result = await run.result;
 */
import { randomUUID } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { writeAllSync } from './platform/host-stdio.js';
import { cwd } from 'node:process';
import { createNodePlatform, type NodePlatformOptions } from './platform/node-platform.js';
import { compileSandboxConfig, isCompiledPolicy } from '../policy/compile.js';
import type { SandboxConfig } from '../policy/schema.js';
import type { Policy } from '../policy/types.js';
import { Sandbox } from '../run/sandbox.js';
import { Session, type SessionRunner } from '../session/session.js';
import type { SessionIndex } from '../session/session-index.js';
import { stateRoot } from './host/host-dirs.js';
import { JsonlSessionIndex } from './sessions/jsonl-session-index.js';
import { WorkerPool } from './workers/worker-pool.js';

export { GoodbotError, ExitStatus, type ErrorKind } from '../errors.js';
export { Sandbox, type Run } from '../run/sandbox.js';
export type { ExecRequest } from '../backends/exec-request.js';
export type { RunEvent } from '../run/events.js';
export type { RunStatus, RunResult } from '../backends/run-result.js';
export type { Policy, ZoneSpec, Denial, DenialReason } from '../policy/types.js';
export type { SandboxConfig, ZoneConfig, PolicyFile } from '../policy/schema.js';
export type { AuditEvent, AuditSink } from '../audit/events.js';
export type { TrapInfo, TrapKind } from '../backends/wasm/trap.js';
export type { InputSource, OutputSink } from '../wasi/common/stdio.js';
export type { BlockingWait } from '../limits/blocking-wait.js';
export { JsonlAuditFile } from './audit/jsonl-file.js';
export { loadPolicy } from './policy/load-file.js';
export { compileSandboxConfig, compilePolicyFile } from '../policy/compile.js';
export { WorkerPool, type WorkerPoolOptions, type PoolRequest } from './workers/worker-pool.js';
export { Session, type CommandOptions, type CommandResult, type FileEntry } from '../session/session.js';
export type { SessionState } from '../session/session-state.js';
export type { SessionIndex, SessionRecord, CommandRecord } from '../session/session-index.js';
export { JsonlSessionIndex, type SessionSummary, type SessionLine } from './sessions/jsonl-session-index.js';

let sharedPool: WorkerPool | undefined;
/** One index per state folder, so the files it keeps open are bounded for the whole process. */
const sharedIndexes = new Map<string, JsonlSessionIndex>();

export interface SessionOptions {
  /** The pool whose workers run the commands; default one shared by the process's sessions (a worker per core). */
  readonly pool?: WorkerPool;
  /** Where the session is recorded; default the state folder's index (`goodbot sessions`); `false`: nowhere. */
  readonly index?: SessionIndex | false;
  /** Default a random UUID. */
  readonly id?: string;
}

/**
 * A shell session under a policy (see {@link Session}): its commands run on
 * a worker pool, so this thread stays free and `cancel` is immediate.
 */
export function createSession(policy: Policy | SandboxConfig, options: SessionOptions = {}): Session {
  const { compiled, runner, index } = sessionParts(policy, options);
  return new Session(options.id ?? randomUUID(), compiled, runner, index);
}

/** A session that starts from a snapshot file's BYTES (`session.snapshot()`), taken under the same policy. */
export function restoreSession(bytes: Uint8Array, policy: Policy | SandboxConfig, options: SessionOptions = {}): Promise<Session> {
  const { compiled, runner, index } = sessionParts(policy, options);
  return Session.restore(bytes, compiled, runner, { ...(options.id !== undefined && { id: options.id }), ...(index !== undefined && { index }) });
}

/** Writes SESSION's snapshot to FILE (mode 0600): its pieces as they are, no copy of the scratch in memory. */
export async function saveSession(session: Session, file: string): Promise<void> {
  const parts = await session.snapshotParts();
  const fd = openSync(file, 'w', 0o600);
  try {
    for (const part of parts) writeAllSync(fd, part);
  } finally {
    closeSync(fd);
  }
}

/** A session that starts from snapshot FILE (see {@link saveSession}), read once into shared memory. */
export async function loadSession(file: string, policy: Policy | SandboxConfig, options: SessionOptions = {}): Promise<Session> {
  const fd = openSync(file, 'r');
  try {
    const bytes = new Uint8Array(new SharedArrayBuffer(fstatSync(fd).size));
    for (let at = 0; at < bytes.length;) {
      const read = readSync(fd, bytes, at, bytes.length - at, at);
      if (read === 0) break;
      at += read;
    }
    return await restoreSession(bytes, policy, options);
  } finally {
    closeSync(fd);
  }
}

function defaultIndex(): JsonlSessionIndex {
  const folder = stateRoot();
  let index = sharedIndexes.get(folder);
  if (index === undefined) sharedIndexes.set(folder, (index = new JsonlSessionIndex(folder)));
  return index;
}

function sessionParts(policy: Policy | SandboxConfig, options: SessionOptions): { compiled: Policy; runner: SessionRunner; index?: SessionIndex } {
  const compiled = isCompiledPolicy(policy) ? policy : compileSandboxConfig(policy, { file: '<api>', baseDir: cwd() });
  const pool = options.pool ?? (sharedPool ??= new WorkerPool());
  const index = options.index === false ? undefined : (options.index ?? defaultIndex());
  return { compiled, runner: (sessionPolicy, request) => pool.exec(sessionPolicy, request), ...(index !== undefined && { index }) };
}

/**
 * A sandbox for a policy: either a compiled {@link Policy} (from
 * {@link loadPolicy}) or a `sandbox` config object, whose relative host paths
 * are taken from the current directory.
 */
export function createSandbox(policy: Policy | SandboxConfig, options: NodePlatformOptions = {}): Sandbox {
  const compiled = isCompiledPolicy(policy) ? policy : compileSandboxConfig(policy, { file: '<api>', baseDir: cwd() });
  return new Sandbox(compiled, createNodePlatform(options));
}
