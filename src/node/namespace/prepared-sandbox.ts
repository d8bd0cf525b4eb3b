import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, lstatSync, openSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { trustStorePath, type ContainerJob } from '../../backends/container.js';
import { GoodbotError } from '../../errors.js';
import type { Policy } from '../../policy/types.js';
import { defaultDescriptorLimit } from '../../zones/descriptor-budget.js';
import { containerUser } from '../docker/container-user.js';
import { policyEngineSocket } from '../docker/engine-socket.js';
import { ContainerMounts, type HeldMount } from '../docker/mount-guard.js';
import { privateParent } from '../docker/run-files.js';
import { trustBundle } from '../docker/sandbox-trust.js';
import { namespaceTools, type NamespaceTools } from './namespace-tools.js';
import type { RelayProxy } from './relay-proxy.js';
import { cgroupSite, createRunCgroup, removeOrphanCgroups, type ResourceControl, type RunCgroup } from './run-cgroup.js';
import {
  initCommand,
  isFreshTopLevel,
  runRequest,
  sandboxArguments,
  tmpBytes,
  type HeldBind,
  type RootEntry,
  type SandboxPlan,
} from './sandbox-arguments.js';

/** How often a running sandbox's run is asked whether it was cancelled. */
const cancelPollMs = 50;

/** The launcher's exit status when it failed before bwrap ran (see ns-launcher.c). */
const launcherFailed = 125;

/** What bwrap, the launcher and init may say about a failure to set up, kept for the error. */
const setupMessageBytes = 16 * 1024;

/** Run users of a root goodbot: uids no account has, one per sandbox of a process (see {@link sandboxHostUser}). */
const sandboxUidBase = 0x6000_0000;
let nextSlot = 0;

/**
 * The host uid a root goodbot's sandbox runs as: one of a range no account
 * uses, different for each sandbox of this process (and, from the pid, most
 * likely of other processes), so no other process shares it: a process of
 * the same uid could signal, trace or enter the sandbox.
 */
function sandboxHostUser(): { uid: number; gid: number } {
  const id = sandboxUidBase + (((process.pid & 0xffff) << 8) | (nextSlot++ & 0xff));
  return { uid: id, gid: id };
}

/** What a sandbox is made for: everything of a run that its mounts, user and caps depend on. */
export interface SandboxShape {
  readonly policy: Policy;
  /** The platform's tool caches, which no zone may hand to a guest. */
  readonly toolDirs: readonly string[];
  /** The run's egress relay, with network grants. */
  readonly relay?: RelayProxy;
}

// Descriptors in the launcher: 0-1 nothing and 2 the setup's stderr (launcher, bwrap, init), 3 bwrap's
// options, 4 the command's stderr, 5 the run's request, 6 its stdin, 7 its stdout, 8 bwrap's status
// reports; then the held zones, the proxy's socket, the filter. The command's pipes are above 2, which
// bwrap's monitor closes: they close as soon as the command's processes end, not when bwrap does.
const stderrFd = 4;
const requestFd = 5;
const stdinFd = 6;
const stdoutFd = 7;
const statusFd = 8;
const firstHeld = 9;

let orphansRemoved = false;

/**
 * One namespace sandbox, made before its run is known: the launcher has
 * joined its cgroup, idmapped its zones and built its seccomp filter, bwrap
 * has made its namespaces and mounts, and goodbot's init waits for the run
 * on a descriptor (see {@link runRequest}). A sandbox serves one run and
 * is then disposed of: nothing of one run (its /tmp, its processes) meets
 * another.
 *
 * Run by root, the sandbox runs as a uid of its own, and every zone is an
 * idmapped mount in which the folder's owner is that uid: what the guest
 * writes belongs to the folder's owner, root-owned folders included, while
 * the guest is never uid 0 on the host. Run by another user, it runs as that
 * user.
 */
export class PreparedSandbox {
  private readonly stdio: [null, null, Socket, Writable, Socket, Writable, Writable, Socket, Socket];
  private readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The command's output pipes closed. */
  private readonly drained: Promise<unknown>;
  /** bwrap's stderr closed too. */
  private readonly setupDrained: Promise<unknown>;
  /** The command's exit status as bwrap reports it when the command ends; undefined if it never does (setup failed, killed). */
  private readonly reported: Promise<number | undefined>;
  private exited = false;
  private killed = false;
  private used = false;
  private setupMessage = '';
  private disposed: Promise<void> | undefined;

