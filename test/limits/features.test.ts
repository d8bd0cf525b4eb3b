import { describe, expect, it } from 'vitest';
import { instrumentFuel, WasmRewriteError } from '../../src/limits/instrument-fuel.js';
import { EMPTY_BLOCK, I32, Section, body, exportEntry, funcType, moduleBytes, section, simpleModule, str, uleb, vec } from './wasm-builder.js';

const limits = { 'goodbot:limits': { out_of_fuel: () => 1_000_000n } };

/** Runs `name(...args)` in the original and the instrumented module; returns both results. */
function runBoth(bytes: Uint8Array<ArrayBuffer>, name: string, ...args: number[]): [unknown, unknown] {
  const run = (module: Uint8Array<ArrayBuffer>, imports: WebAssembly.Imports) => {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(module), imports);
    return (instance.exports[name] as (...a: number[]) => unknown)(...args);
  };
  return [run(bytes, {}), run(instrumentFuel(bytes, { initialFuel: 1n << 40n }).bytes, limits)];
}

const simd = (op: number, ...immediates: number[]) => [0xfd, ...uleb(op), ...immediates];
const memarg = (align: number, offset = 0) => [align, ...uleb(offset)];
const lanes = (...values: number[]) => values;

describe('opcode coverage', () => {
  it('a SIMD function computes the same value after instrumentation', () => {
    // mem[0..16] = splat(x) + [1,2,3,4]; v = load; v.lane3 = mem[4..8] (x + 2); shuffle lane 3 to lane 0; extract.
    const code = [
      0x41,
      0,
      0x20,
      0,
      ...simd(0x11), // i32.const 0; i32x4.splat x
      ...simd(0x0c, ...lanes(1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0)), // v128.const
      ...simd(0xae), // i32x4.add
      ...simd(0x0b, ...memarg(4)), // v128.store
      0x41,
      4,
      0x41,
      0,
      ...simd(0x00, ...memarg(4)), // address 4; v128.load from 0
      ...simd(0x56, ...memarg(2), 3), // v128.load32_lane lane 3
      0x22,
      1,
      0x20,
      1, // local.tee 1; local.get 1
      ...simd(0x0d, ...lanes(12, 13, 14, 15, 4, 5, 6, 7, 8, 9, 10, 11, 0, 1, 2, 3)), // i8x16.shuffle
      ...simd(0x1b, 0), // i32x4.extract_lane 0 = x + 2
      0x20,
      0,
      0x04,
      I32,
      0x41,
      1,
      0x05,
      0x41,
      2,
      0x0b,
      0x6a, // + (x ? 1 : 2)
    ];
    const bytes = simpleModule([{ name: 'simd', params: [I32], results: [I32], code, locals: [[1, 0x7b]] }], { memory: true });
    expect(WebAssembly.validate(bytes)).toBe(true);
    for (const x of [0, 5, -7, 1000]) {
      const [before, after] = runBoth(bytes, 'simd', x);
      expect(after).toBe(before);
      expect(before).toBe(x + 2 + (x !== 0 ? 1 : 2));
    }
  });

  it('a bulk-memory function (with a DataCount section) computes the same value', () => {
    const code = [
      0x41,
      10,
      0x41,
      0,
      0x41,
      5,
      0xfc,
      8,
      0,
      0, // memory.init data 0: "hello" at 10
      0x41,
      20,
      0x41,
      0xc1,
      0x00,
      0x41,
      3,
      0xfc,
      11,
      0, // memory.fill "AAA" at 20
      0x41,
      30,
      0x41,
      10,
      0x41,
      5,
      0xfc,
      10,
      0,
      0, // memory.copy 10 -> 30
      0xfc,
      9,
      0, // data.drop 0
      0x41,
      31,
      0x28,
      ...memarg(0), // i32.load at 31: "ello"
      0x41,
      20,
      0x2d,
      ...memarg(0),
      0x6a, // + i32.load8_u at 20 ('A')
      0x43,
      0,
      0,
      0x80,
      0x7f,
      0xfc,
      0,
      0x6a, // + i32.trunc_sat_f32_s(+inf) = 2^31-1 (wraps)
      0x41,
      40,
      0x41,
      5,
      0xfe,
      0x1e,
      ...memarg(2),
      0x6a, // + i32.atomic.rmw.add at 40 (old value 0)
      0xfe,
      0x03,
      0x00, // atomic.fence
      0x3f,
      0,
      0x6a, // + memory.size
    ];
    const bytes = moduleBytes(
      section(Section.type, vec([funcType([], [I32])])),
      section(Section.function, vec([[0]])),
      section(Section.memory, vec([[0x00, 0x01]])),
      section(Section.export, vec([exportEntry('bulk', 0, 0)])),
      section(Section.dataCount, uleb(1)),
      section(Section.code, vec([body(code)])),
      section(Section.data, vec([[0x01, ...str('hello')]])),
    );
    expect(WebAssembly.validate(bytes)).toBe(true);
    const [before, after] = runBoth(bytes, 'bulk');
    expect(after).toBe(before);
    const ello = 0x6f6c6c65;
    expect(before).toBe((ello + 0x41 + 0x7fffffff + 0 + 1) | 0);
    // The DataCount section is kept, in its place (before the code section).
    const ids = sectionIds(instrumentFuel(bytes).bytes);
    expect(ids).toEqual([1, 2, 3, 5, 6, 7, 12, 10, 11]);
  });

  it('legacy exception handling (try/catch/throw) behaves the same', () => {
    // tag 0: (i32); try (result i32) { throw 0 (x) } catch 0 { i32.const 1; i32.add } end
    const code = [0x06, I32, 0x20, 0, 0x08, 0, 0x07, 0, 0x41, 1, 0x6a, 0x0b];
    const bytes = moduleBytes(
      section(Section.type, vec([funcType([I32], [I32]), funcType([I32], [])])),
      section(Section.function, vec([[0]])),
      section(Section.tag, vec([[0x00, 1]])),
      section(Section.export, vec([exportEntry('caught', 0, 0)])),
      section(Section.code, vec([body(code)])),
    );
    expect(WebAssembly.validate(bytes)).toBe(true);
    const [before, after] = runBoth(bytes, 'caught', 41);
    expect(before).toBe(42);
    expect(after).toBe(42);
  });

  it('decodes try_table, throw_ref, return_call and typed select without changing them', () => {
    // Node 20 cannot run exnref, so check the rewrite keeps these instructions byte for byte.
    const tryTable = [0x1f, EMPTY_BLOCK, 2, 0x00, 0, 0, 0x02, 0]; // try_table (catch 0 0) (catch_all 0)
    const typedSelect = [0x41, 1, 0x41, 2, 0x41, 0, 0x1c, 1, I32, 0x1a]; // select (result i32)
    const throwRef = [0xd0, 0x69, 0x0a]; // ref.null exn; throw_ref (dead code after return_call)
    const code = [...tryTable, 0x0b, ...typedSelect, 0x12, 0, ...throwRef];
    const bytes = moduleBytes(
      section(Section.type, vec([funcType([], [])])),
      section(Section.function, vec([[0]])),
      section(Section.tag, vec([[0x00, 0]])),
      section(Section.code, vec([body(code)])),
    );
    const out = instrumentFuel(bytes).bytes;
    expect(containsSequence(out, tryTable)).toBe(true);
    expect(containsSequence(out, typedSelect)).toBe(true);
    expect(containsSequence(out, [0x12, 1])).toBe(true); // return_call shifted 0 -> 1
    expect(containsSequence(out, [0xd0, 0x69])).toBe(true); // ref.null exn (a fuel sync sits before throw_ref)
    expect(WebAssembly.validate(out)).toBe(WebAssembly.validate(bytes));
  });
});

