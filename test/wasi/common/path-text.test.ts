import { describe, expect, it } from 'vitest';
import { thrown } from '../../helpers/thrown.js';
import { bothFaces, preview2Code } from '../both-faces.js';

/* Path strings reach the zone's one resolver from both faces, which refuses what no host call should take. */

describe('a path with a NUL byte', () => {
  it('is refused with EINVAL on both faces, for opening, creating and linking alike', () => {
    const { preview1, root } = bothFaces();
    const [path, len] = preview1.bytes('a.txt\0.sh');
    expect(preview1.call('path_open', 3, 0, path, len, 0, 2n, 2n, 0, preview1.out())).toBe('INVAL');
    expect(preview1.call('path_create_directory', 3, path, len)).toBe('INVAL');
    const [target, targetLen] = preview1.bytes('x\0y');
    expect(preview1.call('path_symlink', target, targetLen, 3, ...preview1.bytes('s'))).toBe('INVAL');
    expect(thrown(() => root.openAt({}, 'a.txt\0.sh', {}, { read: true }))).toBe(preview2Code('INVAL'));
    expect(thrown(() => root.createDirectoryAt('a.txt\0.sh'))).toBe(preview2Code('INVAL'));
    expect(thrown(() => root.symlinkAt('x\0y', 's'))).toBe(preview2Code('INVAL'));
  });
});
