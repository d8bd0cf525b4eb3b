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
import { cwd } from 'node:process';
import { createNodePlatform, type NodePlatformOptions } from './platform/node-platform.js';
import { compileSandboxConfig, isCompiledPolicy } from '../policy/compile.js';
import type { SandboxConfig } from '../policy/schema.js';
import type { Policy } from '../policy/types.js';
import { Sandbox } from '../run/sandbox.js';

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

/**
 * A sandbox for a policy: either a compiled {@link Policy} (from
 * {@link loadPolicy}) or a `sandbox` config object, whose relative host paths
 * are taken from the current directory.
 */
export function createSandbox(policy: Policy | SandboxConfig, options: NodePlatformOptions = {}): Sandbox {
  const compiled = isCompiledPolicy(policy) ? policy : compileSandboxConfig(policy, { file: '<api>', baseDir: cwd() });
  return new Sandbox(compiled, createNodePlatform(options));
}
