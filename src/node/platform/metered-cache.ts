import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from '../host/host-dirs.js';
import { readOwnFile, sha256, writeAtomically } from '../host/cache-file.js';
import type { InstrumentedModule } from '../../limits/instrument-fuel.js';
import type { InstrumentedStore, MeteringOptions } from '../../backends/wasm/metered-module.js';

/** Bumped when the rewriter's output changes, so old entries are not reused. */
const rewriterFormat = 9;

/**
 * Instrumented modules on disk, by the sha256 of the original bytes and the
 * memory cap (`<cache>/metered/<key>.wasm`): instrumenting ruby.wasm takes
 * about half a second, which a CLI run would otherwise pay every time. The
 * layout records the sha256 of the instrumented bytes; an entry whose module
 * does not match it, or whose files are not this user's own (or are
 * writable by others), is remade rather than run: a module with its fuel
 * checks cut out would otherwise run unmetered.
 */
export class MeteredDiskCache implements InstrumentedStore {
  private readonly dir: string;

  constructor(root: string = cacheRoot()) {
    this.dir = join(root, 'metered');
  }

  load(original: Uint8Array, options: MeteringOptions, make: () => InstrumentedModule, remake = false): InstrumentedModule {
    const key = createHash('sha256')
      .update(`${rewriterFormat}:${options.maxMemoryBytes ?? 'none'}:${options.importedMemoryCapped === true ? 'shared' : 'own'}:`)
      .update(original)
      .digest('hex');
    const wasm = join(this.dir, `${key}.wasm`);
    const layout = join(this.dir, `${key}.json`);
    const saved = remake ? undefined : readEntry(wasm, layout);
    if (saved !== undefined) return saved;
    const made = make();
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const { bytes, ...rest } = made;
      // The module first, then its layout: an entry without a layout is never read.
      writeAtomically(wasm, bytes);
      writeAtomically(layout, JSON.stringify({ ...rest, sha256: sha256(bytes) }));
    } catch {
      // A read-only or full cache only costs time.
    }
    return made;
  }
}

/** A kept entry whose module has the sha256 its layout recorded, else undefined. */
function readEntry(wasm: string, layout: string): InstrumentedModule | undefined {
  try {
    const text = readOwnFile(layout);
    const bytes = readOwnFile(wasm);
    if (text === undefined || bytes === undefined) return undefined;
    const { sha256: expected, ...saved } = JSON.parse(text.toString('utf8')) as Omit<InstrumentedModule, 'bytes'> & { sha256?: string };
    return expected === sha256(bytes) ? { ...saved, bytes: new Uint8Array(bytes) } : undefined;
  } catch {
    return undefined;
  }
}
