import type { Volume } from 'memfs';
import { GoodbotError } from '../errors.js';

/** One entry of a {@link ZoneImage}: a folder, a file (its bytes at OFFSET in chunk CHUNK), a symlink, or another name of a file. */
export type ZoneImageEntry =
  | { readonly type: 'dir'; readonly path: string; readonly mtimeMs: number }
  | {
      readonly type: 'file';
      readonly path: string;
      readonly mtimeMs: number;
      readonly chunk: number;
      readonly offset: number;
      readonly length: number;
    }
  | { readonly type: 'symlink'; readonly path: string; readonly target: string }
  | { readonly type: 'link'; readonly path: string; readonly of: string };

/**
 * What an in-memory zone holds, as plain data: its folders, files (with
 * their times), symlinks and hard links, and the files' bytes in a few
 * chunks. A session carries its scratch zones from run to run (and into a
 * snapshot file) as images. Chunks live in shared memory where there is
 * one, so posting an image to a worker copies no file, and they are never
 * written once made: a run reads its files' bytes from them in place
 * (copying a file only when it opens it for writing), and the image it
 * gives back refers to the same chunks for every file it did not change.
 */
export interface ZoneImage {
  readonly entries: readonly ZoneImageEntry[];
  readonly chunks: readonly Uint8Array[];
}

type MemVolume = InstanceType<typeof Volume>;

