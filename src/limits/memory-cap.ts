import { WasmReader, WasmRewriteError } from './wasm-reader.js';
import { ByteWriter } from './wasm-writer.js';

/** WebAssembly's page: linear memory grows in these. */
export const wasmPageBytes = 65536;

/** wasm32's most pages: 4 GiB. A maximum above it makes the module invalid. */
export const wasm32MaxPages = 65536;

/** A memory section rewritten to a cap, and what the module asks for at start. */
export interface CappedMemory {
  readonly payload: Uint8Array;
  /** The largest initial size among the memories, in pages: over the cap means the program cannot start. */
  readonly initialPages: number;
}

/**
 * Rewrites the memory section (id 5) so no memory can grow past CAP_PAGES:
 * each memory's maximum becomes min(its maximum, the cap). The guest then
 * sees `memory.grow` return -1 (malloc returns NULL) instead of getting the
 * memory. A cap of 4 GiB or more is no cap for wasm32 and is written as its
 * 4 GiB end (the policy keeps it: it is a valid cap for a container).
 * 64-bit memories and custom page sizes are refused: goodbot's guests are
 * wasm32.
 */
export function capMemorySection(reader: WasmReader, capPages: number): CappedMemory {
  const cap = Math.min(capPages, wasm32MaxPages);
  const out = new ByteWriter(16);
  const count = reader.u32();
  out.u32(count);
  let initialPages = 0;
  for (let i = 0; i < count; i++) {
    const at = reader.pos;
    const flags = reader.u8();
    if (flags & 0b1100) {
      throw new WasmRewriteError('unsupported', 'a 64-bit memory or a custom page size cannot be capped', at);
    }
    if (flags > 0b11) throw reader.malformed(`unknown memory limits flags 0x${flags.toString(16)}`, at);
    const min = reader.u32();
    const max = flags & 1 ? reader.u32() : undefined;
    initialPages = Math.max(initialPages, min);
    out.u8(flags | 1);
    out.u32(min);
    out.u32(Math.max(min, Math.min(max ?? cap, cap)));
  }
  if (!reader.atEnd) throw reader.malformed('unexpected bytes after the memory section');
  return { payload: out.view(), initialPages };
}
