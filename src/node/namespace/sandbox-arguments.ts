import { GoodbotError } from '../../errors.js';
import { SANDBOX_USER } from './tools-rootfs.js';
import { trustStorePath } from '../../backends/container.js';

/** A top-level entry of the root filesystem: a folder bound read-only, or a symlink made again. */
export interface RootEntry {
  readonly name: string;
  /** The link's target, for a symlink (`bin` -> `usr/bin`). */
  readonly symlink?: string;
}

/** A folder of the root filesystem, held open as descriptor FD in the sandbox's launcher. */
export interface HeldRootFolder {
  readonly name: string;
  readonly fd: number;
}

/** A host zone's folder, held open by goodbot as descriptor FD in the sandbox's launcher. */
export interface HeldBind {
  readonly fd: number;
  readonly target: string;
  readonly readOnly: boolean;
}

/** What one namespace sandbox needs, decided by the caller; {@link sandboxArguments} adds the fixed hardening. */
export interface SandboxPlan {
  /** The root filesystem's symlinks at its top. */
  readonly rootLinks: readonly RootEntry[];
  /** Its folders (those {@link isFreshTopLevel} does not name), held open. */
  readonly rootFolders: readonly HeldRootFolder[];
  readonly binds: readonly HeldBind[];
  /** In-memory zones: tmpfs of their quota. */
  readonly memoryZones: readonly { readonly guestPath: string; readonly bytes: number; readonly readOnly: boolean }[];
  /** goodbot's init (ns-init), held open, bound read-only at {@link INIT_PATH}. */
  readonly initFd: number;
  /** The descriptor init reads the run from (see {@link runRequest}). */
  readonly requestFd: number;
  /** The descriptor holding the seccomp filter's BPF. */
  readonly seccompFd: number;
  /** The descriptors of the command's standard input, output and error (bwrap's own stdio is goodbot's). */
  readonly stdinFd: number;
  readonly stdoutFd: number;
  readonly stderrFd: number;
  /** Where bwrap reports, as JSON, the command's exit status as soon as it ends (`--json-status-fd`). */
  readonly statusFd: number;
  /** With network grants: the egress proxy's Unix socket (held as descriptor FD) and the loopback port its relay listens on. */
  readonly relay?: { readonly fd: number; readonly port: number };
  /** With secrets: a pipe giving the certificate bundle with the run's authority, put over the image's (see trustStorePath). */
  readonly trustFd?: number;
}

/** Where the sandbox finds goodbot's own files (read-only). */
export const RUN_DIR = '/run/goodbot';
export const INIT_PATH = `${RUN_DIR}/init`;
export const PROXY_SOCKET_PATH = `${RUN_DIR}/proxy.sock`;

/** Top-level folders of the root filesystem that the sandbox gets fresh (or not at all) instead of the image's. */
const freshTopLevel = new Set(['proc', 'dev', 'sys', 'tmp', 'run', 'home', 'root', 'mnt', 'media', 'boot', 'lost+found']);

/** Is NAME a top-level folder the sandbox gets fresh (or not at all) rather than the image's? */
export function isFreshTopLevel(name: string): boolean {
  return freshTopLevel.has(name);
}

/** Scratch /tmp when no zone takes its place. */
export const tmpBytes = 64 * 1024 * 1024;

/**
 * bwrap's options for PLAN (read by bwrap from a descriptor), then the
 * command line: goodbot's init, which waits for the run (see
 * {@link runRequest}: the environment and arguments never show on a command
 * line). Fixed hardening: new user, mount, pid, network, ipc, uts and cgroup
 * namespaces; no capabilities; a new session (no terminal to inject input
 * into); killed with goodbot; an empty environment (init sets the run's); a
 * root of the image's folders, read only, with nothing of the host's; fresh
 * /proc, /dev and sized tmpfs; the seccomp filter last, just before init.
 */
export function sandboxArguments(plan: SandboxPlan): string[] {
  const args = ['--unshare-all', '--die-with-parent', '--new-session', '--cap-drop', 'ALL'];
  args.push('--uid', String(SANDBOX_USER.uid), '--gid', String(SANDBOX_USER.gid), '--hostname', 'goodbot');
  args.push('--clearenv', '--json-status-fd', String(plan.statusFd));
  // Bound from descriptors goodbot opened, not paths: the sandbox's user need not be able to reach the cache (under /root, say).
  for (const folder of plan.rootFolders) {
    if (!freshTopLevel.has(folder.name)) args.push('--ro-bind-fd', String(folder.fd), `/${folder.name}`);
  }
  for (const link of plan.rootLinks) {
    if (!freshTopLevel.has(link.name) && link.symlink !== undefined) args.push('--symlink', link.symlink, `/${link.name}`);
  }
  args.push('--proc', '/proc', '--dev', '/dev');
  const covered = (path: string) => plan.memoryZones.some((zone) => zone.guestPath === path) || plan.binds.some((bind) => bind.target === path);
  if (!covered('/tmp')) args.push('--perms', '1777', '--size', String(tmpBytes), '--tmpfs', '/tmp');
  args.push('--ro-bind-fd', String(plan.initFd), INIT_PATH);
  if (plan.relay !== undefined) args.push('--bind-fd', String(plan.relay.fd), PROXY_SOCKET_PATH);
  if (plan.trustFd !== undefined) args.push('--ro-bind-data', String(plan.trustFd), trustStorePath);
  for (const zone of plan.memoryZones) {
    args.push('--perms', '1777', '--size', String(zone.bytes), '--tmpfs', zone.guestPath);
    if (zone.readOnly) args.push('--remount-ro', zone.guestPath);
  }
  for (const bind of plan.binds) args.push(bind.readOnly ? '--ro-bind-fd' : '--bind-fd', String(bind.fd), bind.target);
  args.push('--remount-ro', '/', '--chdir', '/', '--seccomp', String(plan.seccompFd));
  return args;
}

/** The command line after bwrap's options: goodbot's init, waiting for its request. */
export function initCommand(plan: SandboxPlan): string[] {
  const relay = plan.relay === undefined ? [] : ['--relay', String(plan.relay.port), PROXY_SOCKET_PATH];
  const stdio = ['--stdin', String(plan.stdinFd), '--stdout', String(plan.stdoutFd), '--stderr', String(plan.stderrFd)];
  return [INIT_PATH, '--request', String(plan.requestFd), ...stdio, ...relay];
}

/** What one run asks of a sandbox's init. */
export interface RunRequest {
  readonly cwd: string;
  /** The guest's whole environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly argv: readonly string[];
}

/**
 * REQUEST as init reads it: NUL-terminated strings, the working folder,
 * `NAME=VALUE` for each variable, an empty string, then the command line. A
 * NUL inside a string, or a name that is empty or holds `=`, would change
 * its meaning: refused.
 */
export function runRequest(request: RunRequest): Uint8Array {
  const strings = [request.cwd, ...Object.entries(request.env).map(([name, value]) => `${name}=${value}`), '', ...request.argv];
  const badName = Object.keys(request.env).find((name) => name === '' || name.includes('='));
  if (badName !== undefined) throw new GoodbotError('usage', `'${badName}' cannot be a variable's name`, { hint: 'use letters, digits and _' });
  if (strings.some((text) => text.includes('\0'))) {
    throw new GoodbotError('usage', 'a variable, argument or folder holds a NUL byte, which a native command cannot take', { hint: 'remove it' });
  }
  return new TextEncoder().encode(strings.map((text) => `${text}\0`).join(''));
}
