import { describe, expect, it } from 'vitest';
import { createSandbox } from '../../../src/node/index.js';
import { guest } from '../../helpers/guests.js';

describe('preview1 sockets', () => {
  it('attack: a core module calling sock_* under a policy with network grants (core modules get no sockets)', async () => {
    const sandbox = createSandbox({ network: { allow: ['127.0.0.1:*', 'api.example.com:443'] } });
    const result = await sandbox.exec({ program: guest('wasi-checks.wasm'), args: ['sock_shutdown_not_sock'] }).result;
    expect(result.stdout).toContain('PASS sock_shutdown_not_sock');
    expect(result.exitCode).toBe(0);
  });
});
