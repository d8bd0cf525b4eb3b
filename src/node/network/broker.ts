import { lookup } from 'node:dns';
import { createSocket, type Socket as DatagramSocket } from 'node:dgram';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, isIP, type Socket } from 'node:net';
import type { BrokerEvent, BrokerRequest, HttpRequestHead, SocketAddress } from '../../wasi/common/network-protocol.js';
import { failureOf } from './failure.js';

/** Bytes received and not yet taken by the guest before the broker stops reading (flow control). */
const receiveWindow = 1 << 20;

/** Posts an event to the run; TRANSFER lists buffers handed over rather than copied. */
export type Emit = (event: BrokerEvent, transfer?: ArrayBuffer[]) => void;

/** What the broker holds open for the run: a connection, a UDP socket, an HTTP exchange. */
interface Held {
  write?(data: Uint8Array): void;
  end?(trailers?: readonly (readonly [string, string])[]): void;
  consumed?(bytes: number): void;
  send?(to: SocketAddress, data: Uint8Array): void;
  close(): void;
}

/** A copy of a received chunk in a buffer of its own (Node's may share a larger pool), to transfer. */
function own(chunk: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(chunk);
}

/** Pairs from Node's flat raw header list. */
function pairs(raw: readonly string[]): [string, string][] {
  const result: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) result.push([raw[i]!, raw[i + 1]!]);
  return result;
}

/** The broker is told addresses only: a name here would be a lookup nobody checked. */
function requireAddress(address: string): void {
  if (isIP(address) === 0) throw new Error(`'${address}' is not an IP address`);
}

/** Reads a stream only as fast as the guest takes what was read. */
class ReceiveWindow {
  private outstanding = 0;

  constructor(private readonly stream: { pause(): unknown; resume(): unknown }) {}

  received(bytes: number): void {
    this.outstanding += bytes;
    if (this.outstanding >= receiveWindow) this.stream.pause();
  }

  consumed(bytes: number): void {
    this.outstanding -= bytes;
    if (this.outstanding < receiveWindow) this.stream.resume();
  }
}

class TcpConnection implements Held {
  private readonly socket: Socket;
  private readonly window: ReceiveWindow;

  constructor(
    private readonly id: number,
    to: SocketAddress,
    keepAlive: boolean,
    keepAliveIdleMs: number,
    private readonly emit: Emit,
  ) {
    requireAddress(to.address);
    const socket = connect({
      host: to.address,
      port: to.port,
      allowHalfOpen: true,
      noDelay: true,
      keepAlive,
      keepAliveInitialDelay: keepAliveIdleMs,
    });
    this.socket = socket;
    this.window = new ReceiveWindow(socket);
    socket.on('connect', () =>
      emit({
        type: 'opened',
        id,
        local: { address: socket.localAddress!, port: socket.localPort! },
        remote: { address: socket.remoteAddress!, port: socket.remotePort! },
      }),
    );
    socket.on('data', (chunk: Buffer) => {
      const data = own(chunk);
      emit({ type: 'data', id, data }, [data.buffer]);
      this.window.received(data.length);
    });
    socket.on('end', () => emit({ type: 'ended', id }));
    socket.on('error', (error) => emit({ type: 'failed', id, failure: failureOf(error) }));
  }

  write(data: Uint8Array): void {
    this.socket.write(data, (error) => {
      if (!error) this.emit({ type: 'written', id: this.id, bytes: data.length });
    });
  }

  end(): void {
    this.socket.end();
  }

