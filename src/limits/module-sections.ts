/**
 * Readers and rewriters for the non-code sections the fuel rewriter touches:
 * it appends one type, one function import, one global and one export, and
 * shifts every function index at or above the first defined function by one.
 * Platform-neutral.
 */
import { InstructionDecoder, isTypedRefValueType, unsupportedTypedRefs, Flow } from './opcodes.js';
import { WasmReader, WasmRewriteError } from './wasm-reader.js';
import { ByteWriter } from './wasm-writer.js';

/** Maps an old function index to its index after one import was added. */
export type FunctionIndexShift = (index: number) => number;

export function shiftFrom(firstDefined: number): FunctionIndexShift {
  return (index) => (index >= firstDefined ? index + 1 : index);
}

// ---------------------------------------------------------------- type section

export interface TypeSectionInfo {
  count: number;
  /** Parameter count of each type (the fuel local of a function comes after its params and locals). */
  paramCounts: number[];
  /** Each type's canonical number: equal function types (the same bytes) get the same one, as `call_indirect` matches them. */
  canonical: number[];
  /** Each type's parameter and result value types, one byte each (typed references are refused). */
  params: Uint8Array[];
  results: Uint8Array[];
}

const gcTypeForms: Record<number, string> = { 0x4e: 'rec', 0x50: 'sub', 0x4f: 'sub final', 0x5f: 'struct', 0x5e: 'array' };

export function readTypeSection(reader: WasmReader): TypeSectionInfo {
  const decoder = new InstructionDecoder(reader);
  const count = reader.u32();
  const paramCounts: number[] = [];
  const canonical: number[] = [];
  const params: Uint8Array[] = [];
  const results: Uint8Array[] = [];
  const numbers = new Map<string, number>();
  for (let index = 0; index < count; index++) {
    const formOffset = reader.pos;
    const form = reader.u8();
    const gcForm = gcTypeForms[form];
    if (gcForm !== undefined) throw unsupportedTypedRefs(`${gcForm} in the type section`, formOffset);
    if (form !== 0x60) throw reader.malformed(`unknown type form 0x${form.toString(16)}`, formOffset);
    params.push(readValueTypes(reader, decoder));
    paramCounts.push(params[index]!.length);
    results.push(readValueTypes(reader, decoder));
    const key = reader.bytes.subarray(formOffset, reader.pos).join();
    let number = numbers.get(key);
    if (number === undefined) numbers.set(key, (number = numbers.size));
    canonical.push(number);
  }
  return { count, paramCounts, canonical, params, results };
}

function readValueTypes(reader: WasmReader, decoder: InstructionDecoder): Uint8Array {
  const count = reader.u32();
  const start = reader.pos;
  for (let i = 0; i < count; i++) decoder.valueType();
  return reader.bytes.subarray(start, reader.pos);
}

/** `func (params) -> (results)` with the given one-byte value types. */
export function functionType(params: Uint8Array, results: Uint8Array): Uint8Array {
  const out = new ByteWriter(params.length + results.length + 12);
  out.u8(0x60);
  out.u32(params.length);
  out.bytes(params);
  out.u32(results.length);
  out.bytes(results);
  return out.view();
}

/** The function section with some functions' types replaced (NEW_TYPES: the new index, or -1 to keep). */
export function rewriteFunctionSection(reader: WasmReader, newTypes: Int32Array): Uint8Array {
  const count = reader.u32();
  const out = new ByteWriter(reader.end - reader.pos + 8);
  out.u32(count);
  for (let i = 0; i < count; i++) {
    const type = reader.u32();
    out.u32(newTypes[i]! >= 0 ? newTypes[i]! : type);
  }
  expectEnd(reader, 'function');
  return out.view();
}

/** The function section: the type index of each defined function. */
export function readFunctionSection(reader: WasmReader): number[] {
  const count = reader.u32();
  const types: number[] = [];
  for (let i = 0; i < count; i++) types.push(reader.u32());
  return types;
}

/** `func () -> i64`: the out-of-fuel callback's type (it returns the fuel to add), always appended (a duplicate type is valid). */
export const OUT_OF_FUEL_TYPE = Uint8Array.of(0x60, 0x00, 0x01, 0x7e);

