import type { Connection } from '../common/network-client.js';
import type { SocketAddress } from '../common/network-protocol.js';
import { connectionInput, connectionOutput } from './connection-streams.js';
import { destination, fail, IpSocket, positive, type Network } from './ip-socket.js';
import { socketErrorCode } from './network-errors.js';
import { Pollable } from './poll.js';
import { dispose } from './resource.js';
import { fromIpSocketAddress, toIpSocketAddress, type IpSocketAddress } from './socket-address.js';
import type { InputStream, OutputStream } from './streams.js';

type TcpState = 'unbound' | 'binding' | 'bound' | 'connecting' | 'connected' | 'closed';

/**
 * `wasi:sockets/tcp` `tcp-socket`: a client socket. Connecting passes the
 * policy first, with the address actually used; the broker then connects to
 * exactly that address. Binding takes only port 0 (the host chooses the
 * local address and port when it connects); a fixed port, and listening,
 * are refused by the policy.
 */
export class TcpSocket extends IpSocket {
  private state: TcpState = 'unbound';
  private local: SocketAddress | undefined;
  private connection: Connection | undefined;
  private keepAlive = false;
  private keepAliveIdleNs = 7_200_000_000_000n;
  private keepAliveIntervalNs = 75_000_000_000n;
  private keepAliveProbes = 9;

  startBind(_network: Network, localAddress: IpSocketAddress): void {
    if (this.state !== 'unbound') fail('invalid-state');
    const local = fromIpSocketAddress(localAddress);
    if (local.family !== this.family) fail('invalid-argument');
    if (local.port !== 0 && !this.gate.mayListen('tcp', local.address, local.port)) fail('access-denied');
    this.local = { address: local.address, port: local.port };
    this.state = 'binding';
  }

  finishBind(): void {
    if (this.state !== 'binding') fail('not-in-progress');
    this.state = 'bound';
  }

  startConnect(_network: Network, remoteAddress: IpSocketAddress): void {
    if (this.state === 'binding' || this.state === 'connecting') fail('concurrency-conflict');
    if (this.state !== 'unbound' && this.state !== 'bound') fail('invalid-state');
    const remote = destination(this.gate, 'tcp-connect', remoteAddress, this.family);
    if (!this.gate.mayConnect('tcp', remote.address, remote.port)) fail('access-denied');
    if (!this.gate.mayOpenChannel('tcp-connect', `${remote.address}:${remote.port}`)) fail('new-socket-limit');
    this.connection = this.gate.host.connect(remote, { enabled: this.keepAlive, idleMs: Number(this.keepAliveIdleNs / 1_000_000n) });
    this.state = 'connecting';
  }

  finishConnect(): [InputStream, OutputStream] {
    if (this.state !== 'connecting') fail('not-in-progress');
    const connection = this.connection!;
    this.gate.host.pump();
    if (connection.failure !== undefined) {
      this.state = 'closed';
      connection.close();
      fail(socketErrorCode(connection.failure));
    }
    if (connection.opened === undefined) fail('would-block');
    this.state = 'connected';
    return [connectionInput(connection, this.gate.host), connectionOutput(connection, this.gate.host)];
  }

  startListen(): void {
    if (this.state !== 'bound') fail('invalid-state');
    if (!this.gate.mayListen('tcp', this.local!.address, this.local!.port)) fail('access-denied');
    fail('not-supported');
  }

  finishListen(): void {
    fail('not-in-progress');
  }

  accept(): never {
    fail('invalid-state');
  }

  localAddress(): IpSocketAddress {
    if (this.state === 'connected') return toIpSocketAddress(this.connection!.opened!.local);
    if (this.state === 'bound' && this.local !== undefined) return toIpSocketAddress(this.local);
    fail('invalid-state');
  }

  remoteAddress(): IpSocketAddress {
    const remote = this.state === 'connected' ? this.connection!.opened!.remote : undefined;
    if (remote === undefined) fail('invalid-state');
    return toIpSocketAddress(remote);
  }

  isListening(): boolean {
    return false;
  }

  setListenBacklogSize(value: bigint): void {
    positive(value);
  }

  keepAliveEnabled(): boolean {
    return this.keepAlive;
  }

  setKeepAliveEnabled(value: boolean): void {
    this.keepAlive = value;
  }

  keepAliveIdleTime(): bigint {
    return this.keepAliveIdleNs;
  }

  setKeepAliveIdleTime(value: bigint): void {
    this.keepAliveIdleNs = positive(value);
  }

  keepAliveInterval(): bigint {
    return this.keepAliveIntervalNs;
  }

  setKeepAliveInterval(value: bigint): void {
    this.keepAliveIntervalNs = positive(value);
  }

  keepAliveCount(): number {
    return this.keepAliveProbes;
  }

  setKeepAliveCount(value: number): void {
    this.keepAliveProbes = positive(value);
  }

  hopLimit(): number {
    return this.hops;
  }

  setHopLimit(value: number): void {
    this.hops = positive(value);
  }

  subscribe(): Pollable {
    const connection = this.connection;
    if (this.state !== 'connecting' || connection === undefined) return Pollable.ready();
    const client = this.gate.host;
    return Pollable.when(() => {
      client.pump();
      return connection.opened !== undefined || connection.failure !== undefined;
    }, client);
  }

  shutdown(how: 'receive' | 'send' | 'both'): void {
    if (this.state !== 'connected') fail('invalid-state');
    if (how !== 'send') this.connection!.stopReceiving();
    if (how !== 'receive') this.connection!.finish();
  }

  [dispose](): void {
    this.connection?.close();
    this.state = 'closed';
  }
}
