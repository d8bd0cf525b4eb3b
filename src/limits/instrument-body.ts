/**
 * The code-section half of the fuel rewriter: splits each function body into
 * straight-line segments and inserts each segment's charge (and, at function
 * entry and loop headers, the out-of-fuel check). See instrument-fuel.ts for
 * the cost model. Platform-neutral.
 */
import type { CallSites } from './call-graph.js';
import { FuelPassingUnsupported, rulesOutFuelPassing, type FuelPassing } from './fuel-passing.js';
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
  /** Filled with each function's calls outside loops; decides which entry checks stay. */
  callSites: CallSites;
  /** The canonical type (equal types, equal numbers) of a function index, or of a type index for `typeOfIndex`. */
  typeOfFunction: (functionIndex: number) => number;
  typeOfIndex: (typeIndex: number) => number;
  /** Which functions take and return the fuel counter (fuel-passing.ts). */
  passing: FuelPassing;
  /** With a memory cap: the added i32 global every `memory.grow` stores its result in (-1: it failed). */
  growGlobal?: number;
}

/**
 * An entry check's bytes in an instrumented body: `local.tee` at TEE (-1 when
 * the entry costs nothing and there is a `local.get` instead, inside
 * [START, END)), then the `if` to its `end` in [START, END).
 */
interface EntryCheck {
  tee: number;
  start: number;
  end: number;
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
  const bodies = new ByteWriter(Math.ceil((reader.end - reader.pos) * 1.4) + 64);
  const bodyEnds: number[] = [];
  /** Per function: its checks' offsets (in order; an entry check first), and where they end. */
  const checks: number[] = [];
  const checksEnd: number[] = [];
  /** Per function: the entry check's bytes (see EntryCheck), or -1 when there is none. */
  const entryTee: number[] = [];
  const entryStart: number[] = [];
  const entryEnd: number[] = [];
  const instrumenter = new BodyInstrumenter(reader, plan);
  for (let i = 0; i < count; i++) {
    const size = reader.u32();
    const end = reader.pos + size;
    if (end > reader.end) throw reader.malformed('function body runs past the code section');
    const result = instrumenter.instrument(i, reader.pos, end, bodies);
    plan.callSites.addFunction(size, result.entry !== undefined, instrumenter.directCalls, instrumenter.indirectCalls);
    entryTee.push(result.entry?.tee ?? -1);
    entryStart.push(result.entry?.start ?? -1);
    entryEnd.push(result.entry?.end ?? -1);
    for (const offset of result.checks) checks.push(offset);
    checksEnd.push(checks.length);
    bodyEnds.push(bodies.length);
    reader.pos = end;
  }
  if (!reader.atEnd) throw reader.malformed('unexpected bytes after the last function body');
  const keep = plan.callSites.entryChecks(plan.outOfFuelFunction, plan.typeOfFunction);

