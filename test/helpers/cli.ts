import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './guests.js';

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `goodbot` CLI as a user would, in CWD. */
export function goodbot(cwd: string, args: string[], options: { input?: string; env?: Record<string, string> } = {}): CliResult {
  const result = spawnSync(process.execPath, [join(repoRoot, 'dist', 'node', 'cli', 'main.js'), ...args], {
    cwd,
    input: options.input ?? '',
    env: { ...process.env, ...options.env },
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
