import { GoodbotError } from '../../../errors.js';
import { LimitExceeded, type RunLimiter } from '../../../limits/run-limiter.js';
import type { Authority } from '../../../policy/authority.js';
import type { Preopen } from '../../../wasi/common/context.js';
import { defaultPipeCapacity, Pipe } from '../../../wasi/common/pipe.js';
import { CallChannel, type CallMessage } from '../../../zones/remote/call-channel.js';
import { VolumeServer } from '../../../zones/remote/volume-server.js';
import type { SharedFuelPool } from '../../../limits/fuel-pool.js';
import type { PortableProgram } from '../loaded-program.js';
import type { GuestOutcome } from '../outcome.js';
import type { ChildOutputRequest, ChildStartRequest, ProcessEnd, ProcessStart, ThreadRequest } from './process-protocol.js';
import { errnoError } from '../../../errno.js';
import type { ChildRequest, ChildResult } from '../../../wasi/common/child-program.js';

/** A thread that runs programs beside the run's own, one at a time (a Node worker, a browser worker). */
export interface ProcessThread {
  /** Runs START there; rejects if the thread died. */
  run(start: ProcessStart): Promise<ProcessEnd>;
  /** The program ended: the thread may serve another one. */
  release(): void;
  /** Ends the thread at once, whatever it runs. */
  terminate(): void;
}

/** A worker as a platform makes it: it runs one program at a time, and may wait idle for the next. */
export interface ProcessWorker {
  /** Runs START; rejects if the worker died. */
  run(start: ProcessStart): Promise<ProcessEnd>;
  /** It waits for the next program (on Node: it no longer keeps the process alive). */
  park(): void;
  /** It serves a program again. */
  resume(): void;
  terminate(): void;
}

/**
 * Process threads over workers START makes: a program ended normally
 * leaves its worker idle for the next one (starting one costs
 * milliseconds), up to MAX_IDLE; a worker that failed or was stopped is
 * ended.
 */
export function reusedWorkers(start: () => ProcessWorker, maxIdle = 4): () => ProcessThread {
  const idle: ProcessWorker[] = [];
  return () => {
    const worker = idle.pop() ?? start();
    worker.resume();
    let usable = true;
    return {
      run: (process) =>
        worker.run(process).catch((error: unknown) => {
          usable = false;
          throw error;
        }),
      release: () => {
        if (usable && idle.length < maxIdle) {
          worker.park();
          idle.push(worker);
        } else worker.terminate();
        usable = false;
      },
      terminate: () => {
        usable = false;
        worker.terminate();
      },
    };
  };
}

/** A stream the run's thread reads without blocking (the shell's descriptors). */
export interface AsyncInput {
  read(max: number): Promise<Uint8Array>;
  /** The pipe behind it, which the program then reads itself. */
  readonly pipe?: Pipe;
}

/** A stream the run's thread writes without blocking. */
export interface AsyncOutput {
  write(data: Uint8Array): Promise<void>;
  readonly pipe?: Pipe;
}

/** What runs apart: the program, its arguments, zones and streams. */
export interface ApartProgram {
  readonly program: PortableProgram;
  readonly args: readonly string[];
  readonly env: readonly (readonly [string, string])[];
  readonly cwd: string;
  readonly preopens: readonly Preopen[];
  readonly stdin: AsyncInput;
  readonly stdout: AsyncOutput;
  readonly stderr: AsyncOutput;
  /** When it must end (`timeout`), in milliseconds since the epoch; it then ends with status 124. */
  readonly deadline?: number;
  /** Runs a command the program starts as its child; absent: it cannot start any (ENOSYS). */
  readonly startChild?: (child: ChildStart) => Promise<ChildResult>;
}

/** A child a program on a process thread starts: what it asked for, and its own streams, which the child may share. */
export interface ChildStart {
  readonly request: ChildRequest;
  readonly stdin: Pipe;
  readonly stdout: Pipe;
  readonly stderr: Pipe;
}

/** How often the run's thread looks for a stop (a cancel, a limit reached here) to pass on to its process threads. */
const stopCheckMs = 20;
/** How long a process thread gets to see a stop before it is terminated. */
const stopGraceMs = 1000;

