import { describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/node/index.js';
import { guest } from '../helpers/guests.js';

/** wasm-tools/lib/sjlj: the setjmp/longjmp runtime lua, jq and python are built with. */
describe('the setjmp/longjmp runtime', () => {
  it('passes its self-test: nested jumps, jumps through 50 frames, many sites, longjmp(env, 0)', async () => {
    const result = await createSandbox({}).exec({ program: guest('sjlj-test.wasm') }).result;
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('many sites sum 18 (want 18)');
    expect(result.stdout).toContain('loop count 3 (want 3)');
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('sjlj ok');
    expect(result.exitCode).toBe(0);
  });
});