/** A vector section (count, then entries) with EXTRA entries appended. */
export function appendToVector(reader: WasmReader, extra: Uint8Array[]): Uint8Array {
  const count = reader.u32();
  const out = new ByteWriter(reader.end - reader.pos + 64);
  out.u32(count + extra.length);
  out.copy(reader.bytes, reader.pos, reader.end);
  for (const entry of extra) out.bytes(entry);
  return out.view();
}

// -------------------------------------------------------------- import section

export interface ImportSectionInfo {
  count: number;
  functions: number;
  globals: number;
  memories: number;
  tables: number;
  tags: number;
  /** True when an import already has the out-of-fuel name (the module was instrumented before). */
  hasOutOfFuelImport: boolean;
}

export function readImportSection(reader: WasmReader, module: string, name: string): ImportSectionInfo {
  const decoder = new InstructionDecoder(reader);
  const info: ImportSectionInfo = { count: reader.u32(), functions: 0, globals: 0, memories: 0, tables: 0, tags: 0, hasOutOfFuelImport: false };
  for (let i = 0; i < info.count; i++) {
    const importModule = reader.name();
    const importName = reader.name();
    if (importModule === module && importName === name) info.hasOutOfFuelImport = true;
    const kindOffset = reader.pos;
    const kind = reader.u8();
    switch (kind) {
      case 0: // function: type index
        reader.u32();
        info.functions++;
        break;
      case 1: // table: reference type, limits
        readReferenceType(reader);
        skipLimits(reader);
        info.tables++;
        break;
      case 2: // memory
        skipLimits(reader);
        info.memories++;
        break;
      case 3: // global: value type, mutability
        decoder.valueType();
        reader.u8();
        info.globals++;
        break;
      case 4: // tag: attribute, type index
        reader.u8();
        reader.u32();
        info.tags++;
        break;
      default:
        throw reader.malformed(`unknown import kind ${kind}`, kindOffset);
    }
  }
  return info;
}

/** Limits: flags (bit 0: has max, bit 1: shared, bit 2: 64-bit, bit 3: custom page size), min, [max], [page size]. */
function skipLimits(reader: WasmReader): void {
  const flags = reader.u8();
  if (flags > 0x0f) throw reader.malformed(`unknown limits flags 0x${flags.toString(16)}`, reader.pos - 1);
  reader.skipLeb();
  if (flags & 0x01) reader.skipLeb();
  if (flags & 0x08) reader.u32();
}

function readReferenceType(reader: WasmReader): number {
  const offset = reader.pos;
  const byte = reader.u8();
  if (byte === 0x70 || byte === 0x6f || byte === 0x69) return byte;
  if (isTypedRefValueType(byte) || byte === 0x40) throw unsupportedTypedRefs(`reference type 0x${byte.toString(16)}`, offset);
  throw reader.malformed(`unknown reference type 0x${byte.toString(16)}`, offset);
}

/** One import entry: `module.name: func (type typeIndex)`. */
export function writeFunctionImport(out: ByteWriter, module: string, name: string, typeIndex: number): void {
  out.name(module);
  out.name(name);
  out.u8(0x00);
  out.u32(typeIndex);
}

// ----------------------------------------------------------- constant exprs

/** Copies a constant expression up to and including its `end`, rewriting `ref.func`. */
export function copyConstExpr(reader: WasmReader, out: ByteWriter, shift: FunctionIndexShift): void {
  const decoder = new InstructionDecoder(reader);
  for (;;) {
    const flow = decoder.next();
    if (decoder.funcIndex >= 0) {
      out.copy(reader.bytes, decoder.opcodeStart, decoder.funcIndexStart);
      out.u32(shift(decoder.funcIndex));
      out.copy(reader.bytes, decoder.funcIndexEnd, reader.pos);
    } else {
      out.copy(reader.bytes, decoder.opcodeStart, reader.pos);
    }
    if (flow === Flow.closesBlock) return;
    if (flow !== Flow.plain) throw reader.malformed('control instruction in a constant expression', decoder.opcodeStart);
  }
}

