import { ErrnoError } from '../../errno.js';
import { ExitStatus, GoodbotError } from '../../errors.js';
import type { WasiClock } from '../../limits/clock.js';
import { RunLimiter } from '../../limits/run-limiter.js';
import { SharedFuelPool } from '../../limits/fuel-pool.js';
import { ProcessThreads } from './process/process-threads.js';
import type { Authority } from '../../policy/authority.js';
import { isWithin, normalizeAbsolute, overlaps } from '../../policy/guest-path.js';
import type { Policy, ZoneSpec } from '../../policy/types.js';
import { isScratchZone } from '../../policy/scratch-zone.js';
import { isToolName, needsFromScratch } from '../../tools/catalog.js';
import type { Preopen, WasiContext } from '../../wasi/common/context.js';
import { SeededRandom, VirtualClock } from '../../wasi/common/deterministic.js';
import { NetworkGate } from '../../wasi/common/network-gate.js';
import type { RandomSource } from '../../wasi/common/random.js';
import { BufferedInput, CallbackOutput, emptyInput, type InputSource, type OutputSink } from '../../wasi/common/stdio.js';
import { guestEnvironment } from '../../policy/environment.js';
import type { ExecRequest } from '../exec-request.js';
import { runSecrets } from '../run-secrets.js';
import type { RunSecrets } from '../../policy/secrets.js';
import { DescriptorBudget } from '../../zones/descriptor-budget.js';
import { DeviceFolderStore } from '../../zones/device-folder.js';
import { MemoryFolderStore } from '../../zones/memory-folder.js';
import { captureImage, type ZoneImage } from '../../zones/zone-image.js';
import { ZoneVolume } from '../../zones/zone-volume.js';
import type { BackendJob, RunOutcome } from '../backend.js';
import type { Platform, ToolLaunch } from '../platform.js';
import type { LoadedProgram } from './loaded-program.js';
import type { GuestOutcome } from './outcome.js';
import { runZoneSpecs } from './run-zones.js';

/** What runs: a catalog tool's launch, or a program given by path or bytes (no mounts, no env of its own). */
export type ResolvedProgram = Omit<ToolLaunch, 'version'>;

/** A guest's standard streams. */
export interface GuestStdio {
  readonly stdin: InputSource;
  readonly stdout: OutputSink;
  readonly stderr: OutputSink;
}

/**
 * PROGRAM as the caller gave it: bytes, a `.wasm` path, or a catalog tool
 * name, which the policy's `tools.allow` must grant.
 */
export async function resolveProgram(
  platform: Platform,
  policy: Policy,
  program: string | Uint8Array,
  authority: Authority,
): Promise<ResolvedProgram> {
  if (typeof program !== 'string' || !isToolName(program)) {
    const loaded = await platform.loadProgram(program);
    return { program: loaded, name: loaded.name, argv0: loaded.name, mounts: [], env: {} };
  }
  requireTool(policy, program, authority);
  if (platform.launchTool === undefined) {
    throw new GoodbotError('not-found', `${program}: this platform has no tool catalog`, {
      hint: 'give the program as a .wasm path or as bytes',
      path: program,
    });
  }
  const launch = await platform.launchTool(program);
  for (const mount of launch.mounts) {
    const zone = policy.zones.find((z) => overlaps(z.guestPath, mount.guestPath));
    if (zone !== undefined) {
      throw new GoodbotError('policy', `zone '${zone.name}' at ${zone.guestPath} overlaps ${mount.guestPath}, which ${program} mounts for itself`, {
        field: `sandbox.zones[${policy.zones.indexOf(zone)}].guestPath`,
        hint: 'mount the zone at another guest path',
      });
    }
  }
  return launch;
}

/** The program for a run with ARGS and ENV: the tool's program started from scratch when its snapshot cannot serve the run. */
export async function programFor(
  resolved: ResolvedProgram,
  args: readonly string[],
  env: readonly (readonly [string, string])[],
): Promise<LoadedProgram> {
  const scratch = resolved.fromScratch;
  return scratch !== undefined && needsFromScratch(scratch.when, args, env) ? scratch.load() : resolved.program;
}

/** Throws unless the policy's `tools.allow` grants NAME (the refusal is recorded). */
export function requireTool(policy: Policy, name: string, authority: Authority): void {
  if (!authority.mayRunTool(policy.tools, name)) {
    throw new GoodbotError('policy', `the policy does not allow the tool '${name}'`, {
      field: 'sandbox.tools.allow',
      hint: `add '${name}' to sandbox.tools.allow to let it run`,
    });
  }
}

