/**
 * A cursor over WebAssembly binary bytes: LEB128 integers, names, and the
 * module's section list. Platform-neutral (no `node:*`), so the browser build
 * reuses it.
 */

/** Why a module cannot be rewritten. */
export type RewriteErrorKind =
  /** The module uses a feature the rewriter refuses to meter (GC, typed function references, components). */
  | 'unsupported'
  /** The bytes are not a well-formed module (truncated, bad LEB128, unknown opcode). */
  | 'malformed';

export class WasmRewriteError extends Error {
  override readonly name = 'WasmRewriteError';
  readonly kind: RewriteErrorKind;
  /** Byte offset in the input module where the problem was found, when known. */
  readonly offset: number | undefined;

  constructor(kind: RewriteErrorKind, message: string, offset?: number) {
    super(offset === undefined ? message : `${message} (at byte offset ${offset})`);
    this.kind = kind;
    this.offset = offset;
  }
}

export class WasmReader {
  /** Absolute offset of the next byte to read. */
  pos: number;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    /** Exclusive limit: reads past it are malformed. */
    readonly end = bytes.length,
  ) {
    this.pos = start;
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  malformed(message: string, offset = this.pos): WasmRewriteError {
    return new WasmRewriteError('malformed', message, offset);
  }

  u8(): number {
    if (this.pos >= this.end) throw this.malformed('unexpected end of data');
    return this.bytes[this.pos++]!;
  }

  peekU8(): number {
    if (this.pos >= this.end) throw this.malformed('unexpected end of data');
    return this.bytes[this.pos]!;
  }

  /** Unsigned LEB128 that must fit in 32 bits. */
  u32(): number {
    const start = this.pos;
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.u8();
      if (shift === 28 && byte > 0x0f) throw this.malformed('u32 LEB128 out of range', start);
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
  }

  /** Signed LEB128 of at most `bits` bits (33 for block types); returned as a JS number. */
  signed(bits: 32 | 33): number {
    const start = this.pos;
    let result = 0;
    let shift = 0;
    const maxShift = Math.ceil(bits / 7) * 7;
    let byte: number;
    do {
      if (shift >= maxShift) throw this.malformed(`s${bits} LEB128 too long`, start);
      byte = this.u8();
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    if (byte & 0x40) result -= 2 ** shift;
    return result;
  }

  /** Skips a LEB128 of at most 10 bytes (u64/s64 immediates we copy verbatim). */
  skipLeb(): void {
    const start = this.pos;
    for (let i = 0; i < 10; i++) {
      if ((this.u8() & 0x80) === 0) return;
    }
    throw this.malformed('LEB128 longer than 10 bytes', start);
  }

  skip(count: number): void {
    if (count < 0 || this.pos + count > this.end) throw this.malformed('unexpected end of data');
    this.pos += count;
  }

  take(count: number): Uint8Array {
    const start = this.pos;
    this.skip(count);
    return this.bytes.subarray(start, this.pos);
  }

  name(): string {
    const length = this.u32();
    return utf8.decode(this.take(length));
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** The module sections' ids (the binary format's numbering). */
export const SectionId = {
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

export interface RawSection {
  id: number;
  /** Absolute offset of the section id byte. */
  start: number;
  /** Absolute offset of the payload (after the size). */
  payloadStart: number;
  /** Absolute exclusive end of the payload. */
  end: number;
  /** For custom sections (id 0): the section's name. */
  customName?: string;
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d];
const CORE_VERSION = [0x01, 0x00, 0x00, 0x00];

/** Checks the header and splits the module into sections, in file order. */
export function readSections(bytes: Uint8Array): RawSection[] {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new WasmRewriteError('malformed', 'not a WebAssembly binary (bad magic number)', 0);
  }
  if (CORE_VERSION.some((b, i) => bytes[4 + i] !== b)) {
    const isComponent = bytes[6] === 0x01 && bytes[7] === 0x00;
    throw new WasmRewriteError(
      'unsupported',
      isComponent ? 'this is a component, not a core module; instrument its core modules instead' : 'unknown WebAssembly binary version',
      4,
    );
  }
  const reader = new WasmReader(bytes, 8);
  const sections: RawSection[] = [];
  while (!reader.atEnd) {
    const start = reader.pos;
    const id = reader.u8();
    const size = reader.u32();
    const payloadStart = reader.pos;
    const end = payloadStart + size;
    if (end > bytes.length) throw reader.malformed(`section ${id} runs past the end of the module`, start);
    const section: RawSection = { id, start, payloadStart, end };
    if (id === 0) section.customName = new WasmReader(bytes, payloadStart, end).name();
    sections.push(section);
    reader.pos = end;
  }
  return sections;
}
