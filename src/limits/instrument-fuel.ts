/**
 * Fuel metering for core WebAssembly modules, by binary rewriting (V8 has no
 * fuel of its own). Platform-neutral: no `node:*`, so the browser reuses it.
 *
 * What the rewritten module does:
 * - It has one added mutable i64 global, exported as `goodbot_fuel`, that the
 *   host sets before a run and reads after it.
 * - It imports one added function, `goodbot:limits` `out_of_fuel: () -> i64`
 *   (names configurable), which the host implements: return the fuel to add
 *   (the next slice; the deadline is checked per slice), or 0 to stop the
 *   guest with a trap (`unreachable`). A trap, unlike a JS exception thrown
 *   by the callback, cannot be caught by the guest's own `catch_all`, so a
 *   guest cannot swallow its stop and spin on. The guest adds the fuel
 *   itself, so the callback works before the host can see the global (a
 *   start function).
 *
 * Cost model: every instruction costs 1 (including `end`, `else`, `block`,
 * `loop`, calls; the callee's own instructions are charged in the callee). The
 * instructions the rewriter adds are free. A function body is split into
 * segments of straight-line code: one starts at function entry, at each
 * loop header, in each arm of an if, after br_if and br_table, after catches,
 * and after the end of a construct that is a join (an if, a try, a block
 * some branch targets). Entering a block, calls, and the end of a loop or of
 * an untargeted block do not start one. Each segment's whole cost is
 * subtracted when execution enters it. A construct that nothing leaves
 * early (no branch past its end, no return or throw inside) runs the code
 * after it once per entry, so that code's cost is charged with the code
 * before the construct (hoisted): a run of such constructs costs one charge.
 * So the fuel consumed is exactly the number of instructions executed when
 * the function returns normally (test/limits/segment-exactness.test.ts
 * checks this on random programs); when a trap or an exception cuts a
 * segment or a hoisting construct short, the rest was already charged. Code
 * after an unconditional transfer up to the end of its block is unreachable
 * and gets no charge.
 *
 * Where the counter lives: in an i64 local added to every function, loaded
 * from the global at entry, after calls and at catches (in functions with
 * try_table also at joins and loop headers, where a catch may land), and
 * written back to the global before calls, returns, throws, branches out of
 * the function and its final end. Charging a local is register work; charging the global made
 * every segment a load-subtract-store chain through memory (2.3x against
 * 1.5x geomean on bench/metering.ts). A function nothing outside the module
 * reaches takes the counter from its caller as an added parameter and hands
 * it back as an added result instead, so calls between such functions never
 * touch the global (fuel-passing.ts). A trap loses what was charged since
 * the last write-back: fuel reports stay exact for runs that end normally
 * and stop at a limit (a refill writes back first).
 *
 * Checks (`if fuel < 0 then refill`, refill = call out_of_fuel, trap on 0)
 * come right after the charge at every loop header and at the entry of the
 * functions whose calls outside loops could recurse or run a large call tree
 * (call-graph.ts), so every unbounded path passes a check; between checks
 * fuel may go below zero by at most the straight-line code in between and
 * the unchecked code of the callees (at most about 100 KB of code). A loop that calls
 * nothing is wrapped so that its refill lies outside it (instrument-body.ts,
 * ChargeEncoder): a call inside a hot loop makes V8 keep the loop's values in
 * memory. Every check's branch is marked unlikely in a `metadata.code.
 * branch_hint` section (an existing one is dropped: its offsets are stale).
 *
 * Adding the import shifts every defined function's index by one; the rewriter
 * fixes `call`, `return_call`, `ref.func` (code, global initializers, element
 * expressions), element function lists (all 8 encodings), exports, the start
 * section and the `name` section (function, local and label name maps; a
 * malformed name section is dropped). Other custom sections are kept byte for
 * byte, so DWARF `.debug_*` code offsets go stale.
 */
