import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from './component-cache.js';
import type { InstrumentedModule } from '../../limits/instrument-fuel.js';
import type { InstrumentedStore, MeteringOptions } from './metered-module.js';

/** Bumped when the rewriter's output changes, so old entries are not reused. */
const rewriterFormat = 9;

/**
 * Instrumented modules on disk, by the sha256 of the original bytes and the
 * memory cap (`<cache>/metered/<key>.wasm`): instrumenting ruby.wasm takes
 * about half a second, which a CLI run would otherwise pay every time. The
 * cache holds only what the rewriter makes from bytes it was given, so a
 * stale or foreign entry can at worst fail to compile; it is then remade.
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
    try {
      if (remake) throw new Error('remake');
      const saved = JSON.parse(readFileSync(layout, 'utf8')) as Omit<InstrumentedModule, 'bytes'>;
      return { ...saved, bytes: new Uint8Array(readFileSync(wasm)) };
    } catch {
      const made = make();
      try {
        mkdirSync(this.dir, { recursive: true });
        const { bytes, ...rest } = made;
        // The module first, then its layout: an entry without a layout is never read.
        writeAtomically(wasm, bytes);
        writeAtomically(layout, JSON.stringify(rest));
      } catch {
        // A read-only or full cache only costs time.
      }
      return made;
    }
  }
}

function writeAtomically(file: string, data: Uint8Array | string): void {
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temporary, data);
  renameSync(temporary, file);
}
