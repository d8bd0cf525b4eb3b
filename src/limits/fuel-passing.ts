/**
 * Fuel passed along calls instead of through the global. A function nothing
 * outside the module can reach (not exported, not the start function, its
 * reference never taken) gets the caller's fuel counter as an added last
 * parameter and hands it back as an added last result:
 *
 *     (func $f (param p*) (result r*))  ->  (func $f (param p* i64) (result r* i64))
 *     call $f                           ->  local.get L  call $f  local.set L
 *
 * so a call costs register moves instead of a store to the global before it
 * and a load after it (fib: 1.25x -> 1.1x). Its body is wrapped in a block of
 * its own result type and the counter is pushed after it; branches to the
 * function's label then land on that block (the same depth), and `return`
 * pushes the counter first. The global is written back where the host can
 * look: before calls to imports and to functions that keep the global
 * convention, and in every refill.
 *
 * Not done in modules that can catch (a catch would resume with a counter
 * that misses what the unwound callees spent: a guest could loop past its
 * deadline) or that make tail calls (a tail call's callee returns for the
 * caller, so both would need the same convention). Tags give exceptions
 * away before the code is read; a body that turns out to use either makes
 * the rewrite start over without passing. Platform-neutral.
 */
import { functionType, type TypeSectionInfo } from './module-sections.js';
import { ByteWriter } from './wasm-writer.js';

export interface FuelPassing {
  /** Per defined function: its new type index when it passes fuel, else -1. */
  newType: Int32Array;
  /** Per defined function that passes fuel: the block type of the block around its body (0x40, a value type, or a type index). */
  bodyBlockType: (Uint8Array | undefined)[];
  /** Types to append to the type section, at FIRST_EXTRA_TYPE onwards. */
  extraTypes: Uint8Array[];
}

/** Thrown by the body rewrite when a module turns out to catch or tail-call; the rewrite then starts over without passing. */
export class FuelPassingUnsupported extends Error {}

/** Opcodes that rule passing out: try, catch, throw, rethrow, throw_ref, return_call*, delegate, catch_all, try_table. */
export function rulesOutFuelPassing(opcode: number): boolean {
  return (opcode >= 0x06 && opcode <= 0x0a) || opcode === 0x12 || opcode === 0x13 || opcode === 0x18 || opcode === 0x19 || opcode === 0x1f;
}

/** Passing is off: every function keeps the global convention. */
export function noFuelPassing(functions: number): FuelPassing {
  return { newType: new Int32Array(functions).fill(-1), bodyBlockType: [], extraTypes: [] };
}

export function planFuelPassing(
  types: TypeSectionInfo,
  functionTypes: readonly number[],
  reachableFromOutside: (definedFunction: number) => boolean,
  firstExtraType: number,
): FuelPassing {
  const plan = noFuelPassing(functionTypes.length);
  const passingType = new Map<number, number>();
  const blockType = new Map<number, Uint8Array>();
  const i64 = Uint8Array.of(0x7e);
  const append = (type: Uint8Array) => firstExtraType + plan.extraTypes.push(type) - 1;
  for (let fn = 0; fn < functionTypes.length; fn++) {
    if (reachableFromOutside(fn)) continue;
    const type = functionTypes[fn]!;
    let newType = passingType.get(type);
    if (newType === undefined) {
      const params = types.params[type]!;
      const results = types.results[type]!;
      newType = append(functionType(concat(params, i64), concat(results, i64)));
      passingType.set(type, newType);
      blockType.set(
        type,
        results.length === 0 ? Uint8Array.of(0x40) : results.length === 1 ? results : typeIndex(append(functionType(new Uint8Array(0), results))),
      );
    }
    plan.newType[fn] = newType;
    plan.bodyBlockType[fn] = blockType.get(type);
  }
  return plan;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A type index as a block type: a non-negative s33. */
function typeIndex(index: number): Uint8Array {
  const out = new ByteWriter(8);
  out.sNumber(index);
  return out.view();
}
