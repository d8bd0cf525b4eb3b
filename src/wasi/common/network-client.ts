import type { DescriptorBudget } from '../../zones/descriptor-budget.js';
import type { RunLimiter } from '../../limits/run-limiter.js';
import { canonicalText } from '../../policy/network-access.js';
import { blockFor } from '../../limits/clock.js';
import type { BrokerEvent, BrokerRequest, Failure, HttpRequestHead, NetworkTransport, SocketAddress } from './network-protocol.js';

/** How long one blocking wait lasts before the run's cancellation is checked again. */
const waitSliceMs = 25;

/** Bytes a connection may have handed over and not yet written before `check-write` offers no more room. */
export const sendWindow = 1 << 20;

/** Datagrams kept until the guest receives them; later ones are dropped, as by a full socket buffer. */
const datagramQueueLimit = 256;

/** Header names and values as the broker carries them. */
export type HeaderList = readonly (readonly [string, string])[];

/**
 * The run's side of the host network: an object per lookup, connection, UDP
 * socket and HTTP exchange, whose state the broker's events update. It makes
 * no policy decision (the {@link NetworkGate} does, before anything is
 * asked of it). The transport is opened on first use, so a run that never
 * touches the network starts no broker. Nothing here blocks but `wait`,
 * which ends at the run's deadline or cancellation as sleeps do.
 */
export class NetworkClient {
  private nextId = 1;
  private readonly channels = new Map<number, Channel>();
  /** Channels holding one of the run's descriptors. */
  private readonly counted = new Set<number>();
  private transport: NetworkTransport | undefined;
  private closed = false;

  constructor(
    private readonly openTransport: () => NetworkTransport,
    private readonly limiter?: RunLimiter,
    /** Each connection, socket and exchange holds one of the run's descriptors until it is closed (lookups hold none). */
    private readonly descriptors?: DescriptorBudget,
  ) {}

  /** Resolves NAME to all its addresses. */
  lookup(name: string): Lookup {
    const lookup = this.register(new Lookup(this, this.nextId++));
    this.post({ op: 'lookup', id: lookup.id, name });
    return lookup;
  }

  /** Connects to exactly TO. */
  connect(to: SocketAddress, keepAlive: { enabled: boolean; idleMs: number }): Connection {
    const connection = this.register(new Connection(this, this.nextId++), `${to.address}:${to.port}`);
    this.post({ op: 'connect', id: connection.id, to, keepAlive: keepAlive.enabled, keepAliveIdleMs: keepAlive.idleMs });
    return connection;
  }

  /** Sends an HTTP request as HEAD says; its body follows through the connection's `send` and `finish`. */
  request(head: HttpRequestHead): Connection {
    const exchange = this.register(new Connection(this, this.nextId++, true), `${head.address}:${head.port}`);
    this.post({ op: 'http', id: exchange.id, head });
    return exchange;
  }

  /** A UDP socket bound to LOCAL (port 0: an ephemeral port). */
  bindUdp(family: 'ipv4' | 'ipv6', local: SocketAddress): DatagramSocket {
    const socket = this.register(new DatagramSocket(this, this.nextId++), `udp ${family}`);
    this.post({ op: 'udp-bind', id: socket.id, family, local });
    return socket;
  }

  /** Posts a request of an open channel; after the run's end there is nobody to tell. */
  post(request: BrokerRequest): void {
    if (this.closed) return;
    (this.transport ??= this.openTransport()).post(request);
  }

  /** Stops routing events to CHANNEL (it was closed or is done). */
  forget(channel: Channel): void {
    this.channels.delete(channel.id);
    this.release(channel);
  }

  /** CHANNEL's host socket is gone (an HTTP exchange that ended): its descriptor returns to the run. */
  release(channel: Channel): void {
    if (this.counted.delete(channel.id)) this.descriptors?.give();
  }

  /** Applies every event waiting, without blocking; true if there was one. */
  pump(): boolean {
    if (this.transport === undefined) return false;
    let any = false;
    for (let event = this.transport.receive(); event !== undefined; event = this.transport.receive()) {
      any = true;
      this.channels.get(event.id)?.apply(event);
    }
    return any;
  }

  /**
   * Blocks until an event arrives (true) or MS pass (false; no limit when
   * undefined). At the run's deadline, or when it is cancelled, it throws a
   * {@link LimitInterrupt} that ends the run.
   */
  wait(ms?: number): boolean {
    const until = ms === undefined ? Infinity : performance.now() + ms;
    for (;;) {
      if (this.pump()) return true;
      this.checkLimits();
      const now = performance.now();
      if (now >= until) return false;
      const slice = Math.max(0, Math.min(until, this.limiter?.deadline ?? Infinity, now + waitSliceMs) - now);
      if (this.transport === undefined) blockFor(slice);
      else this.transport.wait(slice);
    }
  }

  /** Blocks until DONE holds (see {@link wait} for how it ends early). */
  waitFor(done: () => boolean): void {
    this.pump();
    while (!done()) this.wait();
  }

  /** Closes every socket of the run and stops the broker. */
  close(): void {
    this.closed = true;
    for (const _ of this.counted) this.descriptors?.give();
    this.counted.clear();
    this.channels.clear();
    this.transport?.close();
  }

  /** Routes events to CHANNEL; one named by TARGET holds a descriptor of the run (the gate checked there is one). */
  private register<T extends Channel>(channel: T, target?: string): T {
    if (target !== undefined && this.descriptors !== undefined) {
      this.descriptors.take(target);
      this.counted.add(channel.id);
    }
    this.channels.set(channel.id, channel);
    return channel;
  }

  private checkLimits(): void {
    this.limiter?.checkpoint(' (while waiting for the network)');
  }
}

