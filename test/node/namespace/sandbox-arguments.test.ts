import { describe, expect, it } from 'vitest';
import {
  initCommand,
  INIT_PATH,
  PROXY_SOCKET_PATH,
  runRequest,
  sandboxArguments,
  type SandboxPlan,
} from '../../../src/node/namespace/sandbox-arguments.js';

const plan = (extra: Partial<SandboxPlan> = {}): SandboxPlan => ({
  rootLinks: [{ name: 'bin', symlink: 'usr/bin' }],
  rootFolders: [
    { name: 'usr', fd: 20 },
    { name: 'etc', fd: 21 },
    { name: 'home', fd: 22 },
    { name: 'root', fd: 23 },
  ],
  binds: [
    { fd: 5, target: '/data', readOnly: true },
    { fd: 6, target: '/out', readOnly: false },
  ],
  memoryZones: [{ guestPath: '/scratch', bytes: 1 << 20, readOnly: false }],
  initFd: 24,
  requestFd: 3,
  seccompFd: 7,
  stdinFd: 9,
  stdoutFd: 10,
  stderrFd: 4,
  statusFd: 11,
  ...extra,
});

/** The option and its operands at each place OPTION appears. */
const uses = (args: string[], option: string, operands: number) =>
  args.flatMap((arg, index) => (arg === option ? [args.slice(index + 1, index + 1 + operands)] : []));

describe('the bwrap options of a sandbox', () => {
  it('unshares every namespace, drops capabilities, starts a new session and dies with goodbot', () => {
    const args = sandboxArguments(plan());
    for (const flag of ['--unshare-all', '--die-with-parent', '--new-session']) expect(args).toContain(flag);
    expect(uses(args, '--cap-drop', 1)).toEqual([['ALL']]);
    expect(args).not.toContain('--share-net');
  });

  it('clears the environment and puts none of the run on a command line (init reads it from its request)', () => {
    const args = sandboxArguments(plan());
    expect(args).toContain('--clearenv');
    expect(args).not.toContain('--setenv');
    expect(initCommand(plan())).toEqual([INIT_PATH, '--request', '3', '--stdin', '9', '--stdout', '10', '--stderr', '4']);
    expect(uses(args, '--json-status-fd', 1)).toEqual([['11']]);
  });

  it("binds the image's folders read-only from descriptors goodbot holds, none of the host's, makes links again, and gives /proc, /dev, /tmp fresh", () => {
    const args = sandboxArguments(plan());
    expect(args).not.toContain('--ro-bind'); // no path: the sandbox's user need not reach goodbot's cache
    expect(uses(args, '--ro-bind-fd', 2)).toEqual([
      ['20', '/usr'],
      ['21', '/etc'],
      ['24', INIT_PATH],
      ['5', '/data'],
    ]);
    expect(uses(args, '--symlink', 2)).toEqual([['usr/bin', '/bin']]);
    expect(args.some((arg) => arg === '/home' || arg === '/root')).toBe(false);
    expect(uses(args, '--proc', 1)).toEqual([['/proc']]);
    expect(uses(args, '--dev', 1)).toEqual([['/dev']]);
    expect(uses(args, '--tmpfs', 1)).toEqual([['/tmp'], ['/scratch']]);
    expect(uses(args, '--size', 1)).toEqual([[String(64 << 20)], [String(1 << 20)]]);
  });

  it('mounts host zones from the descriptors goodbot holds, read-only where the zone is', () => {
    const args = sandboxArguments(plan());
    expect(uses(args, '--ro-bind-fd', 2)).toContainEqual(['5', '/data']);
    expect(uses(args, '--bind-fd', 2)).toEqual([['6', '/out']]);
  });

  it('leaves out the scratch /tmp when a zone takes its place', () => {
    const args = sandboxArguments(plan({ memoryZones: [{ guestPath: '/tmp', bytes: 4096, readOnly: true }] }));
    expect(uses(args, '--tmpfs', 1)).toEqual([['/tmp']]);
    expect(uses(args, '--remount-ro', 1)).toEqual([['/tmp'], ['/']]);
  });

  it('makes the root read-only and loads the seccomp filter at the end (init enters the working folder)', () => {
    const args = sandboxArguments(plan());
    expect(args.slice(-6)).toEqual(['--remount-ro', '/', '--chdir', '/', '--seccomp', '7']);
  });

  it('with network grants binds the proxy socket and starts the relay; without, neither', () => {
    const granted = plan({ relay: { fd: 8, port: 3128 } });
    expect(uses(sandboxArguments(granted), '--bind-fd', 2)).toContainEqual(['8', PROXY_SOCKET_PATH]);
    expect(initCommand(granted).slice(-3)).toEqual(['--relay', '3128', PROXY_SOCKET_PATH]);
    expect(initCommand(plan())).not.toContain('--relay');
  });
});

describe("a run's request to init", () => {
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes).split('\0');

  it('holds the working folder, the environment, an empty string, then the command line, each NUL-terminated', () => {
    const request = runRequest({ cwd: '/data', env: { PATH: '/usr/bin', TOKEN: "it's --unshare-none a=b" }, argv: ['sh', '-c', 'echo $TOKEN', ''] });
    expect(text(request)).toEqual(['/data', 'PATH=/usr/bin', "TOKEN=it's --unshare-none a=b", '', 'sh', '-c', 'echo $TOKEN', '', '']);
  });

  it('refuses what would change its meaning: a NUL in a string, a variable name that is empty or holds =', () => {
    expect(() => runRequest({ cwd: '/', env: { A: 'x\0B=y' }, argv: ['true'] })).toThrow(/NUL/);
    expect(() => runRequest({ cwd: '/', env: {}, argv: ['echo', 'a\0b'] })).toThrow(/NUL/);
    expect(() => runRequest({ cwd: '/da\0ta', env: {}, argv: ['true'] })).toThrow(/NUL/);
    expect(() => runRequest({ cwd: '/', env: { 'A=B': 'x' }, argv: ['true'] })).toThrow(/cannot be a variable's name/);
    expect(() => runRequest({ cwd: '/', env: { '': 'x' }, argv: ['true'] })).toThrow(/cannot be a variable's name/);
  });
});
