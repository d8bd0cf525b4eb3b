import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolsImage } from './docker-image.js';
import { machineInfo } from './machine.js';
import { chartOf, renderSections, updateDocument, type BenchResults } from './report.js';
import type { SuiteName, suites } from './suite.js';

/**
 * goodbot's benchmarks: `npm run bench` (about 15 minutes), or `npm run
 * bench -- --quick` (about a minute). Writes the raw numbers to
 * bench/results/<date>.json (<date>-quick.json, not kept in git, for a
 * quick run) and prints the report; a full run also
 * regenerates docs/benchmarks.md's tables (between its `<!-- bench:… -->`
 * markers) and docs/benchmarks.svg. `npm run bench:docs` regenerates them
 * from the latest results file alone.
 */
const quick = process.argv.includes('--quick');
const root = join(import.meta.dirname, '..');
const guestsDir = join(root, '.cache', 'guests');
const machine = machineInfo();
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
const step = (what: string) => console.log(`==> ${what}${quick ? ' (quick)' : ''}`);

/** Runs suite NAME in a process of its own (bench/suite.ts says why), with this process's Node flags. */
function runSuite<Name extends SuiteName>(name: Name, options: Parameters<(typeof suites)[Name]>[0]): Awaited<ReturnType<(typeof suites)[Name]>> {
  const out = join(tmpdir(), `goodbot-bench-${name}-${process.pid}.json`);
  const script = join(import.meta.dirname, 'suite.ts');
  execFileSync(process.execPath, [...process.execArgv, script, name, JSON.stringify(options), out], { stdio: 'inherit' });
  try {
    return JSON.parse(readFileSync(out, 'utf8')) as Awaited<ReturnType<(typeof suites)[Name]>>;
  } finally {
    rmSync(out, { force: true });
  }
}

console.log(
  `machine: ${Object.entries(machine)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}`,
);
const dockerImage = toolsImage(root, tmpdir());
if (dockerImage === undefined) console.log('no Docker engine answers: the Docker contenders are left out');

step("start-up of the catalog's interpreters");
const startup = runSuite('startup', { timeMs: quick ? 3000 : 20000, root });
step('metering: CPU-bound guests with and without fuel');
const overhead = runSuite('metering', { quick });
step('deadline overshoot');
const overshoot = runSuite('overshoot', { quick });
step('instrumenting the largest modules');
const instrument = runSuite('instrument', { quick });
step('one run of a trivial and a small tool on each backend');
const backends = runSuite('backends', { rounds: quick ? 8 : 60, root, docker: dockerImage !== undefined });
step('cold runs from the command line');
const cold = runSuite('cold', { rounds: quick ? 3 : 20, root });
step('throughput');
const rates = runSuite('throughput', { seconds: quick ? 1 : 5, guestsDir });
step('memory over sequential runs');
const growth = runSuite('growth', { runs: quick ? 1000 : 10000, guestsDir });
step('memory per concurrent idle sandbox');
const idle = runSuite('idle', { count: quick ? 20 : 100, dockerCount: quick ? 3 : 10, dockerImage });
step('latency of one run of a small tool');
const latency = runSuite('latency', { timeMs: quick ? 3000 : 30000, guestsDir, dockerImage });
step('command lines in the shell');
const shell = runSuite('shell', { timeMs: quick ? 3000 : 30000 });
step('sessions and the MCP server');
const sessions = runSuite('sessions', { timeMs: quick ? 3000 : 20000, root, concurrentCommands: quick ? 32 : 256, snapshotRounds: quick ? 3 : 15 });

const results: BenchResults = {
  date: new Date().toISOString(),
  quick,
  commit,
  machine,
  latency,
  startup,
  metering: { overhead, overshoot, instrument },
  backends,
  cold,
  throughput: rates,
  growth,
  idle,
  shell,
  sessions,
};
const sections = renderSections(results);
for (const [name, body] of sections) console.log(`\n### ${name}\n\n${body}`);
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
const out = join(root, 'bench', 'results', `${results.date.slice(0, 10)}${quick ? '-quick' : ''}.json`);
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nraw results: ${out}`);
if (!quick) {
  const docs = join(root, 'docs', 'benchmarks.md');
  writeFileSync(docs, updateDocument(readFileSync(docs, 'utf8'), sections));
  writeFileSync(join(root, 'docs', 'benchmarks.svg'), chartOf(results));
  console.log(`regenerated ${docs} and docs/benchmarks.svg`);
}
