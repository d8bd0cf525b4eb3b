import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './guests.js';

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the built `goodbot` CLI as a user would, in CWD, never handing a run
 * to a `goodbot serve` that happens to run (tests of the hand-off set
 * GOODBOT_HANDOFF themselves).
 */
export function goodbot(cwd: string, args: string[], options: { input?: string; env?: Record<string, string> } = {}): CliResult {
  const result = spawnSync(process.execPath, [join(repoRoot, 'dist', 'node', 'cli', 'main.js'), ...args], {
    cwd,
    input: options.input ?? '',
    env: { ...process.env, GOODBOT_HANDOFF: 'off', ...options.env },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs `goodbot` in CWD with a terminal (a pty from util-linux's `script`) as its stdin, stdout and stderr, which it then shares. */
export function goodbotOnTerminal(cwd: string, args: string[]): { readonly status: number | null; readonly output: string } {
  const command = [process.execPath, join(repoRoot, 'dist', 'node', 'cli', 'main.js'), ...args].map(shellQuote).join(' ');
  const result = spawnSync('script', ['-qec', command, '/dev/null'], { cwd, input: '', encoding: 'utf8' });
  return { status: result.status, output: result.stdout.replace(/\r\n/g, '\n') };
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs node with ARGS as `nobody` (uid 65534), from CWD, with the package
 * seen at VIEW in a mount namespace of its own: its built code,
 * dependencies, recipes and cache bound into a folder any user may enter, so the run
 * does not depend on where the checkout lies (a clone under /root, or in a
 * private temporary folder, is closed to other users). `{view}` in ARGS is
 * replaced by that folder. Needs root.
 */
export function nodeAsNobody(cwd: string, args: string[], env: Record<string, string> = {}): CliResult {
  const view = `/tmp/goodbot-view-${process.pid}`;
  const binds = ['dist', 'node_modules', '.cache', 'wasm-tools'].map(
    (name) => `mkdir ${view}/${name} && mount --bind ${shellQuote(join(repoRoot, name))} ${view}/${name}`,
  );
  const script = [
    `mkdir -p ${view}`,
    `mount -t tmpfs -o mode=0755 goodbot-view ${view}`,
    ...binds,
    `touch ${view}/package.json`,
    `mount --bind ${shellQuote(join(repoRoot, 'package.json'))} ${view}/package.json`,
    `cd ${shellQuote(cwd)}`,
    `exec setpriv --reuid=65534 --regid=65534 --clear-groups env -i ${Object.entries({ PATH: process.env['PATH'] ?? '', ...env })
      .map(([name, value]) => shellQuote(`${name}=${value}`))
      .join(' ')} ${shellQuote(process.execPath)} ${args.map((arg) => shellQuote(arg.replaceAll('{view}', view))).join(' ')}`,
  ].join(' && ');
  const result = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { encoding: 'utf8', input: '' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
