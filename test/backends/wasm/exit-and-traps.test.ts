import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, GoodbotError } from '../../../src/node/index.js';
import { probe, removeTree, tempDir } from '../../helpers/guests.js';

/** Exit codes survive exactly; a trap ends the run, never the host. */
let root: string;
beforeAll(() => {
  root = tempDir();
});
afterAll(() => removeTree(root));

const sandbox = createSandbox({});
const run = (args: string[]) => sandbox.exec({ program: probe(), args }).result;

describe('exit codes', () => {
  for (const code of [0, 1, 3, 42, 125, 255]) {
    it(`exit(${code}) gives exit code ${code}`, async () => {
      const result = await run(['exit', String(code)]);
      expect(result).toMatchObject({ status: 'exited', exitCode: code });
    });
  }

  it('returning from main gives its value', async () => {
    const result = await run(['no-such-command']);
    expect(result).toMatchObject({ status: 'exited', exitCode: 2 });
    expect(result.stderr).toContain('usage: probe');
  });
});

describe('traps', () => {
  for (const [kind, expected] of [
    ['unreachable', 'unreachable'],
    ['oob', 'out-of-bounds'],
    ['stack', 'stack-overflow'],
    ['div0', 'divide-by-zero'],
  ] as const) {
    it(`a guest that traps with ${expected} ends with a structured trap and the host goes on`, async () => {
      const result = await run(['write', '/dev/null', 'x', ';', 'trap', kind]);
      expect(result.status).toBe('trapped');
      expect(result.exitCode).toBe(134);
      expect(result.trap?.kind).toBe(expected);
      const after = await run(['exit', '0']);
      expect(after.status).toBe('exited');
    });
  }

  it('output written before a trap is kept', async () => {
    const result = await run(['env', ';', 'read', '/nothing', ';', 'trap', 'unreachable']);
    expect(result.stdout).toContain('read: E');
  });
});

describe('programs that are not valid', () => {
  const expectInvalid = async (bytes: Uint8Array, message: RegExp) => {
    const path = join(root, `bad-${Math.random()}.wasm`);
    writeFileSync(path, bytes);
    const error = await sandbox.exec({ program: path }).result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GoodbotError);
    expect((error as GoodbotError).kind).toBe('invalid-program');
    expect((error as GoodbotError).message).toMatch(message);
  };

  it('random bytes are refused as not WebAssembly', () => expectInvalid(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), /not a WebAssembly binary/));
  it('a truncated module is refused', () =>
    expectInvalid(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1]), /not a valid WebAssembly module/));
  it('a module that is not a WASI command is refused', () => expectInvalid(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), /no _start/));
  it('an unknown WebAssembly version is refused', () =>
    expectInvalid(new Uint8Array([0, 0x61, 0x73, 0x6d, 9, 0, 0, 0]), /unknown WebAssembly version/));

  it('a missing program is not-found', async () => {
    const error = await sandbox.exec({ program: join(root, 'missing.wasm') }).result.catch((e: unknown) => e);
    expect((error as GoodbotError).kind).toBe('not-found');
  });
});

describe('programs given as bytes', () => {
  it('runs a module passed as bytes, and again from the same bytes', async () => {
    const bytes = new Uint8Array(readFileSync(probe()));
    const first = await sandbox.exec({ program: bytes, args: ['exit', '7'] }).result;
    const second = await sandbox.exec({ program: bytes, args: ['exit', '8'] }).result;
    expect([first.exitCode, second.exitCode]).toEqual([7, 8]);
    expect(first.program).toEqual({ name: 'program.wasm', kind: 'module' });
  });
});
