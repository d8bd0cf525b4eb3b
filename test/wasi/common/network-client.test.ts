import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { RunLimiter } from '../../../src/limits/run-limiter.js';
import { LimitInterrupt } from '../../../src/limits/limit-interrupt.js';
import { NetworkClient } from '../../../src/wasi/common/network-client.js';
import { FakeBroker } from '../../helpers/fake-broker.js';

function interruptOf(body: () => unknown): LimitInterrupt {
  try {
    body();
  } catch (error) {
    if (error instanceof LimitInterrupt) return error;
    throw error;
  }
  throw new Error('expected a LimitInterrupt');
}

describe('waiting for the network', () => {
  it('attack: a guest waiting on a server that never answers, to outlive its deadline', () => {
    const transport = new FakeBroker();
    const limiter = new RunLimiter({ timeoutMs: 80 });
    const client = new NetworkClient(() => transport, limiter);
    const connection = client.connect({ address: '192.0.2.1', port: 80 }, { enabled: false, idleMs: 1 });
    const started = performance.now();
    const interrupt = interruptOf(() => client.waitFor(() => connection.opened !== undefined));
    expect(interrupt.limit.limit).toBe('timeout');
    expect(interrupt.limit.message).toMatch(/while waiting for the network/);
    expect(limiter.tripped).toBe(interrupt.limit);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('attack: a cancelled run staying blocked on a socket (cancellation is checked between slices)', async () => {
    // As in a pool worker: another thread sets a shared cell while this one waits.
    const cell = new Int32Array(new SharedArrayBuffer(4));
    const canceller = new Worker('const { workerData } = require("node:worker_threads"); setTimeout(() => Atomics.store(workerData, 0, 1), 100);', {
      eval: true,
      workerData: cell,
    });
    const client = new NetworkClient(() => new FakeBroker(), new RunLimiter({}, performance.now(), () => Atomics.load(cell, 0) === 1));
    const lookup = client.lookup('example.com');
    const started = performance.now();
    expect(interruptOf(() => client.waitFor(() => lookup.settled)).limit.limit).toBe('cancelled');
    expect(performance.now() - started).toBeLessThan(2000);
    await canceller.terminate();
  });

  it('returns when an event arrives, and wait(ms) gives up after ms', () => {
    const transport = new FakeBroker();
    const client = new NetworkClient(() => transport);
    const lookup = client.lookup('example.com');
    expect(client.wait(10)).toBe(false);
    transport.events.push({ type: 'resolved', id: lookup.id, addresses: ['192.0.2.7'] });
    client.waitFor(() => lookup.settled);
    expect(lookup.addresses).toEqual(['192.0.2.7']);
  });

  it('opens no broker until the first request, and closes it with the run', () => {
    let opened = 0;
    const transport = new FakeBroker();
    const client = new NetworkClient(() => (opened++, transport));
    expect(client.wait(1)).toBe(false);
    expect(opened).toBe(0);
    client.lookup('example.com');
    client.lookup('example.org');
    expect(opened).toBe(1);
    client.close();
    expect(transport.closed).toBe(true);
  });
});

describe('connections', () => {
  it('buffers what arrives, hands it out as the guest takes it, and acknowledges it (flow control)', () => {
    const transport = new FakeBroker();
    const client = new NetworkClient(() => transport);
    const connection = client.connect({ address: '192.0.2.1', port: 80 }, { enabled: false, idleMs: 1 });
    expect(connection.readable).toBe(false);
    transport.events.push({ type: 'data', id: connection.id, data: new Uint8Array([1, 2, 3]) }, { type: 'ended', id: connection.id });
    expect(connection.readable).toBe(true);
    expect([...connection.take(2)]).toEqual([1, 2]);
    expect([...connection.take(10)]).toEqual([3]);
    expect(connection.take(10).length).toBe(0);
    expect(connection.ended).toBe(true);
    expect(transport.posted.filter((request) => request.op === 'consumed')).toEqual([
      { op: 'consumed', id: connection.id, bytes: 2 },
      { op: 'consumed', id: connection.id, bytes: 1 },
    ]);
  });

  it('counts bytes handed over until the broker wrote them', () => {
    const transport = new FakeBroker();
    const client = new NetworkClient(() => transport);
    const connection = client.connect({ address: '192.0.2.1', port: 80 }, { enabled: false, idleMs: 1 });
    connection.send(new Uint8Array(5));
    expect(connection.unsent).toBe(5);
    transport.events.push({ type: 'written', id: connection.id, bytes: 5 });
    client.pump();
    expect(connection.unsent).toBe(0);
  });
});

describe('UDP sockets', () => {
  it("attack: a stranger sending datagrams to a guest's bound port (only replies from destinations it sent to are kept)", () => {
    const transport = new FakeBroker();
    const client = new NetworkClient(() => transport);
    const socket = client.bindUdp('ipv4', { address: '0.0.0.0', port: 0 });
    socket.send({ address: '192.0.2.53', port: 53 }, new Uint8Array([1]));
    const data = new Uint8Array([9]);
    transport.events.push(
      { type: 'datagram', id: socket.id, from: { address: '198.51.100.1', port: 53 }, data },
      { type: 'datagram', id: socket.id, from: { address: '192.0.2.53', port: 5353 }, data },
      { type: 'datagram', id: socket.id, from: { address: '::ffff:192.0.2.53', port: 53 }, data },
    );
    expect(socket.receive(10).map((datagram) => datagram.from)).toEqual([{ address: '::ffff:192.0.2.53', port: 53 }]);
  });
});
