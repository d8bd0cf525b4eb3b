/**
 * The opcode table: for every instruction we accept, the shape of its
 * immediates (so the rewriter can find where it ends) and its effect on control
 * flow (so the rewriter can split basic blocks). Platform-neutral.
 *
 * Covered: MVP, sign extension, saturating conversions, bulk memory, reference
 * types (funcref/externref), multi-value block types, SIMD (incl. relaxed SIMD),
 * threads/atomics, legacy and new exception handling (incl. exnref), tail calls,
 * multi-memory and memory64 memargs, extended constant expressions.
 * Rejected as `unsupported`: GC and typed function references (0xFB prefix,
 * call_ref, br_on_null…, ref types 0x63/0x64 and concrete heap types).
 */
import { WasmReader, WasmRewriteError } from './wasm-reader.js';

/** How an instruction affects basic-block boundaries. */
export const Flow = {
  /** Straight-line: execution continues with the next instruction. */
  plain: 0,
  /** block, if, try, try_table: opens a nested block; a new segment starts inside it. */
  opensBlock: 1,
  /** loop: opens a block whose start is a branch target (a loop header). */
  opensLoop: 2,
  /** Branches, calls, throws, else/catch: the segment ends after it. */
  endsSegment: 3,
  /** end, delegate: closes a block; the segment ends after it. */
  closesBlock: 4,
  /** br, br_table, return, return_call*, throw*, rethrow, unreachable: code after it is dead until the block ends. */
  transfers: 5,
} as const;
export type Flow = (typeof Flow)[keyof typeof Flow];

/** Immediate shapes of single-byte opcodes (index = opcode). */
const Imm = {
  invalid: 0,
  none: 1,
  blockType: 2,
  index: 3, // one u32 (label, local, global, table, tag)
  twoIndices: 4, // call_indirect, return_call_indirect
  brTable: 5,
  memarg: 6,
  i32: 7,
  i64: 8,
  f32: 9,
  f64: 10,
  selectTyped: 11,
  tryTable: 12,
  refNull: 13,
  funcIndex: 14, // call, return_call, ref.func
  prefixFC: 15,
  prefixFD: 16,
  prefixFE: 17,
  typedRefs: 18, // GC / typed function references: rejected
} as const;

const immediates = new Uint8Array(256); // Imm.invalid by default
const flows = new Uint8Array(256); // Flow.plain by default

function define(opcodes: number[] | [number, number], imm: number, flow: Flow = Flow.plain): void {
  for (const op of opcodes) {
    immediates[op] = imm;
    flows[op] = flow;
  }
}
function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

// Control instructions.
define([0x00], Imm.none, Flow.transfers); // unreachable
define([0x01], Imm.none); // nop
define([0x02, 0x04, 0x06], Imm.blockType, Flow.opensBlock); // block, if, try
define([0x03], Imm.blockType, Flow.opensLoop); // loop
define([0x05, 0x19], Imm.none, Flow.endsSegment); // else, catch_all
define([0x07], Imm.index, Flow.endsSegment); // catch
define([0x08, 0x09], Imm.index, Flow.transfers); // throw, rethrow
define([0x0a], Imm.none, Flow.transfers); // throw_ref
define([0x0b], Imm.none, Flow.closesBlock); // end
define([0x0c], Imm.index, Flow.transfers); // br
define([0x0d], Imm.index, Flow.endsSegment); // br_if
define([0x0e], Imm.brTable, Flow.transfers); // br_table
define([0x0f], Imm.none, Flow.transfers); // return
define([0x10], Imm.funcIndex, Flow.endsSegment); // call
define([0x12], Imm.funcIndex, Flow.transfers); // return_call
define([0x11], Imm.twoIndices, Flow.endsSegment); // call_indirect
define([0x13], Imm.twoIndices, Flow.transfers); // return_call_indirect
define([0x14, 0x15], Imm.typedRefs); // call_ref, return_call_ref
define([0x18], Imm.index, Flow.closesBlock); // delegate
define([0x1f], Imm.tryTable, Flow.opensBlock); // try_table
// Parametric.
define([0x1a, 0x1b], Imm.none); // drop, select
define([0x1c], Imm.selectTyped); // select t*
// Variables and tables.
define(range(0x20, 0x26), Imm.index); // local.get/set/tee, global.get/set, table.get/set
// Memory.
define(range(0x28, 0x3e), Imm.memarg); // loads and stores
define([0x3f, 0x40], Imm.index); // memory.size, memory.grow (memory index)
// Numeric.
define([0x41], Imm.i32);
define([0x42], Imm.i64);
define([0x43], Imm.f32);
define([0x44], Imm.f64);
define(range(0x45, 0xc4), Imm.none); // MVP numeric + sign extension
// Reference types.
define([0xd0], Imm.refNull);
define([0xd1], Imm.none); // ref.is_null
define([0xd2], Imm.funcIndex); // ref.func
define(range(0xd3, 0xd6), Imm.typedRefs); // ref.as_non_null, br_on_null, ref.eq, br_on_non_null
define([0xfb], Imm.typedRefs); // GC prefix
define([0xfc], Imm.prefixFC);
define([0xfd], Imm.prefixFD);
define([0xfe], Imm.prefixFE);

