/**
 * Side-by-side timing: each round runs every contender once, in a fresh
 * random order, so all of them see the same process state (heap size, caches,
 * a busy neighbour). Timing contenders in separate blocks would not: a
 * `spawn` after 50 000 in-process runs pays for the bigger heap it forks.
 */
export interface Contender {
  readonly name: string;
  /**
   * One run; must throw if the run did not do the expected work. A run that
   * returns a number gives its own measurement in ms (a time taken inside a
   * child process), which is recorded instead of the time the call took.
   */
  readonly run: () => unknown;
  /** Run only every Nth round (a contender 300 times slower than the rest would otherwise use up the time). Default 1. */
  readonly everyRounds?: number;
  /**
   * Awaited after each run, untimed: work the contender leaves going in the
   * background (a sandbox made for its next run), which would otherwise be
   * timed as part of whichever contender runs next.
   */
  readonly settle?: () => Promise<unknown>;
}

export interface Timing {
  readonly name: string;
  readonly medianMs: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly samples: number;
}

export async function interleaved(
  contenders: readonly Contender[],
  options: { warmupRounds: number; timeMs: number; maxRounds: number },
): Promise<Timing[]> {
  const samples = contenders.map(() => [] as number[]);
  const order = contenders.map((_, i) => i);
  const deadline = performance.now() + options.timeMs;
  for (let round = 0; round < options.warmupRounds + options.maxRounds; round++) {
    if (round >= options.warmupRounds && performance.now() > deadline) break;
    shuffle(order);
    for (const i of order) {
      if (round % (contenders[i]!.everyRounds ?? 1) !== 0) continue;
      const started = performance.now();
      const own = await contenders[i]!.run();
      const elapsed = typeof own === 'number' ? own : performance.now() - started;
      if (round >= options.warmupRounds) samples[i]!.push(elapsed);
      await contenders[i]!.settle?.();
    }
  }
  return contenders.map((contender, i) => {
    const sorted = samples[i]!.sort((a, b) => a - b);
    return {
      name: contender.name,
      medianMs: quantile(sorted, 0.5),
      p90Ms: quantile(sorted, 0.9),
      p99Ms: quantile(sorted, 0.99),
      samples: sorted.length,
    };
  });
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function shuffle(items: number[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
