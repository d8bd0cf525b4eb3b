/** What ended a guest that neither returned nor called exit. */
export type TrapKind =
  | 'unreachable'
  | 'out-of-bounds'
  | 'stack-overflow'
  | 'divide-by-zero'
  | 'integer-overflow'
  | 'invalid-conversion'
  | 'indirect-call'
  | 'null-reference'
  | 'unaligned-access'
  | 'other';

export interface TrapInfo {
  readonly kind: TrapKind;
  readonly message: string;
}

const patterns: [RegExp, TrapKind][] = [
  [/unreachable/i, 'unreachable'],
  [/out of bounds|outside the bounds|offset is out of bounds/i, 'out-of-bounds'],
  [/call stack size exceeded|stack overflow/i, 'stack-overflow'],
  [/divide by zero|division by zero|remainder by zero/i, 'divide-by-zero'],
  [/integer overflow|unrepresentable/i, 'integer-overflow'],
  [/float unrepresentable|invalid conversion/i, 'invalid-conversion'],
  [/signature mismatch|null function|indirect call|table index/i, 'indirect-call'],
  [/null|dereferencing a null/i, 'null-reference'],
  [/unaligned/i, 'unaligned-access'],
];

/**
 * Recognizes a guest trap among the errors a run can end with: WebAssembly
 * runtime errors, and the RangeErrors V8 raises for stack overflow or for an
 * out-of-bounds pointer handed to a host call. Anything else is not a trap.
 */
export function trapOf(error: unknown): TrapInfo | undefined {
  const isRuntimeError = error instanceof WebAssembly.RuntimeError;
  const isRangeError = error instanceof RangeError;
  if (!isRuntimeError && !isRangeError) return undefined;
  const message = (error as Error).message;
  for (const [pattern, kind] of patterns) if (pattern.test(message)) return { kind, message };
  return isRuntimeError ? { kind: 'other', message } : undefined;
}
