/**
 * The messages between a run's WASI host and the host-side network broker,
 * which does the I/O (on Node: a worker thread). Plain data only, as they
 * cross threads. Every policy decision is made before a request is posted:
 * the broker connects, sends and requests to exactly the addresses it is
 * given, and never resolves a name it is not asked to.
 */

/** An address and port as text: dotted decimal or IPv6 (no brackets). */
export interface SocketAddress {
  readonly address: string;
  readonly port: number;
}

/**
 * Why a host operation failed, in the broker's own words; the WASI faces map
 * it to `wasi:sockets` and `wasi:http` error codes.
 */
export type FailureKind =
  | 'connection-refused'
  | 'connection-reset'
  | 'connection-aborted'
  | 'remote-unreachable'
  | 'timeout'
  | 'name-unresolvable'
  | 'temporary-resolver-failure'
  | 'permanent-resolver-failure'
  | 'datagram-too-large'
  | 'address-in-use'
  | 'address-not-bindable'
  | 'tls-certificate'
  | 'tls-protocol'
  | 'http-protocol'
  | 'unknown';

export interface Failure {
  readonly kind: FailureKind;
  /** What the host reported, for debugging (`ECONNREFUSED …`). */
  readonly message: string;
}

/** An HTTP request as the broker sends it: to ADDRESS, with the Host header and TLS name already decided. */
export interface HttpRequestHead {
  readonly tls: boolean;
  readonly address: string;
  readonly port: number;
  /** The TLS server name (SNI, and the name the certificate must carry); absent for an address. */
  readonly servername?: string;
  readonly method: string;
  readonly path: string;
  /** Header names and values (latin1 text), `host` included. */
  readonly headers: readonly (readonly [string, string])[];
}

/**
 * The run's host -> broker. IDs are chosen by the run's side, one per
 * lookup, connection, UDP socket or HTTP exchange.
 */
export type BrokerRequest =
  | { readonly op: 'lookup'; readonly id: number; readonly name: string }
  | { readonly op: 'connect'; readonly id: number; readonly to: SocketAddress; readonly keepAlive: boolean; readonly keepAliveIdleMs: number }
  | { readonly op: 'udp-bind'; readonly id: number; readonly family: 'ipv4' | 'ipv6'; readonly local: SocketAddress }
  | { readonly op: 'udp-send'; readonly id: number; readonly to: SocketAddress; readonly data: Uint8Array }
  | { readonly op: 'http'; readonly id: number; readonly head: HttpRequestHead }
  /** Bytes to send on a connection, or for a request body. */
  | { readonly op: 'write'; readonly id: number; readonly data: Uint8Array }
  /** No more bytes to send: TCP shutdown of the sending side, or the end of a request body. */
  | { readonly op: 'end'; readonly id: number; readonly trailers?: readonly (readonly [string, string])[] }
  /** The guest took BYTES of what was received: the broker may read more (flow control). */
  | { readonly op: 'consumed'; readonly id: number; readonly bytes: number }
  | { readonly op: 'close'; readonly id: number };

/** Broker -> the run's host. */
export type BrokerEvent =
  | { readonly type: 'resolved'; readonly id: number; readonly addresses: readonly string[] }
  /** A connection is established, or a UDP socket bound. */
  | { readonly type: 'opened'; readonly id: number; readonly local: SocketAddress; readonly remote?: SocketAddress }
  | { readonly type: 'response'; readonly id: number; readonly status: number; readonly headers: readonly (readonly [string, string])[] }
  | { readonly type: 'data'; readonly id: number; readonly data: Uint8Array }
  | { readonly type: 'datagram'; readonly id: number; readonly from: SocketAddress; readonly data: Uint8Array }
  /** BYTES of what the run handed over were written to the network. */
  | { readonly type: 'written'; readonly id: number; readonly bytes: number }
  /** The other side finished sending (with an HTTP body's trailers, if any). */
  | { readonly type: 'ended'; readonly id: number; readonly trailers?: readonly (readonly [string, string])[] }
  | { readonly type: 'failed'; readonly id: number; readonly failure: Failure };

/**
 * How the run's side reaches the broker. `post` and `receive` never block;
 * `wait` blocks the calling thread (the guest's) until an event may be
 * waiting or MS pass. On Node: a worker, a MessagePort and an Atomics cell.
 */
export interface NetworkTransport {
  post(request: BrokerRequest): void;
  /** The next event, if one is waiting. */
  receive(): BrokerEvent | undefined;
  /** Blocks up to MS unless an event arrived since the last `receive` that returned nothing. */
  wait(ms: number): void;
  /** Closes every socket of the run and stops the broker; idempotent. */
  close(): void;
}
