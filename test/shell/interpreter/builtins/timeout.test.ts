import { describe, expect, it } from 'vitest';
import { createSandbox, type SandboxConfig } from '../../../../src/node/index.js';

const sh = (line: string, extra: Partial<SandboxConfig> = {}) => createSandbox({ ...extra }).exec({ program: 'sh', args: ['-c', line] }).result;

describe('timeout: a command that ends at its own deadline, and the line goes on', () => {
  it('stops a program (busy, blocked on a pipe, or asleep) with status 124, and runs one that ends in time', async () => {
    const result = await sh(
      'timeout 0.5 yes > /dev/null; echo "busy: $?"; yes | timeout 0.5 sort; echo "piped: $?"; timeout 0.5 sleep 30; echo "asleep: $?"; timeout 10 echo "in time: $?"',
      { limits: { timeout: '20s' } },
    );
    expect(result).toMatchObject({ status: 'exited', exitCode: 0, stdout: 'busy: 124\npiped: 124\nasleep: 124\nin time: 0\n' });
  });

  it("stops a command's children with it, and shell code too", async () => {
    const result = await sh(
      'echo x | timeout 0.5 xargs sh -c \'yes > /dev/null\'; echo "xargs: $?"; timeout 0.5 sh -c \'while :; do :; done\'; echo "loop: $?"',
    );
    expect(result.stdout).toBe('xargs: 124\nloop: 124\n');
  });

  it("never outlasts the run's own deadline: the run's limit ends the run", async () => {
    const result = await sh('timeout 30 yes > /dev/null; echo after', { limits: { timeout: '1s' } });
    expect(result).toMatchObject({ status: 'timeout', exitCode: 124, stdout: '' });
  });

  it('says why it cannot stop a program in a deterministic run (125), rather than let it run on', async () => {
    const result = await sh('timeout 1 yes > /dev/null; echo "status: $?"', { deterministic: true, limits: { timeout: '20s' } });
    expect(result.stdout).toBe('status: 125\n');
    expect(result.stderr).toContain('timeout: yes: cannot be stopped on its own in this run');
  });
});
