import { deadlineOvershoot, instrumentTimes, meteringOverhead, type DeadlineOvershoot, type InstrumentTime, type MeteringOverhead } from './metering.js';

/** Runs the metering benchmarks and prints their markdown tables. */
export async function meteringReport(
  quick: boolean,
): Promise<{ overhead: MeteringOverhead; overshoot: DeadlineOvershoot; instrument: InstrumentTime[] }> {
  console.log(`\n## Metering overhead: fuel and deadline on against off, and against native${quick ? ' (quick)' : ''}\n`);
  const overhead = await meteringOverhead({ quick });
  console.log('| workload | unmetered | metered | native | metered / unmetered | metered / native | unmetered / native | fuel (instructions) |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of overhead.rows) {
    console.log(
      `| ${row.label} | ${ms(row.unmetered.medianMs)} | ${ms(row.metered.medianMs)} | ${ms(row.native.medianMs)} | ` +
        `${row.meteredVsUnmetered.toFixed(3)}x | ${row.meteredVsNative.toFixed(3)}x | ${row.unmeteredVsNative.toFixed(3)}x | ` +
        `${(row.fuel / 1e9).toFixed(2)} G |`,
    );
  }
  console.log(
    `\nMedians of ${overhead.rounds.measured} rounds after ${overhead.rounds.warmup} warm-up. Geometric mean of metered / unmetered: ` +
      `**${overhead.geomeanMeteredVsUnmetered.toFixed(3)}x** (C alone: ${overhead.geomeanMeteredVsUnmeteredC.toFixed(3)}x); goal at most 1.25x.`,
  );
  for (const row of overhead.rows) console.log(`- ${row.workload}: \`${row.output.slice(0, 90)}\``);

  console.log(`\n## Deadline overshoot: probe spin with a 50 ms timeout${quick ? ' (quick)' : ''}\n`);
  const overshoot = await deadlineOvershoot({ quick });
  console.log('| runs | median | p90 | p99 | max |');
  console.log('| ---: | ---: | ---: | ---: | ---: |');
  console.log(`| ${overshoot.runs} | ${ms(overshoot.medianMs)} | ${ms(overshoot.p90Ms)} | ${ms(overshoot.p99Ms)} | ${ms(overshoot.maxMs)} |`);
  console.log(`\nGoal: p99 overshoot at most 5 ms: ${overshoot.p99Ms <= 5 ? 'met' : 'not met'}.`);

  console.log(`\n## Instrumenting the catalog's largest modules for fuel${quick ? ' (quick)' : ''}\n`);
  const instrument = instrumentTimes({ quick });
  console.log('| module | size | functions | median time |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const row of instrument) console.log(`| ${row.module} | ${row.megabytes.toFixed(1)} MiB | ${row.functions} | ${ms(row.medianMs)} |`);
  const ruby = instrument.find((row) => row.module === 'ruby.wasm')!;
  console.log(`\nGoal: ruby.wasm under 1 s: ${ruby.medianMs < 1000 ? 'met' : 'not met'} (medians of ${ruby.runs} runs after one warm-up).`);
  return { overhead, overshoot, instrument };
}

function ms(value: number): string {
  return value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(2)} ms`;
}