/** The run's working folder, normalized; it must be an absolute guest path. */
export function workingFolder(cwd: string | undefined): string {
  if (cwd === undefined) return '/';
  if (!cwd.startsWith('/')) {
    throw new GoodbotError('usage', `the working folder '${cwd}' is not an absolute guest path`, {
      field: 'cwd',
      hint: 'give it from /, e.g. /work/src',
    });
  }
  return normalizeAbsolute(cwd);
}

/**
 * PWD tells the tools built for preview1 where to start
 * (wasm-tools/lib/initial-cwd.c; components get `initial-cwd` instead). It
 * wins over any PWD from the policy or the host: it is the run's working
 * folder, not a variable.
 */
export function withWorkingFolder(env: readonly (readonly [string, string])[], cwd: string): [string, string][] {
  const rest = env.filter(([name]) => cwd === '/' || name !== 'PWD').map(([name, value]): [string, string] => [name, value]);
  return cwd === '/' ? rest : [...rest, ['PWD', cwd]];
}

/** What a run starts with: the program as `run.start` names it, its argv, its own variables and zones besides the policy's. */
export interface WasmRunStart {
  readonly program: string;
  readonly programKind: RunOutcome['program']['kind'];
  readonly args: readonly string[];
  readonly toolEnv?: Readonly<Record<string, string>>;
  readonly toolZones?: readonly ZoneSpec[];
}

/** A run's working folder, secrets and environment: worked out before it starts, when nothing is timed yet. */
export interface WasmRunEnvironment {
  readonly cwd: string;
  readonly secrets: RunSecrets;
  readonly env: [string, string][];
}

export function wasmRunEnvironment(platform: Platform, job: BackendJob, toolEnv?: Readonly<Record<string, string>>): WasmRunEnvironment {
  const { policy, request } = job;
  const cwd = workingFolder(request.cwd ?? policy.cwd);
  const secrets = runSecrets(platform, policy, request);
  const env = withWorkingFolder(guestEnvironment(policy.env, request.hostEnv ?? platform.hostEnv(), request.env, toolEnv, secrets), cwd);
  return { cwd, secrets, env };
}

/**
 * Starts a WebAssembly run for JOB (its clock starts here): its `run.start`
 * report, and the policy's zones (and START's own) mounted over the
 * request's stdio, in ENVIRONMENT. The caller runs in it and closes it.
 */
export function startWasmRun(
  platform: Platform,
  job: BackendJob,
  authority: Authority,
  start: WasmRunStart,
  environment: WasmRunEnvironment = wasmRunEnvironment(platform, job, start.toolEnv),
): { run: WasmRun; stdio: GuestStdio; env: [string, string][]; cwd: string } {
  const { request, reporter, policy } = job;
  const startedAt = performance.now();
  const { cwd, secrets, env } = environment;
  reporter.started({ program: start.program, programKind: start.programKind, args: start.args, backend: 'wasm', env });
  const run = new WasmRun(platform, job, authority, startedAt, secrets);
  try {
    const stdio = { stdin: stdinOf(request.stdin, request.terminal?.stdin ?? false), stdout: run.sink('stdout'), stderr: run.sink('stderr') };
    run.mount([...policy.zones, ...(start.toolZones ?? [])], stdio);
    run.checkWorkingFolder(cwd);
    return { run, stdio, env, cwd };
  } catch (error) {
    run.close();
    throw error;
  }
}

/** The request's stdin as the guest reads it. */
function stdinOf(stdin: ExecRequest['stdin'], isTerminal: boolean): InputSource {
  if (stdin === undefined) return emptyInput;
  if (typeof stdin === 'string') return new BufferedInput(new TextEncoder().encode(stdin));
  if (stdin instanceof Uint8Array) return new BufferedInput(stdin);
  return isTerminal ? { read: (max, wait) => stdin.read(max, wait), isTerminal } : stdin;
}

/**
 * One WebAssembly run's shared parts: its authority, limiter (one budget of
 * fuel, time and output for everything it runs), network gate, descriptor
 * budget, clock, random source and mounted zones. Programs run in it one
 * after another on the calling thread: the run's own program, or, for a
 * shell, each command it starts. {@link close} unmounts and disconnects.
 */