/** One lookup, connection, socket or exchange of the broker. */
abstract class Channel {
  failure: Failure | undefined;

  constructor(
    protected readonly client: NetworkClient,
    readonly id: number,
  ) {}

  abstract apply(event: BrokerEvent): void;

  /** Stops it on the host side (closes the socket, aborts the request). */
  close(): void {
    this.client.forget(this);
    this.client.post({ op: 'close', id: this.id });
  }
}

/** A name lookup: the addresses, or why there are none. */
export class Lookup extends Channel {
  addresses: readonly string[] | undefined;

  get settled(): boolean {
    this.client.pump();
    return this.addresses !== undefined || this.failure !== undefined;
  }

  apply(event: BrokerEvent): void {
    if (event.type === 'resolved') this.addresses = event.addresses;
    else if (event.type === 'failed') this.failure = event.failure;
    else return;
    this.client.forget(this);
  }
}

/**
 * A byte stream each way: a TCP connection, or an HTTP exchange (request
 * body out; response head, body and trailers in). What arrives is buffered
 * here; the broker reads on only as the guest takes it (flow control).
 */
export class Connection extends Channel {
  opened: { readonly local: SocketAddress; readonly remote?: SocketAddress } | undefined;
  response: { readonly status: number; readonly headers: HeaderList } | undefined;
  /** The other side finished sending, and these came last (HTTP trailers). */
  ended = false;
  trailers: HeaderList | undefined;
  /** Bytes handed over and not yet written by the host. */
  unsent = 0;
  sendFinished = false;
  receiveStopped = false;
  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;

  constructor(
    client: NetworkClient,
    id: number,
    /** An HTTP exchange: the broker's socket is gone once the response ended or failed. */
    private readonly exchange = false,
  ) {
    super(client, id);
  }

  apply(event: BrokerEvent): void {
    switch (event.type) {
      case 'opened':
        this.opened = { local: event.local, ...(event.remote !== undefined && { remote: event.remote }) };
        break;
      case 'response':
        this.response = { status: event.status, headers: event.headers };
        break;
      case 'data':
        if (this.receiveStopped) this.client.post({ op: 'consumed', id: this.id, bytes: event.data.length });
        else {
          this.chunks.push(event.data);
          this.buffered += event.data.length;
        }
        break;
      case 'written':
        this.unsent -= event.bytes;
        break;
      case 'ended':
        this.ended = true;
        this.trailers = event.trailers;
        if (this.exchange) this.client.release(this);
        break;
      case 'failed':
        this.failure ??= event.failure;
        if (this.exchange) this.client.release(this);
        break;
    }
  }

  /** Whether `take` has bytes to give, or there will be none: the end, a failure, or receiving was shut down. */
  get readable(): boolean {
    this.client.pump();
    return this.buffered > 0 || this.ended || this.failure !== undefined || this.receiveStopped;
  }

  /** Up to MAX buffered bytes, without waiting; empty when none are buffered. */
  take(max: number): Uint8Array {
    this.client.pump();
    if (this.buffered === 0 || max === 0) return new Uint8Array(0);
    const first = this.chunks[0]!;
    const taken = first.length <= max ? first : first.subarray(0, max);
    if (taken === first) this.chunks.shift();
    else this.chunks[0] = first.subarray(max);
    this.buffered -= taken.length;
    this.client.post({ op: 'consumed', id: this.id, bytes: taken.length });
    return taken;
  }

  send(data: Uint8Array): void {
    this.unsent += data.length;
    this.client.post({ op: 'write', id: this.id, data: data.slice() });
  }

  /** Sends no more (TCP shutdown of the sending side; the end of a request body, with its trailers). */
  finish(trailers?: HeaderList): void {
    if (this.sendFinished) return;
    this.sendFinished = true;
    this.client.post({ op: 'end', id: this.id, ...(trailers !== undefined && { trailers }) });
  }

  /** Receives no more: what is buffered and what arrives later is discarded. */
  stopReceiving(): void {
    this.receiveStopped = true;
    if (this.buffered > 0) this.client.post({ op: 'consumed', id: this.id, bytes: this.buffered });
    this.chunks.length = 0;
    this.buffered = 0;
  }
}

/** A datagram received, from whom. */
export interface Datagram {
  readonly from: SocketAddress;
  readonly data: Uint8Array;
}

/**
 * A bound UDP socket. Only replies reach the guest: a datagram is kept only
 * when it comes from an address and port this socket sent to, so a bound
 * port is no way in for anyone else.
 */
export class DatagramSocket extends Channel {
  local: SocketAddress | undefined;
  private readonly queue: Datagram[] = [];
  /** Peers sent to, canonical (so `::ffff:127.0.0.1` and `127.0.0.1` are one). */
  private readonly sentTo = new Set<string>();

  apply(event: BrokerEvent): void {
    if (event.type === 'opened') this.local = event.local;
    else if (event.type === 'failed') this.failure ??= event.failure;
    else if (event.type === 'datagram' && this.sentTo.has(this.key(event.from)) && this.queue.length < datagramQueueLimit) {
      this.queue.push({ from: event.from, data: event.data });
    }
  }

  get bound(): boolean {
    this.client.pump();
    return this.local !== undefined || this.failure !== undefined;
  }

  get pending(): number {
    this.client.pump();
    return this.queue.length;
  }

  send(to: SocketAddress, data: Uint8Array): void {
    this.sentTo.add(this.key(to));
    this.client.post({ op: 'udp-send', id: this.id, to, data: data.slice() });
  }

  /** Up to MAX datagrams received, without waiting. */
  receive(max: number): Datagram[] {
    this.client.pump();
    return this.queue.splice(0, max);
  }

  private key(peer: SocketAddress): string {
    return `${canonicalText(peer.address)} ${peer.port}`;
  }
}
