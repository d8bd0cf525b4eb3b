import type { ZoneFiles } from './zone-files.js';

/**
 * A folder's files packed into one download: a little-endian uint32 with the
 * index's length, the index (UTF-8 JSON: `[path, size]` pairs in order), then
 * every file's bytes back to back. One request instead of hundreds, and no
 * archive library in the page.
 */
type ArchiveIndex = readonly (readonly [path: string, size: number])[];

/** Packs FILES (relative path -> bytes) into one archive. */
export function packFolder(files: Readonly<ZoneFiles>): Uint8Array {
  const entries = Object.entries(files);
  const index = new TextEncoder().encode(JSON.stringify(entries.map(([path, bytes]) => [path, bytes.length])));
  const archive = new Uint8Array(4 + index.length + entries.reduce((sum, [, bytes]) => sum + bytes.length, 0));
  new DataView(archive.buffer).setUint32(0, index.length, true);
  archive.set(index, 4);
  let offset = 4 + index.length;
  for (const [, bytes] of entries) {
    archive.set(bytes, offset);
    offset += bytes.length;
  }
  return archive;
}

/** The files of ARCHIVE, each a view into it (no copies). */
export function unpackFolder(archive: Uint8Array): ZoneFiles {
  const view = new DataView(archive.buffer, archive.byteOffset, archive.byteLength);
  const indexLength = archive.length >= 4 ? view.getUint32(0, true) : Number.POSITIVE_INFINITY;
  if (4 + indexLength > archive.length) throw new Error('folder archive: truncated index');
  const index = JSON.parse(new TextDecoder().decode(archive.subarray(4, 4 + indexLength))) as ArchiveIndex;
  const files: ZoneFiles = {};
  let offset = 4 + indexLength;
  for (const [path, size] of index) {
    if (offset + size > archive.length) throw new Error(`folder archive: ${path} is truncated`);
    files[path] = archive.subarray(offset, offset + size);
    offset += size;
  }
  return files;
}
