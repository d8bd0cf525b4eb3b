import type { NetworkGate } from '../common/network-gate.js';
import type { SocketAddress } from '../common/network-protocol.js';
import { addressTarget, canonicalText } from '../../policy/network-access.js';
import type { SocketErrorCode } from './network-errors.js';
import { dispose } from './resource.js';
import { fromIpSocketAddress, isUnicastDestination, type Family, type IpSocketAddress } from './socket-address.js';

/** Fails a sockets call: the glue returns a thrown error-code string to the guest as `err`. */
export function fail(code: SocketErrorCode): never {
  throw code;
}

/** `wasi:sockets/network` `network`: the run's network; what it may reach is the policy's grant. */
export class Network {
  [dispose](): void {}
}

/** Fails a `set-…` of a size, count or time that must be positive. */
export function positive<T extends number | bigint>(value: T): T {
  if (value <= 0) fail('invalid-argument');
  return value;
}

/**
 * What TCP and UDP sockets share: a family, and options a guest may set and
 * read back (kept per socket; the host's defaults; not applied to the host
 * socket, whose buffers and hop limit the host chooses).
 */
export abstract class IpSocket {
  protected hops = 64;
  private receiveBuffer = 65536n;
  private sendBuffer = 65536n;

  constructor(
    protected readonly gate: NetworkGate,
    readonly family: Family,
  ) {}

  addressFamily(): Family {
    return this.family;
  }

  receiveBufferSize(): bigint {
    return this.receiveBuffer;
  }

  setReceiveBufferSize(value: bigint): void {
    this.receiveBuffer = positive(value);
  }

  sendBufferSize(): bigint {
    return this.sendBuffer;
  }

  setSendBufferSize(value: bigint): void {
    this.sendBuffer = positive(value);
  }
}

/** A destination given by the guest, if it is one: of the socket's family, a unicast address, a port. */
export function checkedDestination(address: IpSocketAddress, family: Family): SocketAddress | 'invalid-argument' {
  const remote = fromIpSocketAddress(address);
  if (remote.family !== family || remote.port === 0 || !isUnicastDestination(remote.address)) return 'invalid-argument';
  return { address: remote.address, port: remote.port };
}

/**
 * A destination given by the guest for OPERATION (`tcp-connect`,
 * `udp-send`); one that is none (the unspecified address, which reaches the
 * host, multicast, broadcast, port 0, another family) fails the call with
 * `invalid-argument`, recorded as a refusal.
 */
export function destination(gate: NetworkGate, operation: string, address: IpSocketAddress, family: Family): SocketAddress {
  const checked = checkedDestination(address, family);
  if (typeof checked !== 'string') return checked;
  refuseDestination(gate, operation, address);
  return fail(checked);
}

const noDestination = "no destination: the unspecified, a multicast or a broadcast address, port 0, or another family than the socket's";

/** Records that the guest gave ADDRESS for OPERATION and got `invalid-argument` (by default because it is no destination). */
export function refuseDestination(gate: NetworkGate, operation: string, address: IpSocketAddress, detail = noDestination): void {
  const { address: text, port } = fromIpSocketAddress(address);
  gate.deny(operation, addressTarget(text, port), detail, 'invalid-argument');
}

/** Whether A and B are one peer (an IPv4-mapped address is its IPv4 address). */
export function samePeer(a: SocketAddress, b: SocketAddress): boolean {
  return a.port === b.port && canonicalText(a.address) === canonicalText(b.address);
}