import { CallSites } from './call-graph.js';
import { FuelPassingUnsupported, noFuelPassing, planFuelPassing, type FuelPassing } from './fuel-passing.js';
import { BRANCH_HINT_SECTION, writeCodeSection } from './instrument-body.js';
import {
  OUT_OF_FUEL_TYPE,
  appendToVector,
  mutableI64Global,
  readFunctionSection,
  readImportSection,
  readTypeSection,
  rewriteElementSection,
  rewriteExportSection,
  rewriteFunctionSection,
  rewriteGlobalSection,
  rewriteNameSection,
  rewriteStartSection,
  shiftFrom,
  writeExport,
  writeFunctionImport,
  type ExportEntry,
  type FunctionIndexShift,
  type ImportSectionInfo,
  type TypeSectionInfo,
} from './module-sections.js';
import { capMemorySection, wasmPageBytes } from './memory-cap.js';
import { readSections, SectionId, WasmReader, WasmRewriteError, type RawSection } from './wasm-reader.js';
import { ByteWriter, writeSection } from './wasm-writer.js';

export { WasmRewriteError } from './wasm-reader.js';

export interface InstrumentFuelOptions {
  /** Module name of the added out-of-fuel import. Default `goodbot:limits`. */
  importModule?: string;
  /** Field name of the added out-of-fuel import. Default `out_of_fuel`. */
  importName?: string;
  /** Export name of the fuel global. Default `goodbot_fuel`. */
  fuelExport?: string;
  /**
   * Initial value of the fuel global. Default 0: the first function entry calls
   * `out_of_fuel` unless the host set the global first (a start function runs
   * before the host can, so its callback must hand out fuel).
   */
  initialFuel?: bigint;
  /**
   * Cap every memory the module defines at this many bytes (rounded down to
   * whole pages): growing past it fails in the guest. A module that imports
   * its memory cannot be capped this way and is refused, unless
   * `importedMemoryCapped` says its provider is capped.
   */
  maxMemoryBytes?: number;
  /**
   * With `maxMemoryBytes`: the memories this module imports are capped where
   * they are defined (a component's core modules share the main module's
   * memory), so importing one is no reason to refuse.
   */
  importedMemoryCapped?: boolean;
}

/** Export name of the i32 global that holds the result of the module's last `memory.grow` (modules with a memory cap). */
export const memoryGrowExport = 'goodbot_memory_grow';

export interface InstrumentedModule {
  /** The instrumented module (a fresh buffer the caller owns). */
  bytes: Uint8Array<ArrayBuffer>;
  /** Index of the fuel global in the global index space. */
  fuelGlobalIndex: number;
  fuelExport: string;
  /** Function index of the out-of-fuel import (= the number of function imports before). */
  outOfFuelFunctionIndex: number;
  importModule: string;
  importName: string;
  /** Number of function bodies rewritten. */
  functionCount: number;
  /** With `maxMemoryBytes`: the module's largest initial memory, in bytes (above the cap, it cannot start). */
  initialMemoryBytes?: number;
  /**
   * With `maxMemoryBytes`: the export of an added i32 global that each
   * `memory.grow` sets to its result, so the host knows whether the last
   * one failed (-1) and a trap after it is the cap's doing.
   */
  memoryGrowExport?: string;
}

/** Position of each known section id in the required order (tag 13 sits between memory and global). */
const sectionRank: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13 };

/** What the rewrite needs to know about the module before emitting anything. */
interface ModulePlan {
  types: TypeSectionInfo;
  imports: ImportSectionInfo;
  definedGlobals: number;
  hasExportSection: boolean;
  outOfFuelType: number;
  outOfFuelFunction: number;
  fuelGlobal: number;
  /** With a memory cap: the added global recording each `memory.grow`'s result (right after the fuel global). */
  growGlobal?: number;
  shift: FunctionIndexShift;
  /** Parameter count of each defined function, in code-section order. */
  paramCounts: number[];
  /** Type index of each defined function. */
  functionTypes: number[];
  callSites: CallSites;
  typeOfFunction: (functionIndex: number) => number;
  typeOfIndex: (typeIndex: number) => number;
  passing: FuelPassing;
}

