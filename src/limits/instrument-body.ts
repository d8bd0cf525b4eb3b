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
}

/** Writes the code section (id 10) with every body instrumented; returns the number of bodies. */
export function writeCodeSection(out: ByteWriter, reader: WasmReader, plan: FuelTargets): number {
  const count = reader.u32();
  const payload = new ByteWriter(Math.ceil((reader.end - reader.pos) * 1.4) + 64);
  payload.u32(count);
  const body = new ByteWriter(4096);
  const instrumenter = new BodyInstrumenter(reader, plan);
  for (let i = 0; i < count; i++) {
    const size = reader.u32();
    const end = reader.pos + size;
    if (end > reader.end) throw reader.malformed('function body runs past the code section');
    body.length = 0;
    instrumenter.instrument(reader.pos, end, body);
    payload.u32(body.length);
    payload.bytes(body.view());
    reader.pos = end;
  }
  if (!reader.atEnd) throw reader.malformed('unexpected bytes after the last function body');
  writeSection(out, CODE_SECTION_ID, payload.view());
  return count;
}

/**
 * Rewrites one function body in two passes: the first decodes every
 * instruction and records segments (start, cost, whether a check follows) and
 * function-index immediates to shift; the second copies the body, inserting
 * each segment's charge at its start and re-encoding the shifted indices.
 */
class BodyInstrumenter {
  private readonly bytes: Uint8Array;
  // Per-body scratch, reused to avoid allocation on 100k-function modules.
  private segmentStart: number[] = [];
  private segmentCost: number[] = [];
  private segmentChecked: boolean[] = [];
  /** Segments that follow an unconditional transfer (br, return…) are unreachable: no charge is emitted. */
  private segmentDead: boolean[] = [];
  private patchStart: number[] = [];
  private patchEnd: number[] = [];
  private patchIndex: number[] = [];
  private readonly charge: ChargeEncoder;

  constructor(
    reader: WasmReader,
    private readonly plan: FuelTargets,
  ) {
    this.bytes = reader.bytes;
    this.charge = new ChargeEncoder(plan.fuelGlobal, plan.outOfFuelFunction);
  }

  instrument(start: number, end: number, out: ByteWriter): void {
    const codeStart = this.skipLocals(start, end);
    out.copy(this.bytes, start, codeStart);
    this.findSegments(codeStart, end);
    this.emit(codeStart, end, out);
  }

  private skipLocals(start: number, end: number): number {
    const reader = new WasmReader(this.bytes, start, end);
    const decoder = new InstructionDecoder(reader);
    const groups = reader.u32();
    for (let i = 0; i < groups; i++) {
      reader.u32();
      decoder.valueType();
    }
    return reader.pos;
  }

  private findSegments(codeStart: number, end: number): void {
    const reader = new WasmReader(this.bytes, codeStart, end);
    const decoder = new InstructionDecoder(reader);
    const firstDefined = this.plan.outOfFuelFunction;
    this.segmentStart.length = this.segmentCost.length = this.segmentChecked.length = this.segmentDead.length = 0;
    this.patchStart.length = this.patchEnd.length = this.patchIndex.length = 0;
    this.beginSegment(codeStart, true, false); // function entry
    let depth = 1;
    let current = 0;
    for (;;) {
      const flow = decoder.next();
      this.segmentCost[current]!++;
      if (decoder.funcIndex >= firstDefined) {
        this.patchStart.push(decoder.funcIndexStart);
        this.patchEnd.push(decoder.funcIndexEnd);
        this.patchIndex.push(decoder.funcIndex + 1);
      }
      if (flow === Flow.plain) continue;
      if (flow === Flow.closesBlock) {
        if (--depth === 0) break;
      } else if (flow === Flow.opensBlock || flow === Flow.opensLoop) {
        depth++;
      }
      current = this.beginSegment(reader.pos, flow === Flow.opensLoop, flow === Flow.transfers);
    }
    if (reader.pos !== end) throw reader.malformed('function body continues after its final end');
  }

  private beginSegment(at: number, checked: boolean, dead: boolean): number {
    this.segmentStart.push(at);
    this.segmentCost.push(0);
    this.segmentChecked.push(checked);
    this.segmentDead.push(dead);
    return this.segmentStart.length - 1;
  }

  private emit(codeStart: number, end: number, out: ByteWriter): void {
    const bytes = this.bytes;
    let cursor = codeStart;
    let patch = 0;
    const patches = this.patchStart.length;
    const copyPatchesBefore = (limit: number) => {
      while (patch < patches && this.patchStart[patch]! < limit) {
        out.copy(bytes, cursor, this.patchStart[patch]!);
        out.u32(this.patchIndex[patch]!);
        cursor = this.patchEnd[patch]!;
        patch++;
      }
    };
    for (let segment = 0; segment < this.segmentStart.length; segment++) {
      const at = this.segmentStart[segment]!;
      copyPatchesBefore(at);
      out.copy(bytes, cursor, at);
      cursor = at;
      if (!this.segmentDead[segment]) this.charge.write(out, this.segmentCost[segment]!, this.segmentChecked[segment]!);
    }
    copyPatchesBefore(end);
    out.copy(bytes, cursor, end);
  }
}

/** Encodes the inserted code: the charge, and optionally the check after it. */
class ChargeEncoder {
  private readonly getFuel: Uint8Array;
  private readonly setFuel: Uint8Array;
  private readonly check: Uint8Array;

  constructor(fuelGlobal: number, outOfFuelFunction: number) {
    const instruction = (opcode: number, index: number) => {
      const writer = new ByteWriter(8);
      writer.u8(opcode);
      writer.u32(index);
      return writer.view();
    };
    this.getFuel = instruction(0x23, fuelGlobal); // global.get
    this.setFuel = instruction(0x24, fuelGlobal); // global.set
    const check = new ByteWriter(24);
    check.bytes(this.getFuel);
    check.bytes(Uint8Array.of(0x42, 0x00, 0x53, 0x04, 0x40)); // i64.const 0, i64.lt_s, if (empty)
    check.bytes(instruction(0x10, outOfFuelFunction)); // call out_of_fuel -> i32 (1: stop)
    check.bytes(Uint8Array.of(0x04, 0x40, 0x00, 0x0b)); // if (empty) unreachable end
    check.u8(0x0b); // end
    this.check = check.view();
  }

  /** `fuel -= cost` then, if `checked`, `if (fuel < 0) { if (out_of_fuel()) unreachable }`. */
  write(out: ByteWriter, cost: number, checked: boolean): void {
    if (cost > 0) {
      out.bytes(this.getFuel);
      out.u8(0x42); // i64.const
      out.sNumber(cost);
      out.u8(0x7d); // i64.sub
      out.bytes(this.setFuel);
    }
    if (checked) out.bytes(this.check);
  }
}