  private constructor(
    private readonly child: ChildProcess,
    /** The zones it mounted, as they were when it was made. */
    private readonly binds: readonly HeldMount[],
    private readonly cgroup: RunCgroup | undefined,
    readonly image: string,
  ) {
    this.stdio = child.stdio.slice(0, 9) as unknown as PreparedSandbox['stdio'];
    this.exit = new Promise((resolve, reject) => {
      child.once('error', (error) => {
        this.exited = true; // never started: not one to hand out
        reject(error);
      });
      child.once('exit', (code, signal) => {
        this.exited = true;
        resolve({ code, signal });
      });
    });
    this.exit.catch(() => {}); // a spawn error is reported by the run, or ends an idle sandbox quietly
    const closed = (stream: Socket) => new Promise((resolve) => stream.once('close', resolve));
    this.drained = Promise.all([closed(this.stdio[stdoutFd]), closed(this.stdio[stderrFd])]);
    this.setupDrained = closed(this.stdio[2]);
    this.stdio[2].on('data', (chunk: Buffer) => {
      if (this.setupMessage.length < setupMessageBytes) this.setupMessage += chunk.toString('utf8');
    });
    this.reported = exitReport(this.stdio[statusFd]);
    for (const writable of [this.stdio[3], this.stdio[requestFd], this.stdio[stdinFd]]) writable.on('error', () => {}); // the sandbox may end without reading
  }

  /**
   * Makes a sandbox of SHAPE: checks and opens its host zones (refusing what
   * a run would be refused), makes its cgroup (named with ID), and starts the
   * launcher. Its setup goes on in the background; a failure shows when it runs.
   */
  static start(shape: SandboxShape, id: string): PreparedSandbox {
    const { policy } = shape;
    const tools = namespaceTools();
    const mounts = ContainerMounts.open(policy.zones, policy.docker, policyEngineSocket(policy.docker), shape.toolDirs);
    let cgroup: RunCgroup | undefined;
    try {
      const site = cgroupSite();
      if (!orphansRemoved) {
        orphansRemoved = true;
        removeOrphanCgroups(site);
      }
      if (site !== undefined) cgroup = createRunCgroup(site, id, policy.limits.memoryBytes ?? policy.docker.memoryBytes, policy.docker.pids);
      const child = spawnLauncher(shape, tools, mounts, cgroup);
      return new PreparedSandbox(child, mounts.binds, cgroup, tools.rootfs.ref);
    } catch (error) {
      cgroup?.remove();
      throw error;
    } finally {
      mounts.close(); // the launcher holds its own copies
    }
  }

  get resourceControl(): ResourceControl {
    return this.cgroup?.control ?? 'rlimit';
  }

  /**
   * Is this sandbox still one that a run of SHAPE would get? Still waiting,
   * and the zones' checks, made again now, pass and find the very folders
   * it mounted: a zone that was since moved, swapped, given credentials at
   * its top or a `.git` to protect gets a new sandbox (which says why, if
   * it is refused).
   */
  fits(shape: SandboxShape): boolean {
    if (this.exited || this.used) return false;
    let now: ContainerMounts;
    try {
      now = ContainerMounts.open(shape.policy.zones, shape.policy.docker, policyEngineSocket(shape.policy.docker), shape.toolDirs);
    } catch {
      return false;
    }
    try {
      return (
        now.binds.length === this.binds.length &&
        now.binds.every((bind, index) => {
          const then = this.binds[index]!;
          return bind.target === then.target && bind.readOnly === then.readOnly && bind.held.dev === then.held.dev && bind.held.ino === then.held.ino;
        })
      );
    } finally {
      now.close();
    }
  }

  /** While it waits, the sandbox does not keep the process alive (it ends with it: --die-with-parent). */
  idle(waiting: boolean): void {
    const handles = [this.child, ...this.stdio.filter((stream) => stream !== null)] as { ref?: () => void; unref?: () => void }[];
    for (const handle of handles) {
      if (waiting) handle.unref?.();
      else handle.ref?.();
    }
  }

