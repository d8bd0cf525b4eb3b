import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSecretFile } from '../../../src/node/platform/secret-file.js';
import { maxSecretBytes } from '../../../src/policy/secrets.js';
import { removeTree, tempDir } from '../../helpers/guests.js';
import { thrownGoodbotError } from '../../helpers/thrown.js';

/** A `file:` secret source, read by goodbot: its text, or an error that never quotes it. */
let dir: string;
beforeAll(() => {
  dir = tempDir('goodbot-secret-file-');
});
afterAll(() => removeTree(dir));

describe('a secret file', () => {
  it('gives its text without one final line break; a missing file gives nothing', () => {
    writeFileSync(join(dir, 'unix'), 'abc\n');
    writeFileSync(join(dir, 'dos'), 'abc\r\n');
    writeFileSync(join(dir, 'two'), 'abc\n\n');
    expect(readSecretFile(join(dir, 'unix'))).toBe('abc');
    expect(readSecretFile(join(dir, 'dos'))).toBe('abc');
    expect(readSecretFile(join(dir, 'two'))).toBe('abc\n');
    expect(readSecretFile(join(dir, 'missing'))).toBeUndefined();
  });

  it('attack: a FIFO, a device or a folder fails at once instead of hanging; a huge file is refused unread', () => {
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    mkdirSync(join(dir, 'folder'));
    for (const path of [join(dir, 'fifo'), '/dev/zero', join(dir, 'folder')]) {
      expect(thrownGoodbotError(() => readSecretFile(path))).toMatchObject({
        kind: 'policy',
        message: `the secret file ${path} is not a regular file`,
      });
    }
    writeFileSync(join(dir, 'huge'), 'x'.repeat(maxSecretBytes + 3));
    expect(thrownGoodbotError(() => readSecretFile(join(dir, 'huge'))).message).toBe(
      `the secret file ${join(dir, 'huge')} is longer than ${maxSecretBytes} bytes`,
    );
  });
});
