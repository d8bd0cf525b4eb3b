/**
 * A growable byte buffer with LEB128 encoders, for re-emitting WebAssembly
 * binaries. Platform-neutral (no `node:*`).
 */

const utf8 = new TextEncoder();

export class ByteWriter {
  private buffer: Uint8Array<ArrayBuffer>;
  length = 0;

  constructor(initialCapacity = 256) {
    this.buffer = new Uint8Array(Math.max(16, initialCapacity));
  }

  private reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  u8(byte: number): void {
    this.reserve(1);
    this.buffer[this.length++] = byte;
  }

  bytes(data: Uint8Array): void {
    this.copy(data, 0, data.length);
  }

  /**
   * Copies `source[start, end)`; the hot path when a body is mostly
   * unchanged. Short runs (most, between two insertions) are copied byte by
   * byte: a subarray of a Node Buffer allocates a Buffer, which costs more.
   */
  copy(source: Uint8Array, start: number, end: number): void {
    const count = end - start;
    if (count <= 0) return;
    this.reserve(count);
    const buffer = this.buffer;
    let at = this.length;
    if (count < 64) for (let i = start; i < end; i++) buffer[at++] = source[i]!;
    else buffer.set(source.subarray(start, end), at);
    this.length += count;
  }

  u32(value: number): void {
    this.reserve(5);
    let rest = value >>> 0;
    for (;;) {
      const low = rest & 0x7f;
      rest >>>= 7;
      if (rest === 0) {
        this.buffer[this.length++] = low;
        return;
      }
      this.buffer[this.length++] = low | 0x80;
    }
  }

  /** Signed LEB128 of a 64-bit value (i64.const immediates). */
  s64(value: bigint): void {
    let rest = BigInt.asIntN(64, value);
    for (;;) {
      const low = Number(rest & 0x7fn);
      rest >>= 7n;
      const done = (rest === 0n && (low & 0x40) === 0) || (rest === -1n && (low & 0x40) !== 0);
      this.u8(done ? low : low | 0x80);
      if (done) return;
    }
  }

  /** Signed LEB128 of a safe integer, without BigInt (fast path for block costs). */
  sNumber(value: number): void {
    let rest = value;
    for (;;) {
      const low = rest & 0x7f;
      rest = Math.floor(rest / 128);
      const done = (rest === 0 && (low & 0x40) === 0) || (rest === -1 && (low & 0x40) !== 0);
      this.u8(done ? low : low | 0x80);
      if (done) return;
    }
  }

  name(text: string): void {
    const encoded = utf8.encode(text);
    this.u32(encoded.length);
    this.bytes(encoded);
  }

  /** The bytes written so far (a view; copy if the writer is reused). */
  view(): Uint8Array<ArrayBuffer> {
    return this.buffer.subarray(0, this.length);
  }
}

/** Writes a whole section: id, payload size, payload. */
export function writeSection(out: ByteWriter, id: number, payload: Uint8Array): void {
  out.u8(id);
  out.u32(payload.length);
  out.bytes(payload);
}
