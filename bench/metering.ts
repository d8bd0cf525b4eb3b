import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createSandbox } from '../src/node/index.js';
import { instrumentFuel } from '../src/limits/instrument-fuel.js';
import { findRecipe } from '../src/tools/catalog.js';
import { ToolStore } from '../src/node/tools/tool-store.js';
import { interleaved, type Timing } from './interleaved.js';

/**
 * What metering costs a CPU-bound guest: our own C workloads (a call-heavy
 * naive fib, a loop-heavy prime sieve, an arithmetic-heavy sha256) and a
 * pure-Python loop in the catalog's python3, each run side by side, round by
 * round, in three ways: goodbot unmetered, goodbot metered (fuel and a
 * deadline: the module rewritten with fuel charges and checks), and native
 * (the same C built with gcc -O2; Debian's python3.11 for the Python loop).
 * Every run's output is checked against the native one.
 */

const root = join(import.meta.dirname, '..');
const guestSource = join(root, 'wasm-tools', 'guests', 'cpu-bench.c');
const guestModule = join(root, '.cache', 'guests', 'cpu-bench.wasm');
const nativeBinary = join(root, '.cache', 'bench', 'cpu-bench');
const nativePython = '/usr/bin/python3.11';

/** Sizes picked for about 100-300 ms natively on the reference machine (2-core EPYC). */
const pythonLoop = 's = 0\nfor i in range(3_000_000):\n    s += i % 7\nprint(s)';
const workloads = [
  { name: 'fib', label: 'C: naive recursive fib(40)', args: ['fib', '40'] },
  { name: 'sieve', label: 'C: sieve of Eratosthenes to 3e7', args: ['sieve', '30000000'] },
  { name: 'sha256', label: 'C: sha256 of 50 MiB', args: ['sha256', '50'] },
  { name: 'python', label: 'python3 -c: a 3e6-step loop', args: ['-c', pythonLoop] },
] as const;

export interface MeteringRow {
  readonly workload: string;
  readonly label: string;
  /** The result line every run printed (checked on each run). */
  readonly output: string;
  readonly unmetered: Timing;
  readonly metered: Timing;
  readonly native: Timing;
  /** Instructions the metered guest was charged for (its fuelConsumed). */
  readonly fuel: number;
  readonly meteredVsUnmetered: number;
  readonly meteredVsNative: number;
  readonly unmeteredVsNative: number;
}

export interface MeteringOverhead {
  readonly rows: MeteringRow[];
  /** Geometric mean of metered/unmetered over all workloads (the C ones and python): the goal is at most 1.25. */
  readonly geomeanMeteredVsUnmetered: number;
  /** The same over the C workloads alone. */
  readonly geomeanMeteredVsUnmeteredC: number;
  readonly rounds: { warmup: number; measured: number };
}

export async function meteringOverhead(options: { quick: boolean }): Promise<MeteringOverhead> {
  ensureNativeBuild();
  if (!existsSync(guestModule)) throw new Error(`${guestModule} is missing: run node wasm-tools/build-guests.mjs`);
  const rounds = options.quick ? { warmup: 1, measured: 4 } : { warmup: 2, measured: 8 };
  const unmetered = createSandbox({});
  const metered = createSandbox({ limits: { fuel: 10 ** 12, timeout: '10m' } });

  const rows: MeteringRow[] = [];
  for (const workload of workloads) {
    const python = workload.name === 'python';
    const program = python ? 'python3' : guestModule;
    const args = [...workload.args];
    const expected = runNative(python ? nativePython : nativeBinary, args);
    let fuel = Number.NaN;
    const goodbot = (sandbox: typeof unmetered, kind: string) => async () => {
      const result = await sandbox.exec({ program, args, outputEvents: false }).result;
      if (result.status !== 'exited' || result.exitCode !== 0 || result.stdout !== expected) {
        throw new Error(`${kind} ${workload.name}: ${result.status} ${result.exitCode}, printed ${JSON.stringify(result.stdout)} ${result.stderr}`);
      }
      if (result.fuelConsumed !== undefined) fuel = result.fuelConsumed;
    };
    const [u, m, n] = await interleaved(
      [
        { name: 'goodbot, unmetered', run: goodbot(unmetered, 'unmetered') },
        { name: 'goodbot, metered', run: goodbot(metered, 'metered') },
        {
          name: 'native',
          run: () => {
            const output = runNative(python ? nativePython : nativeBinary, args);
            if (output !== expected) throw new Error(`native ${workload.name} printed ${JSON.stringify(output)}`);
          },
        },
      ],
      { warmupRounds: rounds.warmup, timeMs: Number.POSITIVE_INFINITY, maxRounds: rounds.measured },
    );
    rows.push({
      workload: workload.name,
      label: workload.label,
      output: expected.trim(),
      unmetered: u!,
      metered: m!,
      native: n!,
      fuel,
      meteredVsUnmetered: m!.medianMs / u!.medianMs,
      meteredVsNative: m!.medianMs / n!.medianMs,
      unmeteredVsNative: u!.medianMs / n!.medianMs,
    });
  }
  const geomean = (values: number[]) => Math.exp(values.reduce((sum, value) => sum + Math.log(value), 0) / values.length);
  return {
    rows,
    geomeanMeteredVsUnmetered: geomean(rows.map((row) => row.meteredVsUnmetered)),
    geomeanMeteredVsUnmeteredC: geomean(rows.filter((row) => row.workload !== 'python').map((row) => row.meteredVsUnmetered)),
    rounds,
  };
}

