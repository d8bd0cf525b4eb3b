import { writeFileSync } from 'node:fs';
import { coldStart } from './cold-start.js';
import { backendLatency } from './backend-latency.js';
import { execLatency } from './exec-latency.js';
import { idleMemory } from './idle-memory.js';
import { deadlineOvershoot, instrumentTimes, meteringOverhead } from './metering.js';
import { memoryGrowth, throughput } from './steady-state.js';
import { sessionBench } from './sessions.js';
import { shellPipeline } from './shell-pipeline.js';
import { toolStartup } from './tool-startup.js';

/**
 * One suite in a process of its own: `suite.ts NAME OPTIONS_JSON OUT_FILE`
 * runs suite NAME with the options and writes its result as JSON to
 * OUT_FILE. bench/run.ts starts one per suite, so every suite starts from a
 * fresh, small process: a native spawn forks the whole process, and after
 * other suites have compiled python and ruby it would pay for their memory.
 */
export const suites = {
  startup: toolStartup,
  metering: meteringOverhead,
  overshoot: deadlineOvershoot,
  instrument: instrumentTimes,
  backends: backendLatency,
  cold: coldStart,
  throughput,
  growth: memoryGrowth,
  idle: idleMemory,
  latency: execLatency,
  shell: shellPipeline,
  sessions: sessionBench,
} as const;

export type SuiteName = keyof typeof suites;

if (process.argv[1] === import.meta.filename) {
  const [name, options, out] = process.argv.slice(2) as [SuiteName, string, string];
  const suite = suites[name] as (options: unknown) => unknown;
  if (suite === undefined) throw new Error(`no suite named ${name}`);
  writeFileSync(out, JSON.stringify(await suite(JSON.parse(options))));
  process.exit(0); // pools, timers and the Docker client must not keep the suite's process alive
}
