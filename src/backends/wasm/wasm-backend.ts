import { ExitStatus, GoodbotError } from '../../errors.js';
import { RunLimiter } from '../../limits/run-limiter.js';
import type { Authority } from '../../policy/authority.js';
import { guestEnvironment } from '../../policy/environment.js';
import { runZoneSpecs } from './run-zones.js';
import { overlaps } from '../../policy/guest-path.js';
import type { Policy } from '../../policy/types.js';
import type { Platform, ToolLaunch } from '../platform.js';
import type { LoadedProgram } from './loaded-program.js';
import type { ExecRequest } from '../exec-request.js';
import { isToolName } from '../../tools/catalog.js';
import type { WasiClock } from '../../limits/clock.js';
import type { WasiContext } from '../../wasi/common/context.js';
import { SeededRandom, VirtualClock } from '../../wasi/common/deterministic.js';
import { NetworkGate } from '../../wasi/common/network-gate.js';
import { BufferedInput, CallbackOutput, emptyInput, type InputSource } from '../../wasi/common/stdio.js';
import { DescriptorBudget } from '../../zones/descriptor-budget.js';
import { DeviceFolderStore } from '../../zones/device-folder.js';
import { ZoneVolume } from '../../zones/zone-volume.js';
import { reportingAuthority, type Backend, type BackendJob, type RunOutcome } from '../backend.js';
import type { GuestOutcome } from './outcome.js';

/**
 * WebAssembly on the calling thread: the program (a `.wasm` path, bytes, or
 * a catalog tool) runs under the WASI host, with the run's zones, limiter,
 * network gate and descriptor budget, all closed when it ends.
 */
export class WasmBackend implements Backend {
  readonly name = 'wasm';

  constructor(private readonly platform: Platform) {}

  async run(job: BackendJob): Promise<RunOutcome> {
    const { policy, request, reporter } = job;
    const authority = reportingAuthority(reporter);
    const { program, name, argv0, mounts, env: toolEnv } = await this.resolveProgram(policy, request.program, authority);
    const started = performance.now();
    const args = [request.argv0 ?? argv0, ...(request.args ?? [])];
    const env = guestEnvironment(policy.env, this.platform.hostEnv(), request.env, toolEnv);
    reporter.started({ program: name, programKind: program.kind, args, backend: 'wasm', env });

    const limiter = new RunLimiter(policy.limits, started, () => job.isCancelled());
    const platform = this.platform;
    const openNetwork = platform.openNetwork === undefined ? undefined : () => platform.openNetwork!();
    const descriptors = new DescriptorBudget(policy.limits.files);
    const network = new NetworkGate(policy.network, authority, openNetwork, limiter, descriptors);
    const volumes: ZoneVolume[] = [];
    const sink = (stream: 'stdout' | 'stderr') =>
      new CallbackOutput((written) => {
        const chunk = limiter.admitOutput(written);
        if (chunk.length > 0) reporter.output(stream, chunk, limiter);
        if (limiter.tripped !== undefined) throw limiter.tripped;
      }, request.terminal?.[stream] ?? false);

    try {
      const stdio = { stdin: stdinOf(request.stdin, request.terminal?.stdin ?? false), stdout: sink('stdout'), stderr: sink('stderr') };
      const random = policy.deterministic ? new SeededRandom(policy.deterministic.seed) : this.platform.random;
      for (const spec of runZoneSpecs([...policy.zones, ...mounts])) {
        const store = spec.kind === 'devices' ? new DeviceFolderStore({ ...stdio, random }) : this.platform.zoneStore(spec);
        volumes.push(new ZoneVolume(spec, store, authority, { descriptors }));
        reporter.zoneMounted(spec);
      }
      const ctx: WasiContext = {
        args,
        env,
        cwd: request.cwd ?? '/',
        preopens: volumes.map((volume) => ({ guestPath: volume.spec.guestPath, dir: volume.root })),
        volumes,
        ...stdio,
        clock: limiter.clock(this.guestClock(policy)),
        random,
        authority,
        network,
        limiter,
      };
      const outcome: GuestOutcome = limiter.checkCancelled() ? { kind: 'limit', limit: limiter.tripped! } : runGuest(program, ctx);
      limiter.guestEnded();
      // The first limit reached decides, even if the guest caught its error and exited.
      const limit = limiter.tripped ?? (outcome.kind === 'limit' ? outcome.limit : undefined);
      return {
        status: limit ? limit.limit : outcome.kind === 'exit' ? 'exited' : 'trapped',
        exitCode: limit ? ExitStatus.limit : outcome.kind === 'exit' ? outcome.code : ExitStatus.trap,
        durationMs: performance.now() - started,
        denialCount: authority.denialCount,
        ...(outcome.kind === 'trap' && !limit && { trap: outcome.trap }),
        ...(limit && { limit: { kind: limit.limit, message: limit.message } }),
        ...(limiter.fuelConsumed !== undefined && { fuelConsumed: limiter.fuelConsumed }),
        backend: 'wasm',
        program: { name, kind: program.kind },
      };
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
  private async resolveProgram(policy: Policy, program: string | Uint8Array, authority: Authority): Promise<ResolvedProgram> {
    if (typeof program !== 'string' || !isToolName(program)) {
      const loaded = await this.platform.loadProgram(program);
      return { program: loaded, name: loaded.name, argv0: loaded.name, mounts: [], env: {} };
    }
    if (!authority.mayRunTool(policy.tools, program)) {
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

  /** The host's clock, or a virtual one that only sleeps move (deterministic runs). */
  private guestClock(policy: Policy): WasiClock {
    const host = this.platform.createClock();
    return policy.deterministic ? new VirtualClock((ns) => host.sleep(ns)) : host;
  }
}

/** What runs: a catalog tool's launch, or a program given by path or bytes (no mounts, no env of its own). */
type ResolvedProgram = Omit<ToolLaunch, 'version'>;

function runGuest(program: LoadedProgram, ctx: WasiContext): GuestOutcome {
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
