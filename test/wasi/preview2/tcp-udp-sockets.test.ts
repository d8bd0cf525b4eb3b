import { describe, expect, it } from 'vitest';
import { Authority } from '../../../src/policy/authority.js';
import { parseNetworkAllow } from '../../../src/policy/network-grant.js';
import type { WasiContext } from '../../../src/wasi/common/context.js';
import { NetworkGate } from '../../../src/wasi/common/network-gate.js';
import type { Network } from '../../../src/wasi/preview2/ip-socket.js';
import type { IpSocketAddress } from '../../../src/wasi/preview2/socket-address.js';
import { socketInterfaces } from '../../../src/wasi/preview2/sockets.js';
import type { InputStream, OutputStream } from '../../../src/wasi/preview2/streams.js';
import type { TcpSocket } from '../../../src/wasi/preview2/tcp-socket.js';
import type { OutgoingDatagramStream, UdpSocket } from '../../../src/wasi/preview2/udp-socket.js';
import { FakeBroker } from '../../helpers/fake-broker.js';
import { thrown } from '../../helpers/thrown.js';

/*
 * The wasi:sockets face called as jco's glue calls it, over a fake broker:
 * state machines, argument checks and policy checks, without a network.
 */

function setup(allow: string[]) {
  const authority = new Authority();
  const broker = new FakeBroker();
  const grant = {
    allow: parseNetworkAllow(allow, () => {
      throw new Error('bad entry');
    }),
  };
  const network = new NetworkGate(grant, authority, () => broker);
  const interfaces = socketInterfaces({ authority, network } as unknown as WasiContext);
  const call = <T>(iface: string, name: string, ...args: unknown[]): T => (interfaces[iface]![name] as (...a: unknown[]) => T)(...args);
  return { authority, broker, call, net: call<Network>('wasi:sockets/instance-network', 'instanceNetwork') };
}

const v4 = (address: [number, number, number, number], port: number): IpSocketAddress => ({ tag: 'ipv4', val: { port, address } });

