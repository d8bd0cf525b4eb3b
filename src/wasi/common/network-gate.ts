import type { RunLimiter } from '../../limits/run-limiter.js';
import type { Authority } from '../../policy/authority.js';
import { canonicalText, decideConnect, type ConnectRequest } from '../../policy/network-access.js';
import type { NetworkGrant } from '../../policy/types.js';
import { RunSecrets, type RequestHead } from '../../policy/secrets.js';
import type { DescriptorBudget } from '../../zones/descriptor-budget.js';
import { NetworkClient } from './network-client.js';
import type { NetworkTransport } from './network-protocol.js';

/**
 * A run's network capability: its grant, the {@link Authority} that decides
 * and records every access, and the host network, opened on first use. The
 * WASI host asks here before any I/O, with the address that will actually be
 * used and, when the guest got that address by looking up a granted name in
 * this run, that name: a granted name resolving to a private address is then
 * refused (DNS rebinding protection) unless the address itself is granted.
 */
export class NetworkGate {
  /** Canonical address -> the names the guest looked up that resolved to it, in this run. */
  private readonly namesByAddress = new Map<string, string[]>();
  private client: NetworkClient | undefined;

  constructor(
    private readonly grant: NetworkGrant,
    private readonly authority: Authority,
    /** Opens the platform's network; absent when the platform has none (a browser). */
    private readonly openTransport: (() => NetworkTransport) | undefined,
    private readonly limiter?: RunLimiter,
    /** The run's descriptor budget: each socket and HTTP exchange holds one while it is open. */
    private readonly descriptors?: DescriptorBudget,
    /** The run's secrets, whose placeholders requests to their hosts carry replaced. */
    private readonly secrets: RunSecrets = RunSecrets.none,
  ) {}

  /**
   * HEAD as it goes to HOST:PORT (the request's own host, which TLS checks
   * for HTTPS): each secret's placeholder replaced by its value where the
   * authority allows it, each decision recorded by name and host.
   */
  requestHead(host: { readonly name: string; readonly port: number }, head: RequestHead): RequestHead {
    return this.secrets.rewrite(head, (secret, place) => this.authority.maySendSecret(secret, host, place));
  }

  /**
   * May the guest open one more socket or HTTP exchange for OPERATION on
   * TARGET? Not past the run's descriptor budget (`limits.files`): a
   * refusal is recorded as a `descriptor-limit` denial.
   */
  mayOpenChannel(operation: string, target: string): boolean {
    if (this.descriptors === undefined || this.descriptors.open < this.descriptors.limit) return true;
    this.authority.record({
      operation,
      target,
      reason: 'descriptor-limit',
      error: 'EMFILE',
      detail: `the run already holds ${this.descriptors.limit} open descriptors (limits.files)`,
    });
    return false;
  }

  /** Whether the guest has any socket capability: only with grants, on a platform with a network. */
  get enabled(): boolean {
    return this.grant.allow.length > 0 && this.openTransport !== undefined;
  }

  /** Records that OPERATION on TARGET was refused because the run has no network capability at all. */
  refuse(operation: string, target: string): void {
    this.deny(
      operation,
      target,
      this.grant.allow.length === 0 ? 'the policy grants no network (network.allow is empty)' : 'this platform has no network',
    );
  }

  /**
   * Records that OPERATION on TARGET was refused before any grant could
   * decide it (an invalid destination, a request that cannot go out as it
   * is), DETAIL saying why; ERROR is what the guest got. Every refusal of
   * the network face is recorded, here or by the Authority's decisions.
   */
  deny(operation: string, target: string, detail: string, error = 'access-denied'): void {
    this.authority.record({ operation, target, reason: 'network-denied', error, detail });
  }

  /** The host network (only when {@link enabled}). */
  get host(): NetworkClient {
    return (this.client ??= new NetworkClient(this.openTransport!, this.limiter, this.descriptors));
  }

  /** May the guest look up NAME? */
  mayResolve(name: string): boolean {
    return this.authority.mayResolve(this.grant, name);
  }

  /** May the host look up NAME on the way to OPERATION on TARGET (an HTTP request)? */
  mayLookUpFor(name: string, operation: string, target: string): boolean {
    return this.authority.mayLookUpFor(this.grant, name, operation, target);
  }

  /** Notes that NAME, which the guest was allowed to look up, resolved to ADDRESSES. */
  remember(name: string, addresses: readonly string[]): void {
    for (const address of addresses) {
      const key = canonicalText(address);
      const names = this.namesByAddress.get(key) ?? [];
      if (!names.includes(name)) names.push(name);
      this.namesByAddress.set(key, names);
    }
  }

  /**
   * May the guest connect or send to ADDRESS:PORT? Decided with each name it
   * looked up for that address in this run (the first that grants it wins),
   * or the address alone; recorded either way.
   */
  mayConnect(protocol: 'tcp' | 'udp', address: string, port: number): boolean {
    const names = this.namesByAddress.get(canonicalText(address)) ?? [];
    const candidates: ConnectRequest[] =
      names.length === 0 ? [{ protocol, address, port }] : names.map((name) => ({ protocol, name, address, port }));
    return this.decide(candidates) !== undefined;
  }

  /**
   * The address an HTTP request (or, with PROTOCOL tcp, a proxied TCP
   * connection) to NAME (undefined: the host was an address) goes to: the
   * first of ADDRESSES the policy grants, or undefined when none is (the
   * refusal of the first is recorded).
   */
  chooseAddress(name: string | undefined, addresses: readonly string[], port: number, protocol: 'http' | 'tcp' = 'http'): string | undefined {
    return this.decide(addresses.map((address) => ({ protocol, address, port, ...(name !== undefined && { name }) })))?.address;
  }

  /** May the guest listen on, or bind a fixed port of, ADDRESS:PORT? */
  mayListen(protocol: 'tcp' | 'udp', address: string, port: number): boolean {
    return this.authority.mayListen({ protocol, address, port });
  }

  /** Closes every socket the run opened, and the broker. */
  close(): void {
    this.client?.close();
  }

  /** The first candidate the grant allows, else the first; one decision recorded. */
  private decide(candidates: readonly ConnectRequest[]): ConnectRequest | undefined {
    const chosen = candidates.find((candidate) => decideConnect(this.grant, candidate).allowed) ?? candidates[0];
    return chosen !== undefined && this.authority.mayConnect(this.grant, chosen) ? chosen : undefined;
  }
}
