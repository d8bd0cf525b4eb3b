import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchmarkChart } from './chart.js';
import { coldStart } from './cold-start.js';
import { dockerLatency } from './docker-latency.js';
import { execLatency } from './exec-latency.js';
import type { Timing } from './interleaved.js';
import { machineInfo } from './machine.js';
import { meteringReport } from './metering-report.js';
import { memoryGrowth, throughput } from './steady-state.js';
import { toolStartup } from './tool-startup.js';

/**
 * goodbot's benchmarks: `npm run bench` (about a minute per suite), or
 * `npm run bench -- --quick`. Prints markdown tables and writes the raw numbers
 * to bench/results/<date>.json.
 */
const quick = process.argv.includes('--quick');
const root = join(import.meta.dirname, '..');
const machine = machineInfo();

console.log(`machine: ${Object.entries(machine).map(([k, v]) => `${k} ${v}`).join(', ')}`);

console.log(`\n## Start-up of the catalog's interpreters, warm, against native${quick ? ' (quick)' : ''}\n`);
const startup = await toolStartup({ timeMs: quick ? 5000 : 20000 });
printTable(startup, (rows, row) =>
  rows.find((other) => other.name.startsWith('native') && other.name.includes(row.name.includes('python') ? 'python' : 'lua')) ?? row,
);

const metering = await meteringReport(quick);

console.log(`\n## One run of a trivial tool on each backend${quick ? ' (quick)' : ''}\n`);
const backends = await dockerLatency({ rounds: quick ? 10 : 40 });
printTable(backends, (rows) => rows.find((row) => row.name.startsWith('native'))!);

console.log(`\n## Cold runs from the command line: one process per run${quick ? ' (quick)' : ''}\n`);
const cold = await coldStart({ rounds: quick ? 5 : 20, root });
printTable(cold, (rows) => rows.find((row) => row.name.startsWith('native'))!);

console.log(`\n## Throughput: runs per second of the 4 KiB cat, with 1, 2 and 8 in flight${quick ? ' (quick)' : ''}\n`);
const rates = await throughput({ seconds: quick ? 2 : 5, guestsDir: join(root, '.cache', 'guests') });
console.log('| where | in flight | runs per second |');
console.log('| --- | ---: | ---: |');
for (const row of rates) console.log(`| ${row.where} | ${row.concurrency} | ${row.runsPerSecond.toFixed(0)} |`);

const growthRuns = quick ? 2000 : 10000;
console.log(`\n## Memory over ${growthRuns} sequential runs${quick ? ' (quick)' : ''}\n`);
const growth = await memoryGrowth({ runs: growthRuns, guestsDir: join(root, '.cache', 'guests') });
console.log('| runs | heap (MiB) | RSS (MiB) | open fds |');
console.log('| ---: | ---: | ---: | ---: |');
for (const sample of growth.samples) console.log(`| ${sample.runs} | ${sample.heapMiB.toFixed(1)} | ${sample.rssMiB.toFixed(1)} | ${sample.openFds} |`);
console.log(
  `\nGrowth from first to last sample: heap ${growth.heapGrowthMiB.toFixed(2)} MiB, RSS ${growth.rssGrowthMiB.toFixed(1)} MiB, ` +
    `fds ${growth.fdGrowth}${(globalThis as { gc?: unknown }).gc ? ' (heap after a full GC at each sample)' : ' (no --expose-gc: heap includes garbage)'}.`,
);

// Last: its node:wasi contender leaks a descriptor per run (node:wasi cannot
// close its preopens), and every later native spawn would pay for them.
console.log(`\n## Latency of one run: print a 4 KiB file from an input zone${quick ? ' (quick)' : ''}\n`);
const latency = await execLatency({ timeMs: quick ? 5000 : 30000, guestsDir: join(root, '.cache', 'guests') });
printTable(latency, (rows) => rows.find((row) => row.name.startsWith('native'))!);

const results = { date: new Date().toISOString(), quick, machine, latency, startup, metering, backends, cold, throughput: rates, growth };
const bars = (rows: Timing[]) => rows.map((row) => ({ label: row.name, ms: row.medianMs, ours: row.name.startsWith('goodbot') }));
const chart = benchmarkChart(
  [
    { title: 'One run of a small tool, warm, in one process', bars: bars([...latency, ...backends.filter((row) => row.name.includes('docker'))]) },
    { title: 'Cold, one process per run (goodbot exec, docker run, native)', bars: bars(cold) },
    {
      title: 'CPU-bound guests: metered, unmetered, native',
      bars: metering.overhead.rows.flatMap((row) => [
        { label: `${row.workload}: goodbot metered`, ms: row.metered.medianMs, ours: true },
        { label: `${row.workload}: goodbot unmetered`, ms: row.unmetered.medianMs, ours: true },
        { label: `${row.workload}: native`, ms: row.native.medianMs, ours: false },
      ]),
    },
  ],
  `goodbot benchmarks, ${results.date.slice(0, 10)}: medians on a log scale (${machine.cpu}, ${machine.cores} cores, Node ${machine.node})`,
);
if (!quick) writeFileSync(join(root, 'docs', 'benchmarks.svg'), chart);
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
const out = join(root, 'bench', 'results', `${results.date.slice(0, 10)}.json`);
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nraw results: ${out}`);

/** A markdown table of ROWS, with each median's ratio to its native counterpart. */
function printTable(rows: Timing[], nativeOf: (rows: Timing[], row: Timing) => Timing): void {
  console.log('| contender | median | p90 | p99 | samples | vs native |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) {
    const ratio = row.medianMs / nativeOf(rows, row).medianMs;
    console.log(
      `| ${row.name} | ${ms(row.medianMs)} | ${ms(row.p90Ms)} | ${ms(row.p99Ms)} | ${row.samples} | ${ratio.toFixed(3)}x |`,
    );
  }
}

function ms(value: number): string {
  return `${value.toFixed(3)} ms`;
}
