import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createSession, loadSession, restoreSession, saveSession, WorkerPool, type SandboxConfig } from '../src/node/index.js';
import { interleaved, type Contender, type Timing } from './interleaved.js';

/** Sessions served at once on one pool: how many commands a second they complete together, and each command's median. */
export interface ConcurrencyRow {
  readonly sessions: number;
  readonly commandsPerSecond: number;
  readonly medianMs: number;
}

/** Snapshot, restore and fork of a session whose scratch holds SCRATCH_MIB (medians, ms). */
export interface SnapshotRow {
  readonly scratchMiB: number;
  /** `session.snapshot()`: the file's bytes in memory. */
  readonly snapshotMs: number;
  /** `saveSession`: the snapshot written to a file. */
  readonly saveMs: number;
  /** `restoreSession` from the bytes in memory. */
  readonly restoreMs: number;
  /** `loadSession`: read from the file and restored. */
  readonly loadMs: number;
  readonly forkMs: number;
  /** A command (`true`) in the restored session: its scratch goes to a worker and is rebuilt there. */
  readonly commandMs: number;
  /** A command that appends to one 1 MiB file: its zone is captured again (only that file copied). */
  readonly changeMs: number;
  readonly snapshotBytes: number;
  /**
   * The floor for any path that needs the snapshot's size in fresh memory
   * (`snapshot()`, `loadSession`): shared memory of that size allocated and
   * a byte written per 4 KiB page, nothing else. Absent in older results.
   */
  readonly freshMemoryMs?: number;
}

export interface SessionBench {
  readonly roundTrip: Timing[];
  readonly concurrency: ConcurrencyRow[];
  readonly snapshots: SnapshotRow[];
}

/**
 * Sessions and the MCP server: the round trip of `run_command "cat
 * small.txt"` through `goodbot mcp` on stdio (the SDK's client, as an
 * agent's host), the same command through the library, and a native
 * spawn of /bin/cat, each in a loop of its own (a spawn forks this process,
 * whose copied page tables and first-touch faults slow whatever runs next:
 * interleaved, it measured the spawn's aftermath, not the round trip);
 * sessions served at once on a 2-worker pool; and snapshot, restore
 * and fork with 0 and 10 MiB of scratch, beside the floor for any of them
 * that needs that much fresh memory.
 */
export async function sessionBench(options: {
  timeMs: number;
  root: string;
  concurrentCommands: number;
  snapshotRounds: number;
}): Promise<SessionBench> {
  const dir = join(tmpdir(), 'goodbot-bench-sessions');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'small.txt'), 'x'.repeat(4096));
  const config: SandboxConfig = {
    zones: [
      { name: 'project', mode: 'ro', hostPath: dir, guestPath: '/project' },
      { name: 'scratch', mode: 'tmpfs', guestPath: '/scratch', quota: '64MiB' },
    ],
    cwd: '/project',
  };
  const policyFile = join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify({ sandbox: config }));
  const pool = new WorkerPool({ size: 2 });
  await pool.ready();
  try {
    return {
      roundTrip: await roundTrip(options, pool, config, policyFile, dir),
      concurrency: await concurrency(pool, config, options.concurrentCommands),
      snapshots: await snapshots(pool, config, options.snapshotRounds),
    };
  } finally {
    await pool.close();
  }
}

async function roundTrip(
  options: { timeMs: number; root: string },
  pool: WorkerPool,
  config: SandboxConfig,
  policyFile: string,
  dir: string,
): Promise<Timing[]> {
  const client = new Client({ name: 'goodbot-bench', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [join(options.root, 'dist', 'node', 'cli', 'main.js'), 'mcp', '--policy', policyFile],
      env: { ...(process.env as Record<string, string>), GOODBOT_STATE_DIR: join(tmpdir(), 'goodbot-bench-sessions-state') },
    }),
  );
  const session = createSession(config, { pool, index: false });
  const expected = 'x'.repeat(4096);
  try {
    // Each in a loop of its own, one after the other: the library's pool lives in this process, and its
    // workers' work after a run (collecting garbage, giving memories back) would land in the middle of
    // the next MCP call on this machine's 2 cores.
    const alone = (contender: Contender, timeMs: number, warmupRounds = 300) => interleaved([contender], { warmupRounds, timeMs, maxRounds: 5000 });
    const mcp = await alone(
      {
        name: 'goodbot mcp: run_command "cat small.txt" (stdio, SDK client)',
        run: async () => {
          const result = (await client.callTool({ name: 'run_command', arguments: { command: 'cat small.txt' } })) as CallToolResult;
          if ((result.structuredContent as { stdout: string } | undefined)?.stdout !== expected)
            throw new Error(`wrong output over MCP: ${JSON.stringify(result).slice(0, 300)}`);
        },
      },
      options.timeMs / 2,
    );
    const library = await alone(
      {
        name: "goodbot session.run('cat small.txt') (library, worker pool)",
        run: async () => {
          if ((await session.run('cat small.txt')).stdout !== expected) throw new Error('wrong output from the session');
        },
      },
      options.timeMs / 4,
    );
    const native = await alone(
      {
        name: 'native spawn of /bin/cat small.txt',
        run: () => {
          if (spawnSync('/bin/cat', ['small.txt'], { cwd: dir, encoding: 'utf8' }).stdout !== expected) throw new Error('wrong output from cat');
        },
      },
      options.timeMs / 4,
      20,
    );
    return [...mcp, ...library, ...native];
  } finally {
    await client.close();
    await session.close();
  }
}