describe('wasi:sockets/tcp', () => {
  it('attack: binding a fixed port, or listening (refused and recorded; port 0 is fine)', () => {
    const { call, net, authority } = setup(['127.0.0.1:*']);
    const socket = call<TcpSocket>('wasi:sockets/tcp-create-socket', 'createTcpSocket', 'ipv4');
    expect(thrown(() => socket.startBind(net, v4([0, 0, 0, 0], 8080)))).toBe('access-denied');
    socket.startBind(net, v4([0, 0, 0, 0], 0));
    socket.finishBind();
    expect(thrown(() => socket.startListen())).toBe('access-denied');
    expect(authority.denials.map((denial) => `${denial.operation} ${denial.target}`)).toEqual(['tcp-listen 0.0.0.0:8080', 'tcp-listen 0.0.0.0:0']);
  });

  it('refuses what is no destination (port 0, the unspecified address, the other family) before asking the policy, and records each refusal', () => {
    const { call, net, authority } = setup(['127.0.0.1:*']);
    const socket = call<TcpSocket>('wasi:sockets/tcp-create-socket', 'createTcpSocket', 'ipv4');
    expect(thrown(() => socket.startConnect(net, v4([127, 0, 0, 1], 0)))).toBe('invalid-argument');
    expect(thrown(() => socket.startConnect(net, v4([0, 0, 0, 0], 80)))).toBe('invalid-argument');
    expect(
      thrown(() => socket.startConnect(net, { tag: 'ipv6', val: { port: 80, flowInfo: 0, address: [0, 0, 0, 0, 0, 0, 0, 1], scopeId: 0 } })),
    ).toBe('invalid-argument');
    const refused = (target: string) =>
      expect.objectContaining({ operation: 'tcp-connect', target, reason: 'network-denied', error: 'invalid-argument' });
    expect(authority.denials).toEqual([refused('127.0.0.1:0'), refused('0.0.0.0:80'), refused('[::1]:80')]);
  });

  it('connects through the broker: would-block until it reports the connection, then streams both ways', () => {
    const { call, net, broker } = setup(['127.0.0.1:8080']);
    const socket = call<TcpSocket>('wasi:sockets/tcp-create-socket', 'createTcpSocket', 'ipv4');
    socket.startConnect(net, v4([127, 0, 0, 1], 8080));
    expect(broker.posted[0]).toMatchObject({ op: 'connect', to: { address: '127.0.0.1', port: 8080 } });
    const id = broker.posted[0]!.id;
    expect(thrown(() => socket.finishConnect())).toBe('would-block');
    expect(socket.subscribe().ready()).toBe(false);
    broker.events.push({ type: 'opened', id, local: { address: '127.0.0.1', port: 40000 }, remote: { address: '127.0.0.1', port: 8080 } });
    expect(socket.subscribe().ready()).toBe(true);
    const [input, output] = socket.finishConnect() as [InputStream, OutputStream];
    expect(socket.remoteAddress()).toEqual(v4([127, 0, 0, 1], 8080));
    expect(input.read(10n)).toEqual(new Uint8Array(0));
    broker.events.push({ type: 'data', id, data: new TextEncoder().encode('hi') });
    expect(new TextDecoder().decode(input.read(10n))).toBe('hi');
    output.write(new TextEncoder().encode('yo'));
    expect(broker.posted.at(-1)).toMatchObject({ op: 'write', id });
    broker.events.push({ type: 'failed', id, failure: { kind: 'connection-reset', message: 'ECONNRESET' } });
    expect(thrown(() => input.read(10n))).toMatchObject({ tag: 'last-operation-failed' });
    expect(thrown(() => socket.finishConnect())).toBe('not-in-progress');
  });

  it('reports a refused connection as connection-refused', () => {
    const { call, net, broker } = setup(['127.0.0.1:8080']);
    const socket = call<TcpSocket>('wasi:sockets/tcp-create-socket', 'createTcpSocket', 'ipv4');
    socket.startConnect(net, v4([127, 0, 0, 1], 8080));
    broker.events.push({ type: 'failed', id: broker.posted[0]!.id, failure: { kind: 'connection-refused', message: 'ECONNREFUSED' } });
    expect(thrown(() => socket.finishConnect())).toBe('connection-refused');
  });
});

describe('wasi:sockets/udp', () => {
  it('attack: a batch of datagrams whose second destination is not granted (each destination is checked)', () => {
    const { call, broker, authority } = setup(['192.0.2.1:53']);
    const socket = call<UdpSocket>('wasi:sockets/udp-create-socket', 'createUdpSocket', 'ipv4');
    const [, outgoing] = socket.stream(undefined) as [unknown, OutgoingDatagramStream];
    broker.events.push({ type: 'opened', id: broker.posted[0]!.id, local: { address: '0.0.0.0', port: 50000 } });
    const data = new Uint8Array([1]);
    const sent = outgoing.send([
      { data, remoteAddress: v4([192, 0, 2, 1], 53) },
      { data, remoteAddress: v4([192, 0, 2, 2], 53) },
    ]);
    expect(sent).toBe(1n);
    expect(thrown(() => outgoing.send([{ data, remoteAddress: v4([192, 0, 2, 2], 53) }]))).toBe('access-denied');
    expect(broker.posted.filter((request) => request.op === 'udp-send')).toHaveLength(1);
    expect(authority.denials.map((denial) => denial.target)).toEqual(['192.0.2.2:53', '192.0.2.2:53']);
  });

  it('refuses a datagram larger than UDP carries', () => {
    const { call, broker } = setup(['192.0.2.1:53']);
    const socket = call<UdpSocket>('wasi:sockets/udp-create-socket', 'createUdpSocket', 'ipv4');
    const [, outgoing] = socket.stream(undefined) as [unknown, OutgoingDatagramStream];
    broker.events.push({ type: 'opened', id: broker.posted[0]!.id, local: { address: '0.0.0.0', port: 50000 } });
    expect(thrown(() => outgoing.send([{ data: new Uint8Array(70000), remoteAddress: v4([192, 0, 2, 1], 53) }]))).toBe('datagram-too-large');
  });
});
