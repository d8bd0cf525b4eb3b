import { HostClock } from '../../../limits/clock.js';
import { SharedFuelPool } from '../../../limits/fuel-pool.js';
import { RunLimiter } from '../../../limits/run-limiter.js';
import { Authority } from '../../../policy/authority.js';
import type { WasiContext } from '../../../wasi/common/context.js';
import { Pipe } from '../../../wasi/common/pipe.js';
import { secureRandom } from '../../../wasi/common/random.js';
import { pipeSink, type InputSource, type OutputSink } from '../../../wasi/common/stdio.js';
import { DeviceFolderStore } from '../../../zones/device-folder.js';
import { CallChannel, type CallTransport } from '../../../zones/remote/call-channel.js';
import { RemoteVolume } from '../../../zones/remote/remote-volume.js';
import type { Volume } from '../../../zones/volume.js';
import { ZoneVolume } from '../../../zones/zone-volume.js';
import { portableProgram } from '../module-program.js';
import { outcomeOf, type GuestOutcome } from '../outcome.js';
import type { ChildOutputRequest, ChildStartRequest, ProcessEnd, ProcessStart, RecordRequest } from './process-protocol.js';
import type { ChildRequest, ChildResult } from '../../../wasi/common/child-program.js';
import { errnoError } from '../../../errno.js';

/**
 * Runs START's program to its end on this thread (a process thread): its
 * files through the run's thread, its streams through pipes, its limits
 * the run's own. It leaves its pipes open: others may share them (`{ a; b; }
 * | c`), and the run's thread closes each when its last user is done.
 */
export function runProcess(start: ProcessStart): ProcessEnd {
  const stop = new Int32Array(start.stop);
  // Asked at every fuel slice: also the moment to pass on output kept back meanwhile.
  const stopped = () => {
    stdout.flushIfStale();
    return Atomics.load(stop, 0) !== 0;
  };
  const runDeadline = start.limits.timeoutMs === undefined ? Infinity : start.startedAtEpochMs + start.limits.timeoutMs;
  // Its own deadline (`timeout`), when that comes first, is the one its limiter keeps.
  const ownDeadline = start.deadlineEpochMs !== undefined && start.deadlineEpochMs < runDeadline ? start.deadlineEpochMs : undefined;
  const limits = ownDeadline === undefined ? start.limits : { ...start.limits, timeoutMs: Math.max(0, ownDeadline - start.startedAtEpochMs) };
  const limiter = new RunLimiter(limits, start.startedAtEpochMs - performance.timeOrigin, stopped, new SharedFuelPool(start.fuel));
  const channel = new CallChannel(start.channel);
  const transport: CallTransport = (request) => channel.call(request, () => limiter.checkpoint(' (while waiting for its files)'));
  const authority = new Authority((denial) => transport({ value: { op: 'record', denial } satisfies RecordRequest }));
  const stdinPipe = new Pipe(start.stdin);
  const stdoutPipe = new Pipe(start.stdout);
  const stderrPipe = new Pipe(start.stderr);
  const stdout = new CoalescedOutput(pipeSink((data) => stdoutPipe.write(data, limiter)));
  // Both streams into one pipe (`2>&1 |`) keep their order: they share what is kept back.
  const stderr = start.stderr === start.stdout ? stdout : pipeSink((data) => stderrPipe.write(data, limiter));
  const stdin: InputSource = {
    read: (max, wait) => {
      stdout.flush();
      return stdinPipe.read(max, wait);
    },
  };
  const volumes: Volume[] = [];
  try {
    for (const mount of start.mounts) {
      volumes.push(
        'devices' in mount
          ? new ZoneVolume(mount.devices, new DeviceFolderStore({ stdin, stdout, stderr, random: secureRandom }), authority)
          : new RemoteVolume(mount, transport),
      );
    }
    const ctx: WasiContext = {
      args: start.args,
      env: start.env,
      cwd: start.cwd,
      preopens: volumes.map((volume) => ({ guestPath: volume.spec.guestPath, dir: volume.root })),
      volumes,
      stdin,
      stdout,
      stderr,
      clock: limiter.clock(new HostClock()),
      random: secureRandom,
      authority,
      limiter,
      startChild: (request) => {
        // What the program wrote so far comes before what its child writes.
        stdout.flush();
        return startChild(channel, transport, request);
      },
    };
    const outcome = portableProgram(start.program).run(ctx);
    const end = endOf(outcome.kind === 'exit' ? stdout.flushAtExit(outcome) : outcome, limiter);
    // Its own deadline passed, not the run's: it ends as timeout's command does, and the run goes on.
    if (end.kind === 'limit' && end.limit === 'timeout' && ownDeadline !== undefined && Date.now() < runDeadline) return { kind: 'exit', code: 124 };
    return end;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { kind: 'error', message };
  } finally {
    limiter.returnUnusedFuel();
    for (const volume of volumes) if (volume instanceof ZoneVolume) volume.unmount();
  }
}

