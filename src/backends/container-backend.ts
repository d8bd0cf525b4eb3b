import { concatBytes } from '../bytes.js';
import { ExitStatus, GoodbotError } from '../errors.js';
import { RunLimiter } from '../limits/run-limiter.js';
import { guestEnvironment } from '../policy/environment.js';
import type { Platform } from './platform.js';
import type { ExecRequest } from './exec-request.js';
import { LimitInterrupt } from '../limits/limit-interrupt.js';
import { NetworkGate } from '../wasi/common/network-gate.js';
import { readInput } from '../wasi/common/stdio.js';
import { reportingAuthority, type Backend, type BackendJob, type RunOutcome } from './backend.js';
import { defaultPath, trustStorePath } from './container.js';
import { isWithin } from '../policy/guest-path.js';
import { runSecrets } from './run-secrets.js';

/**
 * A run of a native program, in a hardened container (Docker) or in new
 * Linux namespaces (bubblewrap), with the same policy, events, audit
 * records, statuses and exit codes as a WebAssembly run: the zones become
 * mounts, the environment is the policy's grant, and the limits that apply
 * to a native process (timeout, memory, output, cancel) end it the same way.
 * Network grants are decided by the same gate as on the wasm backend, for
 * each request the sandbox makes through its egress proxy.
 * Fuel counts WebAssembly instructions and is refused here.
 */
export class ContainerBackend implements Backend {
  constructor(
    private readonly platform: Platform,
    readonly name: 'docker' | 'namespace',
  ) {}

  async run(job: BackendJob): Promise<RunOutcome> {
    const { runId, policy, request, reporter } = job;
    const platform = this.platform;
    const runNative = this.name === 'docker' ? platform.runContainer?.bind(platform) : platform.runNamespace?.bind(platform);
    if (runNative === undefined) {
      throw new GoodbotError('usage', `this platform has no ${this.name} backend`, { hint: "use backend 'wasm'", field: 'sandbox.backend' });
    }
    if (policy.limits.fuel !== undefined) {
      throw new GoodbotError('policy', `fuel counts WebAssembly instructions and cannot limit a ${this.name} run`, {
        field: 'sandbox.limits.fuel',
        hint: 'limit the container with a timeout and memory instead',
      });
    }
    const seeded = policy.zones.find((zone) => zone.kind === 'memory' && (Object.keys(zone.files ?? {}).length > 0 || (zone.dirs ?? []).length > 0));
    if (seeded !== undefined) {
      throw new GoodbotError('policy', `zone '${seeded.name}' has initial files, which the ${this.name} backend's tmpfs cannot hold`, {
        field: `sandbox.zones[${policy.zones.indexOf(seeded)}].files`,
        hint: 'put the files in a host folder zone',
      });
    }
    if (typeof request.program !== 'string') {
      throw new GoodbotError('usage', `the ${this.name} backend runs a command by name, not WebAssembly bytes`, {
        hint: "use backend 'wasm'",
        field: 'sandbox.backend',
      });
    }
    const command = request.program;
    const secrets = runSecrets(platform, policy, request);
    const covering = secrets.any ? policy.zones.find((zone) => isWithin(zone.guestPath, trustStorePath)) : undefined;
    if (covering !== undefined) {
      throw new GoodbotError(
        'policy',
        `zone '${covering.name}' at ${covering.guestPath} covers ${trustStorePath}, where a run with secrets gets its certificates`,
        {
          field: `sandbox.zones[${policy.zones.indexOf(covering)}].guestPath`,
          hint: 'mount the zone elsewhere',
        },
      );
    }
    const env = Object.fromEntries(guestEnvironment(policy.env, request.hostEnv ?? platform.hostEnv(), request.env, {}, secrets));
    env['PATH'] ??= defaultPath;
    const started = performance.now();
    const limiter = new RunLimiter(policy.limits, started, () => job.isCancelled());
    const stdin = readAll(request.stdin, limiter);
    const argv = [command, ...(request.args ?? [])];
    reporter.started({ program: command, programKind: 'container', args: argv, backend: this.name, env: Object.entries(env) });
    for (const zone of policy.zones) reporter.zoneMounted(zone);

    const authority = reportingAuthority(reporter);
    // No transport: the gate only decides; the backend's egress proxy does the I/O.
    const network =
      policy.network.allow.length > 0
        ? { gate: new NetworkGate(policy.network, authority, undefined, undefined, undefined, secrets), authority, secrets }
        : undefined;
    const outcome = limiter.checkCancelled()
      ? undefined
      : await runNative({
          runId,
          policy,
          argv,
          cwd: request.cwd ?? policy.cwd ?? '/',
          env,
          stdin,
          limiter,
          ...(network !== undefined && { network }),
          onOutput: (stream, chunk) => {
            try {
              reporter.output(stream, chunk, limiter);
            } catch (error) {
              // A reader that held the output past the deadline: the run's timer stops the container.
              if (!(error instanceof LimitInterrupt)) throw error;
            }
          },
        });
    limiter.guestEnded();
    const limit = limiter.tripped;
    return {
      status: limit ? limit.limit : 'exited',
      exitCode: limit ? ExitStatus.limit : outcome!.exitCode,
      durationMs: performance.now() - started,
      denialCount: authority.denialCount,
      ...(limit && { limit: { kind: limit.limit, message: limit.message } }),
      backend: this.name,
      program: { name: command, kind: 'container' },
      ...(outcome && { image: outcome.image }),
      ...(outcome?.resourceControl !== undefined && { resourceControl: outcome.resourceControl }),
      ...(outcome?.prestarted !== undefined && { prestarted: outcome.prestarted }),
    };
  }
}

/**
 * The whole of stdin, read before the container starts (it gets it as a
 * file), within the run's deadline: a stdin that does not end by then ends
 * the run (LIMITER records why; the container never starts).
 */
function readAll(stdin: ExecRequest['stdin'], limiter: RunLimiter): Uint8Array {
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
