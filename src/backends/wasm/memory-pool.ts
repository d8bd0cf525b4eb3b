import { wasmPageBytes } from '../../limits/memory-cap.js';
import type { MemoryLimits } from '../../limits/memory-import.js';

/** A memory above this size is not kept: zeroing it could cost more than the page faults it saves. */
const largestKeptBytes = 16 * 1024 * 1024;
/** Memories kept per size: a thread runs one guest at a time, plus the programs it starts. */
const keptPerLimits = 4;
/** All memories kept on one thread, together. */
const keptBytesInAll = 64 * 1024 * 1024;

/**
 * Linear memories for guests whose module imports its memory (see
 * `importOwnMemory`), kept between runs on this thread. A fresh memory's
 * pages are mapped on first touch, one fault each; on some machines (virtual
 * machines with costly faults) that is most of a small tool's run. A memory
 * comes back only if the guest left it at its initial size; it is zeroed
 * before it is handed out again, so the next guest gets what a fresh memory
 * would be (same size, all zeros) and never a byte of an earlier run; and views of
 * it made before (output the host should have copied) go empty rather than
 * show the next guest's bytes. A memory the guest grew is dropped (it cannot
 * shrink, and a larger start would be visible to the next guest).
 *
 * V8 lists each instance that used a memory until a full collection clears
 * the dead ones, and `grow(0)` walks that list (about 15 ns an entry here):
 * a memory reused run after run in a process that seldom collects fully
 * took 39 µs a `grow(0)` on average over 5000 warm `cat` runs, 80 µs over
 * 20 000 instances. So a memory serves at most {@link usesBeforeDropped}
 * instances, then is dropped for a fresh one: fewer uses make fresh
 * memories' page faults cost more (about 3 ms a MiB on the benchmark
 * machine), more make the walks longer; the bound balances the two for the
 * memory's size.
 */
export class MemoryPool {
  /** Zeroed memories, ready to hand out. */
  private readonly idle = new Map<string, WebAssembly.Memory[]>();
  /** Memories taken back but not yet zeroed: zeroed when the thread is next idle, or by the next `take` that needs one. */
  private readonly dirty = new Map<string, WebAssembly.Memory[]>();
  private idleBytes = 0;
  private zeroingScheduled = false;
  /** Instances each memory handed out so far has served (the one it is taken for counted). */
  private readonly uses = new WeakMap<WebAssembly.Memory, number>();

  /** A memory of exactly LIMITS' initial size, all zeros. */
  take(limits: MemoryLimits): WebAssembly.Memory {
    const key = keyOf(limits);
    const kept = this.idle.get(key)?.pop() ?? zeroed(this.dirty.get(key)?.pop());
    if (kept !== undefined) {
      this.idleBytes -= kept.buffer.byteLength;
      this.uses.set(kept, (this.uses.get(kept) ?? 0) + 1);
      return kept;
    }
    const memory = new WebAssembly.Memory({
      initial: limits.initialPages,
      ...(limits.maximumPages !== undefined && { maximum: limits.maximumPages }),
    });
    this.uses.set(memory, 1);
    return memory;
  }

  /**
   * Takes back MEMORY once its guest is gone for good (no instance or host
   * call can touch it again). Zeroing it waits for the thread's next idle
   * moment (a timer), so the run that used it can report first: the first
   * zeroing of a memory touches every page of it, tens of milliseconds for
   * python's 10 MiB on a machine with costly page faults.
   */
  give(memory: WebAssembly.Memory, limits: MemoryLimits): void {
    const bytes = memory.buffer.byteLength;
    if (bytes !== limits.initialPages * wasmPageBytes || bytes > largestKeptBytes || this.idleBytes + bytes > keptBytesInAll) return;
    if ((this.uses.get(memory) ?? 0) >= usesBeforeDropped(bytes)) return;
    const key = keyOf(limits);
    const count = (this.idle.get(key)?.length ?? 0) + (this.dirty.get(key)?.length ?? 0);
    if (count >= keptPerLimits) return;
    // grow(0) detaches the buffer every view made so far was over: a view the host kept by mistake
    // reads empty from now on, never the next guest's bytes.
    memory.grow(0);
    listOf(this.dirty, key).push(memory);
    this.idleBytes += bytes;
    if (!this.zeroingScheduled) {
      this.zeroingScheduled = true;
      // Node's timers can be unref'd: a process about to exit does not wait for it.
      const timer: unknown = setTimeout(() => this.zeroDirty(), 0);
      (timer as { unref?: () => void }).unref?.();
    }
  }

  private zeroDirty(): void {
    this.zeroingScheduled = false;
    for (const [key, memories] of this.dirty) {
      for (let memory = memories.pop(); memory !== undefined; memory = memories.pop()) listOf(this.idle, key).push(zeroed(memory)!);
    }
  }
}

/**
 * How many instances a memory of BYTES serves before it is dropped: the
 * count N at which the walks (15 ns an entry, N/2 entries on average) cost
 * what a fresh memory's page faults (3 ns a byte) cost spread over N runs,
 * N = sqrt(2 * 3 * BYTES / 15): 280 for a 192 KiB memory, 2048 for 10 MiB.
 */
export function usesBeforeDropped(bytes: number): number {
  return Math.max(16, Math.round(Math.sqrt(bytes / 2.5)));
}

/** MEMORY with every byte zero again (undefined stays undefined). */
function zeroed(memory: WebAssembly.Memory | undefined): WebAssembly.Memory | undefined {
  if (memory !== undefined) new Uint8Array(memory.buffer).fill(0);
  return memory;
}

function listOf(lists: Map<string, WebAssembly.Memory[]>, key: string): WebAssembly.Memory[] {
  let list = lists.get(key);
  if (list === undefined) lists.set(key, (list = []));
  return list;
}

function keyOf(limits: MemoryLimits): string {
  return `${limits.initialPages}:${limits.maximumPages ?? ''}`;
}

/** This thread's memories: each worker or page thread has its own. */
export const threadMemoryPool = new MemoryPool();
