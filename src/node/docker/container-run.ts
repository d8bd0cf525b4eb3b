import { formatMiB } from '../../policy/units.js';
import type Docker from 'dockerode';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { GoodbotError } from '../../errors.js';
import { containerStopGraceMs as stopGraceMs, type ContainerJob, type ContainerOutcome } from '../../backends/container.js';
import { containerOptions } from './container-config.js';
import { dockerEngine, engineStatus } from './engine.js';
import { policyEngineSocket } from './engine-socket.js';
import { engineProfile, refuseUnfitEngine, type EngineProfile } from './engine-profile.js';
import { toolsImageRef } from './image-ref.js';
import { containerUser } from './container-user.js';
import { createEgressNetwork, removeEgressNetwork, type EgressNetwork } from './egress-network.js';
import { EgressProxy } from './egress-proxy.js';
import { closeHostToBridge, type HostFirewall } from './host-firewall.js';
import { ContainerMounts } from './mount-guard.js';
import { RunFiles, TRUST_FILE } from './run-files.js';
import { certificateLifetime } from './run-certificates.js';
import { trustBundle, trustEnvironment } from './sandbox-trust.js';
import { proxyEnvironment } from './proxy-environment.js';
import { defaultDescriptorLimit } from '../../zones/descriptor-budget.js';

/** How often a running container's run is asked whether it was cancelled. */
const cancelPollMs = 50;

/**
 * Runs JOB in a fresh, hardened container and removes it, whatever happens.
 * Output streams to the job as it comes, counted against the output cap
 * (past it, the container is killed at once). At the deadline or on cancel
 * the command gets SIGTERM, then SIGKILL after a grace period. A container
 * the kernel's OOM killer stopped ends the run with `memory-limit`. With
 * network grants the container joins an internal network of its own whose
 * only way out is the run's egress proxy; both go when the run ends.
 */
export async function runContainer(job: ContainerJob, client?: Docker, toolDirs: readonly string[] = []): Promise<ContainerOutcome> {
  const { policy } = job;
  const image = policy.docker.image ?? toolsImageRef();
  const socket = policyEngineSocket(policy.docker);
  const engine = client ?? dockerEngine(socket);
  const field = policy.docker.engine === undefined ? undefined : 'sandbox.docker.engine';
  const profile = await engineProfile(engine, socket).catch(async (error: unknown) => {
    await engineStatus(engine, socket, field); // says how to start an engine when none answers
    throw error;
  });
  refuseUnfitEngine(profile, socket, job.network !== undefined);
  const mounts = ContainerMounts.open(policy.zones, policy.docker, socket, toolDirs);
  try {
    return await runWithMounts(job, { engine, socket, field, profile }, image, mounts);
  } finally {
    mounts.close();
  }
}

/** The engine a run goes to: its client, its socket, the policy's field that named it (if one did) and what it is. */
interface RunEngine {
  readonly engine: Docker;
  readonly socket: string;
  readonly field: string | undefined;
  readonly profile: EngineProfile;
}

