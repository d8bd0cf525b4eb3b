import { parseDuration, parseSize } from './units.js';

/** The limits written as a duration or a size (fuel is a plain integer, checked by the schema). */
export type MeasuredLimit = 'timeout' | 'memory' | 'maxOutput';

export interface LimitProblem {
  readonly message: string;
  readonly hint: string;
}

/**
 * The longest timeout: 24 days. Timers wait at most 2^31-1 ms (24.8 days);
 * a longer wait fires at once, which would end a run the moment it starts.
 */
export const maxTimeoutMs = 24 * 24 * 3_600_000;

/** The smallest memory cap Docker accepts for a container. */
export const dockerMinimumMemory = 6 * 1024 * 1024;

/**
 * What is wrong with VALUE for the limit NAME, or undefined when it is a
 * limit goodbot can enforce as written. BACKEND, when known, adds what that
 * backend cannot take (Docker's 6 MiB memory floor).
 */
export function limitProblem(name: MeasuredLimit, value: number | string, backend?: string): LimitProblem | undefined {
  if (name === 'timeout') {
    const ms = parseDuration(value);
    if (ms === undefined) return { message: `'${value}' is not a positive duration`, hint: "write e.g. '500ms', '30s', '2m', or 5 for seconds" };
    if (ms > maxTimeoutMs) return { message: `'${value}' is longer than the longest timeout, 24 days`, hint: "write at most '576h' (24 days)" };
    return undefined;
  }
  const bytes = parseSize(value);
  if (bytes === undefined || bytes === 0) return { message: `'${value}' is not a positive size`, hint: "write e.g. '64MiB'" };
  if (name === 'memory' && (backend === 'docker' || backend === 'auto') && bytes < dockerMinimumMemory) {
    return { message: `'${value}' is below Docker's 6MiB minimum for a container`, hint: "write at least '6MiB', or use backend 'wasm'" };
  }
  return undefined;
}
