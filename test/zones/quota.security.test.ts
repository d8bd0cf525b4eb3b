import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lines, makeTree, removeTree, runProbe, tempDir } from '../helpers/guests.js';

/**
 * Findings: with a 16 MiB tmpfs quota a guest held 120 unlinked 15 MiB files
 * open (host memory reached about 1.9 GB), and 1,000 symlinks with 1 MB
 * targets took 1.1 GB of a 16 MiB zone. A quota bounds what a zone costs its
 * host: contents until the last handle closes, and every entry (name,
 * folder, link target, inode).
 */
let root: string;

beforeEach(() => {
  root = tempDir();
  makeTree(root, { out: null });
});

afterEach(() => removeTree(root));

const zones = () => [
  { name: 'scratch', mode: 'tmpfs' as const, quota: '1MiB' },
  { name: 'out', mode: 'rw' as const, hostPath: join(root, 'out'), quota: '1MiB' },
];

describe('a quota cannot be refunded by unlinking what is still open', () => {
  for (const zone of ['scratch', 'out']) {
    it(`a guest holding an unlinked file open cannot write another one into the ${zone} zone`, async () => {
      const result = await runProbe(
        { zones: zones() },
        ['fill', `/${zone}/a`, '900000'],
        ['hold', `/${zone}/a`],
        ['unlink', `/${zone}/a`],
        ['fill', `/${zone}/b`, '900000'],
      );
      expect(lines(result)).toEqual(['fill: ok 900000', expect.stringMatching(/^hold: ok \d+$/), 'unlink: ok', 'fill: ENOSPC after 131072']);
      expect(result.denials.at(-1)).toMatchObject({ reason: 'quota-exceeded', zone });
    });

    it(`a guest holding a file that another is renamed over cannot write past the ${zone} zone's quota`, async () => {
      const result = await runProbe(
        { zones: zones() },
        ['fill', `/${zone}/a`, '900000'],
        ['hold', `/${zone}/a`],
        ['write', `/${zone}/b`, 'small'],
        ['rename', `/${zone}/b`, `/${zone}/a`],
        ['fill', `/${zone}/c`, '900000'],
      );
      expect(lines(result).slice(2)).toEqual(['write: ok', 'rename: ok', 'fill: ENOSPC after 131072']);
    });
  }

  it('space held by an unlinked open file is returned when the run closes it, so the next run may use it', async () => {
    const config = { zones: [zones()[1]!] };
    await runProbe(config, ['fill', '/out/a', '900000'], ['hold', '/out/a'], ['unlink', '/out/a']);
    const next = await runProbe(config, ['fill', '/out/b', '900000']);
    expect(lines(next)).toEqual(['fill: ok 900000']);
  });
});

describe('a quota counts every entry, not only contents', () => {
  for (const zone of ['scratch', 'out']) {
    it(`symlinks with long targets cannot fill the host past the ${zone} zone's quota`, async () => {
      const target = 'x'.repeat(4000);
      const result = await runProbe({ zones: zones() }, ['makemany', 'symlink', `/${zone}/l`, '1000', target]);
      const [line] = lines(result);
      const made = Number(/^makemany: (\d+) ENOSPC$/.exec(line!)?.[1]);
      expect(made).toBeGreaterThan(100);
      expect(made * 4000).toBeLessThanOrEqual(1024 * 1024);
    });

    it(`empty folders and files cannot fill the host past the ${zone} zone's quota`, async () => {
      const result = await runProbe({ zones: zones() }, ['makemany', 'dir', `/${zone}/d`, '5000'], ['makemany', 'file', `/${zone}/f`, '5000']);
      expect(lines(result)).toEqual([expect.stringMatching(/^makemany: \d+ ENOSPC$/), expect.stringMatching(/^makemany: \d+ ENOSPC$/)]);
      if (zone === 'out') expect(readdirSync(join(root, 'out')).length).toBeLessThan(5000);
    });
  }

  it('a symlink target longer than PATH_MAX is refused', async () => {
    const result = await runProbe({ zones: zones() }, ['symlink', 'x'.repeat(5000), '/scratch/long']);
    expect(lines(result)).toEqual(['symlink: ENAMETOOLONG']);
  });
});