  /**
   * Runs JOB (with EXTRA_ENV, the relay's variables, over its environment):
   * hands init the request and the command its stdin, streams output to the
   * job as it comes, and at the deadline, on cancel or past the output cap
   * kills the whole sandbox (its pid namespace ends with its first process).
   * Resolves to the command's exit status.
   */
  async run(job: ContainerJob, extraEnv: Readonly<Record<string, string>> = {}): Promise<number> {
    if (this.used) throw new GoodbotError('runtime', 'a namespace sandbox serves one run', { hint: 'report this as a goodbot bug' });
    this.used = true;
    this.idle(false);
    const { limiter } = job;
    const sink = (stream: 'stdout' | 'stderr', readable: Socket) =>
      readable.on('data', (chunk: Buffer) => {
        const admitted = limiter.admitOutput(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if (admitted.length > 0) job.onOutput(stream, admitted.slice());
        if (limiter.tripped?.limit === 'output-limit') this.kill();
      });
    sink('stdout', this.stdio[stdoutFd]);
    sink('stderr', this.stdio[stderrFd]);
    const timers: ReturnType<typeof setTimeout>[] = [];
    try {
      this.stdio[requestFd].end(runRequest({ cwd: job.cwd, env: { ...job.env, ...extraEnv }, argv: job.argv }));
      this.stdio[stdinFd].end(job.stdin);
      if (limiter.deadline !== undefined) {
        timers.push(
          setTimeout(
            () => {
              limiter.tripTimeout();
              this.kill();
            },
            Math.max(0, limiter.deadline - performance.now()),
          ),
        );
      }
      timers.push(
        setInterval(() => {
          if (limiter.checkCancelled()) this.kill();
        }, cancelPollMs) as unknown as ReturnType<typeof setTimeout>,
      );
      const reported = await this.reported;
      // The usual end: the command's status, and its output in full once its pipes close. Without
      // waiting for bwrap itself, whose exit (its namespaces torn down) takes milliseconds more.
      if (reported !== undefined && reported !== launcherFailed && !this.killed) {
        await this.drained;
        return limiter.tripped !== undefined ? 128 + 9 : reported;
      }
      const exit = await this.exit;
      await Promise.all([this.drained, this.setupDrained]);
      if (this.killed || limiter.tripped !== undefined) return 128 + 9;
      if (exit.code === null) return 128 + signalNumber(exit.signal);
      const failure = setupFailure(exit.code, this.setupMessage);
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
      this.kill();
    }
  }

  /** Did the kernel's OOM killer end one of its processes? */
  oomKilled(): boolean {
    return this.cgroup?.oomKilled() === true;
  }

  /** Ends the sandbox (if it still runs) and removes its cgroup once its processes are gone. */
  dispose(): Promise<void> {
    this.disposed ??= (async () => {
      this.kill();
      await this.exit.catch(() => {});
      this.cgroup?.remove();
    })();
    return this.disposed;
  }

  private kill(): void {
    if (this.killed || this.exited) return;
    this.killed = true;
    this.child.kill('SIGKILL');
  }
}

/**
 * The exit status in bwrap's JSON reports on STATUS (`{ "child-pid": N }`
 * when the sandbox starts, `{ "exit-code": N }` when its command ends,
 * 128 + N for a signal); undefined if the reports end without one.
 */
function exitReport(status: Socket): Promise<number | undefined> {
  return new Promise((resolve) => {
    let text = '';
    status.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const code = /"exit-code"\s*:\s*(\d+)/.exec(text)?.[1];
      if (code !== undefined) resolve(Number(code));
    });
    status.once('close', () => resolve(undefined));
  });
}

/** Starts the launcher (and through it bwrap, then init) for SHAPE; it waits for its request. */
function spawnLauncher(shape: SandboxShape, tools: NamespaceTools, mounts: ContainerMounts, cgroup: RunCgroup | undefined): ChildProcess {
  const held = holdRoot(tools);
  try {
    return spawnHolding(shape, tools, mounts, cgroup, held);
  } finally {
    for (const fd of held.fds) closeSync(fd); // the launcher holds its own copies
  }
}

/** The root filesystem's folders and goodbot's init, opened by goodbot for the launcher to hand to bwrap. */
interface HeldRoot {
  readonly links: readonly RootEntry[];
  readonly folders: readonly string[];
  /** The folders' descriptors, then init's. */
  readonly fds: readonly number[];
  /** Their paths are closed to other users (goodbot under /root, say): a root goodbot's launcher stages clones of them. */
  readonly closed: boolean;
}

function holdRoot(tools: NamespaceTools): HeldRoot {
  const entries = rootEntries(tools.rootfs.root);
  const folders = entries.filter((entry) => entry.symlink === undefined && !isFreshTopLevel(entry.name)).map((entry) => entry.name);
  const fds: number[] = [];
  try {
    for (const name of folders) fds.push(openSync(join(tools.rootfs.root, name), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW));
    fds.push(openSync(tools.init, constants.O_RDONLY | constants.O_NOFOLLOW));
  } catch (error) {
    for (const fd of fds) closeSync(fd);
    throw error;
  }
  const closed = ![...folders.map((name) => join(tools.rootfs.root, name)), tools.init].every(openToOthers);
  return { links: entries.filter((entry) => entry.symlink !== undefined), folders, fds, closed };
}

const openness = new Map<string, boolean>();

