import { redactEnvironment, zoneMountEvent, type AuditEvent } from './audit/events.js';
import { ExitStatus, GoodbotError } from './errors.js';
import type { LoadedProgram, Platform, ToolLaunch } from './platform.js';
import type { Authority } from './policy/authority.js';
import { policyDigest } from './policy/digest.js';
import { guestEnvironment } from './policy/environment.js';
import type { GuestOutcome } from './backends/wasm/outcome.js';
import { chooseBackend, runOnContainer } from './backends/container-sandbox.js';
import { RunLimiter } from './limits/run-limiter.js';
import { overlaps } from './policy/guest-path.js';
import type { Policy, ZoneSpec } from './policy/types.js';
import { isToolName } from './tools/catalog.js';
import { decodeChunks, EventChannel, type RunEvent, type RunResult } from './run.js';
import { runAuthority } from './run-authority.js';
import type { WasiClock } from './wasi/core/clock.js';
import type { WasiContext } from './wasi/core/context.js';
import { NetworkGate } from './wasi/core/network-gate.js';
import { SeededRandom, VirtualClock } from './wasi/core/deterministic.js';
import { BufferedInput, CallbackOutput, emptyInput, type BlockingWait, type InputSource } from './wasi/core/stdio.js';
import { DescriptorBudget } from './zones/descriptor-budget.js';
import { DeviceFolderBackend } from './zones/device-folder.js';
import { ZoneVolume } from './zones/zone-volume.js';

/** One request to run a program in the sandbox. */
export interface ExecRequest {
  /** A `.wasm` path, a catalog tool name, or the bytes of a module or component. */
  readonly program: string | Uint8Array;
  readonly args?: readonly string[];
  /** The guest's argv[0]; defaults to the program's name. */
  readonly argv0?: string;
  /** Bytes for stdin, or a source read on demand; default: empty. */
  readonly stdin?: string | Uint8Array | InputSource;
  /** Variables for this run only, set by the (trusted) caller on top of the policy's. */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory reported to components (`initial-cwd`); default `/`. */
  readonly cwd?: string;
  /** Called with each chunk of output as the guest writes it; one that may block waits as WAIT says (the run's deadline). */
  readonly onStdout?: (chunk: Uint8Array, wait: BlockingWait) => void;
  readonly onStderr?: (chunk: Uint8Array, wait: BlockingWait) => void;
  /** Tell the guest its stdout/stderr is a terminal. */
  readonly terminal?: { readonly stdin?: boolean; readonly stdout?: boolean; readonly stderr?: boolean };
  /** Keep stdout and stderr in the result (default true). */
  readonly collectOutput?: boolean;
  /** Deliver `stdout`/`stderr` events on `run.events` (default true). */
  readonly outputEvents?: boolean;
  /** Aborting it cancels the run, as {@link Run.cancel} does. */
  readonly signal?: AbortSignal;
}

/** See {@link Sandbox.exec}. */
export interface RunHooks {
  readonly runId?: string;
  readonly isCancelled?: () => boolean;
}

/** A run in progress. */
export interface Run {
  readonly id: string;
  /** Start, zone, output, denial and end events, in order. */
  readonly events: AsyncIterable<RunEvent>;
  /**
   * Resolves when the guest has ended (exited or trapped). Rejects with a
   * {@link GoodbotError} when it could not run: bad program, zone error, host failure.
   */
  readonly result: Promise<RunResult>;
  /**
   * Stops the run; its status becomes `cancelled`. A run that has not started
   * never starts. A run on the calling thread sees it at its next write or
   * fuel slice (metered runs); a worker run is stopped at once.
   */
  cancel(): void;
}

/**
 * A sandbox: one policy, any number of runs. Runs share nothing: each gets
 * its own zone mounts, descriptors, environment and output, and every handle a
 * run opens is closed when it ends.
 */
export class Sandbox {
  private digest: Promise<string> | undefined;