/** Value types we accept (numbers, v128, funcref, externref, exnref). */
export function isSupportedValueType(byte: number): boolean {
  return (byte >= 0x7b && byte <= 0x7f) || byte === 0x70 || byte === 0x6f || byte === 0x69;
}

/** Abstract heap types we accept after ref.null: func, extern, exn. */
function isSupportedHeapType(byte: number): boolean {
  return byte === 0x70 || byte === 0x6f || byte === 0x69;
}

/** Value-type bytes that belong to GC / typed function references. */
export function isTypedRefValueType(byte: number): boolean {
  return byte === 0x63 || byte === 0x64 || (byte >= 0x65 && byte <= 0x6e) || (byte >= 0x71 && byte <= 0x74);
}

export function unsupportedTypedRefs(what: string, offset: number): WasmRewriteError {
  return new WasmRewriteError('unsupported', `module uses GC / typed function references (${what}); it cannot be metered`, offset);
}

/** SIMD opcodes (after 0xFD) that are not assigned in the final SIMD spec. */
const unassignedSimd = new Set([
  0x9a, 0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2, 0xb3, 0xb4, 0xbb, 0xc2, 0xc5, 0xc6, 0xcf, 0xd0, 0xd2, 0xd3, 0xd4, 0xe2, 0xee,
]);

/**
 * Decodes one instruction at a time from a reader. After `next()`, `funcIndex`
 * is the function index immediate (call, return_call, ref.func) or -1, and
 * `funcIndexStart`/`funcIndexEnd` locate its LEB128 bytes so it can be rewritten.
 */
export class InstructionDecoder {
  funcIndex = -1;
  funcIndexStart = 0;
  funcIndexEnd = 0;
  /** The type index immediate of the last call_indirect or return_call_indirect. */
  typeIndex = -1;
  /** The local index immediate of local.get, set, tee, or -1; and where its LEB128 bytes lie. */
  localIndex = -1;
  localIndexStart = 0;
  localIndexEnd = 0;
  /** Offset of the opcode of the last decoded instruction. */
  opcodeStart = 0;
  /** The last instruction's opcode byte (the prefix, for prefixed ones). */
  opcode = 0;
  /**
   * Branch targets (label indices) of the last br, br_if or br_table, in
   * `labels[0..labelCount)`; for try_table, its catch clauses' targets
   * (relative to the labels outside the try_table).
   */
  readonly labels: number[] = [];
  /** Where each label immediate starts and ends in the code (to re-encode it). */
  readonly labelStarts: number[] = [];
  readonly labelEnds: number[] = [];
  labelCount = 0;

  constructor(readonly reader: WasmReader) {}

  next(): Flow {
    const r = this.reader;
    this.opcodeStart = r.pos;
    this.funcIndex = -1;
    this.localIndex = -1;
    this.labelCount = 0;
    const opcode = r.u8();
    this.opcode = opcode;
    switch (immediates[opcode]) {
      case Imm.none:
        break;
      case Imm.index: {
        const at = r.pos;
        const index = r.u32();
        if (opcode === 0x0c || opcode === 0x0d) this.label(index, at); // br, br_if
        else if (opcode >= 0x20 && opcode <= 0x22) {
          this.localIndex = index;
          this.localIndexStart = at;
          this.localIndexEnd = r.pos;
        }
        break;
      }
      case Imm.memarg:
        this.memarg();
        break;
      case Imm.i32:
        r.signed(32);
        break;
      case Imm.i64:
        r.skipLeb();
        break;
      case Imm.blockType:
        this.blockType();
        break;
      case Imm.funcIndex:
        this.funcIndexStart = r.pos;
        this.funcIndex = r.u32();
        this.funcIndexEnd = r.pos;
        break;
      case Imm.twoIndices:
        this.typeIndex = r.u32();
        r.u32();
        break;
      case Imm.brTable: {
        const count = r.u32();
        for (let i = 0; i <= count; i++) {
          const at = r.pos;
          this.label(r.u32(), at);
        }
        break;
      }
      case Imm.f32:
        r.skip(4);
        break;
      case Imm.f64:
        r.skip(8);
        break;
      case Imm.selectTyped:
        this.selectTypes();
        break;
      case Imm.tryTable:
        this.tryTable();
        break;
      case Imm.refNull:
        this.refNullHeapType();
        break;
      case Imm.prefixFC:
        this.prefixFC();
        break;
      case Imm.prefixFD:
        this.prefixFD();
        break;
      case Imm.prefixFE:
        this.prefixFE();
        break;
      case Imm.typedRefs:
        throw unsupportedTypedRefs(`opcode 0x${hex(opcode)}`, this.opcodeStart);
      default:
        throw r.malformed(`unknown opcode 0x${hex(opcode)}`, this.opcodeStart);
    }
    return flows[opcode] as Flow;
  }

