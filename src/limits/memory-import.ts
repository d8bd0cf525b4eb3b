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
 * Any other module (no memory, several, shared, 64-bit, or one that
 * imports memory already) is left as it is: undefined. Platform-neutral.
 */
export function importOwnMemory(bytes: Uint8Array): MemoryImportingModule | undefined {
  try {
    return rewrite(bytes);
  } catch (error) {
    if (error instanceof WasmRewriteError) return undefined; // compiling the original reports what is wrong with it
    throw error;
  }
}

function rewrite(bytes: Uint8Array): MemoryImportingModule | undefined {
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

  const out = new ByteWriter(bytes.length + 64);
  out.bytes(bytes.subarray(0, 8));
  let importWritten = false;
  for (const section of sections) {
    // A module without imports gets the section before its first section that must follow it.
    if (!importWritten && section.id !== SectionId.custom && section.id !== SectionId.type && section.id !== SectionId.import) {
      writeSection(out, SectionId.import, Uint8Array.of(1, ...entry.view()));
      importWritten = true;
    }
    if (section.id === SectionId.memory) continue;
    if (section.id === SectionId.import) {
      writeSection(out, SectionId.import, appendToVector(new WasmReader(bytes, section.payloadStart, section.end), [entry.view()]));
      importWritten = true;
    } else out.copy(bytes, section.start, section.end);
  }
  // The writer was sized for the whole module: its view is the result, without a copy of it.
  return { bytes: out.view(), memory: { initialPages, ...(maximumPages !== undefined && { maximumPages }) } };
}
