import { describe, expect, it } from 'vitest';
import { bothFaces, i64 } from '../both-faces.js';

/* Preview1 arguments no preview2 call takes: iovec arrays and readdir cookies. */

describe('preview1 iovec arrays', () => {
  it('refuses buffers adding up past wasm32 SSIZE_MAX with EINVAL instead of wrapping the u32 count', () => {
    const { preview1 } = bothFaces();
    const fd = preview1.open('a.txt');
    const buffers = preview1.repeatedIovecs((1 << 15) + 1, 1 << 16);
    expect(preview1.call('fd_write', 1, buffers, (1 << 15) + 1, preview1.out())).toBe('INVAL');
    expect(preview1.call('fd_read', fd, buffers, (1 << 15) + 1, preview1.out())).toBe('INVAL');
    expect(preview1.call('fd_pread', fd, buffers, (1 << 15) + 1, 0n, preview1.out())).toBe('INVAL');
  });
});

describe('preview1 readdir cookies', () => {
  it('reads a cookie as the u64 it is: one past the end (2^64 - 1) returns nothing, not the listing again', () => {
    const { preview1 } = bothFaces();
    const buf = preview1.out(256);
    const out = preview1.out(4);
    expect(preview1.call('fd_readdir', 3, buf, 256, i64((1n << 64n) - 1n), out)).toBe('SUCCESS');
    expect(preview1.u32(out)).toBe(0);
    expect(preview1.call('fd_readdir', 3, buf, 256, 0n, out)).toBe('SUCCESS');
    expect(preview1.u32(out)).toBeGreaterThan(0);
  });
});
