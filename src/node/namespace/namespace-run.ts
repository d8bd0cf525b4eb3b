import { spawn } from 'node:child_process';
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { ContainerJob, ContainerOutcome } from '../../backends/container.js';
import { GoodbotError } from '../../errors.js';
import { formatMiB } from '../../policy/units.js';
import { defaultDescriptorLimit } from '../../zones/descriptor-budget.js';
import { containerUser } from '../docker/container-user.js';
import { engineSocket } from '../docker/engine-socket.js';
import { ContainerMounts, type HeldMount } from '../docker/mount-guard.js';
import { privateParent } from '../docker/run-files.js';
import { namespaceTools, type NamespaceTools } from './namespace-tools.js';
import { cgroupSite, createRunCgroup, type ResourceControl, type RunCgroup } from './run-cgroup.js';
import { initCommand, sandboxArguments, tmpBytes, type HeldBind, type RootEntry, type SandboxPlan } from './sandbox-arguments.js';
import { startRelayProxy, type RelayProxy } from './relay-proxy.js';

/** A namespace run's outcome: a container's, and how its memory and processes were capped. */
export interface NamespaceOutcome extends ContainerOutcome {
  readonly resourceControl: ResourceControl;
}

/** How often a running sandbox's run is asked whether it was cancelled. */
const cancelPollMs = 50;

/** The launcher's exit status when it failed before bwrap ran (see ns-launcher.c). */
const launcherFailed = 125;

/** What bwrap and the launcher may say about a failure to set up, kept for the error. */
const setupMessageBytes = 16 * 1024;

/** Run users of a root goodbot: uids no account has, one per run of a process (see {@link sandboxHostUser}). */
const sandboxUidBase = 0x6000_0000;
let nextSlot = 0;

/**
 * The host uid a root goodbot's sandbox runs as: one of a range no account
 * uses, different for each run of this process (and, from the pid, most
 * likely of other processes), so no other process shares it: a process of
 * the same uid could signal, trace or enter the sandbox.
 */
function sandboxHostUser(): { uid: number; gid: number } {
  const id = sandboxUidBase + (((process.pid & 0xffff) << 8) | (nextSlot++ & 0xff));
  return { uid: id, gid: id };
}

/**
 * Runs JOB in new Linux namespaces through bubblewrap, under the policy:
 * the tools image's userland read-only, host zones as bind mounts of the
 * folders goodbot checked and holds open (handed over as descriptors, so no
 * path can be swapped in between), in-memory zones as sized tmpfs, the
 * environment and stdin passed through descriptors, a seccomp filter, and
 * caps on memory and processes (a cgroup where this machine allows, else
 * rlimits). Output streams to the job as it comes; at the deadline, on
 * cancel or past the output cap the whole sandbox is killed (its pid
 * namespace ends with its first process).
 *
 * Run by root, the sandbox runs as a uid of its own, and every zone is an
 * idmapped mount in which the folder's owner is that uid: what the guest
 * writes belongs to the folder's owner, root-owned folders included, while
 * the guest is never uid 0 on the host. Run by another user, it runs as that
 * user.
 */
export async function runNamespace(job: ContainerJob, toolDirs: readonly string[] = []): Promise<NamespaceOutcome> {
  const { policy } = job;
  const tools = namespaceTools();
  const memoryZones = policy.zones.filter((zone) => zone.kind === 'memory');
  const mounts = ContainerMounts.open(policy.zones, policy.docker, engineSocket(), toolDirs);
  let cgroup: RunCgroup | undefined;
  let relay: RelayProxy | undefined;
  try {
    const site = cgroupSite();
    const memoryBytes = policy.limits.memoryBytes ?? policy.docker.memoryBytes;
    if (site !== undefined) cgroup = createRunCgroup(site, job.runId, memoryBytes, policy.docker.pids);
    if (job.network !== undefined) relay = await startRelayProxy(job.network);
    const outcome = await runSandbox(job, tools, mounts, memoryZones, cgroup, relay);
    if (cgroup?.oomKilled() === true) {
      job.limiter.trip('memory-limit', `the sandbox ran out of memory at its ${formatMiB(memoryBytes)} limit`);
    }
    return { exitCode: outcome, image: tools.rootfs.ref, resourceControl: cgroup?.control ?? 'rlimit' };
  } finally {
    mounts.close();
    await relay?.close();
    cgroup?.remove();
  }
}

