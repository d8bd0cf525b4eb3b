/** Parses sizes (`100MiB`, `64M`, `1.5GB`, `4096`) and durations (`30s`, `500ms`, `2m`). */

const sizeUnits: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  tb: 1000 ** 4,
};

export const sizePattern = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i;
export const sizeHelp = 'a byte count or a size such as 512KiB, 100MiB, 2G (K/M/G are powers of 1024, KB/MB/GB of 1000)';

/** Bytes in `value`, or undefined if it is not a size. */
export function parseSize(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const match = sizePattern.exec(value);
  if (!match) return undefined;
  const unit = sizeUnits[match[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.floor(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** BYTES in MiB, to one decimal where it is not whole: `16 MiB`, `1.5 MiB`. */
export function formatMiB(bytes: number): string {
  return `${Math.round((bytes / 1048576) * 10) / 10} MiB`;
}

const durationUnits: Record<string, number> = { '': 1000, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** A plain number is seconds, as a string (`"5"`, what the command line passes) as well as a number. */
export const durationPattern = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/;
export const durationHelp = 'a number of seconds or a duration such as 500ms, 30s, 2m, 1h';

/** Milliseconds in `value` (a plain number means seconds), or undefined if it is not a positive, finite duration. */
export function parseDuration(value: number | string): number | undefined {
  let ms: number;
  if (typeof value === 'number') ms = value * 1000;
  else {
    const match = durationPattern.exec(value);
    if (!match) return undefined;
    ms = Number(match[1]) * durationUnits[match[2] ?? '']!;
  }
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}