interface MemStat {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/**
 * The image of everything in VOLUME, parents before children, names
 * sorted. Files whose bytes are still those of a chunk of PREVIOUS (the
 * image the volume was restored from) keep referring to it; the rest are
 * copied into one new chunk. When the chunks kept would be mostly bytes no
 * file uses any more, everything is copied afresh instead.
 */
export function captureImage(volume: MemVolume, previous?: ZoneImage): ZoneImage {
  const entries: (ZoneImageEntry & { bytes?: Uint8Array })[] = [];
  const seen = new Map<number, string>();
  const walk = (dir: string): void => {
    for (const name of (volume.readdirSync(dir) as string[]).sort()) {
      const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
      const stat = volume.lstatSync(path) as unknown as MemStat;
      if (stat.isDirectory()) {
        entries.push({ type: 'dir', path, mtimeMs: stat.mtimeMs });
        walk(path);
      } else if (stat.isSymbolicLink()) {
        entries.push({ type: 'symlink', path, target: String(volume.readlinkSync(path)) });
      } else if (stat.isFile()) {
        const first = seen.get(stat.ino);
        if (first !== undefined) {
          entries.push({ type: 'link', path, of: first });
          continue;
        }
        seen.set(stat.ino, path);
        entries.push({
          type: 'file',
          path,
          mtimeMs: stat.mtimeMs,
          chunk: -1,
          offset: 0,
          length: stat.size,
          bytes: fileBytes(volume, path, stat.size),
        });
      }
    }
  };
  walk('/');
  return packImage(entries, previous?.chunks ?? []);
}

/** ENTRIES' bytes into chunks: those within one of OLD's kept as they are (unless most of OLD would be waste), the rest copied into a new one. */
function packImage(entries: readonly (ZoneImageEntry & { bytes?: Uint8Array })[], old: readonly Uint8Array[]): ZoneImage {
  // Which of OLD holds each entry's bytes (-1: none, or no bytes), found once.
  const homes = entries.map(({ bytes }) =>
    bytes === undefined
      ? -1
      : old.findIndex(
          (chunk) =>
            chunk.buffer === bytes.buffer &&
            bytes.byteOffset >= chunk.byteOffset &&
            bytes.byteOffset + bytes.length <= chunk.byteOffset + chunk.length,
        ),
  );
  const kept = new Map<number, number>();
  let keptBytes = 0;
  entries.forEach(({ bytes }, i) => {
    if (homes[i]! < 0) return;
    kept.set(homes[i]!, 0);
    keptBytes += bytes!.length;
  });
  const keptTotal = [...kept.keys()].reduce((total, index) => total + old[index]!.length, 0);
  const reuse = keptTotal <= 2 * keptBytes + 1024 * 1024;
  const chunks: Uint8Array[] = [];
  if (reuse) for (const index of kept.keys()) kept.set(index, chunks.push(old[index]!) - 1);
  const home = (i: number) => (reuse ? homes[i]! : -1);
  const fresh = entries.reduce((total, { bytes }, i) => total + (bytes !== undefined && home(i) < 0 ? bytes.length : 0), 0);
  const data = fresh > 0 ? sharedBytes(fresh) : undefined;
  if (data !== undefined) chunks.push(data);
  let at = 0;
  const packed = entries.map((entry, i): ZoneImageEntry => {
    const { bytes, ...rest } = entry;
    if (bytes === undefined || rest.type !== 'file') return rest;
    const index = home(i);
    if (index >= 0) return { ...rest, chunk: kept.get(index)!, offset: bytes.byteOffset - old[index]!.byteOffset, length: bytes.length };
    data!.set(bytes, at);
    at += bytes.length;
    return { ...rest, chunk: chunks.length - 1, offset: at - bytes.length, length: bytes.length };
  });
  return { entries: packed, chunks };
}

/** Recreates IMAGE's entries in VOLUME (empty), files reading their chunk's bytes in place. A malformed image is refused, never half applied silently. */
export function restoreImage(volume: MemVolume, image: ZoneImage): void {
  const bad = (why: string, path?: string) =>
    new GoodbotError('usage', `the zone image is malformed: ${why}`, {
      hint: 'take a new snapshot of the session',
      ...(path !== undefined && { path }),
    });
  const folders: { path: string; mtimeMs: number }[] = [];
  for (const entry of image.entries) {
    if (!entry.path.startsWith('/') || entry.path.split('/').some((part, i) => i > 0 && (part === '' || part === '.' || part === '..'))) {
      throw bad('a path is not absolute and normal', entry.path);
    }
    try {
      restoreEntry(volume, image, entry, folders);
    } catch (error) {
      if (error instanceof GoodbotError) throw error;
      throw bad(String((error as Error)?.message ?? error), entry.path);
    }
  }
  // Folders' times last: creating their entries moved them.
  for (const folder of folders.reverse()) volume.utimesSync(folder.path, folder.mtimeMs / 1000, folder.mtimeMs / 1000);
}

function restoreEntry(volume: MemVolume, image: ZoneImage, entry: ZoneImageEntry, folders: { path: string; mtimeMs: number }[]): void {
  switch (entry.type) {
    case 'dir':
      volume.mkdirSync(entry.path);
      folders.push(entry);
      break;
    case 'file': {
      const chunk = image.chunks[entry.chunk];
      if (chunk === undefined || !(entry.offset >= 0 && entry.length >= 0 && entry.offset + entry.length <= chunk.length)) {
        throw new Error('a file lies outside the data');
      }
      writeInPlace(volume, entry.path, chunk, entry.offset, entry.length);
      const seconds = entry.mtimeMs / 1000;
      volume.utimesSync(entry.path, seconds, seconds);
      break;
    }
    case 'symlink':
      volume.symlinkSync(entry.target, entry.path);
      break;
    case 'link':
      volume.linkSync(entry.of, entry.path);
      break;
    default:
      throw new Error('an entry has an unknown type');
  }
}

/** Bytes nothing else writes: in shared memory where there is one (posting them to a worker then copies nothing). */
export function sharedBytes(length: number): Uint8Array {
  return typeof SharedArrayBuffer === 'function' ? new Uint8Array(new SharedArrayBuffer(length)) : new Uint8Array(length);
}

/** What memfs (4.x) keeps for a file: its bytes in a Buffer of memfs' own Buffer class, of which SIZE are used. */
interface MemFileNode {
  buf: Uint8Array;
  size: number;
  _setBuf(buf: unknown): void;
}

type BufferClass = { from(buffer: ArrayBufferLike | Uint8Array, offset?: number, length?: number): Uint8Array };

/** File PATH's node in VOLUME and memfs' Buffer class, when this memfs has the internals the in-place paths use. */
function fileNode(volume: MemVolume, path: string): { node: MemFileNode; Buffer: BufferClass } | undefined {
  const core = (volume as unknown as { _core?: { getLinkOrThrow?(path: string): { getNode(): Partial<MemFileNode> } } })._core;
  const node = core?.getLinkOrThrow?.(path).getNode();
  const Buffer = node?.buf?.constructor as Partial<BufferClass> | undefined;
  if (typeof node?._setBuf !== 'function' || typeof node.size !== 'number' || typeof Buffer?.from !== 'function') return undefined;
  return { node: node as MemFileNode, Buffer: Buffer as BufferClass };
}

/**
 * Creates file PATH holding LENGTH bytes of DATA at OFFSET, as a view of
 * DATA rather than a copy ({@link ownFileBytes} gives the file bytes of
 * its own before anything writes to it). A memfs without the internals
 * this needs gets the bytes copied, as `writeFileSync` does.
 */
function writeInPlace(volume: MemVolume, path: string, data: Uint8Array, offset: number, length: number): void {
  volume.writeFileSync(path, '');
  const found = fileNode(volume, path);
  if (found === undefined) volume.writeFileSync(path, data.subarray(offset, offset + length));
  else found.node._setBuf(found.Buffer.from(data.buffer, data.byteOffset + offset, length));
}

/** File PATH's bytes: in place when memfs lets us (the capture copies only what is new), else a copy. */
function fileBytes(volume: MemVolume, path: string, size: number): Uint8Array {
  const found = fileNode(volume, path);
  return found === undefined ? (volume.readFileSync(path) as Uint8Array) : found.node.buf.subarray(0, size);
}

/**
 * Gives file PATH bytes of its own if they are a view of an image's chunk,
 * before it is opened for writing: chunks are shared (with the image, its
 * forks, other threads) and must never change.
 */
export function ownFileBytes(volume: MemVolume, path: string, chunks: ReadonlySet<ArrayBufferLike>): void {
  const found = fileNode(volume, path);
  if (found === undefined || !chunks.has(found.node.buf.buffer)) return;
  const { node, Buffer } = found;
  const mtime = (volume.statSync(path) as unknown as MemStat).mtimeMs / 1000;
  node._setBuf(Buffer.from(node.buf.subarray(0, node.size)));
  volume.utimesSync(path, mtime, mtime);
}

/** Whether restoring uses files' bytes in place (memfs' internals as this version has them): a test checks it, so an upgrade that changes them is noticed. */
export function restoresInPlace(volume: MemVolume): boolean {
  volume.writeFileSync('/.probe', '');
  try {
    return fileNode(volume, '/.probe') !== undefined;
  } finally {
    volume.unlinkSync('/.probe');
  }
}
