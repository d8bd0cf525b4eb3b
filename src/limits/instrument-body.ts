/**
 * The code-section half of the fuel rewriter: splits each function body into
 * straight-line segments and inserts each segment's charge (and, at function
 * entry and loop headers, the out-of-fuel check). See instrument-fuel.ts for
 * the cost model. Platform-neutral.
 */
import { InstructionDecoder, Flow } from './opcodes.js';
import { SectionId, WasmReader } from './wasm-reader.js';
import { ByteWriter, writeSection } from './wasm-writer.js';


// -------------------------------------------------------------- code section

/** What the body rewrite needs: where the fuel lives and what to call when it runs out. */
export interface FuelTargets {
  fuelGlobal: number;
  /** Index of the out-of-fuel import; also the first function index that shifts by one. */
  outOfFuelFunction: number;
  /** Parameter count of each defined function, in code-section order. */
  paramCounts: number[];
}

/** Name of the custom section that marks the fuel checks' slow paths as unlikely. */
export const BRANCH_HINT_SECTION = 'metadata.code.branch_hint';

/**
 * Writes the code section (id 10) with every body instrumented, preceded by
 * a branch-hint section (custom, which must come before the code) that marks
 * every inserted out-of-fuel `if` as not taken. The slow path holds a call;
 * an engine that reads the hints (V8 with branch hinting on) keeps it out of
 * line, and the registers live across it are not spilled on the hot path.
 * Returns the number of bodies.
 */
export function writeCodeSection(out: ByteWriter, reader: WasmReader, plan: FuelTargets): number {
  const count = reader.u32();
  if (count !== plan.paramCounts.length) throw reader.malformed('the code and function sections disagree on the number of functions');
  const payload = new ByteWriter(Math.ceil((reader.end - reader.pos) * 1.4) + 64);
  payload.u32(count);
  const body = new ByteWriter(4096);
  const instrumenter = new BodyInstrumenter(reader, plan);
  const hints = new ByteWriter(1024);
  let hinted = 0;
  for (let i = 0; i < count; i++) {
    const size = reader.u32();
    const end = reader.pos + size;
    if (end > reader.end) throw reader.malformed('function body runs past the code section');
    body.length = 0;
    const checks = instrumenter.instrument(reader.pos, end, plan.paramCounts[i]!, body);
    payload.u32(body.length);
    payload.bytes(body.view());
    reader.pos = end;
    if (checks.length > 0) {
      hinted++;
      hints.u32(plan.outOfFuelFunction + 1 + i);
      hints.u32(checks.length);
      for (const offset of checks) {
        hints.u32(offset);
        hints.u32(1);
        hints.u8(0); // unlikely
      }
    }
  }
  if (!reader.atEnd) throw reader.malformed('unexpected bytes after the last function body');
  if (hinted > 0) {
    const section = new ByteWriter(hints.length + 32);
    section.name(BRANCH_HINT_SECTION);
    section.u32(hinted);
    section.bytes(hints.view());
    writeSection(out, SectionId.custom, section.view());
  }
  writeSection(out, SectionId.code, payload.view());
  return count;
}

/** Segment flags. */
const Checked = 1; // function entry or loop header: check after the charge
const Dead = 2; // follows an unconditional transfer: never runs, no charge
const Reload = 4; // follows a call or a catch: the global may have moved, reload the local
const AfterEnd = 8; // follows an `end` (reloaded when the function uses try_table)
const Entry = 16; // the function's first segment: load the local from the global
const LoopHeader = 32; // a loop's first segment (reloaded when the function uses try_table: a catch may branch here)
const Wrapped = 64; // the header of a loop wrapped so that its slow path lies outside it (see ChargeEncoder)

/** Labels each wrapped loop adds around itself: block $done, loop $retry, block $slow. */
const WRAP_LABELS = 3;

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
  /** A loop that may be wrapped (live, no parameters or results): its number among those, else -1. */
  candidate: number;
  /** Something inside calls. */
  calls: boolean;
}

