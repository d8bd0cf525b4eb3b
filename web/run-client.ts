import type { PreloadRequest, RunRequest, RunResult, WorkerMessage } from '../src/browser/index.js';

/** What the page hears about one run. */
export interface RunListener {
  onStart(loadMs: number): void;
  onOutput(stream: 'stdout' | 'stderr', text: string): void;
  onMessage(message: WorkerMessage): void;
  onEnd(result: RunResult): void;
  onError(message: string): void;
}

/** Beyond a run's deadline, how long the page waits before it terminates the worker: a backstop only. */
const backstopMs = 3000;
/** How long loading a tool (fetch, compile, metering; not under the deadline) may take. */
const loadBackstopMs = 60_000;
/** After a cancel, how long a started run has to stop itself (at its next fuel slice) before the backstop. */
const cancelBackstopMs = 1000;

interface ActiveRun {
  readonly id: number;
  readonly timeoutMs: number;
  readonly listener: RunListener;
  readonly decoders: Record<'stdout' | 'stderr', TextDecoder>;
  /** The run's shared cancel flag (see RunRequest.cancel). */
  readonly cancel: Int32Array;
  started: boolean;
  backstop?: number;
}

/**
 * The page's side of the run worker: one request at a time, output decoded as
 * it streams in. Runs stop themselves at their deadline or when cancelled
 * (in-guest metering); if the worker ever fails to answer, it is terminated
 * and replaced.
 */
export class RunClient {
  private worker!: Worker;
  private nextId = 1;
  private active: ActiveRun | undefined;

  constructor(private readonly onReady: () => void) {
    this.start();
  }

  /** Loads TOOL in the worker while the user is still typing. */
  preload(tool: string): void {
    this.worker.postMessage({ type: 'preload', tool } satisfies PreloadRequest);
  }

  run(request: Omit<RunRequest, 'type' | 'id' | 'cancel'>, timeoutMs: number, listener: RunListener): void {
    const id = this.nextId++;
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
    this.active = { id, timeoutMs, listener, decoders, cancel, started: false };
    this.worker.postMessage({ ...request, type: 'run', id, cancel } satisfies RunRequest);
    this.armBackstop(loadBackstopMs);
  }

  /**
   * Cancels the active run: the guest sees the flag at its next fuel slice or
   * write and ends with status `cancelled`. A run still loading its tool
   * stops as soon as it starts (loading itself cannot be interrupted).
   */
  cancel(): void {
    const active = this.active;
    if (active === undefined || Atomics.exchange(active.cancel, 0, 1) === 1) return;
    if (active.started) this.armBackstop(cancelBackstopMs);
  }

  private start(): void {
    this.worker = new Worker('worker.js', { type: 'module' });
    this.worker.addEventListener('message', (event: MessageEvent<WorkerMessage>) => this.receive(event.data));
    this.worker.addEventListener('error', (event) => this.fail(`the worker failed: ${event.message}`));
  }

  private receive(message: WorkerMessage): void {
    if (message.type === 'ready') return this.onReady();
    const active = this.active;
    if (active === undefined || message.id !== active.id) return;
    switch (message.type) {
      case 'start':
        active.started = true;
        this.armBackstop(Atomics.load(active.cancel, 0) === 1 ? cancelBackstopMs : active.timeoutMs + backstopMs);
        return active.listener.onStart(message.loadMs);
      case 'stdout':
      case 'stderr':
        return active.listener.onOutput(message.type, active.decoders[message.type].decode(message.data, { stream: true }));
      case 'end':
        this.finish();
        return active.listener.onEnd(message.result);
      case 'error':
        this.finish();
        return active.listener.onError(message.hint ? `${message.message} (${message.hint})` : message.message);
      default:
        return active.listener.onMessage(message);
    }
  }

  /** (Re)arms the active run's backstop: after MS without an end, the worker is terminated and replaced. */
  private armBackstop(ms: number): void {
    const active = this.active!;
    window.clearTimeout(active.backstop);
    active.backstop = window.setTimeout(() => {
      if (this.active !== active) return;
      this.worker.terminate();
      this.fail(`no answer ${(ms / 1000).toFixed(0)} s after it was due: the worker was terminated`);
      this.start();
    }, ms);
  }

  private finish(): void {
    window.clearTimeout(this.active?.backstop);
    this.active = undefined;
  }

  private fail(message: string): void {
    const active = this.active;
    this.finish();
    active?.listener.onError(message);
  }
}