  const payload = new ByteWriter(bodies.length + 5 * count + 16);
  payload.u32(count);
  const hints = new ByteWriter(1024);
  let hinted = 0;
  const source = bodies.view();
  let bodyStart = 0;
  let check = 0;
  for (let i = 0; i < count; i++) {
    const bodyEnd = bodyEnds[i]!;
    const start = entryStart[i]!;
    const dropped = start >= 0 && !keep[i] ? entryEnd[i]! - start : 0;
    if (dropped === 0) {
      payload.u32(bodyEnd - bodyStart);
      payload.copy(source, bodyStart, bodyEnd);
    } else {
      // The entry check goes: its `local.tee` becomes a `local.set` (same size) and its `if` is cut out.
      payload.u32(bodyEnd - bodyStart - dropped);
      const tee = entryTee[i]!;
      const teeAt = bodyStart + tee;
      if (tee >= 0) {
        payload.copy(source, bodyStart, teeAt);
        payload.u8(0x21);
        payload.copy(source, teeAt + 1, bodyStart + start);
      } else payload.copy(source, bodyStart, bodyStart + start);
      payload.copy(source, bodyStart + entryEnd[i]!, bodyEnd);
      check++; // the entry check's hint
    }
    const first = check;
    const last = checksEnd[i]!;
    if (last > first) {
      hinted++;
      hints.u32(plan.outOfFuelFunction + 1 + i);
      hints.u32(last - first);
      for (; check < last; check++) {
        hints.u32(checks[check]! - dropped);
        hints.u32(1);
        hints.u8(0); // unlikely
      }
    }
    check = last;
    bodyStart = bodyEnd;
  }
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

/** What goes where the counter must leave the local: to the global, or (fuel passing) onto the stack. */
const Sync = { global: 0, push: 1, closeBody: 2 } as const;
type Sync = (typeof Sync)[keyof typeof Sync];

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
  /** What is inserted at each syncAt: Sync.global, or for fuel passing Sync.push (before a call or return) or Sync.closeBody (the final end). */
  private syncKind: number[] = [];
  /** Right after calls: the callee used fuel from the global, so the local is reloaded. */
  private reloadAt: number[] = [];
  /** Right after each `memory.grow`: its result is recorded in the grow global. */
  private growAt: number[] = [];
  /** True where a passing callee returned the counter (it is popped into the local, not reloaded). */
  private reloadPops: boolean[] = [];
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
  /** The current function passes fuel (fuel-passing.ts): the block type around its body; else undefined. */
  private bodyBlockType: Uint8Array | undefined;
  private params = 0;
  /** Per fuel local index: the encoder of the code inserted with it. */
  private readonly encoders = new Map<number, ChargeEncoder>();
  /** The last body's direct callees (original function indices) and indirect calls' canonical types, outside loops. */
  readonly directCalls: number[] = [];
  readonly indirectCalls: number[] = [];

  constructor(
    reader: WasmReader,
    private readonly plan: FuelTargets,
  ) {
    this.bytes = reader.bytes;
  }

  /**
   * Appends the instrumented body to OUT; returns the offsets (from the
   * body's start) of the inserted checks' `if`s and where the entry check is.
   */
  instrument(fn: number, start: number, end: number, out: ByteWriter): { checks: number[]; entry?: EntryCheck } {
    const base = out.length;
    const params = this.plan.paramCounts[fn]!;
    this.bodyBlockType = this.plan.passing.bodyBlockType[fn];
    this.params = params;
    const { codeStart, fuelLocal } = this.writeLocals(start, end, params, out, !this.bodyBlockType);
    // Legacy exception handling counts labels in rethrow and delegate, and a
    // catch may branch to a loop header: such functions keep their loops as they are.
    if (!this.findSegments(codeStart, end, true)) this.findSegments(codeStart, end, false);
    let charge = this.encoders.get(fuelLocal);
    if (!charge) this.encoders.set(fuelLocal, (charge = new ChargeEncoder(this.plan.fuelGlobal, this.plan.outOfFuelFunction, fuelLocal)));
    const result = this.emit(codeStart, end, out, charge);
    for (let i = 0; i < result.checks.length; i++) result.checks[i]! -= base;
    if (result.entry) {
      if (result.entry.tee >= 0) result.entry.tee -= base;
      result.entry.start -= base;
      result.entry.end -= base;
    }
    return result;
  }