export class WasmRun {
  readonly limiter: RunLimiter;
  readonly network: NetworkGate;
  readonly random: RandomSource;
  readonly clock: WasiClock;
  /** The policy's zones, `/dev` and `/`, mounted by {@link mount}. */
  readonly volumes: ZoneVolume[] = [];
  /** Zones a catalog tool mounts for itself (python's standard library…), mounted the first time it runs. */
  private readonly toolVolumes = new Map<string, ZoneVolume>();
  private readonly descriptors: DescriptorBudget;
  private stdio: GuestStdio | undefined;
  private readonly fuelPool: SharedFuelPool | undefined;
  private threads: ProcessThreads | undefined;

  constructor(
    private readonly platform: Platform,
    private readonly job: BackendJob,
    readonly authority: Authority,
    readonly startedAt: number,
    /** Whose placeholders the run's requests to their hosts carry replaced. */
    secrets: RunSecrets,
  ) {
    const { policy } = job;
    // With threads to run programs apart, the run's fuel lives in shared memory, one pool for all of them.
    this.fuelPool = platform.startProcessThread && new SharedFuelPool(policy.limits.fuel === undefined ? undefined : BigInt(policy.limits.fuel));
    this.limiter = new RunLimiter(policy.limits, startedAt, () => job.isCancelled(), this.fuelPool);
    const openNetwork = platform.openNetwork === undefined ? undefined : () => platform.openNetwork!();
    this.descriptors = new DescriptorBudget(policy.limits.files);
    this.network = new NetworkGate(policy.network, authority, openNetwork, this.limiter, this.descriptors, secrets);
    this.random = policy.deterministic ? new SeededRandom(policy.deterministic.seed) : platform.random;
    const host = platform.createClock();
    this.clock = this.limiter.clock(policy.deterministic ? new VirtualClock((ns) => host.sleep(ns)) : host);
  }

  /** A sink for the run's STREAM: counted against the output cap, then reported. */
  sink(stream: 'stdout' | 'stderr'): OutputSink {
    const { limiter, job } = this;
    return new CallbackOutput((written) => {
      // WRITTEN may be a view of the guest's memory, which is zeroed and handed to another guest once this one ends.
      const chunk = limiter.admitOutput(written).slice();
      if (chunk.length > 0) job.reporter.output(stream, chunk, limiter);
      if (limiter.tripped !== undefined) throw limiter.tripped;
    }, job.request.terminal?.[stream] ?? false);
  }

  /** Mounts ZONES (the policy's and the first program's own), `/dev` over STDIO and `/`. */
  mount(zones: readonly ZoneSpec[], stdio: GuestStdio): void {
    this.stdio = stdio;
    for (const spec of runZoneSpecs(zones)) this.volumes.push(this.mountOne(spec));
  }

  private mountOne(spec: ZoneSpec): ZoneVolume {
    // Only a scratch zone takes a session's files: never a read-only or internal one (a tool's library).
    const image = isScratchZone(spec) ? this.job.request.session?.zones?.[spec.name] : undefined;
    const store = spec.kind === 'devices' ? new DeviceFolderStore({ ...this.stdio!, random: this.random }) : this.platform.zoneStore(spec, image);
    const volume = new ZoneVolume(spec, store, this.authority, { descriptors: this.descriptors });
    this.job.reporter.zoneMounted(spec);
    return volume;
  }

  /** Refuses a working folder that is no folder of the run's zones: every relative path would fail otherwise. */
  checkWorkingFolder(cwd: string): void {
    if (cwd === '/') return;
    const volume = [...this.volumes]
      .filter((v) => isWithin(v.spec.guestPath, cwd))
      .sort((a, b) => b.spec.guestPath.length - a.spec.guestPath.length)[0];
    let type: string | undefined;
    try {
      const relative = volume === undefined ? undefined : cwd.slice(volume.spec.guestPath === '/' ? 1 : volume.spec.guestPath.length + 1) || '.';
      // A zone's own root was just opened as a folder: no need to ask the host again.
      if (relative === '.') return;
      type = volume?.statAt(volume.root, relative!, true).type;
    } catch (error) {
      if (!(error instanceof ErrnoError)) throw error;
    }
    if (type !== 'directory') {
      throw new GoodbotError('zone', `the working folder ${cwd} ${type === undefined ? "does not exist in the run's zones" : 'is not a folder'}`, {
        field: 'cwd',
        path: cwd,
        hint: 'use a folder inside one of the zones',
      });
    }
  }