  constructor(
    readonly policy: Policy,
    private readonly platform: Platform,
  ) {}

  /**
   * Starts a run. HOOKS are for hosts that drive a sandbox from elsewhere (the
   * worker pool): a cancellation check that can see past a busy thread, and
   * the run's id.
   */
  exec(request: ExecRequest, hooks: RunHooks = {}): Run {
    const id = hooks.runId ?? globalThis.crypto.randomUUID();
    const events = new EventChannel<RunEvent>();
    const cancel = { requested: request.signal?.aborted ?? false };
    request.signal?.addEventListener('abort', () => (cancel.requested = true), { once: true });
    const isCancelled = () => cancel.requested || (hooks.isCancelled?.() ?? false);
    const result = this.perform(id, request, events, isCancelled).then(
      (value) => {
        events.push({ type: 'end', result: value });
        events.close();
        return value;
      },
      (error: unknown) => {
        const failure = asGoodbotError(error);
        this.audit({ event: 'run.error', time: now(), runId: id, kind: failure.kind, message: failure.message });
        events.push({ type: 'error', error: failure });
        events.close();
        throw failure;
      },
    );
    result.catch(() => {});
    return { id, events, result, cancel: () => (cancel.requested = true) };
  }

  private async perform(
    runId: string,
    request: ExecRequest,
    events: EventChannel<RunEvent>,
    isCancelled: () => boolean,
  ): Promise<RunResult> {
    const digest = await (this.digest ??= policyDigest(this.policy));
    if (chooseBackend(this.policy.backend, request.program) === 'docker') {
      return runOnContainer({
        runId,
        policy: this.policy,
        platform: this.platform,
        policyDigest: digest,
        command: request.program as string,
        args: request.args ?? [],
        ...(request.cwd !== undefined && { cwd: request.cwd }),
        ...(request.env !== undefined && { env: request.env }),
        ...(request.stdin !== undefined && { stdin: request.stdin }),
        events,
        collect: request.collectOutput ?? true,
        outputEvents: request.outputEvents ?? true,
        ...(request.onStdout !== undefined && { onStdout: request.onStdout }),
        ...(request.onStderr !== undefined && { onStderr: request.onStderr }),
        isCancelled,
        audit: (event) => this.audit(event),
      });
    }
    const authority = runAuthority(runId, events, (event) => this.audit(event));
    const { program, name, argv0, mounts, env: toolEnv } = await this.resolveProgram(request.program, authority);
    const started = performance.now();
    const args = [request.argv0 ?? argv0, ...(request.args ?? [])];
    const env = guestEnvironment(this.policy.env, this.platform.hostEnv(), request.env, toolEnv);
    events.push({ type: 'start', runId, program: name });
    this.audit({
      event: 'run.start',
      time: now(),
      runId,
      program: name,
      programKind: program.kind,
      args,
      backend: 'wasm',
      policyDigest: digest,
      env: redactEnvironment(env, this.policy.audit.revealEnv),
    });

    const limiter = new RunLimiter(this.policy.limits, started, isCancelled);
    const platform = this.platform;
    const openNetwork = platform.openNetwork === undefined ? undefined : () => platform.openNetwork!();
    const descriptors = new DescriptorBudget(this.policy.limits.files);
    const network = new NetworkGate(this.policy.network, authority, openNetwork, limiter, descriptors);
    const volumes: ZoneVolume[] = [];
    const output = { stdout: [] as Uint8Array[], stderr: [] as Uint8Array[] };
    const collect = request.collectOutput ?? true;
    const outputEvents = request.outputEvents ?? true;
    const sink = (stream: 'stdout' | 'stderr', callback?: ExecRequest['onStdout']) =>
      new CallbackOutput((written) => {
        const chunk = limiter.admitOutput(written);
        if (chunk.length > 0) {
          if (collect) output[stream].push(chunk);
          callback?.(chunk, limiter);
          if (outputEvents) events.push({ type: stream, data: chunk });
        }
        if (limiter.tripped !== undefined) throw limiter.tripped;
      }, request.terminal?.[stream] ?? false);

    try {
      const stdio = {
        stdin: stdinOf(request.stdin, request.terminal?.stdin ?? false),
        stdout: sink('stdout', request.onStdout),
        stderr: sink('stderr', request.onStderr),
      };
      const random = this.policy.deterministic ? new SeededRandom(this.policy.deterministic.seed) : this.platform.random;
      const specs = [...this.policy.zones, ...mounts];
      if (specs.length > 0 && !specs.some((spec) => overlaps(spec.guestPath, devicesZone.guestPath))) specs.push(devicesZone);
      const root = mountPointRoot(specs);
      for (const spec of root ? [...specs, root] : specs) {
        const backend = spec.kind === 'devices' ? new DeviceFolderBackend({ ...stdio, random }) : this.platform.zoneBackend(spec);
        const volume = new ZoneVolume(spec, backend, authority, { descriptors });
        volumes.push(volume);
        events.push({ type: 'zone', zone: spec.name, guestPath: spec.guestPath, access: spec.access });
        this.audit(zoneMountEvent(runId, spec));
      }
      const ctx: WasiContext = {
        args,
        env,
        cwd: request.cwd ?? '/',
        preopens: volumes.map((volume) => ({ guestPath: volume.spec.guestPath, dir: volume.root })),
        volumes,
        ...stdio,
        clock: limiter.clock(this.guestClock()),
        random,
        authority,
        network,
        limiter,
      };
      const outcome: GuestOutcome = limiter.checkCancelled() ? { kind: 'limit', limit: limiter.tripped! } : runGuest(program, ctx);
      limiter.guestEnded();
      const durationMs = performance.now() - started;
      // The first limit reached decides, even if the guest caught its error and exited.
      const limit = limiter.tripped ?? (outcome.kind === 'limit' ? outcome.limit : undefined);
      const result: RunResult = {
        runId,
        status: limit ? limit.limit : outcome.kind === 'exit' ? 'exited' : 'trapped',
        exitCode: limit ? ExitStatus.limit : outcome.kind === 'exit' ? outcome.code : ExitStatus.trap,
        durationMs,
        stdout: decodeChunks(output.stdout),
        stderr: decodeChunks(output.stderr),
        denials: authority.denials,
        ...(authority.denialsOmitted > 0 && { denialsOmitted: authority.denialsOmitted }),
        ...(outcome.kind === 'trap' && !limit && { trap: outcome.trap }),
        ...(limit && { limit: { kind: limit.limit, message: limit.message } }),
        ...(limiter.fuelConsumed !== undefined && { fuelConsumed: limiter.fuelConsumed }),
        backend: 'wasm',
        program: { name, kind: program.kind },
      };
      if (limit) this.audit({ event: 'limit.exceeded', time: now(), runId, limit: limit.limit, message: limit.message });
      this.audit({
        event: 'run.exit',
        time: now(),
        runId,
        status: result.status,
        exitCode: result.exitCode,
        durationMs,
        denials: authority.denialCount,
        ...(result.trap && { trap: result.trap }),
      });
      return result;
    } finally {
      // Whatever ended the run (exit, trap, limit, host failure), its sockets and broker go with it.
      network.close();
      for (const volume of volumes) volume.unmount();
    }
  }