/**
 * The most programs of one run on threads at once: a pipeline of 16
 * commands, or children starting children 16 deep. A line that would need
 * more (a script that starts itself through xargs) gets EAGAIN rather than
 * a thread per level until the host's memory runs out.
 */
export const maxProcessThreads = 16;

/**
 * The programs of one run that run on threads of their own, so the commands
 * of a pipeline run at the same time and their pipes stream. Their files
 * are the run's zones, served from this thread (one authority, one quota,
 * one audit); their fuel comes from the run's pool; their deadline is the
 * run's; a stop here (a cancel, a limit another program reached) stops them.
 */
export class ProcessThreads {
  private readonly stop = new Int32Array(new SharedArrayBuffer(4));
  private readonly running = new Set<{ readonly thread: ProcessThread; readonly ended: Promise<unknown> }>();
  private stopWatch: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly startThread: () => ProcessThread,
    private readonly limiter: RunLimiter,
    private readonly fuel: SharedFuelPool,
    private readonly authority: Authority,
    /** `performance.now()` when the run started. */
    private readonly startedAt: number,
  ) {}

  /** Runs PROGRAM on a thread of its own; gives how it ended, as a program on this thread would. */
  async run(program: ApartProgram): Promise<GuestOutcome> {
    if (this.running.size >= maxProcessThreads) {
      throw errnoError('AGAIN', `more than ${maxProcessThreads} programs would run at once`);
    }
    const server = new VolumeServer();
    const channel = new CallChannel();
    const stdin = program.stdin.pipe ?? new Pipe();
    const stdout = program.stdout.pipe ?? new Pipe();
    const stderr = program.stderr.pipe ?? new Pipe();
    const children = new ChildCalls(program.startChild, { stdin, stdout, stderr });
    const serving = channel.serve((message) => this.answer(server, children, message));
    if (program.stdin.pipe === undefined) void pumpInto(program.stdin, stdin);
    const outputs = [
      program.stdout.pipe ? Promise.resolve(undefined) : pumpFrom(stdout, program.stdout),
      program.stderr.pipe ? Promise.resolve(undefined) : pumpFrom(stderr, program.stderr),
    ];
    const start: ProcessStart = {
      program: program.program,
      args: program.args,
      env: program.env,
      cwd: program.cwd,
      mounts: program.preopens.map(({ dir }) => (dir.volume.spec.kind === 'devices' ? { devices: dir.volume.spec } : server.mount([dir.volume])[0]!)),
      stdin: stdin.buffer,
      stdout: stdout.buffer,
      stderr: stderr.buffer,
      channel: channel.buffer,
      limits: this.limiter.limits,
      startedAtEpochMs: performance.timeOrigin + this.startedAt,
      ...(program.deadline !== undefined && { deadlineEpochMs: program.deadline }),
      stop: this.stop.buffer as SharedArrayBuffer,
      fuel: this.fuel.buffer,
    };
    const thread = this.startThread();
    const ending = thread.run(start);
    const entry = { thread, ended: ending.catch(() => undefined) };
    this.running.add(entry);
    this.watchForStop();
    let end: ProcessEnd | undefined;
    let failure: unknown;
    try {
      end = await ending;
      thread.release();
    } catch (error) {
      failure = error;
      thread.terminate();
    } finally {
      this.running.delete(entry);
      if (this.running.size === 0) this.unwatch();
      // The pipes made here have no other user: the streams behind them learn the program is done.
      if (program.stdin.pipe === undefined) stdin.closeReader();
      if (program.stdout.pipe === undefined) stdout.closeWriter();
      if (program.stderr.pipe === undefined) stderr.closeWriter();
      channel.close();
      await serving;
      server.closeAll();
    }
    const written = (await Promise.all(outputs)).find((error) => error instanceof LimitExceeded);
    if (failure !== undefined) {
      throw new GoodbotError('runtime', `the thread running ${program.program.name} failed: ${(failure as Error)?.message ?? failure}`, {
        hint: 'this is a goodbot bug; please report it with the command line',
        cause: failure,
      });
    }
    return this.outcomeOf(end!, written, program.program.name);
  }

  /** Stops every program still running (the run is ending): at once through the stop cell, or by ending its thread. */
  async stopAll(): Promise<void> {
    if (this.running.size === 0) return;
    Atomics.store(this.stop, 0, 1);
    const grace = new Promise((resolve) => setTimeout(resolve, stopGraceMs));
    const entries = [...this.running];
    await Promise.race([Promise.all(entries.map((entry) => entry.ended)), grace]);
    for (const entry of entries) if (this.running.has(entry)) entry.thread.terminate();
    this.unwatch();
  }

  private answer(server: VolumeServer, children: ChildCalls, message: CallMessage): CallMessage | Promise<CallMessage> {
    const request = message.value as ThreadRequest;
    switch (request.op) {
      case 'record':
        this.authority.record(request.denial);
        return { value: null };
      case 'start':
        return children.start(request, message.bytes);
      case 'output':
        return children.output(request);
      default:
        return server.handle(message);
    }
  }

  /** How the program ended for the run: a limit reached over there is the run's limit. */
  private outcomeOf(end: ProcessEnd, written: LimitExceeded | undefined, name: string): GuestOutcome {
    if (written !== undefined) return { kind: 'limit', limit: written };
    switch (end.kind) {
      case 'exit':
      case 'trap':
        return end;
      case 'limit':
        // A program stopped because the run was stopped here reports the run's own limit.
        return { kind: 'limit', limit: this.limiter.tripped ?? this.limiter.trip(end.limit, end.message) };
      case 'error':
        throw new GoodbotError('runtime', `the host failed while running ${name}: ${end.message}`, {
          hint: 'this is a goodbot bug; please report it with the audit log',
        });
    }
  }

  /** While programs run apart, a cancel or a limit reached on this thread is passed on to them. */
  private watchForStop(): void {
    this.stopWatch ??= setInterval(() => {
      if (this.limiter.checkCancelled()) Atomics.store(this.stop, 0, 1);
    }, stopCheckMs);
  }

  private unwatch(): void {
    if (this.stopWatch !== undefined) clearInterval(this.stopWatch);
    this.stopWatch = undefined;
  }
}

