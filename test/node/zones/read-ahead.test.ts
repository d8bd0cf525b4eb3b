import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostFolderStore } from '../../../src/node/zones/host-folder.js';
import { removeTree, tempDir } from '../../helpers/guests.js';

/** Small reads of host files served from blocks read ahead: always what a direct read would give. */
let dir: string;
beforeAll(() => {
  dir = tempDir('goodbot-read-ahead-');
});
afterAll(() => removeTree(dir));

const reading = { read: true, write: false, create: false, exclusive: false, truncate: false };
const writing = { read: true, write: true, create: false, exclusive: false, truncate: false };
const bytes = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);

/** Reads FILE through STORE in pieces of SIZES (cycled) from the start to the end. */
function readAll(store: HostFolderStore, fd: number, sizes: number[]): Uint8Array {
  const parts: number[] = [];
  for (let position = 0, i = 0; ; i++) {
    const into = new Uint8Array(sizes[i % sizes.length]!);
    const n = store.read(fd, into, position);
    if (n === 0) break;
    parts.push(...into.subarray(0, n));
    position += n;
  }
  return Uint8Array.from(parts);
}

describe('reading a host file in small pieces', () => {
  it('gives exactly the file, across block boundaries and with reads of every size', () => {
    const content = bytes(200_000, 7);
    writeFileSync(join(dir, 'data.bin'), content);
    const store = new HostFolderStore(dir);
    const root = store.openRoot();
    const fd = store.openFileAt(root, 'data.bin', reading);
    expect(readAll(store, fd, [1024])).toEqual(content);
    expect(readAll(store, fd, [1, 4095, 777, 16_383, 20_000, 3])).toEqual(content);
    // A small read that runs past a full block is as long as a direct read.
    const into = new Uint8Array(10_000);
    expect(store.read(fd, into, 65_536 - 100)).toBe(10_000);
    expect(into).toEqual(content.subarray(65_436, 75_436));
    store.closeFile(fd);
    store.closeDir(root);
  });

  it('sees what the run wrote through another descriptor, and what was appended past the end', () => {
    writeFileSync(join(dir, 'shared.txt'), 'a'.repeat(4096));
    const store = new HostFolderStore(dir);
    const root = store.openRoot();
    const reader = store.openFileAt(root, 'shared.txt', reading);
    const first = new Uint8Array(10);
    expect(store.read(reader, first, 0)).toBe(10);
    const writer = store.openFileAt(root, 'shared.txt', writing);
    store.write(writer, new TextEncoder().encode('CHANGED'), 100);
    const after = new Uint8Array(7);
    store.read(reader, after, 100);
    expect(new TextDecoder().decode(after)).toBe('CHANGED');
    // At the end of the file, a read goes to the host again: a growing file is seen (tail -f).
    expect(store.read(reader, new Uint8Array(10), 4096)).toBe(0);
    appendFileSync(join(dir, 'shared.txt'), 'more');
    const tail = new Uint8Array(10);
    expect(store.read(reader, tail, 4096)).toBe(4);
    expect(new TextDecoder().decode(tail.subarray(0, 4))).toBe('more');
    store.closeFile(reader);
    store.closeFile(writer);
    store.closeDir(root);
  });
});