  consumed(bytes: number): void {
    this.window.consumed(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A UDP socket: bound to an ephemeral port; sends to addresses; passes every datagram on (the run keeps only replies). */
class UdpEndpoint implements Held {
  private readonly socket: DatagramSocket;

  constructor(id: number, family: 'ipv4' | 'ipv6', local: SocketAddress, emit: Emit) {
    requireAddress(local.address);
    const socket = createSocket({ type: family === 'ipv4' ? 'udp4' : 'udp6' });
    this.socket = socket;
    socket.on('message', (message, from) => {
      const data = own(message);
      emit({ type: 'datagram', id, from: { address: from.address, port: from.port }, data }, [data.buffer]);
    });
    socket.on('error', (error) => emit({ type: 'failed', id, failure: failureOf(error) }));
    socket.bind({ address: local.address, port: 0 }, () => {
      const bound = socket.address();
      emit({ type: 'opened', id, local: { address: bound.address, port: bound.port } });
    });
  }

  // A datagram that cannot be sent is lost, as UDP loses datagrams; the socket stays usable.
  send(to: SocketAddress, data: Uint8Array): void {
    requireAddress(to.address);
    this.socket.send(data, to.port, to.address, () => {});
  }

  close(): void {
    try {
      this.socket.close();
    } catch {
      // Closed already (its bind failed).
    }
  }
}

/** An HTTP(S) request to exactly the address given, with the TLS name given, and its response. */
class HttpExchange implements Held {
  private readonly request: ClientRequest;
  private response: IncomingMessage | undefined;
  private window: ReceiveWindow | undefined;

  constructor(
    private readonly id: number,
    head: HttpRequestHead,
    private readonly emit: Emit,
  ) {
    requireAddress(head.address);
    const send = head.tls ? httpsRequest : httpRequest;
    const request = send({
      host: head.address,
      port: head.port,
      method: head.method,
      path: head.path,
      headers: head.headers.flatMap(([name, value]) => [name, value]),
      setHost: false,
      agent: false,
      ...(head.servername !== undefined && { servername: head.servername }),
    });
    this.request = request;
    request.on('response', (response) => this.respond(response));
    request.on('error', (error) => emit({ type: 'failed', id, failure: failureOf(error) }));
  }

  write(data: Uint8Array): void {
    this.request.write(data, (error) => {
      if (!error) this.emit({ type: 'written', id: this.id, bytes: data.length });
    });
  }

  end(trailers?: readonly (readonly [string, string])[]): void {
    if (trailers !== undefined && trailers.length > 0) this.request.addTrailers(trailers.map(([name, value]): [string, string] => [name, value]));
    this.request.end();
  }

  consumed(bytes: number): void {
    this.window?.consumed(bytes);
  }

  close(): void {
    this.request.destroy();
    this.response?.destroy();
  }

  private respond(response: IncomingMessage): void {
    const { id, emit } = this;
    this.response = response;
    this.window = new ReceiveWindow(response);
    emit({ type: 'response', id, status: response.statusCode!, headers: pairs(response.rawHeaders) });
    response.on('data', (chunk: Buffer) => {
      const data = own(chunk);
      emit({ type: 'data', id, data }, [data.buffer]);
      this.window!.received(data.length);
    });
    response.on('end', () => emit({ type: 'ended', id, trailers: pairs(response.rawTrailers) }));
    response.on('error', (error) => emit({ type: 'failed', id, failure: failureOf(error) }));
  }
}

/**
 * The network I/O of one run, on Node: lookups (all addresses, in the
 * resolver's order), TCP connections, UDP sockets and HTTP(S) requests,
 * exactly as asked. It decides nothing: the run's host checked every
 * request against the policy before posting it.
 */
export class Broker {
  private readonly held = new Map<number, Held>();

  constructor(private readonly emit: Emit) {}

  handle(request: BrokerRequest): void {
    try {
      this.dispatch(request);
    } catch (error) {
      this.emit({ type: 'failed', id: request.id, failure: failureOf(error) });
    }
  }

  /** Closes every socket and aborts every request. */
  closeAll(): void {
    for (const held of this.held.values()) held.close();
    this.held.clear();
  }

  private dispatch(request: BrokerRequest): void {
    const { emit } = this;
    const held = this.held.get(request.id);
    switch (request.op) {
      case 'lookup':
        return this.lookUp(request.id, request.name);
      case 'connect':
        this.held.set(request.id, new TcpConnection(request.id, request.to, request.keepAlive, request.keepAliveIdleMs, emit));
        return;
      case 'udp-bind':
        this.held.set(request.id, new UdpEndpoint(request.id, request.family, request.local, emit));
        return;
      case 'http':
        this.held.set(request.id, new HttpExchange(request.id, request.head, emit));
        return;
      case 'udp-send':
        return held?.send?.(request.to, request.data);
      case 'write':
        return held?.write?.(request.data);
      case 'end':
        return held?.end?.(request.trailers);
      case 'consumed':
        return held?.consumed?.(request.bytes);
      case 'close':
        held?.close();
        this.held.delete(request.id);
        return;
    }
  }

  private lookUp(id: number, name: string): void {
    lookup(name, { all: true, verbatim: true }, (error, addresses) => {
      if (error) this.emit({ type: 'failed', id, failure: failureOf(error) });
      else this.emit({ type: 'resolved', id, addresses: addresses.map((entry) => entry.address) });
    });
  }
}