/** Feeds SOURCE into PIPE until either ends (the program stopped reading: the rest stays unread). */
async function pumpInto(source: AsyncInput, pipe: Pipe): Promise<void> {
  try {
    while (!pipe.readerClosed) {
      const chunk = await source.read(defaultPipeCapacity);
      if (chunk.length === 0) break;
      await pipe.writeAsync(chunk);
    }
  } catch {
    // EPIPE: the program ended without reading it all, as a process would.
  } finally {
    pipe.closeWriter();
  }
}

/** Copies what the program writes to PIPE into SINK; a sink that fails closes the pipe (the program gets EPIPE) and is returned. */
async function pumpFrom(pipe: Pipe, sink: AsyncOutput): Promise<unknown> {
  for (;;) {
    const chunk = await pipe.readAsync(defaultPipeCapacity);
    if (chunk.length === 0) return undefined;
    try {
      await sink.write(chunk);
    } catch (error) {
      pipe.closeReader();
      return error;
    }
  }
}

/**
 * The children one program starts: each runs through START with the
 * program's streams, and what it wrote to kept streams waits here until
 * the program has fetched it (in parts, so no message outgrows the channel).
 */
class ChildCalls {
  private last: ChildResult | undefined;

  constructor(
    private readonly startChild: ApartProgram['startChild'],
    private readonly streams: Omit<ChildStart, 'request'>,
  ) {}

  async start(request: ChildStartRequest, input: Uint8Array | undefined): Promise<CallMessage> {
    if (this.startChild === undefined) throw errnoError('NOSYS', 'this run cannot start programs from a program');
    const { op: _op, ...rest } = request;
    const stdin = request.stdin === 'bytes' ? (input ?? new Uint8Array(0)) : request.stdin;
    this.last = await this.startChild({ request: { ...rest, stdin }, ...this.streams });
    return { value: { status: this.last.status, stdoutLength: this.last.stdout?.length, stderrLength: this.last.stderr?.length } };
  }

  output(request: ChildOutputRequest): CallMessage {
    const kept = request.stream === 'stdout' ? this.last?.stdout : this.last?.stderr;
    if (kept === undefined) throw errnoError('INVAL', `no kept ${request.stream} of a child`);
    return { value: null, bytes: kept.subarray(request.from, request.from + request.length) };
  }
}
