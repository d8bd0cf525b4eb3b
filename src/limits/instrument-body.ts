/**
 * The code-section half of the fuel rewriter: splits each function body into
 * straight-line segments and inserts each segment's charge (and, at function
 * entry and loop headers, the out-of-fuel check). See instrument-fuel.ts for
 * the cost model. Platform-neutral.
 */
import { InstructionDecoder, Flow } from './opcodes.js';
import { WasmReader } from './wasm-reader.js';
import { ByteWriter, writeSection } from './wasm-writer.js';

const CODE_SECTION_ID = 10;

// -------------------------------------------------------------- code section

/** What the body rewrite needs: where the fuel lives and what to call when it runs out. */
export interface FuelTargets {
  fuelGlobal: number;
  /** Index of the out-of-fuel import; also the first function index that shifts by one. */
  outOfFuelFunction: number;
  /** Parameter count of each defined function, in code-section order. */
  paramCounts: number[];
}

/** Writes the code section (id 10) with every body instrumented; returns the number of bodies. */
export function writeCodeSection(out: ByteWriter, reader: WasmReader, plan: FuelTargets): number {
  const count = reader.u32();
  if (count !== plan.paramCounts.length) throw reader.malformed('the code and function sections disagree on the number of functions');
  const payload = new ByteWriter(Math.ceil((reader.end - reader.pos) * 1.4) + 64);
  payload.u32(count);
  const body = new ByteWriter(4096);
  const instrumenter = new BodyInstrumenter(reader, plan);
  for (let i = 0; i < count; i++) {
    const size = reader.u32();
    const end = reader.pos + size;
    if (end > reader.end) throw reader.malformed('function body runs past the code section');
    body.length = 0;
    instrumenter.instrument(reader.pos, end, plan.paramCounts[i]!, body);
    payload.u32(body.length);
    payload.bytes(body.view());
    reader.pos = end;
  }
  if (!reader.atEnd) throw reader.malformed('unexpected bytes after the last function body');
  writeSection(out, CODE_SECTION_ID, payload.view());
  return count;
}

/** Segment flags. */
const Checked = 1; // function entry or loop header: check after the charge
const Dead = 2; // follows an unconditional transfer: never runs, no charge
const Reload = 4; // follows a call or a catch: the global may have moved, reload the local
const AfterEnd = 8; // follows an `end` (reloaded when the function uses try_table)
const Entry = 16; // the function's first segment: load the local from the global

/**
 * Rewrites one function body in two passes. The first decodes every
 * instruction and records segments (start, cost, flags), the points where the
 * fuel local must be written back to the global (before calls, returns,
 * throws, branches out of the function and its final end), and function-index
 * immediates to shift. The second copies the body, inserting the charges,
 * checks and syncs, and re-encoding the shifted indices.
 *
 * The counter lives in a local added to the function, not in the global:
 * charging a local is register work, while charging the global makes every
 * segment a load-subtract-store chain through memory (2x on tight loops).
 */
class BodyInstrumenter {
  private readonly bytes: Uint8Array;
  // Per-body scratch, reused to avoid allocation on 100k-function modules.
  private segmentStart: number[] = [];
  private segmentCost: number[] = [];
  private segmentFlags: number[] = [];
  private syncAt: number[] = [];
  /** Right after calls: the callee used fuel from the global, so the local is reloaded. */
  private reloadAt: number[] = [];
  private patchStart: number[] = [];
  private patchEnd: number[] = [];
  private patchIndex: number[] = [];
  private usesTryTable = false;

  constructor(
    reader: WasmReader,
    private readonly plan: FuelTargets,
  ) {
    this.bytes = reader.bytes;
  }

  instrument(start: number, end: number, params: number, out: ByteWriter): void {
    const { codeStart, fuelLocal } = this.writeLocals(start, end, params, out);
    this.findSegments(codeStart, end);
    this.emit(codeStart, end, out, new ChargeEncoder(this.plan.fuelGlobal, this.plan.outOfFuelFunction, fuelLocal));
  }

