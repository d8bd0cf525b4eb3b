import { describe, expect, it } from 'vitest';
import { timeChangeOf } from '../../../src/wasi/common/time-changes.js';
import { ErrnoError } from '../../../src/errno.js';
import { thrown } from '../../helpers/thrown.js';
import { bothFaces, i64, preview2Code } from '../both-faces.js';

/* The times both faces set on files, checked by one rule. */

const MTIM = 4;
const ATIM_NOW = 2;
const ATIM = 1;
const second = 1_000_000_000n;
/** A time memfs keeps exactly (it stores milliseconds). */
const when = 1_700_000_000_123_000_000n;

const mtimOf = (faces: ReturnType<typeof bothFaces>) => faces.volume.statAt(faces.volume.root, 'a.txt', false).mtimNs;

describe('a change to a file time (timeChangeOf)', () => {
  it('sets a given time on both faces alike, by descriptor and by path', () => {
    const faces = bothFaces();
    const { preview1, root } = faces;
    const fd = preview1.open('a.txt');
    expect(preview1.call('fd_filestat_set_times', fd, 0n, i64(when), MTIM)).toBe('SUCCESS');
    expect(mtimOf(faces)).toBe(when);
    const later = { tag: 'timestamp', val: { seconds: when / second + 1n, nanoseconds: Number(when % second) } } as const;
    root.setTimesAt({}, 'a.txt', { tag: 'no-change' }, later);
    expect(mtimOf(faces)).toBe(when + second);
    const [ptr, len] = preview1.bytes('a.txt');
    expect(preview1.call('path_filestat_set_times', 3, 0, ptr, len, 0n, i64(when), MTIM)).toBe('SUCCESS');
    expect(mtimOf(faces)).toBe(when);
  });

  it('refuses a time from 2^63 ns on with EOVERFLOW on both faces, never taking it for "leave" or "now"', () => {
    const faces = bothFaces();
    const { preview1, root } = faces;
    const fd = preview1.open('a.txt');
    const file = root.openAt({}, 'a.txt', {}, { read: true, write: true });
    preview1.call('fd_filestat_set_times', fd, 0n, i64(when), MTIM);
    const [ptr, len] = preview1.bytes('a.txt');
    // u64 2^64 - 1 and 2^64 - 2 arrive as -1n and -2n, which the fs-times addon reads as "leave" and "now".
    for (const ns of [1n << 63n, (1n << 64n) - 1n, (1n << 64n) - 2n]) {
      expect(preview1.call('fd_filestat_set_times', fd, 0n, i64(ns), MTIM)).toBe('OVERFLOW');
      expect(preview1.call('path_filestat_set_times', 3, 0, ptr, len, 0n, i64(ns), MTIM)).toBe('OVERFLOW');
    }
    for (const seconds of [(1n << 63n) / second + 1n, (1n << 64n) - 1n]) {
      const far = { tag: 'timestamp', val: { seconds, nanoseconds: 0 } } as const;
      expect(thrown(() => file.setTimes({ tag: 'no-change' }, far))).toBe(preview2Code('OVERFLOW'));
      expect(thrown(() => root.setTimesAt({}, 'a.txt', { tag: 'no-change' }, far))).toBe(preview2Code('OVERFLOW'));
    }
    expect(mtimOf(faces)).toBe(when);
  });

  it('refuses a time both given and now with EINVAL (preview1 flags can say both; preview2 variants cannot)', () => {
    const { preview1 } = bothFaces();
    const fd = preview1.open('a.txt');
    expect(preview1.call('fd_filestat_set_times', fd, i64(when), 0n, ATIM | ATIM_NOW)).toBe('INVAL');
    const failure = thrown(() => timeChangeOf({ given: when, now: true }));
    expect(failure).toBeInstanceOf(ErrnoError);
    expect((failure as ErrnoError).errno).toBe('INVAL');
    expect(timeChangeOf({ now: true })).toBe('now');
    expect(timeChangeOf({})).toBeUndefined();
  });
});
