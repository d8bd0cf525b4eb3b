import { describe, expect, it } from 'vitest';
import { createSandbox } from '../../../src/node/index.js';
import { MemoryPool, usesBeforeDropped } from '../../../src/backends/wasm/memory-pool.js';
import { body, exportEntry, funcType, I32, moduleBytes, section, Section, sleb, str, vec } from '../../limits/wasm-builder.js';

const i32Const = (value: number) => [0x41, ...sleb(value)];
const i32Store = [0x36, 0x02, 0x00];

/**
 * A WASI command that writes 8 bytes to stdout: the word at address 1024
 * as it found it, then its memory's size in pages at start. It then leaves
 * a marker at 1024 for a later guest to find, and with GROW grows its
 * memory by a page.
 */
function markerModule(grow: boolean): Uint8Array<ArrayBuffer> {
  const code = [
    ...i32Const(1028),
    0x3f,
    0x00,
    ...i32Store, // *1028 = memory.size
    ...i32Const(0),
    ...i32Const(1024),
    ...i32Store, // iovec.buf = 1024
    ...i32Const(4),
    ...i32Const(8),
    ...i32Store, // iovec.len = 8
    ...i32Const(1),
    ...i32Const(0),
    ...i32Const(1),
    ...i32Const(16),
    0x10,
    0x00,
    0x1a, // fd_write(1, iovec, 1, &written)
    ...i32Const(1024),
    ...i32Const(0x41414141),
    ...i32Store, // the marker: "AAAA"
    ...(grow ? [...i32Const(1), 0x40, 0x00, 0x1a] : []),
  ];
  return moduleBytes(
    section(Section.type, vec([funcType([I32, I32, I32, I32], [I32]), funcType([], [])])),
    section(Section.import, vec([[...str('wasi_snapshot_preview1'), ...str('fd_write'), 0x00, 0x00]])),
    section(Section.function, vec([[0x01]])),
    section(Section.memory, vec([[0x00, 0x01]])),
    section(Section.export, vec([exportEntry('memory', 2, 0), exportEntry('_start', 0, 1)])),
    section(Section.code, vec([body(code)])),
  );
}

describe('memory recycled between runs', () => {
  it('attack: a guest reading memory an earlier guest wrote (same program or another) finds zeros, and every guest starts at its initial size', async () => {
    const plain = markerModule(false);
    const growing = markerModule(true);
    const fresh = [0, 0, 0, 0, 1, 0, 0, 0];
    // Unmetered, then metered with a memory cap (the instrumented variant imports its memory too).
    for (const sandbox of [createSandbox({}), createSandbox({ limits: { timeout: '10s', memory: '4MiB' } })])
      for (const program of [plain, plain, growing, plain, growing, growing, plain, plain]) {
        const chunks: Uint8Array[] = [];
        const result = await sandbox.exec({ program, onStdout: (chunk) => chunks.push(chunk.slice()) }).result;
        expect(result.status).toBe('exited');
        expect(chunks.flatMap((chunk) => [...chunk])).toEqual(fresh);
      }
  });

  it('attack: output a run returned (result and streamed chunks) is never rewritten by a later guest that reuses its memory', async () => {
    // tee writes /dev/stdout as a file: the device hands the guest's own bytes to the run's output.
    const sandbox = createSandbox({ zones: [{ name: 'tmp', mode: 'tmpfs' }] });
    const streamed: Uint8Array[] = [];
    const first = await sandbox.exec({
      program: 'tee',
      args: ['/dev/stdout'],
      stdin: 'first run, its own words\n',
      onStdout: (chunk) => streamed.push(chunk),
    }).result;
    for (let i = 0; i < 4; i++) await sandbox.exec({ program: 'tee', args: ['/dev/stdout'], stdin: `later run ${i} writing over it\n` }).result;
    // tee writes stdout and /dev/stdout in turns, so the two copies interleave: compare the characters.
    const sorted = (text: string) => text.split('').sort().join('');
    const written = sorted('first run, its own words\n'.repeat(2));
    expect(sorted(first.stdout)).toBe(written);
    expect(sorted(streamed.map((chunk) => new TextDecoder().decode(chunk)).join(''))).toBe(written);
  });

  it("attack: a view of a guest memory the host kept reads empty once the memory is taken back, never the next guest's bytes", () => {
    const pool = new MemoryPool();
    const limits = { initialPages: 1 };
    const memory = pool.take(limits);
    const kept = new Uint8Array(memory.buffer, 100, 8);
    pool.give(memory, limits);
    new Uint8Array(pool.take(limits).buffer).set([1, 2, 3], 100);
    expect(kept.length).toBe(0);
  });

  it('keeps a memory its guest left at its initial size, zeroed, and drops one it grew', () => {
    const pool = new MemoryPool();
    const limits = { initialPages: 2 };
    const first = pool.take(limits);
    new Uint8Array(first.buffer).fill(7, 0, 70_000);
    pool.give(first, limits);
    const again = pool.take(limits);
    expect(again).toBe(first);
    expect(new Uint8Array(again.buffer).every((byte) => byte === 0)).toBe(true);
    again.grow(1);
    pool.give(again, limits);
    const next = pool.take(limits);
    expect(next).not.toBe(again);
    expect(next.buffer.byteLength).toBe(2 * 65536);
  });

  it('zeroes a memory taken back when the thread is next idle, so the run that used it reports first', async () => {
    const pool = new MemoryPool();
    const limits = { initialPages: 1 };
    const memory = pool.take(limits);
    new Uint8Array(memory.buffer).fill(9);
    pool.give(memory, limits);
    expect(new Uint8Array(memory.buffer)[0]).toBe(9);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(new Uint8Array(memory.buffer).every((byte) => byte === 0)).toBe(true);
    expect(pool.take(limits)).toBe(memory);
  });

  it('gives each limits its own memories: a capped guest never gets an uncapped memory', () => {
    const pool = new MemoryPool();
    const uncapped = pool.take({ initialPages: 1 });
    pool.give(uncapped, { initialPages: 1 });
    const capped = pool.take({ initialPages: 1, maximumPages: 2 });
    expect(capped).not.toBe(uncapped);
    expect(() => capped.grow(2)).toThrow(RangeError);
  });

  it('drops a memory after it has served its share of instances, so the list V8 walks at each grow stays short', () => {
    const pool = new MemoryPool();
    const limits = { initialPages: 3 };
    const uses = usesBeforeDropped(3 * 65536);
    expect(uses).toBeGreaterThan(100);
    expect(uses).toBeLessThan(1000);
    const first = pool.take(limits);
    let memory = first;
    for (let use = 1; use < uses; use++) {
      pool.give(memory, limits);
      memory = pool.take(limits);
      expect(memory).toBe(first);
    }
    pool.give(memory, limits);
    expect(pool.take(limits)).not.toBe(first);
    expect(usesBeforeDropped(10 * 1024 * 1024)).toBeGreaterThan(uses);
  });
});