async function runSandbox(
  job: ContainerJob,
  tools: NamespaceTools,
  mounts: ContainerMounts,
  memoryZones: ContainerJob['policy']['zones'],
  cgroup: RunCgroup | undefined,
  relay: RelayProxy | undefined,
): Promise<number> {
  const { policy, limiter } = job;
  const root = process.getuid?.() === 0;
  // Descriptors in the launcher: 0-2 stdio (2 is bwrap's own), 3 bwrap's options, 4 the command's stderr,
  // then the held zones, the proxy's socket, and the filter.
  const firstHeld = 5;
  const binds: HeldBind[] = mounts.binds.map((bind, index) => ({ fd: firstHeld + index, target: bind.target, readOnly: bind.readOnly }));
  const relayFd = firstHeld + binds.length;
  const seccompFd = relayFd + (relay === undefined ? 0 : 1);
  const plan: SandboxPlan = {
    rootfs: tools.rootfs.root,
    rootEntries: rootEntries(tools.rootfs.root),
    binds,
    memoryZones: memoryZones.map((zone) => ({ guestPath: zone.guestPath, bytes: zone.quotaBytes ?? tmpBytes, readOnly: zone.access === 'ro' })),
    init: tools.init,
    cwd: job.cwd,
    env: relay === undefined ? job.env : { ...job.env, ...relay.environment },
    seccompFd,
    stderrFd: 4,
    ...(relay !== undefined && { relay: { fd: relayFd, port: relay.port } }),
  };
  const files = policy.limits.files ?? defaultDescriptorLimit;
  const launcherArgs = ['--seccomp-fd', String(seccompFd), '--rlimit', 'nofile', String(files), '--rlimit', 'core', '0'];
  for (const dir of cgroup?.dirs ?? []) launcherArgs.push('--cgroup', dir);
  if (cgroup === undefined) {
    launcherArgs.push('--rlimit', 'as', String(policy.limits.memoryBytes ?? policy.docker.memoryBytes));
    launcherArgs.push('--rlimit', 'nproc', String(policy.docker.pids));
  }
  if (root) {
    const user = sandboxHostUser();
    launcherArgs.push('--stage', privateParent());
    binds.forEach((bind, index) => {
      const held = (mounts.binds[index] as HeldMount).held;
      launcherArgs.push('--idmap', String(bind.fd), String(held.uid), String(held.gid));
    });
    if (relay !== undefined) launcherArgs.push('--stage-bind', String(relayFd));
    launcherArgs.push('--user', String(user.uid), String(user.gid));
  } else {
    containerUser(mounts.binds); // refuses a read-write zone this user cannot write
  }
  const bwrapOptions = sandboxArguments(plan);
  const child = spawn(tools.launcher, [...launcherArgs, '--', tools.bwrap, '--args', '3', ...initCommand(plan, job.argv)], {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe', ...mounts.descriptors, ...(relay === undefined ? [] : [relay.fd])],
    env: {},
  });
  const stdio = child.stdio as unknown as [Writable, NodeJS.ReadableStream, NodeJS.ReadableStream, Writable, NodeJS.ReadableStream];
  const timers: ReturnType<typeof setTimeout>[] = [];
  let killed = false;
  const kill = () => {
    if (killed) return;
    killed = true;
    child.kill('SIGKILL');
  };
  let setupMessage = '';
  stdio[2].on('data', (chunk: Buffer) => {
    if (setupMessage.length < setupMessageBytes) setupMessage += chunk.toString('utf8');
  });
  const sink = (stream: 'stdout' | 'stderr', readable: NodeJS.ReadableStream) =>
    readable.on('data', (chunk: Buffer) => {
      const admitted = limiter.admitOutput(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if (admitted.length > 0) job.onOutput(stream, admitted.slice());
      if (limiter.tripped?.limit === 'output-limit') kill();
    });
  sink('stdout', stdio[1]);
  sink('stderr', stdio[4]);
  const drained = Promise.all([stdio[1], stdio[2], stdio[4]].map((stream) => new Promise((resolve) => stream.once('close', resolve))));
  for (const writable of [stdio[0], stdio[3]]) writable.on('error', () => {}); // the sandbox may end without reading
  stdio[3].end(Buffer.from(bwrapOptions.map((arg) => `${arg}\0`).join('')));
  stdio[0].end(job.stdin);
  if (limiter.deadline !== undefined) {
    timers.push(
      setTimeout(
        () => {
          limiter.tripTimeout();
          kill();
        },
        Math.max(0, limiter.deadline - performance.now()),
      ),
    );
  }
  timers.push(
    setInterval(() => {
      if (limiter.checkCancelled()) kill();
    }, cancelPollMs) as unknown as ReturnType<typeof setTimeout>,
  );
  try {
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    await drained;
    if (killed || limiter.tripped !== undefined) return 128 + 9;
    if (exit.code === null) return 128 + signalNumber(exit.signal);
    const failure = setupFailure(exit.code, setupMessage);
    if (failure !== undefined) throw failure;
    return exit.code;
  } catch (error) {
    if (error instanceof GoodbotError) throw error;
    throw new GoodbotError('runtime', `the namespace sandbox could not start: ${(error as Error)?.message ?? error}`, {
      hint: 'check the namespace backend with goodbot doctor',
      cause: error,
    });
  } finally {
    for (const timer of timers) clearTimeout(timer);
    kill();
  }
}

/**
 * A failure of the launcher or of bwrap before the command ran: they write
 * to their own stderr, which the command never gets, so anything there is
 * theirs. Nothing there: the command's own exit status.
 */
function setupFailure(code: number, message: string): GoodbotError | undefined {
  const text = message.trim();
  if (text === '') return undefined;
  const launcher = code === launcherFailed && text.startsWith('ns-launcher:');
  const mapping = /idmapped|mount_setattr/.test(text);
  return new GoodbotError(mapping ? 'zone' : 'runtime', `the namespace sandbox could not be set up: ${text.split('\n')[0]}`, {
    hint: mapping
      ? "a zone's file system cannot be idmapped here; run goodbot as the folder's owner, or use the docker backend"
      : launcher
        ? 'check the namespace backend with goodbot doctor'
        : 'check the zones and the working folder (bwrap refused them), or run goodbot doctor',
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGSEGV: 11, SIGABRT: 6 };
  return (signal !== null && numbers[signal]) || 9;
}

const entriesOf = new Map<string, RootEntry[]>();

/** The top-level entries of the root filesystem at ROOT (read once per process). */
function rootEntries(root: string): RootEntry[] {
  let entries = entriesOf.get(root);
  if (entries === undefined) {
    entries = readdirSync(root).map((name) => {
      const path = join(root, name);
      return lstatSync(path).isSymbolicLink() ? { name, symlink: readlinkSync(path) } : { name };
    });
    entriesOf.set(root, entries);
  }
  return entries;
}
