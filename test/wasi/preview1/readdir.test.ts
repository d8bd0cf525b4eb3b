import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox } from '../../../src/node/index.js';
import { removeTree, tempDir } from '../../helpers/guests.js';
import { body, exportEntry, funcType, I32, I64, moduleBytes, section, Section, sleb, str, uleb, vec } from '../../limits/wasm-builder.js';

/**
 * fd_readdir pages through a directory by cookie. A guest may ask for one
 * entry per call; a host that rebuilt the whole listing on each call would
 * make that quadratic, and a directory of many entries a way to hold the
 * host's thread for minutes.
 */

/**
 * A module that lists fd 3 (the zone) one entry per fd_readdir call (a
 * 64-byte buffer, resuming at its first entry's d_next), and exits with
 * the number of calls that returned an entry.
 */
function oneEntryPerCall(): Uint8Array {
  const readdirType = funcType([I32, I32, I32, I64, I32], [I32]);
  const exitType = funcType([I32], []);
  const startType = funcType([], []);
  const imports = vec([
    [...str('wasi_snapshot_preview1'), ...str('fd_readdir'), 0x00, ...uleb(0)],
    [...str('wasi_snapshot_preview1'), ...str('proc_exit'), 0x00, ...uleb(1)],
  ]);
  // locals: 0 = cookie (i64), 1 = calls (i32)
  const code = [
    0x02,
    0x40, // block
    0x03,
    0x40, //   loop
    0x41,
    3,
    0x41,
    0,
    0x41,
    ...sleb(64),
    0x20,
    0,
    0x41,
    ...sleb(1024),
    0x10,
    0, // fd_readdir(3, 0, 64, cookie, 1024)
    0x0d,
    1, //     br_if 1 (an errno)
    0x41,
    ...sleb(1024),
    0x28,
    2,
    0,
    0x45,
    0x0d,
    1, // br_if 1 (nothing returned: the end)
    0x41,
    0,
    0x29,
    3,
    0,
    0x21,
    0, // cookie = d_next of the first entry
    0x20,
    1,
    0x41,
    1,
    0x6a,
    0x21,
    1, // calls++
    0x0c,
    0, // br 0
    0x0b, // end loop
    0x0b, // end block
    0x20,
    1,
    0x10,
    1, // proc_exit(calls)
  ];
  return moduleBytes(
    section(Section.type, vec([readdirType, exitType, startType])),
    section(Section.import, imports),
    section(Section.function, vec([uleb(2)])),
    section(Section.memory, vec([[0x00, 0x01]])),
    section(Section.export, vec([exportEntry('memory', 2, 0), exportEntry('_start', 0, 2)])),
    section(
      Section.code,
      vec([
        body(code, [
          [1, I64],
          [1, I32],
        ]),
      ]),
    ),
  );
}

const entries = 30_000;
let dir: string;

beforeAll(() => {
  dir = tempDir('goodbot-readdir-');
  for (let i = 0; i < entries; i++) closeSync(openSync(join(dir, `f${i}`), 'w'));
});
afterAll(() => removeTree(dir));

describe('fd_readdir', () => {
  it('attack: paging through a 30 000-entry directory one entry per call takes each call only its entry (no quadratic cost)', async () => {
    const sandbox = createSandbox({ zones: [{ name: 'big', mode: 'ro', hostPath: dir }], limits: { timeout: '10s' } });
    const result = await sandbox.exec({ program: oneEntryPerCall() }).result;
    // Each entry once, '.' and '..' included; the host re-listing the
    // directory per call took minutes here, and was stopped at the deadline.
    expect(result).toMatchObject({ status: 'exited', exitCode: entries + 2 });
    expect(result.durationMs).toBeLessThan(5000);
  });
});