  /**
   * PROGRAM as the caller gave it: bytes, a `.wasm` path, or a catalog tool
   * name, which the policy's `tools.allow` must grant.
   */
  private async resolveProgram(program: string | Uint8Array, authority: Authority): Promise<ResolvedProgram> {
    if (typeof program !== 'string' || !isToolName(program)) {
      const loaded = await this.platform.loadProgram(program);
      return { program: loaded, name: loaded.name, argv0: loaded.name, mounts: [], env: {} };
    }
    if (!authority.mayRunTool(this.policy.tools, program)) {
      throw new GoodbotError('policy', `the policy does not allow the tool '${program}'`, {
        field: 'sandbox.tools.allow',
        hint: `add '${program}' to sandbox.tools.allow to let it run`,
      });
    }
    if (this.platform.launchTool === undefined) {
      throw new GoodbotError('not-found', `${program}: this platform has no tool catalog`, {
        hint: 'give the program as a .wasm path or as bytes',
        path: program,
      });
    }
    const launch = await this.platform.launchTool(program);
    for (const mount of launch.mounts) {
      const zone = this.policy.zones.find((z) => overlaps(z.guestPath, mount.guestPath));
      if (zone !== undefined) {
        throw new GoodbotError('policy', `zone '${zone.name}' at ${zone.guestPath} overlaps ${mount.guestPath}, which ${program} mounts for itself`, {
          field: `sandbox.zones[${this.policy.zones.indexOf(zone)}].guestPath`,
          hint: 'mount the zone at another guest path',
        });
      }
    }
    return launch;
  }

