import { body, EMPTY_BLOCK, exportEntry, funcType, I32, I64, section, Section, sleb, uleb, vec } from './wasm-builder.js';

/**
 * Random structured programs for checking the fuel rewriter: nested blocks,
 * ifs with and without else, bounded loops, br / br_if / br_table to any
 * enclosing label (out of loops too), returns from deep inside, dead code,
 * and calls; each with a naive twin that adds `count += 1` before every
 * instruction, which counts what runs by construction.
 */

type Label = 'func' | 'block' | 'if' | 'loop';

/** mulberry32: small, seeded, good enough to pick shapes. */
function random(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * n;
  };
}

const X = 0; // the parameter
const ACC = 1; // the result being built
const COUNTER = 2; // loop counters: COUNTER + loop nesting depth

class ProgramGenerator {
  /** One entry per original instruction: its bytes. */
  readonly instructions: number[][] = [];
  private readonly labels: Label[] = ['func'];
  private loops = 0;
  private size = 0;

  /**
   * RESULTS: how many results the function returns (each a copy of ACC);
   * CALLEE_RESULTS: how many the helper it may call returns, or undefined
   * when it calls nothing.
   */
  constructor(
    private readonly pick: (n: number) => number,
    private readonly results: number,
    private readonly calleeResults?: number,
  ) {}

  function(): number[][] {
    this.statements(3);
    this.pushResults();
    return this.instructions;
  }

  private pushResults(): void {
    for (let i = 0; i < this.results; i++) this.emit(0x20, ACC);
  }

  private emit(...bytes: number[]): void {
    this.instructions.push(bytes);
    this.size++;
  }

  private chance(n: number): boolean {
    return Math.floor(this.pick(n)) === 0;
  }

  private statements(depth: number): void {
    const count = 1 + Math.floor(this.pick(3));
    for (let i = 0; i < count && this.size < 400; i++) this.statement(depth);
  }

  private condition(): void {
    if (this.chance(2)) {
      this.emit(0x20, X);
      this.emit(0x41, ...sleb(Math.floor(this.pick(12))));
      this.emit(0x76); // i32.shr_u
      this.emit(0x41, 1);
      this.emit(0x71); // i32.and
    } else {
      this.emit(0x20, ACC);
      this.emit(0x41, 3);
      this.emit(0x71);
      this.emit(0x45); // i32.eqz
    }
  }

  /** A label a branch may take: not a loop (that would skip its counter). Returns its relative index. */
  private target(allowFunction: boolean): number | undefined {
    const candidates: number[] = [];
    for (let i = 0; i < this.labels.length; i++) {
      const kind = this.labels[this.labels.length - 1 - i]!;
      if (kind === 'loop' || (kind === 'func' && !allowFunction)) continue;
      candidates.push(i);
    }
    return candidates.length === 0 ? undefined : candidates[Math.floor(this.pick(candidates.length))];
  }

  private isFunctionLabel(relative: number): boolean {
    return relative === this.labels.length - 1;
  }

  private nested(opcode: number, kind: Label, inside: () => void): void {
    this.emit(opcode, EMPTY_BLOCK);
    this.labels.push(kind);
    inside();
    this.labels.pop();
    this.emit(0x0b);
  }

