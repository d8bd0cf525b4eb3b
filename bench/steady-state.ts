import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox, WorkerPool } from '../src/node/index.js';

/** The small tool both measurements run: print a 4 KiB file from an input zone. */
function catJob(guestsDir: string) {
  const zone = join(tmpdir(), 'goodbot-bench-steady');
  mkdirSync(zone, { recursive: true });
  writeFileSync(join(zone, 'file.txt'), 'x'.repeat(4095) + '\n');
  const policy = { zones: [{ name: 'input', mode: 'ro' as const, hostPath: zone }] };
  const request = { program: join(guestsDir, 'cat.wasm'), args: ['/input/file.txt'], outputEvents: false };
  const check = (stdout: string) => {
    if (stdout.length !== 4096) throw new Error(`cat printed ${stdout.length} bytes, not 4096`);
  };
  return { policy, request, check };
}

export interface GrowthSample {
  readonly runs: number;
  readonly rssMiB: number;
  readonly heapMiB: number;
  readonly openFds: number;
}

export interface MemoryGrowth {
  readonly runs: number;
  readonly samples: GrowthSample[];
  /** Heap after the last sample less after the first (warm-up excluded), in MiB. */
  readonly heapGrowthMiB: number;
  readonly rssGrowthMiB: number;
  readonly fdGrowth: number;
}

/**
 * Sequential runs on one sandbox, sampling the process after every tenth of
 * them (after a full GC when `--expose-gc` is on): heap, RSS and open file
 * descriptors must stay flat, or runs leak.
 */
export async function memoryGrowth(options: { runs: number; guestsDir: string }): Promise<MemoryGrowth> {
  const { policy, request, check } = catJob(options.guestsDir);
  const sandbox = createSandbox(policy);
  const gc = (globalThis as { gc?: () => void }).gc;
  const sample = (runs: number): GrowthSample => {
    gc?.();
    const usage = process.memoryUsage();
    return { runs, rssMiB: usage.rss / 1048576, heapMiB: usage.heapUsed / 1048576, openFds: readdirSync('/proc/self/fd').length };
  };
  // Long enough for V8 to settle its heap's size: with guests' memories recycled (no external memory
  // pressure prompting collections) it settles about 20 MiB higher, within the first 2000 runs.
  const warmup = Math.min(2000, Math.floor(options.runs / 5));
  for (let i = 0; i < warmup; i++) check((await sandbox.exec(request).result).stdout);
  const samples = [sample(0)];
  const step = Math.max(1, Math.floor(options.runs / 10));
  for (let run = 1; run <= options.runs; run++) {
    check((await sandbox.exec(request).result).stdout);
    if (run % step === 0) samples.push(sample(run));
  }
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  return {
    runs: options.runs,
    samples,
    heapGrowthMiB: last.heapMiB - first.heapMiB,
    rssGrowthMiB: last.rssMiB - first.rssMiB,
    fdGrowth: last.openFds - first.openFds,
  };
}

export interface ThroughputRow {
  readonly where: string;
  readonly concurrency: number;
  readonly runsPerSecond: number;
}

/**
 * Runs per second with 1, 2 and 8 runs in flight: on the calling thread (one
 * sandbox; runs take turns) and on a worker pool of one worker per core.
 */
export async function throughput(options: { seconds: number; guestsDir: string }): Promise<ThroughputRow[]> {
  const { policy, request, check } = catJob(options.guestsDir);
  const sandbox = createSandbox(policy);
  const pool = new WorkerPool();
  await pool.ready();
  const rows: ThroughputRow[] = [];
  try {
    const runners = {
      'calling thread': async () => check((await sandbox.exec(request).result).stdout),
      'worker pool': async () => check((await pool.exec(policy, request).result).stdout),
    };
    for (const [where, runOne] of Object.entries(runners)) {
      for (const concurrency of [1, 2, 8]) {
        for (let i = 0; i < 50; i++) await runOne(); // warm every worker and code path
        let done = 0;
        const deadline = performance.now() + options.seconds * 1000;
        const started = performance.now();
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (performance.now() < deadline) {
              await runOne();
              done++;
            }
          }),
        );
        rows.push({ where, concurrency, runsPerSecond: done / ((performance.now() - started) / 1000) });
      }
    }
  } finally {
    await pool.close();
  }
  return rows;
}
