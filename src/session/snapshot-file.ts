import { concatBytes } from '../bytes.js';
import { GoodbotError } from '../errors.js';
import { sharedBytes, type ZoneImage, type ZoneImageEntry } from '../zones/zone-image.js';
import type { SessionState } from './session-state.js';

const magic = 'goodbot-session-snapshot/1\n';

/**
 * A session's state as one file: a line naming the format, the length of a
 * JSON header (policy digest, working folder, shell state, each zone's
 * entries), the header, then every zone's file bytes back to back. Taking
 * and restoring one is a copy of the bytes, whatever the scratch holds.
 */
export function encodeSnapshot(state: SessionState, policyDigest: string): Uint8Array {
  return concatBytes(snapshotParts(state, policyDigest));
}

/**
 * A snapshot file's bytes as the pieces it is made of: its head, then each
 * file's bytes as a view of the chunk that holds them (nothing copied, so
 * a writer can hand them to the file system as they are).
 */
export function snapshotParts(state: SessionState, policyDigest: string): Uint8Array[] {
  // Each zone's files back to back (a zone's image may refer to chunks that hold bytes no file uses any more).
  const zones = Object.entries(state.zones).map(([name, image]) => {
    let length = 0;
    const entries = image.entries.map((entry): ZoneImageEntry => {
      if (entry.type !== 'file') return entry;
      length += entry.length;
      return { ...entry, chunk: 0, offset: length - entry.length };
    });
    return { name, image, entries, length };
  });
  const header = new TextEncoder().encode(
    JSON.stringify({
      policyDigest,
      cwd: state.cwd,
      ...(state.shell !== undefined && { shell: state.shell }),
      ...(state.secretTag !== undefined && { secretTag: state.secretTag }),
      zones: zones.map(({ name, entries, length }) => ({ name, entries, dataLength: length })),
    }),
  );
  const parts: Uint8Array[] = [new TextEncoder().encode(`${magic}${header.length}\n`), header];
  for (const { image } of zones) {
    for (const entry of image.entries) {
      if (entry.type === 'file' && entry.length > 0) parts.push(image.chunks[entry.chunk]!.subarray(entry.offset, entry.offset + entry.length));
    }
  }
  return parts;
}

/**
 * The state in a snapshot file's BYTES, and the digest of the policy it was
 * taken under. Bytes in shared memory (as Node's snapshot reader gives
 * them) become the zones' chunks as they are, and must not change after;
 * others are copied into shared memory once.
 */
export function decodeSnapshot(bytes: Uint8Array): { state: SessionState; policyDigest: string } {
  const bad = (why: string) =>
    new GoodbotError('usage', `not a goodbot session snapshot: ${why}`, { hint: 'give a file written by a session snapshot' });
  const prefix = new TextDecoder().decode(bytes.subarray(0, magic.length + 24));
  if (!prefix.startsWith(magic)) throw bad('it does not start as one');
  const lengthEnd = prefix.indexOf('\n', magic.length);
  const headerLength = Number(prefix.slice(magic.length, lengthEnd));
  if (lengthEnd < 0 || !Number.isSafeInteger(headerLength) || headerLength < 0) throw bad('its header length is missing');
  const headerStart = lengthEnd + 1;
  if (headerStart + headerLength > bytes.length) throw bad('it is cut short');
  let header: {
    policyDigest?: unknown;
    cwd?: unknown;
    shell?: unknown;
    secretTag?: unknown;
    zones?: { name: string; entries: ZoneImageEntry[]; dataLength: number }[];
  };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLength))) as typeof header;
  } catch {
    throw bad('its header is not JSON');
  }
  if (typeof header.policyDigest !== 'string' || typeof header.cwd !== 'string' || !Array.isArray(header.zones))
    throw bad('its header lacks a field');
  if (header.shell !== undefined && typeof header.shell !== 'string') throw bad('its shell state is not text');
  if (header.secretTag !== undefined && (typeof header.secretTag !== 'string' || !/^[0-9a-f]{16,64}$/.test(header.secretTag)))
    throw bad('its secret tag is not 16-64 hex digits');
  const zones: Record<string, ZoneImage> = {};
  const inSharedMemory = typeof SharedArrayBuffer === 'function' && bytes.buffer instanceof SharedArrayBuffer;
  let at = headerStart + headerLength;
  for (const zone of header.zones) {
    if (typeof zone.name !== 'string' || !Array.isArray(zone.entries) || !Number.isSafeInteger(zone.dataLength) || zone.dataLength < 0)
      throw bad('a zone is malformed');
    if (at + zone.dataLength > bytes.length) throw bad('it is cut short');
    const chunk = inSharedMemory ? bytes.subarray(at, at + zone.dataLength) : sharedBytes(zone.dataLength);
    if (!inSharedMemory) chunk.set(bytes.subarray(at, at + zone.dataLength));
    zones[zone.name] = { entries: zone.entries, chunks: [chunk] };
    at += zone.dataLength;
  }
  if (at !== bytes.length) throw bad('it has bytes past its last zone');
  const state: SessionState = {
    cwd: header.cwd,
    ...(header.shell !== undefined && { shell: header.shell }),
    zones,
    ...(typeof header.secretTag === 'string' && { secretTag: header.secretTag }),
  };
  return { policyDigest: header.policyDigest, state };
}
