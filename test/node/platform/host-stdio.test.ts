import { execFileSync, spawn, type StdioOptions } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeTree, repoRoot, tempDir } from '../../helpers/guests.js';

/**
 * `goodbot exec`'s stdin and stdout are the host's fds. A pipe that stays
 * open without data, or a reader that stops reading, must not hold a run
 * past its deadline: the run ends at it, `timeout`, exit 124. Each case runs
 * the real CLI in a child process, with the kind of pipe callers give it:
 * a socket pair (Node's child_process) and a FIFO (a shell's `|`).
 */

interface Ended {
  readonly status: number | null;
  readonly stderr: string;
  readonly ms: number;
  /** The run's audit records (goodbot's own account: into a pipe it prints no line about a limit). */
  readonly audit: Record<string, unknown>[];
}

/** Runs `goodbot exec ARGS` with STDIO, keeping STDIN_OPEN's writing end open, and reads neither stdout nor stdin's end. */
function goodbotHeld(args: string[], stdio: StdioOptions): Promise<Ended> {
  const started = performance.now();
  const auditDir = tempDir('goodbot-audit-');
  const auditFile = join(auditDir, 'audit.jsonl');
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'node', 'cli', 'main.js'), 'exec', '--audit', auditFile, ...args], { stdio });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout?.pause();
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return new Promise((resolve) =>
    child.on('exit', (status) => {
      clearTimeout(killer);
      child.stdin?.destroy();
      child.stdout?.destroy();
      const audit = readFileSync(auditFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      removeTree(auditDir);
      resolve({ status, stderr, ms: performance.now() - started, audit });
    }),
  );
}

function expectStoppedAtDeadline(ended: Ended, where: string): void {
  expect(ended.status).toBe(124);
  expect(ended.audit).toContainEqual(
    expect.objectContaining({ event: 'limit.exceeded', limit: 'timeout', message: `the run took longer than its 1 s timeout (${where})` }),
  );
  expect(ended.audit.at(-1)).toMatchObject({ event: 'run.exit', status: 'timeout', exitCode: 124 });
  // About a second, plus the CLI's start; far from the 15 s after which the test kills it.
  expect(ended.ms).toBeLessThan(6000);
}

describe('goodbot exec with a stdin that never ends', () => {
  it('attack: `cat` reading a socket pair kept open (Node child_process) ends at its 1 s deadline with timeout', async () => {
    expectStoppedAtDeadline(await goodbotHeld(['--timeout', '1s', '--', 'cat'], ['pipe', 'pipe', 'pipe']), 'while reading stdin');
  });

  it('attack: `cat` reading a FIFO kept open (a shell pipe) ends at its 1 s deadline with timeout', async () => {
    const dir = tempDir('goodbot-fifo-');
    const fifo = join(dir, 'stdin');
    execFileSync('mkfifo', [fifo]);
    // Open for reading and writing: the FIFO has a writer (us) that never writes, as `sleep 1000 | goodbot …` would.
    const fd = openSync(fifo, 'r+');
    try {
      expectStoppedAtDeadline(await goodbotHeld(['--timeout', '1s', '--', 'cat'], [fd, 'pipe', 'pipe']), 'while reading stdin');
    } finally {
      closeSync(fd);
      removeTree(dir);
    }
  });
});

describe('goodbot exec writing to a reader that stops reading', () => {
  it('attack: `yes` into a stdout nobody reads ends at its 1 s deadline with timeout', async () => {
    expectStoppedAtDeadline(await goodbotHeld(['--timeout', '1s', '--', 'yes'], ['ignore', 'pipe', 'pipe']), 'while writing its output');
  });
});
