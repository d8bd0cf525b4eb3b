import { parseArgs, type ParseArgsConfig } from 'node:util';
import { GoodbotError } from '../../errors.js';

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/**
 * The options of `goodbot COMMAND` in ARGV, by SPECS (Node's `parseArgs`:
 * `--flag value` and `--flag=value`, repeatable flags as lists); an unknown
 * flag, a missing value or a stray argument is a usage error.
 */
export function parseOptions<const Specs extends OptionSpecs>(command: string, argv: readonly string[], specs: Specs) {
  try {
    return parseArgs({ args: [...argv], options: specs, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new GoodbotError('usage', (error as Error).message, { hint: `see goodbot ${command} --help` });
  }
}

/** FLAG's value TEXT as a positive whole number, or a usage error. */
export function positiveCount(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new GoodbotError('usage', `${flag} takes a positive whole number, not '${text}'`, { field: flag });
  }
  return value;
}