function openBlock(kind: Construct, opener: number): OpenBlock {
  return { kind, opener, targeted: false, escapesTo: Number.POSITIVE_INFINITY, candidate: -1, calls: false };
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
  /** Immediates re-encoded: shifted function indices, and labels that now cross wrapped loops' added labels. */
  private patchStart: number[] = [];
  private patchEnd: number[] = [];
  private patchIndex: number[] = [];
  /** For a label patch: the candidate loops its branch crosses (the value grows by WRAP_LABELS per wrapped one). */
  private patchCrosses: (number[] | undefined)[] = [];
  /** Per candidate loop: whether it is wrapped (decided at its end: when nothing inside calls), where it starts, its header segment. */
  private candidateWrapped: boolean[] = [];
  private candidateOpenAt: number[] = [];
  private candidateHeader: number[] = [];
  /** Where wrapped loops start (their `loop`) and end (after their `end`), and each one's header segment. */
  private wrapOpenAt: number[] = [];
  private wrapCloseAt: number[] = [];
  private wrapHeader: number[] = [];
  private usesTryTable = false;

  constructor(
    reader: WasmReader,
    private readonly plan: FuelTargets,
  ) {
    this.bytes = reader.bytes;
  }

  /** Writes the instrumented body to OUT (from its start); returns the offsets of the inserted checks' `if`s. */
  instrument(start: number, end: number, params: number, out: ByteWriter): number[] {
    const { codeStart, fuelLocal } = this.writeLocals(start, end, params, out);
    // Legacy exception handling counts labels in rethrow and delegate, and a
    // catch may branch to a loop header: such functions keep their loops as they are.
    if (!this.findSegments(codeStart, end, true)) this.findSegments(codeStart, end, false);
    return this.emit(codeStart, end, out, new ChargeEncoder(this.plan.fuelGlobal, this.plan.outOfFuelFunction, fuelLocal));
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

  /** Returns false when WRAP_LOOPS met an instruction that rules wrapping out (the caller goes again without). */
  private findSegments(codeStart: number, end: number, wrapLoops: boolean): boolean {
    const reader = new WasmReader(this.bytes, codeStart, end);
    const decoder = new InstructionDecoder(reader);
    const firstDefined = this.plan.outOfFuelFunction;
    this.segmentStart.length = this.segmentCost.length = this.segmentFlags.length = this.syncAt.length = 0;
    this.costInto.length = 0;
    this.reloadAt.length = 0;
    this.patchStart.length = this.patchEnd.length = this.patchIndex.length = this.patchCrosses.length = 0;
    this.candidateWrapped.length = this.candidateOpenAt.length = this.candidateHeader.length = 0;
    this.wrapOpenAt.length = this.wrapCloseAt.length = this.wrapHeader.length = 0;
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
        this.patchCrosses.push(undefined);
      }
      if (flow === Flow.plain) continue;
      if (wrapLoops && (opcode === 0x06 || opcode === 0x09 || opcode === 0x18 || opcode === 0x1f)) return false;
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
        blocks[blocks.length - 1]!.calls = true;
        if (tries > 0) escapeTo(blocks, innermostTry(blocks) - 1);
        this.reloadAt.push(reader.pos);
        continue;
      }
      if (opcode === 0x12 || opcode === 0x13) calls = true;
      if (flow === Flow.closesBlock) {
        const block = blocks.pop()!;
        if (blocks.length === 0) break;
        if (block.kind === Construct.try) tries--;
        blocks[blocks.length - 1]!.calls ||= block.calls;
        if (block.candidate >= 0 && !block.calls) {
          // A loop that calls nothing is wrapped: its slow path (a call) moves out of it.
          this.candidateWrapped[block.candidate] = true;
          const header = this.candidateHeader[block.candidate]!;
          this.segmentFlags[header]! |= Wrapped;
          this.wrapOpenAt.push(this.candidateOpenAt[block.candidate]!);
          this.wrapCloseAt.push(reader.pos);
          this.wrapHeader.push(header);
        }
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
        if (kind === Construct.loop) {
          current = this.beginSegment(reader.pos, Checked | LoopHeader);
          // Live loops without parameters or results (nearly all) may be wrapped.
          if (wrapLoops && live && this.bytes[decoder.opcodeStart + 1] === 0x40) {
            block.candidate = this.candidateWrapped.length;
            this.candidateWrapped.push(false);
            this.candidateOpenAt.push(decoder.opcodeStart);
            this.candidateHeader.push(current);
          }
        } else if (kind === Construct.if) current = this.beginSegment(reader.pos, 0);
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
    this.wrapOpenAt.sort((a, b) => a - b); // recorded as loops ended, inner first
    return true;
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
      const label = decoder.labels[i]!;
      const target = depth - 1 - label;
      blocks[target]!.targeted = true;
      escapeTo(blocks, target);
      let crosses: number[] | undefined;
      for (let b = target + 1; b < depth; b++) {
        const candidate = blocks[b]!.candidate;
        if (candidate >= 0) (crosses ??= []).push(candidate);
      }
      if (crosses) {
        this.patchStart.push(decoder.labelStarts[i]!);
        this.patchEnd.push(decoder.labelEnds[i]!);
        this.patchIndex.push(label);
        this.patchCrosses.push(crosses);
      }
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

  /** A patch's value: a shifted function index, or a label plus the labels of the wrapped loops its branch crosses. */
  private patchValue(patch: number): number {
    const crosses = this.patchCrosses[patch];
    let value = this.patchIndex[patch]!;
    if (crosses) for (const candidate of crosses) if (this.candidateWrapped[candidate]) value += WRAP_LABELS;
    return value;
  }

  private emit(codeStart: number, end: number, out: ByteWriter, charge: ChargeEncoder): number[] {
    const bytes = this.bytes;
    const checks: number[] = [];
    let cursor = codeStart;
    let patch = 0;
    let sync = 0;
    let reload = 0;
    let open = 0;
    let close = 0;
    const at = (list: number[], index: number) => (index < list.length ? list[index]! : Infinity);
    const copyUpTo = (limit: number) => {
      // Everything inserted strictly before LIMIT, in order. At one position:
      // a reload (after a call), a wrapped loop's close (after its end), a
      // wrapped loop's opening (before its loop), a sync (before the next
      // instruction). Patches lie inside instructions, apart from all these.
      for (;;) {
        const nextReload = at(this.reloadAt, reload);
        const nextClose = at(this.wrapCloseAt, close);
        const nextOpen = at(this.wrapOpenAt, open);
        const nextSync = at(this.syncAt, sync);
        const nextPatch = at(this.patchStart, patch);
        const next = Math.min(nextReload, nextClose, nextOpen, nextSync, nextPatch);
        if (next >= limit) break;
        out.copy(bytes, cursor, next);
        cursor = next;
        if (nextReload === next) {
          charge.writeLoad(out);
          reload++;
        } else if (nextClose === next) {
          charge.writeWrapClose(out, this.segmentCost[this.wrapHeader[close]!]!);
          close++;
        } else if (nextOpen === next) {
          charge.writeWrapOpen(out);
          open++;
        } else if (nextSync === next) {
          charge.writeSync(out);
          sync++;
        } else {
          out.u32(this.patchValue(patch));
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
      const check = charge.write(out, this.segmentCost[segment]!, flags & Wrapped ? 'leave' : flags & Checked ? 'check' : 'none');
      if (check >= 0) checks.push(check);
    }
    copyUpTo(end);
    return checks;
  }
}

/** call, call_indirect, return, return_call*, throw, rethrow, throw_ref: the global must be current before them. */
function leavesOrCalls(opcode: number): boolean {
  return (opcode >= 0x08 && opcode <= 0x0a) || (opcode >= 0x0f && opcode <= 0x13);
}

/**
 * Encodes the inserted code over the function's fuel local L and the fuel
 * global G. The slow path, `refill`, writes L back to G, calls out_of_fuel
 * (which returns the fuel to add, 0 to stop) and traps on 0, else adds it.
 *
 * A check in a loop header would put that call inside the loop, and V8 then
 * keeps the loop's values in memory across it on every iteration (up to 1.5x
 * on a tight loop). So a loop is wrapped and its check leaves it instead:
 *
 *     block $done loop $retry block $slow
 *       loop            ;; the guest's loop, untouched but for shifted labels
 *         L -= cost; br_if $slow (L < 0)
 *         ...
 *       end
 *       br $done
 *     end
 *     refill; L += cost (refunded: re-entering charges it again); br $retry
 *     end end
 */
class ChargeEncoder {
  private readonly load: Uint8Array;
  private readonly sync: Uint8Array;
  private readonly localGet: Uint8Array;
  private readonly localSet: Uint8Array;
  private readonly localTee: Uint8Array;
  private readonly refill: Uint8Array;
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
    const globalGet = instruction(0x23, fuelGlobal);
    this.load = join(globalGet, this.localSet); // global.get G; local.set L
    this.sync = join(this.localGet, instruction(0x24, fuelGlobal)); // local.get L; global.set G
    // G = L; L = out_of_fuel() + G; if (L == G) unreachable   (0 added: stop)
    this.refill = join(
      this.sync,
      instruction(0x10, outOfFuelFunction),
      globalGet,
      Uint8Array.of(0x7c), // i64.add
      this.localTee,
      globalGet,
      Uint8Array.of(0x51, 0x04, 0x40, 0x00, 0x0b), // i64.eq; if; unreachable; end
    );
    // (fuel on the stack) i64.const 0; i64.lt_s; if: refill; end
    this.stopIfEmpty = join(Uint8Array.of(0x42, 0x00, 0x53, 0x04, 0x40), this.refill, Uint8Array.of(0x0b));
  }

  /** `L = G`: at function entry, and where the global may have moved (after calls and catches). */
  writeLoad(out: ByteWriter): void {
    out.bytes(this.load);
  }

  /** `G = L`: before the function can be left or the global read elsewhere. */
  writeSync(out: ByteWriter): void {
    out.bytes(this.sync);
  }

  /**
   * `L -= cost`, then for `check`: `if (L < 0) refill`; for `leave` (a
   * wrapped loop's header): `br_if $slow (L < 0)`. Returns the offset in OUT
   * of that `if` or `br_if` (for its branch hint), or -1.
   */
  write(out: ByteWriter, cost: number, check: 'none' | 'check' | 'leave'): number {
    if (cost > 0) {
      out.bytes(this.localGet);
      out.u8(0x42); // i64.const
      out.sNumber(cost);
      out.u8(0x7d); // i64.sub
      out.bytes(check === 'none' ? this.localSet : this.localTee);
    } else if (check !== 'none') {
      out.bytes(this.localGet);
    }
    if (check === 'none') return -1;
    const at = out.length + 3; // after i64.const 0; i64.lt_s
    if (check === 'check') out.bytes(this.stopIfEmpty);
    else out.bytes(Uint8Array.of(0x42, 0x00, 0x53, 0x0d, 0x01)); // br_if 1: $slow, just outside the loop
    return at;
  }

  /** Before a wrapped loop: `block $done loop $retry block $slow`. */
  writeWrapOpen(out: ByteWriter): void {
    out.bytes(Uint8Array.of(0x02, 0x40, 0x03, 0x40, 0x02, 0x40));
  }

  /** After a wrapped loop's end: `br $done end refill L += cost br $retry end end`. */
  writeWrapClose(out: ByteWriter, headerCost: number): void {
    out.bytes(Uint8Array.of(0x0c, 0x02, 0x0b));
    out.bytes(this.refill);
    if (headerCost > 0) {
      out.bytes(this.localGet);
      out.u8(0x42);
      out.sNumber(headerCost);
      out.u8(0x7c); // i64.add
      out.bytes(this.localSet);
    }
    out.bytes(Uint8Array.of(0x0c, 0x00, 0x0b, 0x0b));
  }
}
