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
 * then, before it is kept, so the next guest gets what a fresh memory would
 * be (same size, all zeros) and never a byte of an earlier run; and views of
 * it made before (output the host should have copied) go empty rather than
 * show the next guest's bytes. A memory the guest grew is dropped (it cannot
 * shrink, and a larger start would be visible to the next guest).
 *
 * A kept memory's first zeroing touches every page of it once; V8 lists each
 * instance that used a memory until a collection clears the dead ones, so
 * `grow(0)` costs a few to a few tens of microseconds (dropping memories
 * after some uses to shorten the list was tried: the fresh memory's first
 * zeroing then cost more, 4 ms every 64 runs for a 1.25 MiB memory).
 */
export class MemoryPool {
  private readonly idle = new Map<string, WebAssembly.Memory[]>();
  private idleBytes = 0;

  /** A memory of exactly LIMITS' initial size, all zeros. */
  take(limits: MemoryLimits): WebAssembly.Memory {
    const kept = this.idle.get(keyOf(limits))?.pop();
    if (kept !== undefined) {
      this.idleBytes -= kept.buffer.byteLength;
      return kept;
    }
    return new WebAssembly.Memory({
      initial: limits.initialPages,
      ...(limits.maximumPages !== undefined && { maximum: limits.maximumPages }),
    });
  }

  /** Takes back MEMORY once its guest is gone for good (no instance or host call can touch it again). */
  give(memory: WebAssembly.Memory, limits: MemoryLimits): void {
    const bytes = memory.buffer.byteLength;
    if (bytes !== limits.initialPages * wasmPageBytes || bytes > largestKeptBytes || this.idleBytes + bytes > keptBytesInAll) return;
    const key = keyOf(limits);
    let list = this.idle.get(key);
    if (list === undefined) this.idle.set(key, (list = []));
    if (list.length >= keptPerLimits) return;
    // grow(0) detaches the buffer every view made so far was over: a view the host kept by mistake
    // reads empty from now on, never the next guest's bytes.
    memory.grow(0);
    new Uint8Array(memory.buffer).fill(0);
    list.push(memory);
    this.idleBytes += bytes;
  }
}

function keyOf(limits: MemoryLimits): string {
  return `${limits.initialPages}:${limits.maximumPages ?? ''}`;
}

/** This thread's memories: each worker or page thread has its own. */
export const threadMemoryPool = new MemoryPool();