/** May any user look PATH up (every folder on the way searchable by others)? Asked once per path. */
function openToOthers(path: string): boolean {
  let open = openness.get(path);
  if (open === undefined) {
    open = true;
    for (let dir = dirname(path); open; dir = dirname(dir)) {
      open = (statSync(dir).mode & 0o001) !== 0;
      if (dir === '/') break;
    }
    openness.set(path, open);
  }
  return open;
}

function spawnHolding(
  shape: SandboxShape,
  tools: NamespaceTools,
  mounts: ContainerMounts,
  cgroup: RunCgroup | undefined,
  root: HeldRoot,
): ChildProcess {
  const { policy, relay } = shape;
  const binds: HeldBind[] = mounts.binds.map((bind, index) => ({ fd: firstHeld + index, target: bind.target, readOnly: bind.readOnly }));
  const firstRoot = firstHeld + binds.length;
  const initFd = firstRoot + root.folders.length;
  const relayFd = initFd + 1;
  const trust = relay?.authority === undefined ? undefined : trustBundle(relay.authority, imageBundle(tools.rootfs.root));
  const trustFd = relayFd + (relay === undefined ? 0 : 1);
  const seccompFd = trustFd + (trust === undefined ? 0 : 1);
  const plan: SandboxPlan = {
    rootLinks: root.links,
    rootFolders: root.folders.map((name, index) => ({ name, fd: firstRoot + index })),
    binds,
    memoryZones: policy.zones
      .filter((zone) => zone.kind === 'memory')
      .map((zone) => ({ guestPath: zone.guestPath, bytes: zone.quotaBytes ?? tmpBytes, readOnly: zone.access === 'ro' })),
    initFd,
    requestFd,
    seccompFd,
    stdinFd,
    stdoutFd,
    stderrFd,
    statusFd,
    ...(relay !== undefined && { relay: { fd: relayFd, port: relay.port } }),
    ...(trust !== undefined && { trustFd }),
  };
  const files = policy.limits.files ?? defaultDescriptorLimit;
  const launcherArgs = ['--seccomp-fd', String(seccompFd), '--rlimit', 'nofile', String(files), '--rlimit', 'core', '0'];
  for (const dir of cgroup?.dirs ?? []) launcherArgs.push('--cgroup', dir);
  if (cgroup === undefined) {
    launcherArgs.push('--rlimit', 'as', String(policy.limits.memoryBytes ?? policy.docker.memoryBytes));
    launcherArgs.push('--rlimit', 'nproc', String(policy.docker.pids));
  }
  if (process.getuid?.() === 0) {
    const user = sandboxHostUser();
    launcherArgs.push('--stage', privateParent());
    binds.forEach((bind, index) => {
      const held = mounts.binds[index]!.held;
      launcherArgs.push('--idmap', String(bind.fd), String(held.uid), String(held.gid));
    });
    if (relay !== undefined) launcherArgs.push('--stage-bind', String(relayFd));
    if (root.closed) root.fds.forEach((_, index) => launcherArgs.push('--stage-bind', String(firstRoot + index)));
    launcherArgs.push('--user', String(user.uid), String(user.gid));
  } else {
    containerUser(mounts.binds); // refuses a read-write zone this user cannot write
  }
  const child = spawn(tools.launcher, [...launcherArgs, '--', tools.bwrap, '--args', '3', ...initCommand(plan)], {
    stdio: [
      'ignore',
      'ignore',
      'pipe',
      'pipe',
      'pipe',
      'pipe',
      'pipe',
      'pipe',
      'pipe',
      ...mounts.descriptors,
      ...root.fds,
      ...(relay === undefined ? [] : [relay.fd]),
      ...(trust === undefined ? [] : ['pipe' as const]),
    ],
    env: {},
  });
  if (trust !== undefined) {
    const pipe = child.stdio[trustFd] as Writable;
    pipe.on('error', () => {}); // a sandbox that failed to start reads nothing
    pipe.end(trust);
  }
  (child.stdio[3] as Writable).end(
    Buffer.from(
      sandboxArguments(plan)
        .map((arg) => `${arg}\0`)
        .join(''),
    ),
  );
  return child;
}

/** The image's own certificate bundle, in the root filesystem goodbot unpacked (empty if it has none). */
function imageBundle(root: string): string {
  try {
    return readFileSync(join(root, trustStorePath), 'utf8');
  } catch {
    return '';
  }
}

/**
 * A failure of the launcher, of bwrap or of init before the command ran:
 * they write to their own stderr, which the command never gets, so anything
 * there is theirs. Nothing there: the command's own exit status.
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
        : 'check the zones and the working folder, or run goodbot doctor',
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
