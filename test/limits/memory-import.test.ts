import { describe, expect, it } from 'vitest';
import { importOwnMemory, memoryImportModule, memoryImportName, ModuleWithRoom, rewriteRoomBytes } from '../../src/limits/memory-import.js';
import { body, exportEntry, funcType, I32, moduleBytes, section, Section, str, vec } from './wasm-builder.js';

const loadAt = (address: number) => [0x41, address, 0x28, 0x02, 0x00]; // i32.const ADDRESS; i32.load

/** A module with memory LIMITS (raw bytes), a data segment "wasm" at 0 and `load(): i32` reading it; IMPORTS as given. */
function moduleWith(limits: number[], imports?: number[][]): Uint8Array<ArrayBuffer> {
  return moduleBytes(
    section(Section.type, vec([funcType([], [I32]), funcType([], [])])),
    ...(imports === undefined ? [] : [section(Section.import, vec(imports))]),
    section(Section.function, vec([[0x00]])),
    ...(limits.length === 0 ? [] : [section(Section.memory, vec([limits]))]),
    section(
      Section.export,
      vec([exportEntry('load', 0, imports === undefined ? 0 : 1), ...(limits.length === 0 ? [] : [exportEntry('memory', 2, 0)])]),
    ),
    section(Section.code, vec([body(loadAt(0))])),
    ...(limits.length === 0 ? [] : [section(Section.data, vec([[0x00, 0x41, 0x00, 0x0b, ...str('wasm')]]))]),
  );
}

describe('importOwnMemory', () => {
  it('turns the one memory a module defines into an import of the same limits, at the same index', () => {
    const rewritten = importOwnMemory(moduleWith([0x01, 0x02, 0x05]));
    expect(rewritten?.memory).toEqual({ initialPages: 2, maximumPages: 5 });
    const module = new WebAssembly.Module(rewritten!.bytes);
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: memoryImportModule, name: memoryImportName, kind: 'memory' }]);
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 5 });
    const instance = new WebAssembly.Instance(module, { [memoryImportModule]: { [memoryImportName]: memory } });
    expect(instance.exports['memory']).toBe(memory);
    // The data segment landed in the memory given, and the code reads it there.
    expect((instance.exports['load'] as () => number)()).toBe(0x6d736177);
  });

  it('adds its import after the ones a module has, leaving their indices alone', () => {
    const fdWrite = [...str('wasi_snapshot_preview1'), ...str('sched_yield'), 0x00, 0x01];
    const rewritten = importOwnMemory(moduleWith([0x00, 0x01], [fdWrite]));
    expect(rewritten?.memory).toEqual({ initialPages: 1 });
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(rewritten!.bytes));
    expect(imports.map((entry) => `${entry.module}.${entry.name}`)).toEqual([
      'wasi_snapshot_preview1.sched_yield',
      `${memoryImportModule}.${memoryImportName}`,
    ]);
  });

  it('leaves alone modules it cannot rewrite exactly: no memory, a shared one, one already imported, malformed bytes', () => {
    expect(importOwnMemory(moduleWith([]))).toBeUndefined();
    expect(importOwnMemory(moduleWith([0x03, 0x01, 0x02]))).toBeUndefined();
    const importedMemory = [...str('env'), ...str('memory'), 0x02, 0x00, 0x01];
    expect(importOwnMemory(moduleWith([], [importedMemory]))).toBeUndefined();
    expect(importOwnMemory(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 9, 1))).toBeUndefined();
  });

  it('rewrites a module given with room where it lies: the same buffer, the same module, the original still to be had', () => {
    const fdWrite = [...str('wasi_snapshot_preview1'), ...str('sched_yield'), 0x00, 0x01];
    for (const imports of [undefined, [fdWrite]]) {
      const plain = moduleWith([0x01, 0x02, 0x05], imports);
      const buffer = new Uint8Array(rewriteRoomBytes + plain.length);
      buffer.set(plain, rewriteRoomBytes);
      const inPlace = importOwnMemory(new ModuleWithRoom(buffer, rewriteRoomBytes))!;
      expect(inPlace.bytes.buffer).toBe(buffer.buffer);
      expect(inPlace.bytes.byteOffset).toBeGreaterThanOrEqual(0);
      expect([...inPlace.bytes]).toEqual([...importOwnMemory(plain)!.bytes]);
      expect(inPlace.memory).toEqual({ initialPages: 2, maximumPages: 5 });
      expect([...inPlace.original()]).toEqual([...plain]);
    }
  });

  it('copies when the room is too small, leaving the bytes given as they were', () => {
    const plain = moduleWith([0x00, 0x01]);
    const buffer = plain.slice();
    const rewritten = importOwnMemory(new ModuleWithRoom(buffer, 0))!;
    expect(rewritten.bytes.buffer).not.toBe(buffer.buffer);
    expect([...buffer]).toEqual([...plain]);
    expect([...rewritten.original()]).toEqual([...plain]);
    expect(WebAssembly.Module.imports(new WebAssembly.Module(rewritten.bytes))).toEqual([
      { module: memoryImportModule, name: memoryImportName, kind: 'memory' },
    ]);
  });
});
