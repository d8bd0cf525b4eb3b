import { Volume } from 'memfs';
import { describe, expect, it } from 'vitest';
import { MemoryFolderStore } from '../../src/zones/memory-folder.js';
import { captureImage, restoreImage, restoresInPlace, type ZoneImage } from '../../src/zones/zone-image.js';

function filled(): InstanceType<typeof Volume> {
  const volume = new Volume();
  volume.mkdirSync('/a/b', { recursive: true });
  volume.writeFileSync('/a/b/text.txt', 'hello');
  volume.writeFileSync('/bytes', Uint8Array.from([0, 1, 254, 255]));
  volume.linkSync('/bytes', '/a/same');
  volume.symlinkSync('../bytes', '/a/link');
  volume.writeFileSync('/empty', '');
  volume.utimesSync('/a/b/text.txt', 1000, 1000);
  volume.utimesSync('/a/b', 2000, 2000);
  return volume;
}

describe('zone images', () => {
  it('carry folders, files with their times, symlinks and hard links, and give them back as they were', () => {
    const image = captureImage(filled());
    expect(image.entries.map((entry) => `${entry.type} ${entry.path}`)).toEqual([
      'dir /a',
      'dir /a/b',
      'file /a/b/text.txt',
      'symlink /a/link',
      'file /a/same',
      'link /bytes',
      'file /empty',
    ]);
    const copy = new Volume();
    restoreImage(copy, image);
    expect(copy.readFileSync('/a/b/text.txt', 'utf8')).toBe('hello');
    expect(copy.readFileSync('/bytes')).toEqual(Buffer.from([0, 1, 254, 255]));
    expect(copy.readlinkSync('/a/link')).toBe('../bytes');
    expect(copy.statSync('/a/same').ino).toBe(copy.statSync('/bytes').ino);
    expect(copy.statSync('/a/b/text.txt').mtimeMs).toBe(1_000_000);
    expect(copy.statSync('/a/b').mtimeMs).toBe(2_000_000);
    expect(captureImage(copy)).toEqual(image);
    // The fast path (files' bytes used in place) is the one taken with this memfs.
    expect(restoresInPlace(new Volume())).toBe(true);
  });

  it('refers to the chunks a volume was restored from for every file it did not change, and copies the rest', () => {
    const image = captureImage(filled());
    const volume = new Volume();
    restoreImage(volume, image);
    volume.writeFileSync('/new.txt', 'new');
    const next = captureImage(volume, image);
    expect(next.chunks[0]).toBe(image.chunks[0]);
    expect(next.chunks).toHaveLength(2);
    const newFile = next.entries.find((entry) => entry.path === '/new.txt');
    expect(newFile).toMatchObject({ type: 'file', chunk: 1, length: 3 });
    // Once most of the old chunk is bytes no file has any more, everything is copied afresh.
    const big = new Volume();
    big.writeFileSync('/big', new Uint8Array(4 * 1024 * 1024));
    big.writeFileSync('/small', 'small');
    const bigImage = captureImage(big);
    const shrunk = new Volume();
    restoreImage(shrunk, bigImage);
    shrunk.unlinkSync('/big');
    const compacted = captureImage(shrunk, bigImage);
    expect(compacted.chunks).toHaveLength(1);
    expect(compacted.chunks[0]!.length).toBe(5);
  });

  it('attack: writing a restored file through its zone changes neither the image nor another restore of it', () => {
    const image = captureImage(filled());
    const first = new MemoryFolderStore(Volume, {}, [], image);
    const second = new MemoryFolderStore(Volume, {}, [], image);
    const mode = { read: true, write: true, create: false, exclusive: false, truncate: false };
    const text = first.openFileAt('/a/b', 'text.txt', mode);
    first.write(text, new TextEncoder().encode('HE'), 0);
    first.setSize(text, 1);
    first.setSize(text, 5);
    first.closeFile(text);
    const bytes = first.openFileAt('/', 'bytes', mode);
    first.write(bytes, Uint8Array.from([7]), 0);
    first.closeFile(bytes);
    expect(first.volume.readFileSync('/a/b/text.txt', 'utf8')).toBe('H\0\0\0\0');
    expect(first.volume.readFileSync('/a/same')).toEqual(Buffer.from([7, 1, 254, 255]));
    expect(second.volume.readFileSync('/a/b/text.txt', 'utf8')).toBe('hello');
    expect(second.volume.readFileSync('/bytes')).toEqual(Buffer.from([0, 1, 254, 255]));
    const again = new Volume();
    restoreImage(again, image);
    expect(again.readFileSync('/a/b/text.txt', 'utf8')).toBe('hello');
    expect(again.readFileSync('/a/same')).toEqual(Buffer.from([0, 1, 254, 255]));
  });

  it('attack: a tampered image cannot write outside the zone or read outside its data, and is refused whole', () => {
    const chunks = [new Uint8Array(4)];
    const bad: ZoneImage[] = [
      { entries: [{ type: 'file', path: '/../escape', mtimeMs: 0, chunk: 0, offset: 0, length: 1 }], chunks },
      { entries: [{ type: 'file', path: 'relative', mtimeMs: 0, chunk: 0, offset: 0, length: 1 }], chunks },
      { entries: [{ type: 'file', path: '/big', mtimeMs: 0, chunk: 0, offset: 2, length: 10 }], chunks },
      { entries: [{ type: 'file', path: '/neg', mtimeMs: 0, chunk: 0, offset: -1, length: 1 }], chunks },
      { entries: [{ type: 'file', path: '/nochunk', mtimeMs: 0, chunk: 3, offset: 0, length: 1 }], chunks },
      { entries: [{ type: 'file', path: '/orphan/child', mtimeMs: 0, chunk: 0, offset: 0, length: 1 }], chunks },
      { entries: [{ type: 'link', path: '/l', of: '/missing' }], chunks },
      { entries: [{ type: 'fifo', path: '/f' } as never], chunks },
    ];
    for (const image of bad) expect(() => restoreImage(new Volume(), image), JSON.stringify(image.entries)).toThrow(/zone image is malformed/);
  });
});