  /** The run's zones as preopens, with PROGRAM's own mounts (mounted now if this is its first run here). */
  preopens(program?: Pick<ResolvedProgram, 'mounts'>): Preopen[] {
    const own = (program?.mounts ?? []).map((spec) => {
      let volume = this.toolVolumes.get(spec.name);
      if (volume === undefined) {
        volume = this.mountOne(spec);
        this.toolVolumes.set(spec.name, volume);
      }
      return volume;
    });
    // The program's mounts come before `/dev` and `/`, as they do for a run's own program.
    const volumes = [...this.volumes.filter((v) => !v.spec.internal), ...own, ...this.volumes.filter((v) => v.spec.internal)];
    return volumes.map((volume) => ({ guestPath: volume.spec.guestPath, dir: volume.root }));
  }

  /** Runs PROGRAM to its end on this thread, in the run. */
  runProgram(
    program: LoadedProgram,
    args: readonly string[],
    env: readonly (readonly [string, string])[],
    cwd: string,
    stdio: GuestStdio,
    preopens: readonly Preopen[],
  ): GuestOutcome {
    if (this.limiter.checkCancelled()) return { kind: 'limit', limit: this.limiter.tripped! };
    this.job.reporter.flush?.();
    const volumes = [...this.volumes, ...this.toolVolumes.values()];
    const ctx: WasiContext = {
      args,
      env,
      cwd,
      preopens,
      volumes,
      ...stdio,
      clock: this.clock,
      random: this.random,
      authority: this.authority,
      network: this.network,
      limiter: this.limiter,
    };
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

  /**
   * The run's programs on threads of their own (a pipeline's commands), or
   * undefined where they cannot run apart: a platform without threads, or
   * a run whose clock and random source must be reproducible or that may
   * use the network (its sockets live on this thread).
   */
  processThreads(): ProcessThreads | undefined {
    const { platform, job } = this;
    if (platform.startProcessThread === undefined || this.fuelPool === undefined) return undefined;
    if (job.policy.deterministic || job.policy.network.allow.length > 0) return undefined;
    this.threads ??= new ProcessThreads(() => platform.startProcessThread!(), this.limiter, this.fuelPool, this.authority, this.startedAt);
    return this.threads;
  }

  /** The run's outcome from how its program ended (or the shell's exit status). */
  outcome(ended: GuestOutcome, program: RunOutcome['program']): RunOutcome {
    const { limiter } = this;
    limiter.guestEnded();
    // Programs that ran apart gave back what they did not burn: the pool now tells what the whole run used.
    if (this.threads !== undefined && limiter.metered) limiter.settleFuel();
    // The first limit reached decides, even if the guest caught its error and exited.
    const limit = limiter.tripped ?? (ended.kind === 'limit' ? ended.limit : undefined);
    return {
      status: limit ? limit.limit : ended.kind === 'exit' ? 'exited' : 'trapped',
      exitCode: limit ? ExitStatus.limit : ended.kind === 'exit' ? ended.code : ExitStatus.trap,
      durationMs: performance.now() - this.startedAt,
      denialCount: this.authority.denialCount,
      ...(ended.kind === 'trap' && !limit && { trap: ended.trap }),
      ...(limit && { limit: { kind: limit.limit, message: limit.message } }),
      ...(limiter.fuelConsumed !== undefined && { fuelConsumed: limiter.fuelConsumed }),
      backend: 'wasm',
      program,
    };
  }

  /**
   * What the run's scratch zones hold now, for a session: the images of the
   * read-write memory zones it changed (call after its programs have ended).
   */
  changedZones(): Record<string, ZoneImage> {
    const images: Record<string, ZoneImage> = {};
    for (const volume of this.volumes) {
      const { spec, store } = volume;
      if (isScratchZone(spec) && store instanceof MemoryFolderStore && store.changed) {
        images[spec.name] = captureImage(store.volume, store.image);
      }
    }
    return images;
  }

  /** Whatever ended the run (exit, trap, limit, host failure), its sockets, broker and zones go with it (stop its process threads first). */
  close(): void {
    this.network.close();
    for (const volume of [...this.volumes, ...this.toolVolumes.values()]) volume.unmount();
  }
}