// ---------------------------------------------------------- global section

/** Re-emits the global section (shifting `ref.func` in initializers), then appends `extra` globals. */
export function rewriteGlobalSection(reader: WasmReader, shift: FunctionIndexShift, extra: Uint8Array[]): Uint8Array {
  const decoder = new InstructionDecoder(reader);
  const out = new ByteWriter(reader.end - reader.pos + 32);
  const count = reader.u32();
  out.u32(count + extra.length);
  for (let i = 0; i < count; i++) {
    const typeStart = reader.pos;
    decoder.valueType();
    reader.u8(); // mutability
    out.copy(reader.bytes, typeStart, reader.pos);
    copyConstExpr(reader, out, shift);
  }
  expectEnd(reader, 'global');
  for (const global of extra) out.bytes(global);
  return out.view();
}

/** `(global (mut i64) (i64.const initial))` */
export function mutableI64Global(initial: bigint): Uint8Array {
  const out = new ByteWriter(16);
  out.u8(0x7e);
  out.u8(0x01);
  out.u8(0x42);
  out.s64(initial);
  out.u8(0x0b);
  return out.view();
}

// ---------------------------------------------------------- export section

export interface ExportEntry {
  name: string;
  kind: number;
  index: number;
}

/** Re-emits the export section with function exports shifted, then appends `extra`; adds the kinds exported to KINDS. */
export function rewriteExportSection(reader: WasmReader, shift: FunctionIndexShift, extra: ExportEntry[], kinds?: Set<number>): Uint8Array {
  const out = new ByteWriter(reader.end - reader.pos + 32);
  const count = reader.u32();
  out.u32(count + extra.length);
  const extraNames = new Set(extra.map((entry) => entry.name));
  for (let i = 0; i < count; i++) {
    const nameStart = reader.pos;
    const name = reader.name();
    if (extraNames.has(name)) {
      throw new WasmRewriteError('unsupported', `module already exports "${name}" (was it instrumented before?)`, nameStart);
    }
    out.copy(reader.bytes, nameStart, reader.pos);
    const kind = reader.u8();
    const index = reader.u32();
    kinds?.add(kind);
    out.u8(kind);
    out.u32(kind === 0 ? shift(index) : index);
  }
  expectEnd(reader, 'export');
  for (const entry of extra) writeExport(out, entry);
  return out.view();
}

export function writeExport(out: ByteWriter, entry: ExportEntry): void {
  out.name(entry.name);
  out.u8(entry.kind);
  out.u32(entry.index);
}

// ---------------------------------------------------------- element section

/**
 * Re-emits the element section. Segment flags (0-7): bit 0 passive/declarative,
 * bit 1 explicit table index (active) or declarative (passive), bit 2 elements
 * are expressions rather than function indices.
 */
export function rewriteElementSection(reader: WasmReader, shift: FunctionIndexShift): Uint8Array {
  const out = new ByteWriter(reader.end - reader.pos + 32);
  const count = reader.u32();
  out.u32(count);
  for (let i = 0; i < count; i++) rewriteElementSegment(reader, out, shift);
  expectEnd(reader, 'element');
  return out.view();
}

function rewriteElementSegment(reader: WasmReader, out: ByteWriter, shift: FunctionIndexShift): void {
  const flagsOffset = reader.pos;
  const flags = reader.u32();
  if (flags > 7) throw reader.malformed(`unknown element segment flags ${flags}`, flagsOffset);
  out.u32(flags);
  const active = (flags & 0x01) === 0;
  const usesExpressions = (flags & 0x04) !== 0;
  if (active && flags & 0x02) out.u32(reader.u32()); // table index
  if (active) copyConstExpr(reader, out, shift); // offset
  if (flags & 0x03) {
    // Encodings 1-3 and 5-7 carry an element kind (0x00 = funcref) or a reference type.
    const typeByte = usesExpressions ? readReferenceType(reader) : reader.u8();
    if (!usesExpressions && typeByte !== 0x00) throw reader.malformed(`unknown element kind ${typeByte}`, reader.pos - 1);
    out.u8(typeByte);
  }
  const items = reader.u32();
  out.u32(items);
  for (let j = 0; j < items; j++) {
    if (usesExpressions) copyConstExpr(reader, out, shift);
    else out.u32(shift(reader.u32()));
  }
}