  /** Copies the local declarations with one i64 added; returns where the code starts and the new local's index. */
  private writeLocals(start: number, end: number, params: number, out: ByteWriter): { codeStart: number; fuelLocal: number } {
    const reader = new WasmReader(this.bytes, start, end);
    const decoder = new InstructionDecoder(reader);
    const groups = reader.u32();
    const groupsStart = reader.pos;
    let locals = params;
    for (let i = 0; i < groups; i++) {
      locals += reader.u32();
      decoder.valueType();
    }
    if (locals >= 50_000) throw reader.malformed('a function declares too many locals to add the fuel counter');
    out.u32(groups + 1);
    out.copy(this.bytes, groupsStart, reader.pos);
    out.u32(1);
    out.u8(0x7e); // i64
    return { codeStart: reader.pos, fuelLocal: locals };
  }

  private findSegments(codeStart: number, end: number): void {
    const reader = new WasmReader(this.bytes, codeStart, end);
    const decoder = new InstructionDecoder(reader);
    const firstDefined = this.plan.outOfFuelFunction;
    this.segmentStart.length = this.segmentCost.length = this.segmentFlags.length = this.syncAt.length = 0;
    this.reloadAt.length = 0;
    this.patchStart.length = this.patchEnd.length = this.patchIndex.length = 0;
    this.usesTryTable = false;
    this.beginSegment(codeStart, Entry | Checked);
    let depth = 1;
    let current = 0;
    let calls = false;
    for (;;) {
      const flow = decoder.next();
      const opcode = decoder.opcode;
      this.segmentCost[current]!++;
      if (opcode >= 0x10 && opcode <= 0x13) calls = true;
      if (decoder.funcIndex >= firstDefined) {
        this.patchStart.push(decoder.funcIndexStart);
        this.patchEnd.push(decoder.funcIndexEnd);
        this.patchIndex.push(decoder.funcIndex + 1);
      }
      if (flow === Flow.plain) continue;
      if (leavesOrCalls(opcode) || (flow === Flow.closesBlock && depth === 1) || this.branchesOut(decoder, depth)) {
        this.syncAt.push(decoder.opcodeStart);
      }
      if (opcode === 0x10 || opcode === 0x11) {
        // A call does not end the segment (its cost is charged with the code
        // around it): only the local is reloaded after it.
        this.reloadAt.push(reader.pos);
        continue;
      }
      let flags = 0;
      if (flow === Flow.closesBlock) {
        if (--depth === 0) break;
        flags = AfterEnd;
      } else if (flow === Flow.opensBlock || flow === Flow.opensLoop) {
        depth++;
        if (opcode === 0x1f) this.usesTryTable = true;
        if (flow === Flow.opensLoop) flags = Checked;
      } else if (flow === Flow.transfers) {
        flags = Dead;
      } else if (opcode === 0x07 || opcode === 0x19) {
        flags = Reload; // after catch, catch_all: a callee threw, having used fuel from the global
      }
      current = this.beginSegment(reader.pos, flags);
    }
    if (reader.pos !== end) throw reader.malformed('function body continues after its final end');
    // Without calls a function cannot recurse, and its loops have checks of
    // their own: its entry needs no check (small leaf functions are hot).
    if (!calls) this.segmentFlags[0]! &= ~Checked;
  }

  /** Does the last br/br_if/br_table have a target that leaves the function (its outermost label)? */
  private branchesOut(decoder: InstructionDecoder, depth: number): boolean {
    for (let i = 0; i < decoder.labelCount; i++) if (decoder.labels[i] === depth - 1) return true;
    return false;
  }

  private beginSegment(at: number, flags: number): number {
    this.segmentStart.push(at);
    this.segmentCost.push(0);
    this.segmentFlags.push(flags);
    return this.segmentStart.length - 1;
  }

