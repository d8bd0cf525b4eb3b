import type { DatagramSocket, NetworkClient } from '../common/network-client.js';
import type { SocketAddress } from '../common/network-protocol.js';
import { canonicalText } from '../../policy/network-access.js';
import { checkedDestination, destination, fail, IpSocket, positive, refuseDestination, samePeer, type Network } from './ip-socket.js';
import { socketErrorCode, type SocketErrorCode } from './network-errors.js';
import { Pollable } from './poll.js';
import { dispose } from './resource.js';
import { fromIpSocketAddress, toIpSocketAddress, unspecified, type Family, type IpSocketAddress } from './socket-address.js';

/** The largest UDP payload of each family. */
const maxDatagram: Record<Family, number> = { ipv4: 65507, ipv6: 65527 };

/** Datagrams `check-send` permits per call. */
const sendPermit = 64n;

/**
 * `wasi:sockets/udp` `udp-socket`. It is bound when the guest binds it (port
 * 0 only: a fixed port is refused by the policy) or, implicitly, to an
 * ephemeral port when it opens its streams. Each destination passes the
 * policy before its first datagram; only replies from destinations it sent
 * to are received.
 */
export class UdpSocket extends IpSocket {
  private socket: DatagramSocket | undefined;
  private bindTo: SocketAddress | undefined;
  /** Set by `stream(some)`: datagrams go only there, and come only from there. */
  remote: SocketAddress | undefined;
  /** Destinations the policy granted, canonical, so each is checked and recorded once per socket. */
  private readonly granted = new Set<string>();

  startBind(_network: Network, localAddress: IpSocketAddress): void {
    if (this.socket !== undefined || this.bindTo !== undefined) fail('invalid-state');
    const local = fromIpSocketAddress(localAddress);
    if (local.family !== this.family) fail('invalid-argument');
    if (local.port !== 0 && !this.gate.mayListen('udp', local.address, local.port)) fail('access-denied');
    this.bindTo = { address: local.address, port: 0 };
  }

  finishBind(): void {
    if (this.bindTo === undefined || this.socket !== undefined) fail('not-in-progress');
    if (!this.gate.mayOpenChannel('udp-bind', this.family)) fail('new-socket-limit');
    this.socket = this.gate.host.bindUdp(this.family, this.bindTo);
  }

  stream(remoteAddress: IpSocketAddress | undefined): [IncomingDatagramStream, OutgoingDatagramStream] {
    if (this.bindTo !== undefined && this.socket === undefined) fail('concurrency-conflict');
    const remote = remoteAddress === undefined ? undefined : destination(this.gate, 'udp-send', remoteAddress, this.family);
    if (remote !== undefined && !this.mayReach(remote)) fail('access-denied');
    if (this.socket === undefined && !this.gate.mayOpenChannel('udp-bind', this.family)) fail('new-socket-limit');
    this.socket ??= this.gate.host.bindUdp(this.family, { address: unspecified(this.family), port: 0 });
    this.remote = remote;
    return [new IncomingDatagramStream(this), new OutgoingDatagramStream(this)];
  }

  /** The bound socket, once the host bound it; fails with why it could not be. */
  bound(): DatagramSocket {
    const socket = this.socket;
    if (socket === undefined) fail('invalid-state');
    this.gate.host.waitFor(() => socket.bound);
    if (socket.failure !== undefined) fail(socketErrorCode(socket.failure));
    return socket;
  }

  /** May the guest send to TO? Asked once per destination and socket. */
  mayReach(to: SocketAddress): boolean {
    const key = `${canonicalText(to.address)} ${to.port}`;
    if (this.granted.has(key)) return true;
    if (!this.gate.mayConnect('udp', to.address, to.port)) return false;
    this.granted.add(key);
    return true;
  }

  get client(): NetworkClient {
    return this.gate.host;
  }

  /** Records that a datagram was to go to ADDRESS, which it may not (DETAIL: why, if not because it is no destination). */
  refuseDestination(address: IpSocketAddress, detail?: string): void {
    refuseDestination(this.gate, 'udp-send', address, detail);
  }

  localAddress(): IpSocketAddress {
    return toIpSocketAddress(this.bound().local!);
  }

  remoteAddress(): IpSocketAddress {
    if (this.remote === undefined) fail('invalid-state');
    return toIpSocketAddress(this.remote);
  }

  unicastHopLimit(): number {
    return this.hops;
  }

  setUnicastHopLimit(value: number): void {
    this.hops = positive(value);
  }

  subscribe(): Pollable {
    const socket = this.socket;
    return socket === undefined ? Pollable.ready() : Pollable.when(() => socket.bound, this.gate.host);
  }

  [dispose](): void {
    this.socket?.close();
  }
}

/** `wasi:sockets/udp` `incoming-datagram` as the glue takes it. */
interface IncomingDatagram {
  data: Uint8Array;
  remoteAddress: IpSocketAddress;
}

/** `wasi:sockets/udp` `outgoing-datagram` as the glue gives it. */
interface OutgoingDatagram {
  data: Uint8Array;
  remoteAddress?: IpSocketAddress | undefined;
}

/** `wasi:sockets/udp` `incoming-datagram-stream`: replies received, without waiting. */
export class IncomingDatagramStream {
  constructor(private readonly udp: UdpSocket) {}

  receive(maxResults: bigint): IncomingDatagram[] {
    const socket = this.udp.bound();
    const max = maxResults < 1024n ? Number(maxResults) : 1024;
    const remote = this.udp.remote;
    return socket
      .receive(max)
      .filter((datagram) => remote === undefined || samePeer(datagram.from, remote))
      .map((datagram) => ({ data: datagram.data, remoteAddress: toIpSocketAddress(datagram.from) }));
  }

  subscribe(): Pollable {
    const socket = this.udp.bound();
    return Pollable.when(() => socket.pending > 0 || socket.failure !== undefined, this.udp.client);
  }

  [dispose](): void {}
}

/** `wasi:sockets/udp` `outgoing-datagram-stream`: each datagram's destination passes the policy. */
export class OutgoingDatagramStream {
  constructor(private readonly udp: UdpSocket) {}

  checkSend(): bigint {
    this.udp.bound();
    return sendPermit;
  }

  send(datagrams: OutgoingDatagram[]): bigint {
    const socket = this.udp.bound();
    let sent = 0;
    for (const datagram of datagrams) {
      const to = this.target(datagram);
      // Once a datagram went out, the call reports how many did rather than the error.
      if (typeof to === 'string') return sent > 0 ? BigInt(sent) : fail(to);
      socket.send(to, datagram.data);
      sent++;
    }
    return BigInt(sent);
  }

  subscribe(): Pollable {
    return Pollable.ready();
  }

  [dispose](): void {}

  /** Where DATAGRAM goes, or why it cannot be sent. */
  private target(datagram: OutgoingDatagram): SocketAddress | SocketErrorCode {
    const connected = this.udp.remote;
    const given = datagram.remoteAddress === undefined ? undefined : checkedDestination(datagram.remoteAddress, this.udp.family);
    if (typeof given === 'string') {
      this.udp.refuseDestination(datagram.remoteAddress!);
      return given;
    }
    const to = given ?? connected;
    if (to === undefined) return 'invalid-argument';
    if (connected !== undefined && !samePeer(to, connected)) {
      this.udp.refuseDestination(datagram.remoteAddress!, 'the socket is connected to another address');
      return 'invalid-argument';
    }
    if (datagram.data.length > maxDatagram[this.udp.family]) return 'datagram-too-large';
    return this.udp.mayReach(to) ? to : 'access-denied';
  }
}