  /** Memory argument: alignment flags (bit 6: a memory index follows), then the offset (u64 for memory64). */
  private memarg(): void {
    const r = this.reader;
    const flags = r.u32();
    if (flags & 0x40) r.u32();
    r.skipLeb();
  }

  /** Block type: empty (0x40), one value type, or a type index as s33. */
  private blockType(): void {
    const r = this.reader;
    const byte = r.peekU8();
    if (byte === 0x40 || isSupportedValueType(byte)) {
      r.pos++;
      return;
    }
    if (isTypedRefValueType(byte)) throw unsupportedTypedRefs('typed reference block type', r.pos);
    const start = r.pos;
    if (r.signed(33) < 0) throw r.malformed('invalid block type', start);
  }

  private selectTypes(): void {
    const r = this.reader;
    const count = r.u32();
    for (let i = 0; i < count; i++) this.valueType();
  }

  valueType(): void {
    const r = this.reader;
    const byte = r.u8();
    if (isSupportedValueType(byte)) return;
    if (isTypedRefValueType(byte)) throw unsupportedTypedRefs(`value type 0x${hex(byte)}`, r.pos - 1);
    throw r.malformed(`unknown value type 0x${hex(byte)}`, r.pos - 1);
  }

  private refNullHeapType(): void {
    const r = this.reader;
    const byte = r.u8();
    if (isSupportedHeapType(byte)) return;
    throw unsupportedTypedRefs(`ref.null with heap type 0x${hex(byte)}`, r.pos - 1);
  }

  /** Records a label immediate that starts at AT and ends at the reader's position. */
  private label(index: number, at: number): void {
    this.labels[this.labelCount] = index;
    this.labelStarts[this.labelCount] = at;
    this.labelEnds[this.labelCount] = this.reader.pos;
    this.labelCount++;
  }

  /** try_table: block type, then catch clauses (catch/catch_ref tag label, catch_all/catch_all_ref label). */
  private tryTable(): void {
    const r = this.reader;
    this.blockType();
    const count = r.u32();
    for (let i = 0; i < count; i++) {
      const kind = r.u8();
      if (kind === 0x00 || kind === 0x01) r.u32();
      else if (kind !== 0x02 && kind !== 0x03) throw r.malformed(`unknown try_table catch kind ${kind}`, r.pos - 1);
      const at = r.pos;
      this.label(r.u32(), at);
    }
  }

  /** 0xFC: saturating truncations (0-7) and bulk memory / table operations (8-17). */
  private prefixFC(): void {
    const r = this.reader;
    const start = r.pos - 1;
    const sub = r.u32();
    if (sub <= 7) return;
    switch (sub) {
      case 8: // memory.init data mem
      case 10: // memory.copy mem mem
      case 12: // table.init elem table
      case 14: // table.copy table table
        r.u32();
        r.u32();
        return;
      case 9: // data.drop
      case 11: // memory.fill
      case 13: // elem.drop
      case 15: // table.grow
      case 16: // table.size
      case 17: // table.fill
        r.u32();
        return;
      default:
        throw r.malformed(`unknown opcode 0xFC ${sub}`, start);
    }
  }

  /** 0xFD: SIMD and relaxed SIMD. */
  private prefixFD(): void {
    const r = this.reader;
    const start = r.pos - 1;
    const sub = r.u32();
    if (sub <= 0x0b || sub === 0x5c || sub === 0x5d) {
      this.memarg(); // loads, splats, store, load32_zero/load64_zero
    } else if (sub === 0x0c || sub === 0x0d) {
      r.skip(16); // v128.const, i8x16.shuffle
    } else if (sub >= 0x15 && sub <= 0x22) {
      r.u8(); // extract_lane / replace_lane: lane index
    } else if (sub >= 0x54 && sub <= 0x5b) {
      this.memarg(); // load/store lane: memarg then lane index
      r.u8();
    } else if (sub > 0x113 || unassignedSimd.has(sub)) {
      throw r.malformed(`unknown SIMD opcode 0xFD ${sub}`, start);
    }
  }

  /** 0xFE: threads and atomics. */
  private prefixFE(): void {
    const r = this.reader;
    const start = r.pos - 1;
    const sub = r.u32();
    if (sub === 0x03) {
      if (r.u8() !== 0x00) throw r.malformed('atomic.fence expects a zero byte', start);
    } else if (sub <= 0x02 || (sub >= 0x10 && sub <= 0x4e)) {
      this.memarg();
    } else {
      throw r.malformed(`unknown atomic opcode 0xFE ${sub}`, start);
    }
  }
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0').toUpperCase();
}
