import { fileVersion } from '../host/file-version.js';
import { GoodbotError } from '../../errors.js';
import type { LoadedProgram } from '../../backends/wasm/loaded-program.js';
import type { InstrumentedStore } from '../../backends/wasm/metered-module.js';
import { moduleProgram } from '../../backends/wasm/module-program.js';
import { detectProgramKind } from '../../backends/wasm/program-kind.js';
import { moduleBytesOf, type ModuleWithRoom } from '../../limits/memory-import.js';
import { readModuleFile } from './module-file.js';

/** Turns component bytes into a runnable program (transpiled, compiled, cached; STORE keeps its instrumented core modules). */
export type ComponentLoader = (bytes: Uint8Array, name: string, store?: InstrumentedStore) => Promise<LoadedProgram>;

/**
 * Finds, reads, checks and compiles programs for the Node platform, and keeps
 * the compiled result while the file is unchanged (same inode, size, mtime),
 * so a warm run costs an instantiation, not a compilation.
 */
export class ProgramLoader {
  private readonly cache = new Map<string, { key: string; program: LoadedProgram }>();
  /** Programs given as bytes, kept while the caller keeps the same array. */
  private readonly byBytes = new WeakMap<Uint8Array, Promise<LoadedProgram>>();

  constructor(
    private readonly loadComponent: ComponentLoader,
    /** Keeps instrumented modules between processes (optional). */
    private readonly instrumentedStore?: InstrumentedStore,
  ) {}

  /**
   * PROGRAM as a path or bytes. With a path, BYTES may give the file's
   * contents already read (and checked) by the caller, so the file is read
   * once and what runs is what was checked; read with room (see
   * `readModuleFile`), they are the loader's to rewrite.
   */
  async load(program: string | Uint8Array, bytes?: Uint8Array | ModuleWithRoom): Promise<LoadedProgram> {
    if (program instanceof Uint8Array) {
      let loaded = this.byBytes.get(program);
      if (loaded === undefined) {
        loaded = this.fromBytes(program, 'program.wasm');
        this.byBytes.set(program, loaded);
        loaded.catch(() => this.byBytes.delete(program));
      }
      return loaded;
    }
    const key = fileVersion(program);
    if (key === undefined) {
      throw new GoodbotError('not-found', `${program}: no such file`, {
        hint: 'check the path of the .wasm file; catalog tools are named without a path (goodbot tools list)',
        path: program,
      });
    }
    const cached = this.cache.get(program);
    if (cached?.key === key) return cached.program;
    const loaded = await this.fromBytes(bytes ?? readModuleFile(program), program);
    this.cache.set(program, { key, program: loaded });
    return loaded;
  }

  private async fromBytes(source: Uint8Array | ModuleWithRoom, name: string): Promise<LoadedProgram> {
    const bytes = moduleBytesOf(source);
    const kind = detectProgramKind(bytes, name);
    if (kind === 'component') return this.loadComponent(bytes, name, this.instrumentedStore);
    return moduleProgram(source, name, this.instrumentedStore);
  }
}
