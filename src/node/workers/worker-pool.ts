import { closeSync, openSync, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { cwd } from 'node:process';
import type { Worker } from 'node:worker_threads';
import type { AuditSink } from '../../audit/events.js';
import { unboundedWait, type Backend, type BackendJob, type RunOutcome, type RunStart } from '../../backends/backend.js';
import { backendNameFor } from '../../run/run-backends.js';
import { nativeBackend } from '../namespace/availability.js';
import { containerStopGraceMs } from '../../backends/container.js';
import { detectProgramKind } from '../../backends/wasm/program-kind.js';
import { ExitStatus, GoodbotError, type ErrorKind } from '../../errors.js';
import { timeoutMessage, type LimitKind } from '../../limits/run-limiter.js';
import { compileSandboxConfig, isCompiledPolicy } from '../../policy/compile.js';
import { policyDigest } from '../../policy/digest.js';
import type { SandboxConfig } from '../../policy/schema.js';
import type { Policy } from '../../policy/types.js';
import { startRun } from '../../run/start-run.js';
import type { Run } from '../../run/sandbox.js';
import { findTool, isToolName } from '../../tools/catalog.js';
import type { RunFact, RunMessage, SerializedError, WorkerMessage, WorkerRequest } from './protocol.js';
import { startWorker } from '../host/start-worker.js';

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
  /** Aborting it cancels the run, as the run's `cancel()` does. */
  readonly signal?: AbortSignal;
  /** Keep stdout and stderr in the result (default true). */
  readonly collectOutput?: boolean;
  /** Deliver `stdout`/`stderr` events on `run.events` (default true). */
  readonly outputEvents?: boolean;
}

/** A run the pool carries out: queued, then on a worker, until its outcome is settled once. */
interface PoolJob {
  readonly job: BackendJob;
  readonly request: WorkerRequest;
  readonly cancel: Int32Array;
  readonly queuedAt: number;
  resolve(outcome: RunOutcome): void;
  reject(error: GoodbotError): void;
  /** Set once the outcome is settled, by the worker or by the pool. */
  done: boolean;
  backstop?: ReturnType<typeof setTimeout>;
  /** What the worker reported when the program started. */
  start?: RunStart;
  /** Refusals the worker reported. */
  denials: number;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  /** Set once the worker said it is ready; a worker that dies before is not replaced. */
  started: boolean;
  job: PoolJob | undefined;
}

