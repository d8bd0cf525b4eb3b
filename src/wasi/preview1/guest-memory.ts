import { errnoError } from '../../errno.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/** wasm32's SSIZE_MAX: the most bytes one read or write may move. */
const maxIovecTotal = 0x7fffffff;

/**
 * Typed access to a guest's linear memory. The views are refreshed whenever
 * the memory has grown (which detaches the old buffer). Out-of-bounds
 * accesses throw a RangeError, which traps the guest as wasmtime does.
 */
export class GuestMemory {
  private memory: WebAssembly.Memory | undefined;
  private buffer: ArrayBuffer | undefined;
  private dataView = new DataView(new ArrayBuffer(0));
  private byteView = new Uint8Array(0);

  bind(memory: WebAssembly.Memory): void {
    this.memory = memory;
  }

  get view(): DataView {
    this.refresh();
    return this.dataView;
  }

  get bytes(): Uint8Array {
    this.refresh();
    return this.byteView;
  }

  u8(ptr: number): number {
    return this.view.getUint8(ptr);
  }
  u16(ptr: number): number {
    return this.view.getUint16(ptr, true);
  }
  u32(ptr: number): number {
    return this.view.getUint32(ptr, true);
  }
  u64(ptr: number): bigint {
    return this.view.getBigUint64(ptr, true);
  }
  setU8(ptr: number, value: number): void {
    this.view.setUint8(ptr, value);
  }
  setU16(ptr: number, value: number): void {
    this.view.setUint16(ptr, value, true);
  }
  setU32(ptr: number, value: number): void {
    this.view.setUint32(ptr, value, true);
  }
  setU64(ptr: number, value: bigint): void {
    this.view.setBigUint64(ptr, BigInt.asUintN(64, value), true);
  }

  /** A live window on guest memory (valid until the next call that may grow memory). */
  slice(ptr: number, len: number): Uint8Array {
    const bytes = this.bytes;
    if (ptr + len > bytes.length) throw new RangeError('memory access out of bounds');
    return bytes.subarray(ptr, ptr + len);
  }

  /** A path or other string argument; invalid UTF-8 is EILSEQ. */
  string(ptr: number, len: number): string {
    const raw = this.slice(ptr, len);
    try {
      return utf8.decode(raw);
    } catch {
      throw errnoError('ILSEQ', 'string is not valid UTF-8');
    }
  }

  /**
   * The buffers of an iovec/ciovec array, as live windows. Their lengths
   * together must fit wasm32's `ssize_t`, as readv/writev's must (EINVAL):
   * buffers may repeat, and a larger total would wrap the u32 count the call returns.
   */
  iovecs(ptr: number, count: number): Uint8Array[] {
    const result: Uint8Array[] = [];
    let total = 0;
    for (let i = 0; i < count; i++) {
      const base = this.u32(ptr + i * 8);
      const len = this.u32(ptr + i * 8 + 4);
      total += len;
      if (total > maxIovecTotal) throw errnoError('INVAL', 'the buffers hold more than a call may return');
      result.push(this.slice(base, len));
    }
    return result;
  }

  writeBytes(ptr: number, data: Uint8Array): void {
    this.slice(ptr, data.length).set(data);
  }

  static encode(text: string): Uint8Array {
    return utf8Encoder.encode(text);
  }

  private refresh(): void {
    const buffer = this.memory?.buffer as ArrayBuffer | undefined;
    if (buffer === this.buffer && buffer !== undefined) return;
    if (!buffer) throw new Error('guest memory used before the module was instantiated');
    this.buffer = buffer;
    this.dataView = new DataView(buffer);
    this.byteView = new Uint8Array(buffer);
  }
}
