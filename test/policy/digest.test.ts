import { describe, expect, it } from 'vitest';
import { compileSandboxConfig } from '../../src/policy/compile.js';
import { policyDigest } from '../../src/policy/digest.js';
import type { Policy } from '../../src/policy/types.js';

const source = { file: 'policy.yaml', baseDir: '/work/project' };

function withPin(pin: string, reveal: string[] = []): Policy {
  return compileSandboxConfig({ env: { set: { PIN: pin, MODE: 'fast' } }, audit: { revealEnv: ['MODE', ...reveal] } }, source);
}

function withFile(content: string): Policy {
  return compileSandboxConfig({ zones: [{ name: 'keys', mode: 'tmpfs', files: { 'pin.txt': content } }] }, source);
}

/** Every value of four digits, as an attacker holding the audit log would try them. */
const fourDigits = Array.from({ length: 10_000 }, (_, n) => String(n).padStart(4, '0'));

/** The candidates whose digest equals DIGEST: one means the digest gives the secret away. */
async function candidatesMatching(digest: string, policyWith: (value: string) => Policy): Promise<string[]> {
  const matches: string[] = [];
  for (const value of fourDigits) if ((await policyDigest(policyWith(value))) === digest) matches.push(value);
  return matches;
}

describe('the policy digest in the audit log', () => {
  it('gives two policies differing only in a redacted env value the same digest', async () => {
    expect(await policyDigest(withPin('4831'))).toBe(await policyDigest(withPin('0000')));
  });

  it('does not let a redacted 4-digit env value be recovered by trying every value', async () => {
    const digest = await policyDigest(withPin('4831'));
    const policy = withPin('4831');
    const matches = await candidatesMatching(digest, (pin) => ({ ...policy, env: { ...policy.env, set: { ...policy.env.set, PIN: pin } } }));
    expect(matches).toHaveLength(fourDigits.length);
  });

  it('does not let the contents of a memory zone file be recovered by trying every value', async () => {
    const digest = await policyDigest(withFile('4831'));
    expect(await policyDigest(withFile('0000'))).toBe(digest);
    const policy = withFile('4831');
    const zone = policy.zones[0]!;
    const matches = await candidatesMatching(digest, (pin) => ({ ...policy, zones: [{ ...zone, files: { 'pin.txt': pin } }] }));
    expect(matches).toHaveLength(fourDigits.length);
  });

  it('still tells apart what the audit log shows: revealed values, names, file paths and sizes', async () => {
    const base = await policyDigest(withPin('4831'));
    expect(await policyDigest(withPin('4831', ['PIN']))).not.toBe(base);
    expect(await policyDigest(withPin('4831', ['PIN']))).not.toBe(await policyDigest(withPin('0000', ['PIN'])));
    const mode = compileSandboxConfig({ env: { set: { PIN: '4831', MODE: 'slow' } }, audit: { revealEnv: ['MODE'] } }, source);
    expect(await policyDigest(mode)).not.toBe(base);
    const other = compileSandboxConfig({ env: { set: { CODE: '4831', MODE: 'fast' } }, audit: { revealEnv: ['MODE'] } }, source);
    expect(await policyDigest(other)).not.toBe(base);
    expect(await policyDigest(withFile('48310'))).not.toBe(await policyDigest(withFile('4831')));
  });
});
