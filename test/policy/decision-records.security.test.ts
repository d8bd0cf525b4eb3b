import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudited } from '../helpers/audited-run.js';
import { makeTree, probe, removeTree, tempDir } from '../helpers/guests.js';

/**
 * A guest refused in a loop (a million opens of a path outside its zone)
 * made the host keep a record, an event and an audit line for each: memory
 * and disk without bound. The first 1,000 refusals are recorded one by one,
 * the rest only counted.
 */
let root: string;
beforeAll(() => {
  root = tempDir();
  makeTree(root, { 'in/a.txt': 'a' });
});
afterAll(() => removeTree(root));

describe('decision records', () => {
  it('a guest refused 50,000 times leaves 1,000 records and a count, not 50,000 records', async () => {
    const { result, audit } = await runAudited(
      { zones: [{ name: 'in', mode: 'ro', hostPath: join(root, 'in') }] },
      { program: probe(), args: ['openloop', '/in/../escape', '50000'] },
    );
    expect(result.stdout).toBe('openloop: ok=0 err=50000 secret=0\n');
    expect(result.denials).toHaveLength(1000);
    expect(result.denialsOmitted).toBe(49_000);
    expect(audit.filter((e) => e.event === 'access.denied')).toHaveLength(1000);
    expect(audit.at(-1)).toMatchObject({ event: 'run.exit', denials: 50_000 });
  });
});