  private statement(depth: number): void {
    const choice = Math.floor(this.pick(depth > 0 ? 10 : 4));
    switch (choice) {
      case 0:
      case 1: // acc = (acc * 31 + x) ^ k
        this.emit(0x20, ACC);
        this.emit(0x41, 31);
        this.emit(0x6c);
        this.emit(0x20, X);
        this.emit(0x6a);
        this.emit(0x41, ...sleb(Math.floor(this.pick(1000))));
        this.emit(0x73);
        this.emit(0x21, ACC);
        return;
      case 2: // br_if to an enclosing label
      case 3: {
        const label = this.target(true);
        if (label === undefined) return;
        const toFunction = this.isFunctionLabel(label);
        if (toFunction) this.pushResults();
        this.condition();
        this.emit(0x0d, ...uleb(label));
        for (let i = 0; toFunction && i < this.results; i++) this.emit(0x1a); // drop
        return;
      }
      case 4: // if, with or without else
        this.condition();
        this.nested(0x04, 'if', () => {
          this.statements(depth - 1);
          if (this.chance(2)) {
            this.emit(0x05);
            this.statements(depth - 1);
          }
        });
        return;
      case 5:
        this.nested(0x02, 'block', () => this.statements(depth - 1));
        return;
      case 6: {
        // A loop run 1-3 times: counter = n; loop { ...; br_if 0 (--counter != 0) }
        if (this.loops >= 3) return;
        const counter = COUNTER + this.loops++;
        this.emit(0x41, 1 + Math.floor(this.pick(3)));
        this.emit(0x21, counter);
        this.nested(0x03, 'loop', () => {
          this.statements(depth - 1);
          this.emit(0x20, counter);
          this.emit(0x41, 1);
          this.emit(0x6b);
          this.emit(0x22, counter);
          this.emit(0x0d, 0);
        });
        this.loops--;
        return;
      }
      case 7: {
        // br or br_table, then dead code up to the end of the block
        if (this.chance(2)) {
          const label = this.target(true);
          if (label === undefined) return;
          if (this.isFunctionLabel(label)) this.pushResults();
          this.emit(0x0c, ...uleb(label));
        } else {
          const targets = [0, 1, 2].map(() => this.target(false));
          if (targets.some((target) => target === undefined)) return;
          this.emit(0x20, X);
          this.emit(0x41, 3);
          this.emit(0x71);
          this.emit(0x0e, ...uleb(targets.length - 1), ...targets.flatMap((target) => uleb(target!)));
        }
        this.emit(0x20, ACC); // dead
        this.emit(0x21, ACC);
        return;
      }
      case 8: // return from here
        if (!this.chance(3)) return;
        this.pushResults();
        this.emit(0x0f);
        this.emit(0x01); // dead nop
        return;
      default: // acc = helper(acc), or the sum of its two results
        if (this.calleeResults === undefined) return;
        this.emit(0x20, ACC);
        this.emit(0x10, 1);
        if (this.calleeResults === 2) this.emit(0x6a);
        if (this.calleeResults > 0) this.emit(0x21, ACC);
    }
  }
}

/**
 * One program, plain and with a naive instruction counter (global 0,
 * exported as `count`): an exported main and the helper it calls, which
 * returns no value, one or two (by seed): the rewriter passes the fuel to
 * an internal function as an extra parameter and result, and wraps its body
 * in a block of its result type.
 */
export function programPair(seed: number): { plain: Uint8Array<ArrayBuffer>; counted: Uint8Array<ArrayBuffer> } {
  const pick = random(seed);
  const helperResults = seed % 3;
  const main = new ProgramGenerator(pick, 1, helperResults).function();
  const helper = new ProgramGenerator(pick, helperResults).function();
  const locals: Array<[number, number]> = [[1 + 3, I32]];
  const count = [0x23, 0, 0x42, 1, 0x7c, 0x24, 0]; // global.get 0; i64.const 1; i64.add; global.set 0
  const plainBody = (code: number[][]) => body(code.flat(), locals);
  const countedBody = (code: number[][]) => body([...code.flatMap((instruction) => [...count, ...instruction]), ...count], locals);
  const module = (bodies: number[][], counted: boolean) =>
    Uint8Array.from([
      0x00,
      0x61,
      0x73,
      0x6d,
      0x01,
      0x00,
      0x00,
      0x00,
      ...section(Section.type, vec([funcType([I32], [I32]), funcType([I32], Array<number>(helperResults).fill(I32))])),
      ...section(Section.function, vec([[0], [1]])),
      ...(counted ? section(Section.global, vec([[I64, 1, 0x42, 0, 0x0b]])) : []),
      ...section(Section.export, vec([exportEntry('main', 0, 0), ...(counted ? [exportEntry('count', 3, 0)] : [])])),
      ...section(Section.code, vec(bodies)),
    ]);
  return {
    plain: module([plainBody(main), plainBody(helper)], false),
    counted: module([countedBody(main), countedBody(helper)], true),
  };
}
