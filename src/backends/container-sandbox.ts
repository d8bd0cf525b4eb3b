import { redactEnvironment, zoneMountEvent, type AuditEvent } from '../audit/events.js';
import { concatBytes } from '../bytes.js';
import { ExitStatus, GoodbotError } from '../errors.js';
import { RunLimiter } from '../limits/run-limiter.js';
import { guestEnvironment } from '../policy/environment.js';
import type { Policy } from '../policy/types.js';
import type { Platform } from '../platform.js';
import { decodeChunks, type EventChannel, type RunEvent, type RunResult } from '../run.js';
import { findTool, isToolName } from '../tools/catalog.js';
import { runAuthority } from '../run-authority.js';
import { NetworkGate } from '../wasi/core/network-gate.js';
import { LimitInterrupt } from '../wasi/core/limit-interrupt.js';
import { readInput, type BlockingWait, type InputSource } from '../wasi/core/stdio.js';
import { defaultPath } from './container.js';

/** Which backend runs PROGRAM under the policy's `backend`: `auto` takes WebAssembly where there is a build. */
export function chooseBackend(backend: Policy['backend'], program: string | Uint8Array): 'wasm' | 'docker' {
  if (backend === 'wasm' || typeof program !== 'string') return 'wasm';
  if (backend === 'docker') return 'docker';
  const wasm = isToolName(program) ? findTool(program) !== undefined : program.endsWith('.wasm');
  return wasm ? 'wasm' : 'docker';
}

/** What a container run takes from the sandbox: its request, its run's channels, and the sandbox's context. */
export interface ContainerRunRequest {
  readonly runId: string;
  readonly policy: Policy;
  readonly platform: Platform;
  readonly policyDigest: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly stdin?: string | Uint8Array | InputSource;
  readonly events: EventChannel<RunEvent>;
  readonly collect: boolean;
  readonly outputEvents: boolean;
  readonly onStdout?: (chunk: Uint8Array, wait: BlockingWait) => void;
  readonly onStderr?: (chunk: Uint8Array, wait: BlockingWait) => void;
  readonly isCancelled: () => boolean;
  audit(event: AuditEvent): void;
}

/**
 * A run on the container backend, with the same policy, events, audit
 * records, statuses and exit codes as a WebAssembly run: the zones become
 * mounts, the environment is the policy's grant, and the limits that apply
 * to a container (timeout, memory, output, cancel) end it the same way.
 * Network grants are decided by the same gate as on the wasm backend, for
 * each request the container makes through its egress proxy.
 * Fuel counts WebAssembly instructions and is refused here.
 */
export async function runOnContainer(run: ContainerRunRequest): Promise<RunResult> {
  const { runId, policy, platform, events } = run;
  if (platform.runContainer === undefined) {
    throw new GoodbotError('usage', 'this platform has no container backend', { hint: "use backend 'wasm'", field: 'sandbox.backend' });
  }
  if (policy.limits.fuel !== undefined) {
    throw new GoodbotError('policy', 'fuel counts WebAssembly instructions and cannot limit a container', {
      field: 'sandbox.limits.fuel',
      hint: 'limit the container with a timeout and memory instead',
    });
  }
  const env = Object.fromEntries(guestEnvironment(policy.env, platform.hostEnv(), run.env));
  env['PATH'] ??= defaultPath;
  const started = performance.now();
  const limiter = new RunLimiter(policy.limits, started, run.isCancelled);
  const stdin = readAll(run.stdin, limiter);
  const argv = [run.command, ...run.args];
  events.push({ type: 'start', runId, program: run.command });
  run.audit({
    event: 'run.start',
    time: now(),
    runId,
    program: run.command,
    programKind: 'container',
    args: argv,
    backend: 'docker',
    policyDigest: run.policyDigest,
    env: redactEnvironment(Object.entries(env), policy.audit.revealEnv),
  });
  for (const zone of policy.zones) {
    events.push({ type: 'zone', zone: zone.name, guestPath: zone.guestPath, access: zone.access });
    run.audit(zoneMountEvent(runId, zone));
  }

  const authority = runAuthority(runId, events, (event) => run.audit(event));
  // No transport: the gate only decides; the Docker backend's egress proxy does the I/O.
  const network = policy.network.allow.length > 0 ? { gate: new NetworkGate(policy.network, authority, undefined), authority } : undefined;
  const output = { stdout: [] as Uint8Array[], stderr: [] as Uint8Array[] };
  const outcome = limiter.checkCancelled()
    ? undefined
    : await platform.runContainer({
        runId,
        policy,
        argv,
        cwd: run.cwd ?? '/',
        env,
        stdin,
        limiter,
        ...(network !== undefined && { network }),
        onOutput: (stream, chunk) => {
          if (run.collect) output[stream].push(chunk);
          try {
            (stream === 'stdout' ? run.onStdout : run.onStderr)?.(chunk, limiter);
          } catch (error) {
            // A reader that held the output past the deadline: the run's timer stops the container.
            if (!(error instanceof LimitInterrupt)) throw error;
          }
          if (run.outputEvents) events.push({ type: stream, data: chunk });
        },
      });
  limiter.guestEnded();
  const durationMs = performance.now() - started;
  const limit = limiter.tripped;
  const result: RunResult = {
    runId,
    status: limit ? limit.limit : 'exited',
    exitCode: limit ? ExitStatus.limit : outcome!.exitCode,
    durationMs,
    stdout: decodeChunks(output.stdout),
    stderr: decodeChunks(output.stderr),
    denials: authority.denials,
    ...(authority.denialsOmitted > 0 && { denialsOmitted: authority.denialsOmitted }),
    ...(limit && { limit: { kind: limit.limit, message: limit.message } }),
    backend: 'docker',
    program: { name: run.command, kind: 'container' },
    ...(outcome && { image: outcome.image }),
  };
  if (limit) run.audit({ event: 'limit.exceeded', time: now(), runId, limit: limit.limit, message: limit.message });
  run.audit({ event: 'run.exit', time: now(), runId, status: result.status, exitCode: result.exitCode, durationMs, denials: authority.denialCount });
  return result;
}

/**
 * The whole of stdin, read before the container starts (it gets it as a
 * file), within the run's deadline: a stdin that does not end by then ends
 * the run (LIMITER records why; the container never starts).
 */
function readAll(stdin: ContainerRunRequest['stdin'], limiter: RunLimiter): Uint8Array {
  if (stdin === undefined) return new Uint8Array(0);
  if (typeof stdin === 'string') return new TextEncoder().encode(stdin);
  if (stdin instanceof Uint8Array) return stdin;
  const chunks: Uint8Array[] = [];
  try {
    for (let chunk = readInput(stdin, 65536, limiter); chunk.length > 0; chunk = readInput(stdin, 65536, limiter)) chunks.push(chunk.slice());
  } catch (error) {
    if (!(error instanceof LimitInterrupt)) throw error;
  }
  return concatBytes(chunks);
}

function now(): string {
  return new Date().toISOString();
}
