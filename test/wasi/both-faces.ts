import { Volume } from 'memfs';
import { Authority } from '../../src/policy/authority.js';
import type { ZoneSpec } from '../../src/policy/types.js';
import type { WasiContext } from '../../src/wasi/common/context.js';
import { BufferedInput, CallbackOutput } from '../../src/wasi/common/stdio.js';
import { Preview1Host } from '../../src/wasi/preview1/host.js';
import type { Descriptor } from '../../src/wasi/preview2/filesystem.js';
import { createPreview2Imports } from '../../src/wasi/preview2/index.js';
import { Errno, type ErrnoName } from '../../src/errno.js';
import { MemoryFolderStore } from '../../src/zones/memory-folder.js';
import { ZoneVolume } from '../../src/zones/zone-volume.js';
import type { FilesystemErrorCode } from '../../src/wasi/preview2/error-codes.js';
import { filesystemErrorCodeOf } from '../../src/wasi/preview2/error-codes.js';

/*
 * Both WASI faces over one in-memory zone, called directly: preview1 as a
 * core module calls its imports (pointers into a memory the test owns),
 * preview2 as jco's glue calls the interfaces.
 */

type Preview1Import = (...args: (number | bigint)[]) => number;

const encoder = new TextEncoder();

/** A u64 as a preview1 import receives it: the JS API hands a wasm i64 over as a signed BigInt. */
export function i64(value: bigint): bigint {
  return BigInt.asIntN(64, value);
}

/** The preview1 face, with a bump allocator in the memory it is bound to. */
export class Preview1Driver {
  readonly imports: Record<string, Preview1Import>;
  private free = 1024;

  constructor(readonly host: Preview1Host) {
    host.memory.bind(new WebAssembly.Memory({ initial: 16 }));
    this.imports = host.imports() as unknown as Record<string, Preview1Import>;
  }

  /** Calls an import; returns the errno's name (`SUCCESS` for 0). */
  call(name: string, ...args: (number | bigint)[]): ErrnoName | 'SUCCESS' {
    const errno = this.imports[name]!(...args);
    const found = Object.entries(Errno).find(([, value]) => value === errno);
    if (!found) throw new Error(`${name} returned ${errno}, no errno`);
    return found[0] as ErrnoName | 'SUCCESS';
  }

  /** Copies bytes (or a string's UTF-8) into memory: [pointer, length]. */
  bytes(data: Uint8Array | string): [number, number] {
    const raw = typeof data === 'string' ? encoder.encode(data) : data;
    const ptr = this.alloc(raw.length);
    this.host.memory.writeBytes(ptr, raw);
    return [ptr, raw.length];
  }

  /** An iovec array with one buffer per entry of LENGTHS (each at its own place): its pointer. */
  iovecs(...buffers: (Uint8Array | number)[]): number {
    const array = this.alloc(buffers.length * 8);
    buffers.forEach((buffer, i) => {
      const [ptr, len] = typeof buffer === 'number' ? [this.alloc(buffer), buffer] : this.bytes(buffer);
      this.host.memory.setU32(array + i * 8, ptr);
      this.host.memory.setU32(array + i * 8 + 4, len);
    });
    return array;
  }

  /** An iovec array of COUNT entries all naming the same LENGTH bytes. */
  repeatedIovecs(count: number, length: number): number {
    const buffer = this.alloc(length);
    const array = this.alloc(count * 8);
    for (let i = 0; i < count; i++) {
      this.host.memory.setU32(array + i * 8, buffer);
      this.host.memory.setU32(array + i * 8 + 4, length);
    }
    return array;
  }

  /** Room for a result. */
  out(size = 8): number {
    return this.alloc(size);
  }

  u32(ptr: number): number {
    return this.host.memory.u32(ptr);
  }

  u64(ptr: number): bigint {
    return this.host.memory.u64(ptr);
  }

  /** Opens PATH under the zone (fd 3) for reading and writing; its fd. */
  open(path: string): number {
    const [ptr, len] = this.bytes(path);
    const out = this.out(4);
    const rights = (1n << 1n) | (1n << 6n); // FD_READ | FD_WRITE
    const errno = this.call('path_open', 3, 0, ptr, len, 0, rights, rights, 0, out);
    if (errno !== 'SUCCESS') throw new Error(`path_open ${path}: ${errno}`);
    return this.u32(out);
  }

  private alloc(size: number): number {
    const ptr = this.free;
    this.free += (size + 7) & ~7;
    return ptr;
  }
}

export interface BothFaces {
  readonly volume: ZoneVolume;
  readonly preview1: Preview1Driver;
  /** The zone's root as preview2's preopen. */
  readonly root: Descriptor;
}

/** Both faces over one read-write zone at `/work` holding FILES. */
export function bothFaces(files: Readonly<Record<string, string>> = { 'a.txt': 'abcdef' }): BothFaces {
  const authority = new Authority();
  const spec: ZoneSpec = { name: 'work', kind: 'memory', access: 'rw', guestPath: '/work' };
  const volume = new ZoneVolume(spec, new MemoryFolderStore(Volume, files), authority);
  const ctx: WasiContext = {
    args: ['tool'],
    env: [],
    cwd: '/work',
    preopens: [{ guestPath: '/work', dir: volume.root }],
    volumes: [volume],
    stdin: new BufferedInput(new Uint8Array(0)),
    stdout: new CallbackOutput(() => {}),
    stderr: new CallbackOutput(() => {}),
    clock: { wallNs: () => 0n, monotonicNs: () => 0n, resolutionNs: 1n, sleep: () => {} },
    random: { fill: (into) => into.fill(7) },
    authority,
  };
  const preview1 = new Preview1Driver(new Preview1Host(ctx));
  const preopens = createPreview2Imports(ctx)['wasi:filesystem/preopens']!;
  const root = (preopens['getDirectories'] as () => [Descriptor, string][])()[0]![0];
  return { volume, preview1, root };
}

/** Preview2's error-code for the errno preview1 returns: what the preview1 adapter turns back into that errno. */
export function preview2Code(errno: ErrnoName): FilesystemErrorCode {
  return filesystemErrorCodeOf(errno);
}