export interface DeadlineOvershoot {
  readonly timeoutMs: number;
  readonly runs: number;
  /** Overshoot past the deadline: the run's durationMs less the timeout. */
  readonly medianMs: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * How late a deadline stops a runaway guest: the probe guest's `spin` (an
 * infinite loop) with a 50 ms timeout, run after run; the overshoot is the
 * run's durationMs past 50 ms. The goal is a p99 of at most 5 ms.
 */
export async function deadlineOvershoot(options: { quick: boolean; runs?: number }): Promise<DeadlineOvershoot> {
  const timeoutMs = 50;
  const probe = join(root, '.cache', 'guests', 'probe.wasm');
  if (!existsSync(probe)) throw new Error(`${probe} is missing: run node wasm-tools/build-guests.mjs`);
  const sandbox = createSandbox({ limits: { timeout: `${timeoutMs}ms` } });
  const runs = options.runs ?? (options.quick ? 30 : 100);
  const overshoots: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const result = await sandbox.exec({ program: probe, args: ['spin'], outputEvents: false }).result;
    if (result.status !== 'timeout') throw new Error(`probe spin ended with ${result.status}, not timeout`);
    if (i >= 2) overshoots.push(result.durationMs - timeoutMs); // the first two compile and instrument
  }
  const sorted = overshoots.sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { timeoutMs, runs, medianMs: at(0.5), p90Ms: at(0.9), p99Ms: at(0.99), maxMs: sorted[sorted.length - 1]! };
}

/** Builds the native cpu-bench with gcc -O2 when it is missing or older than its source. */
function ensureNativeBuild(): void {
  if (existsSync(nativeBinary) && statSync(nativeBinary).mtimeMs >= statSync(guestSource).mtimeMs) return;
  mkdirSync(join(root, '.cache', 'bench'), { recursive: true });
  const gcc = spawnSync('gcc', ['-O2', '-Wall', '-Werror', guestSource, '-o', nativeBinary], { encoding: 'utf8' });
  if (gcc.status !== 0) throw new Error(`gcc failed to build ${nativeBinary}: ${gcc.error?.message ?? gcc.stderr}`);
}

function runNative(path: string, args: string[]): string {
  const run = spawnSync(path, args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${path} ${args[0]} exited ${run.status}: ${run.error?.message ?? run.stderr}`);
  return run.stdout;
}

export interface InstrumentTime {
  readonly module: string;
  readonly megabytes: number;
  readonly functions: number;
  /** Median time of instrumentFuel on the module (no disk cache). */
  readonly medianMs: number;
  readonly runs: number;
}

/**
 * How long the fuel rewriter takes on the catalog's largest modules (the
 * goal: ruby.wasm, about 30 MB, under 1 s). Timed on the rewriter alone: a
 * run pays this once per module, as the result is cached on disk.
 */
export function instrumentTimes(options: { quick: boolean }): InstrumentTime[] {
  const store = new ToolStore();
  const runs = options.quick ? 3 : 7;
  const modules = [
    ['ruby', 'ruby.wasm'],
    ['python3', 'python3.wasm'],
    ['lua', 'lua.wasm'],
  ] as const;
  const times: InstrumentTime[] = [];
  for (const [recipe, artifact] of modules) {
    const path = join(store.buildDir(findRecipe(recipe)!), artifact);
    if (!existsSync(path)) throw new Error(`${path} is missing: run goodbot tools build --default`);
    const bytes = new Uint8Array(readFileSync(path));
    const samples: number[] = [];
    let functions = 0;
    for (let i = 0; i < runs + 1; i++) {
      const started = performance.now();
      functions = instrumentFuel(bytes).functionCount;
      if (i > 0) samples.push(performance.now() - started); // the first warms the rewriter up
    }
    samples.sort((a, b) => a - b);
    times.push({ module: artifact, megabytes: bytes.length / 1048576, functions, medianMs: samples[samples.length >> 1]!, runs });
  }
  return times;
}
