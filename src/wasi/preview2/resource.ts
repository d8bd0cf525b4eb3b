/**
 * The key jco's glue calls on a host object when the guest drops its handle.
 * The glue looks it up as `Symbol.dispose || Symbol.for('dispose')`; so do we,
 * so that hosts without `Symbol.dispose` (older browsers) still get the call.
 */
export const dispose: typeof Symbol.dispose =
  (Symbol as { dispose?: typeof Symbol.dispose }).dispose ?? (Symbol.for('dispose') as typeof Symbol.dispose);

/** The interfaces of a WASI world as jco's glue reads them: `imports['wasi:cli/exit'].exit`. */
export type Interfaces = Record<string, Record<string, unknown>>;

/**
 * Fails a call returning a WIT `result` without an error type: the glue
 * turns a thrown `undefined` into that `err`.
 */
export function refuse(): never {
  throw undefined;
}
