import { describe, expect, it } from 'vitest';
import { thrown } from '../../helpers/thrown.js';
import { bothFaces, preview2Code } from '../both-faces.js';

/* A hard link names the entry itself: one rule for both faces. */

const SYMLINK_FOLLOW = 1;

describe('the source of a hard link (linkSourceFollows)', () => {
  it('refuses a hard link through a symlink with EINVAL on both faces, and makes none', () => {
    const { preview1, root, volume } = bothFaces();
    root.symlinkAt('a.txt', 'link');
    const [from, fromLen] = preview1.bytes('link');
    const [to, toLen] = preview1.bytes('hard1');
    expect(preview1.call('path_link', 3, SYMLINK_FOLLOW, from, fromLen, 3, to, toLen)).toBe('INVAL');
    expect(thrown(() => root.linkAt({ symlinkFollow: true }, 'link', root, 'hard2'))).toBe(preview2Code('INVAL'));
    expect(
      volume
        .readDir(volume.root)
        .map((entry) => entry.name)
        .sort(),
    ).toEqual(['a.txt', 'link']);
  });

  it('links the symlink itself, not its target, on both faces when not asked to follow', () => {
    const { preview1, root } = bothFaces();
    root.symlinkAt('a.txt', 'link');
    const [from, fromLen] = preview1.bytes('link');
    const [to, toLen] = preview1.bytes('hard1');
    expect(preview1.call('path_link', 3, 0, from, fromLen, 3, to, toLen)).toBe('SUCCESS');
    root.linkAt({}, 'link', root, 'hard2');
    expect(root.statAt({}, 'hard1').type).toBe('symbolic-link');
    expect(root.statAt({}, 'hard2').type).toBe('symbolic-link');
    expect(root.statAt({}, 'link').linkCount).toBe(3n);
  });
});
