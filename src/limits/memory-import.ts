import { appendToVector, readImportSection } from './module-sections.js';
import { readSections, SectionId, WasmReader, WasmRewriteError } from './wasm-reader.js';
import { ByteWriter, writeSection } from './wasm-writer.js';

/** Where a rewritten module takes its memory from: the host gives it one of the right size. */
export const memoryImportModule = 'goodbot:memory';
export const memoryImportName = 'memory';

/** A memory's size limits, in 64 KiB pages. */
export interface MemoryLimits {
  readonly initialPages: number;
  readonly maximumPages?: number;
}

/** A module whose one memory is now an import, and what that memory must be. */
export interface MemoryImportingModule {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly memory: MemoryLimits;
  /** The module as it was: given back as it came, or (rewritten in place) put together again at each call. */
  readonly original: () => Uint8Array;
}

/** Free bytes a module read for the rewrite keeps before it: more than the rewrite adds (an import entry, a section header). */
export const rewriteRoomBytes = 64;

/**
 * A module's bytes after ROOM free bytes, in a buffer given up to the
 * rewrite (a file just read into one of its own): the rewrite then writes
 * its changed first sections just before the rest, where the bytes lie,
 * instead of copying the whole module (python's 8 MB: 37 ms on this
 * machine, most of it first touches of fresh pages).
 */
export class ModuleWithRoom {
  constructor(
    readonly buffer: Uint8Array<ArrayBuffer>,
    readonly room: number,
  ) {}

  get bytes(): Uint8Array<ArrayBuffer> {
    return this.buffer.subarray(this.room);
  }
}

/** The bytes of SOURCE, wherever they lie. */
export function moduleBytesOf(source: Uint8Array | ModuleWithRoom): Uint8Array {
  return source instanceof ModuleWithRoom ? source.bytes : source;
}

/**
 * Rewrites a module that defines exactly one plain memory (32-bit, not
 * shared, and imports none) so it imports that memory instead, with the
 * same limits, from `goodbot:memory`.`memory`. The memory keeps index 0,
 * so its exports, data segments and instructions mean what they meant;
 * the host supplies a memory of exactly the initial size, all zeros, which
 * a fresh instance could not tell from its own. Why: the host can then
 * hand a run memory whose pages are already mapped (see `MemoryPool`),
 * instead of paying a page fault per page each run touches.
 *
 * Only the sections up to the memory section change; the rest (code and
 * data, nearly all of a module) is kept as it is: copied after the new
 * first sections, or, given a {@link ModuleWithRoom}, left where it lies
 * with the new first sections written just before it (SOURCE's buffer is
 * then the result's, and the original is put together again only if
 * asked for).
 *
 * Any other module (no memory, several, shared, 64-bit, or one that
 * imports memory already) is left as it is: undefined. Platform-neutral.
 */
export function importOwnMemory(source: Uint8Array | ModuleWithRoom): MemoryImportingModule | undefined {
  try {
    return rewrite(source);
  } catch (error) {
    if (error instanceof WasmRewriteError) return undefined; // compiling the original reports what is wrong with it
    throw error;
  }
}

function rewrite(source: Uint8Array | ModuleWithRoom): MemoryImportingModule | undefined {
  const bytes = moduleBytesOf(source);
  const sections = readSections(bytes);
  const memorySection = sections.find((section) => section.id === SectionId.memory);
  if (memorySection === undefined) return undefined;
  const importSection = sections.find((section) => section.id === SectionId.import);
  if (importSection !== undefined) {
    const imports = readImportSection(new WasmReader(bytes, importSection.payloadStart, importSection.end), '', '');
    if (imports.memories > 0) return undefined;
  }
  const reader = new WasmReader(bytes, memorySection.payloadStart, memorySection.end);
  if (reader.u32() !== 1) return undefined;
  const limitsStart = reader.pos;
  const flags = reader.u8();
  if (flags > 1) return undefined; // shared, 64-bit or custom page size: left alone
  const initialPages = reader.u32();
  const maximumPages = flags === 1 ? reader.u32() : undefined;
  if (!reader.atEnd) return undefined;
  const entry = new ByteWriter(32);
  entry.name(memoryImportModule);
  entry.name(memoryImportName);
  entry.u8(0x02);
  entry.copy(bytes, limitsStart, memorySection.end);

  // The memory section comes before code and data: every section after it is kept byte for byte.
  const head = new ByteWriter(memorySection.end + 64);
  head.bytes(bytes.subarray(0, 8));
  let importWritten = false;
  for (const section of sections) {
    if (section.start >= memorySection.end) break;
    // A module without imports gets the section before its first section that must follow it.
    if (!importWritten && section.id !== SectionId.custom && section.id !== SectionId.type && section.id !== SectionId.import) {
      writeSection(head, SectionId.import, Uint8Array.of(1, ...entry.view()));
      importWritten = true;
    }
    if (section.id === SectionId.memory) continue;
    if (section.id === SectionId.import) {
      writeSection(head, SectionId.import, appendToVector(new WasmReader(bytes, section.payloadStart, section.end), [entry.view()]));
      importWritten = true;
    } else head.copy(bytes, section.start, section.end);
  }
  const memory = { initialPages, ...(maximumPages !== undefined && { maximumPages }) };
  const rest = bytes.subarray(memorySection.end);
  if (source instanceof ModuleWithRoom && head.length <= source.room + memorySection.end) {
    const originalHead = bytes.slice(0, memorySection.end);
    const start = source.room + memorySection.end - head.length;
    source.buffer.set(head.view(), start);
    return { bytes: source.buffer.subarray(start), memory, original: () => joined(originalHead, rest) };
  }
  return { bytes: joined(head.view(), rest), memory, original: () => bytes };
}

function joined(first: Uint8Array, second: Uint8Array): Uint8Array<ArrayBuffer> {
  const whole = new Uint8Array(first.length + second.length);
  whole.set(first);
  whole.set(second, first.length);
  return whole;
}