export function instrumentFuel(module: Uint8Array, options: InstrumentFuelOptions = {}): InstrumentedModule {
  const sections = readSections(module);
  checkSectionOrder(sections);
  try {
    return rewrite(module, sections, options, true);
  } catch (error) {
    if (!(error instanceof FuelPassingUnsupported)) throw error;
    return rewrite(module, sections, options, false);
  }
}

function rewrite(module: Uint8Array, sections: RawSection[], options: InstrumentFuelOptions, passFuel: boolean): InstrumentedModule {
  const importModule = options.importModule ?? 'goodbot:limits';
  const importName = options.importName ?? 'out_of_fuel';
  const fuelExport = options.fuelExport ?? 'goodbot_fuel';
  const plan = planRewrite(module, sections, importModule, importName, passFuel, options.maxMemoryBytes !== undefined);

  const out = new ByteWriter(Math.ceil(module.length * 1.4) + 1024);
  out.bytes(module.subarray(0, 8));
  const added = addedSections(plan, importModule, importName, fuelExport, options.initialFuel ?? 0n);
  let functionCount = 0;
  let initialMemoryBytes: number | undefined;
  const capPages = options.maxMemoryBytes === undefined ? undefined : Math.floor(options.maxMemoryBytes / wasmPageBytes);
  if (capPages !== undefined && plan.imports.memories > 0 && options.importedMemoryCapped !== true) {
    throw new WasmRewriteError('unsupported', 'the module imports its memory, which cannot be capped by rewriting it');
  }
  for (const section of sections) {
    const rank = sectionRank[section.id];
    if (rank !== undefined) writeMissingSectionsBefore(out, added, rank);
    const reader = new WasmReader(module, section.payloadStart, section.end);
    switch (section.id) {
      case SectionId.type:
        writeSection(out, section.id, appendToVector(reader, [OUT_OF_FUEL_TYPE, ...plan.passing.extraTypes]));
        break;
      case SectionId.import:
        writeSection(out, section.id, appendToVector(reader, [added.importEntry]));
        break;
      case SectionId.global:
        writeSection(out, section.id, rewriteGlobalSection(reader, plan.shift, added.globals));
        break;
      case SectionId.export:
        writeSection(out, section.id, rewriteExportSection(reader, plan.shift, added.exports));
        break;
      case SectionId.start:
        writeSection(out, section.id, rewriteStartSection(reader, plan.shift));
        break;
      case SectionId.element:
        writeSection(out, section.id, rewriteElementSection(reader, plan.shift));
        break;
      case SectionId.function:
        if (plan.passing.extraTypes.length === 0) out.copy(module, section.start, section.end);
        else writeSection(out, section.id, rewriteFunctionSection(reader, plan.passing.newType));
        break;
      case SectionId.code:
        functionCount = writeCodeSection(out, reader, plan);
        break;
      case SectionId.memory:
        if (capPages === undefined) out.copy(module, section.start, section.end);
        else {
          const capped = capMemorySection(reader, capPages);
          initialMemoryBytes = capped.initialPages * wasmPageBytes;
          writeSection(out, section.id, capped.payload);
        }
        break;
      case SectionId.custom:
        writeCustomSection(out, module, section, plan, `${importModule}.${importName}`);
        break;
      default:
        out.copy(module, section.start, section.end);
    }
  }
  writeMissingSectionsBefore(out, added, Infinity);
  return {
    bytes: out.view().slice(),
    fuelGlobalIndex: plan.fuelGlobal,
    fuelExport,
    outOfFuelFunctionIndex: plan.outOfFuelFunction,
    importModule,
    importName,
    functionCount,
    ...(initialMemoryBytes !== undefined && { initialMemoryBytes }),
    ...(plan.growGlobal !== undefined && { memoryGrowExport }),
  };
}