async function runWithMounts(
  job: ContainerJob,
  { engine, socket, field, profile }: RunEngine,
  image: string,
  mounts: ContainerMounts,
): Promise<ContainerOutcome> {
  const { policy, limiter } = job;
  const binds = mounts.binds;
  const memoryZones = policy.zones.filter((zone) => zone.kind === 'memory');
  const user = containerUser(binds);
  let files: RunFiles | undefined;
  let network: EgressNetwork | undefined;
  let proxy: EgressProxy | undefined;
  let firewall: HostFirewall | undefined;
  let container: Docker.Container | undefined;
  const timers: ReturnType<typeof setTimeout>[] = [];
  try {
    let env = job.env;
    if (job.network !== undefined) {
      network = await createEgressNetwork(engine, job.runId);
      proxy = await EgressProxy.start({
        ...job.network,
        listen: { address: network.gateway, clientSubnet: network.subnet },
        certificatesValidForMs: certificateLifetime(policy),
      });
      firewall = await closeHostToBridge({ runId: job.runId, bridge: network.bridge, proxyAddress: network.gateway, proxyPort: proxy.port });
      env = { ...env, ...proxyEnvironment(proxy.url), ...(proxy.certificateAuthority !== undefined && trustEnvironment()) };
    }
    const authority = proxy?.certificateAuthority;
    files = new RunFiles(env, job.stdin, user, authority === undefined ? undefined : trustBundle(authority.certificate));
    container = await engine.createContainer(
      containerOptions({
        image,
        ...(policy.docker.runtime !== undefined && { runtime: policy.docker.runtime }),
        runId: job.runId,
        hostPid: process.pid,
        argv: job.argv,
        cwd: job.cwd,
        user,
        binds,
        memoryZones,
        runFilesDir: files.dir,
        ...(authority !== undefined && { trustStore: join(files.dir, TRUST_FILE) }),
        memoryBytes: policy.limits.memoryBytes ?? policy.docker.memoryBytes,
        cpus: policy.docker.cpus,
        pids: policy.docker.pids,
        files: policy.limits.files ?? defaultDescriptorLimit,
        ...(network !== undefined && { network: network.name }),
        // Rootless podman: the container's user is goodbot's own user on the host, so zones are theirs to read and write.
        ...(profile.rootless && { keepUserId: true }),
      }),
    );
    const running = container;
    let stopping = false;
    const stop = (graceMs: number) => {
      if (stopping) return;
      stopping = true;
      void running.kill({ signal: graceMs > 0 ? 'SIGTERM' : 'SIGKILL' }).catch(() => {});
      if (graceMs > 0) timers.push(setTimeout(() => void running.kill({ signal: 'SIGKILL' }).catch(() => {}), graceMs));
    };
    const sink = (stream: 'stdout' | 'stderr') =>
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          const admitted = limiter.admitOutput(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if (admitted.length > 0) job.onOutput(stream, admitted.slice());
          if (limiter.tripped?.limit === 'output-limit') stop(0);
          done();
        },
      });
    const stdout = sink('stdout');
    const stderr = sink('stderr');
    const attached = await container.attach({ stream: true, stdout: true, stderr: true });
    const drained = new Promise<void>((resolve) =>
      attached
        .on('end', resolve)
        .on('close', resolve)
        .on('error', () => resolve()),
    );
    container.modem.demuxStream(attached, stdout, stderr);

    await container.start();
    // The command waits at the gate until the mounts it got are known to be the folders checked
    // (a container already gone, pid 0, never passed the gate and runs nothing).
    const pid = binds.length > 0 ? (await container.inspect()).State.Pid : 0;
    if (pid > 0) mounts.verify(pid);
    mounts.close();
    files.release();
    if (limiter.deadline !== undefined) {
      timers.push(
        setTimeout(
          () => {
            limiter.tripTimeout();
            stop(stopGraceMs);
          },
          Math.max(0, limiter.deadline - performance.now()),
        ),
      );
    }
    const poll = setInterval(() => {
      if (limiter.checkCancelled()) stop(stopGraceMs);
    }, cancelPollMs);
    timers.push(poll as unknown as ReturnType<typeof setTimeout>);

    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    await drained;
    const state = (await container.inspect()).State;
    if (state.OOMKilled)
      limiter.trip(
        'memory-limit',
        `the container ran out of memory at its ${formatMiB(policy.limits.memoryBytes ?? policy.docker.memoryBytes)} limit`,
      );
    return { exitCode: StatusCode, image };
  } catch (error) {
    if (error instanceof GoodbotError) throw error;
    // Asked only now, so a run pays no extra round trips to the engine: a
    // refused create names the missing image; otherwise, is the engine there?
    if (container === undefined && (error as { statusCode?: number }).statusCode === 404) {
      throw new GoodbotError('engine', `the container image ${image} is not there`, {
        hint:
          policy.docker.image === undefined
            ? 'build it: goodbot docker build-image (npm run setup does)'
            : 'load or build that image, or remove sandbox.docker.image',
        path: image,
        cause: error,
      });
    }
    const runtime = policy.docker.runtime;
    if (container === undefined && runtime !== undefined && /runtime/i.test(String((error as Error)?.message))) {
      throw new GoodbotError('engine', `the Docker engine has no runtime named '${runtime}'`, {
        field: 'sandbox.docker.runtime',
        hint:
          runtime === 'runsc'
            ? "register gVisor with the engine (npm run setup does: it installs Debian's runsc and adds it to /etc/docker/daemon.json)"
            : "register it in the engine's daemon.json (runtimes), or remove sandbox.docker.runtime",
        cause: error,
      });
    }
    await engineStatus(engine, socket, field);
    throw new GoodbotError('engine', `the Docker engine failed the run: ${(error as Error)?.message ?? error}`, {
      hint: 'check the engine with goodbot doctor',
      cause: error,
    });
  } finally {
    for (const timer of timers) clearTimeout(timer);
    await container?.remove({ force: true, v: true }).catch(() => {});
    await Promise.all([proxy?.close(), firewall?.remove(), network && removeEgressNetwork(engine, network).catch(() => {})]);
    files?.remove();
  }
}
