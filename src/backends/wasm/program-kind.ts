import { GoodbotError } from '../../errors.js';
import { importOwnMemory, memoryImportModule, memoryImportName, moduleBytesOf, type ModuleWithRoom } from '../../limits/memory-import.js';
import type { GuestModule } from './loaded-program.js';

export type ProgramKind = 'module' | 'component';

/**
 * Tells a core module from a component by the preamble: both start with
 * `\0asm`; a core module has version 1 (layer 0), a component layer 1.
 */
export function detectProgramKind(bytes: Uint8Array, name: string): ProgramKind {
  const hint = 'PROGRAM must be a WebAssembly core module or component (.wasm)';
  if (bytes.length < 8 || bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new GoodbotError('invalid-program', `${name} is not a WebAssembly binary (no \\0asm header)`, { hint, path: name });
  }
  const layer = bytes[6]! | (bytes[7]! << 8);
  const version = bytes[4]! | (bytes[5]! << 8);
  if (layer === 0 && version === 1) return 'module';
  if (layer === 1) return 'component';
  throw new GoodbotError('invalid-program', `${name} has an unknown WebAssembly version (${version}, layer ${layer})`, {
    hint,
    path: name,
  });
}

/** Compiles a core module, turning a compile error into an invalid-program error. */
export function compileModule(bytes: Uint8Array, name: string): WebAssembly.Module {
  try {
    return new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch (error) {
    throw new GoodbotError('invalid-program', `${name} is not a valid WebAssembly module: ${(error as Error).message}`, {
      hint: 'check that the file is complete and built for wasm32-wasi',
      path: name,
      cause: error,
    });
  }
}

/**
 * Compiles a core module whose own memory the host will supply (see
 * `importOwnMemory`); a module that cannot be rewritten compiles as it is.
 * Gives the module as it came too (given a {@link ModuleWithRoom}, its
 * bytes were rewritten where they lay: put together again when asked for).
 */
export function compileWithImportedMemory(
  source: Uint8Array | ModuleWithRoom,
  name: string,
): { readonly guest: GuestModule; readonly original: () => Uint8Array } {
  const rewritten = importOwnMemory(source);
  if (rewritten !== undefined) {
    try {
      return { guest: { module: new WebAssembly.Module(rewritten.bytes), memory: rewritten.memory }, original: rewritten.original };
    } catch {
      // the original's own compile error says what is wrong, at its own offsets
    }
  }
  const original = rewritten?.original() ?? moduleBytesOf(source);
  return { guest: { module: compileModule(original, name) }, original: () => original };
}

/** Checks that a core module is a WASI command goodbot can run (its memory imported only when goodbot made it so). */
export function checkCommandModule({ module, memory }: GuestModule, name: string): void {
  for (const entry of WebAssembly.Module.imports(module)) {
    const suppliedMemory = memory !== undefined && entry.module === memoryImportModule && entry.name === memoryImportName && entry.kind === 'memory';
    if (entry.module !== 'wasi_snapshot_preview1' && entry.module !== 'goodbot_process' && !suppliedMemory) {
      throw new GoodbotError('invalid-program', `${name} imports ${entry.module}.${entry.name}, which goodbot does not provide`, {
        hint: 'only wasi_snapshot_preview1 and goodbot_process imports are available to core modules',
        path: name,
      });
    }
  }
  const exports = WebAssembly.Module.exports(module);
  if (!exports.some((e) => e.name === '_start' && e.kind === 'function')) {
    throw new GoodbotError('invalid-program', `${name} exports no _start function: it is not a WASI command`, {
      hint: 'build it as a command (the default for wasm32-wasi executables)',
      path: name,
    });
  }
  if (!exports.some((e) => e.name === 'memory' && e.kind === 'memory')) {
    throw new GoodbotError('invalid-program', `${name} exports no memory`, { path: name });
  }
}