  /**
   * Copies the local declarations, with one i64 added for the counter unless
   * it is a parameter (the function passes fuel); returns where the code
   * starts and the counter's index.
   */
  private writeLocals(start: number, end: number, params: number, out: ByteWriter, addCounter: boolean): { codeStart: number; fuelLocal: number } {
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
    if (!addCounter) {
      out.copy(this.bytes, start, reader.pos);
      return { codeStart: reader.pos, fuelLocal: params };
    }
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
    this.segmentStart.length = this.segmentCost.length = this.segmentFlags.length = this.syncAt.length = this.syncKind.length = 0;
    this.reloadPops.length = 0;
    this.costInto.length = 0;
    this.reloadAt.length = this.growAt.length = 0;
    this.patchStart.length = this.patchEnd.length = this.patchIndex.length = this.patchCrosses.length = 0;
    this.candidateWrapped.length = this.candidateOpenAt.length = this.candidateHeader.length = 0;
    this.wrapOpenAt.length = this.wrapCloseAt.length = this.wrapHeader.length = 0;
    this.usesTryTable = false;
    this.directCalls.length = this.indirectCalls.length = 0;
    const blocks = this.blocks;
    blocks.length = 0;
    let current = this.beginSegment(codeStart, Entry | Checked);
    blocks.push(openBlock(Construct.body, current));
    let tries = 0;
    let loops = 0;
    const passes = this.bodyBlockType !== undefined;
    const passingModule = this.plan.passing.extraTypes.length > 0;
    for (;;) {
      const flow = decoder.next();
      const opcode = decoder.opcode;
      this.segmentCost[this.costInto[current]!]!++;
      if (decoder.funcIndex >= firstDefined) {
        this.patchStart.push(decoder.funcIndexStart);
        this.patchEnd.push(decoder.funcIndexEnd);
        this.patchIndex.push(decoder.funcIndex + 1);
        this.patchCrosses.push(undefined);
      } else if (passes && decoder.localIndex >= this.params) {
        // The counter became the parameter after the others: locals move up by one.
        this.patchStart.push(decoder.localIndexStart);
        this.patchEnd.push(decoder.localIndexEnd);
        this.patchIndex.push(decoder.localIndex + 1);
        this.patchCrosses.push(undefined);
      }
      if (opcode === 0x40 && this.plan.growGlobal !== undefined) this.growAt.push(reader.pos); // memory.grow
      if (flow === Flow.plain) continue;
      if (passingModule && rulesOutFuelPassing(opcode)) throw new FuelPassingUnsupported();
      if (wrapLoops && (opcode === 0x06 || opcode === 0x09 || opcode === 0x18 || opcode === 0x1f)) return false;
      const depth = blocks.length;
      const callsPassing = opcode === 0x10 && decoder.funcIndex >= firstDefined && this.plan.passing.newType[decoder.funcIndex - firstDefined]! >= 0;
      if (callsPassing || (passes && opcode === 0x0f)) this.sync(decoder.opcodeStart, Sync.push);
      else if (flow === Flow.closesBlock && depth === 1) this.sync(decoder.opcodeStart, passes ? Sync.closeBody : Sync.global);
      else if (leavesOrCalls(opcode) || (!passes && this.branchesOut(decoder, depth))) this.sync(decoder.opcodeStart, Sync.global);
      this.noteBranches(decoder, opcode);
      if (opcode === 0x10 || opcode === 0x11) {
        // A call does not end the segment (its cost is charged with the code
        // around it): only the local is reloaded after it (or takes the
        // counter a passing callee returns). Inside a try, a callee's
        // exception may leave the blocks between here and the try.
        if (loops === 0) this.noteCallOutsideLoops(decoder);
        blocks[blocks.length - 1]!.calls = true;
        if (tries > 0) escapeTo(blocks, innermostTry(blocks) - 1);
        this.reloadAt.push(reader.pos);
        this.reloadPops.push(callsPassing);
        continue;
      }
      if ((opcode === 0x12 || opcode === 0x13) && loops === 0) this.noteCallOutsideLoops(decoder);
      if (flow === Flow.closesBlock) {
        const block = blocks.pop()!;
        if (blocks.length === 0) break;
        if (block.kind === Construct.try) tries--;
        if (block.kind === Construct.loop) loops--;
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
        if (kind === Construct.loop) loops++;
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
    // Only calls recurse. Every instruction inside a loop runs after that
    // loop's header (structured control flow has no other way in), so a call
    // inside a loop follows a check and a cycle of calls through it passes
    // one: a function needs an entry check only for calls outside every
    // loop, and even then the call graph may show it needs none
    // (call-graph.ts; writeCodeSection cuts the check out then).
    if (this.directCalls.length === 0 && this.indirectCalls.length === 0) this.segmentFlags[0]! &= ~Checked;
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

  private sync(at: number, kind: Sync): void {
    this.syncAt.push(at);
    this.syncKind.push(kind);
  }

  private noteCallOutsideLoops(decoder: InstructionDecoder): void {
    const opcode = decoder.opcode;
    if (opcode === 0x10 || opcode === 0x12) this.directCalls.push(decoder.funcIndex);
    else this.indirectCalls.push(this.plan.typeOfIndex(decoder.typeIndex));
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

  private emit(codeStart: number, end: number, out: ByteWriter, charge: ChargeEncoder): { checks: number[]; entry?: EntryCheck } {
    const bytes = this.bytes;
    const checks: number[] = [];
    let entry: EntryCheck | undefined;
    let cursor = codeStart;
    let patch = 0;
    let sync = 0;
    let reload = 0;
    let grow = 0;
    let open = 0;
    let close = 0;
    const at = (list: number[], index: number) => (index < list.length ? list[index]! : Infinity);
    const copyUpTo = (limit: number) => {
      // Everything inserted strictly before LIMIT, in order. At one position:
      // a reload (after a call), a grow record (after memory.grow, whose
      // result it takes from the stack and puts back), a wrapped loop's close
      // (after its end), a wrapped loop's opening (before its loop), a sync
      // (before the next instruction). Patches lie inside instructions,
      // apart from all these.
      for (;;) {
        const nextReload = at(this.reloadAt, reload);
        const nextGrow = at(this.growAt, grow);
        const nextClose = at(this.wrapCloseAt, close);
        const nextOpen = at(this.wrapOpenAt, open);
        const nextSync = at(this.syncAt, sync);
        const nextPatch = at(this.patchStart, patch);
        const next = Math.min(nextReload, nextGrow, nextClose, nextOpen, nextSync, nextPatch);
        if (next >= limit) break;
        out.copy(bytes, cursor, next);
        cursor = next;
        if (nextReload === next) {
          if (this.reloadPops[reload]) charge.writePop(out);
          else charge.writeLoad(out);
          reload++;
        } else if (nextGrow === next) {
          writeGrowRecord(out, this.plan.growGlobal!);
          grow++;
        } else if (nextClose === next) {
          charge.writeWrapClose(out, this.segmentCost[this.wrapHeader[close]!]!);
          close++;
        } else if (nextOpen === next) {
          charge.writeWrapOpen(out);
          open++;
        } else if (nextSync === next) {
          const kind = this.syncKind[sync]!;
          if (kind === Sync.global) charge.writeSync(out);
          else charge.writePush(out, kind === Sync.closeBody);
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
    if (this.bodyBlockType) {
      // Passing fuel: the body goes in a block, and the counter is pushed after it (Sync.closeBody).
      out.u8(0x02);
      out.bytes(this.bodyBlockType);
    }
    for (let segment = 0; segment < this.segmentStart.length; segment++) {
      copyUpTo(this.segmentStart[segment]!);
      const flags = this.segmentFlags[segment]!;
      if (flags & Dead) continue;
      if (flags & Reload || (flags & Entry && !this.bodyBlockType) || (flags & (AfterEnd | LoopHeader) && this.usesTryTable)) {
        charge.writeLoad(out);
      }
      const cost = this.segmentCost[segment]!;
      const check = charge.write(out, cost, flags & Wrapped ? 'leave' : flags & Checked ? 'check' : 'none');
      if (check < 0) continue;
      checks.push(check);
      if (segment === 0) entry = charge.entryCheckAt(check, cost, out.length);
    }
    copyUpTo(end);
    return entry ? { checks, entry } : { checks };
  }
}

/** After `memory.grow`: `global.set G; global.get G`, so G holds the last grow's result (-1 when the memory could not grow). */
function writeGrowRecord(out: ByteWriter, growGlobal: number): void {
  out.u8(0x24);
  out.u32(growGlobal);
  out.u8(0x23);
  out.u32(growGlobal);
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

  /** `local.get L` before a call to a function that passes fuel or a return from one; CLOSE_BODY: `end` (the block around its body) first. */
  writePush(out: ByteWriter, closeBody: boolean): void {
    if (closeBody) out.u8(0x0b);
    out.bytes(this.localGet);
  }

  /** `local.set L` after a call to a function that passes fuel: the counter it returned. */
  writePop(out: ByteWriter): void {
    out.bytes(this.localSet);
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

  /** Where the check whose `if` is at IF_AT, written with COST and ending at END, lies (see EntryCheck). */
  entryCheckAt(ifAt: number, cost: number, end: number): EntryCheck {
    const start = ifAt - 3; // i64.const 0; i64.lt_s
    if (cost > 0) return { tee: start - this.localTee.length, start, end };
    return { tee: -1, start: start - this.localGet.length, end };
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