  /** The host's clock, or a virtual one that only sleeps move (deterministic runs). */
  private guestClock(): WasiClock {
    const host = this.platform.createClock();
    return this.policy.deterministic ? new VirtualClock((ns) => host.sleep(ns)) : host;
  }

  private audit(event: AuditEvent): void {
    this.platform.audit?.record(event);
  }
}

/**
 * The run's `/dev` (null, zero, stdin…: see DeviceFolderBackend), mounted
 * after the zones unless one of them takes that place. A run without zones
 * sees no filesystem at all, as before: no `/dev` either.
 */
const devicesZone: ZoneSpec = { name: 'devices', kind: 'devices', access: 'ro', guestPath: '/dev', internal: true };

/**
 * A read-only `/` listing the mount points, preopened last (so zones keep
 * fds 3, 4, …): `ls /` and `os.listdir('/')` show where the zones are instead
 * of failing. It holds only empty folders; paths under a zone resolve through
 * the zone's own, longer, preopen. None when a zone is `/` itself or there
 * are no zones (a guest without zones sees no filesystem at all).
 */
function mountPointRoot(specs: readonly ZoneSpec[]): ZoneSpec | undefined {
  if (specs.length === 0 || specs.some((spec) => spec.guestPath === '/')) return undefined;
  const dirs = new Set<string>();
  for (const spec of specs) {
    const parts = spec.guestPath.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return { name: 'mount-points', kind: 'memory', access: 'ro', guestPath: '/', dirs: [...dirs], quotaBytes: 0, internal: true };
}

/** What runs: a catalog tool's launch, or a program given by path or bytes (no mounts, no env of its own). */
type ResolvedProgram = Omit<ToolLaunch, 'version'>;

function runGuest(program: LoadedProgram, ctx: WasiContext) {
  try {
    return program.run(ctx);
  } catch (error) {
    if (error instanceof GoodbotError) throw error;
    throw new GoodbotError('runtime', `the host failed while running ${program.name}: ${(error as Error)?.message ?? error}`, {
      hint: 'this is a goodbot bug; please report it with the audit log',
      cause: error,
    });
  }
}

function stdinOf(stdin: ExecRequest['stdin'], isTerminal: boolean): InputSource {
  if (stdin === undefined) return emptyInput;
  if (typeof stdin === 'string') return new BufferedInput(new TextEncoder().encode(stdin));
  if (stdin instanceof Uint8Array) return new BufferedInput(stdin);
  return isTerminal ? { read: (max, wait) => stdin.read(max, wait), isTerminal } : stdin;
}

function asGoodbotError(error: unknown): GoodbotError {
  if (error instanceof GoodbotError) return error;
  return new GoodbotError('runtime', `goodbot failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

function now(): string {
  return new Date().toISOString();
}