function checkSectionOrder(sections: RawSection[]): void {
  let lastRank = 0;
  for (const section of sections) {
    if (section.id === SectionId.custom) continue;
    const rank = sectionRank[section.id];
    if (rank === undefined) throw new WasmRewriteError('malformed', `unknown section id ${section.id}`, section.start);
    if (rank <= lastRank) throw new WasmRewriteError('malformed', `section ${section.id} out of order or repeated`, section.start);
    lastRank = rank;
  }
}

function planRewrite(
  module: Uint8Array,
  sections: RawSection[],
  importModule: string,
  importName: string,
  passFuel: boolean,
  recordGrowth: boolean,
): ModulePlan {
  const find = (id: number) => sections.find((section) => section.id === id);
  const readerOf = (section: RawSection) => new WasmReader(module, section.payloadStart, section.end);
  const typeSection = find(SectionId.type);
  const importSection = find(SectionId.import);
  const globalSection = find(SectionId.global);
  const types = typeSection ? readTypeSection(readerOf(typeSection)) : { count: 0, paramCounts: [], canonical: [], params: [], results: [] };
  const functionSection = find(SectionId.function);
  const functionTypes = functionSection ? readFunctionSection(readerOf(functionSection)) : [];
  const paramCounts = functionTypes.map((type) => {
    const params = types.paramCounts[type];
    if (params === undefined) throw new WasmRewriteError('malformed', `a function has type ${type}, which does not exist`);
    return params;
  });
  const imports = importSection
    ? readImportSection(readerOf(importSection), importModule, importName)
    : { count: 0, functions: 0, globals: 0, memories: 0, tables: 0, tags: 0, hasOutOfFuelImport: false };
  if (imports.hasOutOfFuelImport) {
    throw new WasmRewriteError('unsupported', `module already imports ${importModule}.${importName} (was it instrumented before?)`);
  }
  const definedGlobals = globalSection ? readerOf(globalSection).u32() : 0;
  const shift = shiftFrom(imports.functions);
  const callSites = findReferences(module, sections, shift);
  callSites.tablesExposed ||= imports.tables > 0;
  const imported = imports.functions;
  const reachableFromOutside = (fn: number) => callSites.hostCalls.has(imported + fn) || callSites.addressTaken.has(imported + fn);
  const passing =
    passFuel && imports.tags === 0 && !find(SectionId.tag)
      ? planFuelPassing(types, functionTypes, reachableFromOutside, types.count + 1)
      : noFuelPassing(functionTypes.length);
  return {
    types,
    imports,
    definedGlobals,
    hasExportSection: find(SectionId.export) !== undefined,
    outOfFuelType: types.count,
    outOfFuelFunction: imports.functions,
    fuelGlobal: imports.globals + definedGlobals,
    ...(recordGrowth && { growGlobal: imports.globals + definedGlobals + 1 }),
    shift,
    paramCounts,
    functionTypes,
    passing,
    callSites,
    typeOfFunction: (index) => types.canonical[functionTypes[index - imports.functions]!]!,
    typeOfIndex: (index) => types.canonical[index] ?? -1,
  };
}

/**
 * What the call graph (call-graph.ts) and fuel passing need before the code:
 * the functions the host may call (exports, start), those whose reference is
 * taken (elements, globals; `ref.func` in code may only name these), and
 * whether a table is exported (imported ones are counted by the caller).
 */