describe('rejection', () => {
  const expectRejected = (bytes: Uint8Array, kind: string, message: RegExp) => {
    let error: unknown;
    try {
      instrumentFuel(bytes);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(WasmRewriteError);
    expect((error as WasmRewriteError).kind).toBe(kind);
    expect((error as WasmRewriteError).message).toMatch(message);
  };

  it('rejects a GC type section (rec / struct) as unsupported', () => {
    const bytes = moduleBytes(section(Section.type, vec([[0x4e, ...vec([[0x5f, ...vec([[I32, 0x01]])]])]])));
    expectRejected(bytes, 'unsupported', /GC .*rec in the type section.*cannot be metered/);
    const bare = moduleBytes(section(Section.type, vec([[0x5e, I32, 0x01]])));
    expectRejected(bare, 'unsupported', /array/);
  });

  it('rejects GC and typed function reference instructions and types', () => {
    const withCode = (code: number[], params: number[] = []) => simpleModule([{ name: 'f', params, results: [], code }]);
    expectRejected(withCode([0xfb, 0x01, 0]), 'unsupported', /opcode 0xFB/); // struct.new
    expectRejected(withCode([0x20, 0, 0x14, 0]), 'unsupported', /opcode 0x14/); // call_ref
    expectRejected(withCode([0xd0, 0x00, 0x1a]), 'unsupported', /heap type/); // ref.null (type 0)
    expectRejected(withCode([0x02, 0x64, 0x70, 0x0b]), 'unsupported', /block type/); // block (result (ref func))
    expectRejected(withCode([], [0x63]), 'unsupported', /value type 0x63/); // param (ref null …)
  });

  it('rejects undecodable modules as malformed, never producing a wrong module', () => {
    const withCode = (code: number[]) => simpleModule([{ name: 'f', params: [], results: [], code }]);
    expectRejected(withCode([0xff]), 'malformed', /unknown opcode 0xFF/);
    expectRejected(withCode([0xfd, 0x9a, 0x01]), 'malformed', /unknown SIMD opcode/);
    expectRejected(withCode([0xfc, 18]), 'malformed', /0xFC 18/);
    expectRejected(withCode([0xfe, 0x04]), 'malformed', /atomic/);
    expectRejected(withCode([0x41]), 'malformed', /unexpected end/);
    const valid = withCode([0x01]);
    expectRejected(valid.subarray(0, valid.length - 3), 'malformed', /past the end|unexpected end/);
    expectRejected(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), 'malformed', /magic/);
    expectRejected(Uint8Array.of(0, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00), 'unsupported', /component/);
  });

  it('rejects a module that was already instrumented', () => {
    const once = instrumentFuel(simpleModule([{ name: 'f', params: [], results: [], code: [] }])).bytes;
    expectRejected(once, 'unsupported', /already/);
  });
});

function sectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  let pos = 8;
  while (pos < bytes.length) {
    ids.push(bytes[pos]!);
    pos++;
    let size = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[pos++]!;
      size += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (!(byte & 0x80)) break;
    }
    pos += size;
  }
  return ids;
}

function containsSequence(haystack: Uint8Array, needle: number[]): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
