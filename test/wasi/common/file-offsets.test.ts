import { describe, expect, it } from 'vitest';
import { maxFileOffset } from '../../../src/wasi/common/file-offsets.js';
import { thrown } from '../../helpers/thrown.js';
import { bothFaces, i64, preview2Code } from '../both-faces.js';

/*
 * The offsets and sizes both faces take, checked by one rule each: the same
 * bits give the same errno on either face, and no value is rounded.
 */

const max = BigInt(maxFileOffset);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytes = (s: string) => new TextEncoder().encode(s);

describe('where a read starts (fileOffset)', () => {
  it('refuses an offset past 2^53 - 1 with EINVAL on both faces instead of reading at a rounded one', () => {
    const { preview1, root } = bothFaces();
    const fd = preview1.open('a.txt');
    const file = root.openAt({}, 'a.txt', {}, { read: true });
    for (const offset of [max + 1n, max + 2n, 1n << 62n]) {
      expect(preview1.call('fd_pread', fd, preview1.iovecs(4), 1, i64(offset), preview1.out())).toBe('INVAL');
      expect(thrown(() => file.read(4n, offset))).toBe(preview2Code('INVAL'));
      expect(thrown(() => file.readViaStream(offset))).toBe(preview2Code('INVAL'));
    }
  });

  it('reads a u64 offset from 2^63 on as a negative off_t: EINVAL on both faces, whichever sign the face receives', () => {
    const { preview1, root } = bothFaces();
    const fd = preview1.open('a.txt');
    const file = root.openAt({}, 'a.txt', {}, { read: true });
    for (const offset of [1n << 63n, (1n << 64n) - 1n]) {
      expect(preview1.call('fd_pread', fd, preview1.iovecs(4), 1, i64(offset), preview1.out())).toBe('INVAL');
      expect(thrown(() => file.read(4n, offset))).toBe(preview2Code('INVAL'));
    }
  });

  it('reads at the largest offset on both faces: the end of the file, not an error', () => {
    const { preview1, root } = bothFaces();
    const fd = preview1.open('a.txt');
    const out = preview1.out();
    expect(preview1.call('fd_pread', fd, preview1.iovecs(4), 1, i64(max), out)).toBe('SUCCESS');
    expect(preview1.u32(out)).toBe(0);
    const [read, end] = root.openAt({}, 'a.txt', {}, { read: true }).read(4n, max);
    expect([read.length, end]).toEqual([0, true]);
  });
});

describe('where a write starts (writeOffset)', () => {
  it('refuses a write reaching past 2^53 - 1 with EFBIG on both faces, and writes nothing', () => {
    const { preview1, root, volume } = bothFaces();
    const fd = preview1.open('a.txt');
    const file = root.openAt({}, 'a.txt', {}, { read: true, write: true });
    for (const [offset, data] of [
      [max + 1n, 'x'],
      [max - 1n, 'xyz'],
      [1n << 62n, 'x'],
    ] as const) {
      expect(preview1.call('fd_pwrite', fd, preview1.iovecs(bytes(data)), 1, i64(offset), preview1.out())).toBe('FBIG');
      expect(thrown(() => file.write(bytes(data), offset))).toBe(preview2Code('FBIG'));
    }
    expect(thrown(() => file.writeViaStream(max + 1n))).toBe(preview2Code('FBIG'));
    expect(volume.statAt(volume.root, 'a.txt', false).size).toBe(6n);
  });

  it('refuses a write at the current position past 2^53 - 1 with EFBIG on both faces (fd_write, a write stream)', () => {
    const { preview1, root, volume } = bothFaces();
    const fd = preview1.open('a.txt');
    expect(preview1.call('fd_seek', fd, i64(max - 1n), 0, preview1.out())).toBe('SUCCESS');
    expect(preview1.call('fd_write', fd, preview1.iovecs(bytes('xyz')), 1, preview1.out())).toBe('FBIG');
    const stream = root.openAt({}, 'a.txt', {}, { write: true }).writeViaStream(max - 1n);
    const failure = thrown(() => stream.blockingWriteAndFlush(bytes('xyz'))) as { tag: string; val: { failure: { errno: string } } };
    expect(failure.tag).toBe('last-operation-failed');
    expect(failure.val.failure.errno).toBe('FBIG');
    expect(volume.statAt(volume.root, 'a.txt', false).size).toBe(6n);
  });

  it('reads a u64 write offset from 2^63 on as a negative off_t: EINVAL on both faces', () => {
    const { preview1, root } = bothFaces();
    const fd = preview1.open('a.txt');
    const file = root.openAt({}, 'a.txt', {}, { write: true });
    for (const offset of [1n << 63n, (1n << 64n) - 1n]) {
      expect(preview1.call('fd_pwrite', fd, preview1.iovecs(bytes('x')), 1, i64(offset), preview1.out())).toBe('INVAL');
      expect(thrown(() => file.write(bytes('x'), offset))).toBe(preview2Code('INVAL'));
      expect(thrown(() => file.writeViaStream(offset))).toBe(preview2Code('INVAL'));
    }
  });

  it('writes at ordinary offsets on both faces as before', () => {
    const { preview1, root } = bothFaces();
    const fd = preview1.open('a.txt');
    expect(preview1.call('fd_pwrite', fd, preview1.iovecs(bytes('XY')), 1, i64(1n), preview1.out())).toBe('SUCCESS');
    const file = root.openAt({}, 'a.txt', {}, { read: true, write: true });
    expect(file.write(bytes('Z'), 4n)).toBe(1n);
    expect(text(file.read(10n, 0n)[0])).toBe('aXYdZf');
  });
});