function findReferences(module: Uint8Array, sections: RawSection[], shift: FunctionIndexShift): CallSites {
  const sites = new CallSites();
  const hostCallable = (index: number) => (sites.hostCalls.add(index), shift(index));
  const referenced = (index: number) => (sites.addressTaken.add(index), shift(index));
  for (const section of sections) {
    const reader = new WasmReader(module, section.payloadStart, section.end);
    if (section.id === SectionId.export) {
      const kinds = new Set<number>();
      rewriteExportSection(reader, hostCallable, [], kinds);
      sites.tablesExposed = kinds.has(1);
    } else if (section.id === SectionId.start) rewriteStartSection(reader, hostCallable);
    else if (section.id === SectionId.element) rewriteElementSection(reader, referenced);
    else if (section.id === SectionId.global) rewriteGlobalSection(reader, referenced, []);
  }
  return sites;
}

// ------------------------------------------------------------ added sections

interface MissingSection {
  id: number;
  rank: number;
  payload: Uint8Array;
  written: boolean;
}

interface AddedSections {
  importEntry: Uint8Array;
  /** The fuel global, and with a memory cap the grow record. */
  globals: Uint8Array[];
  exports: ExportEntry[];
  /** Sections the module lacks but the rewrite needs, written at their place in the order. */
  missing: MissingSection[];
}

function addedSections(plan: ModulePlan, importModule: string, importName: string, fuelExport: string, initialFuel: bigint): AddedSections {
  const importWriter = new ByteWriter(64);
  writeFunctionImport(importWriter, importModule, importName, plan.outOfFuelType);
  const importEntry = importWriter.view();
  const globals = [mutableI64Global(initialFuel)];
  const exports: ExportEntry[] = [{ name: fuelExport, kind: 3, index: plan.fuelGlobal }];
  if (plan.growGlobal !== undefined) {
    globals.push(Uint8Array.of(0x7f, 0x01, 0x41, 0x00, 0x0b)); // mutable i32, i32.const 0
    exports.push({ name: memoryGrowExport, kind: 3, index: plan.growGlobal });
  }
  const vector = (entries: Uint8Array[]) => {
    const writer = new ByteWriter(entries.reduce((sum, entry) => sum + entry.length, 5));
    writer.u32(entries.length);
    for (const entry of entries) writer.bytes(entry);
    return writer.view();
  };
  const exportEntries = exports.map((entry) => {
    const writer = new ByteWriter(64);
    writeExport(writer, entry);
    return writer.view();
  });
  const candidates: Array<[number, boolean, Uint8Array[]]> = [
    [SectionId.type, plan.types.count === 0, [OUT_OF_FUEL_TYPE]],
    [SectionId.import, plan.imports.count === 0, [importEntry]],
    [SectionId.global, plan.definedGlobals === 0, globals],
    [SectionId.export, !plan.hasExportSection, exportEntries],
  ];
  const missing = candidates
    .filter(([, absent]) => absent)
    .map(([id, , entries]) => ({ id, rank: sectionRank[id]!, payload: vector(entries), written: false }));
  return { importEntry, globals, exports, missing };
}

function writeMissingSectionsBefore(out: ByteWriter, added: AddedSections, rank: number): void {
  for (const section of added.missing) {
    if (section.written || section.rank >= rank) continue;
    writeSection(out, section.id, section.payload);
    section.written = true;
  }
}

/** A vector section with extra entries appended (type and import sections keep their bytes). */
function writeCustomSection(out: ByteWriter, module: Uint8Array, section: RawSection, plan: ModulePlan, addedName: string): void {
  if (section.customName === BRANCH_HINT_SECTION) return; // its offsets are the old code's; ours replaces it
  if (section.customName !== 'name') {
    out.copy(module, section.start, section.end);
    return;
  }
  const reader = new WasmReader(module, section.payloadStart, section.end);
  const imported = plan.outOfFuelFunction;
  // A function that passes fuel has one parameter more: its locals' indices move up by one.
  const addedParam = (index: number) =>
    index >= imported && plan.passing.newType[index - imported]! >= 0 ? plan.paramCounts[index - imported]! : -1;
  const payload = rewriteNameSection(reader, plan.shift, { index: plan.outOfFuelFunction, name: addedName }, addedParam);
  if (payload) writeSection(out, SectionId.custom, payload);
}
