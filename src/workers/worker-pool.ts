import { closeSync, openSync, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { cwd } from 'node:process';
import type { Worker } from 'node:worker_threads';
import type { AuditEvent, AuditSink } from '../audit/events.js';
import { chooseBackend } from '../backends/container-sandbox.js';
import { containerStopGraceMs } from '../backends/container.js';
import { detectProgramKind } from '../backends/wasm/program-kind.js';
import { ExitStatus, GoodbotError, type ErrorKind } from '../errors.js';
import { timeoutMessage, type LimitKind } from '../limits/run-limiter.js';
import { compileSandboxConfig, isCompiledPolicy } from '../policy/compile.js';
import type { SandboxConfig } from '../policy/schema.js';
import type { Denial, Policy } from '../policy/types.js';
import { decodeChunks, EventChannel, type RunEvent, type RunResult } from '../run.js';
import { findTool, isToolName } from '../tools/catalog.js';
import type { Run } from '../sandbox.js';
import type { RunMessage, WorkerMessage, WorkerRequest } from './protocol.js';
import { startWorker } from './start-worker.js';

export interface WorkerPoolOptions {
  /** Workers, each running one guest at a time; default one per core. */
  readonly size?: number;
  readonly audit?: AuditSink;
  /**
   * How long past a run's deadline, or after `cancel()`, the pool waits for
   * the guest to stop itself before it terminates the worker. Default 500 ms.
   */
  readonly graceMs?: number;
}

/** A run request for the pool: a worker's request, plus callbacks for output as it arrives. */
export interface PoolRequest extends WorkerRequest {
  readonly onStdout?: (chunk: Uint8Array) => void;
  readonly onStderr?: (chunk: Uint8Array) => void;
}

interface Job {
  readonly runId: string;
  readonly policy: Policy;
  readonly request: PoolRequest;
  readonly events: EventChannel<RunEvent>;
  readonly cancel: Int32Array;
  readonly started: number;
  readonly output: { stdout: Uint8Array[]; stderr: Uint8Array[] };
  readonly denials: Denial[];
  resolve(result: RunResult): void;
  reject(error: GoodbotError): void;
  /** Set once the job ended, by the worker or by the pool. */
  done: boolean;
  backstop?: ReturnType<typeof setTimeout>;
  /** The run's audit trail: whether its `run.start` and its last record (`run.exit`/`run.error`) were written. */
  readonly audit: { started: boolean; ended: boolean; programKind?: RunResult['program']['kind'] };
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  /** Set once the worker said it is ready; a worker that dies before is not replaced. */
  started: boolean;
  job: Job | undefined;
}

/**
 * Runs guests on worker threads, in parallel, one per worker: a spinning or
 * blocked guest never holds up the caller or other runs. Each run's limits
 * are enforced inside its worker (fuel slices, deadline, output); the pool
 * adds the hard backstop: a run still going a grace period past its deadline,
 * or after `cancel()`, has its worker terminated, and the worker is replaced.
 *
 * The audit log gets every record a worker writes for a run, and the pool
 * keeps each run's trail whole: a run whose `run.start` was written ends
 * with exactly one `run.exit` or `run.error` (the pool writes it when it
 * stops the run itself, or the worker died), and a run stopped before its
 * `run.start` (cancelled while queued) gets no record at all. A record a
 * stopped worker sends after the pool ended its run is dropped.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  /** Runs whose trail may still get records from a worker, by run id. */
  private readonly trails = new Map<string, Job>();
  private readonly graceMs: number;
  private closed = false;

  constructor(private readonly options: WorkerPoolOptions = {}) {
    this.graceMs = options.graceMs ?? 500;
    const size = Math.max(1, options.size ?? availableParallelism());
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  /** Resolves when every worker has started (they are started at construction). */
  async ready(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.ready));
  }

  /** Queues a run under POLICY (compiled, or a `sandbox` config whose relative paths are taken from the current directory). */
  exec(policy: Policy | SandboxConfig, request: PoolRequest): Run {
    const compiled = isCompiledPolicy(policy) ? policy : compileSandboxConfig(policy, { file: '<api>', baseDir: cwd() });
    return this.enqueue(compiled, request);
  }

  private enqueue(policy: Policy, request: PoolRequest): Run {
    if (this.closed) throw new GoodbotError('usage', 'the worker pool is closed', { hint: 'create a new pool' });
    const runId = globalThis.crypto.randomUUID();
    const events = new EventChannel<RunEvent>();
    let resolve!: (result: RunResult) => void;
    let reject!: (error: GoodbotError) => void;
    const result = new Promise<RunResult>((ok, fail) => {
      resolve = ok;
      reject = fail;
    });
    result.catch(() => {});
    const job: Job = {
      runId,
      policy,
      request,
      events,
      cancel: new Int32Array(new SharedArrayBuffer(4)),
      started: performance.now(),
      output: { stdout: [], stderr: [] },
      denials: [],
      resolve,
      reject,
      done: false,
      audit: { started: false, ended: false },
    };
    this.trails.set(runId, job);
    events.push({ type: 'start', runId, program: programName(request.program) });
    this.queue.push(job);
    this.dispatch();
    return { id: runId, events, result, cancel: () => this.cancel(job) };
  }

  /** Stops the workers; queued runs are rejected, and so are runs still going. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) this.fail(job, 'runtime', 'the worker pool was closed before the run started');
    for (const slot of this.slots) {
      const job = slot.job;
      if (job !== undefined && !job.done) {
        this.finish(slot, job);
        this.fail(job, 'runtime', 'the worker pool was closed while the run was going');
      }
    }
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  /** Starts a worker, into SLOT when it replaces one (a slot's identity is what jobs refer to). */
  private spawn(into?: Slot): Slot {
    const worker = startWorker(import.meta.url, 'sandbox-worker');
    worker.unref();
    const slot: Slot = into ?? { worker, ready: Promise.resolve(), started: false, job: undefined };
    slot.worker = worker;
    slot.started = false;
    slot.ready = new Promise((ready, fail) => {
      worker.on('message', (message: WorkerMessage) => {
        if (message.type !== 'ready') return this.onMessage(slot, message);
        slot.started = true;
        ready();
      });
      worker.once('exit', () => {
        if (!slot.started) fail(new GoodbotError('runtime', 'a sandbox worker could not start', { hint: 'build goodbot first (npm run setup, or npm run build)' }));
      });
    });
    slot.ready.catch(() => {});
    worker.on('error', (error: Error) => this.onWorkerGone(slot, `the worker failed: ${error.message}`));
    worker.on('exit', (code) => this.onWorkerGone(slot, `the worker exited (${code})`));
    return slot;
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.job !== undefined) continue;
      const job = this.queue.shift();
      if (job === undefined) return;
      if (job.done) continue;
      slot.job = job;
      slot.worker.ref(); // a running job keeps the process alive until it ends
      const { onStdout: _out, onStderr: _err, ...request } = job.request;
      const message: RunMessage = { type: 'run', runId: job.runId, policy: job.policy, request, cancel: job.cancel };
      slot.worker.postMessage(message);
      const timeout = job.policy.limits.timeoutMs;
      if (timeout !== undefined) {
        // A container gets SIGTERM at its deadline and SIGKILL after a grace period; the worker waits for that.
        const grace = this.graceMs + (chooseBackend(job.policy.backend, job.request.program) === 'docker' ? containerStopGraceMs + 1000 : 0);
        job.backstop = setTimeout(() => this.stop(slot, job, 'timeout', timeoutMessage(timeout)), timeout + grace);
      }
    }
  }

  private onMessage(slot: Slot, message: WorkerMessage): void {
    if (message.type === 'audit') {
      this.relayAudit(message.event);
      return;
    }
    const job = slot.job;
    if (message.type === 'ready' || job === undefined || message.runId !== job.runId || job.done) return;
    if (message.type === 'event') {
      const event = message.event;
      if (event.type === 'stdout' || event.type === 'stderr') {
        job.output[event.type].push(event.data);
        (event.type === 'stdout' ? job.request.onStdout : job.request.onStderr)?.(event.data);
      }
      if (event.type === 'denied') job.denials.push(event.denial);
      job.events.push(event);
      return;
    }
    this.finish(slot, job);
    if (message.type === 'end') {
      const result = { ...message.result, stdout: decodeChunks(job.output.stdout), stderr: decodeChunks(job.output.stderr) };
      this.endTrail(job, result);
      job.events.push({ type: 'end', result });
      job.events.close();
      job.resolve(result);
    } else {
      this.fail(job, message.error.kind as ErrorKind, message.error.message, message.error);
    }
    this.dispatch();
  }

  /** A worker's audit record, passed on unless the pool has ended that run's trail. */
  private relayAudit(event: AuditEvent): void {
    const job = this.trails.get(event.runId);
    if (job === undefined) return;
    if (event.event === 'run.start') {
      job.audit.started = true;
      job.audit.programKind = event.programKind as RunResult['program']['kind'];
    }
    if (event.event === 'run.exit' || event.event === 'run.error') this.closeTrail(job);
    this.options.audit?.record(event);
  }

  /** Writes the run's `run.exit` (after a `limit.exceeded` for a limit) if its trail began and has no end yet. */
  private endTrail(job: Job, result: RunResult): void {
    if (job.audit.started && !job.audit.ended) {
      const time = new Date().toISOString();
      if (result.limit) this.options.audit?.record({ event: 'limit.exceeded', time, runId: job.runId, limit: result.limit.kind, message: result.limit.message });
      this.options.audit?.record({
        event: 'run.exit',
        time,
        runId: job.runId,
        status: result.status,
        exitCode: result.exitCode,
        durationMs: result.durationMs,
        denials: result.denials.length,
        ...(result.trap && { trap: result.trap }),
      });
    }
    this.closeTrail(job);
  }

  private closeTrail(job: Job): void {
    job.audit.ended = true;
    this.trails.delete(job.runId);
  }

  private cancel(job: Job): void {
    if (job.done) return;
    const slot = this.slots.find((candidate) => candidate.job === job);
    if (slot === undefined) {
      // Still queued: it never starts.
      job.done = true;
      this.settleStopped(job, 'cancelled', 'the run was cancelled before it started');
      return;
    }
    Atomics.store(job.cancel, 0, 1);
    setTimeout(() => this.stop(slot, job, 'cancelled', 'the run was cancelled'), this.graceMs).unref();
  }

  /** The backstop: the guest did not stop itself in time; terminate its worker. */
  private stop(slot: Slot, job: Job, limit: LimitKind, message: string): void {
    if (job.done || slot.job !== job) return;
    this.finish(slot, job);
    const worker = slot.worker;
    worker.removeAllListeners('exit');
    worker.removeAllListeners('error');
    void worker.terminate();
    this.spawn(slot);
    this.settleStopped(job, limit, `${message} (its worker was terminated)`);
    this.dispatch();
  }

  private settleStopped(job: Job, limit: LimitKind, message: string): void {
    const docker = chooseBackend(job.policy.backend, job.request.program) === 'docker';
    const result: RunResult = {
      runId: job.runId,
      status: limit,
      exitCode: ExitStatus.limit,
      durationMs: performance.now() - job.started,
      stdout: decodeChunks(job.output.stdout),
      stderr: decodeChunks(job.output.stderr),
      denials: job.denials,
      limit: { kind: limit, message },
      backend: docker ? 'docker' : 'wasm',
      program: { name: programName(job.request.program), kind: docker ? 'container' : (job.audit.programKind ?? wasmProgramKind(job.request.program)) },
    };
    this.endTrail(job, result);
    job.events.push({ type: 'end', result });
    job.events.close();
    job.resolve(result);
  }

  private finish(slot: Slot, job: Job): void {
    job.done = true;
    if (job.backstop) clearTimeout(job.backstop);
    slot.job = undefined;
    slot.worker.unref();
  }

  private onWorkerGone(slot: Slot, why: string): void {
    if (this.closed) return;
    const job = slot.job;
    if (job !== undefined && !job.done) {
      this.finish(slot, job);
      this.fail(job, 'runtime', `${why} while running ${programName(job.request.program)}`);
    }
    if (!slot.started) {
      // It never came up: replacing it would fail the same way, in a loop.
      this.closed = true;
      for (const queued of this.queue.splice(0)) this.fail(queued, 'runtime', `a sandbox worker could not start: ${why}`);
      return;
    }
    this.spawn(slot);
    this.dispatch();
  }

  private fail(job: Job, kind: ErrorKind, message: string, details: { hint?: string; field?: string; file?: string; path?: string } = {}): void {
    job.done = true;
    if (job.audit.started && !job.audit.ended) {
      this.options.audit?.record({ event: 'run.error', time: new Date().toISOString(), runId: job.runId, kind, message });
    }
    this.closeTrail(job);
    const error = new GoodbotError(kind, message, {
      ...(details.hint !== undefined && { hint: details.hint }),
      ...(details.field !== undefined && { field: details.field }),
      ...(details.file !== undefined && { file: details.file }),
      ...(details.path !== undefined && { path: details.path }),
    });
    job.events.push({ type: 'error', error });
    job.events.close();
    job.reject(error);
  }
}

function programName(program: string | Uint8Array): string {
  return typeof program === 'string' ? program : 'program.wasm';
}

/**
 * The kind of a program the pool stopped before its worker loaded it (so no
 * `run.start` said): a catalog tool's from the catalog, bytes' and a file's
 * from the header; `module` when the file cannot be read (it never ran).
 */
function wasmProgramKind(program: string | Uint8Array): 'module' | 'component' {
  try {
    if (typeof program !== 'string') return detectProgramKind(program, 'program.wasm');
    const tool = isToolName(program) ? findTool(program) : undefined;
    if (tool !== undefined) return tool.kind === 'preview2' ? 'component' : 'module';
    const fd = openSync(program, 'r');
    try {
      const header = new Uint8Array(8);
      readSync(fd, header, 0, 8, 0);
      return detectProgramKind(header, program);
    } finally {
      closeSync(fd);
    }
  } catch {
    return 'module';
  }
}
