import { describe, expect, it } from 'vitest';
import { createSandbox } from '../../../src/node/index.js';
import { guest } from '../../helpers/guests.js';

/*
 * netprobe calls wasi:sockets and wasi:http directly (not through wasi-libc),
 * so every way a component could reach the network is tried; without network
 * grants each must fail with access-denied (HTTP-request-denied for
 * wasi:http) and be recorded. With grants, see sockets.security.test.ts and
 * http.security.test.ts.
 */

describe('a component trying the network', () => {
  it('is denied every socket, lookup and request, and each attempt is recorded', async () => {
    const sandbox = createSandbox({ zones: [{ name: 'scratch', mode: 'tmpfs' }] });
    const result = await sandbox.exec({
      program: guest('netprobe.component.wasm'),
      args: ['api.example.com', '/v1/items?token=hunter2'],
    }).result;
    expect(result).toMatchObject({ status: 'exited', exitCode: 0 });
    expect(result.stdout.split('\n').filter(Boolean)).toEqual([
      'instance-network: ok',
      'tcp-create: access-denied',
      'tcp-create-ipv6: access-denied',
      'udp-create: access-denied',
      'ip-name-lookup: access-denied',
      'http-fields: ok',
      'http-request: ok',
      'http-body: ok',
      'http-handle: HTTP-request-denied',
    ]);
    const detail = 'the policy grants no network (network.allow is empty)';
    expect(result.denials).toEqual([
      { operation: 'tcp-create', target: 'ipv4', reason: 'network-denied', error: 'access-denied', detail },
      { operation: 'tcp-create', target: 'ipv6', reason: 'network-denied', error: 'access-denied', detail },
      { operation: 'udp-create', target: 'ipv4', reason: 'network-denied', error: 'access-denied', detail },
      { operation: 'ip-name-lookup', target: 'api.example.com', reason: 'network-denied', error: 'access-denied', detail },
      { operation: 'http-request', target: 'https://api.example.com/v1/items', reason: 'network-denied', error: 'access-denied', detail },
    ]);
  });

  it('reports each denial as a run event too', async () => {
    const run = createSandbox({}).exec({ program: guest('netprobe.component.wasm') });
    const denied: string[] = [];
    for await (const event of run.events) if (event.type === 'denied') denied.push(event.denial.operation);
    expect(denied).toEqual(['tcp-create', 'tcp-create', 'udp-create', 'ip-name-lookup', 'http-request']);
    expect((await run.result).exitCode).toBe(0);
  });
});
