import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Run } from '../src/node/index.js';

export interface IdleMemoryRow {
  readonly name: string;
  /** How many were alive at once when measured. */
  readonly count: number;
  /** Resident memory they added, per sandbox (MiB). */
  readonly perSandboxMiB: number;
}

/**
 * Resident memory per concurrent idle sandbox: COUNT guests that have
 * started and now wait (BusyBox `sleep`, blocked in the WASI host), each on a
 * worker of a pool of COUNT (a waiting guest holds its thread, so concurrent
 * runs need threads); against COUNT native `sleep` processes and
 * DOCKER_COUNT idle containers (`docker run -d` of the tools image: the
 * container's processes and its containerd shim), when an engine answers.
 * Resident memory is read from /proc (VmRSS).
 */
export async function idleMemory(options: { count: number; dockerCount: number; dockerImage: string | undefined }): Promise<IdleMemoryRow[]> {
  const rows = [await goodbotIdle(options.count), nativeIdle(options.count)];
  if (options.dockerImage !== undefined) rows.push(await dockerIdle(options.dockerCount, options.dockerImage));
  return rows;
}

async function goodbotIdle(count: number): Promise<IdleMemoryRow> {
  // The built library, as users run it: from src, each worker would also load tsx and transpile goodbot.
  const built = pathToFileURL(join(import.meta.dirname, '..', 'dist', 'node', 'index.js')).href;
  const { WorkerPool } = (await import(built)) as typeof import('../src/node/index.js');
  (globalThis as { gc?: () => void }).gc?.();
  const before = residentMiB(process.pid);
  const pool = new WorkerPool({ size: count });
  const runs: Run[] = [];
  try {
    await pool.ready();
    for (let i = 0; i < count; i++) runs.push(pool.exec({ limits: { timeout: '2m' } }, { program: 'sleep', args: ['100'] }));
    await Promise.all(runs.map((run) => started(run)));
    await sleep(500); // every guest is now inside its sleep
    (globalThis as { gc?: () => void }).gc?.();
    const during = residentMiB(process.pid);
    return { name: 'goodbot: a pool worker per run, each guest waiting in sleep', count, perSandboxMiB: (during - before) / count };
  } finally {
    for (const run of runs) run.cancel();
    await Promise.allSettled(runs.map((run) => run.result));
    await pool.close();
  }
}

/** Resolves when RUN's guest has started. */
async function started(run: Run): Promise<void> {
  for await (const event of run.events) if (event.type === 'start') return;
  throw new Error('a run ended before it started');
}

function nativeIdle(count: number): IdleMemoryRow {
  const children: ChildProcess[] = [];
  try {
    for (let i = 0; i < count; i++) children.push(spawn('/bin/sleep', ['100'], { stdio: 'ignore' }));
    spawnSync('/bin/sleep', ['0.5']);
    const total = children.reduce((sum, child) => sum + residentMiB(child.pid!), 0);
    return { name: 'native: a /bin/sleep process each', count, perSandboxMiB: total / count };
  } finally {
    for (const child of children) child.kill('SIGKILL');
  }
}

async function dockerIdle(count: number, image: string): Promise<IdleMemoryRow> {
  const ids: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const result = spawnSync('docker', ['run', '-d', '--rm', '--network', 'none', image, 'sleep', '100'], { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`docker run -d: ${result.stderr}`);
      ids.push(result.stdout.trim());
    }
    await sleep(500);
    let total = 0;
    for (const id of ids) {
      const pid = Number(spawnSync('docker', ['inspect', '-f', '{{.State.Pid}}', id], { encoding: 'utf8' }).stdout.trim());
      total += residentMiB(pid) + residentMiB(parentOf(pid));
    }
    return { name: 'docker: an idle container each (sleep, and its containerd shim)', count, perSandboxMiB: total / count };
  } finally {
    if (ids.length > 0) spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
  }
}

function residentMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  return kib / 1024;
}

function parentOf(pid: number): number {
  return Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}