/** The outcome as the run's thread takes it; the first limit this thread reached decides. */
function endOf(outcome: GuestOutcome, limiter: RunLimiter): ProcessEnd {
  const limit = limiter.tripped ?? (outcome.kind === 'limit' ? outcome.limit : undefined);
  if (limit) return { kind: 'limit', limit: limit.limit, message: limit.message };
  if (outcome.kind === 'trap') return { kind: 'trap', trap: outcome.trap };
  return { kind: 'exit', code: outcome.kind === 'exit' ? outcome.code : 0 };
}

/** Writes smaller than this are kept back and passed on together. */
const coalescedBytes = 16 * 1024;
/** Output kept back longer than this goes out at the next fuel slice. */
const staleMs = 5;

/**
 * A program's stdout into a pipe, with small writes gathered: tools built
 * with wasi-libc write 1 KiB at a time, and waking the reader's thread for
 * each costs more than the copy. What is kept goes out once 16 KiB gather,
 * before the program reads its stdin (it may wait for an answer to what
 * it wrote), when it ends, and at its next fuel slice after 5 ms.
 */
class CoalescedOutput implements OutputSink {
  private readonly kept = new Uint8Array(coalescedBytes);
  private size = 0;
  private since = 0;

  constructor(private readonly sink: OutputSink) {}

  write(data: Uint8Array): void {
    if (this.size + data.length > coalescedBytes) this.flush();
    if (data.length >= coalescedBytes) {
      this.sink.write(data);
      return;
    }
    if (this.size === 0) this.since = performance.now();
    this.kept.set(data, this.size);
    this.size += data.length;
  }

  flush(): void {
    if (this.size === 0) return;
    const data = this.kept.subarray(0, this.size);
    this.size = 0;
    this.sink.write(data);
  }

  flushIfStale(): void {
    if (this.size > 0 && performance.now() - this.since >= staleMs) this.flush();
  }

  /** The last output of a program that exited; a reader gone by now makes it end as SIGPIPE would. */
  flushAtExit(outcome: GuestOutcome): GuestOutcome {
    try {
      this.flush();
      return outcome;
    } catch (error) {
      return outcomeOf(error);
    }
  }
}

/** Starts REQUEST's child through the run's thread and waits for it; fetches what it kept in parts. */
function startChild(channel: CallChannel, transport: CallTransport, request: ChildRequest): ChildResult {
  const input = request.stdin instanceof Uint8Array ? request.stdin : undefined;
  if (input !== undefined && input.length > channel.payloadRoom) {
    throw errnoError('2BIG', `a child's input of ${input.length} bytes is more than ${channel.payloadRoom}`);
  }
  const start: ChildStartRequest = { ...request, op: 'start', stdin: input === undefined ? (request.stdin as 'inherit' | 'null') : 'bytes' };
  const reply = transport({ value: start, ...(input && { bytes: input }) }).value as {
    status: number;
    stdoutLength?: number;
    stderrLength?: number;
  };
  const fetch = (stream: 'stdout' | 'stderr', length: number | undefined): Uint8Array | undefined => {
    if (length === undefined) return undefined;
    const kept = new Uint8Array(length);
    for (let from = 0; from < length;) {
      const part: ChildOutputRequest = { op: 'output', stream, from, length: Math.min(length - from, channel.payloadRoom) };
      const bytes = transport({ value: part }).bytes ?? new Uint8Array(0);
      if (bytes.length === 0) break;
      kept.set(bytes, from);
      from += bytes.length;
    }
    return kept;
  };
  return { status: reply.status, stdout: fetch('stdout', reply.stdoutLength), stderr: fetch('stderr', reply.stderrLength) };
}
