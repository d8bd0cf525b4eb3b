import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * Native commands spawned from a small Node process of their own, on
 * request: a spawn forks the process that makes it, and after a fork every
 * page the parent writes faults once more (copy on write), so a benchmark
 * process that forks between its in-process runs slows them down (a
 * 100 MiB `cat` streamed in process took 150-400 ms between forks, 55-65 ms
 * without). The request's round trip (a line each way) is timed with it.
 */
export interface LeanSpawner {
  /** Runs COMMAND with ARGS and gives its stdout (with DISCARD, none: to /dev/null); rejects unless it exits 0. */
  run(command: string, args: readonly string[], discard?: boolean): Promise<string>;
  close(): void;
}

const script = `
const { spawnSync } = require('node:child_process');
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, args, discard] = JSON.parse(line);
  const result = spawnSync(command, args, { stdio: ['ignore', discard ? 'ignore' : 'pipe', 'ignore'], encoding: 'utf8', maxBuffer: 1 << 26 });
  process.stdout.write(JSON.stringify([result.status, result.stdout ?? '']) + '\\n');
});
`;

export function leanSpawner(): LeanSpawner {
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const answers = createInterface({ input: child.stdout! });
  const waiting: ((answer: [number | null, string]) => void)[] = [];
  answers.on('line', (line) => waiting.shift()?.(JSON.parse(line) as [number | null, string]));
  return {
    run: (command, args, discard = false) =>
      new Promise((resolve, reject) => {
        waiting.push(([status, stdout]) => (status === 0 ? resolve(stdout) : reject(new Error(`${command} exited ${status}`))));
        child.stdin!.write(`${JSON.stringify([command, args, discard])}\n`);
      }),
    close: () => child.kill(),
  };
}