/**
 * Runs guests on worker threads, in parallel, one per worker: a spinning or
 * blocked guest never holds up the caller or other runs. Each run's limits
 * are enforced inside its worker (fuel slices, deadline, output); the pool
 * adds the hard backstop: a run still going a grace period past its deadline,
 * or after `cancel()`, has its worker terminated, and the worker is replaced.
 *
 * The pool is a backend like the others: a worker runs the WebAssembly or
 * container backend and posts what it reports; the run's recorder, on this
 * thread, writes every event and audit record. So a run the pool stops
 * itself (backstop, cancel while queued) gets the same whole trail, closed
 * by `run.exit`, and what a stopped worker still says is dropped.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: PoolJob[] = [];
  private readonly graceMs: number;
  private readonly digests = new WeakMap<Policy, Promise<string>>();
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
    if (this.closed) throw new GoodbotError('usage', 'the worker pool is closed', { hint: 'create a new pool' });
    const compiled = isCompiledPolicy(policy) ? policy : compileSandboxConfig(policy, { file: '<api>', baseDir: cwd() });
    const { onStdout, onStderr, stdin, signal, collectOutput, outputEvents, ...workerRequest } = request;
    const backend: Backend = {
      name: backendNameFor(compiled, request),
      run: (job) => this.schedule(job, { ...workerRequest, ...(stdin !== undefined && { stdin }) }),
    };
    return startRun({
      policy: compiled,
      request: {
        ...workerRequest,
        ...(onStdout !== undefined && { onStdout: (chunk: Uint8Array) => onStdout(chunk) }),
        ...(onStderr !== undefined && { onStderr: (chunk: Uint8Array) => onStderr(chunk) }),
        ...(signal !== undefined && { signal }),
        ...(collectOutput !== undefined && { collectOutput }),
        ...(outputEvents !== undefined && { outputEvents }),
      },
      backend,
      policyDigest: () => this.digestOf(compiled),
      ...(this.options.audit !== undefined && { audit: this.options.audit }),
    });
  }

  /** Stops the workers; queued runs fail, and so do runs still going. */
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

  private digestOf(policy: Policy): Promise<string> {
    let digest = this.digests.get(policy);
    if (digest === undefined) this.digests.set(policy, (digest = policyDigest(policy)));
    return digest;
  }

  /** The pool's part of a run: queue it, hand it to a worker, and settle its outcome once. */
  private schedule(job: BackendJob, request: WorkerRequest): Promise<RunOutcome> {
    return new Promise<RunOutcome>((resolve, reject) => {
      const entry: PoolJob = {
        job,
        request,
        cancel: new Int32Array(new SharedArrayBuffer(4)),
        queuedAt: performance.now(),
        resolve,
        reject,
        done: false,
        denials: 0,
      };
      if (this.closed) return this.fail(entry, 'runtime', 'the worker pool was closed before the run started');
      if (job.signal.aborted) return this.cancel(entry);
      job.signal.addEventListener('abort', () => this.cancel(entry), { once: true });
      this.queue.push(entry);
      this.dispatch();
    });
  }

  /** Starts a worker, into SLOT when it replaces one (a slot's identity is what jobs refer to). */
  private spawn(into?: Slot): Slot {
    const worker = startWorker(import.meta.url, '../workers/sandbox-worker');
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
        if (!slot.started)
          fail(new GoodbotError('runtime', 'a sandbox worker could not start', { hint: 'build goodbot first (npm run setup, or npm run build)' }));
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
      const entry = this.queue.shift();
      if (entry === undefined) return;
      if (entry.done) continue;
      slot.job = entry;
      slot.worker.ref(); // a running job keeps the process alive until it ends
      const { runId, policy } = entry.job;
      const message: RunMessage = { type: 'run', runId, policy, request: entry.request, cancel: entry.cancel };
      slot.worker.postMessage(message);
      const timeout = policy.limits.timeoutMs;
      if (timeout !== undefined) {
        // A container gets SIGTERM at its deadline and SIGKILL after a grace period; the worker waits for that.
        const grace = this.graceMs + (backendNameFor(policy, entry.request, nativeBackend) === 'docker' ? containerStopGraceMs + 1000 : 0);
        entry.backstop = setTimeout(() => this.stop(slot, entry, 'timeout', timeoutMessage(timeout)), timeout + grace);
      }
    }
  }

  private onMessage(slot: Slot, message: WorkerMessage): void {
    const entry = slot.job;
    if (message.type === 'ready' || entry === undefined || message.runId !== entry.job.runId || entry.done) return;
    for (const fact of message.facts) this.relay(entry, fact);
    if (message.type === 'facts') return;
    this.finish(slot, entry);
    if (message.type === 'end') entry.resolve(message.outcome);
    else this.fail(entry, message.error.kind as ErrorKind, message.error.message, message.error);
    this.dispatch();
  }

  /** Passes what the worker's backend reported on to the run's recorder. */
  private relay(entry: PoolJob, fact: RunFact): void {
    const reporter = entry.job.reporter;
    switch (fact.kind) {
      case 'started':
        entry.start = fact.start;
        return reporter.started(fact.start);
      case 'zone':
        return reporter.zoneMounted(fact.spec);
      case 'denied':
        entry.denials++;
        return reporter.denied(fact.denial);
      case 'allowed':
        return reporter.allowed(fact.allowance);
      case 'output':
        // The chunk has left the worker: nothing here can hold up the guest.
        return reporter.output(fact.stream, fact.chunk, unboundedWait);
    }
  }

  private cancel(entry: PoolJob): void {
    if (entry.done) return;
    const slot = this.slots.find((candidate) => candidate.job === entry);
    if (slot === undefined) {
      // Still queued: it never starts.
      entry.done = true;
      this.settleStopped(entry, 'cancelled', 'the run was cancelled before it started');
      return;
    }
    Atomics.store(entry.cancel, 0, 1);
    setTimeout(() => this.stop(slot, entry, 'cancelled', 'the run was cancelled'), this.graceMs).unref();
  }

  /** The backstop: the guest did not stop itself in time; terminate its worker. */
  private stop(slot: Slot, entry: PoolJob, limit: LimitKind, message: string): void {
    if (entry.done || slot.job !== entry) return;
    this.finish(slot, entry);
    const worker = slot.worker;
    worker.removeAllListeners('exit');
    worker.removeAllListeners('error');
    void worker.terminate();
    this.spawn(slot);
    this.settleStopped(entry, limit, `${message} (its worker was terminated)`);
    this.dispatch();
  }

  /** The outcome of a run the pool stopped itself, as far as the pool knows it. */
  private settleStopped(entry: PoolJob, limit: LimitKind, message: string): void {
    const { policy } = entry.job;
    const program = entry.request.program;
    const backend = backendNameFor(policy, entry.request, nativeBackend);
    entry.resolve({
      status: limit,
      exitCode: ExitStatus.limit,
      durationMs: performance.now() - entry.queuedAt,
      denialCount: entry.denials,
      limit: { kind: limit, message },
      backend,
      program: { name: programName(program), kind: entry.start?.programKind ?? (backend !== 'wasm' ? 'container' : wasmProgramKind(program)) },
    });
  }

  private finish(slot: Slot, entry: PoolJob): void {
    entry.done = true;
    if (entry.backstop) clearTimeout(entry.backstop);
    slot.job = undefined;
    slot.worker.unref();
  }

  private onWorkerGone(slot: Slot, why: string): void {
    if (this.closed) return;
    const entry = slot.job;
    if (entry !== undefined && !entry.done) {
      this.finish(slot, entry);
      this.fail(entry, 'runtime', `${why} while running ${programName(entry.request.program)}`);
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

  private fail(entry: PoolJob, kind: ErrorKind, message: string, details: Partial<SerializedError> = {}): void {
    entry.done = true;
    entry.reject(
      new GoodbotError(kind, message, {
        ...(details.hint !== undefined && { hint: details.hint }),
        ...(details.field !== undefined && { field: details.field }),
        ...(details.file !== undefined && { file: details.file }),
        ...(details.path !== undefined && { path: details.path }),
        ...(details.commandLineHint !== undefined && { commandLineHint: details.commandLineHint }),
      }),
    );
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
