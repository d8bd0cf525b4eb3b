import type { WasiContext } from '../common/context.js';
import type { NetworkGate } from '../common/network-gate.js';
import { normalizeHostName } from '../../policy/network-grant.js';
import { IoError } from './io-error.js';
import { fail, Network } from './ip-socket.js';
import { socketErrorCodeOfErrno } from './network-errors.js';
import type { Interfaces } from './resource.js';
import { ResolveAddressStream } from './resolve-address-stream.js';
import { familyOf, type Family } from './socket-address.js';
import { TcpSocket } from './tcp-socket.js';
import { IncomingDatagramStream, OutgoingDatagramStream, UdpSocket } from './udp-socket.js';

/**
 * `wasi:sockets`: TCP client connections, UDP, and name lookups, each
 * decided by the run's {@link NetworkGate}. Without network grants (or on a
 * platform without a network) the guest gets no socket at all: creating one,
 * or starting a lookup, fails with `access-denied` and is recorded, as
 * wasmtime fails what a context does not allow.
 */
export function socketInterfaces(ctx: WasiContext): Interfaces {
  /** The run's gate, if the guest has network capability; otherwise records the refusal and fails. */
  const gateFor = (operation: string, target: string): NetworkGate => {
    const gate = ctx.network;
    if (gate?.enabled) return gate;
    if (gate !== undefined) gate.refuse(operation, target);
    else ctx.authority.record({ operation, target, reason: 'network-denied', error: 'access-denied', detail: 'the run has no network' });
    return fail('access-denied');
  };
  return {
    'wasi:sockets/network': {
      Network,
      networkErrorCode: (error: IoError) => (error instanceof IoError ? socketErrorCodeOfErrno(error.failure.errno) : undefined),
    },
    'wasi:sockets/instance-network': { instanceNetwork: () => new Network() },
    'wasi:sockets/tcp': { TcpSocket },
    'wasi:sockets/tcp-create-socket': {
      createTcpSocket: (family: Family) => new TcpSocket(gateFor('tcp-create', family), family),
    },
    'wasi:sockets/udp': { UdpSocket, IncomingDatagramStream, OutgoingDatagramStream },
    'wasi:sockets/udp-create-socket': {
      createUdpSocket: (family: Family) => new UdpSocket(gateFor('udp-create', family), family),
    },
    'wasi:sockets/ip-name-lookup': {
      ResolveAddressStream,
      resolveAddresses: (_network: Network, name: string) => {
        const gate = gateFor('ip-name-lookup', name);
        const literal = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
        const host = familyOf(literal) === undefined ? normalizeHostName(name) : literal;
        if (host === undefined) {
          gate.deny('ip-name-lookup', name, 'not a host name or an IP address', 'invalid-argument');
          fail('invalid-argument');
        }
        if (!gate.mayResolve(name)) fail('access-denied');
        if (familyOf(host) !== undefined) return new ResolveAddressStream(gate, host, undefined, [host]);
        return new ResolveAddressStream(gate, host, gate.host.lookup(host), undefined);
      },
    },
  };
}
