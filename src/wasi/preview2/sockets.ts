import type { WasiContext } from '../core/context.js';
import { dispose, type Interfaces } from './resource.js';

/** `wasi:sockets/network` `network`: the capability to use the network, which grants nothing here. */
export class Network {
  [dispose](): void {}
}

/**
 * `wasi:sockets/tcp` `tcp-socket`. This and the other socket resources below
 * exist for the glue's type checks and drops; no instance is ever made, as
 * creating a socket or starting a lookup is refused first.
 */
export class TcpSocket {
  private constructor() {}
}

/** `wasi:sockets/udp` `udp-socket`. */
export class UdpSocket {
  private constructor() {}
}

/** `wasi:sockets/udp` `incoming-datagram-stream`. */
export class IncomingDatagramStream {
  private constructor() {}
}

/** `wasi:sockets/udp` `outgoing-datagram-stream`. */
export class OutgoingDatagramStream {
  private constructor() {}
}

/** `wasi:sockets/ip-name-lookup` `resolve-address-stream`. */
export class ResolveAddressStream {
  private constructor() {}
}

/**
 * `wasi:sockets`, denying everything: this version grants no network (an
 * empty network grant is the only policy it accepts). Each attempt is
 * recorded with the authority and fails with `access-denied`, as wasmtime
 * fails socket creation a context does not allow.
 */
export function socketInterfaces(ctx: WasiContext): Interfaces {
  const deny = (operation: string, target: string): never => {
    ctx.authority.record({ operation, target, reason: 'network-denied', error: 'access-denied' });
    throw 'access-denied';
  };
  return {
    'wasi:sockets/network': { Network, networkErrorCode: () => undefined },
    'wasi:sockets/instance-network': { instanceNetwork: () => new Network() },
    'wasi:sockets/tcp': { TcpSocket },
    'wasi:sockets/tcp-create-socket': {
      createTcpSocket: (family: 'ipv4' | 'ipv6') => deny('tcp-create', family),
    },
    'wasi:sockets/udp': { UdpSocket, IncomingDatagramStream, OutgoingDatagramStream },
    'wasi:sockets/udp-create-socket': {
      createUdpSocket: (family: 'ipv4' | 'ipv6') => deny('udp-create', family),
    },
    'wasi:sockets/ip-name-lookup': {
      ResolveAddressStream,
      resolveAddresses: (_network: Network, name: string) => deny('ip-name-lookup', name),
    },
  };
}