async function concurrency(pool: WorkerPool, config: SandboxConfig, commands: number): Promise<ConcurrencyRow[]> {
  const rows: ConcurrencyRow[] = [];
  for (const count of [1, 4, 16]) {
    const sessions = Array.from({ length: count }, () => createSession(config, { pool, index: false }));
    for (const session of sessions) await session.run('true');
    const times: number[] = [];
    const started = performance.now();
    await Promise.all(
      sessions.map(async (session, i) => {
        for (let n = 0; n < commands / count; n++) {
          const at = performance.now();
          const result = await session.run(`echo ${i}-${n} > /scratch/last; cat /scratch/last`);
          if (result.stdout !== `${i}-${n}\n`) throw new Error('a session saw another one’s scratch');
          times.push(performance.now() - at);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    await Promise.all(sessions.map((session) => session.close()));
    rows.push({ sessions: count, commandsPerSecond: times.length / seconds, medianMs: median(times) });
  }
  return rows;
}

async function snapshots(pool: WorkerPool, config: SandboxConfig, rounds: number): Promise<SnapshotRow[]> {
  const rows: SnapshotRow[] = [];
  for (const mib of [0, 10]) {
    const session = createSession(config, { pool, index: false });
    // 10 files of 1 MiB each (`head -c` of /dev/zero through tr, so they are not all zeros)
    if (mib > 0) await session.run(`for i in $(seq ${mib}); do head -c 1048576 /dev/zero | tr '\\0' "$i" > /scratch/f$i; done`);
    const times = {
      snapshot: [] as number[],
      save: [] as number[],
      restore: [] as number[],
      load: [] as number[],
      fork: [] as number[],
      command: [] as number[],
      change: [] as number[],
      fresh: [] as number[],
    };
    const file = join(tmpdir(), `goodbot-bench-snapshot-${process.pid}`);
    const timed = async <T>(into: number[], work: () => Promise<T>): Promise<T> => {
      const at = performance.now();
      const value = await work();
      into.push(performance.now() - at);
      return value;
    };
    let bytes: Uint8Array = new Uint8Array(0);
    for (let round = 0; round < rounds; round++) {
      bytes = await timed(times.snapshot, () => session.snapshot());
      await timed(times.save, () => saveSession(session, file));
      const restored = await timed(times.restore, () => restoreSession(bytes, config, { pool, index: false }));
      const loaded = await timed(times.load, () => loadSession(file, config, { pool, index: false }));
      const forked = await timed(times.fork, () => session.fork());
      const result = await timed(times.command, () => loaded.run('true'));
      const changed = await timed(times.change, () => loaded.run(mib > 0 ? 'echo x >> /scratch/f1' : 'echo x >> /scratch/new'));
      if (result.exitCode !== 0 || changed.exitCode !== 0) throw new Error('a restored session failed');
      await Promise.all([restored.close(), loaded.close(), forked.close()]);
      await timed(times.fresh, async () => touchFreshMemory(bytes.length));
    }
    rmSync(file, { force: true });
    const check = await (await restoreSession(bytes, config, { pool, index: false })).run('cat /scratch/* | wc -c');
    if (Number(check.stdout.trim()) !== mib * 1048576) throw new Error(`a restored session holds ${check.stdout.trim()} bytes, not ${mib} MiB`);
    await session.close();
    rows.push({
      scratchMiB: mib,
      snapshotMs: median(times.snapshot),
      saveMs: median(times.save),
      restoreMs: median(times.restore),
      loadMs: median(times.load),
      forkMs: median(times.fork),
      commandMs: median(times.command),
      changeMs: median(times.change),
      snapshotBytes: bytes.length,
      freshMemoryMs: median(times.fresh),
    });
  }
  return rows;
}

/** BYTES of new shared memory, each page written once: what the kernel charges for memory a process touches first. */
function touchFreshMemory(bytes: number): number {
  const memory = new Uint8Array(new SharedArrayBuffer(bytes));
  for (let at = 0; at < bytes; at += 4096) memory[at] = 1;
  return memory.length;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
