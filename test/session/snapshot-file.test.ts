import { describe, expect, it } from 'vitest';
import { decodeSnapshot, encodeSnapshot } from '../../src/session/snapshot-file.js';
import type { SessionState } from '../../src/session/session-state.js';

const state: SessionState = {
  cwd: '/scratch',
  shell: '{"version":1}',
  zones: {
    scratch: {
      entries: [
        { type: 'dir', path: '/d', mtimeMs: 1 },
        { type: 'file', path: '/d/a', mtimeMs: 5, chunk: 0, offset: 0, length: 3 },
        { type: 'file', path: '/b', mtimeMs: 6, chunk: 0, offset: 3, length: 2 },
      ],
      chunks: [Uint8Array.from([1, 2, 3, 4, 5])],
    },
    other: { entries: [], chunks: [] },
  },
};

describe('session snapshot files', () => {
  it('hold the policy digest, the shell state and every zone, and give them back', () => {
    const bytes = encodeSnapshot(state, 'sha256:abc');
    const decoded = decodeSnapshot(bytes);
    expect(decoded.policyDigest).toBe('sha256:abc');
    expect(decoded.state.zones['scratch']!.entries).toEqual(state.zones['scratch']!.entries);
    expect([...decoded.state.zones['scratch']!.chunks[0]!]).toEqual([1, 2, 3, 4, 5]);
    expect(decoded.state.zones['other']!.entries).toEqual([]);
    expect({ ...decoded.state, zones: {} }).toEqual({ ...state, zones: {} });
  });

  it('hold only the bytes files use, whatever chunks an image refers to', () => {
    const sparse: SessionState = {
      cwd: '/',
      zones: {
        scratch: {
          entries: [{ type: 'file', path: '/kept', mtimeMs: 1, chunk: 1, offset: 2, length: 2 }],
          chunks: [new Uint8Array(1000), Uint8Array.from([9, 9, 7, 8, 9])],
        },
      },
    };
    const decoded = decodeSnapshot(encodeSnapshot(sparse, 'sha256:x')).state.zones['scratch']!;
    expect(decoded.entries).toEqual([{ type: 'file', path: '/kept', mtimeMs: 1, chunk: 0, offset: 0, length: 2 }]);
    expect([...decoded.chunks[0]!]).toEqual([7, 8]);
  });

  it('use bytes in shared memory as they are, and copy others into shared memory', () => {
    const plain = encodeSnapshot(state, 'sha256:abc');
    const shared = new Uint8Array(new SharedArrayBuffer(plain.length));
    shared.set(plain);
    expect(decodeSnapshot(shared).state.zones['scratch']!.chunks[0]!.buffer).toBe(shared.buffer);
    const copied = decodeSnapshot(plain).state.zones['scratch']!.chunks[0]!;
    expect(copied.buffer).not.toBe(plain.buffer);
    expect(copied.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('refuse a file that is not one, is cut short, or has bytes past its end', () => {
    const bytes = encodeSnapshot(state, 'sha256:abc');
    const cases = [
      new TextEncoder().encode('hello'),
      bytes.slice(0, bytes.length - 1),
      bytes.slice(0, 40),
      Uint8Array.from([...bytes, 0]),
      new TextEncoder().encode('goodbot-session-snapshot/1\nx\n{}'),
      new TextEncoder().encode('goodbot-session-snapshot/1\n2\n{}'),
    ];
    for (const bad of cases) expect(() => decodeSnapshot(bad)).toThrow(/not a goodbot session snapshot/);
  });
});