// ------------------------------------------------------------ start section

export function rewriteStartSection(reader: WasmReader, shift: FunctionIndexShift): Uint8Array {
  const out = new ByteWriter(8);
  out.u32(shift(reader.u32()));
  expectEnd(reader, 'start');
  return out.view();
}

// ------------------------------------------------------------- name section

/**
 * Re-emits the `name` custom section with function indices shifted in the
 * subsections keyed by function index (1 function names, 2 local names,
 * 3 label names) and a name for the added import. Other subsections are kept.
 * Returns undefined if the section cannot be parsed: names are debug info, so
 * the caller drops a malformed one rather than failing.
 */
export function rewriteNameSection(
  reader: WasmReader,
  shift: FunctionIndexShift,
  added: { index: number; name: string },
  addedParam?: (functionIndex: number) => number,
): Uint8Array | undefined {
  try {
    const out = new ByteWriter(reader.end - reader.pos + 64);
    out.name('name');
    reader.name();
    while (!reader.atEnd) {
      const id = reader.u8();
      const size = reader.u32();
      const sub = new WasmReader(reader.bytes, reader.pos, reader.pos + size);
      reader.skip(size);
      const payload =
        id === 1
          ? rewriteFunctionNames(sub, shift, added)
          : id === 2 || id === 3
            ? rewriteIndirectNames(sub, shift, id === 2 ? addedParam : undefined)
            : sub.take(size);
      out.u8(id);
      out.u32(payload.length);
      out.bytes(payload);
    }
    return out.view();
  } catch (error) {
    if (error instanceof WasmRewriteError) return undefined;
    throw error;
  }
}

function rewriteFunctionNames(reader: WasmReader, shift: FunctionIndexShift, added: { index: number; name: string }): Uint8Array {
  const out = new ByteWriter(reader.end - reader.pos + 32);
  const count = reader.u32();
  out.u32(count + 1);
  let addedWritten = false;
  for (let i = 0; i < count; i++) {
    const index = shift(reader.u32());
    if (!addedWritten && index > added.index) {
      out.u32(added.index);
      out.name(added.name);
      addedWritten = true;
    }
    const nameStart = reader.pos;
    reader.name();
    out.u32(index);
    out.copy(reader.bytes, nameStart, reader.pos);
  }
  if (!addedWritten) {
    out.u32(added.index);
    out.name(added.name);
  }
  expectEnd(reader, 'function names');
  return out.view();
}

/**
 * vec(funcidx, vec(idx, name)): local names and label names. For local
 * names, ADDED_PARAM gives the index of a parameter added to a function
 * (-1: none), which shifts the locals from there on.
 */
function rewriteIndirectNames(reader: WasmReader, shift: FunctionIndexShift, addedParam?: (functionIndex: number) => number): Uint8Array {
  const out = new ByteWriter(reader.end - reader.pos + 32);
  const count = reader.u32();
  out.u32(count);
  for (let i = 0; i < count; i++) {
    const functionIndex = reader.u32();
    out.u32(shift(functionIndex));
    const mapStart = reader.pos;
    const entries = reader.u32();
    const from = addedParam?.(functionIndex) ?? -1;
    if (from >= 0) out.u32(entries);
    for (let j = 0; j < entries; j++) {
      const index = reader.u32();
      const nameStart = reader.pos;
      reader.name();
      if (from < 0) continue;
      out.u32(index >= from ? index + 1 : index);
      out.copy(reader.bytes, nameStart, reader.pos);
    }
    if (from < 0) out.copy(reader.bytes, mapStart, reader.pos);
  }
  expectEnd(reader, 'indirect names');
  return out.view();
}

function expectEnd(reader: WasmReader, what: string): void {
  if (!reader.atEnd) throw reader.malformed(`unexpected bytes after the ${what} section contents`);
}