  private emit(codeStart: number, end: number, out: ByteWriter, charge: ChargeEncoder): void {
    const bytes = this.bytes;
    let cursor = codeStart;
    let patch = 0;
    let sync = 0;
    let reload = 0;
    const copyUpTo = (limit: number) => {
      // Function-index patches, reloads and syncs strictly before LIMIT, in
      // order; at one position a reload (after a call) comes before a sync
      // (before the next instruction).
      for (;;) {
        const nextPatch = patch < this.patchStart.length ? this.patchStart[patch]! : Infinity;
        const nextSync = sync < this.syncAt.length ? this.syncAt[sync]! : Infinity;
        const nextReload = reload < this.reloadAt.length ? this.reloadAt[reload]! : Infinity;
        const next = Math.min(nextPatch, nextSync, nextReload);
        if (next >= limit) break;
        out.copy(bytes, cursor, next);
        cursor = next;
        if (nextReload === next) {
          charge.writeLoad(out);
          reload++;
        } else if (nextSync === next) {
          charge.writeSync(out);
          sync++;
        } else {
          out.u32(this.patchIndex[patch]!);
          cursor = this.patchEnd[patch]!;
          patch++;
        }
      }
      out.copy(bytes, cursor, limit);
      cursor = limit;
    };
    for (let segment = 0; segment < this.segmentStart.length; segment++) {
      copyUpTo(this.segmentStart[segment]!);
      const flags = this.segmentFlags[segment]!;
      if (flags & Dead) continue;
      if (flags & (Entry | Reload) || (flags & AfterEnd && this.usesTryTable)) charge.writeLoad(out);
      charge.write(out, this.segmentCost[segment]!, (flags & Checked) !== 0);
    }
    copyUpTo(end);
  }
}

/** call, call_indirect, return, return_call*, throw, rethrow, throw_ref: the global must be current before them. */
function leavesOrCalls(opcode: number): boolean {
  return (opcode >= 0x08 && opcode <= 0x0a) || (opcode >= 0x0f && opcode <= 0x13);
}

/** Encodes the inserted code over the function's fuel local L and the fuel global G. */
class ChargeEncoder {
  private readonly load: Uint8Array;
  private readonly sync: Uint8Array;
  private readonly localGet: Uint8Array;
  private readonly localSet: Uint8Array;
  private readonly localTee: Uint8Array;
  private readonly stopIfEmpty: Uint8Array;

  constructor(fuelGlobal: number, outOfFuelFunction: number, fuelLocal: number) {
    const instruction = (opcode: number, index: number) => {
      const writer = new ByteWriter(8);
      writer.u8(opcode);
      writer.u32(index);
      return writer.view();
    };
    const join = (...parts: Uint8Array[]) => {
      const writer = new ByteWriter(32);
      for (const part of parts) writer.bytes(part);
      return writer.view();
    };
    this.localGet = instruction(0x20, fuelLocal);
    this.localSet = instruction(0x21, fuelLocal);
    this.localTee = instruction(0x22, fuelLocal);
    this.load = join(instruction(0x23, fuelGlobal), this.localSet); // global.get G; local.set L
    this.sync = join(this.localGet, instruction(0x24, fuelGlobal)); // local.get L; global.set G
    // (fuel on the stack) i64.const 0; i64.lt_s; if: sync, call out_of_fuel, trap on 1, reload; end
    this.stopIfEmpty = join(
      Uint8Array.of(0x42, 0x00, 0x53, 0x04, 0x40),
      this.sync,
      instruction(0x10, outOfFuelFunction),
      Uint8Array.of(0x04, 0x40, 0x00, 0x0b),
      this.load,
      Uint8Array.of(0x0b),
    );
  }

  /** `L = G`: at function entry, and where the global may have moved (after calls and catches). */
  writeLoad(out: ByteWriter): void {
    out.bytes(this.load);
  }

  /** `G = L`: before the function can be left or the global read elsewhere. */
  writeSync(out: ByteWriter): void {
    out.bytes(this.sync);
  }

  /** `L -= cost`, then, if `checked`, `if (L < 0) { G = L; if (out_of_fuel()) unreachable; L = G }`. */
  write(out: ByteWriter, cost: number, checked: boolean): void {
    if (cost > 0) {
      out.bytes(this.localGet);
      out.u8(0x42); // i64.const
      out.sNumber(cost);
      out.u8(0x7d); // i64.sub
      out.bytes(checked ? this.localTee : this.localSet);
    } else if (checked) {
      out.bytes(this.localGet);
    }
    if (checked) out.bytes(this.stopIfEmpty);
  }
}
