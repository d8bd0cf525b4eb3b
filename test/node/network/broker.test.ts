import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Broker } from '../../../src/node/network/broker.js';
import type { BrokerEvent } from '../../../src/wasi/common/network-protocol.js';

/** The broker on this thread (no worker): its I/O is asynchronous, the test awaits its events. */
function brokerWithEvents() {
  const events: BrokerEvent[] = [];
  return { broker: new Broker((event) => events.push(event)), events };
}

let server: Server | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

async function listen(onConnection: (socket: Socket) => void): Promise<number> {
  server = createServer({ allowHalfOpen: true }, onConnection);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

describe('the network broker', () => {
  it('attack: a request naming a host rather than an address (the broker never resolves what the policy did not check)', () => {
    const { broker, events } = brokerWithEvents();
    broker.handle({ op: 'connect', id: 1, to: { address: 'localhost', port: 80 }, keepAlive: false, keepAliveIdleMs: 1000 });
    broker.handle({ op: 'udp-send', id: 2, to: { address: 'example.com', port: 53 }, data: new Uint8Array(1) });
    broker.handle({ op: 'http', id: 3, head: { tls: false, address: 'example.com', port: 80, method: 'GET', path: '/', headers: [] } });
    expect(events).toEqual([
      { type: 'failed', id: 1, failure: { kind: 'unknown', message: "'localhost' is not an IP address" } },
      { type: 'failed', id: 3, failure: { kind: 'unknown', message: "'example.com' is not an IP address" } },
    ]);
  });

  it('connects to exactly the address given, relays both ways, and reports the end', async () => {
    const port = await listen((socket) => {
      socket.on('data', (chunk: Buffer) => socket.end(`got ${chunk.toString()}`));
    });
    const { broker, events } = brokerWithEvents();
    broker.handle({ op: 'connect', id: 7, to: { address: '127.0.0.1', port }, keepAlive: false, keepAliveIdleMs: 1000 });
    await vi.waitFor(() => expect(events.some((event) => event.type === 'opened')).toBe(true));
    expect(events[0]).toMatchObject({ type: 'opened', id: 7, remote: { address: '127.0.0.1', port } });
    broker.handle({ op: 'write', id: 7, data: new TextEncoder().encode('ping') });
    await vi.waitFor(() => expect(events.some((event) => event.type === 'ended')).toBe(true));
    const data = events.flatMap((event) => (event.type === 'data' ? [new TextDecoder().decode(event.data)] : []));
    expect(data.join('')).toBe('got ping');
    expect(events.find((event) => event.type === 'written')).toEqual({ type: 'written', id: 7, bytes: 4 });
    broker.closeAll();
  });

  it('closes every socket it holds when the run ends', async () => {
    let closed = false;
    const port = await listen((socket) => {
      socket.resume();
      socket.on('end', () => (closed = true));
      socket.on('error', () => (closed = true));
    });
    const { broker, events } = brokerWithEvents();
    broker.handle({ op: 'connect', id: 1, to: { address: '127.0.0.1', port }, keepAlive: false, keepAliveIdleMs: 1000 });
    await vi.waitFor(() => expect(events.some((event) => event.type === 'opened')).toBe(true));
    broker.closeAll();
    await vi.waitFor(() => expect(closed).toBe(true));
  });

  it('resolves a name to all its addresses, and reports an unknown one as unresolvable', async () => {
    const { broker, events } = brokerWithEvents();
    broker.handle({ op: 'lookup', id: 1, name: 'localhost' });
    broker.handle({ op: 'lookup', id: 2, name: 'no-such-host.invalid' });
    await vi.waitFor(() => expect(events).toHaveLength(2));
    expect(events.find((event) => event.id === 1)).toMatchObject({ type: 'resolved', addresses: expect.arrayContaining(['127.0.0.1']) });
    expect(events.find((event) => event.id === 2)).toMatchObject({ type: 'failed', failure: { kind: 'name-unresolvable' } });
  });
});