describe('a new file size (fileSize)', () => {
  it('refuses a size past 2^53 - 1 with EFBIG and one from 2^63 on with EINVAL, on both faces, leaving the size', () => {
    const { preview1, root, volume } = bothFaces();
    const fd = preview1.open('a.txt');
    const file = root.openAt({}, 'a.txt', {}, { read: true, write: true });
    for (const [size, errno] of [
      [max + 1n, 'FBIG'],
      [1n << 62n, 'FBIG'],
      [1n << 63n, 'INVAL'],
      [(1n << 64n) - 1n, 'INVAL'],
    ] as const) {
      expect(preview1.call('fd_filestat_set_size', fd, i64(size))).toBe(errno);
      expect(thrown(() => file.setSize(size))).toBe(preview2Code(errno));
    }
    expect(volume.statAt(volume.root, 'a.txt', false).size).toBe(6n);
    expect(preview1.call('fd_filestat_set_size', fd, 3n)).toBe('SUCCESS');
    file.setSize(2n);
    expect(volume.statAt(volume.root, 'a.txt', false).size).toBe(2n);
  });
});

describe('where a seek lands (seekTarget)', () => {
  it('lets preview1 seek to 2^53 - 1 and no further (EINVAL), the bound preview2 reads from', () => {
    const { preview1, root } = bothFaces();
    const fd = preview1.open('a.txt');
    const out = preview1.out();
    expect(preview1.call('fd_seek', fd, i64(max), 0, out)).toBe('SUCCESS');
    expect(preview1.u64(out)).toBe(max);
    expect(preview1.call('fd_seek', fd, 1n, 1, out)).toBe('INVAL');
    expect(preview1.call('fd_seek', fd, i64(1n << 63n), 0, out)).toBe('INVAL');
    expect(preview1.call('fd_seek', fd, -7n, 2, out)).toBe('INVAL');
    expect(preview1.call('fd_tell', fd, out)).toBe('SUCCESS');
    expect(preview1.u64(out)).toBe(max);
    const file = root.openAt({}, 'a.txt', {}, { read: true });
    expect(file.read(1n, max)[1]).toBe(true);
    expect(thrown(() => file.read(1n, max + 1n))).toBe(preview2Code('INVAL'));
  });
});

describe('the range of an advice (checkAdviceLength)', () => {
  it('refuses a negative length with EINVAL on both faces, and takes any offset', () => {
    const { preview1, root } = bothFaces();
    const fd = preview1.open('a.txt');
    const file = root.openAt({}, 'a.txt', {}, { read: true });
    expect(preview1.call('fd_advise', fd, 0n, i64((1n << 64n) - 1n), 0)).toBe('INVAL');
    expect(thrown(() => file.advise(0n, (1n << 64n) - 1n, 'normal'))).toBe(preview2Code('INVAL'));
    expect(preview1.call('fd_advise', fd, i64(1n << 63n), 10n, 0)).toBe('SUCCESS');
    expect(file.advise(1n << 63n, 10n, 'normal')).toBeUndefined();
  });
});
