import { redactEnvironment, zoneMountEvent, type AuditEvent, type AuditSink } from '../audit/events.js';
import type { RunOutcome, RunReporter, RunStart } from '../backends/backend.js';
import { GoodbotError } from '../errors.js';
import type { Allowance, Denial, ZoneSpec } from '../policy/types.js';
import { decodeChunks, type EventChannel, type RunEvent } from './events.js';
import type { RunResult } from '../backends/run-result.js';
import type { ExecRequest } from '../backends/exec-request.js';
import type { BlockingWait } from '../limits/blocking-wait.js';

/** What a recorder needs besides the facts its backend reports. */
export interface RunRecording {
  readonly runId: string;
  readonly policyDigest: string;
  /** Variables whose values `run.start` may show (the policy's `audit.revealEnv`). */
  readonly revealEnv: readonly string[];
  readonly request: Pick<ExecRequest, 'args' | 'argv0' | 'collectOutput' | 'outputEvents' | 'onStdout' | 'onStderr'>;
  readonly events: EventChannel<RunEvent>;
  readonly audit?: AuditSink;
}

/**
 * The one writer of a run's events and audit records, whatever backend ran
 * it. Its trail always reads: `run.start`, `zone.mount`s, `access.denied` /
 * `access.allowed` as they happen, then `limit.exceeded` when a limit ended
 * the run, then `run.exit`; or, when the run failed, `run.error` last. A
 * run that could not start at all (bad program, tool not allowed) has no
 * `run.start`: its refusals, then `run.error`. Anything reported after the
 * end (a worker's last messages after the pool stopped it) is dropped.
 */
export class RunRecorder implements RunReporter {
  private hasStarted = false;
  private hasEnded = false;
  private readonly denials: Denial[] = [];
  private readonly collected = { stdout: [] as Uint8Array[], stderr: [] as Uint8Array[] };

  constructor(private readonly recording: RunRecording) {}

  get ended(): boolean {
    return this.hasEnded;
  }

  started(start: RunStart): void {
    if (this.hasEnded || this.hasStarted) return;
    this.hasStarted = true;
    const { runId, policyDigest, revealEnv, events } = this.recording;
    events.push({ type: 'start', runId, program: start.program });
    this.audit({
      event: 'run.start',
      time: now(),
      runId,
      program: start.program,
      programKind: start.programKind,
      args: start.args,
      backend: start.backend,
      policyDigest,
      ...(start.env !== undefined && { env: redactEnvironment(start.env, revealEnv) }),
    });
  }

  zoneMounted(spec: ZoneSpec): void {
    if (this.hasEnded) return;
    this.recording.events.push({ type: 'zone', zone: spec.name, guestPath: spec.guestPath, access: spec.access });
    this.audit(zoneMountEvent(this.recording.runId, spec));
  }

  denied(denial: Denial): void {
    if (this.hasEnded) return;
    this.denials.push(denial);
    this.recording.events.push({ type: 'denied', denial });
    this.audit({ event: 'access.denied', time: now(), runId: this.recording.runId, ...denial });
  }

  allowed(allowance: Allowance): void {
    if (this.hasEnded) return;
    this.audit({ event: 'access.allowed', time: now(), runId: this.recording.runId, ...allowance });
  }

  output(stream: 'stdout' | 'stderr', chunk: Uint8Array, wait: BlockingWait): void {
    if (this.hasEnded) return;
    const { request, events } = this.recording;
    if (request.collectOutput ?? true) this.collected[stream].push(chunk);
    (stream === 'stdout' ? request.onStdout : request.onStderr)?.(chunk, wait);
    if (request.outputEvents ?? true) events.push({ type: stream, data: chunk });
  }

  /**
   * Closes the trail with OUTCOME: `limit.exceeded` when a limit ended the
   * run, then `run.exit`. A run that ended before its backend reported its
   * start (cancelled while queued) gets its `run.start` here, from what the
   * outcome says, so its trail is whole too.
   */
  finish(outcome: RunOutcome): RunResult {
    if (this.hasEnded) throw new GoodbotError('runtime', 'a run was ended twice', { hint: 'this is a goodbot bug; please report it' });
    const { runId, request, events } = this.recording;
    this.started({
      program: outcome.program.name,
      programKind: outcome.program.kind,
      args: [request.argv0 ?? outcome.program.name, ...(request.args ?? [])],
      backend: outcome.backend,
    });
    this.hasEnded = true;
    const { denialCount, ...ended } = outcome;
    const result: RunResult = {
      runId,
      ...ended,
      stdout: decodeChunks(this.collected.stdout),
      stderr: decodeChunks(this.collected.stderr),
      denials: this.denials,
      ...(denialCount > this.denials.length && { denialsOmitted: denialCount - this.denials.length }),
    };
    if (result.limit) this.audit({ event: 'limit.exceeded', time: now(), runId, limit: result.limit.kind, message: result.limit.message });
    this.audit({
      event: 'run.exit',
      time: now(),
      runId,
      status: result.status,
      exitCode: result.exitCode,
      durationMs: result.durationMs,
      denials: denialCount,
      ...(result.trap && { trap: result.trap }),
    });
    events.push({ type: 'end', result });
    events.close();
    return result;
  }

  /** Closes the trail with `run.error`: the run could not start, or the host failed. */
  fail(error: unknown): GoodbotError {
    const failure = asGoodbotError(error);
    if (this.hasEnded) return failure;
    this.hasEnded = true;
    this.audit({ event: 'run.error', time: now(), runId: this.recording.runId, kind: failure.kind, message: failure.message });
    this.recording.events.push({ type: 'error', error: failure });
    this.recording.events.close();
    return failure;
  }

  private audit(event: AuditEvent): void {
    this.recording.audit?.record(event);
  }
}

function asGoodbotError(error: unknown): GoodbotError {
  if (error instanceof GoodbotError) return error;
  return new GoodbotError('runtime', `goodbot failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

/** An audit record's timestamp. */
function now(): string {
  return new Date().toISOString();
}
