import type { Lookup } from '../common/network-client.js';
import type { NetworkGate } from '../common/network-gate.js';
import { fail } from './ip-socket.js';
import { socketErrorCode } from './network-errors.js';
import { Pollable } from './poll.js';
import { dispose } from './resource.js';
import { toIpAddress, type IpAddress } from './socket-address.js';

/**
 * `wasi:sockets/ip-name-lookup` `resolve-address-stream`: the addresses of a
 * name the host resolves (or of an address literal, at once). The guest's
 * later connections to them are checked with that name.
 */
export class ResolveAddressStream {
  private next = 0;

  constructor(
    private readonly gate: NetworkGate,
    private readonly name: string,
    private readonly lookup: Lookup | undefined,
    private addresses: readonly string[] | undefined,
  ) {}

  resolveNextAddress(): IpAddress | undefined {
    if (this.addresses === undefined) {
      const lookup = this.lookup!;
      if (!lookup.settled) fail('would-block');
      if (lookup.failure !== undefined) fail(socketErrorCode(lookup.failure));
      this.addresses = lookup.addresses!;
      this.gate.remember(this.name, this.addresses);
    }
    const address = this.addresses[this.next];
    if (address === undefined) return undefined;
    this.next++;
    return toIpAddress(address);
  }

  subscribe(): Pollable {
    const lookup = this.lookup;
    return lookup === undefined ? Pollable.ready() : Pollable.when(() => lookup.settled, this.gate.host);
  }

  [dispose](): void {
    if (this.addresses === undefined) this.lookup?.close();
  }
}
