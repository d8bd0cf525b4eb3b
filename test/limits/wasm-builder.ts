/**
 * A tiny assembler for hand-written test modules: sections from byte arrays,
 * with LEB128 and vector helpers (no wat2wasm on this machine).
 */
export const I32 = 0x7f;
export const I64 = 0x7e;
export const FUNCREF = 0x70;
export const EMPTY_BLOCK = 0x40;

export const Section = {
  custom: 0,
  type: 1,
  import: 2,
  function: 3,
  table: 4,
  memory: 5,
  global: 6,
  export: 7,
  start: 8,
  element: 9,
  code: 10,
  data: 11,
  dataCount: 12,
  tag: 13,
} as const;

export function uleb(value: number): number[] {
  const out: number[] = [];
  let rest = value >>> 0;
  do {
    const low = rest & 0x7f;
    rest >>>= 7;
    out.push(rest === 0 ? low : low | 0x80);
  } while (rest !== 0);
  return out;
}

export function sleb(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  for (;;) {
    const low = rest & 0x7f;
    rest >>= 7;
    const done = (rest === 0 && (low & 0x40) === 0) || (rest === -1 && (low & 0x40) !== 0);
    out.push(done ? low : low | 0x80);
    if (done) return out;
  }
}

export function str(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
}

export function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

export function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

export function customSection(name: string, payload: number[]): number[] {
  return section(Section.custom, [...str(name), ...payload]);
}

export function funcType(params: number[], results: number[]): number[] {
  return [0x60, ...vec(params.map((t) => [t])), ...vec(results.map((t) => [t]))];
}

/** A function body: locals as [count, type] groups, code without the final `end`. */
export function body(code: number[], locals: Array<[number, number]> = []): number[] {
  const content = [...vec(locals.map(([count, type]) => [...uleb(count), type])), ...code, 0x0b];
  return [...uleb(content.length), ...content];
}

export function exportEntry(name: string, kind: number, index: number): number[] {
  return [...str(name), kind, ...uleb(index)];
}

export function moduleBytes(...sections: number[][]): Uint8Array<ArrayBuffer> {
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...sections.flat()]);
}

/**
 * A module of functions with one type each (type i = functions[i].type),
 * exported by name. Handy for small single-purpose tests.
 */
export interface SimpleFunction {
  name: string;
  params: number[];
  results: number[];
  code: number[];
  locals?: Array<[number, number]>;
}

export function simpleModule(functions: SimpleFunction[], extra: { memory?: boolean } = {}): Uint8Array<ArrayBuffer> {
  return moduleBytes(
    section(Section.type, vec(functions.map((f) => funcType(f.params, f.results)))),
    section(Section.function, vec(functions.map((_, i) => uleb(i)))),
    ...(extra.memory ? [section(Section.memory, vec([[0x00, 0x01]]))] : []),
    section(Section.export, vec(functions.map((f, i) => exportEntry(f.name, 0, i)))),
    section(Section.code, vec(functions.map((f) => body(f.code, f.locals)))),
  );
}
