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
const LoopHeader = 32; // a loop's first segment (reloaded when the function uses try_table: a catch may branch here)

/** The kinds of construct the segmenting tells apart (try: try and try_table). */
const Construct = { body: 0, block: 1, loop: 2, if: 3, try: 4 } as const;
type Construct = (typeof Construct)[keyof typeof Construct];

interface OpenBlock {
  readonly kind: Construct;
  /** The segment running when the construct was entered; -1 if that code is dead. */
  readonly opener: number;
  /** Some branch targets the construct's label. */
  targeted: boolean;
  /** The lowest stack index a branch inside leaves to (-1: out of the function); Infinity if none. */
  escapesTo: number;
}

function openBlock(kind: Construct, opener: number): OpenBlock {
  return { kind, opener, targeted: false, escapesTo: Number.POSITIVE_INFINITY };
}

/** Records on the innermost construct that control may leave to stack index TARGET (propagated outwards at each end). */
function escapeTo(blocks: OpenBlock[], target: number): void {
  const top = blocks[blocks.length - 1]!;
  top.escapesTo = Math.min(top.escapesTo, target);
}

function innermostTry(blocks: OpenBlock[]): number {
  for (let i = blocks.length - 1; i > 0; i--) if (blocks[i]!.kind === Construct.try) return i;
  return 0;
}

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
  /** The segment whose charge pays for each segment's instructions (itself, or the one it was hoisted into). */
  private costInto: number[] = [];
  /** The constructs open at the current instruction, the function body first. */
  private readonly blocks: OpenBlock[] = [];
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
    this.costInto.length = 0;
    this.reloadAt.length = 0;
    this.patchStart.length = this.patchEnd.length = this.patchIndex.length = 0;
    this.usesTryTable = false;
    const blocks = this.blocks;
    blocks.length = 0;
    let current = this.beginSegment(codeStart, Entry | Checked);
    blocks.push(openBlock(Construct.body, current));
    let tries = 0;
    let calls = false;
    for (;;) {
      const flow = decoder.next();
      const opcode = decoder.opcode;
      this.segmentCost[this.costInto[current]!]!++;
      if (decoder.funcIndex >= firstDefined) {
        this.patchStart.push(decoder.funcIndexStart);
        this.patchEnd.push(decoder.funcIndexEnd);
        this.patchIndex.push(decoder.funcIndex + 1);
      }
      if (flow === Flow.plain) continue;
      const depth = blocks.length;
      if (leavesOrCalls(opcode) || (flow === Flow.closesBlock && depth === 1) || this.branchesOut(decoder, depth)) {
        this.syncAt.push(decoder.opcodeStart);
      }
      this.noteBranches(decoder, opcode);
      if (opcode === 0x10 || opcode === 0x11) {
        // A call does not end the segment (its cost is charged with the code
        // around it): only the local is reloaded after it. Inside a try, a
        // callee's exception may leave the blocks between here and the try.
        calls = true;
        if (tries > 0) escapeTo(blocks, innermostTry(blocks) - 1);
        this.reloadAt.push(reader.pos);
        continue;
      }
      if (opcode === 0x12 || opcode === 0x13) calls = true;
      if (flow === Flow.closesBlock) {
        const block = blocks.pop()!;
        if (blocks.length === 0) break;
        if (block.kind === Construct.try) tries--;
        current = this.afterEnd(block, current, blocks, reader.pos);
      } else if (flow === Flow.opensBlock || flow === Flow.opensLoop) {
        const kind = opcode === 0x03 ? Construct.loop : opcode === 0x04 ? Construct.if : opcode === 0x02 ? Construct.block : Construct.try;
        const live = (this.segmentFlags[current]! & Dead) === 0;
        const block = openBlock(kind, live ? current : -1);
        blocks.push(block);
        if (opcode === 0x1f) this.usesTryTable = true;
        if (kind === Construct.try) {
          tries++;
          if (opcode === 0x06) block.escapesTo = -1; // legacy try: catch and delegate are not followed, never hoisted
        }
        // Entering a block or a try is straight-line; an if's arm and a loop's header are not.
        if (kind === Construct.loop) current = this.beginSegment(reader.pos, Checked | LoopHeader);
        else if (kind === Construct.if) current = this.beginSegment(reader.pos, 0);
      } else if (flow === Flow.transfers) {
        current = this.beginSegment(reader.pos, Dead);
      } else if (opcode === 0x07 || opcode === 0x19) {
        current = this.beginSegment(reader.pos, Reload); // after catch, catch_all: a callee threw, having used fuel from the global
      } else {
        current = this.beginSegment(reader.pos, 0); // after br_if (the fall-through) and else
      }
    }
    if (reader.pos !== end) throw reader.malformed('function body continues after its final end');
    // Without calls a function cannot recurse, and its loops have checks of
    // their own: its entry needs no check (small leaf functions are hot).
    if (!calls) this.segmentFlags[0]! &= ~Checked;
  }

  /**
   * The segment after a construct's `end`. Where only the construct's last
   * segment falls through to it (a loop, or a block no branch targets), the
   * code after it continues that segment. Otherwise it is a join and starts
   * a segment of its own. Either way, a construct that nothing can leave but
   * its end (no branch past it, return, throw) runs what follows it exactly
   * once each time it is entered: that cost is charged with the code before
   * the construct (hoisted), so a straight run of constructs costs one charge.
   */
  private afterEnd(block: OpenBlock, current: number, blocks: OpenBlock[], at: number): number {
    const outer = blocks[blocks.length - 1]!;
    outer.escapesTo = Math.min(outer.escapesTo, block.escapesTo);
    const hoistInto = block.opener >= 0 && block.escapesTo >= blocks.length ? this.costInto[block.opener]! : -1;
    const fallsThroughOnly = block.kind === Construct.loop || (block.kind === Construct.block && !block.targeted);
    if (fallsThroughOnly) {
      const flags = this.segmentFlags[current]!;
      if (hoistInto >= 0 && hoistInto !== current && this.costInto[current] === current && (flags & (Checked | Dead)) === 0) {
        // The construct's last segment runs once per entry too.
        this.segmentCost[hoistInto]! += this.segmentCost[current]!;
        this.segmentCost[current] = 0;
        this.costInto[current] = hoistInto;
      }
      return current;
    }
    const next = this.beginSegment(at, AfterEnd);
    if (hoistInto >= 0) this.costInto[next] = hoistInto;
    return next;
  }
  /** Does the last br/br_if/br_table have a target that leaves the function (its outermost label)? */
  private branchesOut(decoder: InstructionDecoder, depth: number): boolean {
    for (let i = 0; i < decoder.labelCount; i++) if (decoder.labels[i] === depth - 1) return true;
    return false;
  }

  /**
   * Records where the last instruction can send control besides the next
   * one: the blocks whose labels it targets (their ends become joins), and
   * the blocks it leaves early (their followers cannot be hoisted).
   */
  private noteBranches(decoder: InstructionDecoder, opcode: number): void {
    const blocks = this.blocks;
    const depth = blocks.length;
    for (let i = 0; i < decoder.labelCount; i++) {
      const target = depth - 1 - decoder.labels[i]!;
      blocks[target]!.targeted = true;
      escapeTo(blocks, target);
    }
    // return, return_call*, throw, rethrow, throw_ref: leave the function (or reach a handler we do not follow).
    if (opcode === 0x0f || opcode === 0x12 || opcode === 0x13 || (opcode >= 0x08 && opcode <= 0x0a)) escapeTo(blocks, -1);
  }

  private beginSegment(at: number, flags: number): number {
    this.segmentStart.push(at);
    this.segmentCost.push(0);
    this.segmentFlags.push(flags);
    this.costInto.push(this.segmentStart.length - 1);
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
      if (flags & (Entry | Reload) || (flags & (AfterEnd | LoopHeader) && this.usesTryTable)) charge.writeLoad(out);
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
